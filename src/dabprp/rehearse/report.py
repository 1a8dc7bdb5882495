"""The rehearsal's result: every step in order, every traffic config, the champion before and after."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOMES = ("ok", "failed", "skipped")


@dataclass
class Step:
    job: str
    task: str
    target: str
    params: list[str]
    outcome: str
    detail: str
    overrides: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    """Task values the task published."""
    """Parameters the rehearsal replaced (stand-in agent, local env manager, no soak wait), old → new."""
    expected: bool = True
    """A failure the pipeline is designed to produce (a missed gate, a pending approval, a rolled-back canary)."""


@dataclass
class Report:
    target: str
    agent: str
    canary_fault: bool
    serving: str
    steps: list[Step] = field(default_factory=list)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    endpoint_writes: list[dict[str, Any]] = field(default_factory=list)
    """Every endpoint configuration in order, with who wrote it (`bundle` or `sdk`) and the versions it serves."""
    job_runs: list[dict[str, Any]] = field(default_factory=list)
    """Every job run in the order the runs ended: `{job, trigger, parameters, result}` (`MODEL`: started by MLflow
    for a new version of a linked model; `RUN_JOB_TASK`: by another job; `ONE_TIME`: by CI)."""
    champion_before: str | None = None
    champion_after: str | None = None
    promoted: bool = False
    rolled_back: bool = False
    blocked_at: str | None = None
    problems: list[str] = field(default_factory=list)
    """What makes the rehearsal itself fail: unexpected errors, traffic not summing to 100."""
    warnings: list[str] = field(default_factory=list)
    """Failures of the test job: they would stop CI, but do not concern the stand-in agent."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        out = {"ok": self.ok, "promoted": self.promoted, "blocked_at": self.blocked_at,
               "rolled_back": self.rolled_back, "target": self.target, "agent": self.agent,
               "canary_fault": self.canary_fault, "serving": self.serving,
               "champion_before": self.champion_before, "champion_after": self.champion_after,
               "problems": self.problems, "warnings": self.warnings, "steps": [asdict(s) for s in self.steps],
               "traffic": self.traffic, "endpoint_writes": self.endpoint_writes,
               "job_runs": self.job_runs}
        return out


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n"


def step_line(step: Step) -> str:
    mark = {"ok": "ok     ", "failed": "FAILED ", "skipped": "skipped"}[step.outcome]
    detail = step.detail.splitlines()[-1] if step.detail else ""
    return f"{mark} {step.job} / {step.task}: {detail[:160]}"


def render_text(report: Report) -> str:
    lines = [f"rehearsal of target `{report.target}` ({report.serving}, agent: {report.agent}"
             + (", canary fault" if report.canary_fault else "") + ")"]
    lines += [f"  {step_line(s)}" for s in report.steps]
    lines.append("traffic:")
    lines += [f"  {t['endpoint']}: " + ", ".join(f"{k} {v}%" for k, v in t["routes"].items())
              for t in report.traffic]
    lines.append("job runs:")
    lines += [f"  {r['job']} ({r['trigger']}" + "".join(f", {k}={v}" for k, v in r["parameters"].items()
                                                       if k == "model_version") + f"): {r['result']}"
              for r in report.job_runs]
    lines.append(f"champion: {report.champion_before} → {report.champion_after}")
    verdict = "promoted" if report.promoted else f"not promoted (blocked at {report.blocked_at})"
    lines.append(verdict + ("; rolled back to the previous traffic config" if report.rolled_back else ""))
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [f"problem: {p}" for p in report.problems]
    lines.append("rehearsal " + ("ok" if report.ok else "FAILED"))
    return "\n".join(lines) + "\n"
