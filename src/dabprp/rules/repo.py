"""8xx: tests and CI of the repository."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import Location, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule


@rule("DAB801", "No tests", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Add `tests/` with unit tests of the agent's helpers and a routing test with a fake LLM.",
      docs=(DOCS["ci_cd"],))
def no_tests(project: Project) -> Iterator[Hit]:
    """Nothing checks the agent's code before it is evaluated against real endpoints."""
    if not any(t.tests for t in project.repo.tests):
        yield Hit(Location("tests/", 1), "the repository has no test functions")


@rule("DAB802", "No CI", severity=Severity.ERROR, stage=Stage.TEST,
      fix="Add a CI workflow that runs the tests, `databricks bundle validate --strict` and deploys by target.",
      docs=(DOCS["ci_cd"],))
def no_ci(project: Project) -> Iterator[Hit]:
    """Without CI every deployment is a manual step from someone's laptop."""
    if not project.repo.ci:
        yield Hit(Location(".github/workflows/", 1), "no CI definition (GitHub Actions, Azure Pipelines, GitLab CI)")


@rule("DAB803", "CI does not validate or deploy the bundle", severity=Severity.WARNING, stage=Stage.STAGE,
      fix="Run `databricks bundle validate --strict -t <target>` and `bundle deploy` from CI.",
      docs=(DOCS["ci_cd"],))
def ci_without_bundle(project: Project) -> Iterator[Hit]:
    """CI that never touches the bundle cannot promote between targets."""
    if project.bundle is None:
        return
    for ci in project.repo.ci:
        if "deploy" not in ci.runs_bundle_commands:
            yield Hit(Location(ci.path, 1), f"`{ci.path}` does not run `databricks bundle deploy`")
