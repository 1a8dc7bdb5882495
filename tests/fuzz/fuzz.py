"""Mutation fuzzer: mutated copies of real projects through every command, each in a forked child with limits.

    python tests/fuzz/fuzz.py --count 200 --seed 1           # summary on stdout, failures with reproducers
    python tests/fuzz/fuzz.py --seed 1 --case 17 --keep out   # replay one case and keep its project folder

A run fails when a command exits other than 0/1/2, prints a traceback, emits invalid JSON/SARIF (NaN
included), uses more than 10 s of CPU or 1 GB of memory, or blocks for 60 s. Cases are reproducible:
case N of seed S always makes the same project.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.fuzz.mutators import mutate  # noqa: E402

CPU_LIMIT_S = 10
RSS_LIMIT_KB = 1_000_000
WALL_LIMIT_S = 60
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("analyze", "{p}", "--format", "json"),
    ("analyze", "{p}"),
    ("validate", "{p}", "--all-targets", "--format", "json"),
    ("check", "{p}", "--all-targets", "--format", "sarif", "--fail-on", "never"),
    ("check", "{p}", "--format", "json"),
    ("generate", "{p}"),
    ("scaffold", "{p}", "--dry-run"),
    ("scaffold", "{p}"),
)
JSON_COMMANDS = {0, 2, 3, 4}


def seeds(corpus: Path | None) -> list[Path]:
    """Seed projects: the example, the fixtures, and the real-world corpus when present."""
    out = [ROOT / "examples" / "multiagent-genie"]
    out += sorted(p for p in (ROOT / "tests" / "fixtures" / "projects").iterdir() if p.is_dir())
    if corpus is not None and corpus.is_dir():
        out += sorted(p for p in corpus.iterdir() if p.is_dir())
    return out


def make_case(seed_dirs: list[Path], seed: int, index: int, dest: Path, light: bool = False) -> tuple[str, list[str]]:
    """Copy a seed project to `dest` and mutate it; deterministic in (seed, index)."""
    rng = random.Random(f"{seed}:{index}")
    src = rng.choice(seed_dirs)
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("PRPs", ".dabprp", "__pycache__"))
    if not any(dest.rglob("*.py")) and rng.random() < 0.5:
        shutil.copytree(ROOT / "examples" / "multiagent-genie" / "src", dest / "src", dirs_exist_ok=True)
    return src.name, mutate(dest, rng, light=light)


@dataclass
class Outcome:
    cases: int = 0
    exits: Counter = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)
    cpu_max: tuple[float, str] = (0.0, "")
    rss_max: tuple[int, str] = (0, "")


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/dabprp/" in f.filename] or frames
    last = ours[-1] if ours else None
    where = f"{last.filename.split('/dabprp/')[-1]}:{last.name}" if last else "?"
    return f"{type(exc).__name__} at {where}"


def _child(args: list[str], out_path: str, err_path: str, sig_path: str) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S + 1, CPU_LIMIT_S + 2))
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    signal.alarm(WALL_LIMIT_S)
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), encoding="utf-8", write_through=True)
    from dabprp.cli import main

    code = 0
    try:
        main.main(args, prog_name="dabprp", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 3
    except BaseException as exc:
        traceback.print_exc()
        Path(sig_path).write_text(_signature(exc), encoding="utf-8")
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _valid_json(text: str) -> bool:
    def reject(name: str) -> None:
        raise ValueError(name)

    try:
        json.loads(text, parse_constant=reject)
    except ValueError:
        return False
    return True


def run_command(project: Path, template: tuple[str, ...], index: int, work: Path) -> tuple[str, float, int, int]:
    """(failure signature or '', cpu seconds, max RSS KB, exit code) of one command in a forked child."""
    args = [a.format(p=str(project)) for a in template]
    out, err, sig = (str(work / n) for n in ("out", "err", "sig"))
    for path in (out, err, sig):
        if os.path.exists(path):
            os.unlink(path)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            _child(args, out, err, sig)
        finally:
            os._exit(98)
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    name = " ".join(template[:1] + template[2:])
    if os.WIFSIGNALED(status):
        killer = os.WTERMSIG(status)
        kind = {signal.SIGXCPU: "cpu-limit", signal.SIGALRM: "hang", signal.SIGKILL: "killed"}.get(
            killer, f"signal {killer}"
        )
        return f"{kind}: {name}", cpu, usage.ru_maxrss, -killer
    code = os.WEXITSTATUS(status)
    if code == 99:
        return f"crash: {Path(sig).read_text(encoding='utf-8')} ({template[0]})", cpu, usage.ru_maxrss, code
    if code not in (0, 1, 2):
        return f"exit {code}: {name}", cpu, usage.ru_maxrss, code
    stderr = Path(err).read_text(encoding="utf-8", errors="replace")
    if "Traceback (most recent call last)" in stderr:
        return f"traceback on stderr: {name}", cpu, usage.ru_maxrss, code
    if cpu > CPU_LIMIT_S:
        return f"slow (>{CPU_LIMIT_S}s cpu): {name}", cpu, usage.ru_maxrss, code
    if usage.ru_maxrss > RSS_LIMIT_KB:
        return f"memory (>1 GB): {name}", cpu, usage.ru_maxrss, code
    if (
        index in JSON_COMMANDS
        and code != 2
        and not _valid_json(Path(out).read_text(encoding="utf-8", errors="replace"))
    ):
        return f"invalid JSON: {name}", cpu, usage.ru_maxrss, code
    return "", cpu, usage.ru_maxrss, code


def warm_imports() -> None:
    """Import everything the commands import lazily, once, so each fork starts warm."""
    import dabprp.analyze
    import dabprp.api
    import dabprp.cli
    import dabprp.render.check_out
    import dabprp.render.json_out
    import dabprp.render.markdown
    import dabprp.render.sarif
    import dabprp.render.text_facts
    import dabprp.render.validation
    import dabprp.report
    import dabprp.rules.bundle
    import dabprp.scaffold  # noqa: F401
    from dabprp.api import generate

    generate(str(ROOT / "examples" / "multiagent-genie"))  # compiles the PRP templates once, before forking


def fuzz(
    count: int,
    seed: int,
    start: int = 0,
    corpus: Path | None = None,
    keep: Path | None = None,
    log: io.TextIOBase | None = None,
    light: bool = False,
    rotate: bool = False,
) -> Outcome:
    """Run `count` cases. `rotate`: each case runs `analyze --format json` and one other command in turn
    (cheaper per case); otherwise every command. `light`: no multi-megabyte files."""
    warm_imports()
    seed_dirs = seeds(corpus)
    outcome = Outcome()
    stop: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.append(1))  # finish the case, then summarize
    with tempfile.TemporaryDirectory(prefix="dabprp-fuzz-") as tmp:
        work = Path(tmp)
        cache_before = os.environ.get("DABPRP_CACHE_DIR")
        os.environ["DABPRP_CACHE_DIR"] = str(work / "cache")  # templates and schema verdicts: the run's own
        for index in range(start, start + count):
            if stop:
                break
            outcome.cases += 1
            project = work / f"case{index}"
            origin, mutations = make_case(seed_dirs, seed, index, project, light)
            if keep is not None:
                shutil.copytree(project, keep / f"case{index}", symlinks=True, dirs_exist_ok=True)
            chosen = [0, 1 + index % (len(COMMANDS) - 1)] if rotate else range(len(COMMANDS))
            for i in chosen:
                template = COMMANDS[i]
                failure, cpu, rss, code = run_command(project, template, i, work)
                outcome.exits[code] += 1
                label = f"--seed {seed} --case {index} ({origin}: {'; '.join(mutations)})"
                if cpu > outcome.cpu_max[0]:
                    outcome.cpu_max = (cpu, f"{template[0]} {label}")
                if rss > outcome.rss_max[0]:
                    outcome.rss_max = (rss, f"{template[0]} {label}")
                if failure:
                    outcome.failures.setdefault(failure, []).append(label)
                    if log is not None:
                        log.write(f"FAIL {failure}  {label}\n")
                        log.flush()
            shutil.rmtree(project, ignore_errors=True)
            if log is not None and (index - start + 1) % 50 == 0:
                log.write(
                    f"{index - start + 1} cases, {sum(len(v) for v in outcome.failures.values())} failures, "
                    f"{len(outcome.failures)} signatures\n"
                )
                log.flush()
        if cache_before is None:
            os.environ.pop("DABPRP_CACHE_DIR")
        else:
            os.environ["DABPRP_CACHE_DIR"] = cache_before
    signal.signal(signal.SIGTERM, previous)
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="number of mutated projects")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=int, default=None, help="run only this case number")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=ROOT.parent / "shared" / "corpus",
        help="folder of real-world projects used as extra seeds (skipped when missing)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="copy every mutated project here")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary as JSON")
    parser.add_argument("--light", action="store_true", help="no multi-megabyte files or thousands of files")
    parser.add_argument("--rotate", action="store_true", help="per case: analyze plus one other command in turn")
    args = parser.parse_args()
    start, count = (args.case, 1) if args.case is not None else (0, args.count)
    began = time.monotonic()
    outcome = fuzz(count, args.seed, start, args.corpus, args.keep, sys.stderr,  # type: ignore[arg-type]
                   light=args.light, rotate=args.rotate)
    runs = sum(outcome.exits.values())
    summary = {
        "cases": outcome.cases,
        "command_runs": runs,
        "seconds": round(time.monotonic() - began, 1),
        "exit_codes": {str(k): v for k, v in sorted(outcome.exits.items())},
        "failures": sum(len(v) for v in outcome.failures.values()),
        "signatures": len(outcome.failures),
        "max_cpu_s": round(outcome.cpu_max[0], 2),
        "max_cpu_case": outcome.cpu_max[1],
        "max_rss_mb": round(outcome.rss_max[0] / 1024),
        "max_rss_case": outcome.rss_max[1],
        "by_signature": {k: {"count": len(v), "first": v[0]} for k, v in sorted(outcome.failures.items())},
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
