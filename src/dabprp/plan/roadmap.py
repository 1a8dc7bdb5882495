"""Implementation roadmap and risks: ordered tasks naming files, each closing findings by rule ID."""

from __future__ import annotations

from typing import Any

from dabprp.facts import Project
from dabprp.findings import Finding
from dabprp.plan.deliverables import deliverable_evidence
from dabprp.plan.model import Risk, RoadmapTask, prose
from dabprp.settings import Settings

# Phase, title and dependencies of each roadmap phase; exit criteria are worded from the plan (render).
PHASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Phase 1", "Foundation: targets, identities, configuration, secrets", ()),
    ("Phase 2", "Test and evaluation gates", ("Phase 1",)),
    ("Phase 3", "Staging", ("Phase 2",)),
    ("Phase 4", "Production deployment and monitoring", ("Phase 3",)),
)

# (phase, title, files, rule ids it closes). `{key}` is the bundle's resource key prefix.
TASKS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Phase 1", "Create dev/staging/prod targets with per-environment variables and root paths",
     ("databricks.yml",), ("DAB100", "DAB101", "DAB102", "DAB103", "DAB104", "DAB105", "DAB106", "DAB915")),
    ("Phase 1", "Run as a service principal and declare permissions and grants",
     ("databricks.yml", "resources/*.yml"), ("DAB301", "DAB302", "DAB303")),
    ("Phase 1", "Replace configuration placeholders with bundle variables passed to the code",
     ("{config}", "databricks.yml"), ("DAB701",)),
    ("Phase 1", "Secret scope per environment; drop the personal access token",
     ("resources/model.yml", "{deploy_code}"), ("DAB304", "DAB305", "DAB306", "DAB307")),
    ("Phase 2", "Unit and routing tests with a fake LLM, and the test job",
     ("tests/", "src/stages/run_tests.py", "src/stages/validate_config.py", "resources/test_job.yml"),
     ("DAB801", "DAB201", "DAB702")),
    ("Phase 2", "CI: tests, `dabprp validate`, `bundle validate --strict`, deploy by target",
     (".github/workflows/dabprp-deploy.yml",), ("DAB802", "DAB803")),
    ("Phase 2", "Pin dependencies once for notebooks, requirements and `pip_requirements`",
     ("requirements.txt",), ("DAB408", "DAB409")),
    ("Phase 2", "Pre-deployment check of the logged model", ("src/stages/deploy.py",), ("DAB406", "DAB407")),
    ("Phase 2", "Evaluation stage with judges, code scorers and blocking thresholds",
     ("src/stages/evaluate.py", "resources/evaluation_job.yml"), ("DAB501", "DAB502", "DAB202", "DAB506")),
    ("Phase 2", "Grow the evaluation dataset across every route and question kind",
     ("{evalset}",), ("DAB503", "DAB504", "DAB505")),
    ("Phase 3", "Unity Catalog model resource with grants and champion/challenger aliases",
     ("resources/model.yml", "{deploy_code}"), ("DAB401", "DAB402", "DAB403", "DAB404")),
    ("Phase 3", "Staging job: deploy, load test, rollback rehearsal",
     ("resources/staging_job.yml", "src/stages/loadtest.py"), ("DAB213",)),
    ("Phase 4", "MLflow 3 deployment job: Evaluation → Approval_Check → Deployment",
     ("resources/deployment_job.yml", "src/stages/approve.py"),
     ("DAB203", "DAB204", "DAB205", "DAB206", "DAB207", "DAB210", "DAB211", "DAB212")),
    ("Phase 4", "Link the deployment job to the model after each deploy",
     ("src/stages/link_deployment_job.py",), ("DAB405",)),
    ("Phase 4", "Canary rollout with automatic rollback on one serving owner",
     ("src/stages/deploy.py", "resources/serving.yml"), ("DAB604", "DAB410", "DAB703", "DAB704")),
    ("Phase 4", "Tracing, inference tables, production scorers and alerts",
     ("{agent_module}", "resources/serving.yml"), ("DAB601", "DAB602", "DAB603", "DAB208", "DAB209")),
)


def roadmap(project: Project, findings: tuple[Finding, ...], key: str, serving: str,
            settings: Settings) -> tuple[RoadmapTask, ...]:
    fired = {f.rule_id for f in findings}
    subs = {
        "{config}": project.configs[0].path if project.configs else "agent config (not found in project)",
        "{deploy_code}": next((c.location.path for c in project.python.calls("databricks.agents.deploy",
                                                                                "mlflow.register_model")),
                              "src/stages/deploy.py"),
        "{evalset}": project.evalsets[0].path if project.evalsets else "data/evals/eval-questions.json",
        "{agent_module}": next((a.location.path for a in project.python.agent_classes), "the agent module"),
    }
    out = []
    for i, (phase, title, files, closes) in enumerate(TASKS, 1):
        resolved = tuple(dict.fromkeys(subs.get(f, f) for f in files))
        if serving == "apps":
            title = title.replace("serving owner", "app")
        open_rules = tuple(r for r in closes if r in fired)
        count = len([f for f in findings if f.rule_id in closes])
        effort = "0.5 d" if count <= 1 else ("1 d" if count <= 4 else "2 d")
        if not closes:
            effort = "1 d"
        evidence = deliverable_evidence(closes, project, settings)
        done = bool(closes) and not open_rules and bool(evidence)
        out.append(RoadmapTask(f"T{i:02d}", phase, prose(title), resolved, effort, closes, done, evidence))
    return tuple(out)


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
