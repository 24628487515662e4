"""The bad-input corpus (tests/fixtures/bad/): each file gives one exact error, exit 2, no traceback.

Prompt files are rendered from prompts/NAME.yaml; `config-*` files stand in for promptops.yaml.
`lint` reports the same problems as findings (exit 1) instead of stopping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from support.fixtures import CLI, run_subprocess
from support.paths import TESTS

BAD = TESTS / "fixtures" / "bad"
UNKNOWN_KEYS = (
    "config, config_schema, description, examples, fallbacks, inputs, messages, model, name, output, owner, "
    "params, tags, tool_choice, tools, version"
)

EXPECTED: dict[str, str] = {
    "alias-bomb": "alias-bomb.yaml:2: YAML aliases (*name) are not allowed",
    "bad-jinja": "bad-jinja.yaml:8: template syntax error: Unexpected end of template. Jinja was looking for the "
    "following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
    "bad-inputs-schema": "bad-inputs-schema.yaml:7: inputs.properties.x.type: unknown type 'strin'; expected one of: "
    "array, boolean, integer, null, number, object, string\n"
    'bad-inputs-schema.yaml:8: inputs.properties.y.pattern: invalid regular expression "[unclosed"\n'
    "bad-inputs-schema.yaml:9: inputs.properties.z.minLength: not a valid JSON Schema: "
    "-1 is less than the minimum of 0\n"
    "bad-inputs-schema.yaml:12: output.schema.required: not a valid JSON Schema: "
    "'x' is not of type 'array'",
    "bad-role": 'bad-role.yaml:5: messages[0].role: must be one of: "system", "user", "assistant", "tool"',
    "bad-semver": "bad-semver.yaml:2: version: 1.2 is not a semantic version (MAJOR.MINOR.PATCH); "
    "write it as a quoted string",
    "bad-semver-string": "bad-semver-string.yaml:2: version: 'v1.2.0' is not a semantic version (MAJOR.MINOR.PATCH)",
    "comments-only": "comments-only.yaml:1: file is empty; a prompt needs name, version, model and messages",
    "complex-key": "complex-key.yaml:4: keys must be plain scalars",
    "deep-nesting": "deep-nesting.yaml:2: nested more than 64 levels deep",
    "deep-template": "deep-template.yaml:6: template is nested or recurses too deeply",
    "duplicate-key": "duplicate-key.yaml:6: model: duplicate key (first defined on line 3)",
    "empty": "empty.yaml:1: file is empty; a prompt needs name, version, model and messages",
    "empty-messages": "empty-messages.yaml:4: messages: [] should be non-empty",
    "huge-int": "huge-int.yaml:4: params.seed: number is too long",
    "infinite": "infinite.yaml:4: params.temperature: numbers must be finite",
    "list": "list.yaml:1: a prompt file must be a mapping of keys, got a list",
    "merge-key": "merge-key.yaml:5: params: merge keys (<<) are not allowed",
    "missing-keys": "missing-keys.yaml:1: missing required key 'version'\n"
    "missing-keys.yaml:1: missing required key 'model'\n"
    "missing-keys.yaml:1: missing required key 'messages'",
    "multi-doc": "multi-doc.yaml:6: expected a single YAML document, found a second one (---)",
    "non-utf8": "non-utf8.yaml:4: not valid UTF-8 (byte 0xe9)",
    "nul-byte": "nul-byte.yaml:4: control character U+0000 is not allowed in YAML",
    "python-tag": "python-tag.yaml:4: description: unsupported YAML tag '!!python/object/apply:os.system'",
    "scalar": "scalar.yaml:1: a prompt file must be a mapping of keys, got a single value",
    "tabs": "tabs.yaml:5: tab characters are not allowed in YAML indentation; use spaces",
    "unclosed-quote": "unclosed-quote.yaml:6: invalid YAML: quoted string opened on line 5 is never closed",
    "unknown-key": f"unknown-key.yaml:4: temprature: unknown key; expected one of: {UNKNOWN_KEYS}",
    "wrong-type": "wrong-type.yaml:4: messages: expected a list, got a string",
    "config-bad-gate": 'promptops.yaml:3: gate.decision: must be one of: "evidence", "threshold", "statistical"\n'
    "promptops.yaml:4: gate.max_score_drop: -1 is less than the minimum of 0",
    "config-list": "promptops.yaml:1: must be a mapping with at least `version: 1`",
    "config-unknown-key": "promptops.yaml:2: prompt_dir: unknown key; expected one of: baselines_dir, budgets, "
    "defaults, environments_file, evals_dir, gate, prices, prompts_dir, rollout, runs, "
    "tag_format, tools_dir, traffic, version",
    "config-version-2": "promptops.yaml:1: version: must be 1",
}


def _expected_lines(name: str) -> list[str]:
    prefix = "" if name.startswith("config-") else "prompts/"
    return [prefix + line for line in EXPECTED[name].splitlines()]


def _install(root: Path, name: str) -> None:
    (root / "prompts").mkdir()
    if name.startswith("config-"):
        shutil.copyfile(BAD / f"{name}.yaml", root / "promptops.yaml")
    else:
        (root / "promptops.yaml").write_text("version: 1\n", encoding="utf-8")
        shutil.copyfile(BAD / f"{name}.yaml", root / "prompts" / f"{name}.yaml")


def test_corpus_is_complete() -> None:
    assert sorted(p.stem for p in BAD.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_render_stops_with_the_exact_error(cli: CLI, project_dir: Path, name: str) -> None:
    _install(project_dir, name)
    result = cli("render", name)
    assert result.code == 2
    assert result.out == ""
    assert result.err == "".join(f"error: {line}\n" for line in _expected_lines(name))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lint_reports_the_same_problem(cli: CLI, project_dir: Path, name: str) -> None:
    _install(project_dir, name)
    result = cli("lint")
    assert result.code == 1
    assert "Traceback" not in result.err
    code = "PO002 template-syntax: messages[0].content:" if name == "bad-jinja" else "PO001 schema:"
    want = []
    for line in _expected_lines(name):
        where, line_no, what = line.split(":", 2)
        want.append(f"{where}:{line_no}: error {code}{what}")
    if name == "deep-template":
        want = [
            "prompts/deep-template.yaml:6: error PO002 template-syntax: messages[0].content: "
            "template syntax error: expressions are nested too deeply"
        ]
    assert sorted(result.out.splitlines()) == sorted(want)


@pytest.mark.parametrize("name", ["alias-bomb", "deep-nesting", "non-utf8", "config-list"])
def test_no_traceback_in_a_real_process(project_dir: Path, name: str) -> None:
    _install(project_dir, name)
    result = run_subprocess("render", name, cwd=project_dir, env=dict(os.environ))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err == "".join(f"error: {line}\n" for line in _expected_lines(name))


def test_oversized_file(cli: CLI, project_dir: Path) -> None:
    _install(project_dir, "empty")
    (project_dir / "prompts" / "big.yaml").write_text("# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    result = cli("render", "big")
    assert (result.code, result.err) == (2, "error: prompts/big.yaml: file is larger than 1000000 bytes\n")
    assert "prompts/big.yaml: error PO001 schema: file is larger than 1000000 bytes" in cli("lint").out


def test_too_many_values_stop_early(cli: CLI, project_dir: Path) -> None:
    _install(project_dir, "empty")
    (project_dir / "prompts" / "many.yaml").write_text(
        "examples: [" + "{}, " * 60_000 + "]\n", encoding="utf-8"
    )
    result = cli("render", "many")
    assert (result.code, result.err) == (
        2,
        "error: prompts/many.yaml:1: more than 50000 values in one file\n",
    )


def test_directory_where_a_file_is_expected(cli: CLI, project_dir: Path) -> None:
    _install(project_dir, "empty")
    (project_dir / "prompts" / "folder.yaml").mkdir()
    result = cli("render", "folder")
    assert (result.code, result.err) == (2, "error: prompts/folder.yaml: is a directory, expected a file\n")
    (project_dir / "prompts" / "ok.yaml").write_text(
        "name: ok\nversion: 1.0.0\nmodel: m\nmessages: [{role: user, content: hi}]\n", encoding="utf-8"
    )
    (project_dir / "vars").mkdir()
    result = cli("render", "ok", "--vars-file", "vars")
    assert (result.code, result.err) == (2, "error: vars: is a directory, expected a file\n")


def test_config_that_is_a_directory(cli: CLI, project_dir: Path) -> None:
    (project_dir / "promptops.yaml").mkdir()
    result = cli("lint")
    assert (result.code, result.err) == (
        2,
        f"error: {project_dir.resolve()}/promptops.yaml: is a directory, expected a file\n",
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_not_read(cli: CLI, project_dir: Path) -> None:
    _install(project_dir, "empty")
    os.mkfifo(project_dir / "prompts" / "pipe.yaml")
    result = cli("render", "pipe")
    assert (result.code, result.err) == (2, "error: prompts/pipe.yaml: is not a regular file\n")
