"""discover → parse → facts: build the Project record for a directory."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from dabprp.discover import discover
from dabprp.errors import DabprpError
from dabprp.facts import (
    AgentConfig,
    EvalSet,
    FileReference,
    Location,
    Problem,
    ProblemKind,
    Project,
    PythonFacts,
    RepoSignals,
    Requirement,
    TestFile,
)
from dabprp.gcpause import paused_gc
from dabprp.limits import MAX_PYTHON_CHARS
from dabprp.parse.bundle import build_bundle
from dabprp.parse.bundle_load import LoadedBundle, load_bundle
from dabprp.parse.yaml_source import load_yaml, read_text
from dabprp.records import record

if TYPE_CHECKING:  # the code, config and data parsers load only when code is analyzed (not for `validate`)
    import ast

    from dabprp.parse.python_source import FileFacts

CONFIG_NAMES = ("configs.yaml", "config.yaml", "configs.yml", "config.yml", "agent_config.yaml",
                "agent_config.yml")
REQUIREMENT_FILE_RE = re.compile(r"(^|/)requirements[\w.-]*\.txt$")


@record
class Analysis:
    """The project facts and the one bundle load they came from (rules over the bundle read it too)."""

    project: Project
    loaded: LoadedBundle | None
    bundle_error: DabprpError | None = None
    """Why the bundle root file could not be read (the project then has no bundle)."""


def analyze(path: str = ".", target: str | None = None) -> Project:
    """Statically analyze the project at `path`; `target` selects the effective bundle target."""
    return load_project(path, target).project


@paused_gc()
def load_project(path: str = ".", target: str | None = None, bundle_only: bool = False) -> Analysis:
    """The facts of the project at `path` and its loaded bundle; `bundle_only` skips the code and data files
    and the bundle's `${...}` reference facts (what `validate` needs)."""
    if not os.path.exists(path):
        raise DabprpError(path, None, "no such file or directory")
    if not os.path.isdir(path):
        raise DabprpError(path, None, "not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise DabprpError(path, None, "directory is not readable")
    root = path
    found = discover(root)
    problems: list[Problem] = [Problem(Location(p, 1), f"skipped: {why}", ProblemKind.SKIPPED)
                               for p, why in found.skipped]

    bundle = None
    bundle_error = None
    loaded: LoadedBundle | None
    try:
        loaded = load_bundle(root)
    except DabprpError as exc:
        problems.append(Problem(Location(exc.path, exc.line or 1), exc.message, ProblemKind.UNREADABLE, True))
        loaded, bundle_error = None, exc
    if loaded is not None:
        problems.extend(loaded.problems)
        bundle = build_bundle(loaded, root, target, with_refs=not bundle_only)
    elif target is not None:
        raise DabprpError(path, None, f"--target {target}: the project has no readable bundle")

    if bundle_only:
        python, configs, evalsets, repo_signals = PythonFacts(), [], [], RepoSignals()
    else:
        from dabprp.parse.python_endpoints import mark_own_endpoints
        from dabprp.parse.python_values import resolve_config_values

        python, test_trees = _python(root, found.files, problems)
        configs = _configs(root, found.files, python, problems)
        python = mark_own_endpoints(resolve_config_values(python, configs), bundle)
        evalsets = _evalsets(root, found.files, python, problems)
        repo_signals = _repo(root, found.files, test_trees, problems)
    project = Project(
        root=os.path.basename(os.path.abspath(root)) or ".",
        bundle=bundle, python=python, configs=tuple(configs), evalsets=tuple(evalsets),
        repo=repo_signals, problems=tuple(sorted(set(problems), key=lambda p: (p.location, p.message))),
        files=found.files,
    )
    return Analysis(project, loaded, bundle_error)


def unreadable_bundle(project: Project) -> Problem | None:
    """The first problem that kept a bundle file from loading (the root file, or an included file that
    could not be read or parsed), or None when every bundle file loaded."""
    return next((p for p in project.problems if p.bundle and p.kind is ProblemKind.UNREADABLE), None)


def _read(root: str, rel: str, problems: list[Problem]) -> str | None:
    try:
        return read_text(os.path.join(root, rel), rel)
    except DabprpError as exc:
        problems.append(Problem(Location(exc.path, exc.line or 1), exc.message))
        return None


def _python(
    root: str, files: tuple[str, ...], problems: list[Problem]
) -> tuple[PythonFacts, dict[str, ast.AST | None]]:
    from dabprp.parse import repo
    from dabprp.parse.langgraph import routing_models
    from dabprp.parse.notebooks import from_ipynb, from_source
    from dabprp.parse.python_classes import agent_classes
    from dabprp.parse.python_source import analyze_python

    parts: list[FileFacts] = []
    test_trees: dict[str, ast.AST | None] = {}
    for rel in files:
        if not rel.endswith((".py", ".ipynb")):
            continue
        text = _read(root, rel, problems)
        if text is None:
            continue
        try:
            ptext = from_ipynb(rel, text) if rel.endswith(".ipynb") else from_source(rel, text)
        except ValueError as exc:
            problems.append(Problem(Location(rel, 1), str(exc)))
            continue
        if len(ptext.text) > MAX_PYTHON_CHARS:
            problems.append(Problem(Location(rel, 1), f"Python source larger than {MAX_PYTHON_CHARS} characters; "
                                                      "not analyzed"))
            continue
        try:
            facts = analyze_python(rel, ptext)
        except RecursionError:  # expressions nested thousands deep: Python's own AST limit
            problems.append(Problem(Location(rel, 1), "Python code nested too deeply to analyze; not analyzed"))
            continue
        if facts.source.syntax_error:
            problems.append(Problem(Location(rel, facts.source.syntax_error_line or 1),
                                    facts.source.syntax_error))
        parts.append(facts)
        if repo.is_test_file(rel) and rel.endswith(".py"):
            test_trees[rel] = facts.trees[0] if len(facts.trees) == 1 and not facts.source.syntax_error else None
    return PythonFacts(
        files=tuple(p.source for p in parts),
        graphs=tuple(g for p in parts for g in p.graphs),
        routing_models=tuple(routing_models([r for p in parts for r in p.routing_models],
                                            [g for p in parts for g in p.graphs])),
        agent_classes=tuple(agent_classes([c for p in parts for c in p.classes],
                                                [i for p in parts for i in p.instantiations])),
        mlflow_calls=tuple(sorted((c for p in parts for c in p.mlflow_calls), key=lambda c: c.location)),
        trace_spans=tuple(s for p in parts for s in p.trace_spans),
        code=tuple(sorted((c for p in parts for c in p.code), key=lambda c: (c.location, c.kind, c.name))),
        secret_refs=tuple(s for p in parts for s in p.secret_refs),
        hardcoded_secrets=tuple(sorted((s for p in parts for s in p.hardcoded_secrets),
                                       key=lambda s: s.location)),
        scorers=tuple(s for p in parts for s in p.scorers),
    ), test_trees


def _referenced_paths(python: PythonFacts, suffixes: tuple[str, ...]) -> dict[str, list[Location]]:
    """String literals in MLflow calls and code facts that look like paths with these suffixes."""
    refs: dict[str, list[Location]] = {}

    def visit(value: object, where: Location) -> None:
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str) and item.lower().endswith(suffixes):
                refs.setdefault(item, []).append(where)
            elif isinstance(item, dict):
                pending.extend(reversed(list(item.values())))
            elif isinstance(item, list):
                pending.extend(reversed(item))

    for call in python.mlflow_calls:
        visit(call.args, call.location)
    for fact in python.code:
        if isinstance(fact, FileReference):
            visit(fact.name, fact.location)
        else:
            visit(fact.detail(), fact.location)
    return refs


