"""The publish workflow template, its `run:` steps run on a real repository: every environment published."""

from __future__ import annotations

import json
from pathlib import Path

from promptops.channel import pointer, signing
from support import releases
from support.fixtures import GitRepo
from support.paths import ROOT
from support.workflow_runner import load_job, run_job, runner_env

TEMPLATE = ROOT / "src" / "promptops" / "templates" / "workflows" / "promptops-publish.yml"


def test_publish_signs_every_environment_into_the_site_folder(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "work")
    releases.start_project(repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(repo, version)
    repo.commit(
        {"environments.yaml": "production:\n  order-id: 1.0.0\nstaging:\n  order-id: 1.1.0\n"}, "serve"
    )
    keys = signing.generate()
    job = load_job(TEMPLATE, "publish")
    assert set(job["permissions"]) == {
        "contents"
    }  # the signing job cannot deploy; deploy cannot read the key
    context = {"secrets": {"PROMPTOPS_SIGNING_KEY": keys.private_pem}}
    result = run_job(
        job,
        cwd=repo.root,
        context=context,
        base_env=runner_env(tmp_path),
        work=tmp_path,
        skip=frozenset({"Install promptops"}),
    )
    assert result.code == 0, result.steps[-1].err
    assert "### promptops: published\n\n- production\n- staging\n" in result.summary
    step = result.step("Publish every environment")
    assert "PRIVATE KEY" not in step.out + step.err + result.summary
    for env, version in (("production", "1.0.0"), ("staging", "1.1.0")):
        found = pointer.parse((repo.root / "site" / "channels" / f"{env}.json").read_bytes())
        assert found.payload.env == env
        assert signing.verify(keys.public_pem, pointer.canonical(found.payload), found.signature)
        bundle = json.loads((repo.root / "site" / "bundles" / f"{found.payload.digest}.json").read_text())
        assert bundle["environments"][env]["order-id"]["version"] == version
