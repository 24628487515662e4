"""Workflow suites: many calls per case (the built-in loop with tool doubles, or a target)."""
