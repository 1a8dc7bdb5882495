"""What the scaffolded bundle would create that already exists outside it (a bind before the first deploy), and
the project's own jobs in the targets scaffold adds (a second owner of the endpoint; a `run_as` no target can
replace). Checked on the reference project resolved per target as the CLI resolves it, and with `dabprp diff`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dabprp.api import generate, scaffold
from dabprp.diff import diff
from dabprp.diff.compare import compare
from dabprp.diff.deployed import deployed
from dabprp.diff.sources import Overlay, WorkingTree
from dabprp.parse.bundle_load import effective_tree, load_bundle
from dabprp.rehearse.resolve import load_target, resolve_deploy
from tests.conftest import EXAMPLE, copy_project

BIND = "databricks bundle deployment bind multiagent_genie_model main.sec_agents.multiagent_genie -t dev"
JANE = {"user_name": "jane.doe@example.com"}
DEPLOYER = {"service_principal_name": "rehearsal-deployer_sp"}  # the lookup of ${var.deployer_sp}, as rehearsed
PLANNED_JOBS = ("multiagent_genie_build", "multiagent_genie_deployment", "multiagent_genie_link_deployment_job",
                "multiagent_genie_load_test", "multiagent_genie_tests")
# `targets.dev` of the reference project after scaffold, as it was before binds and second owners were planned
DEV_SECTION = ("  dev:\n    mode: production\n    default: true\n    workspace:\n"
               "      host: https://adb-1234567890123456.7.azuredatabricks.net\n"
               "      root_path: ~/.bundle/${bundle.name}/${bundle.target}\n")


def _run_as(root: Path) -> dict[str, dict[str, Any]]:
    """Per target, the identity each job runs as: its own `run_as`, else the target's (None: the deployer)."""
    loaded = load_bundle(str(root))
    out: dict[str, dict[str, Any]] = {}
    for target in ("dev", "staging", "prod"):
        config = load_target(loaded, target)
        tree, _ = effective_tree(loaded, target)
        inherited = resolve_deploy(tree.get("run_as"), config, config.raw)
        out[target] = {key: config.resource("jobs", key).get("run_as") or inherited for key in config.keys("jobs")}
    return out


def _migrate(root: Path) -> str:
    """The root bundle file after the PRP's steps 3 and 4: the deploy job's definition and the evaluation job's
    `run_as` moved under `targets.dev`, unchanged."""
    doc = yaml.safe_load((root / "databricks.yml").read_text())
    jobs = doc["resources"]["jobs"]
    dev = doc["targets"]["dev"].setdefault("resources", {}).setdefault("jobs", {})
    dev["agent_deploy_job"] = jobs.pop("agent_deploy_job")
    dev["agent_evaluation_job"] = {"run_as": jobs["agent_evaluation_job"].pop("run_as")}
    return yaml.safe_dump(doc, sort_keys=False)


def _section(text: str, target: str) -> str:
    start = text.index(f"\n  {target}:\n") + 1
    ends = [text.index(f"\n  {t}:\n") + 1 for t in ("dev", "staging", "prod")
            if f"\n  {t}:\n" in text and text.index(f"\n  {t}:\n") + 1 > start]
    return text[start:min(ends, default=len(text))]


