"""actionlint and zizmor over every workflow, template and action this project ships; their shape."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import promptops
from promptops.prompts import working
from support.paths import ROOT

TEMPLATES = ROOT / "src" / "promptops" / "templates" / "workflows"
PR_TEMPLATE = TEMPLATES / "promptops.yml"
RELEASE_TEMPLATE = TEMPLATES / "promptops-release.yml"
CANARY_TEMPLATE = TEMPLATES / "promptops-canary.yml"
PUBLISH_TEMPLATE = TEMPLATES / "promptops-publish.yml"
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted([*TEMPLATES.glob("*.yml"), *(ROOT / ".github" / "workflows").glob("*.yml")])
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is not installed: `pip install -e '.[dev]'`"
    return found


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(on, dict)
    return on


def _uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for value in node.values() for u in _uses(value)]
    if isinstance(node, list):
        return [u for item in node for u in _uses(item)]
    return []


def test_every_workflow_is_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in WORKFLOWS}
    assert names == {
        ".github/workflows/ci.yml",
        ".github/workflows/docs.yml",
        ".github/workflows/dogfood.yml",
        ".github/workflows/release.yml",
        "src/promptops/templates/workflows/promptops.yml",
        "src/promptops/templates/workflows/promptops-release.yml",
        "src/promptops/templates/workflows/promptops-canary.yml",
        "src/promptops/templates/workflows/promptops-publish.yml",
    }


def _actionlint(*args: str) -> list[str]:
    # shellcheck from the dev extra, not whatever is on PATH: the same findings here and on CI runners
    return [_tool("actionlint"), "-no-color", f"-shellcheck={_tool('shellcheck')}", "-pyflakes=", *args]


def test_actionlint_finds_nothing() -> None:
    proc = subprocess.run(
        _actionlint(*map(str, WORKFLOWS)), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


def test_actionlint_runs_shellcheck_over_run_scripts(tmp_path: Path) -> None:
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "on: push\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo $HOME\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        _actionlint("-oneline", str(workflow)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1 and "SC2086" in proc.stdout


def test_shellcheck_finds_nothing_in_the_composite_action(tmp_path: Path) -> None:
    # actionlint does not look inside a composite action's scripts; shellcheck them directly.
    steps = [s for s in _load(ACTION)["runs"]["steps"] if "run" in s]
    assert len(steps) == 6
    for index, step in enumerate(steps):
        assert step["shell"] == "bash" and "${{" not in step["run"], step["name"]  # inputs go through env
        script = tmp_path / f"step{index}.sh"
        script.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + step["run"], encoding="utf-8")
        proc = subprocess.run(
            [_tool("shellcheck"), "-f", "gcc", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (proc.returncode, proc.stdout) == (0, ""), step["name"]


def test_actionlint_checks_a_workflow_calling_the_composite_action(tmp_path: Path) -> None:
    # actionlint reads a local action's metadata when a workflow uses it: inputs, outputs, defaults.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "gate.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: pull_request\n"
        "permissions: {contents: read, pull-requests: write}\n"
        "jobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ./\n        id: gate\n"
        "        with: {suites: order-id, changed-only: 'false', base-ref: main, python-version: '3.12',\n"
        "               promptops-version: 0.1.0, comment: 'false', evaluate-forks: 'false',\n"
        "               working-directory: ., github-token: x}\n"
        '      - run: echo "$V $P $C"\n'
        "        env: {V: '${{ steps.gate.outputs.verdict }}', P: '${{ steps.gate.outputs.report-path }}',\n"
        "              C: '${{ steps.gate.outputs.exit-code }}'}\n"
        "      - uses: ./\n        with: {no-such-input: x}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        _actionlint("-oneline", str(workflow)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The deliberate mistake proves the metadata was read; nothing else is reported.
    assert proc.returncode == 1
    assert [line.split(": ", 1)[1] for line in proc.stdout.splitlines()] == [
        'input "no-such-input" is not defined in action "promptops eval gate" defined at "./". '
        'available inputs are "base-ref", "changed-only", "comment", "evaluate-forks", "github-token", '
        '"promptops-version", "python-version", "suites", "working-directory" [action]'
    ]


def test_zizmor_finds_nothing() -> None:
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", *map(str, WORKFLOWS), str(ACTION)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
    assert "No findings to report." in proc.stdout


def test_every_action_is_pinned_by_commit_sha() -> None:
    for path in [*WORKFLOWS, ACTION]:
        for uses in _uses(_load(path)):
            assert uses == "./" or SHA_PIN.match(uses), f"{path.name}: {uses}"


def test_the_templates_and_the_action_pin_this_promptops_version() -> None:
    for path in (PR_TEMPLATE, RELEASE_TEMPLATE, CANARY_TEMPLATE):
        env = next(iter(_load(path)["jobs"].values()))["env"]
        assert env["PROMPTOPS_VERSION"] == promptops.__version__, path.name
    assert _load(ACTION)["inputs"]["promptops-version"]["default"] == promptops.__version__


def test_the_pull_request_workflow_has_the_gate_shape() -> None:
    workflow = _load(PR_TEMPLATE)
    assert _triggers(workflow) == {"pull_request": None, "merge_group": None}  # no paths filter
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = job["steps"]
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".promptops/cache"
    commands = [re.findall(r"^\s*promptops (\w+)", s.get("run", ""), re.MULTILINE) for s in steps]
    assert [c for c in commands if c] == [["lint"], ["eval"], ["report"], ["comment", "comment"]]
    assert 'exit "$EVAL_EXIT"' in steps[-1]["run"]
    assert set(steps[-2]["env"]) == {"GITHUB_TOKEN", "REPORT", "EVAL_EXIT"}


def test_no_workflow_runs_pull_request_code_with_a_privileged_trigger() -> None:
    for path in WORKFLOWS:
        triggers = _triggers(_load(path))
        assert "pull_request_target" not in triggers and "workflow_run" not in triggers, path.name
        for event in ("pull_request", "merge_group"):
            assert not set(triggers.get(event) or {}) & {"paths", "paths-ignore"}, path.name


def test_the_release_workflow_tags_after_a_merge_only() -> None:
    workflow = _load(RELEASE_TEMPLATE)
    assert _triggers(workflow) == {"push": {"branches": ["main"]}}
    job = workflow["jobs"]["release"]
    assert job["permissions"] == {"contents": "write"}
    assert job["steps"][0]["with"]["persist-credentials"] is False
    assert "promptops release" in job["steps"][-1]["run"]


def test_the_canary_workflow_judges_on_a_schedule_and_opens_a_pull_request() -> None:
    workflow = _load(CANARY_TEMPLATE)
    assert set(_triggers(workflow)) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["canary"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert job["steps"][0]["with"]["persist-credentials"] is False
    last = job["steps"][-1]["run"]
    assert 'promptops canary analyze "$prompt" --env "$env" --format markdown --apply' in last
    assert "gh pr create" in last and "promptops status --format json" in last


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12", "3.13"])
def test_ci_tests_every_supported_python(version: str) -> None:
    job = _load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["test"]
    assert version in job["strategy"]["matrix"]["python-version"]
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs[-1] == "make test"
    assert "make install" in runs[0]
    # the pinned set needs Python >= 3.11; 3.10 resolves afresh instead of failing at install
    assert "make install CONSTRAINTS=" in runs[0]


def test_init_writes_the_workflows_and_they_lint_clean_in_the_new_project(cli, project_dir: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project_dir, check=True)
    result = cli("init")
    assert result.code == 0, result.err
    assert "wrote .github/workflows/promptops.yml\n" in result.err
    assert "wrote .github/workflows/promptops-release.yml\n" in result.err
    written = project_dir / ".github" / "workflows"
    assert (written / "promptops.yml").read_bytes() == PR_TEMPLATE.read_bytes()
    assert (written / "promptops-release.yml").read_bytes() == RELEASE_TEMPLATE.read_bytes()
    assert (written / "promptops-canary.yml").read_bytes() == CANARY_TEMPLATE.read_bytes()
    assert (written / "promptops-publish.yml").read_bytes() == PUBLISH_TEMPLATE.read_bytes()
    lint = subprocess.run(
        _actionlint(), cwd=project_dir, capture_output=True, text=True, timeout=120, check=False
    )
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")
    audit = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", "."],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout
    assert "No findings to report." in audit.stdout


def test_the_dogfood_project_is_valid_and_its_baseline_matches_its_suite(cli, monkeypatch) -> None:
    from promptops.evals import baselines as baseline
    from promptops.evals.suites import load_suites
    from promptops.project import Project

    monkeypatch.chdir(ROOT)
    result = cli("lint")
    assert result.code == 0, result.out + result.err
    project = Project.load(ROOT)
    suites = load_suites(project)
    assert [s.prompt for s in suites] == ["commit-kind"]
    assert (
        working.load_prompt(project, "commit-kind").model == "local/smollm2-135m-instruct"
    )  # no secrets needed
    for suite in suites:
        stored = baseline.read(project, suite.name)
        assert stored is not None, f"commit a baseline: promptops baseline update {suite.name}"
        assert (stored.provenance.dataset_hash, stored.provenance.scorers_hash) == (
            suite.dataset_hash,
            suite.scorers_hash,
        ), f"the baseline of {suite.name} is stale"
