"""A local chat-completions endpoint on 127.0.0.1 for the refinement tests."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEXT_RE = re.compile(r"<<<TEXT\n(.*)\nTEXT>>>", re.S)


class LocalChatEndpoint:
    """Calls `answer(body, passage, handler)` for each POST; the answer writes the whole HTTP response."""

    def __init__(self, answer: Callable[[dict[str, Any], str, BaseHTTPRequestHandler], None]) -> None:
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(body)
                match = TEXT_RE.search(body["messages"][-1]["content"])
                passage = match.group(1) if match else ""
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    answer(body, passage, self)

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # timeout tests hang up before a slow answer is written

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalChatEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
