"""Monorepos: every bundle under a root (respecting .gitignore), run in worker processes, paths relative to
the root. The results are merged so one report (one SARIF run) covers all bundles."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING, Any

from dabprp.digest import sha256
from dabprp.discover import SKIP_DIRS
from dabprp.errors import DabprpError
from dabprp.parse.bundle_load import ROOT_FILES
from dabprp.records import record

if TYPE_CHECKING:  # the library and the worker pool load only when several bundles are run
    from dabprp.findings import Finding, Report
    from dabprp.report import ValidationReport


@record
class BundleOutcome:
    """One bundle's result (paths already relative to the monorepo root), or why it could not be read."""

    path: str
    result: Any = None
    error: str | None = None


# ---------------------------------------------------------------- finding bundles


def find_bundles(root: str) -> list[str]:
    """Root-relative folders holding a bundle root file, sorted ("." for the root itself). Links to folders
    are not followed; VCS, environment and build folders and whatever .gitignore files exclude are skipped;
    the folders below a bundle (other than the root) belong to it and are not searched."""
    found: list[str] = []
    ignores: dict[str, list[tuple[re.Pattern[str], bool, bool]]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if ".gitignore" in filenames:
            ignores[rel_dir] = _read_gitignore(os.path.join(dirpath, ".gitignore"))
        if any(name in filenames for name in ROOT_FILES) and not _ignored(rel_dir, True, ignores):
            found.append(rel_dir)
            if rel_dir != ".":
                dirnames[:] = []
                continue
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and not _ignored(d if rel_dir == "." else f"{rel_dir}/{d}", True, ignores))
    return sorted(found)


def holds_several_bundles(root: str) -> bool:
    """Whether `root` is a monorepo: no bundle of its own, and at least two bundles below it."""
    if any(os.path.isfile(os.path.join(root, name)) for name in ROOT_FILES):
        return False
    return len(find_bundles(root)) >= 2


