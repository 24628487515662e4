"""Numbers past Python's int-string limit in a case file or a YAML file: bad input (exit 2, file:line)."""

from __future__ import annotations

import json
from pathlib import Path

from support.evalproject import cases, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI


def test_a_jsonl_case_with_a_5000_digit_integer_is_exit_2_naming_the_line(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    rows = [json.dumps(c) for c in cases(3)]
    rows[1] = rows[1][:-1] + ', "n": ' + "9" * 5000 + "}"
    write_project(project_dir, count=3, files={"evals/data/order-id.jsonl": "\n".join(rows) + "\n"})
    result = cli("eval")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/data/order-id.jsonl:2: invalid JSON: an integer of 5000 digits is too large (at most 4300)"
    )
    assert "Traceback" not in result.err
    assert openai_server.count == 0


def test_a_negative_huge_integer_counts_digits_not_the_sign(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    rows = [json.dumps(c) for c in cases(1)]
    rows[0] = rows[0][:-1] + ', "n": -' + "1" * 4301 + "}"
    write_project(project_dir, count=1, files={"evals/data/order-id.jsonl": rows[0] + "\n"})
    result = cli("eval")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/data/order-id.jsonl:1: invalid JSON: an integer of 4301 digits is too large (at most 4300)"
    )
