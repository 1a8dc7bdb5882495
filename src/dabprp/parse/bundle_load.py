"""Load a bundle: the root file, its includes, and the effective tree of one target."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from typing import Any

from dabprp.errors import DabprpError
from dabprp.facts import HardcodedSecret, Include, Location, Problem, ProblemKind
from dabprp.limits import MAX_BUNDLE_BYTES
from dabprp.parse.bundle_merge import merge
from dabprp.parse.secrets import redact_tree
from dabprp.parse.yaml_source import LocNode, load_yaml

ROOT_FILES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")
"""The names a bundle root file may have, in the order the Databricks CLI looks for them."""
DEFAULT_ROOT_FILE = ROOT_FILES[0]
"""The root file a project without a bundle gets."""
INCLUDE_SUFFIXES = (".yml", ".yaml", ".json")
# Top-level keys a target may override (bundle JSON schema, `targets.<name>`).
TARGET_OVERRIDES = ("artifacts", "bundle", "permissions", "presets", "resources", "sync", "workspace")


@dataclass(slots=True)
class LoadedBundle:
    """The merged top-level tree of a bundle (root + includes) with locations."""

    root_file: str
    tree: dict[str, Any]
    loc: LocNode
    includes: list[Include] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    secrets: list[HardcodedSecret] = field(default_factory=list)
    """Credentials written in the bundle files: each value in `tree` is replaced by a redaction mark."""
    size: int = 0
    """Bytes of the bundle files read (at most MAX_BUNDLE_BYTES)."""
    over_budget: str | None = None
    """The first include past MAX_BUNDLE_BYTES: it and every include after it are not read."""


def _invalid(where: Location, message: str) -> Problem:
    return Problem(where, message, ProblemKind.INVALID, True)


def find_root_file(root: str) -> tuple[str | None, list[Problem]]:
    present = [name for name in ROOT_FILES if os.path.lexists(os.path.join(root, name))]
    problems = []
    real_root = os.path.realpath(root)
    for name in list(present):
        real = os.path.realpath(os.path.join(root, name))
        if not real.startswith(real_root + os.sep):
            problems.append(Problem(Location(name, 1), "a symbolic link leaves the project root; not read"))
            present.remove(name)
        elif not os.path.isfile(real):
            problems.append(Problem(Location(name, 1), "not a regular file; not read"))
            present.remove(name)
    if len(present) > 1:
        problems.append(
            _invalid(Location(present[1], 1), f"multiple bundle root files: {', '.join(present)}")
        )
    return (present[0] if present else None), problems


def load_bundle(root: str) -> LoadedBundle | None:
    """Read the bundle at `root`; None when there is none. Raises DabprpError for a bad root file."""
    root_file, problems = find_root_file(root)
    if root_file is None:
        if problems:  # a root file that may not be read (a link leaving the root, a FIFO)
            raise DabprpError(problems[0].location.path, 1, problems[0].message)
        return None
    doc = load_yaml(os.path.join(root, root_file), root_file)
    tree = doc.value if doc.value is not None else {}
    if not isinstance(tree, dict):
        raise DabprpError(root_file, 1, "bundle root must be a mapping")
    tree, secrets = redact_tree(tree, doc.loc)
    loaded = LoadedBundle(root_file, tree, doc.loc, files=[root_file], problems=problems, secrets=secrets,
                          size=_size(os.path.join(root, root_file)))
    _report_duplicates(doc.duplicate_keys, loaded.problems)
    for pattern, files, where in _expand_includes(root, tree, doc.loc, loaded.problems, root_file):
        loaded.includes.append(Include(pattern, tuple(files), where))
        for rel in files:
            _merge_include(root, rel, loaded)
    return loaded


def _report_duplicates(dups: list[tuple[str, Location, Location]], problems: list[Problem]) -> None:
    for key, first, second in dups:
        problems.append(_invalid(second, f"duplicate key `{key}` (first at line {first.line})"))


def _expand_includes(
    root: str, tree: dict[str, Any], loc: LocNode, problems: list[Problem], root_file: str = ""
) -> list[tuple[str, list[str], Location]]:
    patterns = tree.get("include") or []
    if not isinstance(patterns, list):
        problems.append(_invalid(loc.locate(("include",)), "`include` must be a list of globs"))
        return []
    real_root = os.path.realpath(root)
    out: list[tuple[str, list[str], Location]] = []
    seen: set[str] = {root_file}  # a glob that matches the root file does not include it again
    for i, pattern in enumerate(patterns):
        where = loc.locate(("include", i))
        if not isinstance(pattern, str) or not pattern.strip():
            problems.append(_invalid(where, "include entry must be a non-empty string"))
            continue
        if os.path.isabs(pattern) or ".." in pattern.replace("\\", "/").split("/"):
            problems.append(_invalid(where, f"include `{pattern}` leaves the project root; not read"))
            continue
        matches = []
        for abs_path in confined_glob(root, pattern):
            real = os.path.realpath(abs_path)
            if not real.startswith(real_root + os.sep):
                problems.append(_invalid(where, f"include `{pattern}` leaves the project root; not read"))
                continue
            rel = os.path.relpath(abs_path, root).replace(os.sep, "/")
            if not os.path.isfile(abs_path) or rel in seen:
                continue
            if not rel.endswith(INCLUDE_SUFFIXES):
                problems.append(_invalid(where, f"included file `{rel}` is not .yml, .yaml or .json"))
                continue
            seen.add(rel)
            matches.append(rel)
        if not matches:
            problems.append(_invalid(where, f"include `{pattern}` matches no file"))
        out.append((pattern, matches, where))
    return out


def confined_glob(root: str, pattern: str) -> list[str]:
    """Paths under `root` matching the glob `pattern` (`*`, `?`, `[...]`, `**`), found without following
    links to folders, so a link to `/` is never walked. Hidden names match only a pattern part that starts
    with a dot, as with `glob`."""
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    fixed = 0
    while fixed < len(parts) and not glob.has_magic(parts[fixed]):
        fixed += 1
    start = os.path.join(root, *parts[:fixed])
    rest = parts[fixed:]
    if not rest:
        return [start] if os.path.lexists(start) else []
    matcher = re.compile(_glob_regex(rest))
    deep = "**" in rest
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        rel_dir = os.path.relpath(dirpath, start).replace(os.sep, "/")
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        dirnames[:] = [] if not deep and depth >= len(rest) - 1 else sorted(
            d for d in dirnames if not d.startswith(".") or any(p.startswith(".") for p in rest))
        for name in filenames:
            if name.startswith(".") and not rest[-1].startswith("."):
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if matcher.fullmatch(rel):
                out.append(os.path.join(dirpath, name))
    return sorted(out)


def _glob_regex(parts: list[str]) -> str:
    out = []
    for i, part in enumerate(parts):
        if part == "**":
            out.append("(?:[^/]+/)*" if i < len(parts) - 1 else ".*")
            continue
        out.append(_segment_regex(part) + ("/" if i < len(parts) - 1 else ""))
    return "".join(out)


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in segment[i + 2:]:
            end = segment.index("]", i + 2)
            body = segment[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:  # the read reports it
        return 0


def _merge_include(root: str, rel: str, loaded: LoadedBundle) -> None:
    size = _size(os.path.join(root, rel))
    if loaded.over_budget is not None:  # the includes after the first one past the budget: no gaps
        loaded.problems.append(Problem(Location(rel, 1), f"not read: `{loaded.over_budget}`, included before it, "
                                       f"would pass the bundle's {MAX_BUNDLE_BYTES} bytes", ProblemKind.UNREADABLE,
                                       True))
        return
    if loaded.size + size > MAX_BUNDLE_BYTES:
        loaded.over_budget = rel
        loaded.problems.append(Problem(Location(rel, 1), f"the bundle's files together would be larger than "
                                       f"{MAX_BUNDLE_BYTES} bytes; not read", ProblemKind.UNREADABLE, True))
        return
    try:
        doc = load_yaml(os.path.join(root, rel), rel)
    except DabprpError as exc:
        loaded.problems.append(Problem(Location(exc.path, exc.line or 1), exc.message, ProblemKind.UNREADABLE, True))
        return
    loaded.size += size
    loaded.files.append(rel)
    _report_duplicates(doc.duplicate_keys, loaded.problems)
    if doc.value is None:
        return
    if not isinstance(doc.value, dict):
        loaded.problems.append(_invalid(doc.loc.at, "included bundle file must be a mapping"))
        return
    if "include" in doc.value:
        loaded.problems.append(
            _invalid(doc.loc.locate(("include",)), "`include` is only allowed in the root bundle file")
        )
    value, secrets = redact_tree(doc.value, doc.loc)
    loaded.secrets += secrets
    _check_duplicate_resources(loaded, value, doc.loc)
    loaded.tree, loaded.loc = merge(loaded.tree, loaded.loc, value, doc.loc)


def _check_duplicate_resources(loaded: LoadedBundle, new: dict[str, Any], new_loc: LocNode) -> None:
    old = loaded.tree.get("resources")
    res = new.get("resources")
    if not isinstance(old, dict) or not isinstance(res, dict):
        return
    for rtype, items in res.items():
        if isinstance(items, dict) and isinstance(old.get(rtype), dict):
            for key in items:
                if key in old[rtype]:
                    first = loaded.loc.locate(("resources", rtype, key))
                    loaded.problems.append(
                        _invalid(
                            new_loc.locate(("resources", rtype, key)),
                            f"resource `{rtype}.{key}` is also defined at {first}",
                        )
                    )


def effective_tree(loaded: LoadedBundle, target: str | None) -> tuple[dict[str, Any], LocNode]:
    """The configuration of `target`: its overrides merged onto the top level (None: top level)."""
    tree, loc = loaded.tree, loaded.loc
    if target is None:
        return tree, loc
    targets = tree.get("targets") or {}
    # names are strings (YAML may key a target `0`: it is the target "0")
    key = next((k for k in targets if str(k) == target), None) if isinstance(targets, dict) else None
    if key is None:
        names = ", ".join(sorted(str(k) for k in targets)) if isinstance(targets, dict) else ""
        raise DabprpError(loaded.root_file, loc.locate(("targets",)).line,
                          f"no target named `{target}` (targets: {names or 'none'})")
    tval = targets[key] or {}
    tnode = loc.find(("targets", key)) or LocNode(loc.at)
    if not isinstance(tval, dict):
        return tree, loc
    for key in TARGET_OVERRIDES:
        if key not in tval or tval[key] is None:
            continue
        knode = tnode.find((key,)) or tnode
        base = tree.get(key)
        bnode = loc.find((key,))
        if base is None or bnode is None:
            tree, loc = _set(tree, loc, key, tval[key], knode)
        else:
            merged, mloc = merge(base, bnode, tval[key], knode, key)
            tree, loc = _set(tree, loc, key, merged, mloc)
    if "run_as" in tval and tval["run_as"] is not None:
        tree, loc = _set(tree, loc, "run_as", tval["run_as"], tnode.find(("run_as",)) or tnode)
    return tree, loc


def _set(tree: dict[str, Any], loc: LocNode, key: str, value: Any, vloc: LocNode) -> tuple[dict[str, Any], LocNode]:
    out = dict(tree)
    out[key] = value
    kids = dict(loc.kids) if isinstance(loc.kids, dict) else {}
    kids[key] = vloc
    return out, LocNode(loc.at, kids)
