"""`promptops comment` against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.github_server import TOKEN, FakeGitHub

MARKER = "<!-- promptops-report -->"


def _report(tmp_path: Path, text: str) -> str:
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_first_run_creates_second_run_updates_the_same_comment(
    cli, gh_env: FakeGitHub, tmp_path: Path
) -> None:
    gh_env.add_comment(7, "LGTM", "reviewer")
    first = cli("comment", "--pr", "7", "--file", _report(tmp_path, f"{MARKER}\n## PASS first\n"))
    assert first.code == 0, first.err
    assert first.err == "created comment 1002 on pull request #7\n"
    assert first.out == "https://github.test/acme/prompts/pull/7#issuecomment-1002\n"

    second = cli("comment", "--pr", "7", "--file", _report(tmp_path, f"{MARKER}\n## FAIL second\n"))
    assert second.code == 0, second.err
    assert second.err == "updated comment 1002 on pull request #7\n"
    bodies = [c["body"] for c in gh_env.comments[7]]
    assert bodies == ["LGTM", f"{MARKER}\n## FAIL second\n"]
    assert [m for m, _ in gh_env.requests] == ["GET", "POST", "GET", "PATCH"]


def test_finds_the_marker_beyond_the_first_hundred_comments(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    for i in range(230):
        gh_env.add_comment(12, f"comment {i}")
    sticky = gh_env.add_comment(12, f"{MARKER}\nold report", "github-actions[bot]")
    for i in range(5):
        gh_env.add_comment(12, f"later {i}")

    result = cli("comment", "--pr", "12", "--file", _report(tmp_path, f"{MARKER}\nnew report\n"))

    assert result.code == 0, result.err
    assert result.err == f"updated comment {sticky['id']} on pull request #12\n"
    assert len(gh_env.comments[12]) == 236
    assert sticky["body"] == f"{MARKER}\nnew report\n"
    gets = [path for method, path in gh_env.requests if method == "GET"]
    assert gets == [
        "/repos/acme/prompts/issues/12/comments?per_page=100",
        "/repos/acme/prompts/issues/12/comments?per_page=100&page=2",
        "/repos/acme/prompts/issues/12/comments?per_page=100&page=3",
    ]


def test_the_lookup_stops_at_the_page_that_holds_the_marker(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    sticky = gh_env.add_comment(4, f"{MARKER}\nold", "github-actions[bot]")
    for i in range(250):
        gh_env.add_comment(4, f"comment {i}")
    result = cli("comment", "--pr", "4", "--file", _report(tmp_path, f"{MARKER}\nnew\n"))
    assert result.err == f"updated comment {sticky['id']} on pull request #4\n"
    assert [m for m, _ in gh_env.requests] == ["GET", "PATCH"]


def test_an_exhausted_rate_limit_is_exit_3_with_its_own_hint(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    gh_env.rate_limited = True
    result = cli("comment", "--pr", "5", "--file", _report(tmp_path, "report\n"))
    assert (result.code, result.err) == (
        3,
        (
            "error: GitHub API: GET /repos/acme/prompts/issues/5/comments failed with HTTP 403: API rate limit exceeded\n"
            "hint: the API rate limit is exhausted; re-run the job later\n"
        ),
    )


def test_update_only_never_creates(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    gh_env.add_comment(8, "LGTM", "reviewer")
    none = cli("comment", "--pr", "8", "--update-only", "--file", _report(tmp_path, "nothing to do\n"))
    assert (none.code, none.out, none.err) == (0, "", "no report comment on pull request #8 to update\n")
    assert [c["body"] for c in gh_env.comments[8]] == ["LGTM"]
    sticky = gh_env.add_comment(8, f"{MARKER}\nold", "github-actions[bot]")
    updated = cli("comment", "--pr", "8", "--update-only", "--file", _report(tmp_path, "nothing to do\n"))
    assert (updated.code, updated.err) == (0, f"updated comment {sticky['id']} on pull request #8\n")
    assert sticky["body"] == f"{MARKER}\nnothing to do\n"


def test_a_report_without_the_marker_gets_it_so_the_next_run_finds_it(
    cli, gh_env: FakeGitHub, tmp_path: Path
) -> None:
    assert cli("comment", "--pr", "3", "--file", _report(tmp_path, "plain report\n")).code == 0
    assert cli("comment", "--pr", "3", "--file", _report(tmp_path, "plain report 2\n")).code == 0
    assert [c["body"] for c in gh_env.comments[3]] == [f"{MARKER}\nplain report 2\n"]


def test_forbidden_is_exit_3_with_the_permissions_hint(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    gh_env.forbidden.add("POST")
    result = cli("comment", "--pr", "5", "--file", _report(tmp_path, "report\n"))
    assert result.code == 3
    assert result.out == ""
    assert result.err == (
        "error: GitHub API: POST /repos/acme/prompts/issues/5/comments failed with HTTP 403: "
        "Resource not accessible by integration\n"
        "hint: give the job `permissions: pull-requests: write` (and `contents: read`); "
        "pull requests from forks get a read-only token\n"
    )
    assert TOKEN not in result.err


def test_bad_token_is_exit_3_and_never_printed(
    cli, gh_env: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong-secret-value")
    result = cli("comment", "--pr", "5", "--file", _report(tmp_path, "report\n"))
    assert result.code == 3
    assert result.err == (
        "error: GitHub API: GET /repos/acme/prompts/issues/5/comments failed with HTTP 401: Bad credentials\n"
        "hint: GITHUB_TOKEN is invalid or expired; use `${{ github.token }}`\n"
    )
    assert "ghs_wrong-secret-value" not in result.err + result.out


def test_unreachable_api_is_exit_3(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/prompts")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    result = cli("comment", "--pr", "5", "--file", _report(tmp_path, "report\n"))
    assert result.code == 3
    assert result.err.startswith("error: cannot reach the GitHub API at http://127.0.0.1:9: ")
    assert result.err.endswith("hint: check GITHUB_API_URL and the runner's network\n")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "error: GITHUB_TOKEN and GITHUB_REPOSITORY not set\n"),
        ({"GITHUB_REPOSITORY": "acme/prompts"}, "error: GITHUB_TOKEN not set\n"),
        (
            {"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "acme"},
            "error: GITHUB_REPOSITORY must look like OWNER/NAME, got 'acme'\n",
        ),
        (
            {"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "file:///etc"},
            "error: GITHUB_API_URL must be an http(s) URL, got 'file:///etc'\n",
        ),
    ],
)
def test_missing_configuration_is_exit_2(
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = cli("comment", "--pr", "5", "--file", _report(tmp_path, "report\n"))
    assert result.code == 2
    assert result.err.splitlines()[0] + "\n" == message
    assert "Traceback" not in result.err


def test_bad_arguments_are_exit_2(cli, gh_env: FakeGitHub, tmp_path: Path) -> None:
    missing = cli("comment", "--pr", "5", "--file", str(tmp_path / "nope.md"))
    assert (missing.code, missing.err) == (2, f"error: {tmp_path / 'nope.md'}: no such file\n")
    empty = cli("comment", "--pr", "5", "--file", _report(tmp_path, " \n"))
    assert (empty.code, empty.err) == (2, f"error: {tmp_path / 'report.md'}: the report is empty\n")
    zero = cli("comment", "--pr", "0", "--file", _report(tmp_path, "r\n"))
    assert (zero.code, zero.err) == (2, "error: --pr must be a pull request number (1 or more), got 0\n")
    assert gh_env.requests == []


def test_runs_as_a_process_reading_the_report_from_stdin(gh_env: FakeGitHub, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "promptops", "comment", "--pr", "9", "--file", "-"],
        input=f"{MARKER}\nfrom a subprocess\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert gh_env.comments[9][0]["body"] == f"{MARKER}\nfrom a subprocess\n"
