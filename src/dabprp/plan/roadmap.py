"""Implementation roadmap and risks: ordered tasks naming files, each closing findings by rule ID."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Project
from dabprp.findings import Finding
from dabprp.knowledge import DEFAULT_EVALSET
from dabprp.plan.agent_entry import agent_entry
from dabprp.plan.bundle_model import BundleFile
from dabprp.plan.deliverables import deliverable_evidence
from dabprp.plan.model import PlannedJob, Risk, RoadmapTask, prose
from dabprp.plan.pipeline import APP_STAGE_FILES, MODEL_STAGE_FILES, STAGES_DIR
from dabprp.settings import Settings

# Phase, title and dependencies of each roadmap phase; exit criteria are worded from the plan (render).
PHASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Phase 1", "Foundation: targets, identities, configuration, secrets", ()),
    ("Phase 2", "Test and evaluation gates", ("Phase 1",)),
    ("Phase 3", "Staging", ("Phase 2",)),
    ("Phase 4", "Production deployment and monitoring", ("Phase 3",)),
)

# (phase, title, files, rule ids it closes). Files are named by what the plan makes of them, never by a fixed
# path: `{stage:x}` the stage module `src/stages/x.py` (when the serving mode has it), `{runs:x}` the file of each
# planned job with a task running stage `x`, `{bundle:type}` the planned bundle file defining resources of that
# type, `{root}` the bundle root file; `{config}`, `{deploy_code}`, `{evalset}`, `{agent_module}`, `{ci}`,
# `{requirements}` are the project's own files (the last three name the file to create where it has none).
# A token that names nothing the plan writes is left out.
TASKS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Phase 1", "Create dev/staging/prod targets with per-environment variables and root paths",
     ("{root}",), ("DAB100", "DAB101", "DAB102", "DAB103", "DAB104", "DAB105", "DAB106", "DAB915", "DAB919")),
    ("Phase 1", "Run as a service principal and declare permissions and grants",
     ("{root}", "{bundle:registered_models}"), ("DAB301", "DAB302", "DAB303")),
    ("Phase 1", "Replace configuration placeholders with bundle variables passed to the code",
     ("{config}", "{root}"), ("DAB701",)),
    ("Phase 1", "Secret scope per environment; drop the personal access token",
     ("{bundle:secret_scopes}", "{deploy_code}"), ("DAB304", "DAB305", "DAB306", "DAB307")),
    ("Phase 2", "Unit and routing tests with a fake LLM, and the test job",
     ("tests/", "{stage:run_tests}", "{stage:validate_config}", "{runs:run_tests}"),
     ("DAB801", "DAB201", "DAB702")),
    ("Phase 2", "CI: tests, `dabprp validate`, `bundle validate --strict`, deploy by target",
     ("{ci}",), ("DAB802", "DAB803")),
    ("Phase 2", "Pin dependencies once for notebooks, requirements and `pip_requirements`",
     ("{requirements}",), ("DAB408", "DAB409")),
    ("Phase 2", "Pre-deployment check of the logged model", ("{stage:build}",), ("DAB406", "DAB407")),
    ("Phase 2", "Evaluation stage with judges, code scorers and blocking thresholds",
     ("{stage:evaluate}", "{runs:evaluate}"), ("DAB501", "DAB502", "DAB202", "DAB506")),
    ("Phase 2", "Grow the evaluation dataset across every route and question kind",
     ("{evalset}",), ("DAB503", "DAB504", "DAB505")),
    ("Phase 3", "Unity Catalog model resource with grants and champion/challenger aliases",
     ("{bundle:registered_models}", "{deploy_code}"), ("DAB401", "DAB402", "DAB403", "DAB404")),
    ("Phase 3", "Staging load test and rollback rehearsal",
     ("{stage:loadtest}", "{runs:loadtest}"), ("DAB213",)),
    ("Phase 4", "MLflow 3 deployment job: Evaluation → Approval_Check → Deployment",
     ("{runs:approve}", "{stage:approve}"),
     ("DAB203", "DAB204", "DAB205", "DAB206", "DAB207", "DAB210", "DAB211", "DAB212")),
    ("Phase 4", "Link the deployment job to the model after each deploy",
     ("{stage:link_deployment_job}", "{runs:link_deployment_job}"), ("DAB405",)),
    ("Phase 4", "Canary rollout with automatic rollback on one serving owner",
     ("{stage:deploy}", "{bundle:model_serving_endpoints}", "{bundle:apps}"), ("DAB604", "DAB410", "DAB703", "DAB704")),
    ("Phase 4", "Tracing, inference tables, production scorers and alerts",
     ("{agent_module}", "{bundle:model_serving_endpoints}"), ("DAB601", "DAB602", "DAB603", "DAB208", "DAB209")),
)

CI_WORKFLOW = ".github/workflows/dabprp-deploy.yml"
"""The workflow scaffold writes for a project without CI."""
MODEL_ONLY = frozenset((8, 11, 13, 14))
"""Tasks (1-based positions in TASKS) about a registered model version; an agent run by an App has none."""


def roadmap(project: Project, findings: tuple[Finding, ...], serving: str, settings: Settings,
            jobs: tuple[PlannedJob, ...], blocks: list[BundleFile] | tuple[BundleFile, ...]) -> tuple[RoadmapTask, ...]:
    fired = {f.rule_id for f in findings}
    subs = _files(project, serving, jobs, blocks)
    out = []
    for i, (phase, title, files, closes) in enumerate(TASKS, 1):
        if serving == "apps" and i in MODEL_ONLY:
            continue  # the ids stay those of TASKS: a task keeps its id whatever the serving mode
        resolved = tuple(dict.fromkeys(f for token in files for f in subs.get(token, (token,))))
        if serving == "apps":  # an app has no traffic split: the previous deployment is what it rolls back to
            title = title.replace("Canary rollout with automatic rollback on one serving owner",
                                  "App deployment with automatic rollback to the previous deployment")
        if "{evalset}" in files and not project.evalsets:  # the Evaluation task fails until the file exists
            title = ("Create the evaluation dataset (the project has none: the Evaluation task fails until it "
                     "exists), covering every route and question kind")
        open_rules = tuple(r for r in closes if r in fired)
        count = len([f for f in findings if f.rule_id in closes])
        effort = "0.5 d" if count <= 1 else ("1 d" if count <= 4 else "2 d")
        if not closes:
            effort = "1 d"
        evidence = deliverable_evidence(closes, project, settings)
        done = bool(closes) and not open_rules and bool(evidence)
        out.append(RoadmapTask(f"T{i:02d}", phase, prose(title), resolved, effort, closes, done, evidence))
    return tuple(out)


def _files(project: Project, serving: str, jobs: tuple[PlannedJob, ...],
           blocks: list[BundleFile] | tuple[BundleFile, ...]) -> dict[str, tuple[str, ...]]:
    """What each file token of TASKS names for this plan (an empty tuple: nothing)."""
    stages = MODEL_STAGE_FILES if serving == "model-serving" else APP_STAGE_FILES
    subs: dict[str, tuple[str, ...]] = {
        "{root}": (blocks[0].file,) if blocks else (),
        "{config}": (project.configs[0].path,) if project.configs else (),
        "{deploy_code}": tuple(c.location.path for c in project.python.calls(
            "databricks.agents.deploy", "mlflow.register_model"))[:1],
        "{evalset}": (project.evalsets[0].path,) if project.evalsets else (DEFAULT_EVALSET,),
        "{agent_module}": tuple(p for p in (agent_entry(project.python).path,) if p)
        or tuple(a.location.path for a in project.python.agent_classes)[:1],
        "{ci}": tuple(dict.fromkeys(c.path for c in project.repo.ci)) or (CI_WORKFLOW,),
        "{requirements}": tuple(sorted({r.location.path for r in project.repo.requirements})) or ("requirements.txt",),
    }
    for name in MODEL_STAGE_FILES + APP_STAGE_FILES:
        path = f"{STAGES_DIR}/{name}.py"
        subs[f"{{stage:{name}}}"] = (path,) if name in stages else ()
        subs[f"{{runs:{name}}}"] = tuple(dict.fromkeys(
            j.file for j in jobs if not j.reused and any(t.file == path for t in j.tasks)))
    for kind in ("registered_models", "secret_scopes", "model_serving_endpoints", "apps"):
        subs[f"{{bundle:{kind}}}"] = tuple(b.file for b in blocks if b.declares(kind))
    return subs


def risks(project: Project, agent: Any, serving: str) -> tuple[Risk, ...]:
    """Risks that follow from this project's code; the general ones are in docs/prp-background.md."""
    out: list[Risk] = []
    if agent.genie:
        out.append(Risk("Genie answers depend on the space's tables and instructions, which change outside the bundle",
                        "pin the Genie space id per environment and run the evaluation after space changes"))
    if agent.parallel:
        out.append(Risk("parallel queries multiply load on the downstream endpoint and hit rate limits",
                        "cap concurrency in config and include comparative questions in the load test"))
    if project.python.calls("databricks.agents.deploy"):
        out.append(Risk(prose("moving serving from `agents.deploy` to a bundle-owned endpoint changes its owner"),
                        "bind or recreate the endpoint once in staging; never run both owners"))
    if serving == "apps":
        out.append(Risk("apps do not support traffic splits like serving endpoints",
                        "roll out by deploying a second app (blue-green) and switching clients after checks"))
    return tuple(out)
