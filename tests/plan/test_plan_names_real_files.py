"""Every file the roadmap names and every job the validation commands run is one the project has or scaffold
writes: the PRP names no file (`resources/evaluation_job.yml`) and no job (`<key>_evaluation`) that nothing makes."""

from __future__ import annotations

import re

import pytest
import yaml

from dabprp.api import plan as make_plan
from dabprp.api import scaffold
from tests.conftest import EXAMPLE, FIXTURES, copy_into

PROJECTS = [EXAMPLE, *sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "broken")]


@pytest.mark.parametrize("source", PROJECTS, ids=lambda p: p.name)
def test_roadmap_files_and_command_jobs_exist_after_scaffold(source, tmp_path):
    root = copy_into(source, tmp_path)
    plan, project = make_plan(str(root))
    named = {(t.id, f) for t in plan.roadmap for f in t.files}
    scaffold(str(root))
    missing = sorted((tid, f) for tid, f in named if not (root / f).exists())
    # files the plan asks the engineer to create: an evaluation dataset and a requirements file where none exist
    allowed = {("T10", "data/evals/eval-questions.json")} if not project.evalsets else set()
    allowed |= {("T07", "requirements.txt")} if not project.repo.requirements else set()
    assert set(missing) <= allowed, missing
    jobs = set()
    for path in root.rglob("*.yml"):
        doc = yaml.safe_load(path.read_text())
        if isinstance(doc, dict):
            jobs |= set((doc.get("resources") or {}).get("jobs") or {})
    for command in plan.validation_commands:
        for key in re.findall(r"bundle run -t \w+ (\S+)", command):
            assert key in jobs, (command, sorted(jobs))


def test_app_agent_roadmap_has_no_model_version_tasks():
    plan, _ = make_plan(str(FIXTURES / "app-agent"))
    ids = [t.id for t in plan.roadmap]
    assert ids == ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T09", "T10", "T12", "T15", "T16"]
    assert str(next(t for t in plan.roadmap if t.id == "T15").title) == \
        "App deployment with automatic rollback to the previous deployment"
