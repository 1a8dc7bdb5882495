"""Constant folding of endpoint names and their classification: literal, folded, or typed as an expression."""

from __future__ import annotations

import json

from dabprp.analyze import analyze
from dabprp.facts import EndpointUse, Expr, Literal, Location, Unknown, to_data
from dabprp.parse.notebooks import from_source
from dabprp.parse.python_source import analyze_python


def endpoints_of(code: str, path: str = "agent.py") -> list[tuple[str, str, object]]:
    facts = analyze_python(path, from_source(path, code))
    return [(c.name, c.role, c.endpoint) for c in facts.code if isinstance(c, EndpointUse)]


def test_getenv_and_environ_defaults_fold_with_evidence():
    code = (
        "import os\nfrom databricks_langchain import ChatDatabricks\n"
        "LLM = os.getenv('LLM_MODEL', 'databricks-meta-llama-3-3-70b-instruct')\n"
        "llm = ChatDatabricks(endpoint=LLM)\n"
        "def build():\n"
        "    name = os.environ.get('JUDGE', default='databricks-claude-sonnet-4')\n"
        "    return ChatDatabricks(model=name)\n"
        "def no_default():\n"
        "    return ChatDatabricks(endpoint=os.environ['LLM'])\n"
    )
    assert endpoints_of(code) == [
        ("ChatDatabricks", "chat", Literal("databricks-meta-llama-3-3-70b-instruct",
                                           "default of os.getenv('LLM_MODEL')", Location("agent.py", 3))),
        ("ChatDatabricks", "chat", Literal("databricks-claude-sonnet-4", "default of os.environ.get('JUDGE')",
                                           Location("agent.py", 6))),
        ("ChatDatabricks", "chat", Expr("os.environ['LLM']")),
    ]


def test_chat_databricks_without_positional_and_keyword_forms():
    code = (
        "from databricks_langchain import ChatDatabricks\n"
        "a = ChatDatabricks()\nb = ChatDatabricks('databricks-dbrx')\n"
        "def make(endpoint_name):\n    return ChatDatabricks(endpoint=endpoint_name)\n"
    )
    assert endpoints_of(code) == [
        ("ChatDatabricks", "chat", Unknown("no endpoint argument in the call")),
        ("ChatDatabricks", "chat", Literal("databricks-dbrx")),
        ("ChatDatabricks", "chat", Expr("endpoint_name")),
    ]


def test_module_constants_self_attributes_and_fstrings():
    code = (
        "from databricks_langchain import ChatDatabricks\nPREFIX = 'databricks-'\nFAMILY = 'llama'\n"
        "class Agent:\n    def __init__(self):\n        self.endpoint = f'{PREFIX}{FAMILY}'\n"
        "    def llm(self):\n        return ChatDatabricks(endpoint=self.endpoint)\n"
        "    def other(self, x):\n        return ChatDatabricks(endpoint=f'{PREFIX}{x}')\n"
    )
    (first, second) = endpoints_of(code)
    assert first[2] == Literal("databricks-llama", "f-string of constants (via self.endpoint)",
                               Location("agent.py", 6))
    assert second[2] == Expr("f'{PREFIX}{x}'")


def test_roles_embedding_vector_index_and_endpoint_are_not_chat():
    code = (
        "from databricks_langchain import DatabricksEmbeddings, VectorSearchRetrieverTool, ChatDatabricks\n"
        "from databricks.vector_search.client import VectorSearchClient\n"
        "emb = DatabricksEmbeddings(endpoint='databricks-gte-large-en')\n"
        "tool = VectorSearchRetrieverTool(index_name='main.rag.docs_index')\n"
        "idx = VectorSearchClient().get_index(endpoint_name='vs-endpoint', index_name='main.rag.chunks')\n"
        "llm = ChatDatabricks(endpoint='databricks-claude-sonnet-4')\n"
    )
    assert endpoints_of(code) == [
        ("DatabricksEmbeddings", "embedding", Literal("databricks-gte-large-en")),
        ("VectorSearchRetrieverTool", "vector_search_index", Literal("main.rag.docs_index")),
        ("VectorSearchClient.get_index", "vector_search_index", Literal("main.rag.chunks")),
        ("VectorSearchClient.get_index", "vector_search_endpoint", Literal("vs-endpoint")),
        ("ChatDatabricks", "chat", Literal("databricks-claude-sonnet-4")),
    ]


