"""ci.yml runs what .ci/run runs; docs.yml builds the site strict and publishes it to GitHub Pages.
(actionlint, zizmor and the SHA pins of these workflows are checked in test_workflows.py.)"""

from __future__ import annotations

from typing import Any

import yaml

from support.paths import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_ci_runs_the_project_ci_script_with_the_local_model_and_chromium() -> None:
    job = _load("ci.yml")["jobs"]["ci-run"]
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs == ["bash .ci/run"]
    python = next(s for s in job["steps"] if "setup-python" in s.get("uses", ""))
    assert python["with"]["python-version"] == "3.11"  # the version constraints.txt is resolved for
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make .venv/.promptops-local" in script  # the local model
    assert "chromium" in script and "PROMPTOPS_BROWSER_REQUIRED=1" in script
    assert script.rstrip().endswith("make test")


def test_docs_workflow_builds_strict_and_deploys_to_pages() -> None:
    workflow = _load("docs.yml")
    on = workflow.get("on", workflow.get(True))
    assert on["push"] == {"branches": ["main"]}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert [s["run"] for s in build["steps"] if "run" in s] == ["make docs"]
    upload = build["steps"][-1]
    assert (
        upload["uses"].startswith("actions/upload-pages-artifact@") and upload["with"]["path"] == "build/site"
    )
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "mkdocs build --strict --site-dir build/site" in makefile
