"""Each crash class the fuzzer found and each explicit limit: a clean `path:line` report, never a traceback,
valid JSON, within the time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dabprp import living
from dabprp.analyze import analyze
from dabprp.errors import DabprpError
from dabprp.parse.yaml_source import parse_yaml

BUNDLE = "bundle:\n  name: hard\ntargets:\n  dev:\n    default: true\n    mode: development\n"


def cli(*args: str | Path, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    """Run dabprp; fail on a traceback, an exit code other than 0/1/2, or more than `timeout` seconds."""
    proc = subprocess.run([sys.executable, "-m", "dabprp", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc


def strict_json(text: str) -> object:
    def reject(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=reject)


def problems(root: Path) -> list[str]:
    return [f"{p.location}: {p.message}" for p in analyze(str(root)).problems]


# ---- YAML limits -------------------------------------------------------------------------------------------

def test_deep_flow_nesting_is_refused_at_its_line(tree):
    root = tree({"databricks.yml": BUNDLE + "variables:\n  deep:\n    default: " + "[" * 200_000 + "]" * 200_000})
    assert "databricks.yml:9: nesting deeper than 100 levels; not read" in problems(root)
    proc = cli("validate", root, "--format", "json")
    assert proc.returncode == 2
    assert "databricks.yml:9: nesting deeper than 100 levels; not read" in proc.stderr


def test_deep_block_nesting_and_compact_sequences_are_refused():
    block = "\n".join("  " * i + f"k{i}:" for i in range(150))
    with pytest.raises(DabprpError) as caught:
        parse_yaml(block, "f.yml")
    assert str(caught.value) == "f.yml:101: nesting deeper than 100 levels; not read"
    with pytest.raises(DabprpError) as caught:
        parse_yaml("a:\n" + "- " * 100_000 + "x\n", "f.yml")
    assert str(caught.value) == "f.yml:2: nesting deeper than 100 levels; not read"


def test_nesting_at_the_limit_is_read():
    doc = parse_yaml("a: " + "[" * 99 + "1" + "]" * 99, "f.yml")
    value = doc.value["a"]
    for _ in range(98):
        value = value[0]
    assert value == [1]


def test_billion_laughs_is_refused_at_the_alias_line(tree):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    root = tree({"databricks.yml": "\n".join(lines) + "\n" + BUNDLE})
    started = time.perf_counter()
    assert "databricks.yml:6: aliases expand to more than 100000 values; not read" in problems(root)
    assert time.perf_counter() - started < 5
    proc = cli("check", root, "--format", "sarif")
    assert proc.returncode == 2 and "databricks.yml:6: aliases expand to more than 100000 values" in proc.stderr


def test_anchors_and_merge_keys_still_resolve():
    doc = parse_yaml("base: &b {x: 1, y: [1, 2]}\nc:\n  <<: *b\n  x: 3\nd: *b\n", "f.yml")
    assert doc.value == {"base": {"x": 1, "y": [1, 2]}, "c": {"x": 3, "y": [1, 2]}, "d": {"x": 1, "y": [1, 2]}}
    assert doc.loc.locate(("c", "y")).line == 1  # merged entries point where they were written
    assert doc.loc.locate(("c", "x")).line == 4


@pytest.mark.parametrize(("text", "message"), [
    ("a: *missing\n", "f.yml:1: invalid YAML: found undefined alias 'missing'"),
    ("a: &x 1\nb: &x 2\n", "f.yml:2: invalid YAML: found duplicate anchor 'x'"),
    ("a: 1\n---\nb: 2\n", "f.yml:2: invalid YAML: but found another document"),
    ("a: [1, 2\n", "f.yml:2: invalid YAML: did not find expected ',' or ']'"),
])
def test_yaml_errors_keep_their_line(text, message):
    with pytest.raises(DabprpError) as caught:
        parse_yaml(text, "f.yml")
    assert str(caught.value) == message


def test_dollar_braces_scan_in_linear_time(tree):
    # 40 KB of `${` made the reference regex quadratic (11-15 s).
    root = tree({"databricks.yml": BUNDLE + "variables:\n  v:\n    default: \"" + "${" * 20_000 + "\"\n"})
    started = time.perf_counter()
    analyze(str(root))
    from dabprp.api import validate

    validate(str(root), None, True, False)
    assert time.perf_counter() - started < 3


def test_include_loop_through_links_terminates(tree):
    root = tree({"databricks.yml": BUNDLE + "include:\n  - 'loop/**/*.yml'\n  - '**/*.yml'\n",
                 "resources/job.yml": "resources:\n  jobs:\n    j:\n      name: j\n"})
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "up")
    os.symlink(".", root / "loop" / "self")
    started = time.perf_counter()
    project = analyze(str(root))
    assert time.perf_counter() - started < 5
    assert [j.key for j in project.bundle.resources.jobs] == ["j"]
    assert project.bundle.includes[1].files == ("resources/job.yml",)  # the root file does not include itself


# ---- other inputs ------------------------------------------------------------------------------------------

def test_deep_json_eval_set_and_notebook_are_reported(tree):
    root = tree({"databricks.yml": BUNDLE,
                 "data/evals/eval_set.json": "[" + '{"inputs": ' * 50_000 + "1" + "}" * 50_000 + "]",
                 "nb.ipynb": '{"cells": [{"cell_type": "code", "source": ' + "[" * 50_000 + "]" * 50_000 + "}]}"})
    project = analyze(str(root))
    assert project.evalsets[0].error == "line 1: invalid JSON: nesting deeper than 100 levels"
    assert "nb.ipynb:1: invalid notebook JSON: nesting deeper than 100 levels" in problems(root)


def test_broken_csv_eval_set_is_reported(tree):
    root = tree({"data/evals/eval.csv": "inputs,expectations\n" + "x" * 200_000 + ",y\n"})
    assert analyze(str(root)).evalsets[0].error == "invalid CSV: field larger than field limit (131072)"


def test_wrong_typed_notebook_cells_are_skipped(tree):
    cells = [None, 1, {"cell_type": ["code"]}, {"cell_type": "code", "source": [1, None, "import mlflow\n"]},
             {"cell_type": "code", "source": {"a": 1}}, {"cell_type": "code", "source": "mlflow.autolog()\n"}]
    root = tree({"nb.ipynb": json.dumps({"cells": cells})})
    facts = analyze(str(root)).python
    assert [f.path for f in facts.files] == ["nb.ipynb"]
    assert [c.api for c in facts.mlflow_calls] == ["mlflow.autolog"]


def test_huge_python_file_is_reported_not_parsed(tree):
    unit = "import mlflow\nmlflow.log_metric('m', 1.0)\n"
    root = tree({"src/huge.py": unit * (600_000 // len(unit)), "src/small.py": unit})
    assert "src/huge.py:1: Python source larger than 500000 characters; not analyzed" in problems(root)
    assert [f.path for f in analyze(str(root)).python.files] == ["src/small.py"]


def test_python_nested_beyond_the_ast_limit_is_reported(tree):
    root = tree({"src/deep.py": "x = " + "+".join(["1"] * 20_000) + "\n"})
    assert "src/deep.py:1: Python code nested too deeply to analyze; not analyzed" in problems(root)


def test_file_count_limit_is_reported(tree, monkeypatch):
    import dabprp.discover

    monkeypatch.setattr(dabprp.discover, "MAX_FILES", 3)
    root = tree({f"f{i}.txt": "x" for i in range(5)})
    project = analyze(str(root))
    assert project.files == ("f0.txt", "f1.txt", "f2.txt")
    assert "f3.txt:1: skipped: 2 files beyond the limit of 3 files per project" in problems(root)


def test_non_utf8_settings_exit_2_with_the_file(tree):
    root = tree({"databricks.yml": BUNDLE, ".dabprp.yaml": b"environments: [dev, \xff\xfe]\n"})
    for command in ("check", "generate", "scaffold"):
        proc = cli(command, root, *(["--dry-run"] if command == "scaffold" else []))
        assert proc.returncode == 2
        assert proc.stderr == "dabprp: .dabprp.yaml:1: file is not valid UTF-8\n"


@pytest.mark.parametrize("manifest", ["null", "[]", "{", '{"files": null}', '{"files": {"databricks.yml": 1}}',
                                      '{"files": {"a": {"sha256": []}}}'])
def test_corrupt_scaffold_manifest_counts_files_as_the_users(tree, manifest):
    root = tree({"databricks.yml": BUNDLE, ".dabprp/scaffold.json": manifest})
    proc = cli("scaffold", root, "--dry-run")
    assert proc.returncode == 0


def test_corrupt_baseline_is_exit_2(tree):
    root = tree({"databricks.yml": BUNDLE, "base.json": b'{"version": 1, "findings": 3}'})
    proc = cli("check", root, "--baseline", root / "base.json")
    assert proc.returncode == 2 and "`findings` must be an object" in proc.stderr


def test_non_finite_numbers_give_valid_json_and_sarif(tree):
    root = tree({"databricks.yml": BUNDLE + "variables:\n  nan:\n    default: .nan\n  inf:\n    default: -.inf\n"})
    data = strict_json(cli("analyze", root, "--format", "json").stdout)
    values = {v["name"]: v["value"] for v in data["bundle"]["variables"]}  # type: ignore[index]
    assert values == {"inf": "-.inf", "nan": ".nan"}
    strict_json(cli("check", root, "--format", "sarif").stdout)
    strict_json(cli("validate", root, "--format", "json").stdout)


def test_rich_markup_in_values_is_printed_as_text(tree):
    root = tree({"databricks.yml": "bundle:\n  name: '[bold]x[/] [/]'\nresources:\n  jobs:\n    j:\n"
                                   "      name: '[red]job'\n"})
    proc = cli("analyze", root)
    assert proc.returncode == 0
    assert "Bundle [bold]x[/] [/] (databricks.yml)" in proc.stdout
    assert "[red]job" in proc.stdout


def test_long_values_are_clipped_in_the_text_table(tree):
    root = tree({"databricks.yml": "bundle:\n  name: b\nvariables:\n  v:\n    default: '" + "x" * 2_000_000 + "'\n"})
    proc = cli("analyze", root)
    assert "… (2000002 characters)" in proc.stdout  # repr adds the quotes


def test_prp_region_parser_is_linear():
    text = "<!-- dabprp:begin x -->\n" * 50_000 + "- [ ] **A-1** item\n"
    started = time.perf_counter()
    with pytest.raises(living.MarkerError):
        living.regions(text)
    assert time.perf_counter() - started < 2


def test_non_utf8_pyproject_settings_exit_2(tree):
    root = tree({"databricks.yml": BUNDLE, "pyproject.toml": b"[tool.dabprp\nenvironments = [\n\xff"})
    proc = cli("check", root)
    assert proc.returncode == 2 and proc.stderr == "dabprp: pyproject.toml:3: file is not valid UTF-8\n"


@pytest.mark.parametrize("section", ["variables: [a, b]", "targets: text"])
def test_scaffold_refuses_wrong_typed_sections_it_would_edit(tree, section):
    root = tree({"databricks.yml": f"bundle:\n  name: hard\n{section}\n"})
    proc = cli("scaffold", root, "--dry-run")
    name = section.split(":")[0]
    assert proc.returncode == 2
    assert proc.stderr == f"dabprp: databricks.yml:3: `{name}` must be a mapping; not edited\n"


@pytest.mark.parametrize(("settings", "message"), [
    ("environments: []\n", "`environments` must name at least one environment"),
    ("consumer_group:\n- - []\n", "`consumer_group` must be text"),
    ("thresholds:\n  correctness/mean: .nan\n", "`thresholds` must map metric names to numbers"),
    ("rollout_steps: [10, 500]\n", "`rollout_steps` must be a list of percentages (1-100)"),
    ("latency_p95_ms: fast\n", "`latency_p95_ms` must be a non-negative number"),
    ("catalogs:\n  prod: [a]\n", "`catalogs` must map names to text"),
])
def test_wrong_typed_settings_exit_2_naming_the_setting(tree, settings, message):
    root = tree({"databricks.yml": BUNDLE, ".dabprp.yaml": settings})
    for command in ("check", "generate", "scaffold"):
        proc = cli(command, root, *(["--dry-run"] if command == "scaffold" else []))
        assert proc.returncode == 2
        assert proc.stderr == f"dabprp: .dabprp.yaml: {message}\n"


def test_toml_nan_setting_is_refused(tree):
    root = tree({"databricks.yml": BUNDLE, "pyproject.toml": "[tool.dabprp]\nenvironments = nan\n"})
    proc = cli("check", root)
    assert proc.returncode == 2 and proc.stderr == "dabprp: pyproject.toml: `environments` must be a list of names\n"


def test_a_bundle_name_past_the_limit_is_refused_by_planning_commands_and_read_by_the_others(tree):
    root = tree({"databricks.yml": BUNDLE.replace("name: hard", "name: " + "${var." * 60_000)})
    for command in (("generate", root, "--stdout"), ("generate", root), ("scaffold", root)):
        proc = cli(*command)
        assert proc.returncode == 2, command
        assert proc.stderr.strip() == ("dabprp: databricks.yml:2: `bundle.name` has 360,000 characters, more than "
                                       "255 (its workspace folder and every planned name are built from it); "
                                       "not planned")
    assert sorted(p.name for p in root.iterdir()) == ["databricks.yml"]  # nothing written
    assert cli("analyze", root, "--format", "json").returncode in (0, 1)
    assert cli("check", root, "--fail-on", "never").returncode == 0


# ---- the bundle's size -------------------------------------------------------------------------------------

def jobs_yaml(count: int, start: int = 0) -> str:
    return "resources:\n  jobs:\n" + "".join(
        f"    j{i}:\n      name: j{i}\n      tasks:\n        - task_key: a\n"
        f"          notebook_task: {{notebook_path: ../src/nb.py}}\n" for i in range(start, start + count))


def test_includes_past_the_bundle_budget_are_reported_and_not_read(tree, monkeypatch):
    from dabprp.parse import bundle_load

    monkeypatch.setattr(bundle_load, "MAX_BUNDLE_BYTES", 4000)
    root = tree({"databricks.yml": BUNDLE + "include:\n  - resources/*.yml\n",
                 "resources/a.yml": jobs_yaml(20), "resources/b.yml": jobs_yaml(20, 20),
                 "resources/c.yml": "resources:\n  jobs:\n    small: {}\n"})
    size_a = (root / "resources/a.yml").stat().st_size
    assert len(BUNDLE) + 40 + size_a < 4000 < len(BUNDLE) + 40 + 2 * size_a  # a fits, b does not (c would)
    facts = analyze(str(root))
    assert [f"{p.location}: {p.message}" for p in facts.problems] == [
        "resources/b.yml:1: the bundle's files together would be larger than 4000 bytes; not read",
        "resources/c.yml:1: not read: `resources/b.yml`, included before it, would pass the bundle's 4000 bytes"]
    assert facts.bundle is not None
    assert [j.key for j in facts.bundle.resources.jobs] == [f"j{i}" for i in range(20)]


@pytest.mark.slow
def test_the_largest_bundle_read_is_checked_within_the_time_limit(tree):
    """Two includes of ~4.9 MB (36,000 jobs each): the first is read, the second reported; every command ends
    within the fuzzer's 10 s of CPU."""
    root = tree({"databricks.yml": BUNDLE + "include:\n  - resources/*.yml\n", "src/nb.py": "# nb\n",
                 "resources/a.yml": jobs_yaml(35_500), "resources/b.yml": jobs_yaml(35_500, 35_500)})
    for command in (["check"], ["validate"], ["analyze", "--format", "json"], ["generate", "--stdout"]):
        before = os.times()
        proc = cli(*command, root, timeout=60)
        after = os.times()
        assert after.children_user + after.children_system - before.children_user - before.children_system < 10
        assert "resources/b.yml" in proc.stdout + proc.stderr


