"""`dabprp rehearse`: run the scaffolded pipeline locally, in job order, against MLflow and a fake workspace."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from dabprp.errors import DabprpError
from dabprp.parse.bundle_load import effective_tree, load_bundle
from dabprp.plan.model import Plan, PlannedTask
from dabprp.plan.pipeline import STAGES_DIR
from dabprp.rehearse import standins
from dabprp.rehearse.bundle_cli import BundleCli
from dabprp.rehearse.fakes import FakeWorkspace
from dabprp.rehearse.report import Report, Step
from dabprp.rehearse.resolve import TargetConfig, Unresolved, load_target
from dabprp.rehearse.runner import STANDIN_FILE, Runner, environment, load_module

IGNORED = (".git", ".venv", "venv", "PRPs", "__pycache__", ".dabprp-rehearsal", "mlruns", "node_modules",
           ".pytest_cache", ".mypy_cache", ".ruff_cache")
CHAMPION_FILE = ".dabprp-rehearsal/champion_agent.py"


def rehearse(path: str, target: str | None = None, agent: str = "good", canary_fault: bool = False,
             progress: Callable[[Step], None] | None = None, today: date | None = None) -> Report:
    """Scaffolded stage code run for `target` in CI order; see docs for what is replaced by stand-ins."""
    if agent not in ("good", "bad"):
        raise DabprpError(path, None, "--agent must be `good` or `bad`")
    source = Path(path)
    if not source.is_dir():
        raise DabprpError(path, None, "no such directory")
    if not (source / STAGES_DIR).is_dir():
        raise DabprpError(path, None, f"no scaffolded stage code in {STAGES_DIR}: run `dabprp scaffold` first")
    with tempfile.TemporaryDirectory(prefix="dabprp-rehearse-") as work:
        root = Path(work) / "project"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns(*IGNORED), symlinks=False)
        return _rehearse(root, Path(work), target, agent, canary_fault, progress, today or date.today())


def _rehearse(root: Path, work: Path, target: str | None, agent: str, canary_fault: bool,
              progress: Callable[[Step], None] | None, today: date) -> Report:
    from dabprp.api import plan as build_plan

    loaded = load_bundle(str(root))
    if loaded is None:
        raise DabprpError(str(root.name), None, "no bundle (databricks.yml) to rehearse")
    targets = loaded.tree.get("targets") or {}
    target = target or ("staging" if "staging" in targets else next(
        (t for t, v in targets.items() if isinstance(v, dict) and v.get("default")), next(iter(targets), None)))
    if target is None or target not in targets:
        raise DabprpError(loaded.root_file, None, f"no target `{target}` to rehearse")
    plan, _ = build_plan(str(root))
    config = load_target(loaded, target)
    _, loc = effective_tree(loaded, target)
    files = {key: root / loc.locate(("resources", "jobs", key)).path for key in config.keys("jobs")}
    roles = {j.role: j.key for j in plan.jobs}
    report = Report(target, agent, canary_fault, plan.serving_mode.kind)
    style = "responses" if not plan.serving_mode.serves_from_model else None
    shutil.copyfile(empty_store(), work / "mlflow.db")
    store = f"sqlite:///{work / 'mlflow.db'}"
    env = {"MLFLOW_TRACKING_URI": store, "MLFLOW_REGISTRY_URI": store,
           "DATABRICKS_TOKEN": "rehearsal", "DATABRICKS_CONFIG_FILE": str(work / "no-databrickscfg"),
           "MLFLOW_GENAI_EVAL_MAX_WORKERS": "2", "TQDM_DISABLE": "1"}
    with FakeWorkspace() as fake, environment({**env, "DATABRICKS_HOST": fake.host}), _quiet(), _mlflow_store(store), \
            _working_directory(root):  # MLflow puts a SQLite store's artifacts in ./mlruns: here, not the caller's cwd
        evaluate = _evaluate_module(root)
        # no dataset: the stand-in knows no answers, and the Evaluation task reports the missing file
        records = evaluate.load_dataset(root / evaluate.DATASET) if evaluate and (root / evaluate.DATASET).is_file() \
            else []
        style = style or (evaluate.REQUEST_STYLE if evaluate else "chat")
        question_of = evaluate.question_of if evaluate else (lambda inputs: str(next(iter(inputs.values()), "")))
        route_of = evaluate.expected_route if evaluate else (lambda inputs, expectations: None)
        (root / STANDIN_FILE).parent.mkdir(parents=True, exist_ok=True)
        years_of = (lambda q: evaluate.relative_years(q, today)) if hasattr(evaluate, "relative_years") else None
        standins.write_agent(root / STANDIN_FILE, records, question_of, route_of, agent == "good", style, today,
                             years_of)
        standins.write_agent(root / CHAMPION_FILE, records, question_of, route_of, True, style, today, years_of)
        runner = Runner(root, config, files, report, fake, progress)
        if plan.serving_mode.serves_from_model:
            _rehearse_model(runner, config, roles, root, canary_fault, plan)
        else:
            _rehearse_app(runner, config, roles, canary_fault)
        report.traffic = list(fake.state.traffic)
        report.endpoint_writes = list(fake.state.writes)
        keys = {value: name.split(".", 1)[1] for name, value in config.ids.items() if name.startswith("jobs.")}
        report.job_runs = [{"job": keys.get(str(r["job_id"]), str(r["job_id"])), "trigger": r["trigger"],
                            "parameters": {str(p["name"]): str(p["value"]) for p in r["job_parameters"]},
                            "result": r["state"]["result_state"]} for r in fake.state.runs]
    _judge(report)
    return report


@functools.lru_cache(maxsize=1)
def empty_store() -> str:
    """An empty, migrated MLflow SQLite store, made once per process (creating one takes seconds)."""
    import mlflow

    path = Path(tempfile.mkdtemp(prefix="dabprp-mlflow-")) / "empty.db"
    with _quiet(), contextlib.redirect_stderr(io.StringIO()), _working_directory(path.parent):
        mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return str(path)


def _param(config: TargetConfig, job: str, task: str, flag: str) -> str | None:
    """A task parameter's deploy-time value (None when the job, task or flag is missing)."""
    try:
        spec = config.resource("jobs", job)
    except Unresolved:
        return None
    for t in spec.get("tasks") or []:
        if t.get("task_key") == task:
            args = [str(a) for a in (t.get("spark_python_task") or {}).get("parameters") or []]
            return next((args[i + 1] for i, a in enumerate(args[:-1]) if a == flag), None)
    return None


