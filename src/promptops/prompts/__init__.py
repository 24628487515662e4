"""Prompt files and their versions: git history, selectors, render, lint, diff."""
