"""Every file promptops writes is readable by promptops at the size of the largest legitimate file of
its kind: a 100,000-case baseline and a proposed-cases file of 1,000 long cases, written and read back.
(Slow by directory: each round trip takes tens of seconds.)"""

from __future__ import annotations

import random
import string
from pathlib import Path

from promptops.evals import baselines
from promptops.evals.records import Baseline, BaselineCase
from promptops.formats import dump_yaml
from promptops.observe.flywheel.proposals import HEADER, MAX_PROPOSED_BYTES, default_out
from promptops.project import Project
from support.evalproject import write_project
from support.fixtures import CLI
from support.releases import provenance, summary

CASES = 100_000
PROPOSED = 1_000


def _baseline() -> Baseline:
    cases = tuple(
        BaselineCase(
            id=f"customer-support/refund-request-{i:06d}",  # 40 characters
            hash=f"sha256:{i:064x}",
            score=0.8333333333,
            pass_rate=0.6666666667,
            passed=True,
            critical=i % 10 == 0,
            error=False,
            cost_usd=0.000123456789,
            latency_ms=1234.5678901,
            tokens=123456,
            repeats=3,
            repeats_passed=2,
        )
        for i in range(CASES)
    )
    return Baseline(
        suite="order-id", provenance=provenance("1.0.0"), cases=cases, summary=summary([1.0] * 10)
    )


def test_a_100000_case_baseline_is_written_and_read_back(project_dir: Path) -> None:
    write_project(project_dir, count=1)
    project = Project.load(project_dir)
    path = baselines.write(project, _baseline())
    size = path.stat().st_size
    assert 1_000_000 < size < baselines.MAX_BASELINE_BYTES
    back = baselines.read(project, "order-id")
    assert back is not None and len(back.cases) == CASES
    assert back.cases[-1].id == "customer-support/refund-request-099999"


def test_a_proposed_file_of_1000_long_cases_is_written_and_read_back(cli: CLI, project_dir: Path) -> None:
    write_project(project_dir, count=1)
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(500)]

    def text(chars: int) -> str:
        out: list[str] = []
        while sum(len(w) + 1 for w in out) < chars:
            out.append(rng.choice(words))
        return " ".join(out)[:chars]

    cases = [
        {
            "id": f"prod-{i:010x}",
            "reviewed": False,
            "vars": {"message": text(10_000)},
            "expected": None,
            "observed_output": text(2_000),
            "provenance": {"trace_id": f"trace-{i}", "record_id": f"r{i}", "version": "1.0.0"},
        }
        for i in range(PROPOSED)
    ]
    path = default_out(Project.load(project_dir), "order-id")
    path.parent.mkdir(parents=True)
    label = ".promptops/proposed/order-id.yaml"
    data = {"suite": "order-id", "cases": cases, "refused": [], "duplicates": []}
    path.write_text(HEADER.format(suite="order-id", file=label) + dump_yaml(data), encoding="utf-8")
    assert 12_000_000 < path.stat().st_size < MAX_PROPOSED_BYTES
    result = cli("cases", "accept", label)
    assert result.code == 1, result.err  # read in full: every case is refused as not reviewed, none lost
    lines = result.err.splitlines()
    assert len([line for line in lines if "not reviewed" in line]) == PROPOSED
    assert "larger than" not in result.err