def _resolve_ref(ref: str, where: Location, files: tuple[str, ...]) -> str | None:
    ref = ref.lstrip("./") if ref.startswith("./") else ref
    base = os.path.dirname(where.path)
    candidates = [os.path.normpath(os.path.join(base, ref)).replace(os.sep, "/"), ref]
    hits = [c for c in candidates if c in files]
    if hits:
        return hits[0]
    tail = [f for f in files if f.endswith("/" + ref.split("/")[-1]) or f == ref.split("/")[-1]]
    return tail[0] if len(tail) == 1 else None


def _configs(root: str, files: tuple[str, ...], python: PythonFacts, problems: list[Problem]) -> list[AgentConfig]:
    from dabprp.parse.agent_config import analyze_config

    chosen: set[str] = set()
    for ref, wheres in _referenced_paths(python, (".yaml", ".yml")).items():
        hit = _resolve_ref(ref, wheres[0], files)
        if hit:
            chosen.add(hit)
    for rel in files:
        parts = rel.split("/")
        if parts[-1] in CONFIG_NAMES and (len(parts) == 1 or (len(parts) == 2 and parts[0] == "src")):
            chosen.add(rel)
    out = []
    for rel in sorted(chosen):
        try:
            doc = load_yaml(os.path.join(root, rel), rel)
        except DabprpError as exc:
            problems.append(Problem(Location(exc.path, exc.line or 1), exc.message))
            continue
        if isinstance(doc.value, dict):
            out.append(analyze_config(doc))
    return out


