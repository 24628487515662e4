"""A fake GitHub REST API on 127.0.0.1: issue comments with pagination, create, update, 403."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "ghs_fake-token-for-tests-0123456789"


@dataclass
class FakeGitHub:
    repository: str = "acme/prompts"
    token: str = TOKEN
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)  # HTTP methods answered with 403
    rate_limited: bool = False  # every request: 403 with X-RateLimit-Remaining: 0
    url: str = ""
    # hostile behaviours, for the security tests
    redirect_to: str = ""  # answer every request with a 302 to this URL
    next_link: str = ""  # the `rel="next"` link of the first comments page
    echo_status: int = 0  # answer every request with this status and a body echoing Authorization
    authorizations: list[str] = field(default_factory=list)  # the Authorization header of every request
    _next_id: int = 1000

    def add_comment(self, issue: int, body: str, user: str = "someone") -> dict[str, Any]:
        self._next_id += 1
        item = {
            "id": self._next_id,
            "body": body,
            "user": {"login": user},
            "html_url": f"https://github.test/{self.repository}/pull/{issue}#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(issue, []).append(item)
        return item

    def find(self, comment_id: int) -> dict[str, Any] | None:
        for items in self.comments.values():
            for item in items:
                if item["id"] == comment_id:
                    return item
        return None


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{state.repository}/issues/"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            state.requests.append((method, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state.authorizations.append(self.headers.get("Authorization") or "")
            if state.redirect_to:
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if state.echo_status:
                self._send(state.echo_status, {"message": f"denied for {self.headers.get('Authorization')}"})
                return
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._send(401, {"message": "Bad credentials"})
                return
            if state.rate_limited:
                self._send(403, {"message": "API rate limit exceeded"}, {"X-RateLimit-Remaining": "0"})
                return
            if method in state.forbidden:
                self._send(403, {"message": "Resource not accessible by integration"})
                return
            if not parts.path.startswith(prefix):
                self._send(404, {"message": "Not Found"})
                return
            rest = parts.path[len(prefix) :].split("/")
            if len(rest) == 2 and rest[0].isdigit() and rest[1] == "comments":
                issue = int(rest[0])
                if method == "GET":
                    self._list(issue, parse_qs(parts.query))
                    return
                if method == "POST" and body and isinstance(body.get("body"), str):
                    self._send(201, state.add_comment(issue, body["body"], "github-actions[bot]"))
                    return
            if len(rest) == 2 and rest[0] == "comments" and rest[1].isdigit() and method == "PATCH":
                item = state.find(int(rest[1]))
                if item is not None and body and isinstance(body.get("body"), str):
                    item["body"] = body["body"]
                    self._send(200, item)
                    return
            self._send(404, {"message": "Not Found"})

        def _list(self, issue: int, query: dict[str, list[str]]) -> None:
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)  # GitHub's default and cap
            page = int(query.get("page", ["1"])[0])
            items = state.comments.get(issue, [])
            last = max(1, -(-len(items) // per_page))
            links = []
            base = f"{state.url}{prefix}{issue}/comments?per_page={per_page}"
            if state.next_link and page == 1:
                links.append(f'<{state.next_link}>; rel="next"')
            elif page < last:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
            self._send(200, items[(page - 1) * per_page : page * per_page], {"Link": ", ".join(links)})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

    return Handler


@pytest.fixture
def github_api() -> Iterator[FakeGitHub]:
    """A fake GitHub REST API server; `.url` is the value for GITHUB_API_URL."""
    yield from _serve()


@pytest.fixture
def gh_env(github_api: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The fake API with the variables of a GitHub Actions run pointing at it."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", github_api.repository)
    monkeypatch.setenv("GITHUB_API_URL", github_api.url)
    return github_api


@pytest.fixture
def other_origin() -> Iterator[FakeGitHub]:
    """A second fake API on another port (another origin): the token must never reach it."""
    yield from _serve()


def _serve() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # fast shutdown
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
