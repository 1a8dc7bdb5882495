"""Each grant the PRP lists names the file that declares it, and that file, as scaffold writes it and the CLI
resolves it per target, holds exactly that grant; what a bundle cannot declare is said to be granted by hand."""

from __future__ import annotations

from dabprp.api import plan as make_plan
from dabprp.api import scaffold
from dabprp.parse.bundle_load import load_bundle
from dabprp.rehearse.resolve import load_target
from tests.conftest import EXAMPLE, copy_into


def test_example_grants_say_where_they_are_declared_and_are_there(tmp_path):
    root = copy_into(EXAMPLE, tmp_path)
    plan, _ = make_plan(str(root))
    assert [(g.principal, g.securable, g.privileges, g.written_in) for g in plan.grants] == [
        ("deployer service principal", "<catalog>.<schema>.multiagent_genie", "MANAGE, EXECUTE, APPLY_TAG",
         "databricks.yml"),
        ("model-approvers", "<catalog>.<schema>.multiagent_genie", "APPLY_TAG, EXECUTE", "resources/model.yml"),
        ("account users", "<catalog>.<schema>.multiagent_genie", "EXECUTE", "resources/model.yml"),
        ("deployer service principal", "job multiagent_genie_deployment", "run_as", "databricks.yml"),
        ("model-approvers", "job multiagent_genie_deployment", "CAN_MANAGE_RUN", "resources/deployment_job.yml"),
        ("deployer service principal", "catalog / schema", "USE CATALOG, USE SCHEMA, CREATE MODEL", ""),
        ("users", "serving endpoint", "CAN_QUERY", ""),  # agents.deploy owns the endpoint: not in the bundle
    ]
    scaffold(str(root))
    config = load_target(load_bundle(str(root)), "prod")
    model = config.resource("registered_models", "multiagent_genie_model")
    grants = {g["principal"]: sorted(g["privileges"]) for g in model["grants"]}
    assert grants == {"account users": ["EXECUTE"], "model-approvers": ["APPLY_TAG", "EXECUTE"],
                      "rehearsal-deployer_sp": ["APPLY_TAG", "EXECUTE", "MANAGE"]}
    job = config.resource("jobs", "multiagent_genie_deployment")
    assert job["run_as"] == {"service_principal_name": "rehearsal-deployer_sp"}
    assert {"level": "CAN_MANAGE_RUN", "group_name": "model-approvers"} in job["permissions"]


def test_the_prp_marks_grants_to_make_by_hand():
    from dabprp.api import generate

    text, _ = generate(str(EXAMPLE))
    section = text.split("### 2.4 Security and compliance", 1)[1].split("Open security gaps", 1)[0]
    assert ("USE CATALOG, USE SCHEMA, CREATE MODEL on `catalog / schema` (register versions in each environment's "
            "catalog; **by hand**: the bundle does not declare it)") in section
    assert ("EXECUTE on `<catalog>.<schema>.multiagent_genie` (load the model; see deployment status (UC grants "
            "name account-level groups); in `resources/model.yml`)") in section