def test_config_lookup_resolves_through_the_agent_config(tree):
    root = tree({
        "agent.py": (
            "import mlflow\nfrom databricks_langchain import ChatDatabricks\n"
            "config = mlflow.models.ModelConfig(development_config='agent_config.yaml')\n"
            "llm_cfg = config.get('llm')\n"
            "llm = ChatDatabricks(endpoint=llm_cfg.get('endpoint_name'))\n"
            "judge = ChatDatabricks(endpoint=config.get('missing_key'))\n"
        ),
        "agent_config.yaml": (
            "llm:\n  endpoint_name: databricks-claude-sonnet-4\n"
            "retriever:\n  vector_search_index: main.rag.docs_index\n  embedding_endpoint: my-embedder\n"
            "serving_endpoint_name: support-agent\n  \n"
            "uc_model_name: main.rag.support_agent\nmodel_name: support_agent\n"
        ),
    })
    project = analyze(str(root))
    chat = project.python.endpoints("chat")
    assert [c.endpoint for c in chat] == [
        Literal("databricks-claude-sonnet-4", "config key llm.endpoint_name in agent_config.yaml",
                Location("agent_config.yaml", 2)),
        Expr("config.get('missing_key')", "missing_key"),
    ]
    (cfg,) = project.configs
    assert [(e.key, e.value, e.role) for e in cfg.endpoints] == [
        ("llm.endpoint_name", "databricks-claude-sonnet-4", "chat"),
        ("retriever.vector_search_index", "main.rag.docs_index", "vector_search_index"),
        ("retriever.embedding_endpoint", "my-embedder", "embedding"),
        ("serving_endpoint_name", "support-agent", "agent_endpoint"),
    ]
    assert [v.key for v in cfg.llm_endpoints] == ["llm.endpoint_name"]


def test_json_keeps_the_schema_1_shape_first():
    facts = analyze_python("a.py", from_source("a.py", "from x import ChatDatabricks\nChatDatabricks(endpoint=E)\n"))
    data = to_data(facts.code[0])
    assert list(data)[:4] == ["kind", "name", "location", "detail"]
    assert data["kind"] == "llm_endpoint" and data["detail"] == {"endpoint": "<E>", "function": None}
    assert json.loads(json.dumps(data))["endpoint"] == {"source": "E", "config_key": None, "template": []}


def test_the_agents_own_endpoint_is_not_an_llm_it_calls(tree):
    root = tree({
        "databricks.yml": (
            "bundle:\n  name: rag\nresources:\n  registered_models:\n    model:\n      name: support_agent\n"
            "      catalog_name: main\n      schema_name: rag\n  model_serving_endpoints:\n    ep:\n"
            "      name: support-agent\n      config:\n        served_entities:\n"
            "          - entity_name: main.rag.support_agent\n            entity_version: '1'\n"
            "targets:\n  dev:\n    mode: development\n    default: true\n"
        ),
        "tests/smoke.py": (
            "from databricks_langchain import ChatDatabricks\n"
            "own = ChatDatabricks(endpoint='support-agent')\n"
            "deployed = ChatDatabricks(endpoint='agents_main-rag-support_agent')\n"
            "llm = ChatDatabricks(endpoint='databricks-claude-sonnet-4')\n"
        ),
    })
    py = analyze(str(root)).python
    assert [(e.role, e.endpoint, e.evidence) for e in py.of(EndpointUse)] == [
        ("agent_endpoint", Literal("support-agent"),
         "ChatDatabricks `endpoint=`; a bundle endpoint serving the project's model"),
        ("agent_endpoint", Literal("agents_main-rag-support_agent"),
         "ChatDatabricks `endpoint=`; an `agents.deploy` endpoint name"),
        ("chat", Literal("databricks-claude-sonnet-4"), "ChatDatabricks `endpoint=`"),
    ]


def test_secret_reference_values_are_typed():
    facts = analyze_python("s.py", from_source("s.py", (
        "SCOPE = 'prod-secrets'\n"
        "def f(dbutils, key_name):\n"
        "    return dbutils.secrets.get(scope=SCOPE, key=key_name)\n")))
    (ref,) = facts.secret_refs
    assert (ref.scope, ref.key) == ("prod-secrets", "<key_name>")
    assert ref.scope_value == Literal("prod-secrets", "constant SCOPE", Location("s.py", 1))
    assert ref.key_value == Expr("key_name")


def test_the_plan_lists_what_is_not_known_statically(tree):
    from dabprp.api import plan

    root = tree({
        "databricks.yml": "bundle:\n  name: p\ntargets:\n  dev:\n    mode: development\n    default: true\n",
        "agent.py": ("import os\nfrom databricks_langchain import ChatDatabricks\n"
                     "def make(name):\n    return ChatDatabricks(endpoint=name)\n"
                     "llm = ChatDatabricks()\nfixed = ChatDatabricks(endpoint=os.getenv('E', 'databricks-x'))\n"),
    })
    built, _ = plan(str(root), None)
    assert [(str(e.label), str(e.value), str(e.location)) for e in built.agent.not_static] == [
        ("chat endpoint of ChatDatabricks", "read at run time from name", "agent.py:4"),
        ("chat endpoint of ChatDatabricks", "not known statically (no endpoint argument in the call)", "agent.py:5"),
    ]
