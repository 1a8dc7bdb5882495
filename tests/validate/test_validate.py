"""`dabprp validate`: each semantic check trips and passes; schema errors map to file and line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dabprp.api import validate
from dabprp.cli import main
from dabprp.errors import DabprpError
from tests.conftest import CORPUS, EXAMPLE, FIXTURES

BASE = "bundle:\n  name: x\n"


def ids_at(report):
    return {(f.rule_id, f.location.path, f.location.line) for f in report.findings}


# check id → (files where it trips, expected (path, line), files where it passes)
CASES = {
    "DAB901": ({"databricks.yml": BASE + "varibles:\n  a: {default: 1}\n"}, ("databricks.yml", 3),
               {"databricks.yml": BASE + "variables:\n  a: {default: 1}\n"}),
    "DAB902": ({"databricks.yml": BASE + "targets:\n  qa:\n    mode: staging\n"}, ("databricks.yml", 5),
               {"databricks.yml": BASE + "targets:\n  qa:\n    mode: development\n"}),
    "DAB903": ({"databricks.yml": BASE + "targets:\n  a:\n    default: true\n  b:\n    default: true\n"},
               ("databricks.yml", 7), {"databricks.yml": BASE + "targets:\n  a:\n    default: true\n  b: {}\n"}),
    "DAB904": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                "          depends_on:\n            - task_key: nope\n"}, ("databricks.yml", 9),
               {"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                "        - task_key: b\n          depends_on:\n            - task_key: a\n"}),
    "DAB905": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                "          depends_on: [{task_key: b}]\n        - task_key: b\n"
                "          depends_on: [{task_key: a}]\n"},
               ("databricks.yml", 7), {"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n"
                                       "        - task_key: a\n"}),
    "DAB212": ({"databricks.yml": BASE + "include: [resources/*.yml]\n",
                "resources/j.yml": "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                "          notebook_task:\n            notebook_path: ../src/nb\n"}, ("resources/j.yml", 7),
               {"databricks.yml": BASE + "include: [resources/*.yml]\n", "src/nb.py": "x = 1\n",
                "resources/j.yml": "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                "          notebook_task:\n            notebook_path: ../src/nb\n"}),
    "DAB907": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      name: ${var.missing}\n"},
               ("databricks.yml", 6),
               {"databricks.yml": BASE + "variables:\n  missing: {default: x}\nresources:\n  jobs:\n    j:\n"
                "      name: ${var.missing}\n"}),
    "DAB908": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      name: ${resources.jobs.other.id}\n"},
               ("databricks.yml", 6),
               {"databricks.yml": BASE + "resources:\n  jobs:\n    other: {name: o}\n    j:\n"
                "      name: ${resources.jobs.other.id}\n"}),
    "DAB909": ({"databricks.yml": BASE + "variables:\n  sp:\n    description: no default\n"}, ("databricks.yml", 4),
               {"databricks.yml": BASE + "variables:\n  sp:\n    description: d\n    default: a\n"}),
    "DAB105": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j: {name: j}\ntargets:\n  prod:\n"
                "    mode: production\n"}, ("databricks.yml", 7),
               {"databricks.yml": BASE + "targets:\n  prod:\n    mode: production\n    workspace:\n"
                "      root_path: /Workspace/Shared/x\n"}),
    "DAB911": ({"databricks.yml": BASE + "run_as:\n  user_name: a@b.c\nresources:\n  apps:\n    a:\n"
                "      name: a\n      source_code_path: .\ntargets:\n  prod:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/x}\n"}, ("databricks.yml", 3),
               {"databricks.yml": BASE + "run_as:\n  service_principal_name: 1234\nresources:\n  apps:\n    a:\n"
                "      name: a\n      source_code_path: .\ntargets:\n  prod:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/x}\n"}),
    "DAB912": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: Approval_Check\n          max_retries: 3\n"}, ("databricks.yml", 8),
               {"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      tasks:\n"
                "        - task_key: Approval_Check\n          max_retries: 0\n"}),
    "DAB915": ({"databricks.yml": BASE + "resources:\n  jobs:\n    j:\n      name: j\n"
                "      run_as: {service_principal_name: sp}\ntargets:\n  prod:\n    mode: production\n"},
               ("databricks.yml", 9),
               {"databricks.yml": BASE + "resources:\n  jobs:\n    j: {name: j}\ntargets:\n  prod:\n"
                "    mode: production\n"}),
    "DAB916": ({"databricks.yml": BASE + "resources:\n  apps:\n    a:\n      name: a\n      source_code_path: ./app\n"},
               ("databricks.yml", 7),
               {"databricks.yml": BASE + "resources:\n  apps:\n    a:\n      name: a\n      source_code_path: .\n"}),
    "DAB917": ({"databricks.yml": BASE + "workspace:\n  host: https://h.example.com\nresources:\n  experiments:\n"
                "    e:\n      name: /Shared/e\ntargets:\n  a:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/Shared/a}\n  b:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/Shared/b}\n"}, ("databricks.yml", 8),
               {"databricks.yml": BASE + "workspace:\n  host: https://h.example.com\nresources:\n  experiments:\n"
                "    e:\n      name: /Shared/e-${bundle.target}\ntargets:\n  a:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/Shared/a}\n  b:\n    mode: production\n"
                "    workspace: {root_path: /Workspace/Shared/b}\n"}),
    "DAB918": ({"databricks.yml": BASE + "resources:\n  apps:\n    a:\n      name: agent_app-${bundle.target}\n"
                "      source_code_path: .\ntargets:\n  dev: {default: true}\n"}, ("databricks.yml", 6),
               {"databricks.yml": BASE + "resources:\n  apps:\n    a:\n      name: agent-app-${bundle.target}\n"
                "      source_code_path: .\ntargets:\n  dev: {default: true}\n"}),
    "DAB919": ({"databricks.yml": BASE + "targets:\n  prod:\n    mode: production\n    workspace:\n"
                "      root_path: /Workspace/Shared/.bundle/x/prod\n"}, ("databricks.yml", 6),
               {"databricks.yml": BASE + "targets:\n  prod:\n    mode: production\n    workspace:\n"
                "      root_path: ~/.bundle/x/prod\n"}),
    "DAB914": ({"databricks.yml": BASE + "permissions:\n  - level: CAN_MANAGE_RUN\n    group_name: users\n"},
               ("databricks.yml", 4),
               {"databricks.yml": BASE + "permissions:\n  - level: CAN_RUN\n    group_name: u\n"}),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_semantic_check_trips_and_passes(check_id, tmp_path):
    from tests.conftest import write_tree

    trips, where, passes = CASES[check_id]
    bad = validate(str(write_tree(tmp_path / "bad", trips)), all_targets=True)
    assert (check_id, *where) in ids_at(bad), sorted(ids_at(bad))
    good = validate(str(write_tree(tmp_path / "good", passes)), all_targets=True)
    assert check_id not in {f.rule_id for f in good.findings}


def test_schema_error_in_included_file_and_target_override(tree):
    root = tree({
        "databricks.yml": BASE + "include: [resources/*.yml]\ntargets:\n  dev:\n    default: true\n"
        "  prod:\n    mode: production\n    workspace: {root_path: /Workspace/x}\n    resources:\n      jobs:\n"
        "        j:\n          max_concurrent_runs: lots\n",
        "resources/j.yml": "resources:\n  jobs:\n    j:\n      name: j\n      max_concurent_runs: 1\n",
    })
    report = validate(str(root), all_targets=True)
    found = {(f.rule_id, f.location.path, f.location.line, f.message) for f in report.findings}
    typo = [f for f in found if f[1] == "resources/j.yml"]
    assert typo == [("DAB900", "resources/j.yml", 5,
                     "resources.jobs.j: Additional properties are not allowed ('max_concurent_runs' was unexpected)")]
    override = [f for f in found if f[1] == "databricks.yml" and "max_concurrent_runs" in f[3]]
    assert len(override) == 1 and override[0][2] == 13 and "[targets: prod]" in override[0][3]


def test_example_reports_real_problems_and_exit_codes():
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(EXAMPLE), "--all-targets"])
    assert result.exit_code == 0
    assert "DAB915" in result.stdout and "DAB913" not in result.stdout
    strict = runner.invoke(main, ["validate", str(EXAMPLE), "--all-targets", "--strict"])
    assert strict.exit_code == 1
    data = json.loads(runner.invoke(main, ["validate", str(EXAMPLE), "--format", "json"]).stdout)
    assert data["valid"] is True and data["targets"] == ["dev"]
    assert {"id", "severity", "path", "line", "message", "fix"} <= set(data["findings"][0])
    assert data["schema"]["sha256"].startswith("c3e8df8f")


def test_valid_bundles_pass_and_broken_fails():
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(FIXTURES / "rag-apps"), "--all-targets"]).exit_code == 0
    broken = runner.invoke(main, ["validate", str(FIXTURES / "broken")])
    assert broken.exit_code == 2  # resources/bad.yml cannot be parsed: the report covers what loaded
    assert "resources/bad.yml\n      5  error    DAB920" in broken.stdout
    assert "dabprp: resources/bad.yml:5: invalid YAML" in broken.stderr


def test_unreadable_input_exits_2(tree, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(tmp_path / "missing")]).exit_code == 2
    root = tree({"databricks.yml": "bundle: [\n"})
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 2 and "databricks.yml:" in result.stderr
    with pytest.raises(DabprpError):
        validate(str(FIXTURES / "multi-target"), target="qa")


def test_text_output_grouped_by_file_sorted_by_line(tree):
    root = tree({"databricks.yml": BASE + "include: [r.yml]\nvaribles: {}\ntargets:\n  a: {mode: x}\n",
                 "r.yml": "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n"
                 "          depends_on: [{task_key: z}]\n"})
    out = CliRunner().invoke(main, ["validate", str(root), "--all-targets"]).stdout
    lines = out.splitlines()
    assert lines[0] == "databricks.yml" and "r.yml" in lines
    first = [int(line.split()[0]) for line in lines[1:lines.index("r.yml")]]
    assert first == sorted(first)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_validates_without_crash(capsys):
    clean = total = 0
    for project in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        try:
            report = validate(str(project), all_targets=True)
        except DabprpError:
            continue  # unreadable root: reported as exit 2 by the CLI
        total += 1
        assert not any("internal error" in f.message for f in report.findings), project.name
        clean += report.valid
    with capsys.disabled():
        print(f"\ncorpus: {clean} of {total} readable bundles validate clean")
    assert total > 100
