"""The `resources=` list of a `log_model` call, read statically: one `ModelResource` per entry."""

from __future__ import annotations

import ast
from collections.abc import Callable

from dabprp.facts import Location, ModelResource
from dabprp.parse.python_ast import qualified
from dabprp.parse.python_values import Folder

RESOURCES_MODULE = "mlflow.models.resources."
# The first parameter of each resource class (a positional first argument is passed as this keyword).
FIRST_PARAMETER = {
    "DatabricksServingEndpoint": "endpoint_name", "DatabricksGenieSpace": "genie_space_id",
    "DatabricksSQLWarehouse": "warehouse_id", "DatabricksVectorSearchIndex": "index_name",
    "DatabricksFunction": "function_name", "DatabricksTable": "table_name",
    "DatabricksUCConnection": "connection_name", "DatabricksApp": "app_name",
    "DatabricksLakebase": "database_instance_name", "DatabricksUCModelService": "model_service_name",
}


def model_resources(call: ast.Call, folder: Folder, aliases: dict[str, str],
                    loc: Callable[[ast.AST], Location]) -> list[ModelResource]:
    """The entries of `call`'s `resources=` argument: a list or tuple written in the call or bound once to a
    name. Nothing when any entry is not a resource class called with plain arguments (`[*base, x]`,
    a comprehension, a helper's result): then the list is not known statically."""
    node: ast.AST | None = next((k.value for k in call.keywords if k.arg == "resources"), None)
    if isinstance(node, ast.Name):
        node = folder.bound(node.id)
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    out = []
    for element in node.elts:
        if not isinstance(element, ast.Call):
            return []
        api = qualified(element.func, aliases) or ""
        kind = api.rsplit(".", 1)[-1]
        if not api.startswith(RESOURCES_MODULE) or kind not in FIRST_PARAMETER or len(element.args) > 1 \
                or any(k.arg is None for k in element.keywords):
            return []
        args = {FIRST_PARAMETER[kind]: folder.value(element.args[0])} if element.args else {}
        args.update({str(k.arg): folder.value(k.value) for k in element.keywords})
        out.append(ModelResource(kind, loc(element), args, loc(call)))
    return out