def test_a_list_or_mapping_where_a_merge_key_belongs_is_reported_not_a_crash(tree):
    """Fuzz case 9713 (seed 2026): a target's job parameter named by a list crashed the target merge."""
    root = tree({"databricks.yml": BUNDLE + "    resources:\n      jobs:\n        j:\n          parameters:\n"
                                   "            - name: [null]\n              default: x\n"
                                   "            - name: {a: 1}\n              default: y\n"
                                   "resources:\n  jobs:\n    j:\n      parameters:\n        - name: p\n"
                                   "          default: z\n"})
    facts = analyze(str(root), target="dev")
    assert facts.bundle is not None
    [job] = facts.bundle.resources.jobs
    assert [(p.name, p.default) for p in job.parameters] == [("p", "z"), ("[None]", "x"), ("{'a': 1}", "y")]
    proc = cli("validate", root, "--target", "dev", "--format", "json")
    assert proc.returncode == 1
    assert any(f["id"] == "DAB900" and f["line"] == 11 for f in strict_json(proc.stdout)["findings"])


def test_a_boolean_merge_key_is_not_the_number_one(tree):
    root = tree({"databricks.yml": BUNDLE + "    resources:\n      jobs:\n        j:\n          tasks:\n"
                                   "            - task_key: 1\n              notebook_task: {notebook_path: ./b}\n"
                                   "resources:\n  jobs:\n    j:\n      tasks:\n        - task_key: true\n"
                                   "          notebook_task: {notebook_path: ./a}\n"})
    facts = analyze(str(root), target="dev")
    assert facts.bundle is not None
    assert [t.target for t in facts.bundle.resources.jobs[0].tasks] == ["./a", "./b"]


