"""promote, rollback and status on real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptops.evals import baselines, results
from support import releases
from support.fixtures import CLI, GitRepo

HEADER = (
    "# Which prompt version each environment serves: ENV -> PROMPT -> VERSION.\n"
    "# Rewritten by `promptops promote` and `promptops rollback` (comments are not kept).\n"
)


def envs_file(repo: GitRepo) -> str:
    return (repo.root / "environments.yaml").read_text(encoding="utf-8")


def suite(gate: str = "{}") -> dict[str, str]:
    return {
        "evals/order-id.yaml": (
            "prompt: order-id\n"
            "cases:\n  - {id: c000, vars: {message: 'Where is ORD-1?'}, expected: ORD-1}\n"
            "scorers:\n  - {type: equals, expected: '{{ expected }}'}\n"
            f"gate: {gate}\n"
        )
    }


def commit_baseline(repo: GitRepo, version: str, scores: list[float]) -> None:
    text = baselines.to_json(releases.baseline(version, scores))
    repo.commit({"evals/baselines/order-id.json": text}, f"baseline from {version}")


def test_promote_refuses_a_version_without_a_tag(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0", tag=False)
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force")
    assert result.code == 2
    assert result.err == (
        "error: order-id@1.0.0 is not released: there is no tag prompts/order-id/v1.0.0\n"
        "hint: release it first with `promptops release order-id` (and push the tag), "
        "or fetch the tags with `git fetch --tags`\n"
    )
    assert not (git_repo.root / "environments.yaml").exists()


def test_promote_refuses_a_version_without_a_passing_gate_result(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    result = cli("promote", "order-id@1.0.0", "--env", "production")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "error: order-id@1.0.0 has no passing gate result; refusing to promote it to production\n"
        "hint: run `promptops eval order-id@1.0.0` (its gate must pass) or commit a baseline produced by "
        "it with `promptops baseline update`; --force promotes anyway\n"
    )
    assert "Traceback" not in result.err
    assert not (git_repo.root / "environments.yaml").exists()


def test_force_promotes_with_a_warning_and_prints_the_git_commands(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force")
    assert result.code == 0
    assert result.err == (
        "warning: promoting order-id@1.0.0 to production without a passing gate result (--force)\n"
        "production: order-id nothing -> 1.0.0\n"
        "wrote environments.yaml; to ship it:\n"
    )
    assert result.out == (
        "git add environments.yaml\ngit commit -m 'promote order-id@1.0.0 to production'\ngit push\n"
    )
    assert envs_file(git_repo) == HEADER + "production:\n  order-id: 1.0.0\n"


def test_a_committed_baseline_produced_by_the_version_allows_promotion(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    commit_baseline(git_repo, "1.0.0", [1.0, 1.0, 0.0])
    result = cli("promote", "order-id@1.0.0", "--env", "staging")
    assert result.code == 0, result.err
    assert result.err.splitlines()[0] == (
        "evidence: the committed baseline evals/baselines/order-id.json was produced by order-id@1.0.0"
    )
    assert envs_file(git_repo) == HEADER + "staging:\n  order-id: 1.0.0\n"


def test_a_baseline_of_other_content_is_no_evidence(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    text = baselines.to_json(releases.baseline("1.0.0", [1.0]))
    git_repo.commit(
        {"evals/baselines/order-id.json": text.replace(releases.prompt_hash("1.0.0"), "sha256:" + "0" * 64)}
    )
    assert cli("promote", "order-id@1.0.0", "--env", "staging").code == 1


def test_a_baseline_that_is_not_committed_is_no_evidence(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.write({"evals/baselines/order-id.json": baselines.to_json(releases.baseline("1.0.0", [1.0]))})
    assert cli("promote", "order-id@1.0.0", "--env", "staging").code == 1


def test_a_stored_results_file_whose_gate_passes_allows_promotion(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    commit_baseline(git_repo, "1.0.0", [1.0, 1.0, 1.0, 0.0])
    releases.release(git_repo, "1.1.0")
    git_repo.commit(suite("{decision: threshold}"))  # 4 cases: only a point comparison can fail them
    stored = git_repo.root / ".promptops" / "runs" / "latest.json"
    stored.parent.mkdir(parents=True)
    results.write_results(stored, [releases.run("1.1.0", [1.0, 1.0, 1.0, 1.0])])
    result = cli("promote", "order-id@1.1.0", "--env", "production")
    assert result.code == 0, result.err
    assert result.err.splitlines()[0] == (
        "evidence: .promptops/runs/latest.json: suite 'order-id' on order-id@1.1.0 passes the gate "
        "against its committed baseline"
    )


def test_a_stored_results_file_whose_gate_fails_is_refused(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    commit_baseline(git_repo, "1.0.0", [1.0, 1.0, 1.0, 1.0])
    releases.release(git_repo, "1.1.0")
    git_repo.commit(suite("{decision: threshold}"))  # 4 cases: only a point comparison can fail them
    stored = git_repo.root / ".promptops" / "runs" / "latest.json"
    stored.parent.mkdir(parents=True)
    results.write_results(stored, [releases.run("1.1.0", [1.0, 0.0, 0.0, 1.0])])
    # results of another version prove nothing about 1.1.0 either
    results.write_results(stored.with_name("old.json"), [releases.run("1.0.0", [1.0, 1.0, 1.0, 1.0])])
    result = cli("promote", "order-id@1.1.0", "--env", "production")
    assert result.code == 1
    assert "has no passing gate result" in result.err


def test_the_suite_gate_overrides_decide(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    commit_baseline(git_repo, "1.0.0", [1.0, 1.0, 1.0, 0.0])
    releases.release(git_repo, "1.1.0")
    stored = git_repo.root / ".promptops" / "runs" / "latest.json"
    stored.parent.mkdir(parents=True)
    results.write_results(stored, [releases.run("1.1.0", [1.0, 1.0, 1.0, 0.0])])
    git_repo.commit(suite("{min_score: 0.9}"))
    assert cli("promote", "order-id@1.1.0", "--env", "production").code == 1  # mean 0.75 < 0.9
    git_repo.commit(suite("{min_score: 0.5}"))
    assert cli("promote", "order-id@1.1.0", "--env", "production").code == 0
    git_repo.commit(remove=["evals/order-id.yaml"])
    (git_repo.root / "environments.yaml").unlink()
    assert cli("promote", "order-id@1.1.0", "--env", "production").code == 1  # no suite, no policy


def test_promote_needs_a_version(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    result = cli("promote", "order-id", "--env", "production")
    assert result.code == 2
    assert result.err == (
        "error: 'order-id': expected NAME@VERSION with a released version, e.g. order-id@1.2.0\n"
        "hint: list the versions with `promptops log order-id`\n"
    )


def test_rollback_walks_back_through_several_promotions(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        releases.release(git_repo, version)
        assert cli("promote", f"order-id@{version}", "--env", "production", "--force").code == 0
        git_repo.commit(message=f"promote {version}")
    assert cli("promote", "order-id@1.2.0", "--env", "staging", "--force").code == 0
    git_repo.commit(message="staging")

    result = cli("rollback", "order-id", "--env", "production")
    assert result.code == 0, result.err
    assert result.err == "production: order-id 1.2.0 -> 1.1.0\nwrote environments.yaml; to ship it:\n"
    assert result.out == (
        "git add environments.yaml\ngit commit -m 'roll back order-id in production to 1.1.0'\ngit push\n"
    )
    assert envs_file(git_repo) == HEADER + "production:\n  order-id: 1.1.0\nstaging:\n  order-id: 1.2.0\n"
    git_repo.commit(message="rollback")

    # the next rollback goes further back, not forward to the version just rolled back from
    assert cli("rollback", "order-id", "--env", "production").code == 0
    assert "production:\n  order-id: 1.0.0\n" in envs_file(git_repo)
    git_repo.commit(message="rollback again")

    result = cli("rollback", "order-id", "--env", "production")
    assert result.code == 2
    assert result.err == (
        "error: no earlier version of 'order-id' to roll back to in production (served in the history of "
        "environments.yaml: 1.0.0 -> 1.1.0 -> 1.2.0 -> 1.1.0 -> 1.0.0)\n"
        "hint: promote a version explicitly: promptops promote order-id@VERSION --env production\n"
    )
    # staging never moved: nothing to roll back to
    result = cli("rollback", "order-id", "--env", "staging")
    assert result.code == 2
    assert result.err.startswith(
        "error: no earlier version of 'order-id' to roll back to in staging (served in the history of "
        "environments.yaml: 1.2.0)\n"
    )


def test_rollback_of_an_uncommitted_promotion(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force").code == 0
    git_repo.commit(message="promote 1.0.0")
    assert cli("promote", "order-id@1.1.0", "--env", "production", "--force").code == 0
    assert cli("rollback", "order-id", "--env", "production").code == 0
    assert envs_file(git_repo) == HEADER + "production:\n  order-id: 1.0.0\n"


def test_canary_promotion_and_its_rollback(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force").code == 0
    git_repo.commit(message="promote 1.0.0")
    result = cli("promote", "order-id@1.1.0", "--env", "production", "--canary", "5", "--force")
    assert result.code == 0, result.err
    assert "production: order-id 1.0.0 -> 1.0.0 (canary 1.1.0 at 5%)\n" in result.err
    assert envs_file(git_repo) == HEADER + (
        "production:\n  order-id:\n    version: 1.0.0\n    canary:\n      version: 1.1.0\n      percent: 5\n"
    )
    git_repo.commit(message="canary 1.1.0")
    result = cli("rollback", "order-id", "--env", "production")
    assert result.code == 0
    assert "production: order-id 1.0.0 (canary 1.1.0 at 5%) -> 1.0.0\n" in result.err
    assert envs_file(git_repo) == HEADER + "production:\n  order-id: 1.0.0\n"


def test_promoting_what_is_already_served_changes_nothing(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force").code == 0
    before = envs_file(git_repo)
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force")
    assert result.code == 0
    assert "production already serves 1.0.0 of order-id; nothing to do\n" in result.err
    assert result.out == ""
    assert envs_file(git_repo) == before


def test_rollback_of_an_unknown_environment(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force").code == 0
    result = cli("rollback", "order-id", "--env", "prod")
    assert result.code == 2
    assert result.err == (
        "error: environments.yaml: unknown environment 'prod' (known: production)\n"
        "hint: promote a version into it first: promptops promote NAME@VERSION --env prod\n"
    )


def test_promote_keeps_environment_order_and_sorts_prompts(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    (git_repo.root / "environments.yaml").write_text(
        "# my comment\nstaging:\n  zeta: 2.0.0\nproduction: {}\n", encoding="utf-8"
    )
    assert cli("promote", "order-id@1.0.0", "--env", "staging", "--force").code == 0
    assert envs_file(git_repo) == HEADER + "staging:\n  order-id: 1.0.0\n  zeta: 2.0.0\nproduction: {}\n"


def test_an_invalid_environments_file_is_located(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    (git_repo.root / "environments.yaml").write_text(
        "production:\n  order-id: {version: 1.0.0, percent: 5}\n", encoding="utf-8"
    )
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force")
    assert result.code == 2
    assert result.err.endswith(
        "error: environments.yaml:2: production.order-id.percent: `percent` belongs to a canary with its own "
        "version: write {version: 1.3.0, canary: {version: 1.4.0, percent: 5}}\n"
        "hint: the form is `order-id: 1.3.0` or "
        "`order-id: {version: 1.3.0, canary: {version: 1.4.0, percent: 5}}`\n"
    )


def test_status_marks_canaries_drift_and_unreleased_versions(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    git_repo.commit(
        {
            "environments.yaml": (
                "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 10}}\n"
                "staging:\n  order-id: 1.1.0\n  gone: 3.0.0\n"
            )
        }
    )
    result = cli("status")
    assert result.code == 0, result.err
    lines = [line.rstrip() for line in result.out.splitlines()]
    assert lines[0].split() == ["ENV", "PROMPT", "VERSION", "CANARY", "WORKING", "TREE", "NOTES"]
    assert lines[1].split() == [
        "production",
        "order-id",
        "1.0.0",
        "1.1.0",
        "(10%)",
        "1.1.0",
        "drifted:",
        "working",
        "tree",
        "differs",
    ]
    assert lines[2].split() == [
        "staging",
        "gone",
        "3.0.0",
        "-",
        "(no",
        "file)",
        "drifted:",
        "working",
        "tree",
        "differs;",
        "not",
        "released",
        "(no",
        "tag)",
    ]
    assert lines[3].split() == ["staging", "order-id", "1.1.0", "-", "1.1.0", "ok"]
    assert result.err == ""


def test_status_in_a_pipe_keeps_each_row_on_one_line(
    git_repo: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # what rich assumes for a pipe: rows used to wrap there
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    git_repo.commit(
        {
            "environments.yaml": "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 5}}\n"
        }
    )
    result = cli("status")
    assert result.out == (
        "ENV         PROMPT    VERSION  CANARY      WORKING TREE  NOTES\n"
        "production  order-id  1.0.0    1.1.0 (5%)  1.1.0         drifted: working tree differs\n"
    )
    (git_repo.root / "environments.yaml").write_text("production:\n  order-id: 1.1.0\n", encoding="utf-8")
    result = cli("status")
    assert result.err == "warning: environments.yaml has uncommitted changes\n"


def test_status_json(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"})
    result = cli("status", "--format", "json")
    assert result.code == 0
    assert result.out == (
        '{\n  "environments_file": "environments.yaml",\n  "rows": [\n    {\n      "canary": null,\n'
        '      "drifted": false,\n      "env": "production",\n      "prompt": "order-id",\n'
        '      "released": true,\n      "version": "1.0.0",\n      "working_tree": "1.0.0"\n    }\n  ],\n'
        '  "uncommitted": false\n}\n'
    )


def test_status_without_an_environments_file(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    result = cli("status")
    assert result.code == 2
    assert result.err == (
        "error: environments.yaml: no such file: nothing is deployed yet\n"
        "hint: `promptops release` tags the versions, then `promptops promote NAME@VERSION --env staging` "
        "creates it\n"
    )


def test_commands_run_from_a_subdirectory_print_paths_from_there(
    git_repo: GitRepo, cli: CLI, monkeypatch
) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    monkeypatch.chdir(git_repo.root / "prompts")
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force")
    assert result.code == 0
    assert result.out.startswith("git add ../environments.yaml\n")
    assert Path(git_repo.root / "environments.yaml").exists()


def test_a_tag_on_the_wrong_commit_is_refused(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.git("tag", "-a", "prompts/order-id/v1.1.0", "-m", "wrong")
    result = cli("promote", "order-id@1.1.0", "--env", "production", "--force")
    assert result.code == 2
    assert result.err == (
        "error: tag prompts/order-id/v1.1.0 points at a commit where prompts/order-id.yaml has version 1.0.0\n"
        "hint: the tag is wrong: delete it (`git tag -d prompts/order-id/v1.1.0`) and release order-id@1.1.0 again\n"
    )


def test_status_outside_git_shows_no_release_state(project_dir: Path, cli: CLI) -> None:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    (project_dir / "prompts").mkdir()
    (project_dir / "prompts" / "order-id.yaml").write_text(releases.prompt_text("1.0.0"), encoding="utf-8")
    project_dir.gen({"environments.yaml": "production:\n  order-id: 1.0.0\n"})
    result = cli("status")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].split() == ["production", "order-id", "1.0.0", "-", "1.0.0", "ok"]


def test_an_invalid_environment_name_is_refused_before_anything_is_written(
    git_repo: GitRepo, cli: CLI
) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    result = cli("promote", "order-id@1.0.0", "--env", "prod env", "--force")
    assert result.code == 2
    assert result.err == (
        "error: 'prod env' is not a valid environment name\n"
        "hint: use letters, digits, '.', '_' and '-', starting with a letter or digit\n"
    )
    assert not (git_repo.root / "environments.yaml").exists()


def test_status_marks_an_invalid_working_tree_file(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"})
    git_repo.write({"prompts/order-id.yaml": "name: order-id\n"})
    result = cli("status")
    assert result.code == 0
    assert result.out.splitlines()[1].split()[:6] == [
        "production",
        "order-id",
        "1.0.0",
        "-",
        "(invalid",
        "file)",
    ]


def test_rollback_in_a_shallow_clone_says_to_fetch_the_history(
    git_repo: GitRepo, cli: CLI, tmp_path: Path, monkeypatch
) -> None:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
        assert cli("promote", f"order-id@{version}", "--env", "production", "--force").code == 0
        git_repo.commit(message=f"promote {version}")
    clone = tmp_path / "clone"
    git_repo.git("clone", "-q", "--depth", "1", f"file://{git_repo.root}", str(clone))
    monkeypatch.chdir(clone)
    result = cli("rollback", "order-id", "--env", "production")
    assert result.code == 2
    assert result.err == (
        "error: no earlier version of 'order-id' to roll back to in production (served in the history of "
        "environments.yaml: 1.1.0)\n"
        "hint: this is a shallow clone: fetch the full history with `git fetch --unshallow --tags` "
        "(GitHub Actions: `actions/checkout` with `fetch-depth: 0`)\n"
    )


def test_status_of_an_empty_environments_file_and_a_bad_format(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    git_repo.commit({"environments.yaml": "production: {}\n"})
    result = cli("status")
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        "environments.yaml serves no prompt yet; promote one with `promptops promote NAME@VERSION --env ENV`\n"
    )
    result = cli("status", "--format", "xml")
    assert (result.code, result.err) == (2, "error: --format must be text or json, got 'xml'\n")
