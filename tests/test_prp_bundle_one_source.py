"""The PRP's bundle section is scaffold's change set: read back from the PRP's text alone (job and task tables,
the shared job settings, YAML of new files, the keys an edit adds, diffs), it gives exactly what scaffold writes."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dabprp.api import generate, plan, scaffold
from dabprp.render.bundle_view import BundleChange, bundle_view, compact_yaml
from tests.conftest import EXAMPLE, FIXTURES, copy_project, write_tree

PROJECTS = {"deployed-edit": FIXTURES / "deployed-edit", "multi-target": FIXTURES / "multi-target",
            "rag-apps": FIXTURES / "rag-apps", "no-bundle": FIXTURES / "no-bundle", "multiagent-genie": EXAMPLE,
            "app-agent": FIXTURES / "app-agent", "bundle-endpoint": FIXTURES / "bundle-endpoint"}
HEADING = re.compile(r"^#### [^\n]*? — `([^`]+)`(?: \(([^)]*)\))?(?:: ([^\n]*) in 2\.2)?\n"
                     r"(?:```(yaml|diff)\n(.*?)```\n)?", re.M | re.S)
JOB_HEADER = "| job | stage | triggered by | file | name | environment | job parameters | timeout | other settings |"
TASK_HEADER = "| job | task | depends on | runs | with | retries | timeout | other settings |"
SHARED = re.compile(r"^Every job in 2\.2 also has:\n```yaml\n(.*?)```\n", re.M | re.S)
JOB_FILES = re.compile(r"^Job files \(their jobs are in 2\.2\): (.*)\.$", re.M)
STATES = {"new": "new file", "in place": "in place: scaffold changes nothing", "planned": ""}


def section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def cells(row: str) -> list[str]:
    """A Markdown table row's cells, `\\|` unescaped and code spans unwrapped."""
    out = []
    for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1]):
        cell = cell.strip().replace("\\|", "|")
        match = re.fullmatch(r"`` (.*) ``|`(.*)`", cell)
        out.append(next(g for g in match.groups() if g is not None) if match else cell)
    return out


