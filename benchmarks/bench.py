"""Time dabprp against the floor (PyYAML's C composer + `ast.parse` of the same files), in one run.

    python benchmarks/bench.py            # every series at 1x and 10x
    python benchmarks/bench.py --quick    # the same series at a tenth of the size, fewer repeats
    python benchmarks/bench.py --only rehearse   # scaffold + `dabprp rehearse` on the example, whole process

Compares like with like, medians throughout: a dabprp process with a floor process (interpreter start,
`import yaml`, parse every file), the dabprp library with the floor in the same process. Times are CPU
seconds (user + system; of the child processes for processes), so a loaded machine does not skew them;
`check --recursive` also shows wall time (its workers run in parallel). For each
series the growth ratio is the per-unit cost at 10x divided by the per-unit cost at 1x (1.0 is linear;
the target is at most 1.3). No assertions: figures are for reading.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "multiagent-genie"
sys.path.insert(0, str(ROOT / "src"))

from dabprp.analyze import analyze  # noqa: E402
from dabprp.api import generate, validate  # noqa: E402
from dabprp.rules import run_rules  # noqa: E402
from dabprp.validate import schema, verdicts  # noqa: E402
from dabprp.validate.verdicts import Verdicts  # noqa: E402

FLOOR_SCRIPT = """
import ast, os, sys, yaml
for base, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = sorted(d for d in dirs if d not in ('PRPs', '.git', '__pycache__'))
    for name in files:
        path = os.path.join(base, name)
        if name.endswith(('.yml', '.yaml')):
            yaml.compose(open(path, encoding='utf-8').read(), Loader=yaml.CSafeLoader)
        elif name.endswith('.py'):
            ast.parse(open(path, encoding='utf-8').read())
"""


def median_of(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of `fn` in this process, warmed by one unmeasured call (what a process pays once,
    such as compiling the schema validator, is in the process figures)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def source_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml", ".py") and "PRPs" not in p.parts)


def library_floor(files: list[Path]) -> None:
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text)
        else:
            yaml.compose(text, Loader=yaml.CSafeLoader)


def dabprp_exe() -> list[str]:
    return [sys.executable, "-m", "dabprp"]


def process(args: list[str], repeat: int, wall: list[float] | None = None, warm: bool = False,
            env_extra: dict[str, str] | None = None) -> float:
    """Median CPU seconds of the process `args` (and its children); its wall seconds go to `wall`. Bytecode is
    cached as in an installed copy, so start-up is not a compile (`warm`: a first, unmeasured run writes it, and
    the compiled templates into the benchmark's own DABPRP_CACHE_DIR)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env_extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if warm:
        subprocess.run(args, capture_output=True, check=False, env=env)
    times = []
    for _ in range(repeat):
        before, started = children_cpu(), time.perf_counter()
        subprocess.run(args, capture_output=True, check=False, env=env)
        times.append(children_cpu() - before)
        if wall is not None:
            wall.append(time.perf_counter() - started)
    return statistics.median(times)


def process_floor(root: Path, repeat: int) -> float:
    return process([sys.executable, "-c", FLOOR_SCRIPT, str(root)], repeat)


# ---- generated projects ------------------------------------------------------------------------------------

def make_jobs_bundle(base: Path, jobs: int, tasks: int = 10, targets: int = 3) -> Path:
    """One bundle: `jobs` jobs of `tasks` tasks each in resources/*.yml (50 jobs a file), `targets` targets."""
    root = base / f"jobs_{jobs}_targets_{targets}"
    (root / "resources").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "task.py").write_text("print('task')\n")
    lines = ["bundle:", "  name: large", "include:", "  - resources/*.yml", "variables:", "  catalog:",
             "    default: dev", "targets:", "  dev:", "    mode: development", "    default: true"]
    for i in range(targets - 1):
        env = "prod" if i == targets - 2 else f"stage{i}"
        lines += [f"  {env}:", "    mode: production", "    workspace:",
                  f"      root_path: /Workspace/Shared/.bundle/large/{env}", "    variables:", f"      catalog: {env}",
                  "    resources:", "      jobs:", "        job_0:", "          max_concurrent_runs: 2"]
    (root / "databricks.yml").write_text("\n".join(lines) + "\n")
    for chunk in range(0, jobs, 50):
        out = ["resources:", "  jobs:"]
        for j in range(chunk, min(jobs, chunk + 50)):
            out += [f"    job_{j}:", f"      name: job-{j}-${{bundle.target}}", "      max_concurrent_runs: 1",
                    "      timeout_seconds: 3600", "      tasks:"]
            for t in range(tasks):
                out += [f"        - task_key: t{t}", "          spark_python_task:",
                        "            python_file: ../src/task.py",
                        "            parameters: ['--catalog', '${var.catalog}']"]
                if t:
                    out += ["          depends_on:", f"            - task_key: t{t - 1}"]
        (root / "resources" / f"jobs_{chunk // 50:03d}.yml").write_text("\n".join(out) + "\n")
    return root


