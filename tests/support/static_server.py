"""A static file host on 127.0.0.1 (ETag, If-None-Match) that can be stopped, restarted and slowed down."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class StaticServer:
    """Serves `root` like a static host; `stop()`/`start()` keep the port, `delay_s` slows every answer."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root
        self.delay_s = 0.0
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tag = self.headers.get("If-None-Match")
                owner.requests.append((self.path, tag))
                if owner.delay_s:
                    time.sleep(owner.delay_s)
                path = (owner.root / self.path.lstrip("/")).resolve()
                if owner.root.resolve() not in path.parents or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
                if tag == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ETag", etag)
                self.end_headers()
                # the client may have given up (its timeout), as clients of a slow host do
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
