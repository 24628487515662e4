"""Pure renderers: markdown, JSON and JUnit from results, gate results and prompt diffs."""
