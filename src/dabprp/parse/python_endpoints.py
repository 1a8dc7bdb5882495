"""Which calls name an endpoint, and what for: chat models, embeddings, vector-search indexes and endpoints.

Data, not logic: the class or method, the keyword (or position) that carries the name, and the role."""

from __future__ import annotations

import ast
from dataclasses import replace

from dabprp.facts import Bundle, EndpointUse, PythonFacts, literal_str
from dabprp.records import record


@record
class EndpointArg:
    role: str
    keywords: tuple[str, ...]
    position: int | None = None


# Class name → the arguments that name endpoints. `ChatDatabricks` takes `endpoint` (alias `model`);
# a positional name is what the code says, even where the class would reject it at run time.
CLASS_ENDPOINTS: dict[str, tuple[EndpointArg, ...]] = {
    "ChatDatabricks": (EndpointArg("chat", ("endpoint", "model", "target_uri"), 0),),
    "ChatOpenAI": (EndpointArg("chat", ("model", "model_name")),),
    "AzureChatOpenAI": (EndpointArg("chat", ("azure_deployment", "deployment_name", "model")),),
    "ChatAnthropic": (EndpointArg("chat", ("model", "model_name")),),
    "DatabricksLLM": (EndpointArg("chat", ("endpoint_name", "endpoint")),),
    "DatabricksEmbeddings": (EndpointArg("embedding", ("endpoint", "model"), 0),),
    "OpenAIEmbeddings": (EndpointArg("embedding", ("model",)),),
    "VectorSearchRetrieverTool": (EndpointArg("vector_search_index", ("index_name",)),),
    "VectorSearchRetrieverToolkit": (EndpointArg("vector_search_index", ("index_name",)),),
    "DatabricksVectorSearch": (EndpointArg("vector_search_index", ("index_name", "index"), 0),
                               EndpointArg("vector_search_endpoint", ("endpoint",))),
}
# Method (last two or three name parts) → the arguments that name endpoints.
METHOD_ENDPOINTS: dict[str, tuple[EndpointArg, ...]] = {
    "chat.completions.create": (EndpointArg("chat", ("model",)),),
    "responses.create": (EndpointArg("chat", ("model",)),),
    "embeddings.create": (EndpointArg("embedding", ("model",)),),
}
VECTOR_CLIENT_METHODS: dict[str, tuple[EndpointArg, ...]] = {
    "get_index": (EndpointArg("vector_search_index", ("index_name",), 1),
                  EndpointArg("vector_search_endpoint", ("endpoint_name",), 0)),
}
CHAT_CLASSES = tuple(k for k, v in CLASS_ENDPOINTS.items() if v[0].role == "chat")


def endpoint_args(call: ast.Call, name: str) -> tuple[str, tuple[EndpointArg, ...]] | None:
    """(label, endpoint arguments) when `call` names endpoints, else None."""
    short = name.rsplit(".", 1)[-1]
    if short in CLASS_ENDPOINTS:
        return short, CLASS_ENDPOINTS[short]
    for method, args in METHOD_ENDPOINTS.items():
        if name.endswith("." + method):
            return method, args
    if isinstance(call.func, ast.Attribute) and call.func.attr in VECTOR_CLIENT_METHODS:
        receiver = (ast.unparse(call.func.value) + " " + name).lower()
        keyword_given = any(kw.arg == "index_name" for kw in call.keywords)
        if keyword_given or "vector" in receiver or "vsc" in receiver:
            return f"VectorSearchClient.{call.func.attr}", VECTOR_CLIENT_METHODS[call.func.attr]
    return None


def find_arg(call: ast.Call, spec: EndpointArg) -> tuple[ast.AST | None, str]:
    """The node holding the endpoint name and the keyword (or position) it came from."""
    for kw in call.keywords:
        if kw.arg in spec.keywords:
            return kw.value, f"`{kw.arg}=`"
    if spec.position is not None and spec.position < len(call.args) \
            and not any(isinstance(a, ast.Starred) for a in call.args[:spec.position + 1]):
        return call.args[spec.position], f"argument {spec.position + 1}"
    return None, ""


AGENT_ENDPOINT_PREFIX = "agents_"
"""`databricks.agents.deploy` names the endpoint `agents_<catalog>-<schema>-<model>`."""


def mark_own_endpoints(python: PythonFacts, bundle: Bundle | None) -> PythonFacts:
    """Chat calls that query the agent's own serving endpoint (an `agents.deploy` name, or a bundle endpoint
    serving one of the bundle's registered models) are `agent_endpoint` uses, not LLMs the agent calls."""
    own = set()
    if bundle is not None:
        models = {m.name for m in bundle.resources.registered_models if m.name}
        for e in bundle.resources.model_serving_endpoints:
            if e.name and any(s.entity_name and s.entity_name.rsplit(".", 1)[-1] in models
                              for s in e.served_entities):
                own.add(e.name)
    code = []
    for fact in python.code:
        if isinstance(fact, EndpointUse) and fact.role == "chat":
            name = literal_str(fact.endpoint)
            if name is not None and (name.startswith(AGENT_ENDPOINT_PREFIX) or name in own):
                why = "an `agents.deploy` endpoint name" if name.startswith(AGENT_ENDPOINT_PREFIX) \
                    else "a bundle endpoint serving the project's model"
                fact = replace(fact, role="agent_endpoint", evidence=f"{fact.evidence}; {why}")
        code.append(fact)
    return replace(python, code=tuple(code))
