"""environments.yaml: both forms, located errors, deterministic rewrite; the published schemas."""

from __future__ import annotations

import jsonschema
import pytest

from promptops.deploy import environments
from promptops.deploy.environments import Assignment, Canary
from promptops.errors import FileFormatError
from promptops.formats import schema

HINT = "the form is `order-id: 1.3.0` or `order-id: {version: 1.3.0, canary: {version: 1.4.0, percent: 5}}`"


def test_both_forms_parse_with_lines() -> None:
    parsed = environments.parse(
        "production:\n  order-id: 1.3.0\n  summarize: {version: 2.0.0, canary: {version: 2.1.0, percent: 2.5}}\n"
        "staging:\n",
        "environments.yaml",
    )
    assert parsed.names() == ["production", "staging"]
    assert parsed.assignment("production", "order-id") == Assignment(version="1.3.0")
    assert parsed.assignment("production", "order-id").line == 2  # type: ignore[union-attr]
    assert parsed.assignment("production", "summarize") == Assignment(
        version="2.0.0", canary=Canary(version="2.1.0", percent=2.5)
    )
    assert parsed.assignment("staging", "order-id") is None
    assert parsed.references() == [("order-id", "1.3.0"), ("summarize", "2.0.0"), ("summarize", "2.1.0")]


def test_rewrite_is_deterministic_and_round_trips() -> None:
    text = (
        "# a comment that is not kept\nstaging: {b: 1.0.0, a: {version: 1.0.0, canary: {version: 1.1.0, percent: 5}}}\n"
        "production: {}\n"
    )
    parsed = environments.parse(text, "environments.yaml")
    dumped = environments.dump(parsed)
    assert dumped == (
        "# Which prompt version each environment serves: ENV -> PROMPT -> VERSION.\n"
        "# Rewritten by `promptops promote` and `promptops rollback` (comments are not kept).\n"
        "staging:\n  a:\n    version: 1.0.0\n    canary:\n      version: 1.1.0\n      percent: 5\n  b: 1.0.0\n"
        "production: {}\n"
    )
    again = environments.parse(dumped, "environments.yaml")
    assert again == parsed
    assert environments.dump(again) == dumped


def test_an_empty_file_serves_nothing() -> None:
    assert environments.parse("", "environments.yaml").envs == {}
    assert environments.parse("# nothing yet\n", "environments.yaml").references() == []


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("- production\n", ["environments.yaml:1: must be a mapping of ENV -> PROMPT -> VERSION"]),
        ("production: 3\n", ["environments.yaml:1: production: expected a mapping or null, got an integer"]),
        (
            "production:\n  order-id: 1.3\n",
            [
                "environments.yaml:2: production.order-id: 1.3 is a number; write the full version as a string, "
                "MAJOR.MINOR.PATCH"
            ],
        ),
        (
            "production:\n  order-id: v1.3.0\n",
            [
                "environments.yaml:2: production.order-id: 'v1.3.0' is not a semantic version (MAJOR.MINOR.PATCH)"
            ],
        ),
        (
            "production:\n  order-id: {version: 1.3.0, percent: 5}\n",
            [
                "environments.yaml:2: production.order-id.percent: `percent` belongs to a canary with its own "
                "version: write {version: 1.3.0, canary: {version: 1.4.0, percent: 5}}"
            ],
        ),
        (
            "production:\n  order-id:\n    version: 1.3.0\n    canary: {version: 1.4.0, percent: 0}\n",
            [
                "environments.yaml:4: production.order-id.canary.percent: 0 is less than or equal to the minimum of 0"
            ],
        ),
        (
            "production:\n  order-id:\n    version: 1.3.0\n    canary: {version: 1.3.0, percent: 5}\n",
            [
                "environments.yaml:4: production.order-id.canary.version: the canary serves the same version as the "
                "environment"
            ],
        ),
        (
            "production:\n  order-id: {versoin: 1.3.0}\n",
            [
                "environments.yaml:2: production.order-id: missing required key 'version'",
                "environments.yaml:2: production.order-id.versoin: unknown key; expected one of: canary, version",
            ],
        ),
        (
            "Prod Env:\n  Order_ID: 1.0.0\n",
            [
                "environments.yaml:1: Prod Env: not a valid environment name",
                "environments.yaml:2: Prod Env.Order_ID: not a valid prompt name",
            ],
        ),
        (
            "production:\n  order-id: 1.0.0\n  order-id: 1.1.0\n",
            ["environments.yaml:3: production.order-id: duplicate key (first defined on line 2)"],
        ),
    ],
)
def test_invalid_files_are_located(text: str, lines: list[str]) -> None:
    with pytest.raises(FileFormatError) as caught:
        environments.parse(text, "environments.yaml")
    assert caught.value.lines() == lines


def test_every_problem_carries_the_form_hint() -> None:
    with pytest.raises(FileFormatError) as caught:
        environments.parse("production:\n  order-id: 1.3\n", "environments.yaml")
    assert caught.value.hint == HINT


@pytest.mark.parametrize("name", ["environments", "bundle"])
def test_published_schemas_are_valid_json_schemas(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))
