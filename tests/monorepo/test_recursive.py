"""`--recursive` / monorepo mode: every bundle under a root, .gitignore respected, worker processes, one
report with root-relative paths (one SARIF run), the same output whatever the number of workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dabprp.monorepo import find_bundles, holds_several_bundles
from tests.conftest import EXAMPLE, copy_project


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "dabprp", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    for name in ("agents/a1", "agents/a2", "ignored/a3", "other/a4"):
        copy_project(EXAMPLE, root / name)
    text = (root / "agents/a2/databricks.yml").read_text(encoding="utf-8")
    (root / "agents/a2/databricks.yml").write_text(text.replace("name: multiagent-genie", "name: second"))
    (root / ".gitignore").write_text("# build output\nignored/\n/other/*\n!/other/a4\n")
    (root / "agents/a1/nested").mkdir()
    (root / "agents/a1/nested/databricks.yml").write_text("bundle:\n  name: nested\n")  # part of a1
    os.symlink("..", root / "agents/loop")
    return root


def test_bundles_are_found_with_gitignore_and_without_following_links(mono):
    assert find_bundles(str(mono)) == ["agents/a1", "agents/a2", "other/a4"]
    assert holds_several_bundles(str(mono))
    assert not holds_several_bundles(str(mono / "agents/a1"))


def test_check_sarif_is_one_run_over_every_bundle_with_root_relative_paths(mono):
    proc = cli("check", mono, "--recursive", "--format", "sarif", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)["runs"]
    assert len(runs) == 1
    got = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
                 for r in runs[0]["results"])
    expected = []
    for rel in ("agents/a1", "agents/a2", "other/a4"):
        single = json.loads(cli("check", mono / rel, "--format", "sarif", "--fail-on", "never").stdout)
        expected += [(f"{rel}/{r['locations'][0]['physicalLocation']['artifactLocation']['uri']}",
                      r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
                     for r in single["runs"][0]["results"]]
    assert got == sorted(expected)
    prints = [r["partialFingerprints"]["dabprpFingerprint/v1"] for r in runs[0]["results"]]
    assert len(set(prints)) == len(prints)  # the same finding in two bundles has two fingerprints


def test_output_is_identical_with_one_or_several_workers(mono):
    one = cli("check", mono, "--jobs", "1", "--format", "json", "--fail-on", "never")
    two = cli("check", mono, "--jobs", "2", "--format", "json", "--fail-on", "never")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout


def test_monorepo_mode_is_automatic_and_validate_reports_each_bundle(mono):
    proc = cli("validate", mono, "--format", "json")
    data = json.loads(proc.stdout)
    assert [b["path"] for b in data["bundles"]] == ["agents/a1", "agents/a2", "other/a4"]
    assert [b["root_file"] for b in data["bundles"]] == ["agents/a1/databricks.yml", "agents/a2/databricks.yml",
                                                         "other/a4/databricks.yml"]
    assert proc.returncode == (0 if data["valid"] else 1)


def test_an_unreadable_bundle_is_reported_with_its_path_and_the_others_still_run(mono):
    (mono / "broken").mkdir()
    (mono / "broken/databricks.yml").write_text("bundle: [\n")
    proc = cli("validate", mono, "--recursive")
    assert proc.returncode == 2
    assert proc.stderr == "dabprp: broken/databricks.yml:2: invalid YAML: did not find expected node content\n"
    assert [line for line in proc.stdout.splitlines() if "databricks.yml:" in line] == [
        "agents/a1/databricks.yml: valid for target(s) dev: 0 error(s), 1 warning(s)",
        "agents/a2/databricks.yml: valid for target(s) dev: 0 error(s), 1 warning(s)",
        "broken/databricks.yml:2: invalid YAML: did not find expected node content",
        "other/a4/databricks.yml: valid for target(s) dev: 0 error(s), 1 warning(s)",
    ]


def test_analyze_json_locations_are_relative_to_the_root(mono):
    data = json.loads(cli("analyze", mono, "-r", "--format", "json").stdout)
    a2 = next(b for b in data["bundles"] if b["path"] == "agents/a2")
    assert a2["facts"]["bundle"]["name"] == "second"
    assert a2["facts"]["bundle"]["location"]["path"] == "agents/a2/databricks.yml"


def test_baseline_over_a_monorepo(mono, tmp_path):
    base = tmp_path / "baseline.json"
    assert cli("check", mono, "--baseline", base, "--write-baseline").returncode == 0
    proc = cli("check", mono, "--baseline", base, "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"] == []
