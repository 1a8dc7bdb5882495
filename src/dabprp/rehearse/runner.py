"""Runs the scaffolded stage code in the bundle's job order for one target, in a temp copy of the project."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from dabprp.knowledge import is_approval_task_key
from dabprp.rehearse import standins
from dabprp.rehearse.fakes import FakeWorkspace
from dabprp.rehearse.report import Report, Step
from dabprp.rehearse.resolve import TargetConfig, Unresolved, resolve_run

STANDIN_FILE = ".dabprp-rehearsal/standin_agent.py"
# Parameters replaced in a rehearsal, and why: the project's agent is never run; nothing waits for real time (the
# deployment run a build waits for has ended when the wait starts: jobs run one after another here).
OVERRIDES = {"--env-manager": "local", "--soak-seconds": "0", "--start-timeout-seconds": "0",
             "--approval-wait-seconds": "0"}
SKIPPED_FILES = {"run_tests.py": "runs the project's own tests: a rehearsal never executes project code"}
EXPECTED_FAILURES = ("GateFailed", "ApprovalPending", "DeploymentFailed", "DeploymentNotSucceeded")


class TaskFailed(Exception):
    """A task ended with an error; `expected` when the pipeline is designed to fail there."""

    def __init__(self, detail: str, expected: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.expected = expected


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (and drop every other DATABRICKS_* one) for the duration."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(("DATABRICKS_", "MLFLOW_"))]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Runner:
    """One rehearsal: jobs run in order against the local MLflow store and the fake workspace."""

    def __init__(self, root: Path, config: TargetConfig, files: dict[str, Path], report: Report,
                 fake: FakeWorkspace, progress: Callable[[Step], None] | None = None) -> None:
        self.root = root
        self.config = config
        self.files = files
        """Job key → the YAML file that defines it (task paths are relative to it)."""
        self.report = report
        self.fake = fake
        self.progress = progress
        self.counter = 0
        self.bundle: Callable[..., str] | None = None
        """Stand-in for the Databricks CLI's `bundle` commands (a bundle-owned endpoint's rollout)."""
        self.links: dict[str, tuple[str, int]] = {}
        """Model → (deployment job key, its last version started): `deployment_job_id` as Unity Catalog keeps it
        (the local MLflow store does not)."""

    def record(self, step: Step) -> Step:
        self.report.steps.append(step)
        if self.progress:
            self.progress(step)
        return step

    def run_job(self, key: str, params: dict[str, str] | None = None, trigger: str = "ONE_TIME") -> bool:
        """Run every task of job `key` in dependency order, recorded as a job run in the fake workspace (`trigger`
        as the Jobs API names it); False when a task failed."""
        try:
            spec = self.config.resource("jobs", key)
        except Unresolved as exc:
            self.record(Step(key, "-", self.config.target, [], "failed", str(exc), expected=False))
            return False
        if not spec:
            self.record(Step(key, "-", self.config.target, [], "failed", "the bundle has no such job",
                             expected=False))
            return False
        job_params = {str(p.get("name")): str(p.get("default", "")) for p in spec.get("parameters") or []}
        job_params.update(params or {})
        values: dict[str, dict[str, str]] = {}
        failed: set[str] = set()
        results: dict[str, str] = {}
        errors: dict[str, str] = {}
        ok = True
        for task in ordered(spec.get("tasks") or []):
            tkey = str(task.get("task_key"))
            upstream = [str(d.get("task_key")) for d in task.get("depends_on") or []]
            if any(u in failed for u in upstream):
                failed.add(tkey)
                results[tkey] = "UPSTREAM_FAILED"
                self.record(Step(key, tkey, self.config.target, [], "skipped", "an upstream task failed"))
                continue
            done = self.run_task(key, task, job_params, values)
            results[tkey] = "SUCCESS" if done else "FAILED"
            if not done:
                failed.add(tkey)
                errors[tkey] = self.report.steps[-1].detail if self.report.steps else ""
                ok = False
            self.start_linked_deployments()
        with self.fake.state.lock:
            self.fake.state.record_run(self.config.ids.get(f"jobs.{key}", "0"), job_params, trigger,
                                       "SUCCESS" if ok else "FAILED", sorted(results.items()), errors)
        return ok

    def start_linked_deployments(self) -> None:
        """What MLflow 3 does for a model linked to a deployment job: one run of the job for every new version,
        with the version as its job parameters."""
        if not self.links:
            return
        from mlflow import MlflowClient

        for model, (job, started) in sorted(self.links.items()):
            versions = sorted(int(v.version) for v in MlflowClient().search_model_versions(f"name='{model}'"))
            for version in [v for v in versions if v > started]:
                self.links[model] = (job, version)
                self.run_job(job, {"model_name": model, "model_version": str(version)}, trigger="MODEL")

    def run_task(self, job: str, task: dict[str, Any], job_params: dict[str, str],
                 values: dict[str, dict[str, str]]) -> bool:
        tkey = str(task.get("task_key"))
        target = self.config.target
        try:
            if "run_job_task" in task:
                run = task["run_job_task"]
                params = {str(k): resolve_run(str(v), tkey, job_params, values)
                          for k, v in (run.get("job_parameters") or {}).items()}
                started = self._job_by_id(str(run.get("job_id")))
                ok = self.run_job(started, params, trigger="RUN_JOB_TASK")
                self.record(Step(job, tkey, target, [f"{k}={v}" for k, v in params.items()],
                                 "ok" if ok else "failed", f"job `{started}` " + ("succeeded" if ok else "failed")))
                return ok
            python = task.get("spark_python_task")
            if not python:
                self.record(Step(job, tkey, target, [], "skipped", "not a Python script task: project code"))
                return True
            argv = [resolve_run(str(a), tkey, job_params, values) for a in python.get("parameters") or []]
        except Unresolved as exc:
            self.record(Step(job, tkey, target, [], "failed", str(exc), expected=False))
            return False
        file = (self.files[job].parent / str(python.get("python_file"))).resolve()
        if file.name in SKIPPED_FILES:
            self.record(Step(job, tkey, target, argv, "skipped", SKIPPED_FILES[file.name]))
            return True
        argv, overrides = self.override(file.name, argv)
        if self.execute(job, tkey, file, argv, overrides, values):
            return True
        last = self.report.steps[-1]
        if is_approval_task_key(tkey) and last.detail.startswith("ApprovalPending"):
            self.approve(job, tkey, argv)
            return self.execute(job, tkey, file, argv, overrides, values)
        return False

    def approve(self, job: str, tkey: str, argv: list[str]) -> None:
        """Play the approver: tag the version as the model version page does, then repair the run."""
        from mlflow import MlflowClient

        args = dict(zip(argv[::2], argv[1::2], strict=False))
        name, version, tag = args.get("--model-name", ""), args.get("--model-version", ""), args.get("--tag", tkey)
        MlflowClient().set_model_version_tag(name, version, tag, "Approved")
        self.record(Step(job, f"{tkey} (approver)", self.config.target, [], "ok",
                         f"rehearsal approver set `{tag}=Approved` on {name} version {version}; repairing the run"))

    def _job_by_id(self, job_id: str) -> str:
        for name, value in self.config.ids.items():
            if value == job_id and name.startswith("jobs."):
                return name.split(".", 1)[1]
        raise Unresolved(f"no job with id {job_id}")

    def override(self, file: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
        out, overrides = list(argv), {}
        for i, arg in enumerate(out[:-1]):
            new = OVERRIDES.get(arg)
            if arg == "--agent-file":
                new = STANDIN_FILE
            if new is not None and out[i + 1] != new:
                overrides[arg] = f"{out[i + 1]} → {new}"
                out[i + 1] = new
        return out, overrides

    def execute(self, job: str, tkey: str, file: Path, argv: list[str], overrides: dict[str, str],
                values: dict[str, dict[str, str]]) -> bool:
        step = Step(job, tkey, self.config.target, argv, "ok", "", overrides)
        if not file.is_file():
            step.outcome, step.detail, step.expected = "failed", f"stage file {file.relative_to(self.root)} " \
                "does not exist", False
            self.record(step)
            return False
        published: dict[str, str] = {}
        output = io.StringIO()
        try:
            self.counter += 1
            module = load_module(file, f"dabprp_rehearsal_{file.stem}_{self.counter}")
            self.patch(module, published)
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                code = module.main(argv)
            if code:
                raise TaskFailed(f"exit code {code}: " + _tail(output.getvalue()), False)
            step.detail = summary(output.getvalue()) or "done"
        except TaskFailed as exc:
            step.outcome, step.detail, step.expected = "failed", exc.detail, exc.expected
        except SystemExit as exc:
            step.outcome, step.expected = "failed", False
            step.detail = f"exit {exc.code}: " + _tail(output.getvalue())
        except Exception as exc:
            expected = type(exc).__name__ in EXPECTED_FAILURES and "no scorer of this stage produces" not in str(exc)
            step.outcome, step.expected = "failed", expected
            step.detail = f"{type(exc).__name__}: {exc}"
        values[tkey] = published
        step.values = dict(sorted(published.items()))
        self.record(step)
        return step.outcome == "ok"

    def patch(self, module: ModuleType, published: dict[str, str]) -> None:
        """Stand-ins where the stage would reach past the fakes: task values, LLM judges, project scorers."""
        stand_ins: dict[str, Any] = {
            "set_task_value": lambda key, value: published.__setitem__(key, str(value)),
            "build_judge": standins.build_judge, "build_project_scorer": standins.build_project_scorer,
            "AGENT_ENTRY": "invoke", "registry_client": lambda: LinkingRegistry(self)}
        if self.bundle is not None:
            stand_ins["bundle"] = self.bundle
        for name, value in stand_ins.items():
            if hasattr(module, name):
                setattr(module, name, value)


class LinkingRegistry:
    """The link stage's registry: the local MLflow store, keeping `deployment_job_id` as Unity Catalog does (a link
    made now starts the job for versions registered from now on)."""

    def __init__(self, runner: Runner) -> None:
        from mlflow import MlflowClient

        self.runner = runner
        self.client = MlflowClient()

    def get_registered_model(self, name: str) -> Any:
        model = self.client.get_registered_model(name)
        link = self.runner.links.get(name)
        job_id = self.runner.config.ids.get(f"jobs.{link[0]}") if link else None
        return type("LinkedModel", (), {"name": model.name, "deployment_job_id": job_id})()

    def update_registered_model(self, name: str, deployment_job_id: str | None = None, **kwargs: Any) -> None:
        if kwargs:
            self.client.update_registered_model(name, **kwargs)
        if deployment_job_id is None:
            return
        if not deployment_job_id:  # "" disconnects the job
            self.runner.links.pop(name, None)
            return
        job = self.runner._job_by_id(str(deployment_job_id))
        versions = [int(v.version) for v in self.client.search_model_versions(f"name='{name}'")]
        self.runner.links[name] = (job, max(versions, default=0))


def ordered(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks in dependency order (the bundle's order among independent tasks)."""
    done: list[dict[str, Any]] = []
    names: set[str] = set()
    pending = list(tasks)
    while pending:
        ready = [t for t in pending if all(str(d.get("task_key")) in names for d in t.get("depends_on") or [])]
        if not ready:  # a cycle or a missing task: run the rest as written, the run reports it
            ready = pending[:1]
        for t in ready[:1]:
            done.append(t)
            names.add(str(t.get("task_key")))
            pending.remove(t)
    return done


def summary(text: str) -> str:
    """A stage's printed result on one line: its closing JSON object compacted, else its last lines."""
    lines = text.rstrip().splitlines()
    start = next((i for i in range(len(lines) - 1, -1, -1) if lines[i] == "{"), None)
    if start is not None and lines[-1] == "}":
        with contextlib.suppress(ValueError):
            record = json.loads("\n".join(lines[start:]))
            if isinstance(record, dict):
                record.pop("steps", None)
                return json.dumps(record, sort_keys=True, default=str)
    return _tail(text)


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