def _read_gitignore(path: str) -> list[tuple[re.Pattern[str], bool, bool]]:
    """(regex over paths relative to the .gitignore's folder, negated, folders only) per pattern."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(1_000_000).splitlines()
    except OSError:
        return []
    out = []
    for raw in lines:
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        dir_only = line.endswith("/")
        line = line.strip("/") if dir_only else line
        anchored = line.startswith("/") or "/" in line
        body = _gitignore_regex(line.lstrip("/"))
        out.append((re.compile(("" if anchored else r"(?:.*/)?") + body + r"\Z"), negated, dir_only))
    return out


def _gitignore_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _ignored(rel: str, is_dir: bool, ignores: dict[str, list[tuple[re.Pattern[str], bool, bool]]]) -> bool:
    """Whether the root-relative `rel` is excluded by the .gitignore files of its ancestors (last match wins,
    deeper files after shallower ones)."""
    if rel == ".":
        return False
    verdict = False
    parts = rel.split("/")
    for depth in range(len(parts)):
        base = "/".join(parts[:depth]) or "."
        rules = ignores.get(base)
        if not rules:
            continue
        below = "/".join(parts[depth:])
        for regex, negated, dir_only in rules:
            if dir_only and not is_dir:
                continue
            if regex.match(below):
                verdict = not negated
    return verdict


# ---------------------------------------------------------------- running


def run_bundles(root: str, command: str, jobs: int | None, **options: Any) -> list[BundleOutcome]:
    """Run `command` (analyze, validate or check) on every bundle under `root`, `jobs` worker processes
    at a time (default: the CPU count); results in bundle order."""
    bundles = find_bundles(root)
    if not bundles:
        raise DabprpError(root, None, "no bundle (databricks.yml) found under this folder")
    tasks = [(root, rel, command, options) for rel in bundles]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    if workers == 1:
        return [_run_one(task) for task in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_run_one, tasks, chunksize=max(1, len(tasks) // (workers * 8))))


def _run_one(task: tuple[str, str, str, dict[str, Any]]) -> BundleOutcome:
    from dabprp.api import check, validate
    from dabprp.facts import to_data
    from dabprp.report import Scope

    root, rel, command, options = task
    path = os.path.join(root, rel)
    try:
        if command == "check":
            return BundleOutcome(rel, _prefix_check(check(path, Scope(**options)), rel))
        if command == "validate":
            return BundleOutcome(rel, _prefix_report(validate(path, **options), rel))
        from dabprp.analyze import analyze

        return BundleOutcome(rel, _prefix_data(to_data(analyze(path, **options)), rel))
    except DabprpError as exc:
        return BundleOutcome(rel, error=str(DabprpError(_join(rel, exc.path), exc.line, exc.message)))
    except Exception as exc:  # one broken bundle must not stop the others; reported, exit 2
        return BundleOutcome(rel, error=f"{_join(rel, '.')}: internal error ({type(exc).__name__}: {exc})")


def _join(rel: str, path: str) -> str:
    if rel == ".":
        return path
    if os.path.isabs(path) or path in (".", ""):
        return rel
    return f"{rel}/{path}"


def _prefix(finding: Finding, rel: str) -> Finding:
    from dabprp.facts import Location

    return dataclasses.replace(finding, location=Location(_join(rel, finding.location.path), finding.location.line))


def _prefix_check(result: Report, rel: str) -> Report:
    """Paths under `rel`; fingerprints salted with `rel`, so the same finding in two bundles differs."""
    prints = result.fingerprints if rel == "." else tuple(
        sha256(f"{rel}\0{fp}".encode()).hexdigest()[:len(fp)] for fp in result.fingerprints)
    return dataclasses.replace(result, findings=tuple(_prefix(f, rel) for f in result.findings),
                               fingerprints=prints, unreadable=tuple(_join(rel, u) for u in result.unreadable),
                               files=frozenset(_join(rel, f) for f in result.files),
                               root_file=_join(rel, result.root_file) if result.root_file else None)


def _prefix_report(report: ValidationReport, rel: str) -> ValidationReport:
    return dataclasses.replace(report, root_file=_join(rel, report.root_file),
                               findings=tuple(_prefix(f, rel) for f in report.findings))


def _prefix_data(data: Any, rel: str) -> Any:
    """Facts data with every location (`{"path", "line"}`) relative to the monorepo root."""
    if isinstance(data, dict):
        if set(data) == {"path", "line"} and isinstance(data["path"], str):
            return {"path": _join(rel, data["path"]), "line": data["line"]}
        return {k: _prefix_data(v, rel) for k, v in data.items()}
    if isinstance(data, list):
        return [_prefix_data(v, rel) for v in data]
    return data


# ---------------------------------------------------------------- merging


def merge_checks(outcomes: list[BundleOutcome], known: set[str] | None = None) -> Report:
    """One Report over all bundles: findings sorted by location, rules in catalogue order; findings
    whose fingerprint is in `known` (a baseline) are left out and counted."""
    from dabprp.findings import Report

    results = [o.result for o in outcomes if o.result is not None]
    pairs = sorted(((f, fp) for r in results for f, fp in zip(r.findings, r.fingerprints, strict=True)),
                   key=lambda p: (p[0].location, p[0].rule_id, p[0].message))
    kept = [p for p in pairs if not known or p[1] not in known]
    baselined = len(pairs) - len(kept)
    pairs = kept
    rules = {doc.id: doc for r in results for doc in r.rules}
    return Report(tuple(f for f, _ in pairs), tuple(fp for _, fp in pairs),
                       tuple(rules[k] for k in sorted(rules)),
                       suppressed=sum(r.suppressed for r in results), baselined=baselined,
                       unreadable=tuple(u for r in results for u in r.unreadable),
                       files=frozenset(f for r in results for f in r.files),
                       roots=tuple(sorted(r.root_file for r in results if r.root_file)))


# ---------------------------------------------------------------- rendering


def render(outcomes: list[BundleOutcome], command: str, fmt: str, root: str) -> str:
    """The analyze or validate report of every bundle (check output goes through `merge_checks`)."""
    import json

    from dabprp.render.json_out import dump_json

    if command == "validate":
        from dabprp.render.validation import render_validation_json, render_validation_text

        if fmt == "json":
            data = {"valid": all(o.result is not None and o.result.valid for o in outcomes),
                    "bundles": [{"path": o.path, "error": o.error} if o.result is None else
                                {"path": o.path, **json.loads(render_validation_json(o.result))} for o in outcomes]}
            return dump_json(data)
        return "".join(render_validation_text(o.result) if o.result is not None else f"{o.error}\n"
                       for o in outcomes)
    if fmt == "json":
        data = {"root": os.path.basename(os.path.abspath(root)) or ".",
                "bundles": [{"path": o.path, "error": o.error, "facts": o.result} for o in outcomes]}
        return dump_json(data, default=str)
    lines = []
    for o in outcomes:
        if o.result is None:
            lines.append(f"{o.path}: not read: {o.error}")
            continue
        bundle = o.result.get("bundle") or {}
        jobs = bundle.get("resources", {}).get("jobs", [])
        lines.append(f"{o.path}: bundle {bundle.get('name') or '?'}; {len(bundle.get('targets', []))} target(s), "
                     f"{len(jobs)} job(s), {len(o.result.get('files', []))} file(s), "
                     f"{len(o.result.get('problems', []))} problem(s)")
    lines.append(f"{len(outcomes)} bundle(s) under {root} (`--format json` has every fact)")
    return "\n".join(lines) + "\n"
