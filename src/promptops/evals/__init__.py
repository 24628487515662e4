"""Run eval suites and record them: suites, scoring, providers, cache, runner, results and baselines."""
