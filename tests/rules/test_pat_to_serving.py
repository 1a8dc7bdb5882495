"""DAB304 judges each `environment_vars` entry of `agents.deploy` (typed `Mapping` entries), at the entry's line:
rows of (code after the imports, expected (line, message) hits; empty when it must stay silent)."""

from __future__ import annotations

import pytest

from dabprp.analyze import analyze
from dabprp.rules import run_rules
from tests.conftest import write_tree

HEAD = "import os\nfrom databricks import agents\n"  # lines 1-2; the code of a row starts on line 3
PAT = "(a personal access token) to the serving endpoint"

ROWS = [
    # hits: the key says PAT or token
    ("agents.deploy('c.s.m', 1, environment_vars={'DATABRICKS_TOKEN': '{{secrets/s/k}}'})\n",
     [(3, f"`agents.deploy` passes `DATABRICKS_TOKEN` {PAT}")]),
    ("agents.deploy(\n    'c.s.m', 1,\n    environment_vars={\n        'DATABRICKS_HOST': 'https://h',\n"
     "        'GENIE_PAT': f'{{{{secrets/{scope}/{key}}}}}',\n    },\n)\n",
     [(7, f"`agents.deploy` passes `GENIE_PAT` {PAT}")]),
    ("agents.deploy('c.s.m', 1, environment_vars=dict(databricksToken=os.environ['X']))\n",
     [(3, f"`agents.deploy` passes `databricksToken` {PAT}")]),
    # hits: the value reads a secret or variable named like a PAT
    ("agents.deploy('c.s.m', 1, environment_vars={'AUTH': '{{secrets/scope/my-pat}}'})\n",
     [(3, f"`agents.deploy` passes `AUTH` from secret `my-pat` {PAT}")]),
    ("SCOPE = 'prod'\nagents.deploy('c.s.m', 1, environment_vars={'AUTH': f'{{{{secrets/{SCOPE}/genie_pat}}}}'})\n",
     [(4, f"`agents.deploy` passes `AUTH` from secret `genie_pat` {PAT}")]),
    ("agents.deploy('c.s.m', 1, environment_vars={'AUTH': dbutils.secrets.get('scope', 'my-pat')})\n",
     [(3, f"`agents.deploy` passes `AUTH` from secret `my-pat` {PAT}")]),
    ("agents.deploy('c.s.m', 1, environment_vars={'AUTH': os.environ['DATABRICKS_TOKEN']})\n",
     [(3, f"`agents.deploy` passes `AUTH` from environment variable `DATABRICKS_TOKEN` {PAT}")]),
    ("agents.deploy('c.s.m', 1, environment_vars={'AUTH': os.getenv('DATABRICKS_TOKEN', 'none')})\n",
     [(3, f"`agents.deploy` passes `AUTH` from environment variable `DATABRICKS_TOKEN` {PAT}")]),
    # hits: through a name bound once, and a dict unpacked into the argument
    ("def deploy():\n    auth = dbutils.secrets.get(scope='s', key='deploy-token')\n"
     "    env = {\n        'MLFLOW_EXPERIMENT_NAME': '/x',\n        'AUTH': auth,\n    }\n"
     "    agents.deploy('c.s.m', 1, environment_vars=env)\n",
     [(7, f"`agents.deploy` passes `AUTH` from secret `deploy-token` {PAT}")]),
    ("BASE = {'HOST': 'h', 'DATABRICKS_PAT': '{{secrets/s/k}}'}\n"
     "agents.deploy('c.s.m', 1, environment_vars={**BASE, 'X': '1'})\n",
     [(3, f"`agents.deploy` passes `DATABRICKS_PAT` {PAT}")]),
    # silent: host, experiment, OAuth client credentials, token counts, other secrets, computed dicts
    ("agents.deploy('c.s.m', 1, environment_vars={'DATABRICKS_HOST': 'https://h',\n"
     "                                            'MLFLOW_EXPERIMENT_NAME': '/Shared/x'})\n", []),
    ("agents.deploy('c.s.m', 1, environment_vars={'DATABRICKS_CLIENT_ID': '{{secrets/s/sp-id}}',\n"
     "                                            'DATABRICKS_CLIENT_SECRET': '{{secrets/s/sp-secret}}'})\n", []),
    ("agents.deploy('c.s.m', 1, environment_vars={'DATABRICKS_CLIENT_SECRET': '{{secrets/s/oauth-token}}'})\n", []),
    ("agents.deploy('c.s.m', 1, environment_vars={'MAX_TOKENS': '512', 'TOKENIZER': 'gpt2',\n"
     "                                            'OPENAI_API_KEY': '{{secrets/s/openai}}'})\n", []),
    ("agents.deploy('c.s.m', 1, environment_vars={'SPATIAL': os.environ['PATH']})\n", []),
    ("agents.deploy('c.s.m', 1, environment_vars=build_env())\n", []),
    ("def deploy(env):\n    agents.deploy('c.s.m', 1, environment_vars=env)\n", []),
    ("send(headers={'DATABRICKS_TOKEN': '{{secrets/s/k}}'})\n", []),
]


@pytest.mark.parametrize(("code", "expected"), ROWS)
def test_pat_to_serving_rows(tmp_path, code, expected):
    root = write_tree(tmp_path, {"deploy.py": HEAD + code})
    found = [(f.location.line, f.message, f.evidence) for f in run_rules(analyze(str(root)))
             if f.rule_id == "DAB304"]
    assert [(line, message) for line, message, _ in found] == expected
    assert all(len(evidence) == 1 and evidence[0].path == "deploy.py" for _, _, evidence in found)