def make_python_project(base: Path, files: int) -> Path:
    """The example plus `files` agent modules (copies of the example's Python under new names)."""
    root = base / f"python_{files}"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("PRPs", "__pycache__", ".dabprp"))
    sources = sorted((EXAMPLE / "src").glob("*.py"))
    pkg = root / "src" / "agents"
    pkg.mkdir()
    for i in range(files):
        src = sources[i % len(sources)]
        (pkg / f"{src.stem}_{i:05d}.py").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def make_monorepo(base: Path, count: int) -> Path:
    """`count` copies of the example with distinct bundle names under one root."""
    root = base / f"mono_{count}"
    text = (EXAMPLE / "databricks.yml").read_text(encoding="utf-8")
    for i in range(count):
        dest = root / "agents" / f"agent_{i:04d}"
        shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("PRPs", "__pycache__", ".dabprp"))
        (dest / "databricks.yml").write_text(text.replace("name: multiagent-genie", f"name: agent-{i:04d}"))
    return root


# ---- report ------------------------------------------------------------------------------------------------

def row(label: str, ours: float, floor: float | None = None, note: str = "") -> None:
    ratio = f"{ours / floor:7.1f}x" if floor else " " * 8
    floor_text = f"{floor * 1000:10.1f} ms" if floor else " " * 13
    print(f"  {label:<52} {ours * 1000:10.1f} ms  floor {floor_text}  ratio {ratio}  {note}")


def growth(label: str, small: float, small_units: int, large: float, large_units: int) -> None:
    ratio = (large / large_units) / (small / small_units)
    print(f"  growth {label:<45} per unit {small / small_units * 1000:8.3f} ms -> "
          f"{large / large_units * 1000:8.3f} ms   ratio {ratio:5.2f} (target <= 1.3)")


def bench_example(repeat: int) -> None:
    print("example (examples/multiagent-genie)")
    files = source_files(EXAMPLE)
    lib_floor = median_of(lambda: library_floor(files), repeat * 4)
    row("library analyze + rules", median_of(lambda: run_rules(analyze(str(EXAMPLE))), repeat * 4), lib_floor)
    row("library generate", median_of(lambda: generate(str(EXAMPLE)), repeat * 2), lib_floor)
    row("library validate --all-targets", median_of(lambda: validate(str(EXAMPLE), all_targets=True), repeat * 2),
        lib_floor)
    proc_floor = process_floor(EXAMPLE, repeat * 2)
    row("process floor (python + yaml + ast)", proc_floor)
    row("process `python -c pass`", process([sys.executable, "-c", "pass"], repeat * 2))
    print("  start-up per command: whole `dabprp` processes on the example (CPU, median; target <= 200 ms)")
    for args in (["--version"], ["generate", str(EXAMPLE), "--stdout"], ["check", str(EXAMPLE), "--fail-on", "never"],
                 ["validate", str(EXAMPLE)], ["validate", str(EXAMPLE), "--all-targets"],
                 ["analyze", str(EXAMPLE), "--format", "json"]):
        label = " ".join(a for a in args if a != str(EXAMPLE))
        seconds = process([*dabprp_exe(), *args], repeat * 2, warm=True)
        row(f"process `dabprp {label}`", seconds, proc_floor, start_up_note(args[0], seconds))
    # the first run after an install (or with DABPRP_CACHE_DIR empty) compiles the PRP template and validates
    # every value against the schema
    for args in (["generate", str(EXAMPLE), "--stdout"], ["check", str(EXAMPLE), "--fail-on", "never"],
                 ["validate", str(EXAMPLE)]):
        seconds = process([*dabprp_exe(), *args], repeat * 2, env_extra={"DABPRP_CACHE_DIR": ""})
        label = " ".join(a for a in args if a != str(EXAMPLE))
        row(f"process `dabprp {label}`, no cache (a first run)", seconds, proc_floor)