def _rehearse_model(runner: Runner, config: TargetConfig, roles: dict[str, str], root: Path,
                    canary_fault: bool, plan: Plan) -> None:
    import mlflow

    report = runner.report
    model = _param(config, roles.get("build", ""), "build", "--model-name")
    endpoint = _param(config, roles.get("deployment", ""), "Deployment", "--endpoint")
    if model:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            report.champion_before = _seed_model(root, model)
    owned = plan.bundle_rollout
    if owned is not None and report.champion_before:
        # the bundle serves the champion, as every CI deploy passes it (`--var serving_version=N`)
        runner.bundle = BundleCli(config, runner.fake.state)
        runner.bundle("deploy", "-t", config.target, f"--var={owned.variable}={report.champion_before}")
        if canary_fault:
            runner.fake.state.healthy_versions = {report.champion_before}
    elif model and endpoint and report.champion_before:
        champion = report.champion_before
        entity = f"{model.replace('.', '-')}_{champion}"
        runner.fake.state.set_endpoint(endpoint, [{"name": entity, "entity_name": model, "entity_version": champion,
                                                   "workload_size": "Small", "scale_to_zero_enabled": True}],
                                       {entity: 100}, by="earlier release")
        if canary_fault:
            runner.fake.state.healthy_entities = {entity}
    _run_tests_job(runner, roles)
    for role in ("link", "build"):
        if role in roles and not runner.run_job(roles[role]):
            break
    else:
        if (plan.rollout is None or _run_ci_step(runner, root, plan.rollout)) and "load_test" in roles:
            runner.run_job(roles["load_test"])
    if model:
        with contextlib.suppress(Exception):  # no champion alias: nothing was promoted
            report.champion_after = str(mlflow.MlflowClient().get_model_version_by_alias(model, "champion").version)
    built = next((s for s in report.steps if s.task == "build" and s.outcome == "ok"), None)
    version = built.values.get("model_version") if built else None
    report.promoted = bool(version and report.champion_after == version and version != report.champion_before)


def _run_ci_step(runner: Runner, root: Path, step: PlannedTask) -> bool:
    """A step CI runs outside any job (it needs the bundle's folder): the rollout of a bundle-owned endpoint."""
    argv = [a.replace("${bundle.target}", runner.config.target) for p in step.params for a in p.argv()]
    file = root / (step.file or "")
    argv, overrides = runner.override(file.name, argv)
    return runner.execute("ci", step.key, file, argv, overrides, {})


