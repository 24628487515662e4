"""formats.load_json and parse_yaml on bad input, called directly: each problem names file and line."""

from __future__ import annotations

import pytest

from promptops.errors import FileFormatError
from promptops.formats import load_json, parse_yaml


def _problem(text: str, **kwargs: object) -> str:
    with pytest.raises(FileFormatError) as info:
        load_json(text, "f.json", **kwargs)  # type: ignore[arg-type]
    (problem,) = info.value.problems
    return f"{problem.file}:{problem.line}: {problem.message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', 'f.json:None: invalid JSON: duplicate key "a"'),
        ('{"a": NaN}', "f.json:None: invalid JSON: NaN is not allowed (numbers must be finite)"),
        ('{"a": 1e999}', "f.json:None: invalid JSON: 1e999 is too large (numbers must be finite)"),
        (
            '{"a": ' + "7" * 4301 + "}",
            "f.json:None: invalid JSON: an integer of 4301 digits is too large (at most 4300)",
        ),
        ('{\n"a": }', "f.json:2: invalid JSON: Expecting value (column 6)"),
        ("[" * 100_000, "f.json:None: invalid JSON: nested too deeply"),
    ],
)
def test_load_json_names_what_is_wrong(text: str, message: str) -> None:
    assert _problem(text) == message


def test_a_jsonl_line_is_named_by_its_line_number() -> None:
    assert _problem('{"n": -' + "1" * 5000 + "}", line=7) == (
        "f.json:7: invalid JSON: an integer of 5000 digits is too large (at most 4300)"
    )


def test_an_integer_at_the_limit_is_read() -> None:
    assert load_json("9" * 4300, "f.json") == int("9" * 4300)


def test_parse_yaml_limit_is_the_callers() -> None:
    text = "a: " + "x" * 2000 + "\n"
    with pytest.raises(FileFormatError) as info:
        parse_yaml(text, "f.yaml", limit=1000)
    assert str(info.value.problems[0].message) == "file is larger than 1000 bytes"
    assert parse_yaml(text, "f.yaml", limit=3000).data == {"a": "x" * 2000}
