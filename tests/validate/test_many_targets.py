"""Targets share the jobs they do not override, so the per-target checks reuse a job's results across targets:
the findings must be exactly those of checking every target on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from dabprp import report as report_module
from dabprp.api import validate
from dabprp.parse.bundle_load import effective_tree
from dabprp.render.validation import render_validation_json
from dabprp.rules.bundle_view import TargetView

JOB = """    job_{i}:
      name: job-{i}
      tasks:
        - task_key: a
          spark_python_task:
            python_file: ../src/task.py
            parameters: ["${{var.catalog}}", "${{resources.jobs.job_0.id}}"]
        - task_key: b
          depends_on:
            - task_key: a
          spark_python_task:
            python_file: ../src/task.py
"""

TARGETS = {
    "dev": "    mode: development\n    default: true\n",
    "plain": "    mode: production\n    workspace:\n      root_path: /Workspace/Users/ops@example.com/x\n",
    "missing_dep": "    resources:\n      jobs:\n        job_1:\n          tasks:\n            - task_key: c\n"
                   "              depends_on:\n                - task_key: nope\n"
                   "              spark_python_task:\n                python_file: ../src/task.py\n",
    "missing_file": "    resources:\n      jobs:\n        job_2:\n          tasks:\n            - task_key: a\n"
                    "              spark_python_task:\n                python_file: src/gone.py\n",
    "new_job": "    resources:\n      jobs:\n        extra:\n          name: extra\n          tasks:\n"
               "            - task_key: x\n              spark_python_task:\n"
               "                python_file: ../src/task.py\n"
               "                parameters: [\"${var.undeclared}\", \"${resources.jobs.nowhere.id}\"]\n",
    "cycle": "    resources:\n      jobs:\n        job_3:\n          tasks:\n            - task_key: a\n"
             "              depends_on:\n                - task_key: b\n",
    "retries": "    resources:\n      jobs:\n        job_4:\n          tasks:\n            - task_key: approval_check\n"
               "              max_retries: 2\n              spark_python_task:\n"
               "                python_file: ../src/task.py\n",
    "same_as_dev": "    mode: development\n",
}


def many_target_bundle(root: Path, jobs: int = 6, copies: int = 3) -> Path:
    """A bundle whose targets override, add or break jobs in different ways (each kind `copies` times)."""
    (root / "resources").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "task.py").write_text("print(1)\n")
    targets = "".join(f"  {name}{'' if n == 0 else f'_{n}'}:\n{body}" for n in range(copies)
                      for name, body in TARGETS.items() if not (name == "dev" and n))
    (root / "databricks.yml").write_text("bundle:\n  name: many\ninclude:\n  - resources/*.yml\nvariables:\n"
                                         "  catalog:\n    default: main\ntargets:\n" + targets)
    (root / "resources" / "jobs.yml").write_text(
        "resources:\n  jobs:\n" + "".join(JOB.format(i=i) for i in range(jobs))
        + "    job_x:\n      name: uses-${var.nothing}\n")
    return root


def unshared_views(root: str, loaded, names):  # the signature of report.target_views
    """Every target checked on its own: no cache, no memo shared between views."""
    return tuple(TargetView(root, loaded, name, *effective_tree(loaded, name), i == 0, {}, {})
                 for i, name in enumerate(names))


def rows(result) -> list[tuple[str, str, int, str]]:
    return [(f.rule_id, f.location.path, f.location.line, f.message) for f in result.findings]


def test_findings_per_target_are_those_of_each_target_checked_alone(tmp_path, monkeypatch):
    root = str(many_target_bundle(tmp_path))
    shared = validate(root, all_targets=True)
    monkeypatch.setattr(report_module, "target_views", unshared_views)
    alone = validate(root, all_targets=True)
    assert render_validation_json(shared) == render_validation_json(alone)
    assert len(shared.targets) == 22


def test_a_finding_of_some_targets_names_them(tmp_path):
    root = str(many_target_bundle(tmp_path, copies=2))
    assert rows(validate(root, all_targets=True)) == [
        ("DAB904", "databricks.yml", 23, "task `job_1.c` depends on missing task `nope` [targets: missing_dep]"),
        ("DAB212", "databricks.yml", 33, "task `job_2.a` points at missing `src/gone.py` (relative to "
                                         "databricks.yml) [targets: missing_file]"),
        # the `targets` section itself is checked in every target: no target list
        ("DAB907", "databricks.yml", 43, "`${var.undeclared}` uses undefined variable `undeclared`"),
        ("DAB908", "databricks.yml", 43, "`${resources.jobs.nowhere.id}` names missing resource `jobs.nowhere`"),
        ("DAB912", "databricks.yml", 58, "approval task `job_4.approval_check` has max_retries 2 "
                                         "[targets: retries]"),
        ("DAB904", "databricks.yml", 74, "task `job_1.c` depends on missing task `nope` [targets: missing_dep_1]"),
        ("DAB212", "databricks.yml", 84, "task `job_2.a` points at missing `src/gone.py` (relative to "
                                         "databricks.yml) [targets: missing_file_1]"),
        ("DAB907", "databricks.yml", 94, "`${var.undeclared}` uses undefined variable `undeclared`"),
        ("DAB908", "databricks.yml", 94, "`${resources.jobs.nowhere.id}` names missing resource `jobs.nowhere`"),
        ("DAB912", "databricks.yml", 109, "approval task `job_4.approval_check` has max_retries 2 "
                                          "[targets: retries_1]"),
        ("DAB905", "resources/jobs.yml", 42, "job `job_3` has a dependency cycle: a -> b -> a "
                                             "[targets: cycle, cycle_1]"),
        ("DAB907", "resources/jobs.yml", 76, "`${var.nothing}` uses undefined variable `nothing`"),
    ]


@pytest.mark.parametrize("jobs", [1, 12])
def test_each_target_alone_matches_the_shared_run_at_any_size(tmp_path, monkeypatch, jobs):
    root = str(many_target_bundle(tmp_path, jobs=jobs, copies=2))
    shared = rows(validate(root, all_targets=True))
    monkeypatch.setattr(report_module, "target_views", unshared_views)
    assert rows(validate(root, all_targets=True)) == shared
