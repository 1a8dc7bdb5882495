"""0xx and 921: what the engine itself reports: internal errors, unused suppressions, unreadable sources."""

from __future__ import annotations

from collections.abc import Iterator

from dabprp.facts import ProblemKind, Project
from dabprp.findings import Hit, Severity, Stage
from dabprp.rules import INTERNAL_ERROR_ID, Rule, Subject, rule

UNUSED_SUPPRESSION_ID = "DAB002"

INTERNAL_ERROR = Rule(INTERNAL_ERROR_ID, "Internal rule error", Severity.ERROR, Stage.TEST, "Report this bug.", (),
                      None, Subject.ENGINE, True, "A rule raised an exception; the other rules still ran.")
UNUSED_SUPPRESSION = Rule(UNUSED_SUPPRESSION_ID, "Unused suppression", Severity.WARNING, Stage.TEST,
                          "Remove the `# dabprp: ignore[...]` comment.", (), None, Subject.ENGINE, True,
                          "A suppression comment suppresses nothing (of the rules that ran).")


@rule("DAB921", "Unparseable source file", severity=Severity.WARNING, stage=Stage.TEST,
      fix="Fix the syntax error or encoding.")
def unparseable_source(project: Project) -> Iterator[Hit]:
    """A Python, notebook, configuration or data file could not be parsed, so nothing in it was analyzed."""
    for problem in project.problems:
        if not problem.bundle and problem.kind is not ProblemKind.SKIPPED:
            yield Hit(problem.location, problem.message)
