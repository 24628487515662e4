"""The benchmark commands docs/workflows.md shows run (tiny sizes; their figures come from full runs)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from support.paths import ROOT


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_gate_simulation_workflow_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("gate_simulation").main(["1", "--workflow"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["| N | K | PR | blocked |", "|---:|---:|---|---:|"]
    assert [line.split(" | ")[2] for line in lines[2:]] == ["noise", "broken10", "one_more_step"] * 2


def test_workflow_speed_prints_its_three_figures(capsys: pytest.CaptureFixture[str]) -> None:
    load("workflow_speed").main(["--cases", "4", "--repeats", "1", "--steps", "2", "--latency", "0.01"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("built-in loop, in process, 0 ms latency: ")
    assert lines[1].startswith("promptops eval, 4 cases x 1 repeat x 2 steps, 0 ms latency: 8 model calls")
    assert "8 model calls in" in lines[2] and "ideal" in lines[2]
