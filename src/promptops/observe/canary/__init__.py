"""Canary analysis: windows of calls, per-metric comparisons, the verdict and its report."""
