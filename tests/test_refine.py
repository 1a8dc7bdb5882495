"""`generate --refine` against a real chat-completions HTTP server on 127.0.0.1 (no mocks of the client)."""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner

from dabprp.api import generate
from dabprp.cli import main
from tests.chat_endpoint import LocalChatEndpoint
from tests.conftest import EXAMPLE, copy_project


def chat_answer(behaviour):
    """An answer writer: `behaviour(passage)` gives the reply text, an HTTP status, or "SLEEP"."""

    def answer(body, passage, handler):
        result = behaviour(passage)
        if isinstance(result, int):
            handler.send_response(result)
            handler.end_headers()
            handler.wfile.write(b'{"error": {"message": "boom"}}')
            return
        if result == "SLEEP":
            time.sleep(3)
            result = passage
        payload = {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": result}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def ChatServer(behaviour):
    return LocalChatEndpoint(chat_answer(behaviour))


@pytest.fixture
def project(tmp_path):
    dest = tmp_path / "p"
    copy_project(EXAMPLE, dest)
    return dest


def run_refine(project, behaviour, *extra):
    with ChatServer(behaviour) as server:
        result = CliRunner().invoke(main, ["generate", str(project), "--stdout", "--refine", "--llm-base-url",
                                           server.url, "--llm-model", "test-model", "--llm-retries", "0", *extra],
                                    env={"DABPRP_LLM_API_KEY": "k"})
    return result, server


def deterministic(project):
    return generate(str(project))[0]


def fences(text):
    return re.findall(r"```.*?```", text, flags=re.S)


def test_correct_reference_is_kept(project):
    result, server = run_refine(project, lambda p: p + " See `src/multiagent_genie.py:133`.")
    assert result.exit_code == 0
    assert server.requests and all(r["model"] == "test-model" for r in server.requests)
    assert "See `src/multiagent_genie.py:133`." in result.stdout
    assert fences(result.stdout) == fences(deterministic(project))


def test_invented_path_sentence_dropped_and_reported(project):
    result, _ = run_refine(project, lambda p: p + " The router lives in `src/router_v2.py:12`.")
    assert result.exit_code == 0
    assert "src/router_v2.py" not in result.stdout
    assert "dropped a sentence with an unverifiable reference (`src/router_v2.py:12`)" in result.stderr


def test_invented_job_name_dropped(project):
    result, _ = run_refine(project, lambda p: p + " Schedule `nightly_sec_regression_job` every night.")
    assert result.exit_code == 0 and "nightly_sec_regression_job" not in result.stdout
    assert "`nightly_sec_regression_job`" in result.stderr


def test_invented_number_dropped(project):
    result, _ = run_refine(project, lambda p: p + " This cuts incidents by 73917%.")
    assert "73917" not in result.stdout and "number 73917%" in result.stderr


def test_changed_yaml_block_is_rejected(project):
    result, _ = run_refine(project, lambda p: "```yaml\nresources:\n  jobs: {}\n```")
    assert result.exit_code == 0
    assert result.stdout == deterministic(project)
    assert "contains code, tables or headings" in result.stderr


def test_answer_that_loses_a_reference_falls_back(project):
    result, _ = run_refine(project, lambda p: re.sub(r"`[^`]+`", "it", p) if "`" in p else p)
    assert result.exit_code == 0 and result.stdout == deterministic(project)
    assert "the answer lost" in result.stderr


def test_empty_answer_keeps_generated_text(project):
    result, _ = run_refine(project, lambda p: "")
    assert result.exit_code == 0 and result.stdout == deterministic(project)
    assert "empty answer" in result.stderr


def test_http_500_keeps_deterministic_prp(project):
    result, _ = run_refine(project, lambda p: 500)
    assert result.exit_code == 0 and result.stdout == deterministic(project)
    assert "API error" in result.stderr


def test_timeout_keeps_deterministic_prp(project):
    result, _ = run_refine(project, lambda p: "SLEEP", "--llm-timeout", "0.5")
    assert result.exit_code == 0 and result.stdout == deterministic(project)
    assert "API error: no complete answer within 0.5 s" in result.stderr


def test_refine_dry_run_sends_nothing_and_redacts(project):
    (project / "src" / "configs.yaml").write_text((project / "src" / "configs.yaml").read_text())
    with ChatServer(lambda p: p) as server:
        result = CliRunner().invoke(main, ["generate", str(project), "--refine-dry-run", "--llm-base-url",
                                           server.url, "--llm-model", "m"])
    assert result.exit_code == 0 and server.requests == []
    bodies = [json.loads(b) for b in re.findall(r"^\{.*?^\}", result.stdout, flags=re.S | re.M)]
    assert bodies and all(b["model"] == "m" and b["messages"][0]["role"] == "system" for b in bodies)
    assert "```" not in result.stdout and "| rule |" not in result.stdout
    assert not (project / "PRPs").exists()


def test_missing_settings_is_usage_error(project, monkeypatch):
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    monkeypatch.delenv("DABPRP_LLM_BASE_URL", raising=False)
    result = CliRunner().invoke(main, ["generate", str(project), "--refine", "--llm-model", "m"])
    assert result.exit_code == 2 and "no LLM endpoint" in result.stderr
