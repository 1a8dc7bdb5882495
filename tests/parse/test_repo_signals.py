"""Repository signals as real projects have them: pytest's collection, requirement syntax, CI at the git root."""

from __future__ import annotations

import subprocess

from dabprp.analyze import analyze
from dabprp.parse.repo import parse_requirements, pyproject_requirements
from dabprp.rules import run_rules

TESTS = '''import pytest


def test_top():
    def test_nested():
        pass


async def test_async():
    pass


def helper_test():
    pass


class TestGroup:
    def test_method(self):
        pass

    def helper(self):
        pass


class TestWithInit:
    def __init__(self):
        pass

    def test_never_collected(self):
        pass


class Helper:
    def test_not_a_test_class(self):
        pass
'''


def test_only_what_pytest_collects_is_a_test(tree):
    root = tree({"tests/test_agent.py": TESTS, "tests/helpers.py": "def test_in_helper_module():\n    pass\n",
                 "agent_test.py": "def test_suffix_file():\n    pass\n"})
    repo = analyze(str(root)).repo
    assert [(t.path, t.tests) for t in repo.tests] == [
        ("agent_test.py", ("test_suffix_file",)),
        ("tests/test_agent.py", ("TestGroup.test_method", "test_async", "test_top")),
    ]


def test_requirements_with_extras_markers_hashes_and_includes(tree):
    root = tree({
        "requirements.txt": (
            "mlflow[databricks]>=3.1,<4 ; python_version >= '3.10'\n"
            "databricks-agents==1.2.0 \\\n    --hash=sha256:abc\n"
            "-r requirements/base.txt\n"
            "langgraph  # the graph\n"
        ),
        "requirements/base.txt": "databricks-sdk[openai]==0.50.0\n",
    })
    reqs = analyze(str(root)).repo.requirements
    assert [(r.name, r.spec, r.pinning, r.location.path, r.location.line) for r in reqs] == [
        ("mlflow", ">=3.1,<4", "range", "requirements.txt", 1),
        ("databricks-agents", "==1.2.0", "exact", "requirements.txt", 2),
        ("langgraph", "", "none", "requirements.txt", 5),
        ("databricks-sdk", "==0.50.0", "exact", "requirements/base.txt", 1),
    ]


def test_pyproject_dependencies_are_not_cut_at_an_extra():
    text = ('[project]\nname = "x"\ndependencies = [\n    "mlflow[databricks]>=3.1",\n'
            '    "pydantic>=2; python_version > \'3.9\'",\n    "langgraph==0.3.4",\n]\n'
            '[tool.other]\nitems = ["not-a-dependency"]\n')
    reqs = pyproject_requirements("pyproject.toml", text)
    assert [(r.name, r.spec, r.location.line) for r in reqs] == [
        ("mlflow", ">=3.1", 4), ("pydantic", ">=2", 5), ("langgraph", "==0.3.4", 6)]
    single = pyproject_requirements("p.toml", 'dependencies = ["a[x]==1", "b"]\n')
    assert [(r.name, r.pinning) for r in single] == [("a", "exact"), ("b", "none")]


def test_parse_requirements_returns_includes():
    reqs, includes = parse_requirements("r.txt", "-r base.txt\n--constraint=c.txt\n-e .\nfoo==1\n")
    assert includes == ["base.txt", "c.txt"] and [r.name for r in reqs] == ["foo"]


BUNDLE = "bundle:\n  name: sub\ntargets:\n  dev:\n    mode: development\n    default: true\n"
WORKFLOW = ("name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
            "    defaults:\n      run:\n        working-directory: agent_bundle\n"
            "    steps:\n      - run: pytest\n      - run: databricks bundle deploy -t prod\n")


def _git_repo(tree, workflow: str):
    root = tree({".github/workflows/deploy.yml": workflow, "requirements.txt": "mlflow==3.1.0\n",
                 "agent_bundle/databricks.yml": BUNDLE, "agent_bundle/agent.py": "import mlflow\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_ci_and_requirements_at_the_git_root_count_for_a_subfolder_bundle(tree):
    root = _git_repo(tree, WORKFLOW)
    project = analyze(str(root / "agent_bundle"))
    assert [(c.path, c.system, c.runs_bundle_commands, c.runs_tests) for c in project.repo.ci] == [
        ("../.github/workflows/deploy.yml", "github-actions", ("deploy",), True)]
    assert [(r.name, r.location.path) for r in project.repo.requirements] == [("mlflow", "../requirements.txt")]
    assert "DAB802" not in {f.rule_id for f in run_rules(project)}


def test_git_root_ci_for_another_folder_is_not_this_projects_ci(tree):
    root = _git_repo(tree, WORKFLOW.replace("agent_bundle", "other_service"))
    project = analyze(str(root / "agent_bundle"))
    assert project.repo.ci == () and project.repo.requirements == ()
    assert [(f.rule_id, str(f.location)) for f in run_rules(project) if f.rule_id == "DAB802"] == [
        ("DAB802", ".github/workflows/:1")]
