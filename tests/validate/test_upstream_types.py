"""Our vendored schema agrees with the typed classes of `databricks-bundles` on generated resources."""

from __future__ import annotations

import re

import pytest
import yaml

from dabprp.api import generate
from dabprp.validate.schema import schema_errors
from tests.conftest import EXAMPLE, FIXTURES

bundles = pytest.importorskip("databricks.bundles")
from databricks.bundles.apps import App  # noqa: E402
from databricks.bundles.experiments import MlflowExperiment  # noqa: E402
from databricks.bundles.jobs import Job  # noqa: E402
from databricks.bundles.model_serving_endpoints import ModelServingEndpoint  # noqa: E402
from databricks.bundles.registered_models import RegisteredModel  # noqa: E402
from databricks.bundles.secret_scopes import SecretScope  # noqa: E402

TYPES = {"jobs": Job, "registered_models": RegisteredModel, "model_serving_endpoints": ModelServingEndpoint,
         "experiments": MlflowExperiment, "apps": App, "secret_scopes": SecretScope}


def generated_resources() -> list[tuple[str, str, dict]]:
    """Every resource of every YAML block dabprp generates, plus a few hand-made variants."""
    out = []
    for project in (EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target"):
        text, _ = generate(str(project))
        for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
            doc = yaml.safe_load(block)
            for rtype, items in (doc.get("resources") or {}).items():
                for key, spec in items.items():
                    out.append((rtype, key, spec))
    out.append(("jobs", "minimal", {"name": "m", "tasks": [{"task_key": "a", "notebook_task": {
        "notebook_path": "nb"}}]}))
    out.append(("jobs", "params", {"name": "p", "max_concurrent_runs": 1, "parameters": [
        {"name": "model_name", "default": "c.s.m"}, {"name": "model_version", "default": "1"}],
        "tasks": [{"task_key": "Approval_Check", "max_retries": 0, "condition_task": {
            "op": "EQUAL_TO", "left": "a", "right": "b"}}]}))
    out.append(("model_serving_endpoints", "canary", {"name": "e", "config": {
        "served_entities": [{"name": "a", "entity_name": "c.s.m", "entity_version": "1", "workload_size": "Small",
                             "scale_to_zero_enabled": True},
                            {"name": "b", "entity_name": "c.s.m", "entity_version": "2", "workload_size": "Small",
                             "scale_to_zero_enabled": True}],
        "traffic_config": {"routes": [{"served_entity_name": "a", "traffic_percentage": 90},
                                      {"served_entity_name": "b", "traffic_percentage": 10}]}}}))
    return out


RESOURCES = generated_resources()


@pytest.mark.parametrize(("rtype", "key", "spec"), RESOURCES, ids=[f"{r}.{k}" for r, k, _ in RESOURCES])
def test_round_trip_through_typed_classes_validates(rtype, key, spec):
    cls = TYPES[rtype]
    round_tripped = cls.from_dict(spec).as_dict()
    assert cls.from_dict(round_tripped) == cls.from_dict(spec)
    assert schema_errors({"resources": {rtype: {key: spec}}}) == []
    assert schema_errors({"resources": {rtype: {key: round_tripped}}}) == []


def test_schema_rejects_what_types_reject():
    bad = {"name": "b", "tasks": [{"task_key": "a", "condition_task": {"op": "GREATER_OR_EQUAL",
                                                                     "left": "1", "right": "0"}}]}
    assert schema_errors({"resources": {"jobs": {"b": bad}}})
    with pytest.raises((ValueError, KeyError, TypeError)):
        Job.from_dict(bad).as_dict()