def test_a_bundle_file_too_large_to_edit_is_refused_in_one_line_and_left_alone(tree):
    """Keeping comments and layout costs ~10 s per MB: scaffold refuses a larger file (exit 2, nothing written)
    and generate says why its edit preview is missing."""
    from dabprp.errors import DabprpError
    from dabprp.scaffold.yaml_edit import serve_version_from

    big = BUNDLE + jobs_yaml(2_000).replace("../src/nb.py", "./nb.py")
    root = tree({"databricks.yml": big, "nb.py": "# nb\n"})
    assert len(big) > 200_000
    proc = cli("scaffold", root)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"dabprp: databricks.yml: cannot edit: {len(big):,} characters, more than 200,000 "
                                   "(an edit that keeps comments and layout costs about 10 s per MB); move resources "
                                   "into included files")
    assert sorted(p.name for p in root.iterdir()) == ["databricks.yml", "nb.py"]
    assert (root / "databricks.yml").read_text() == big
    prp = cli("generate", root, "--stdout").stdout
    assert "`dabprp scaffold` would not edit this bundle yet (databricks.yml: cannot edit: " in prp
    with pytest.raises(DabprpError) as caught:
        serve_version_from(big, "resources/serving.yml", "e", "champion", "${var.serving_version}")
    assert str(caught.value).startswith("resources/serving.yml: cannot edit: ")


def test_targets_keyed_by_numbers_or_other_types_are_read_as_named(tree):
    """Fuzz case 7341 (seed 2027): a `targets` mapping with a number key crashed sorting the target names."""
    root = tree({"databricks.yml": "bundle:\n  name: n\ntargets:\n  0:\n    mode: development\n    default: true\n"
                                   "  '': null\n  prod:\n    mode: production\n"})
    facts = analyze(str(root), target="0")
    assert facts.bundle is not None and facts.bundle.selected_target == "0"
    for command in (["analyze", "--format", "json"], ["validate", "--all-targets"], ["check"], ["generate", "--stdout"],
                    ["scaffold", "--dry-run"]):
        cli(*command[:1], root, *command[1:])  # no traceback, exit 0/1/2
    proc = cli("validate", root, "--target", "missing")
    assert proc.returncode == 2 and "no target named `missing` (targets: , 0, prod)" in proc.stderr
