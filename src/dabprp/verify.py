"""`verify-refs`: every reference in Markdown (path:line, files, job/task/resource/variable names) that does
not exist in the project or in its deployment plan. The guard against invented facts in LLM-written text."""

from __future__ import annotations

import os
import re
from typing import Any

from dabprp.facts import Project, to_data
from dabprp.fingerprints import SourceLines
from dabprp.parse.bundle_load import ROOT_FILES
from dabprp.plan.model import Plan
from dabprp.records import record
from dabprp.settings import SETTINGS_FILES

CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")
FENCE_RE = re.compile(r"^```")
PATH_LINE_RE = re.compile(r"^([\w./-]+\.[A-Za-z0-9]+):(\d+)$")
MAX_SPAN = 400
"""Longer code spans are not references (and are not scanned: crafted ones must not cost quadratic time)."""
URL_RE = re.compile(r"\]\([^()\[\]\s]{0,2000}\)|\b[a-z][a-z0-9+.-]{0,20}://\S*|\bwww\.\S+", re.I)
PLAIN_PATH_RE = re.compile(r"(?<![\w/.@:$-])((?:[\w-][\w.-]*/)*[\w-][\w.-]*\.(?:py|ya?ml|json|jsonl|csv|toml|ipynb|sql)"
                           r"(?::\d+)?)(?![\w/-])")
PATH_SUFFIXES = (".py", ".yml", ".yaml", ".json", ".jsonl", ".csv", ".md", ".toml", ".txt", ".ipynb", ".sql", ".j2")
REF_RE = re.compile(r"\$\{(var|resources)\.([^${}]+)\}")
TEMPLATE_MARKS = ("<", "{{", "://", "...", "*")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_.-][A-Za-z0-9]+)+$")
# Identifiers of the platforms the PRP talks about: always known.
PLATFORM_WORDS = frozenset(
    (
        "mlflow.genai.evaluate", "mlflow.pyfunc.log_model", "mlflow.register_model", "mlflow.models.predict",
        "mlflow.models.set_model", "mlflow.set_registry_uri", "mlflow.set_experiment", "mlflow.trace",
        "databricks.agents.deploy", "agents.deploy", "set_model", "update_registered_model",
        "create_registered_model", "set_registered_model_alias", "delete_registered_model_alias",
        "get_model_version", "get_model_version_by_alias", "set_model_version_tag", "deployment_job_id",
        "log_model", "register_model", "model_name", "model_version", "max_concurrent_runs", "max_retries",
        "min_retry_interval_millis", "timeout_seconds", "run_as", "service_principal_name", "user_name",
        "group_name", "root_path", "workspace.root_path", "workspace.host", "queue.enabled", "task_key",
        "depends_on", "job_cluster_key", "environment_key", "base_parameters", "email_notifications",
        "webhook_notifications", "on_failure", "health.rules", "traffic_config", "served_entities",
        "entity_version", "entity_name", "inference_table_config", "ai_gateway", "environment_vars",
        "secret_scopes", "registered_models", "model_serving_endpoints", "quality_monitors", "run_if",
        "condition_task", "notebook_task", "spark_python_task", "python_wheel_task", "run_job_task",
        "for_each_task", "env_manager", "input_example", "pip_requirements", "predict_stream", "ChatAgent",
        "ResponsesAgent", "PythonModel", "Approval_Check", "CAN_VIEW", "CAN_RUN", "CAN_MANAGE",
        "CAN_MANAGE_RUN", "CAN_QUERY", "CAN_USE", "APPLY_TAG", "USE_CATALOG", "USE_SCHEMA", "CREATE_MODEL",
        "CREATE_MODEL_VERSION", "IS_OWNER", "ALL_PRIVILEGES", "bundle.name", "bundle.target",
        "workspace.current_user", "dev_", "model_id", "result.metrics", "task.name",
        "job.parameters.model_version", "job.parameters.model_name", "mode:production", "mode:development",
        "default:true", "max_retries:0", "max_concurrent_runs:1", "queue.enabled:true", "relevance_to_query",
        "safety", "correctness", "guidelines", "Scorer.register", "ScorerSamplingConfig",
        "mlflow.genai.scorers", "databricks-uc", *ROOT_FILES, "requirements.txt", "pyproject.toml"
    )
)


@record
class InventedRef:
    line: int
    reference: str
    reason: str


