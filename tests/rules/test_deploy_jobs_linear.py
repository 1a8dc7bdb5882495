"""`deploy_jobs` asks `hands_over` of every job with one index of the jobs by key (built once, not once per job):
the same answer as asking job by job, in time linear in jobs and tasks."""

from __future__ import annotations

from dabprp.analyze import analyze
from dabprp.rules import queries
from tests.conftest import write_tree

BUILDS = 30


def bundle() -> str:
    lines = ["bundle: {name: many}", "resources:", "  jobs:",
             "    release:", "      tasks:",
             "        - task_key: approval_check", "          notebook_task: {notebook_path: ./approve.py}"]
    for i in range(BUILDS):
        lines += [f"    build_{i}:", "      tasks:",
                  "        - task_key: register",
                  "          spark_python_task:",
                  "            python_file: ./register.py",
                  "            parameters: ['--deploy-job', '${resources.jobs.release.id}']"]
    lines += ["    self_register:", "      tasks:", "        - task_key: register",
              "          spark_python_task: {python_file: ./register.py}"]
    return "\n".join(lines) + "\n"


def project(tmp_path):
    return analyze(str(write_tree(tmp_path, {
        "databricks.yml": bundle(), "approve.py": "print('approve')\n",
        "register.py": "import mlflow\nmlflow.register_model('runs:/r/m', 'c.s.m')\n"})))


def test_indexed_answer_equals_the_job_by_job_answer(tmp_path):
    p = project(tmp_path)
    one_by_one = [j.key for j in queries.jobs(p) if queries.is_deploy_job(p, j)]
    # build jobs hand their version to `release` (it has an approval task): they do not deploy; the job that
    # registers without handing over does
    assert [j.key for j in queries.deploy_jobs(p)] == one_by_one == ["release", "self_register"]
    assert all(queries.hands_over(p, j) for j in queries.jobs(p) if j.key.startswith("build_"))


def test_the_jobs_are_listed_once_per_question_not_once_per_job(tmp_path, monkeypatch):
    p = project(tmp_path)
    listed = []
    real = queries.jobs
    monkeypatch.setattr(queries, "jobs", lambda project: listed.append(1) or real(project))
    queries.deploy_jobs(p)
    assert len(listed) == 1