def _evalsets(root: str, files: tuple[str, ...], python: PythonFacts, problems: list[Problem]) -> list[EvalSet]:
    from dabprp.parse.evalsets import analyze_evalset, is_eval_candidate

    refs: dict[str, list[Location]] = {}
    for ref, wheres in _referenced_paths(python, (".json", ".jsonl", ".csv")).items():
        hit = _resolve_ref(ref, wheres[0], files)
        if hit:
            refs.setdefault(hit, []).extend(wheres)
    candidates = sorted(set(refs) | {f for f in files if is_eval_candidate(f)})
    out = []
    for rel in candidates:
        text = _read(root, rel, problems)
        if text is None:
            continue
        found = analyze_evalset(rel, text, tuple(sorted(refs.get(rel, []))))
        if found.error:
            problems.append(Problem(found.location, found.error))
        out.append(found)
    return out


def _git_root_files(root: str, problems: list[Problem]) -> list[str]:
    """The git root's CI and requirement files, when one of its CI files works in this project's folder."""
    from dabprp.parse import repo

    git_root = repo.git_root_above(root)
    if git_root is None:
        return []
    subfolder = os.path.relpath(os.path.abspath(root), git_root).replace(os.sep, "/")
    above = repo.git_root_files(root, git_root)
    for rel in above:
        if repo.ci_system(repo.from_git_root(rel)):
            text = _read(root, rel, problems)
            if text is not None and repo.serves_subfolder(text, subfolder):
                return above
    return []


def _repo(root: str, files: tuple[str, ...], test_trees: dict[str, ast.AST | None],
          problems: list[Problem]) -> RepoSignals:
    from dabprp.parse import repo

    tests: list[TestFile] = [repo.analyze_tests(p, t) for p, t in sorted(test_trees.items())]
    ci = []
    requirements: list[Requirement] = []
    # when the project is a subfolder of a repository, the repository's CI and requirements count too
    candidates = list(files) + _git_root_files(root, problems)
    included: list[str] = []
    seen: set[str] = set()
    queue = list(candidates)
    while queue:
        rel = queue.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        system = repo.ci_system(repo.from_git_root(rel))
        if system:
            text = _read(root, rel, problems)
            if text is not None:
                ci.append(repo.analyze_ci(rel, system, text))
        elif REQUIREMENT_FILE_RE.search(rel) or rel in included:
            text = _read(root, rel, problems)
            if text is None:
                continue
            found, includes = repo.parse_requirements(rel, text)
            requirements.extend(found)
            for inc in includes:
                target = os.path.normpath(os.path.join(os.path.dirname(rel), inc)).replace(os.sep, "/")
                if target in files or (target.startswith("../") and os.path.isfile(os.path.join(root, target))):
                    included.append(target)
                    queue.append(target)
        elif rel.rsplit("/", 1)[-1] == "pyproject.toml" and rel.lstrip("./") == "pyproject.toml":
            text = _read(root, rel, problems)
            if text is not None:
                requirements.extend(repo.pyproject_requirements(rel, text))
    gitignore = ""
    if ".gitignore" in files:
        gitignore = _read(root, ".gitignore", problems) or ""
    tracked = [f for f in files if repo.is_secret_file(f) and not repo.is_ignored(f, gitignore)]
    return RepoSignals(
        tests=tuple(tests), ci=tuple(ci), requirements=tuple(requirements),
        ignored_secret_files=tuple(repo.ignored_secret_patterns(gitignore)),
        tracked_secret_files=tuple(tracked), has_pyproject="pyproject.toml" in files,
    )
