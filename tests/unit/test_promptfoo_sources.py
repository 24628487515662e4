"""The files a promptfoo config points at: CSV `__expected` cells and columns, JSON/JSONL/YAML data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from promptops.errors import FileFormatError, InputError
from promptops.interop.sources import csv_assertion, csv_tests, label, read_data, read_text, txt_prompts


@pytest.mark.parametrize(
    ("cell", "assertion"),
    [
        ("javascript: output.length > 3", {"type": "javascript", "value": "output.length > 3"}),
        ("fn:x", {"type": "javascript", "value": "x"}),
        ("eval:x", {"type": "javascript", "value": "x"}),
        ("grade: be nice", {"type": "llm-rubric", "value": " be nice"}),
        ("file://check.py", {"type": "python", "value": "file://check.py"}),
        ("file://check.js", {"type": "javascript", "value": "file://check.js"}),
        ("contains-any:a,b", {"type": "contains-any", "value": ["a", "b"]}),
        ("contains-all:", {"type": "contains-all", "value": ""}),
        ("is-json", {"type": "is-json"}),
        ('contains-json:{"type":"object"}', {"type": "contains-json", "value": '{"type":"object"}'}),
        ("similar(0.8):hi", {"type": "similar", "value": "hi", "threshold": 0.8}),
        ("not-contains: x ", {"type": "not-contains", "value": "x"}),
        ("latency(500)", {"type": "latency", "threshold": 500.0}),
        ("hello", {"type": "equals", "value": "hello"}),
        ("note:hello", {"type": "equals", "value": "note:hello"}),
    ],
)
def test_expected_cells_read_as_promptfoo_reads_them(cell: str, assertion: dict[str, Any]) -> None:
    assert csv_assertion(cell) == assertion


def test_csv_columns_become_vars_assertions_and_reported_columns() -> None:
    text = (
        "q,__expected1,__expected2,__description,__metric,__threshold,__prefix\n"
        "hi,contains:a, ,d,m,0.5,p\n"
        "ho,,,,,,\n"
    )
    assert csv_tests(text, "t.csv") == [
        {
            "vars": {"q": "hi"},
            "assert": [{"type": "contains", "value": "a"}],
            "description": "d",
            "metric": "m",
            "threshold": 0.5,
            "_unsupported": ["__prefix"],
        },
        {
            "vars": {"q": "ho"},
            "assert": [],
            "description": "",
            "metric": "",
            "threshold": None,
            "_unsupported": ["__prefix"],
        },
    ]


def test_data_files_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"x": 1}\n\n{"x": 2}\n')
    (tmp_path / "b.json").write_text('{"x": 1}')
    (tmp_path / "c.yaml").write_text("x: 1\n")
    assert read_data(tmp_path / "a.jsonl", tmp_path) == [{"x": 1}, {"x": 2}]
    assert read_data(tmp_path / "b.json", tmp_path) == {"x": 1}
    assert read_data(tmp_path / "c.yaml", tmp_path) == {"x": 1}


def test_bad_data_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"x": 1}\nnope\n')
    (tmp_path / "c.yaml").write_text("x: [1\n")
    with pytest.raises(InputError) as caught:
        read_data(tmp_path / "a.jsonl", tmp_path)
    assert str(caught.value) == "a.jsonl: invalid JSON: Expecting value: line 1 column 1 (char 0)"
    with pytest.raises(FileFormatError, match=r"^c\.yaml:2: "):
        read_data(tmp_path / "c.yaml", tmp_path)
    with pytest.raises(InputError) as missing:
        read_text(tmp_path / "sub" / "x.txt", tmp_path)
    assert str(missing.value) == "sub/x.txt: no such file"


def test_files_outside_the_config_folder_keep_their_full_path(tmp_path: Path) -> None:
    assert label(tmp_path / "a" / "b.txt", tmp_path) == "a/b.txt"
    assert label(Path("/elsewhere/b.txt"), tmp_path) == "/elsewhere/b.txt"


def test_a_txt_file_ending_in_a_separator_has_no_empty_last_prompt() -> None:
    assert txt_prompts("One\n---\nTwo\n---\n") == [(1, "One"), (3, "Two")]
