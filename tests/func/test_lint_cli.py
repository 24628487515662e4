"""`promptops lint`: output formats (golden files), exit codes, path selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.fixtures import CLI, GitRepo
from support.golden import check_golden
from support.paths import ROOT
from support.tmpdir import TmpDir

PINNED = "openai/gpt-4o-mini-2024-07-18"

MIXED = {
    "promptops.yaml": "version: 1\n",
    "prompts/ok.yaml": f"""\
        name: ok
        version: 1.0.0
        model: {PINNED}
        messages: [{{role: user, content: Hello}}]
        """,
    "prompts/support/reply.yaml": """\
        name: support/answer
        version: 1.2.0
        model: openai/gpt-4o
        inputs:
          type: object
          properties:
            question: {type: string}
            tone: {type: string}
            audience: {type: string}
        messages:
          - role: system
            content: |
              Answer politely, in a {{ tone }} tone.
          - role: user
            content: "Customer {{ customer }} asks: {{ question }}, 100%"
        """,
    "prompts/broken.yaml": """\
        name: broken
        version: 1.0
        model: openai/gpt-4o-mini-2024-07-18
        messages: [{role: user, content: Hi}, {role: bot, content: Hi}]
        """,
    "prompts/syntax.yaml": """\
        name: syntax
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - role: user
            content: |
              First line
              {{ message }
        """,
}


def write(root: Path, files: dict[str, str]) -> None:
    TmpDir(root).gen(files, dedent=True)


def test_fresh_init_project_lints_clean(cli: CLI, project_dir: Path) -> None:
    assert cli("init").code == 0
    result = cli("lint")
    assert (result.code, result.out) == (0, "")
    assert result.err == "lint: no problems in 2 files\n"


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_findings_in_each_format_match_golden(cli: CLI, project_dir: Path, fmt: str) -> None:
    write(project_dir, MIXED)
    result = cli("lint", "--format", fmt)
    assert result.code == 1
    check_golden(f"lint/mixed.{fmt}", result.out)
    assert result.err == "lint: 6 errors, 1 warning in 5 files\n"
    assert "Traceback" not in result.err


def test_json_is_stable_and_parseable(cli: CLI, project_dir: Path) -> None:
    from promptops.formats import schema, validate_data

    write(project_dir, MIXED)
    data = json.loads(cli("lint", "--format", "json").out)
    assert validate_data(data, schema("lint")) == []
    assert data["schema_version"] == 1
    assert data["summary"] == {"errors": 6, "warnings": 1, "files": 5}
    assert data["files"] == [
        "promptops.yaml",
        "prompts/broken.yaml",
        "prompts/ok.yaml",
        "prompts/support/reply.yaml",
        "prompts/syntax.yaml",
    ]
    assert set(data["findings"][0]) == {"code", "slug", "severity", "file", "line", "message", "hint"}


def test_warnings_alone_exit_zero(cli: CLI, project_dir: Path) -> None:
    write(
        project_dir,
        {
            "promptops.yaml": "version: 1\n",
            "prompts/a.yaml": f"""\
        name: a
        version: 1.0.0
        model: {PINNED}
        inputs: {{type: object, properties: {{unused: {{type: string}}}}}}
        messages: [{{role: user, content: Hello}}]
        """,
        },
    )
    result = cli("lint")
    assert result.code == 0
    assert result.out == (
        "prompts/a.yaml:4: warning PO004 unused-input: input 'unused' is declared in inputs but no template uses it\n"
    )
    assert result.err == "lint: 0 errors, 1 warning in 2 files\n"


def test_explicit_file_and_directory(cli: CLI, project_dir: Path) -> None:
    write(project_dir, MIXED)
    result = cli("lint", "prompts/ok.yaml")
    assert (result.code, result.out, result.err) == (0, "", "lint: no problems in 1 file\n")
    result = cli("lint", "prompts/support")
    assert result.code == 1
    assert result.out.splitlines()[0].startswith("prompts/support/reply.yaml:1: error PO005 name-mismatch:")
    assert "prompts/broken.yaml" not in result.out


def test_project_root_as_path_lints_prompts_only(cli: CLI, project_dir: Path) -> None:
    write(project_dir, MIXED)
    write(project_dir, {"evals/suite.yaml": "prompt: ok\n"})
    whole = cli("lint")
    assert cli("lint", ".").out == whole.out
    assert "evals/" not in whole.out


def test_explicit_file_still_sees_duplicates_elsewhere(cli: CLI, project_dir: Path) -> None:
    body = f"version: 1.0.0\nmodel: {PINNED}\nmessages: [{{role: user, content: Hi}}]\n"
    write(
        project_dir,
        {
            "promptops.yaml": "version: 1\n",
            "prompts/a.yaml": "name: a\n" + body,
            "prompts/b.yaml": "name: a\n" + body,
        },
    )
    result = cli("lint", "prompts/a.yaml")
    assert result.code == 1
    assert (
        result.out
        == "prompts/a.yaml:1: error PO006 duplicate-name: name 'a' is also declared in prompts/b.yaml\n"
    )


def test_bare_noqa_suppresses_every_rule_on_its_line(cli: CLI, project_dir: Path) -> None:
    write(
        project_dir,
        {
            "promptops.yaml": "version: 1\n",
            "prompts/a.yaml": """\
        name: a
        version: 1.0.0
        model: gpt-4o  # noqa
        messages: [{role: user, content: Hi}]
        """,
        },
    )
    assert cli("lint").code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "error: missing.yaml: no such file or directory\n"),
        (
            ["evals/x.yaml"],
            "error: evals/x.yaml: not a prompt file (not below prompts/)\n"
            "hint: lint checks prompt files and promptops.yaml\n",
        ),
        (
            ["evals"],
            "error: evals: not a prompt file (not below prompts/)\n"
            "hint: lint checks prompt files and promptops.yaml\n",
        ),
        (["--format", "xml"], "error: --format 'xml': expected text, json or github\n"),
    ],
)
def test_usage_errors_exit_2(cli: CLI, project_dir: Path, args: list[str], message: str) -> None:
    write(project_dir, {"promptops.yaml": "version: 1\n", "evals/x.yaml": "prompt: a\n"})
    result = cli("lint", *args)
    assert (result.code, result.out, result.err) == (2, "", message)


def test_outside_a_project_exit_2(cli: CLI, project_dir: Path) -> None:
    result = cli("lint")
    assert result.code == 2
    assert result.err == (
        f"error: no promptops.yaml found in {project_dir.resolve()} or any parent directory\n"
        "hint: run `promptops init` to create a project\n"
    )


def test_explicit_promptops_yaml_is_linted(cli: CLI, project_dir: Path) -> None:
    write(project_dir, {"promptops.yaml": "version: 1\nprompts_dir: 3\n"})
    result = cli("lint", "promptops.yaml")
    assert result.code == 1
    assert (
        result.out == "promptops.yaml:2: error PO001 schema: prompts_dir: expected a string, got an integer\n"
    )


def test_github_paths_are_relative_to_the_repository(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    project = repo.root / "services" / "bot"
    write(
        project,
        {
            "promptops.yaml": "version: 1\n",
            "prompts/a.yaml": """\
        name: a
        version: 1.0.0
        model: gpt-4o-mini
        messages: [{role: user, content: Hi}]
        """,
        },
    )
    monkeypatch.chdir(project)
    result = cli("lint", "--format", "github")
    assert result.code == 1
    assert result.out == (
        "::error file=services/bot/prompts/a.yaml,line=3,title=PO007 floating-model::"
        "model: 'gpt-4o-mini' is a floating alias (hint: pin a dated snapshot: gpt-4o-mini-2024-07-18)\n"
    )


def test_github_annotation_escapes_data_and_properties() -> None:
    from promptops.cli.prompts import github_annotation
    from promptops.prompts.finding import Finding

    finding = Finding(
        code="PO001",
        slug="schema",
        severity="error",
        file="prompts/a,b:c.yaml",
        line=None,
        message="100% wrong\nsecond line",
    )
    assert github_annotation(finding) == (
        "::error file=prompts/a%2Cb%3Ac.yaml,title=PO001 schema::100%25 wrong%0Asecond line"
    )


def test_this_repositorys_own_registry_lints_clean(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    root = ROOT
    monkeypatch.chdir(root)
    result = cli("lint", "--format", "json")
    assert result.code == 0, result.out
    data = json.loads(result.out)
    assert data["summary"]["errors"] == 0
    assert "prompts/commit-kind.yaml" in data["files"]
    rendered = cli("render", "commit-kind", "--example", "0")
    assert rendered.code == 0, rendered.err
