"""Model and prompt upgrades side by side (`promptops compare`): the use case and its reports."""

from promptops.compare.comparison import Candidate, Comparison, Disagreement, Standing, candidates, compare

__all__ = ["Candidate", "Comparison", "Disagreement", "Standing", "candidates", "compare"]
