"""The plan's bundle content is typed data; its configuration tree is derived in one place (`spec`)."""

from __future__ import annotations

from dabprp.plan.bundle_model import JobEnvironment, Permission, ResourceEdit, UCGrant, Variable
from dabprp.plan.bundle_targets import planned_targets
from dabprp.plan.model import Environment


def _env(name: str, mode: str, exists: bool = False) -> Environment:
    return Environment(name, mode, "main", "agents", f"{name}-scope", "deployer", None, name == "dev", name,
                       exists=exists)


def test_variables_without_default_and_complex_ones():
    assert Variable("serving_version", "the served version").spec() == {"description": "the served version"}
    assert Variable("deployer_sp", "id", "").spec() == {"description": "id", "default": ""}
    assert Variable("env", "deps", (JobEnvironment(("mlflow>=3",)),)).spec() == {
        "description": "deps", "type": "complex",
        "default": [{"environment_key": "default",
                     "spec": {"environment_version": "4", "dependencies": ["mlflow>=3"]}}]}


def test_a_target_merges_what_it_sets_on_one_resource_into_one_entry():
    read = Permission("READ", service_principal_name="${var.sp}")
    deployer = (ResourceEdit("secret_scopes", "s", permissions=(read,)),
                ResourceEdit("registered_models", "m", grants=(UCGrant("${var.sp}", ("EXECUTE",)),)))
    own = {"prod": (ResourceEdit("secret_scopes", "s", fields=(("name", "scope-${bundle.target}"),)),
                    ResourceEdit("apps", "a", fields=(("name", "app-${bundle.target}"),)))}
    dev, prod = planned_targets((_env("dev", "development", exists=True), _env("prod", "production")),
                                {"deployer_sp": Variable("deployer_sp", "id", "")}, {"prod": {"catalog": "prod"}},
                                deployer, "${var.sp}", own)
    assert dev.spec() == {}  # an existing development target: nothing added
    assert prod.spec() == {
        "mode": "production",
        "run_as": {"service_principal_name": "${var.sp}"},
        "variables": {"catalog": "prod", "deployer_sp": {"lookup": {"service_principal": "deployer"}}},
        "resources": {
            "secret_scopes": {"s": {"permissions": [{"level": "READ", "service_principal_name": "${var.sp}"}],
                                    "name": "scope-${bundle.target}"}},
            "registered_models": {"m": {"grants": [{"principal": "${var.sp}", "privileges": ["EXECUTE"]}]}},
            "apps": {"a": {"name": "app-${bundle.target}"}}},
        "permissions": [{"level": "CAN_MANAGE", "group_name": "${var.admin_group}"}]}
