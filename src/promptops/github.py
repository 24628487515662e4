"""A small GitHub REST client for the one sticky pull-request comment (urllib, no dependency)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from promptops.errors import InputError, UnavailableError
from promptops.report.escape import MARKER
from promptops.secrets import redact, secret_values
from promptops.version import __version__

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 200  # 20,000 comments: far beyond any real pull request, and it bounds a looping server
PERMISSION_HINT = (
    "give the job `permissions: pull-requests: write` (and `contents: read`); "
    "pull requests from forks get a read-only token"
)
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_DETAIL = 300  # characters of an API error message shown, after redaction


def origin(url: str) -> tuple[str, str, int | None]:
    """Return the (scheme, host, port) a URL's requests go to; the token is sent to one origin only."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = -1  # a malformed port never equals the configured one
    return scheme, (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}" + (f":{port}" if port not in {None, 80, 443} else "")


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the API's origin: urllib would resend Authorization anywhere."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    def redirect_request(  # noqa: PLR0917 (urllib's signature)
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if origin(newurl) != origin(self.api_url):
            raise UnavailableError(
                f"GitHub API: {req.get_method()} {_path(req.full_url)} redirected (HTTP {code}) to another "
                f"origin, {_origin_text(newurl)}; the token is only sent to {_origin_text(self.api_url)}",
                hint="set GITHUB_API_URL to the API's own address",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass(frozen=True, kw_only=True)
class GitHubConfig:
    token: str
    repository: str
    api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubConfig:
        """Return the configuration GitHub Actions provides, or raise InputError naming what is missing."""
        token = env.get("GITHUB_TOKEN", "").strip()
        repository = env.get("GITHUB_REPOSITORY", "").strip()
        api_url = (env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")
        missing = [
            name for name, value in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", repository)) if not value
        ]
        if missing:
            raise InputError(
                f"{' and '.join(missing)} not set",
                hint="in a workflow step add `env: GITHUB_TOKEN: ${{ github.token }}`; "
                "GitHub Actions sets GITHUB_REPOSITORY",
            )
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
            raise InputError(f"GITHUB_REPOSITORY must look like OWNER/NAME, got {repository!r}")
        if urllib.parse.urlsplit(api_url).scheme not in {"http", "https"}:
            raise InputError(f"GITHUB_API_URL must be an http(s) URL, got {api_url!r}")
        return cls(token=token, repository=repository, api_url=api_url)


@dataclass(frozen=True, kw_only=True)
class Comment:
    id: int
    body: str
    html_url: str


@dataclass(frozen=True, kw_only=True)
class Upsert:
    action: Literal["created", "updated"]
    comment: Comment


@dataclass(frozen=True, kw_only=True)
class _Response:
    data: Any
    next_url: str | None


class GitHubClient:
    """Issue comments through the REST API; every failure becomes an UnavailableError (exit 3)."""

    def __init__(self, config: GitHubConfig, timeout_s: float = 30.0) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(_SameOriginRedirects(config.api_url))

    def comments(self, issue: int) -> Iterator[Comment]:
        """Yield the comments of an issue or pull request, oldest first, fetching pages as needed."""
        url: str | None = self._url(f"/issues/{issue}/comments?per_page={PER_PAGE}")
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._request("GET", url)
            if not isinstance(response.data, list):
                raise UnavailableError(f"GitHub API: unexpected answer listing comments of #{issue}")
            yield from (_comment(item) for item in response.data)
            url = response.next_url
        raise UnavailableError(f"GitHub API: more than {MAX_PAGES} pages of comments on #{issue}")

    def create_comment(self, issue: int, body: str) -> Comment:
        """Return the comment created on an issue or pull request."""
        return _comment(self._request("POST", self._url(f"/issues/{issue}/comments"), body).data)

    def update_comment(self, comment_id: int, body: str) -> Comment:
        """Return the comment after replacing its body."""
        return _comment(self._request("PATCH", self._url(f"/issues/comments/{comment_id}"), body).data)

    def _url(self, path: str) -> str:
        return f"{self.config.api_url}/repos/{self.config.repository}{path}"

    def _request(self, method: str, url: str, body: str | None = None) -> _Response:
        if origin(url) != origin(self.config.api_url):
            # a `Link: rel="next"` header is the only URL the server chooses; never follow it elsewhere
            raise UnavailableError(
                f"GitHub API: the next page of {_path(self._url(''))} is on another origin, "
                f"{_origin_text(url)}; the token is only sent to {_origin_text(self.config.api_url)}"
            )
        payload = None if body is None else json.dumps({"body": body}).encode("utf-8")
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.config.token}",
            "User-Agent": f"promptops/{__version__}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=payload, method=method, headers=headers)  # noqa: S310
        try:
            # The scheme was checked in GitHubConfig.from_env (http or https only).
            with self._opener.open(request, timeout=self.timeout_s) as reply:
                raw = reply.read()
                link = reply.headers.get("Link")
        except urllib.error.HTTPError as exc:
            raise _api_error(method, url, exc, self.config.token) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UnavailableError(
                f"cannot reach the GitHub API at {self.config.api_url}: {reason}",
                hint="check GITHUB_API_URL and the runner's network",
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise UnavailableError(f"GitHub API: {method} {_path(url)} answered with invalid JSON") from None
        return _Response(data=data, next_url=_next_link(link))


def upsert_comment(client: GitHubClient, issue: int, body: str, create: bool = True) -> Upsert | None:
    """Return the sticky comment after updating the one that carries the marker, or creating it.

    With `create=False` a pull request without the comment keeps having none (None is returned).
    """
    if MARKER not in body:
        body = f"{MARKER}\n{body}"
    for comment in client.comments(issue):
        if MARKER in comment.body:
            return Upsert(action="updated", comment=client.update_comment(comment.id, body))
    return Upsert(action="created", comment=client.create_comment(issue, body)) if create else None


def _comment(item: Any) -> Comment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise UnavailableError("GitHub API: unexpected answer, a comment without an id")
    body = item.get("body")
    return Comment(
        id=item["id"], body=body if isinstance(body, str) else "", html_url=str(item.get("html_url", ""))
    )


def _next_link(header: str | None) -> str | None:
    for part in (header or "").split(","):
        match = _NEXT_LINK.search(part)
        if match:
            return match.group(1)
    return None


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _api_error(method: str, url: str, exc: urllib.error.HTTPError, token: str) -> UnavailableError:
    try:
        detail = json.loads(exc.read().decode("utf-8")).get("message", "")
    except (ValueError, AttributeError, OSError, RecursionError):
        detail = ""
    # the server's text may echo the token or other secrets: redact first, cut after
    detail = redact(str(detail), (token, *secret_values())) if detail else ""
    detail = detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"
    what = f"GitHub API: {method} {_path(url)} failed with HTTP {exc.code}"
    what += f": {detail}" if detail else ""
    if exc.code == 401:
        return UnavailableError(what, hint="GITHUB_TOKEN is invalid or expired; use `${{ github.token }}`")
    if exc.code == 429 or (exc.code == 403 and exc.headers.get("X-RateLimit-Remaining") == "0"):
        return UnavailableError(what, hint="the API rate limit is exhausted; re-run the job later")
    if exc.code in {403, 404}:
        return UnavailableError(what, hint=PERMISSION_HINT)
    return UnavailableError(what)
