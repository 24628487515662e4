"""The Prompt files page shows real output: init, render, the lint example and rule table."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

from promptops.config import ProjectConfig
from promptops.project import Project
from promptops.prompts import lint
from support.docs import page
from support.fixtures import CLI
from support.paths import ROOT

SECTION = page("guide/prompts.md")
BLOCKS = re.findall(r"```text\n(.*?)```", SECTION, flags=re.DOTALL)


def test_rule_table_lists_every_rule() -> None:
    # the tool rules (PO011, PO012) are documented in docs/tools.md, next to the file keys they check
    docs = "".join(p.read_text("utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    for rule in lint.RULES:
        assert f"| {rule.code} | `{rule.slug}` | {rule.severity} | {rule.summary} |" in SECTION + docs


def test_quickstart_output_is_real(cli: CLI, project_dir: Path) -> None:
    init = cli("init")
    assert init.err == BLOCKS[0]
    assert cli("lint").err == "lint: no problems in 2 files\n"
    assert "`promptops lint` prints `lint: no problems in 2 files` and exits 0" in SECTION
    assert cli("render", "order-id", "--example", "0").out == BLOCKS[1]


def test_lint_example_is_real(cli: CLI, project_dir: Path) -> None:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    (project_dir / "prompts" / "support").mkdir(parents=True)
    (project_dir / "prompts" / "support" / "reply.yaml").write_text(
        "name: support/reply\nversion: 1.0.0\nmodel: openai/gpt-4o\ninputs:\n  type: object\n"
        "  properties:\n    question: {type: string}\n    tone: {type: string}\n    audience: {type: string}\n"
        "messages:\n  - {role: user, content: '{{ question }} ({{ tone }})'}\n",
        encoding="utf-8",
    )
    result = cli("lint")
    assert BLOCKS[2] == "$ promptops lint\n" + result.out + result.err
    assert result.code == 1


def test_render_error_examples_are_real(cli: CLI, project_dir: Path) -> None:
    cli("init")
    missing = cli("render", "order-id")
    typo = cli("render", "order-id", "--var", "mesage=hi")
    assert (
        BLOCKS[4]
        == "$ promptops render order-id\n"
        + missing.err
        + "$ promptops render order-id --var mesage=hi\n"
        + typo.err
    )


def test_config_block_shows_the_defaults(project_dir: Path) -> None:
    block = re.search(r"### `promptops.yaml`.*?```yaml\n(.*?)```", SECTION, flags=re.DOTALL)
    assert block
    project_dir.gen({"promptops.yaml": block[1]})
    shown = Project.load(project_dir).config
    assert replace(shown, gate_overrides={}) == ProjectConfig()  # the overrides only record what was written
    keys = {line.split(":")[0] for line in block[1].splitlines() if line and not line.startswith(" ")}
    # tools_dir is documented in docs/tools.md (the README is being cut down; the lead merges its mention)
    assert keys == {f.name for f in fields(ProjectConfig)} - {
        "gate_overrides",
        "rollout_prompts",
        "tools_dir",
    }