def vocabulary(project: Project, plan: Plan | None) -> tuple[set[str], set[str]]:
    """(names, files): every identifier and file the project has or the plan creates."""
    names: set[str] = set(PLATFORM_WORDS)
    files: set[str] = set(project.files)
    for f in project.files:
        parts = f.split("/")
        files.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    _collect(to_data(project), names)
    if plan is not None:
        _collect(to_data(plan), names)
        _collect([plan.document(block) for block in plan.bundle_files], names)  # what the files will say
        files.update(block.file for block in plan.bundle_files)
        for task in plan.roadmap:
            files.update(task.files)
        for job in plan.jobs:
            files.add(job.file)
            files.update(t.file for t in job.tasks if t.file)
        files.update({"src/stages/", "tests/", "resources/", ".github/workflows/", "PRPs/", "docs/", "app/",
                      *SETTINGS_FILES})
    for f in list(files):
        names.add(os.path.basename(f.rstrip("/")))
        names.add(os.path.splitext(os.path.basename(f))[0])
    return names, files


def _collect(value: Any, names: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            names.add(str(k))
            _collect(v, names)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, names)
    elif isinstance(value, str) and len(value) < 300:
        names.add(value)
        names.update(re.findall(r"[A-Za-z_][\w.-]*", value))


def verify_text(text: str, project: Project, plan: Plan | None, root: str,
                vocab: tuple[set[str], set[str]] | None = None) -> list[InventedRef]:
    """`vocab`: the result of `vocabulary(project, plan)`, for callers that verify many small texts."""
    names, files = vocab or vocabulary(project, plan)
    sources = SourceLines(root)
    out: list[InventedRef] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE_RE.match(line.strip()):
            fenced = not fenced
            continue
        if fenced:
            continue
        for span in (s for s in CODE_SPAN_RE.findall(line) if len(s.rpartition(":")[0] or s) <= MAX_SPAN):
            out.extend(InventedRef(number, ref, why) for ref, why in _check_span(span.strip(), names, files, sources))
        for ref in plain_paths(line):
            out.extend(InventedRef(number, r, why) for r, why in _check_span(ref, names, files, sources))
    return out


def plain_paths(line: str) -> list[str]:
    """File references written in prose without backticks (`src/x.py:12`, `resources/job.yml`): a path with a
    folder or a known suffix, outside code spans, links and URLs."""
    prose = URL_RE.sub(" ", CODE_SPAN_RE.sub(" ", line))
    return [m.group(1) for m in PLAIN_PATH_RE.finditer(prose) if len(m.group(1).partition(":")[0]) <= MAX_SPAN]


def _check_span(span: str, names: set[str], files: set[str], sources: SourceLines) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    match = PATH_LINE_RE.match(span)
    if match:
        path, digits = match.group(1), match.group(2).lstrip("0") or "0"
        line = int(digits) if len(digits) <= 12 else 10 ** 12  # no int() of thousands of digits
        if path not in files or not os.path.isfile(os.path.join(sources.root, path)):
            return [(span, f"file `{path}` does not exist in the project")]
        count = len(sources.lines(path))  # each file read once per verification
        if not 1 <= line <= max(count, 1):
            return [(span, f"`{path}` has {count} lines")]
        return []
    for kind, ref in REF_RE.findall(span):
        if "<" in ref:  # a template such as ${resources.registered_models.<key>.name}
            continue
        first = ref.split(".")
        key = first[0].split("[")[0] if kind == "var" else (first[1] if len(first) > 1 else "")
        if key and key not in names:
            problems.append((f"${{{kind}.{ref}}}", f"no {'variable' if kind == 'var' else 'resource'} `{key}`"))
    if problems or "${" in span or " " in span.strip():
        return problems
    token = span.rstrip("/")
    if span in names or token in names or any(mark in span for mark in TEMPLATE_MARKS):
        return []
    if span.startswith("/"):  # a workspace path: a value, known only if the project or plan has it
        return [(span, "no such workspace path in the project or the plan")]
    if token.endswith(PATH_SUFFIXES) or "/" in token:
        if span not in files and token not in files and token + "/" not in files and not _glob_known(span, files):
            return [(span, "no such file in the project or the plan")]
        return []
    if NAME_RE.match(token) and token not in names and not _known_dotted(token, names):
        return [(span, "no job, task, resource, variable or symbol of this name in the project or the plan")]
    return []


def _glob_known(span: str, files: set[str]) -> bool:
    if "*" not in span:
        return False
    pattern = re.compile("^" + re.escape(span).replace(r"\*", "[^/]*") + "$")
    return any(pattern.match(f) for f in files)


def _known_dotted(token: str, names: set[str]) -> bool:
    """`pkg.module.fn` is known when its last part is, `x/mean` metric names when the metric is."""
    last = re.split(r"[./]", token)[-1]
    return (last in names and "." in token) or token.split("/")[0] in names


def verify_file(markdown_path: str, project_path: str) -> list[InventedRef]:
    from dabprp.api import plan as build_plan
    from dabprp.confined_io import read_text
    from dabprp.errors import DabprpError

    text = read_text(markdown_path)  # a regular file only: a FIFO is refused, never waited on
    if text is None:
        raise DabprpError(markdown_path, None, "cannot read: no such file")
    built, project = build_plan(project_path)
    return verify_text(text, project, built, project_path)
