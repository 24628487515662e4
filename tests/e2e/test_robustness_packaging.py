"""Every install instruction works today: no `pip install promptops-cli` from an index it is not on;
the release workflow builds, checks and publishes with trusted publishing; the pre-commit hook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import promptops
from support.paths import ROOT

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
GIT_INSTALL = 'python -m pip install "promptops-cli @ git+https://github.com/promptops/promptops-cli@v${PROMPTOPS_VERSION}"'


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def shipped_texts() -> dict[str, str]:
    files = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        ROOT / "action.yml",
        *sorted((ROOT / "src").rglob("*.py")),
        *sorted((ROOT / "src" / "promptops" / "templates").rglob("*.yml")),
    ]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}


def test_nothing_installs_promptops_cli_from_an_index_it_is_not_on() -> None:
    # `pip install promptops-cli`, `"promptops-cli==X"` or `"promptops-cli[local]"` as a command
    index_install = re.compile(
        r"pip install[^\n`]*?\"?promptops-cli(\[\w+\])?(==[^\s\"]+)?\"?(?!\s*@)(\s|$|`)"
    )
    for name, text in shipped_texts().items():
        for line in text.splitlines():
            said_as_future = any(w in line.lower() for w in ("once", "fails", "does the same"))
            if index_install.search(line) and not said_as_future:
                raise AssertionError(f"{name}: {line.strip()}")


def test_the_workflows_and_the_action_install_from_the_release_tag() -> None:
    for path in (
        ROOT / "src/promptops/templates/workflows/promptops.yml",
        ROOT / "src/promptops/templates/workflows/promptops-release.yml",
        ROOT / "action.yml",
    ):
        assert GIT_INSTALL in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("doc", ["README.md", "docs/guide/getting-started.md"])
def test_the_install_section_names_the_three_ways_to_install(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    section = text.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    assert "pip install -c constraints.txt ." in section
    assert (
        f'pip install "promptops-cli @ git+https://github.com/promptops/promptops-cli@v{promptops.__version__}"'
        in section
    )
    assert f"pip install dist/promptops_cli-{promptops.__version__}-py3-none-any.whl" in section


def test_the_release_workflow_builds_checks_and_publishes_with_trusted_publishing() -> None:
    workflow = _load(RELEASE)
    on = workflow.get("on", workflow.get(True))
    assert on == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build" in runs and "twine check --strict dist/*" in runs
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no password: trusted publishing


def test_pre_commit_hook_runs_promptops_lint() -> None:
    (hook,) = _load(ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "promptops-lint" and hook["entry"] == "promptops lint"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("prompts/order-id.yaml") and pattern.search("promptops.yaml")
    assert not pattern.search("evals/order-id.yaml")
