"""One OpenAI-compatible chat-completions call over HTTP(S), bounded in time and size.

The timeout bounds the whole request (connect, send, headers and every byte of the body), the answer is
read up to a size cap, and anything that is not a well-formed completion (status, content type, JSON,
shape, types) is an LlmError with a short reason. The call runs on a daemon thread, so even a stalled
name lookup cannot hold the command past the deadline."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
import urllib.parse
from typing import Any

from dabprp.records import record

MAX_ANSWER_BYTES = 2_000_000
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class LlmError(Exception):
    """The endpoint failed or answered something that is not a chat completion."""

    def __init__(self, reason: str, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


@record
class Completion:
    content: str
    finish_reason: str | None


def complete(base_url: str, api_key: str, body: dict[str, Any], timeout: float, retries: int = 0,
             max_bytes: int = MAX_ANSWER_BYTES) -> Completion:
    """POST `body` to `base_url`/chat/completions; retries (with backoff, each attempt within `timeout`) on
    connection errors and 408/409/429/5xx."""
    attempt = 0
    while True:
        try:
            return _bounded(lambda: _post(base_url, api_key, body, timeout, max_bytes), timeout)
        except LlmError as exc:
            if not exc.retryable or attempt >= retries:
                raise
        time.sleep(min(8.0, 0.5 * 2 ** attempt))
        attempt += 1


def _bounded(call: Any, timeout: float) -> Completion:
    results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            results.put((True, call()))
        except LlmError as exc:
            results.put((False, exc))
        except Exception as exc:  # reported with its type and message, never swallowed: the thread has no caller
            results.put((False, LlmError(f"{type(exc).__name__}: {exc}", retryable=True)))

    threading.Thread(target=run, daemon=True, name="dabprp-llm").start()
    try:
        ok, value = results.get(timeout=timeout + 0.5)
    except queue.Empty:
        raise LlmError(f"no complete answer within {timeout:g} s", retryable=True) from None
    if ok:
        return value
    raise value


def _post(base_url: str, api_key: str, body: dict[str, Any], timeout: float, max_bytes: int) -> Completion:
    deadline = time.monotonic() + timeout
    url = urllib.parse.urlsplit(base_url.rstrip("/") + "/chat/completions")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise LlmError(f"not an http(s) URL: {base_url}")
    connection_type = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(url.hostname, url.port, timeout=_left(deadline))
    try:
        payload = json.dumps(body).encode("utf-8")
        path = url.path + (f"?{url.query}" if url.query else "")
        connection.request("POST", path, body=payload, headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "Authorization": f"Bearer {api_key}"})
        response = connection.getresponse()
        data = _read_body(connection, response, deadline, max_bytes)
    except TimeoutError:
        raise LlmError(f"no complete answer within {timeout:g} s", retryable=True) from None
    except OSError as exc:  # connection refused, reset
        raise LlmError(f"{type(exc).__name__}: {exc}", retryable=True) from None
    except http.client.HTTPException as exc:
        raise LlmError(f"bad HTTP answer ({type(exc).__name__})", retryable=True) from None
    finally:
        connection.close()
    if response.status != 200:
        raise LlmError(f"HTTP {response.status}", retryable=response.status in RETRY_STATUSES)
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise LlmError(f"answer is `{content_type or 'untyped'}`, not application/json")
    return parse_completion(data)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise LlmError("no complete answer within the time limit", retryable=True)
    return left


def _read_body(connection: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float,
               max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if connection.sock is not None:
            connection.sock.settimeout(_left(deadline))
        chunk = response.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise LlmError(f"answer larger than {max_bytes} bytes; not read further")
        chunks.append(chunk)
        _left(deadline)


def parse_completion(data: bytes) -> Completion:
    """The first choice's text; LlmError for anything that is not a chat completion with string content."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LlmError("answer is not JSON") from None
    choices = doc.get("choices") if isinstance(doc, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmError("answer has no `choices` list")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        raise LlmError(f"`content` is {type(content).__name__}, not text")
    reason = choices[0].get("finish_reason")
    return Completion(content or "", reason if isinstance(reason, str) else None)
