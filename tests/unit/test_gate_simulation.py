"""Simulated pull requests with known truth through the default gate (seeded, a few seconds).

The workload of issue 14 (70% near-certain cases, 20% with pass probability 0.6-0.9, 10% with
0.1-0.5), from benchmarks/gate_simulation.py; the benchmark runs the same with 200 PRs per row for the
README table. Here few PRs per configuration, with bounds loose enough for that count.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from support.paths import ROOT

PATH = ROOT / "benchmarks" / "gate_simulation.py"


@pytest.fixture(scope="module")
def sim() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_simulation", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_simulation"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("n", "repeats", "prs"), [(50, 1, 40), (50, 3, 30), (200, 1, 20), (200, 3, 12), (1000, 3, 3)]
)
def test_noise_is_rarely_blocked_and_the_interval_covers(
    sim: ModuleType, n: int, repeats: int, prs: int
) -> None:
    tally = sim.simulate(n, repeats, "noise", prs, seed=1)
    assert tally.blocked <= max(1, round(0.06 * prs))
    assert tally.covered >= 0.8 * prs


def test_a_five_point_drop_is_blocked_at_a_thousand_cases(sim: ModuleType) -> None:
    tally = sim.simulate(1000, 1, "drop5", 4, seed=2)
    assert tally.blocked == 4


def test_a_few_broken_cases_are_blocked_at_two_hundred_cases_with_three_repeats(sim: ModuleType) -> None:
    tally = sim.simulate(200, 3, "broken5", 12, seed=3)
    assert tally.blocked >= 11


@pytest.mark.parametrize("repeats", [1, 3])
def test_an_undetectable_drop_is_never_a_silent_pass(sim: ModuleType, repeats: int) -> None:
    tally = sim.simulate(50, repeats, "drop5", 30, seed=4)
    assert tally.silent_pass == 0  # every PASS says "cannot detect a 5.0 pp drop" and the detectable drop


def test_an_improvement_is_not_blocked(sim: ModuleType) -> None:
    assert sim.simulate(200, 1, "up5", 12, seed=5).blocked == 0


# workflow suites (issue 24): a case is an agent run repeated K = 3 times


@pytest.mark.parametrize(("n", "prs"), [(50, 20), (200, 8)])
def test_workflow_noise_is_rarely_blocked(sim: ModuleType, n: int, prs: int) -> None:
    assert sim.simulate_workflow(n, 3, "noise", prs, seed=6).blocked <= max(1, round(0.06 * prs))


def test_a_workflow_head_that_breaks_a_tenth_of_the_cases_is_blocked(sim: ModuleType) -> None:
    assert sim.simulate_workflow(200, 3, "broken10", 6, seed=7).blocked == 6


def test_one_more_model_call_per_run_is_blocked_by_max_steps_increase(sim: ModuleType) -> None:
    assert sim.simulate_workflow(200, 3, "one_more_step", 6, seed=8).blocked == 6