def start_up_note(command: str, seconds: float) -> str:
    """The start-up target of generate, check and validate, and OVER when a median misses it (a benchmark
    finding to read, never a test failure: the figure depends on the machine and its load)."""
    if command not in ("generate", "check", "validate"):
        return ""
    return "(start-up target <= 200 ms)" + (" OVER" if seconds > 0.2 else "")


def prp_size(root: Path) -> str:
    """The PRP's size: bounded however large the inventory (the full list is in `analyze --format json`)."""
    text = generate(str(root))[0]
    return f"(PRP {len(text.encode()) / 1024:.0f} KB, {text.count(chr(10))} lines)"


def validating_everything() -> None:
    """Library calls in the growth series validate every value against the schema, as a first run does: no
    verdict of an earlier repetition is reused (the example's process rows show the remembered case)."""
    schema.remembered = lambda: Verdicts(None)  # type: ignore[assignment]


@contextlib.contextmanager
def verdicts_remembered() -> Iterator[None]:
    """Within: a verdict file in the benchmark's cache folder, as a second run on an unchanged bundle sees it."""
    remembered = schema.remembered
    real = verdicts.remembered
    real.cache_clear()
    schema.remembered = real  # type: ignore[assignment]
    try:
        yield
    finally:
        schema.remembered = remembered  # type: ignore[assignment]


def bench_jobs(base: Path, sizes: tuple[int, int], repeat: int) -> None:
    print(f"one bundle, {sizes[0]} / {sizes[1]} jobs x 10 tasks, 3 targets")
    results = {}
    for jobs in sizes:
        root = make_jobs_bundle(base, jobs)
        floor = median_of(lambda r=root: library_floor(source_files(r)), repeat)
        gen = median_of(lambda r=root: generate(str(r)), repeat)
        val = median_of(lambda r=root: validate(str(r), all_targets=True), repeat)
        row(f"library generate ({jobs} jobs)", gen, floor, prp_size(root))
        row(f"library validate --all-targets ({jobs} jobs)", val, floor, "(target <= 3x floor)")
        with verdicts_remembered():
            validate(str(root), all_targets=True)
            again = median_of(lambda r=root: validate(str(r), all_targets=True), repeat)
        row("  the same, schema verdicts of a first run remembered", again, floor)
        results[jobs] = (gen, val)
    growth("generate per job", results[sizes[0]][0], sizes[0], results[sizes[1]][0], sizes[1])
    growth("validate per job", results[sizes[0]][1], sizes[0], results[sizes[1]][1], sizes[1])


def bench_targets(base: Path, sizes: tuple[int, int], repeat: int) -> None:
    print(f"one bundle of 50 jobs, {sizes[0]} / {sizes[1]} targets")
    results = {}
    for targets in sizes:
        root = make_jobs_bundle(base, 50, targets=targets)
        floor = median_of(lambda r=root: library_floor(source_files(r)), repeat)
        val = median_of(lambda r=root: validate(str(r), all_targets=True), repeat)
        row(f"library validate --all-targets ({targets} targets)", val, floor)
        results[targets] = val
    growth("validate --all-targets per target", results[sizes[0]], sizes[0], results[sizes[1]], sizes[1])


