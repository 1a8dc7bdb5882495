"""5xx: evaluation datasets, scorers and quality gates."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dabprp.facts import EvalTable, Location, MetricGate, Parallelism, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DEFAULT_EVALSET, DOCS, TEMPORAL_NAME_RE
from dabprp.rules import rule
from dabprp.rules.queries import bundle_location
from dabprp.settings import Settings


def handles_comparisons(project: Project) -> bool:
    py = project.python
    generated = py.generated_paths()  # dabprp's stage code says nothing about the agent
    return any(p.location.path not in generated for p in py.of(Parallelism)) or any(
        "compar" in " ".join(v for vals in m.fields.values() for v in vals) for m in py.routing_models)


def handles_relative_time(project: Project) -> bool:
    pattern = re.compile(TEMPORAL_NAME_RE, re.I)
    return any(pattern.search(fn) for f in project.python.files if not f.generated for fn in f.functions)


@rule("DAB501", "No evaluation", severity=Severity.ERROR, stage=Stage.EVALUATE,
      fix="Evaluate with `mlflow.genai.evaluate(data, predict_fn, scorers)` on a versioned dataset.",
      docs=(DOCS["genai_eval"],))
def no_evaluation(project: Project) -> Iterator[Hit]:
    """Without evaluation there is no evidence a new version is at least as good as the last."""
    if not project.python.calls("mlflow.genai.evaluate", "mlflow.evaluate"):
        where = project.python.agent_classes[0].location if project.python.agent_classes else \
            bundle_location(project)
        yield Hit(where, "the agent is never evaluated")


@rule("DAB502", "Evaluation without quality thresholds", severity=Severity.ERROR, stage=Stage.EVALUATE,
      fix="Compare `result.metrics['<scorer>/mean']` with thresholds and raise (fail the task) when missed.",
      docs=(DOCS["genai_eval"],))
def evaluation_without_gate(project: Project) -> Iterator[Hit]:
    """Scores that nobody compares with a threshold never stop a bad version."""
    gated_files = {c.location.path for c in project.python.of(MetricGate)}
    for call in project.python.calls("mlflow.genai.evaluate", "mlflow.evaluate"):
        if call.location.path not in gated_files:
            yield Hit(call.location, "evaluation results are not compared with any threshold")


@rule("DAB503", "No evaluation dataset", severity=Severity.ERROR, stage=Stage.EVALUATE,
      fix="Add a dataset (e.g. `data/evals/*.json` with `inputs` and `expectations`) covering each route.",
      docs=(DOCS["genai_eval"],))
def no_eval_dataset(project: Project) -> Iterator[Hit]:
    """Evaluation needs a fixed, reviewed set of questions and expected facts. Data in a Unity Catalog table or
    an MLflow evaluation dataset counts (its size cannot be known statically)."""
    if not [e for e in project.evalsets if e.records] and not project.python.of(EvalTable):
        yield Hit(Location(DEFAULT_EVALSET, 1), "no evaluation dataset found")


@rule("DAB504", "Small evaluation dataset", severity=Severity.WARNING, stage=Stage.EVALUATE,
      fix="Grow the dataset to at least `min_eval_records` records (setting, default 30), balanced across "
          "question kinds.", docs=(DOCS["genai_eval"],), reads_settings=True)
def small_eval_dataset(project: Project, settings: Settings) -> Iterator[Hit]:
    """A handful of questions cannot tell a real regression from noise."""
    for e in project.evalsets:
        if 0 < e.records < settings.min_eval_records:
            yield Hit(e.location, f"`{e.path}` has {e.records} records (fewer than {settings.min_eval_records})")


@rule("DAB505", "Evaluation misses question kinds the agent handles", severity=Severity.WARNING,
      stage=Stage.EVALUATE,
      fix="Add comparative and time-relative questions in proportion to the routes that serve them.",
      docs=(DOCS["genai_eval"],))
def eval_missing_kinds(project: Project) -> Iterator[Hit]:
    """Routes the dataset never exercises are never evaluated."""
    needed = []
    if handles_comparisons(project):
        needed.append("comparative")
    if handles_relative_time(project):
        needed.append("time_relative")
    for e in project.evalsets:
        if not e.records:
            continue
        minimum = max(3, e.records // 5)
        for kind in needed:
            if e.categories.get(kind, 0) < minimum:
                yield Hit(e.location, f"`{e.path}` has {e.categories.get(kind, 0)} {kind.replace('_', '-')} "
                          f"questions (want at least {minimum})")


@rule("DAB506", "No code-based scorers", severity=Severity.NOTE, stage=Stage.EVALUATE,
      fix="Add deterministic `@scorer` functions (numeric tolerance, routing from trace spans) beside the judges.",
      docs=(DOCS["scorers"],))
def no_custom_scorers(project: Project) -> Iterator[Hit]:
    """LLM judges alone are slow, costly and non-deterministic; code scorers make the gate reproducible."""
    evaluates = project.python.calls("mlflow.genai.evaluate")
    if evaluates and not project.python.scorers:
        yield Hit(evaluates[0].location, "only built-in judges are used; no `@scorer` functions")