def test_diff_marks_the_model_the_code_already_registers_and_destroys_nothing_in_dev(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    report = diff(str(root))
    assert report.destructive == ()
    dev = [(c.action, c.what, c.bind) for c in report.changes if c.target == "dev"]
    assert dev == [
        ("modified", "jobs.agent_deploy_job", ""),
        *[("created", f"jobs.{k}", "") for k in PLANNED_JOBS],
        ("created", "registered_models.multiagent_genie_model",
         f"already exists outside the bundle (src/deployment.py:73): `{BIND}` before the first deploy"),
        ("created", "secret_scopes.multiagent_genie_secrets", "")]
    # staging and prod never ran the project's deploy job: nothing suggests their model exists
    assert [c for c in report.changes if c.bind and c.target != "dev"] == []


def test_prp_gives_the_bind_first_then_the_second_owner_and_run_as_steps(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    prp, _ = generate(str(root))
    steps = prp[prp.index("Migrations the plan does not edit in"):prp.index("Every job in 2.2 also has")]
    assert steps.index(f"`{BIND}`") < steps.index("`mode: production` → `mode: development`")
    assert ("1. Target `dev` (`src/deployment.py:73`): registered model `multiagent_genie_model` resolves to "
            "`main.sec_agents.multiagent_genie`, which the project already creates outside the bundle: "
            "`register_model` at src/deployment.py:73, run by job `agent_deploy_job` with "
            "`catalog=main`, `schema=sec_agents`, `model_name=multiagent_genie`.\n"
            f"   1. Before the first `databricks bundle deploy -t dev` with this model in the bundle: `{BIND}` "
            "(it shows what it adopts and asks).\n") in steps
    assert "its `grants` replace the model's current grants" in steps
    assert ("3. Target `dev` (`databricks.yml:28`): job `agent_deploy_job` calls "
            "`agents.deploy` (src/deployment.py:82); defined at top level, it is also deployed to `staging`, `prod`, "
            "where running it is a second owner of the serving endpoint") in steps
    assert ("   1. Move the job's definition from `resources.jobs.agent_deploy_job` to "
            "`targets.dev.resources.jobs.agent_deploy_job`, unchanged (same key, same body).\n") in steps
    assert ("4. Target `dev` (`databricks.yml:43`): job `agent_evaluation_job` runs as user "
            "`jane.doe@example.com` in every target") in steps
    assert "Not known statically whether" not in prp


def test_run_as_per_job_per_target_before_and_after_the_migration(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    scaffold(str(root))
    text = (root / "databricks.yml").read_text()
    assert _section(text, "dev") == DEV_SECTION
    planned = {k: None for k in PLANNED_JOBS} | {"multiagent_genie_deployment": None}
    # scaffold writes no `run_as` into the project's jobs (a target override would set both identities)
    assert _run_as(root) == {
        "dev": {"agent_deploy_job": JANE, "agent_evaluation_job": JANE, **planned},
        "staging": {"agent_deploy_job": JANE, "agent_evaluation_job": JANE, **{k: DEPLOYER for k in PLANNED_JOBS}},
        "prod": {"agent_deploy_job": JANE, "agent_evaluation_job": JANE, **{k: DEPLOYER for k in PLANNED_JOBS}}}
    for target in ("staging", "prod"):
        assert set(yaml.safe_load(text)["targets"][target]["resources"]["jobs"]) == {"multiagent_genie_deployment"}
    migrated = _migrate(root)
    tree = WorkingTree(str(root))
    moved = compare(deployed(tree), deployed(Overlay(tree, {"databricks.yml": migrated})))
    assert [(c.target, c.action, c.what) for c in moved.changes] == [
        ("staging", "deleted", "jobs.agent_deploy_job"), ("staging", "modified", "jobs.agent_evaluation_job"),
        ("prod", "deleted", "jobs.agent_deploy_job"), ("prod", "modified", "jobs.agent_evaluation_job")]
    (root / "databricks.yml").write_text(migrated)
    assert _run_as(root) == {
        "dev": {"agent_deploy_job": JANE, "agent_evaluation_job": JANE, **planned},
        "staging": {"agent_evaluation_job": DEPLOYER, **{k: DEPLOYER for k in PLANNED_JOBS}},
        "prod": {"agent_evaluation_job": DEPLOYER, **{k: DEPLOYER for k in PLANNED_JOBS}}}
    prp, _ = generate(str(root))
    assert "second owner" not in prp and "runs as user `jane.doe@example.com` in every target" not in prp
    # the deploy job now lives in `dev` only: dabprp reads top-level jobs, so the name is no longer known statically
    assert "bundle deployment bind" not in prp
    assert ("- registered model: the name `f'{catalog}.{schema}.{model_name}'` is built from task parameters and no "
            "top-level job of the bundle runs this file (jobs a target defines are not read): whether a planned model "
            "already exists under it is not known statically (`src/deployment.py:73`)\n") in prp


def test_second_scaffold_keeps_dev_and_changes_nothing(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    first = scaffold(str(root))
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    second = scaffold(str(root))
    assert [c.path for c in second.changes if c.kind != "identical"] == []
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before
    assert [(b.target, b.key, b.name) for b in first.binds] == [(b.target, b.key, b.name) for b in second.binds] \
        == [("dev", "multiagent_genie_model", "main.sec_agents.multiagent_genie")]


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "src" / "deployment.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_no_bind_where_nothing_suggests_the_model_exists(tmp_path):
    other = copy_project(EXAMPLE, tmp_path / "other")
    _edit(other, 'UC_MODEL_NAME = f"{catalog}.{schema}.{model_name}"', 'UC_MODEL_NAME = f"{catalog}.{schema}.legacy"')
    assert [c for c in diff(str(other)).changes if c.bind] == []
    assert "bundle deployment bind multiagent_genie_model" not in generate(str(other))[0]
    literal = copy_project(EXAMPLE, tmp_path / "literal")
    _edit(literal, 'UC_MODEL_NAME = f"{catalog}.{schema}.{model_name}"',
          'UC_MODEL_NAME = "main.sec_agents.multiagent_genie"')
    assert [(c.target, c.what) for c in diff(str(literal)).changes if c.bind] == [
        ("dev", "registered_models.multiagent_genie_model")]


def test_a_name_computed_at_run_time_is_said_to_be_unknown(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    _edit(root, 'UC_MODEL_NAME = f"{catalog}.{schema}.{model_name}"', "UC_MODEL_NAME = pick_name(catalog, schema)")
    prp, _ = generate(str(root))
    assert "bundle deployment bind multiagent_genie_model" not in prp
    assert ("- registered model: the name `pick_name(catalog, schema)` is computed at run time: whether a planned "
            "model already exists under it is not known statically (`src/deployment.py:73`)\n") in prp
