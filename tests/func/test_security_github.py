"""Security, class 4: the GitHub token goes only to the configured API origin; API errors are redacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.fixtures import CLI
from support.github_server import TOKEN, FakeGitHub


def _comment(cli: CLI, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "report.md"
    path.write_text("report\n", encoding="utf-8")
    result = cli("comment", "--pr", "7", "--file", str(path))
    assert "Traceback" not in result.err
    return result.code, result.out + result.err


def _host(server: FakeGitHub) -> str:
    return server.url.removeprefix("http://")


@pytest.mark.parametrize(
    "target",
    [
        "{other}/repos/acme/prompts/issues/7/comments",
        "{other}/",
        "http://localhost:{port}/repos/acme/prompts/issues/7/comments",
    ],
)
def test_a_redirect_to_another_origin_is_refused_without_the_token(
    cli: CLI, gh_env: FakeGitHub, other_origin: FakeGitHub, tmp_path: Path, target: str
) -> None:
    port = other_origin.url.rsplit(":", 1)[1]
    gh_env.redirect_to = target.format(other=other_origin.url, port=port)
    code, text = _comment(cli, tmp_path)
    assert code == 3
    where = "localhost" if "localhost" in target else "127.0.0.1"
    assert text == (
        "error: GitHub API: GET /repos/acme/prompts/issues/7/comments redirected (HTTP 302) to another "
        f"origin, http://{where}:{port}; the token is only sent to {gh_env.url}\n"
        "hint: set GITHUB_API_URL to the API's own address\n"
    )
    assert other_origin.authorizations == []
    assert TOKEN not in text


def test_same_origin_pages_are_followed(cli: CLI, gh_env: FakeGitHub, tmp_path: Path) -> None:
    for i in range(150):
        gh_env.add_comment(7, f"comment {i}")
    code, _ = _comment(cli, tmp_path)
    assert code == 0
    assert set(gh_env.authorizations) == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    "link",
    [
        "{other}/repos/acme/prompts/issues/7/comments?page=2",
        "https://evil.example/steal",
        "http://{host}@evil.example/x",
        "file:///etc/passwd",
    ],
)
def test_a_next_link_to_another_origin_is_refused(
    cli: CLI, gh_env: FakeGitHub, other_origin: FakeGitHub, tmp_path: Path, link: str
) -> None:
    gh_env.add_comment(7, "first page")
    gh_env.next_link = link.format(other=other_origin.url, host=_host(gh_env))
    code, text = _comment(cli, tmp_path)
    assert code == 3
    assert text.startswith("error: GitHub API: the next page of /repos/acme/prompts is on another origin, ")
    assert text.endswith(f"; the token is only sent to {gh_env.url}\n")
    assert other_origin.authorizations == []
    assert len(gh_env.authorizations) == 1  # the first page only
    assert TOKEN not in text and "root:" not in text


@pytest.mark.parametrize("status", [401, 403, 404, 422, 500])
def test_api_error_bodies_that_echo_the_token_are_redacted(
    cli: CLI, gh_env: FakeGitHub, tmp_path: Path, status: int
) -> None:
    gh_env.echo_status = status
    code, text = _comment(cli, tmp_path)
    assert code == 3
    assert f"failed with HTTP {status}: denied for Bearer [REDACTED]" in text
    assert TOKEN not in text and TOKEN[:12] not in text


def test_a_long_error_body_is_redacted_before_it_is_cut(
    cli: CLI, gh_env: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "Zq9" + "x" * 400  # no known key shape: only its variable name says it is secret
    monkeypatch.setenv("DEPLOY_SECRET", secret)
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    gh_env.token = secret
    gh_env.echo_status = 500
    code, text = _comment(cli, tmp_path)
    assert code == 3
    assert "Zq9xxx" not in text
    assert "denied for Bearer [REDACTED]" in text
