"""Time dabprp against the floor (PyYAML C loader + ast.parse of the same files), in one run.

    python benchmarks/bench.py            # example, 100 and 1,000 generated bundles, one large bundle
    python benchmarks/bench.py --quick    # example and 100 bundles only

Prints seconds and the ratio dabprp / floor. No assertions: figures are for reading.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "multiagent-genie"
sys.path.insert(0, str(ROOT / "src"))

from dabprp.analyze import analyze  # noqa: E402
from dabprp.api import generate  # noqa: E402
from dabprp.rules import run_rules  # noqa: E402
from dabprp.validate.run import validate  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def floor(paths: list[Path]) -> None:
    """The least any analyzer must do: parse every YAML file and every Python file once."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yml", ".yaml"):
            yaml.compose(text, Loader=yaml.CSafeLoader)
        elif path.suffix == ".py":
            ast.parse(text)


def source_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml", ".py") and "PRPs" not in p.parts)


def process_time(args: list[str], repeat: int = 5) -> float:
    exe = shutil.which("dabprp") or str(Path(sys.executable).parent / "dabprp")
    return best_of(lambda: subprocess.run([exe, *args], capture_output=True, check=False), repeat)


def make_monorepo(base: Path, count: int) -> list[Path]:
    """`count` copies of the example with distinct bundle names, as separate bundle roots."""
    roots = []
    for i in range(count):
        dest = base / f"agent_{i:04d}"
        shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("PRPs"))
        bundle = dest / "databricks.yml"
        bundle.write_text(bundle.read_text().replace("name: multiagent-genie", f"name: agent-{i:04d}"))
        roots.append(dest)
    return roots


def make_large_bundle(base: Path, jobs: int = 500, tasks: int = 10) -> Path:
    root = base / "large"
    (root / "resources").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "task.py").write_text("print('task')\n")
    lines = ["bundle:", "  name: large", "include:", "  - resources/*.yml", "variables:", "  catalog:",
             "    default: dev", "targets:", "  dev:", "    mode: development", "    default: true"]
    for env in ("staging", "prod"):
        lines += [f"  {env}:", "    mode: production", "    workspace:",
                  f"      root_path: /Workspace/Shared/.bundle/large/{env}", "    variables:", f"      catalog: {env}"]
    (root / "databricks.yml").write_text("\n".join(lines) + "\n")
    for chunk in range(jobs // 50):
        out = ["resources:", "  jobs:"]
        for j in range(chunk * 50, chunk * 50 + 50):
            out += [f"    job_{j}:", f"      name: job-{j}-${{bundle.target}}", "      max_concurrent_runs: 1",
                    "      timeout_seconds: 3600", "      tasks:"]
            for t in range(tasks):
                out += [f"        - task_key: t{t}", "          spark_python_task:",
                        "            python_file: ../src/task.py",
                        "            parameters: ['--catalog', '${var.catalog}']"]
                if t:
                    out += ["          depends_on:", f"            - task_key: t{t - 1}"]
        (root / "resources" / f"jobs_{chunk:02d}.yml").write_text("\n".join(out) + "\n")
    return root


def report(label: str, ours: float, base: float) -> None:
    print(f"{label:<58} {ours * 1000:10.1f} ms   floor {base * 1000:9.1f} ms   ratio {ours / base:6.1f}x")


def bench_example() -> None:
    files = source_files(EXAMPLE)
    base = best_of(lambda: floor(files), 20)
    report("library analyze(example)", best_of(lambda: analyze(str(EXAMPLE)), 20), base)
    report("library analyze+rules(example)", best_of(lambda: run_rules(analyze(str(EXAMPLE))), 20), base)
    report("library generate(example)", best_of(lambda: generate(str(EXAMPLE)), 10), base)
    report("process `dabprp analyze --format json` (example)",
           process_time(["analyze", str(EXAMPLE), "--format", "json"]), base)
    report("library validate(example, all targets)", best_of(lambda: validate(str(EXAMPLE), all_targets=True), 10),
           base)
    report("process `dabprp validate --all-targets` (example)", process_time(["validate", str(EXAMPLE),
                                                                             "--all-targets"]), base)
    report("process `dabprp check --all-targets` (example)", process_time(["check", str(EXAMPLE), "--all-targets",
                                                                           "--fail-on", "never"]), base)
    report("process `dabprp generate --stdout` (example)", process_time(["generate", str(EXAMPLE), "--stdout"]), base)
    if shutil.which("dabprp") or (Path(sys.executable).parent / "dabprp").exists():
        startup = process_time(["--version"])
        print(f"{'process `dabprp --version` (interpreter + CLI start-up)':<58} {startup * 1000:10.1f} ms")


def bench_monorepo(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        roots = make_monorepo(Path(tmp), count)
        files = [f for r in roots for f in source_files(r)]
        base = best_of(lambda: floor(files), 3)
        ours = best_of(lambda: [run_rules(analyze(str(r))) for r in roots], 3)
        report(f"library analyze+rules, monorepo of {count} bundles", ours, base)
        per = statistics.mean([best_of(lambda r=r: analyze(str(r)), 1) for r in roots[:20]])
        print(f"{'  mean per bundle':<58} {per * 1000:10.2f} ms")


def bench_large() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_large_bundle(Path(tmp))
        files = source_files(root)
        base = best_of(lambda: floor(files), 3)
        for target in (None, "staging", "prod"):
            report(f"library analyze(large: 500 jobs x 10 tasks, target={target})",
                   best_of(lambda t=target: analyze(str(root), t), 3), base)
        report("library validate(large, --all-targets: 3 targets)",
               best_of(lambda: validate(str(root), all_targets=True), 2), base)
        report("process `dabprp validate --all-targets` (large)",
               process_time(["validate", str(root), "--all-targets"], 2), base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    bench_example()
    bench_monorepo(100)
    if not args.quick:
        bench_monorepo(1000)
    bench_large()


if __name__ == "__main__":
    main()