def bench_python(base: Path, sizes: tuple[int, int], repeat: int) -> None:
    print(f"the example plus {sizes[0]} / {sizes[1]} Python files")
    results = {}
    for count in sizes:
        root = make_python_project(base, count)
        floor = median_of(lambda r=root: library_floor(source_files(r)), repeat)
        gen = median_of(lambda r=root: generate(str(r)), repeat)
        row(f"library generate ({count} files)", gen, floor, prp_size(root))
        results[count] = gen
    growth("generate per Python file", results[sizes[0]], sizes[0], results[sizes[1]], sizes[1])


def bench_monorepo(base: Path, sizes: tuple[int, ...], repeat: int) -> None:
    print(f"monorepo of {' / '.join(map(str, sizes))} copies of the example")
    results = {}
    for count in sizes:
        root = make_monorepo(base, count)
        bundles = sorted(p for p in (root / "agents").iterdir())
        floor = median_of(lambda r=root: library_floor(source_files(r)), repeat)
        lib = median_of(lambda b=bundles: [run_rules(analyze(str(r))) for r in b], repeat)
        row(f"library analyze + rules, each bundle ({count})", lib, floor, f"{lib / count * 1000:.2f} ms/bundle")
        proc_floor = process_floor(root, 1)
        wall: list[float] = []
        check = process([*dabprp_exe(), "check", str(root), "--recursive", "--fail-on", "never"], 1, wall,
                        env_extra={"DABPRP_CACHE_DIR": ""})  # the copies are alike: validate each, not the first
        row(f"process `check --recursive` ({count})", check, proc_floor,
            f"{check / count * 1000:.2f} ms/bundle; wall {wall[0]:.2f} s with {os.cpu_count()} workers")
        results[count] = (lib, check)
    growth("library per bundle", results[sizes[0]][0], sizes[0], results[sizes[-1]][0], sizes[-1])
    growth("check --recursive per bundle", results[sizes[0]][1], sizes[0], results[sizes[-1]][1], sizes[-1])


def bench_rehearse() -> None:
    """The whole process a user runs: scaffold a copy of the example, then `dabprp rehearse` on it (once: the
    figure includes interpreter start-up, MLflow import and store creation)."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        print("rehearse: skipped (needs the `rehearse` extra)")
        return
    cli = [sys.executable, "-m", "dabprp"]  # this checkout's sources (PYTHONPATH), not an installed copy
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "multiagent-genie"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("PRPs", ".dabprp", "__pycache__"))
        subprocess.run([*cli, "scaffold", str(project)], capture_output=True, check=True, env=env)
        for label, extra in (("good agent, promoted", []), ("bad agent, blocked at the gate", ["--agent", "bad"]),
                             ("canary fault, rolled back", ["--canary-fault"])):
            start = time.perf_counter()
            done = subprocess.run([*cli, "rehearse", str(project), "--format", "json", *extra],
                                  capture_output=True, check=False, env=env)
            seconds = time.perf_counter() - start
            print(f"{'process `dabprp rehearse` (example, ' + label + ')':<58} {seconds * 1000:10.1f} ms"
                  f"   exit {done.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, fewer repeats")
    parser.add_argument("--only", default=None, help="one series: example, jobs, targets, python, rehearse, monorepo")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    repeat = 3 if args.quick else 5
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, medians of {repeat}+ runs"
          f"{' (--quick: a tenth of the sizes)' if args.quick else ''}")
    with tempfile.TemporaryDirectory(prefix="dabprp-bench-") as tmp:
        base = Path(tmp)
        os.environ["DABPRP_CACHE_DIR"] = str(base / "cache")  # templates, verdicts: the benchmark's own, not the user's
        validating_everything()
        series = {
            "example": lambda: bench_example(repeat),
            "jobs": lambda: bench_jobs(base, (100 // scale, 1000 // scale), max(1, repeat // 2)),
            "targets": lambda: bench_targets(base, (5, 50), max(1, repeat // 2)),
            "python": lambda: bench_python(base, (200 // scale, 2000 // scale), max(1, repeat // 2)),
            "rehearse": bench_rehearse,
            "monorepo": lambda: bench_monorepo(base, tuple(n // scale for n in (100, 1000)) if args.quick
                                               else (10, 100, 1000), 1),
        }
        for name, run in series.items():
            if args.only in (None, name):
                run()


if __name__ == "__main__":
    main()