def _seed_model(root: Path, model: str) -> str:
    """The current production version (as `bundle deploy` and an earlier release left it): version 1, champion."""
    import mlflow

    client = mlflow.MlflowClient()
    mlflow.set_experiment("/rehearsal/earlier-release")
    with mlflow.start_run(run_name="earlier release"):
        info = mlflow.pyfunc.log_model(name="agent", python_model=str(root / CHAMPION_FILE))
    version = str(mlflow.register_model(info.model_uri, model).version)
    client.set_registered_model_alias(model, "champion", version)
    return version


def _rehearse_app(runner: Runner, config: TargetConfig, roles: dict[str, str], canary_fault: bool) -> None:
    report = runner.report
    app = _param(config, roles.get("release", ""), "Deployment", "--app")
    source = _param(config, roles.get("release", ""), "Deployment", "--source-code-path")
    state = runner.fake.state
    if app and source:
        state.apps[app] = {"name": app, "url": f"{runner.fake.host}/app/{app}", "deployments": []}
        first = state.set_app(app, source, f"{runner.fake.host}/app/{app}")
        report.champion_before = first["deployment_id"]
        if canary_fault:  # the code synced for this release crashes; the earlier deployment's snapshot does not
            state.faulty_sources.add(source)
    _run_tests_job(runner, roles)
    for role in ("release",):
        if role in roles and not runner.run_job(roles[role]):
            break
    else:
        if "load_test" in roles:
            runner.run_job(roles["load_test"])
    if app and app in state.apps:
        report.champion_after = state.apps[app]["active_deployment"]["deployment_id"]
    deployed = any(s.job == roles.get("release") and s.task == "Deployment" and s.outcome == "ok"
                   for s in report.steps)
    report.promoted = bool(deployed and report.champion_after != report.champion_before)


def _run_tests_job(runner: Runner, roles: dict[str, str]) -> None:
    """The test job checks the project itself (its tests are skipped, its configuration checked); the stand-in
    agent does not read that configuration, so a failure here is reported and the rehearsal goes on."""
    if "tests" not in roles:
        return
    start = len(runner.report.steps)
    runner.run_job(roles["tests"])
    for step in runner.report.steps[start:]:
        if step.outcome == "failed":
            step.expected = True
            runner.report.warnings.append(f"{step.job}/{step.task} would stop CI: {step.detail.splitlines()[-1]}")


def _judge(report: Report) -> None:
    failed = [s for s in report.steps if s.outcome == "failed" and not s.job.endswith("_tests")]
    report.rolled_back = any(s.detail.startswith("DeploymentFailed") for s in failed)
    repaired = {s.task.split(" ")[0] for s in report.steps if s.task.endswith("(approver)")}
    blocking = [s for s in failed if not (s.task in repaired and s.detail.startswith("ApprovalPending"))]
    if not report.promoted and blocking:
        report.blocked_at = f"{blocking[0].job}/{blocking[0].task}"
    report.problems += [f"{s.job}/{s.task}: {s.detail.splitlines()[-1] if s.detail else 'failed'}"
                        for s in failed if not s.expected]
    report.problems += [f"traffic of `{t['endpoint']}` sums to {sum(t['routes'].values())}: {t['routes']}"
                        for t in report.traffic if sum(t["routes"].values()) != 100]
    per_version: dict[tuple[str, str, str], list[str]] = {}
    for run in report.job_runs:
        if run["parameters"].get("model_version"):
            key = (run["job"], run["parameters"].get("model_name", ""), run["parameters"]["model_version"])
            per_version.setdefault(key, []).append(run["trigger"])
    report.problems += [f"job `{job}` ran {len(triggers)} times for {model} version {version} "
                        f"(started by {', '.join(triggers)}): one owner must start it"
                        for (job, model, version), triggers in sorted(per_version.items()) if len(triggers) > 1]


def _evaluate_module(root: Path) -> Any:
    path = root / STAGES_DIR / "evaluate.py"
    if not path.is_file():
        return None
    return load_module(path, "dabprp_rehearsal_standin_source")


@contextlib.contextmanager
def _mlflow_store(uri: str) -> Iterator[None]:
    """Point MLflow's process-wide URIs at this rehearsal's store (stages may set them), then reset them."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # an active run left by a failed stage
            mlflow.end_run()
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None: back to the default / environment
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """Run in `path` (contextlib.chdir needs Python 3.11), then go back."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow and the SDK log freely; a rehearsal reports through its steps."""
    loggers = [logging.getLogger(n) for n in ("mlflow", "databricks", "alembic", "urllib3")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


__all__ = ["Report", "Step", "rehearse"]
