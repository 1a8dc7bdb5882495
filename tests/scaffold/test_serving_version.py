"""The served version of a bundle-owned endpoint: the bundle variable has no default (resolved per target as the
CLI does), and the generated deploy stage prints the champion and deploys with it, or bootstraps a target whose
model has no version yet by leaving the endpoint out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dabprp.parse.bundle_load import load_bundle
from dabprp.parse.bundle_resolve import Unresolved
from dabprp.rehearse.resolve import TargetConfig, load_target
from tests.scaffold.conftest import load_stage, scaffolded_copies
from tests.scaffold.test_stage_code import registered_version

ENDPOINTS = "model_serving_endpoints"
# fixture → (endpoint key, served entity, the endpoint's name in staging)
OWNED = {"bundle-endpoint": ("summary_endpoint", "current", "ticket-summary-staging"),
         "multi-target": ("ticket_triage_endpoint", "champion", None)}


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory) -> dict[str, Path]:
    return scaffolded_copies(tmp_path_factory, OWNED, "owned")


def target(project: Path, name: str) -> TargetConfig:
    loaded = load_bundle(str(project))
    assert loaded is not None
    return load_target(loaded, name)


@pytest.mark.parametrize("fixture", sorted(OWNED))
def test_without_the_champion_the_endpoint_does_not_resolve(scaffolded, fixture):
    project = scaffolded[fixture]
    key, entity, _ = OWNED[fixture]
    declared = yaml.safe_load((project / "databricks.yml").read_text())["variables"]["serving_version"]
    assert "default" not in declared
    targets = sorted(yaml.safe_load((project / "databricks.yml").read_text())["targets"])
    assert targets == ["dev", "prod", "staging"]
    for name in targets:
        config = target(project, name)
        assert "serving_version" not in config.variables and key in config.keys(ENDPOINTS)
        with pytest.raises(Unresolved, match=f"^no value for variable `serving_version` in target `{name}`$"):
            config.resource(ENDPOINTS, key)
        config.variables["serving_version"] = "7"  # `--var serving_version=7`
        served = config.resource(ENDPOINTS, key)["config"]["served_entities"]
        assert [(e["name"], str(e["entity_version"])) for e in served] == [(entity, "7")]


class Bundle:
    """`databricks bundle` for the deploy stage: `summary` prints the target as the CLI does (with the command's
    `--var`; `${resources.*}` left as written, in Terraform's spelling on the terraform engine), `deploy` is
    recorded."""

    def __init__(self, project: Path, name: str, engine: str = "direct") -> None:
        self.project, self.name, self.engine = project, name, engine
        self.deploys: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> str:
        from dabprp.rehearse.bundle_cli import BundleCli
        from dabprp.rehearse.fakes import Workspace

        if args[0] == "summary":
            return BundleCli(target(self.project, self.name), Workspace(), self.engine)(*args)
        assert args[0] == "deploy"
        self.deploys.append(args)
        return ""


def run(deploy: Any, project: Path, *flags: str, capsys: Any, engine: str = "direct") -> tuple[Bundle, str]:
    fake = Bundle(project, "staging", engine)
    deploy.bundle = fake
    key, entity, _ = OWNED[project.name]
    assert deploy.main(["--target", "staging", "--endpoint-key", key, "--entity", entity, *flags]) == 0
    return fake, capsys.readouterr().out


def test_first_deploy_has_no_version_and_leaves_the_endpoint_out(scaffolded, mlflow_local, fake_workspace,
                                                                 capsys):
    project = scaffolded["bundle-endpoint"]
    deploy = load_stage(project, "deploy")
    fake, out = run(deploy, project, "--champion", capsys=capsys)
    assert (out, fake.deploys) == ("0\n", [])
    fake, out = run(deploy, project, "--deploy", capsys=capsys)
    config = target(project, "staging")
    jobs = [f"jobs.{k}" for k in config.keys("jobs")]
    assert jobs and "jobs.ticket_summary_build" in jobs
    # the summary lists every resource of the target, as the CLI's does: all of them but the endpoint
    selected = ["experiments.summary_experiment", *jobs, "registered_models.summary_model",
                "secret_scopes.ticket_summary_secrets"]
    assert sorted(f"{kind}.{key}" for kind in config.raw for key in config.keys(kind)) == sorted(
        [*selected, "model_serving_endpoints.summary_endpoint"])
    assert fake.deploys == [("deploy", "-t", "staging", "--auto-approve", "--var=serving_version=0",
                             *(a for k in selected for a in ("--select", k)))]
    assert json.loads(out)["action"] == "bootstrap" and json.loads(out)["selected"] == selected


def test_every_deploy_serves_the_champion(scaffolded, mlflow_local, fake_workspace, capsys):
    project = scaffolded["bundle-endpoint"]
    deploy = load_stage(project, "deploy")
    config = target(project, "staging")
    config.variables["serving_version"] = "0"
    model = config.resource(ENDPOINTS, "summary_endpoint")["config"]["served_entities"][0]["entity_name"]
    client = mlflow_local.MlflowClient()
    v1, v2 = (registered_version(mlflow_local, model) for _ in range(2))
    _, entity, endpoint = OWNED["bundle-endpoint"]
    # no alias yet: the version the endpoint serves today is kept
    fake_workspace.state.set_endpoint(endpoint, [{"name": entity, "entity_name": model, "entity_version": v1}],
                                      {entity: 100}, by="bundle")
    assert run(deploy, project, "--champion", capsys=capsys)[1] == f"{v1}\n"
    client.set_model_version_tag(model, v1, "dabprp.deployment", f"rolled_back:{endpoint}")
    assert run(deploy, project, "--champion", capsys=capsys)[1] == "0\n"  # a rolled-back version is no champion
    client.set_registered_model_alias(model, "champion", v2)
    assert run(deploy, project, "--champion", capsys=capsys)[1] == f"{v2}\n"
    fake, out = run(deploy, project, "--deploy", capsys=capsys)
    assert fake.deploys == [("deploy", "-t", "staging", "--auto-approve", f"--var=serving_version={v2}")]
    assert json.loads(out) == {"action": "deployed", "version": v2}


def test_ci_passes_the_champion_to_every_bundle_command(scaffolded):
    workflow = yaml.safe_load((scaffolded["bundle-endpoint"] / ".github/workflows/dabprp-deploy.yml").read_text())
    deploys = {k: job for k, job in workflow["jobs"].items() if k != "test"}
    assert sorted(deploys) == ["deploy-prod", "deploy-staging", "rollout-prod"]
    for key, job in deploys.items():
        t = job["environment"]
        steps = [s for s in job["steps"] if "run" in s]
        stage = (f"python src/stages/deploy.py --target {t} --endpoint-key summary_endpoint --entity current "
                 "--variable serving_version --soak-seconds 600 --max-error-rate 0.01 --min-requests 20 "
                 "--probe-requests 20")
        champion = next(i for i, s in enumerate(steps) if s.get("id") == "champion")
        assert steps[champion]["run"] == (
            f'version=$({stage} --champion) && echo "BUNDLE_VAR_serving_version=$version" >> "$GITHUB_ENV" && '
            'echo "version=$version" >> "$GITHUB_OUTPUT"'), key
        bundle = [i for i, s in enumerate(steps) if s["run"].startswith("databricks bundle")]
        assert bundle and min(bundle) > champion, key  # every bundle command reads BUNDLE_VAR_serving_version
        deploy = [(s.get("if"), s["run"]) for s in steps if "bundle deploy" in s["run"] or "--deploy" in s["run"]]
        assert deploy == [
            ("steps.champion.outputs.version != '0'",
             f"databricks bundle deploy -t {t} --auto-approve --var=serving_version=$BUNDLE_VAR_serving_version"),
            ("steps.champion.outputs.version == '0'", f"{stage} --deploy")], key


def test_dab909_is_silent_on_a_variable_documented_as_passed_at_deploy(scaffolded, tmp_path):
    from dabprp.api import validate
    from tests.conftest import write_tree

    for project in scaffolded.values():
        assert "DAB909" not in {f.rule_id for f in validate(str(project), all_targets=True).findings}
    base = "bundle:\n  name: x\nvariables:\n  sp:\n    description: "
    documented = {"databricks.yml": base + "'every deploy passes `--var sp=N`'\n"}
    passed = validate(str(write_tree(tmp_path / "a", documented)), all_targets=True)
    assert "DAB909" not in {f.rule_id for f in passed.findings}
    other = validate(str(write_tree(tmp_path / "b", {"databricks.yml": base + "'pass `--var spx=N`'\n"})),
                     all_targets=True)
    assert [(f.rule_id, f.location.path, f.location.line) for f in other.findings if f.rule_id == "DAB909"] == [
        ("DAB909", "databricks.yml", 4)]


@pytest.mark.parametrize("healthy", [True, False])
def test_first_rollout_creates_the_endpoint_and_has_nothing_to_restore(scaffolded, mlflow_local, healthy,
                                                                       monkeypatch):
    deploy = load_stage(scaffolded["bundle-endpoint"], "deploy")
    deployed: list[str] = []
    monkeypatch.setattr(deploy, "deploy_bundle", lambda target, variable, version: deployed.append(version))
    monkeypatch.setattr(deploy, "soak", lambda *a, **k: {"ok": healthy, "reason": "5xx rate 0.5 > 0.01"})
    served = type("Served", (), {"version": lambda self, name, entity: deployed[-1] if deployed else None})()
    client = mlflow_local.MlflowClient()
    v1 = registered_version(mlflow_local, "c.s.m")
    client.set_registered_model_alias("c.s.m", "challenger", v1)
    args = (served, client, "staging", "ep", "c.s.m", "current", "serving_version", v1, None)
    if healthy:
        assert deploy.rollout(*args, soak_seconds=0)["action"] == "deployed"
        assert client.get_registered_model("c.s.m").aliases == {"champion": int(v1), "challenger": int(v1)}
    else:
        with pytest.raises(deploy.DeploymentFailed, match='"restored": null'):
            deploy.rollout(*args, soak_seconds=0)
        assert client.get_registered_model("c.s.m").aliases == {}  # never champion, never rolled out again
        assert client.get_model_version("c.s.m", v1).tags["dabprp.deployment"] == "rolled_back:ep"
    assert deployed == [v1]  # with no earlier version there is no redeploy


def test_rehearsal_cli_deploys_only_the_selected_resources(scaffolded):
    from dabprp.rehearse.bundle_cli import BundleCli
    from dabprp.rehearse.fakes import Workspace

    state = Workspace()
    cli = BundleCli(target(scaffolded["bundle-endpoint"], "staging"), state)
    cli("deploy", "-t", "staging", "--var=serving_version=0", "--select", "jobs.ticket_summary_build")
    assert state.writes == []
    cli("deploy", "-t", "staging", "--var=serving_version=3")
    assert state.writes == [{"endpoint": "ticket-summary-staging", "by": "bundle", "versions": {"current": "3"}}]


# the plan's own endpoint names its model by the model resource's fields (multi-target's staging target)
TRIAGE = "triage_staging.agents.ticket_triage"
TRIAGE_REF = ".".join("${resources.registered_models.ticket_triage_model.%s}" % f
                      for f in ("catalog_name", "schema_name", "name"))


@pytest.mark.parametrize("engine", ["direct", "terraform"])
def test_summary_leaves_references_to_other_resources_as_the_cli_prints_them(scaffolded, engine):
    from dabprp.rehearse.bundle_cli import BundleCli
    from dabprp.rehearse.fakes import Workspace

    cli = BundleCli(target(scaffolded["multi-target"], "staging"), Workspace(), engine)
    resources = json.loads(cli("summary", "-t", "staging", "-o", "json", "--var=serving_version=0"))["resources"]
    served = resources[ENDPOINTS]["ticket_triage_endpoint"]["config"]["served_entities"]
    spelled = TRIAGE_REF if engine == "direct" else TRIAGE_REF.replace("resources.registered_models.",
                                                                       "databricks_registered_model.")
    assert [(e["name"], e["entity_name"], e["entity_version"]) for e in served] == [("champion", spelled, "0")]
    model = resources["registered_models"]["ticket_triage_model"]
    # the model's own fields are variables and literals: resolved
    assert (model["catalog_name"], model["schema_name"], model["name"]) == ("triage_staging", "agents", "ticket_triage")


@pytest.mark.parametrize("engine", ["direct", "terraform"])
def test_champion_of_an_entity_named_by_the_model_resource(scaffolded, mlflow_local, fake_workspace, capsys,
                                                           engine):
    project = scaffolded["multi-target"]
    deploy = load_stage(project, "deploy")
    client = mlflow_local.MlflowClient()
    registered_version(mlflow_local, TRIAGE)
    v2 = registered_version(mlflow_local, TRIAGE)
    assert run(deploy, project, "--champion", capsys=capsys, engine=engine)[1] == "0\n"
    client.set_registered_model_alias(TRIAGE, "champion", v2)
    # the name is read from the model resource in the same summary: a literal `${...}` name has no champion
    assert run(deploy, project, "--champion", capsys=capsys, engine=engine)[1] == f"{v2}\n"
    fake, out = run(deploy, project, "--deploy", capsys=capsys, engine=engine)
    assert fake.deploys == [("deploy", "-t", "staging", "--auto-approve", f"--var=serving_version={v2}")]
    assert json.loads(out) == {"action": "deployed", "version": v2}


MODEL_KEYS = {"catalog_name": "c", "schema_name": "s", "name": "dev_jane_m"}


@pytest.mark.parametrize(("value", "resources", "expected"), [
    ("c.s.m", {}, "c.s.m"),
    ("${resources.registered_models.m.catalog_name}.${resources.registered_models.m.schema_name}."
     "${resources.registered_models.m.name}", {"registered_models": {"m": MODEL_KEYS}}, "c.s.dev_jane_m"),
    ("${databricks_registered_model.m.catalog_name}.${databricks_registered_model.m.schema_name}."
     "${databricks_registered_model.m.name}", {"registered_models": {"m": MODEL_KEYS}}, "c.s.dev_jane_m"),
    # a field that names another resource's field is resolved from the same summary
    ("c.s.${resources.registered_models.m.name}",
     {"registered_models": {"m": {"name": "${resources.registered_models.n.name}"}, "n": {"name": "x"}}}, "c.s.x"),
])
def test_references_in_the_entity_name_resolve_from_the_summary(scaffolded, value, resources, expected):
    deploy = load_stage(scaffolded["multi-target"], "deploy")
    assert deploy.resolve_references(value, resources) == expected


@pytest.mark.parametrize(("value", "resources", "message"), [
    ("${resources.registered_models.m.name}", {}, "`${resources.registered_models.m.name}` has no value in "
     "`databricks bundle summary` (resource `registered_models.m` shows no literal `name`)"),
    ("${resources.jobs.j.id}", {"jobs": {"j": {"name": "j"}}}, "`${resources.jobs.j.id}` has no value in "
     "`databricks bundle summary` (resource `jobs.j` shows no literal `id`)"),
    ("${databricks_app.a.name}", {"apps": {"a": {"name": "x"}}}, "`${databricks_app.a.name}` has no value in "
     "`databricks bundle summary` (resource `databricks_app.a` shows no literal `name`)"),
    ("${resources.registered_models.m.name}", {"registered_models": {"m": {
        "name": "${resources.registered_models.m.name}"}}}, "`${resources.registered_models.m.name}` has no value "
     "in `databricks bundle summary` (resource `registered_models.m` shows no literal `name`)"),
    ("c.s.${var.model}", {}, "`c.s.${var.model}` keeps a reference `databricks bundle summary` does not resolve"),
])
def test_an_entity_name_the_summary_cannot_resolve_is_one_error(scaffolded, value, resources, message):
    deploy = load_stage(scaffolded["multi-target"], "deploy")
    with pytest.raises(deploy.BundleUnresolved) as caught:
        deploy.resolve_references(value, resources)
    assert str(caught.value) == message


def test_unresolvable_entity_name_stops_the_stage_in_one_line(scaffolded, tmp_path):
    """The stage run as CI runs it, with a `databricks` on PATH that prints a summary whose model has no name."""
    import os
    import subprocess
    import sys

    summary = {"resources": {"registered_models": {"m": {"catalog_name": "c", "schema_name": "s"}}, ENDPOINTS: {
        "ep": {"name": "ep-staging", "config": {"served_entities": [
            {"name": "champion", "entity_name": "c.s.${resources.registered_models.m.name}"}]}}}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    cli = tmp_path / "bin" / "databricks"
    cli.parent.mkdir()
    cli.write_text(f"#!/bin/sh\ncat {tmp_path / 'summary.json'}\n")
    cli.chmod(0o755)
    path = f"{cli.parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run([sys.executable, "src/stages/deploy.py", "--target", "staging", "--endpoint-key", "ep",
                           "--entity", "champion", "--champion"], cwd=scaffolded["multi-target"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PATH": path})
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("BundleUnresolved: the `entity_name` of endpoint `ep`'s served entity `champion` is "
                           "`c.s.${resources.registered_models.m.name}`: `${resources.registered_models.m.name}` has "
                           "no value in `databricks bundle summary` (resource `registered_models.m` shows no literal "
                           "`name`)\n")
