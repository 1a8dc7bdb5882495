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
