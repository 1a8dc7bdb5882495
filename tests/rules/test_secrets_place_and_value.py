"""DAB305 judges the value and the place: test mocks, placeholders and model ids are not credentials; a
real-looking token is one wherever it is. Values are never printed."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.rules import run_rules
from tests.conftest import write_tree

DAPI = "dapi" + "5f2c" * 8  # the format of a Databricks token, built so no token sits in this file
LONG_KEY = "Q7x" + "9fK2mZ4pL8vN3wR6" + "tY1u"


def dab305(root) -> list[tuple[str, int]]:
    project = analyze(str(root))
    return sorted((f.location.path, f.location.line) for f in run_rules(project) if f.rule_id == "DAB305")


def test_mocks_placeholders_and_model_ids_are_silent(tmp_path):
    root = write_tree(tmp_path, {
        "tests/mocks.py": "class MockClient:\n    def __init__(self):\n        self.api_key = 'mock-key'\n"
                          "        self.token = 'a8f3k2m9x7q1'\n",
        "src/models.py": "HF_TOKENIZER = 'sentence-transformers/all-MiniLM-L6-v2'\n"
                         "EMBEDDING_TOKEN_REPO = 'BAAI/bge-small-en-v1.5'\nMAX_TOKENS = 4096\n"
                         "API_KEY = 'your-api-key-here'\nPASSWORD = 'changeme'\nSECRET_SCOPE = '{{secrets/s/k}}'\n"
                         "token_count = 'aaaaaaaaaaaa'\n",
        "src/fakes.py": "class FakeLLM:\n    api_key = 'k3j4h5g6f7d8s9'\n",
    })
    assert dab305(root) == []


def test_real_looking_tokens_fire_even_in_tests_and_are_redacted(tmp_path):
    root = write_tree(tmp_path, {
        "tests/test_client.py": f"def test_x():\n    token = '{DAPI}'\n",
        "src/client.py": f"API_KEY = '{LONG_KEY}'\n",
    })
    project = analyze(str(root))
    found = [(f.location.path, f.location.line, f.message) for f in run_rules(project) if f.rule_id == "DAB305"]
    assert sorted(found) == [
        ("src/client.py", 1, "hard-coded credential (assignment to `API_KEY`); value redacted"),
        ("tests/test_client.py", 2, "hard-coded credential (databricks-token); value redacted"),
    ]
    assert DAPI not in repr(project) and LONG_KEY not in repr(project)


PASSWORD = "Xk9" + "#mQ2vLp7z"
BUNDLE = f"""bundle:
  name: leaky
variables:
  api_token:
    default: {DAPI}
  db_password:
    default: "{PASSWORD}"
  secret_scope:
    default: leaky-scope
  secret_key_name:
    default: databricks_pat
resources:
  jobs:
    nightly:
      name: nightly
      tasks:
        - task_key: run
          notebook_task:
            notebook_path: ./src/run.py
            base_parameters:
              token: "{{{{secrets/leaky-scope/pat}}}}"
              max_tokens: "4096"
          new_cluster:
            spark_env_vars:
              OPENAI_API_KEY: sk-{LONG_KEY}abc
targets:
  dev:
    default: true
"""
CONFIG = f"""llm:
  endpoint_name: databricks-meta-llama-3-3-70b-instruct
databricks_pat:
  secret_scope_name: leaky-scope
  secret_key_name: databricks_pat
api_token: {DAPI}
env:
  - name: SERVICE_PASSWORD
    value: "{PASSWORD}"
  - name: LOG_LEVEL
    value: info
"""


def _leaky(tmp_path):
    return write_tree(tmp_path, {"databricks.yml": BUNDLE, "config.yaml": CONFIG,
                                 "src/run.py": "print('run')\n"})


def test_credentials_in_bundle_and_agent_config_are_findings_at_their_lines(tmp_path):
    root = _leaky(tmp_path)
    project = analyze(str(root))
    found = [(f.location.path, f.location.line, f.message) for f in run_rules(project) if f.rule_id == "DAB305"]
    assert sorted(found) == [
        ("config.yaml", 6, "hard-coded credential (databricks-token); value redacted"),
        ("config.yaml", 9, "hard-coded credential (value of `SERVICE_PASSWORD`); value redacted"),
        ("databricks.yml", 5, "hard-coded credential (databricks-token); value redacted"),
        ("databricks.yml", 7, "hard-coded credential (value of `db_password`); value redacted"),
        ("databricks.yml", 25, "hard-coded credential (openai-key); value redacted"),
    ]
    # names of secrets, secret references, placeholders and numbers are not credentials
    assert "leaky-scope" in repr(project) and "databricks_pat" in repr(project)
    assert DAPI not in repr(project) and PASSWORD not in repr(project) and LONG_KEY not in repr(project)


def test_no_output_prints_a_credential_found_in_yaml(tmp_path):
    from click.testing import CliRunner

    from dabprp.cli import main

    root = _leaky(tmp_path)
    outputs = []
    for args in (["analyze", str(root)], ["analyze", str(root), "--format", "json"],
                 ["check", str(root)], ["check", str(root), "--format", "json"],
                 ["check", str(root), "--format", "sarif"], ["generate", str(root), "--stdout"],
                 ["generate", str(root), "--format", "json"], ["scaffold", str(root), "--dry-run"],
                 ["validate", str(root), "--all-targets"], ["status", str(root)]):
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
        outputs.append(result.output)
    text = "\n".join(outputs)
    assert "hard-coded credential" in text and "***redacted***" in text
    for secret in (DAPI, PASSWORD, LONG_KEY):
        assert secret not in text
    # scaffold keeps the user's values in the file itself: only the display is redacted
    assert DAPI in (root / "databricks.yml").read_text()
