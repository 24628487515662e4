"""`promptops diff`, `log`, `release` and `lint --base` on real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.fixtures import CLI, GitRepo
from support.golden import check_golden
from support.promptfiles import CONFIG, prompt_yaml

SUMMARIZE = """\
name: summarize
version: 0.3.0
model: openai/gpt-4o-mini-2024-07-18
messages:
  - role: system
    content: Summarize the ticket in one sentence.
  - role: user
    content: "{{ ticket }}"
"""
TRIAGE = """\
name: triage
version: 1.0.0
model: openai/gpt-4o-mini-2024-07-18
messages:
  - role: user
    content: "Classify: {{ ticket }}"
"""


@pytest.fixture
def fixed_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixed commit dates, so commit shas (and golden files) are the same on every run."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-01-02T03:04:05+00:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-01-02T03:04:05+00:00")


@pytest.fixture
def three(git_repo: GitRepo, fixed_dates: None) -> dict[str, str]:
    """order-id 1.0.0 (tagged), 1.1.0 (prompt text), 2.0.0 (new required variable) on main."""
    shas = {
        "1.0.0": git_repo.commit(
            {"promptops.yaml": CONFIG, "prompts/order-id.yaml": prompt_yaml()}, "order-id 1.0.0"
        )
    }
    git_repo.git("tag", "-a", "prompts/order-id/v1.0.0", "-m", "order-id 1.0.0")
    shas["1.1.0"] = git_repo.commit(
        {
            "prompts/order-id.yaml": prompt_yaml(
                version="1.1.0", system="Extract the order ID. Reply NONE if there is none."
            )
        },
        "order-id: answer NONE",
    )
    props = {"message": {"type": "string", "minLength": 1}, "locale": {"type": "string"}}
    shas["2.0.0"] = git_repo.commit(
        {
            "prompts/order-id.yaml": prompt_yaml(
                version="2.0.0",
                system="Extract the order ID. Reply NONE if there is none.",
                required=("message", "locale"),
                properties=props,
                user="[{{ locale }}] Message: {{ message }}",
                example={"message": "Where is ORD-12345?", "locale": "en"},
            )
        },
        "order-id: locale",
    )
    return shas


def test_done_when_diff_shows_exactly_what_changed(cli: CLI, three: dict[str, str]) -> None:
    result = cli("diff", "order-id", "--base", three["1.0.0"])
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"base {three['1.0.0'][:7]} -> head working tree\n"
        "\n"
        "order-id: changed, 1.0.0 -> 2.0.0\n"
        "  bump: major, needs major (new required variable 'locale'): ok\n"
        '  examples: [{"message": "Where is ORD-12345?"}] -> [{"locale": "en", "message": "Where is ORD-12345?"}]\n'
        "  inputs breaking: new required variable 'locale'\n"
        "  --- a/messages[0] (system)\n"
        "  +++ b/messages[0] (system)\n"
        "  @@ -1 +1 @@\n"
        "  -Extract the order ID. Reply with the ID only.\n"
        "  +Extract the order ID. Reply NONE if there is none.\n"
        "  --- a/messages[1] (user)\n"
        "  +++ b/messages[1] (user)\n"
        "  @@ -1 +1 @@\n"
        "  -Message: {{ message }}\n"
        "  +[{{ locale }}] Message: {{ message }}\n"
    )


def test_done_when_render_old_version(cli: CLI, three: dict[str, str]) -> None:
    result = cli("render", "order-id@1.0.0", "--example", "0")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "--- system ---\nExtract the order ID. Reply with the ID only.\n\n--- user ---\nMessage: Where is ORD-12345?\n"
    )
    assert cli("render", "order-id@1.1.0", "--example", "0").out.startswith(
        "--- system ---\nExtract the order ID. Reply NONE if there is none.\n"
    )


def test_done_when_lint_base_flags_an_edit_without_bump(
    cli: CLI, git_repo: GitRepo, three: dict[str, str]
) -> None:
    clean = cli("lint", "--base", "HEAD")
    assert clean.code == 0, clean.out
    git_repo.write(
        {
            "prompts/order-id.yaml": prompt_yaml(
                version="2.0.0",
                system="Extract the order ID.",
                required=("message", "locale"),
                properties={"message": {"type": "string", "minLength": 1}, "locale": {"type": "string"}},
                user="[{{ locale }}] Message: {{ message }}",
                example={"message": "Where is ORD-12345?", "locale": "en"},
            )
        }
    )
    result = cli("lint", "--base", "HEAD")
    assert result.code == 1
    assert result.out == (
        "prompts/order-id.yaml:2: error PO101 version-bump-insufficient: messages changed since HEAD "
        "but version 2.0.0 was not bumped; needs a minor bump\n"
        "    hint: set `version: 2.1.0` (from 2.0.0)\n"
    )
    assert "Traceback" not in result.err


def test_lint_base_versions_only_go_up(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    git_repo.write({"prompts/order-id.yaml": prompt_yaml(version="1.9.0")})
    result = cli("lint", "--base", "HEAD", "--format", "json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [
        ("PO102", "version went down from 2.0.0 to 1.9.0 (base HEAD)"),
    ]


def test_lint_base_tagged_version_never_changes(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    git_repo.git("checkout", "-q", three["1.0.0"], "--", "prompts/order-id.yaml")
    assert cli("lint", "--base", three["1.0.0"]).code == 0  # the tagged content, unchanged
    git_repo.write({"prompts/order-id.yaml": prompt_yaml(description="Same version, new words.")})
    result = cli("lint", "--base", three["1.0.0"])
    assert result.code == 1
    assert (
        "prompts/order-id.yaml:2: error PO103 tagged-version-changed: version 1.0.0 is released as tag "
        "prompts/order-id/v1.0.0 but the content differs from the tag\n"
        "    hint: a released version never changes: bump it (to 1.0.1 or more)\n"
    ) in result.out
    assert "PO101 version-bump-insufficient: description changed" in result.out


def test_lint_base_unknown_ref(cli: CLI, three: dict[str, str]) -> None:
    result = cli("lint", "--base", "origin/nope")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: unknown git ref 'origin/nope'\n"
        "hint: if it is a tag or branch of the remote, fetch it first: `git fetch --tags`\n"
    )


def _pr_change(git_repo: GitRepo) -> None:
    """A realistic pull request: edit order-id, add summarize, remove triage, rename a prompt."""
    git_repo.commit(
        {
            "prompts/triage.yaml": TRIAGE,
            "prompts/legacy/refund.yaml": prompt_yaml(
                name="legacy/refund",
                version="1.2.0",
                system="Decide whether the refund is allowed.",
                description="Refund check | uses <policy> & *rules*",
            ),
        },
        "more prompts",
    )
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.git("rm", "-q", "prompts/triage.yaml")
    git_repo.git("mv", "prompts/legacy/refund.yaml", "prompts/refund.yaml")
    props = {
        "message": {"type": "string", "minLength": 1},
        "locale": {"type": "string"},
        "customer": {"type": "string"},
    }
    git_repo.write(
        {
            "prompts/summarize.yaml": SUMMARIZE,
            "prompts/refund.yaml": prompt_yaml(
                name="refund",
                version="1.2.1",
                system="Decide whether the refund is allowed.",
                description="Refund check | uses <policy> & *rules* (`v2`)",
            ),
            "prompts/order-id.yaml": prompt_yaml(
                version="2.1.0",
                system="Extract the order ID (format ORD-#####).\nReply NONE if there is none.",
                required=("message", "locale"),
                properties=props,
                temperature=0.2,
                user="[{{ locale }}] Message: {{ message }}",
                example={"message": "Where is ORD-12345?", "locale": "en"},
            ),
        }
    )


def test_diff_markdown_golden(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    _pr_change(git_repo)
    result = cli("diff", "--format", "markdown")
    assert (result.code, result.err) == (0, "")
    check_golden("diff/pull-request.md", result.out)


def test_diff_json_golden(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    _pr_change(git_repo)
    result = cli("diff", "--format", "json")
    assert (result.code, result.err) == (0, "")
    check_golden("diff/pull-request.json", result.out)
    data = json.loads(result.out)
    assert data["summary"] == {
        "added": 1,
        "breaking": 0,
        "bump_errors": 0,
        "changed": 1,
        "removed": 1,
        "renamed": 1,
    }
    assert [(p["name"], p["status"], p["old_name"]) for p in data["prompts"]] == [
        ("order-id", "changed", None),
        ("refund", "renamed", "legacy/refund"),
        ("summarize", "added", None),
        ("triage", "removed", None),
    ]


def test_default_base_is_the_merge_base_with_main(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    _pr_change(git_repo)
    git_repo.commit(message="feature commit")
    git_repo.git("checkout", "-q", "main")
    git_repo.commit({"prompts/order-id.yaml": prompt_yaml(version="9.0.0")}, "main moved on")
    git_repo.git("checkout", "-q", "feature")
    data = json.loads(cli("diff", "--format", "json").out)
    assert data["base"]["ref"] == "merge base with main"
    assert data["base"]["sha"] == git_repo.git("merge-base", "HEAD", "main")
    assert [p["name"] for p in data["prompts"]] == ["order-id", "refund", "summarize", "triage"]
    assert (
        json.loads(cli("diff", "--format", "json", "--base", "main", "--head", "HEAD").out)["prompts"][0][
            "old_version"
        ]
        == "9.0.0"
    )


def test_diff_names_filter_and_no_changes(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    assert cli("diff").out == f"base HEAD ({three['2.0.0'][:7]}) -> head working tree\nno prompt changes\n"
    _pr_change(git_repo)
    data = json.loads(cli("diff", "summarize", "triage", "--format", "json").out)
    assert [p["name"] for p in data["prompts"]] == ["summarize", "triage"]
    md = cli("diff", "--base", "HEAD", "--head", "HEAD", "--format", "markdown")
    head = git_repo.git("rev-parse", "--short=7", "HEAD")
    assert md.out == f"### Prompt changes: HEAD (`{head}`) → HEAD (`{head}`)\n\nNo prompt changes.\n"


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (
            ("--base", "v0-nope"),
            "error: unknown git ref 'v0-nope'\n"
            "hint: if it is a tag or branch of the remote, fetch it first: `git fetch --tags`\n",
        ),
        (
            ("--head", "nope"),
            "error: unknown git ref 'nope'\n"
            "hint: if it is a tag or branch of the remote, fetch it first: `git fetch --tags`\n",
        ),
        (
            ("ghost",),
            "error: unknown prompt 'ghost': not at HEAD and not at the working tree\nhint: prompts: order-id\n",
        ),
        (("--format", "html"), "error: --format 'html': expected text, markdown or json\n"),
    ],
)
def test_diff_errors(cli: CLI, three: dict[str, str], args: tuple[str, ...], err: str) -> None:
    result = cli("diff", *args)
    assert (result.code, result.out, result.err) == (2, "", err)


def test_diff_outside_git(cli: CLI, project_dir: Path) -> None:
    (project_dir / "promptops.yaml").write_text(CONFIG)
    result = cli("diff")
    assert result.code == 2
    assert result.err == (
        f"error: not a git repository: {project_dir.resolve()}\n"
        "hint: run promptops inside a git clone (or `git init` and commit your prompts)\n"
    )


def test_diff_in_a_shallow_clone_with_an_old_base(
    cli: CLI, git_repo: GitRepo, three: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git_repo.root}", str(clone)], check=True)
    monkeypatch.chdir(clone)
    result = cli("diff", "--base", three["1.0.0"])
    assert result.code == 2
    assert result.err == (
        f"error: unknown git ref '{three['1.0.0']}'\n"
        "hint: this is a shallow clone: fetch the full history with `git fetch --unshallow --tags` "
        "(GitHub Actions: `actions/checkout` with `fetch-depth: 0`)\n"
    )


def test_diff_never_imports_litellm(git_repo: GitRepo, three: dict[str, str]) -> None:
    code = (
        "import sys; from promptops.cli import main; rc = main(['diff', '--format', 'json']); "
        "sys.exit(3 if 'litellm' in sys.modules else rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=git_repo.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["prompts"] == []


def test_log_lists_one_row_per_version(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    result = cli("log", "order-id")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "version  tag                      commit   date              author       subject",
        f"1.0.0    prompts/order-id/v1.0.0  {three['1.0.0'][:7]}  2026-01-02 03:04  Test Author  order-id 1.0.0",
        f"1.1.0    -                        {three['1.1.0'][:7]}  2026-01-02 03:04  Test Author  order-id: answer NONE",
        f"2.0.0    -                        {three['2.0.0'][:7]}  2026-01-02 03:04  Test Author  order-id: locale",
    ]
    git_repo.write({"prompts/order-id.yaml": prompt_yaml(version="2.1.0")})
    assert cli("log", "order-id").out.splitlines()[-1] == (
        "2.1.0    -                        -        -                 -            (working tree, not committed)"
    )
    unknown = cli("log", "ghost")
    assert (unknown.code, unknown.err) == (
        2,
        "error: unknown prompt 'ghost': prompts/ghost.yaml has no committed history\n"
        "hint: commit the prompt first\n",
    )


def test_release_tags_untagged_current_versions(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    git_repo.commit({"prompts/summarize.yaml": SUMMARIZE}, "summarize")
    result = cli("release")
    assert (result.code, result.err) == (0, "")
    head = git_repo.git("rev-parse", "HEAD")
    assert result.out == (
        f"tagged prompts/order-id/v2.0.0 at {three['2.0.0'][:7]}\n"
        f"tagged prompts/summarize/v0.3.0 at {head[:7]}\n"
        "push the tags with: git push origin prompts/order-id/v2.0.0 prompts/summarize/v0.3.0\n"
    )
    assert git_repo.git("cat-file", "-t", "prompts/order-id/v2.0.0") == "tag"  # annotated
    assert git_repo.git("rev-list", "-n", "1", "prompts/order-id/v2.0.0") == three["2.0.0"]
    again = cli("release")
    assert (again.code, again.out) == (0, "")
    assert again.err == (
        "prompts/order-id/v2.0.0 already exists\nprompts/summarize/v0.3.0 already exists\n"
        "nothing to release: every current version is tagged\n"
    )
    assert cli("render", "summarize@0.3.0", "--var", "ticket=t").code == 0


def test_release_refuses_uncommitted_changes(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    git_repo.write({"prompts/order-id.yaml": prompt_yaml(version="2.1.0")})
    result = cli("release", "order-id")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: uncommitted changes in prompts/order-id.yaml: release tags committed versions only\n"
        "hint: commit (or revert) the changes, then run `promptops release` again\n"
    )
    assert git_repo.git("tag", "--list", "prompts/order-id/v2.*") == ""
    assert cli("release", "ghost").err == "error: unknown prompt 'ghost' (known: order-id)\n"


def test_lint_base_leaves_broken_files_to_the_file_rules(
    cli: CLI, git_repo: GitRepo, three: dict[str, str]
) -> None:
    git_repo.commit({"prompts/broken.yaml": "name: broken\nversion: [\n"}, "a broken file on the base")
    git_repo.write({"prompts/order-id.yaml": "name: order-id\nversion: 2.0.0\nmodel: 3\n"})
    result = cli("lint", "--base", "HEAD", "--format", "json")
    assert result.code == 1
    assert "Traceback" not in result.err
    codes = {(f["file"], f["code"]) for f in json.loads(result.out)["findings"]}
    assert ("prompts/broken.yaml", "PO001") in codes
    assert ("prompts/order-id.yaml", "PO001") in codes
    assert not any(code.startswith("PO10") for _, code in codes)


def test_diff_reports_a_broken_file_on_a_side(cli: CLI, git_repo: GitRepo, three: dict[str, str]) -> None:
    git_repo.write({"prompts/order-id.yaml": "name: order-id\nversion: 2.0.1\nmodel: openai/x\n"})
    result = cli("diff")
    assert result.code == 2
    assert result.err == "error: prompts/order-id.yaml:1: missing required key 'messages'\n"


def test_diff_before_the_first_commit_shows_everything_added(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"promptops.yaml": CONFIG, "prompts/order-id.yaml": prompt_yaml()})
    data = json.loads(cli("diff", "--format", "json").out)
    assert (data["base"], data["summary"]["added"]) == ({"ref": "empty", "sha": None}, 1)
    assert cli("lint", "--base", "HEAD").err == (
        "error: unknown git ref 'HEAD': the repository has no commits yet\nhint: commit your prompts first\n"
    )