def table(text: str, header: str) -> list[list[str]]:
    body = text.split(header + "\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return [cells(line) for line in body]


def timeout(cell: str, into: dict[str, Any]) -> None:
    if cell == "-":
        return
    seconds, warn = re.fullmatch(r"(\d+) s(?: \(warn > (\d+) s\))?", cell).groups()  # type: ignore[union-attr]
    into["timeout_seconds"] = int(seconds)
    if warn:
        into["health"] = {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": int(warn)}]}


def other(cell: str, into: dict[str, Any]) -> None:
    if cell != "-":
        into.update(yaml.safe_load("{" + cell + "}"))


def pairs(cell: str) -> dict[str, str]:
    return dict(word.split("=", 1) for word in shlex.split(cell))


def job_files(text: str) -> dict[str, list[str]]:
    """{file: its job keys} from the 2.2 job table."""
    part = section(text, "### 2.2 Job definitions and dependencies", "### 2.3")
    out: dict[str, list[str]] = {}
    for key, _stage, _trigger, file, *_ in table(part, JOB_HEADER):
        out.setdefault(file, []).append(key)
    return out


def jobs_from_tables(text: str, shared: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every job of the 2.2 tables, rebuilt as bundle YAML data."""
    part = section(text, "### 2.2 Job definitions and dependencies", "### 2.3")
    jobs: dict[str, dict[str, Any]] = {}
    for key, _stage, _trigger, _file, name, env, params, time, rest in table(part, JOB_HEADER):
        if name == "-":
            continue
        job: dict[str, Any] = {"name": name, "environments": env} if env != "-" else {"name": name}
        if params != "-":
            job["parameters"] = [{"name": k, "default": v} for k, v in pairs(params).items()]
        timeout(time, job)
        other(rest, job)
        jobs[key] = {**job, **shared, "tasks": []}
    for job, key, deps, runs, args, retries, time, rest in table(part, TASK_HEADER):
        task: dict[str, Any] = {"task_key": key}
        if deps != "-":
            task["depends_on"] = [{"task_key": d.strip("`")} for d in deps.split(", ")]
        if runs.startswith("job `"):
            task["run_job_task"] = {"job_id": runs[5:-1]}
            if args != "-":
                task["run_job_task"]["job_parameters"] = pairs(args)
        elif runs != "-":
            task["spark_python_task"] = {"python_file": runs}
            if args != "-":
                task["spark_python_task"]["parameters"] = shlex.split(args)
        if retries != "-":
            task["max_retries"] = int(retries)
        timeout(time, task)
        other(rest, task)
        jobs[job]["tasks"].append(task)
    return jobs


def merged(old: Any, added: Any) -> Any:
    if isinstance(old, dict) and isinstance(added, dict):
        return {**old, **{k: merged(old[k], v) if k in old else v for k, v in added.items()}}
    return added


def prp_files(text: str) -> dict[str, tuple[str, str, str]]:
    """{path: (label, fence, body)} of 2.1; a file whose jobs are in the 2.2 tables gets them as YAML body."""
    part = section(text, "### 2.1 DAB configuration", "### 2.2")
    shared_match = SHARED.search(part)
    shared = yaml.safe_load(shared_match.group(1)) if shared_match else {}
    jobs = jobs_from_tables(text, shared)
    keys = job_files(text)
    out = {}
    for listed in JOB_FILES.findall(part):
        for path, state in re.findall(r"`([^`]+)` \((new|in place|planned)\)", listed):
            data = {"resources": {"jobs": {k: jobs[k] for k in keys[path]}}}
            out[path] = (STATES[state], "tables", yaml.safe_dump(data, sort_keys=False))
    for m in HEADING.finditer(part):
        path, label, job_keys, fence, body = m.groups()
        if job_keys and fence != "diff":
            assert not body, path
            data = {"resources": {"jobs": {k.strip("`"): jobs[k.strip("`")] for k in job_keys.split(", ")}}}
            body, fence = yaml.safe_dump(data, sort_keys=False), fence or "tables"
        out[path] = (label or "", fence or "", body or "")
    return out


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_prp_bundle_section_reads_back_as_exactly_what_scaffold_writes(name, tmp_path):
    project = copy_project(PROJECTS[name], tmp_path / name)
    text, _ = generate(str(project))
    changes = [c for c in scaffold(str(project), dry_run=True).changes
               if c.path.endswith((".yml", ".yaml")) and not c.path.startswith(".github/")]
    files = prp_files(text)
    assert sorted(files) == sorted(c.path for c in changes)
    patch = ""
    for c in changes:
        label, fence, body = files[c.path]
        new = yaml.safe_load(c.new)
        if c.kind == "create":
            assert label == "new file" and fence in ("yaml", "tables"), c.path
            assert yaml.safe_load(body) == new, c.path
        elif fence == "diff":
            assert (c.kind, label) == ("update", "edit"), c.path
            patch += body
        else:
            assert (c.kind, label, fence) == ("update", "edit", "yaml"), c.path
            assert merged(yaml.safe_load(c.old), yaml.safe_load(body)) == new, c.path
    if patch:  # an edit the keys cannot say is a unified diff that applies to the user's file
        subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=project, check=True, capture_output=True)
        for c in changes:
            if c.kind == "update" and files[c.path][1] == "diff":
                assert (project / c.path).read_text() == c.new


def test_the_example_shows_jobs_as_tables_and_its_bundle_edit_as_added_keys():
    text, _ = generate(str(EXAMPLE))
    files = prp_files(text)
    assert {path: fence for path, (_, fence, _) in files.items()} == {
        "databricks.yml": "yaml", "resources/model.yml": "yaml", "resources/test_job.yml": "tables",
        "resources/build_job.yml": "tables", "resources/load_test_job.yml": "tables",
        "resources/deployment_job.yml": "tables", "resources/link_job.yml": "tables"}
    assert "| `multiagent_genie_deployment` | `Approval_Check` | `Evaluation` | `../src/stages/approve.py` | " \
           "`--model-name {{job.parameters.model_name}} --model-version {{job.parameters.model_version}} --tag " \
           "{{task.name}} --required ${var.approval_required}` | 0 | 600 s | `environment_key: default` |" in text
    edit = files["databricks.yml"][2]
    assert "include: [resources/*.yml]\n" in edit and "  dev: {workspace: {root_path: " in edit
    assert "bundle:" not in edit  # what the user's file already has is not repeated


def test_after_scaffold_the_prp_lists_the_files_in_place(tmp_path):
    project = copy_project(FIXTURES / "deployed-edit", tmp_path / "p")
    scaffold(str(project))
    text = generate(str(project))[0]
    files = prp_files(text)
    assert {label for label, _, _ in files.values()} == {"in place: scaffold changes nothing"}
    for path, (_, fence, body) in files.items():
        if fence == "tables":  # the jobs are still described, from the files as they are
            assert yaml.safe_load(body) == yaml.safe_load((Path(project) / path).read_text())
        else:
            assert (fence, body) == ("", "")


def test_a_bundle_scaffold_refuses_is_said_so(tmp_path):
    project = write_tree(tmp_path / "t", {"databricks.yml": "bundle:\n  name: x\ntargets:\n  - dev\n"})
    text, _ = generate(str(project))
    part = section(text, "### 2.1 DAB configuration", "### 2.2")
    assert "`dabprp scaffold` would not edit this bundle yet (databricks.yml:3: `targets` must be a mapping; " \
           "not edited)." in part
    # the plan's own documents instead, shown the same way (jobs as tables), and they read back to the plan
    built, _ = plan(str(project))
    files = prp_files(text)
    assert {path: yaml.safe_load(body) for path, (_, _, body) in files.items()} == \
        {b.file: built.document(b) for b in built.bundle_files}
    assert {fence for _, fence, _ in files.values()} == {"yaml", "tables"}


HOSTILE = ["", "two words", "it's", 'say "hi"', "a|b", "`tick`", "back\\slash", "x=y", "{{job.id}}", "${var.x}",
           "#not-a-comment", "<!-- dabprp:end x -->"]


def test_hostile_values_read_back_exactly_from_the_tables():
    job = {"name": "n|`x`", "environments": "${var.e}",
           "parameters": [{"name": f"p{i}", "default": v} for i, v in enumerate(HOSTILE)],
           "timeout_seconds": 60, "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN",
                                                         "value": 45}]},
           "tasks": [{"task_key": "a", "spark_python_task": {"python_file": "../src/a b.py", "parameters": HOSTILE},
                      "max_retries": 1, "note": "a|b: c"},
                     {"task_key": "b", "depends_on": [{"task_key": "a"}], "run_job_task": {
                         "job_id": "${resources.jobs.j.id}",
                         "job_parameters": {f"k{i}": v for i, v in enumerate(HOSTILE)}}},
                     {"task_key": "c", "notebook_task": {"notebook_path": "x|y"}, "max_retries": True}]}
    second = {**job, "name": "other", "parameters": [{"name": "q", "default": "v w"}], "timeout_seconds": 30}
    del second["health"]
    new = yaml.safe_dump({"resources": {"jobs": {"j": job, "k": second}}}, sort_keys=False)
    view = bundle_view([BundleChange("Jobs", "resources/jobs.yml", "create", None, new, "")])
    job_rows = [f"| {r.key} | s | t | f | {r.name} | {r.environment} | {r.parameters} | {r.timeout} | {r.other} |"
                for r in view.jobs.values()]
    task_rows = [f"| {t.job} | {t.key} | {t.depends_on} | {t.runs} | {t.arguments} | {t.retries} | {t.timeout} | "
                 f"{t.other} |" for t in view.tasks]
    text = "\n".join(["### 2.2 Job definitions and dependencies", JOB_HEADER, "|---|", *job_rows, "",
                      TASK_HEADER, "|---|", *task_rows, "", "### 2.3"])
    shared = yaml.safe_load(view.shared_job_settings)
    assert shared == {"environments": "${var.e}"}
    assert jobs_from_tables(text, shared) == yaml.safe_load(new)["resources"]["jobs"]


def test_an_edit_that_removes_a_key_is_shown_as_its_diff():
    old, new = "a: 1\nb: {c: 2}\n", "b: {c: 3}\n"
    view = bundle_view([BundleChange("Root", "databricks.yml", "update", old, new, "--- diff ---\n")])
    assert [(f.fence, f.text) for f in view.files] == [("diff", "--- diff ---\n")]
    view = bundle_view([BundleChange("Root", "databricks.yml", "update", old, "a: 1\nb: {c: 3, d: [x]}\n", "-")])
    assert [(f.fence, f.text) for f in view.files] == [("yaml", "b: {c: 3, d: [x]}\n")]


def test_equal_keys_and_values_of_different_types_keep_their_own_yaml():
    """Keys and scalars are dumped once per process and remembered by value and type: `1`, `true`, `1.0` and
    `'1'` stay themselves however often and in whatever order they come."""
    long = "x" * 120  # too wide for one line: a mapping holding it is written key by key
    data = {"values": {"i": 1, "b": True, "f": 1.0, "s": "1", "n": None, "on": "on", "long": long},
            "keys": [{1: long}, {True: long}, {1.0: long}, {"1": long}, {"on": long}],
            "again": {"i": True, "b": 1, "f": "1", "s": 1.0, "n": "null", "on": "yes", "long": long}}
    expected = ["values:", "  i: 1", "  b: true", "  f: 1.0", "  s: '1'", "  n: null", "  'on': 'on'",
                f"  long: {long}",
                "keys:", f"- 1: {long}", f"- true: {long}", f"- 1.0: {long}", f"- '1': {long}", f"- 'on': {long}",
                "again:", "  i: true", "  b: 1", "  f: '1'", "  s: 1.0", "  n: 'null'", "  'on': 'yes'",
                f"  long: {long}"]
    for _ in range(2):
        text = compact_yaml(data)
        assert text.splitlines() == expected
        assert yaml.safe_load(text) == data
