"""The post-merge release workflow template, run step by step on a clone with a local origin."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.fixtures import GitRepo
from support.paths import ROOT
from support.workflow_runner import load_job, run_job, runner_env

TEMPLATE = ROOT / "src" / "promptops" / "templates" / "workflows"
PROMPT = """\
name: {name}
version: {version}
model: openai/gpt-4o-mini-2024-07-18
messages:
  - {{role: user, content: "Say hi to {{{{ who }}}}"}}
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_release_tags_new_versions_and_pushes_only_those(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    repo = GitRepo(tmp_path / "work")
    repo.commit(
        {
            "promptops.yaml": "version: 1\n",
            "prompts/a.yaml": PROMPT.format(name="a", version="1.0.0"),
            "prompts/b.yaml": PROMPT.format(name="b", version="2.1.0"),
        },
        "prompts",
    )
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    job = load_job(TEMPLATE / "promptops-release.yml", "release")
    context = {"github": {"token": "ghs_release-token"}}

    def run() -> str:
        result = run_job(
            job,
            cwd=repo.root,
            context=context,
            base_env=runner_env(tmp_path),
            work=tmp_path,
            skip=frozenset({"Install promptops"}),
        )
        assert result.code == 0, result.steps[-1].err
        step = result.step("Tag new prompt versions")
        assert "ghs_release-token" not in step.out + step.err + result.summary
        return step.out + result.summary

    first = run()
    assert _git(origin, "tag", "--list").split() == ["prompts/a/v1.0.0", "prompts/b/v2.1.0"]
    assert "### promptops: tagged\n\n- prompts/a/v1.0.0\n- prompts/b/v2.1.0\n" in first

    repo.commit({"prompts/a.yaml": PROMPT.format(name="a", version="1.1.0")}, "bump a")
    repo.git("push", "-q", "origin", "main")
    second = run()
    assert _git(origin, "tag", "--list").split() == [
        "prompts/a/v1.0.0",
        "prompts/a/v1.1.0",
        "prompts/b/v2.1.0",
    ]
    assert "- prompts/a/v1.1.0\n" in second and "v2.1.0" not in second.split("tagged")[-1]

    third = run()
    assert "No new prompt versions to tag." in third
