"""Repository signals: tests, CI definitions, requirements and their pinning, ignored secret files."""

from __future__ import annotations

import ast
import fnmatch
import os
import re

from dabprp.facts import CiDefinition, Location, Requirement, TestFile

BUNDLE_CMD_RE = re.compile(r"databricks\s+bundle\s+(validate|deploy|run|destroy|plan|summary)")
TEST_CMD_RE = re.compile(r"\b(pytest|unittest|tox|nox)\b")
TOML_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'')
REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
SECRET_FILE_PATTERNS = (".env", "*.env", ".databrickscfg", "*.pem", "*.key", "secrets.*", "*.p12",
                        "credentials*", ".netrc")


def ci_system(path: str) -> str | None:
    """The CI system a file configures, or None."""
    name = path.rsplit("/", 1)[-1]
    yaml_file = name.endswith((".yml", ".yaml"))
    if path.startswith(".github/workflows/") and yaml_file:
        return "github-actions"
    if yaml_file and (name.startswith("azure-pipelines") or path.startswith(".azure-pipelines/")):
        return "azure-pipelines"
    if name == ".gitlab-ci.yml":
        return "gitlab-ci"
    if name == "Jenkinsfile":
        return "jenkins"
    if path.startswith(".circleci/") and yaml_file:
        return "circleci"
    return None


def analyze_ci(path: str, system: str, text: str) -> CiDefinition:
    commands = tuple(sorted(set(BUNDLE_CMD_RE.findall(text))))
    return CiDefinition(path, system, commands, bool(TEST_CMD_RE.search(text)))


def is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def analyze_tests(path: str, tree: ast.AST | None) -> TestFile:
    """The tests pytest's default collection finds: module-level `test*` functions and `test*` methods of
    `Test*` classes without `__init__` (nested functions and helpers are not tests)."""
    if tree is None:
        return TestFile(path)
    names = []
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if any(m.name == "__init__" for m in methods):
                continue
            names.extend(f"{node.name}.{m.name}" for m in methods if m.name.startswith("test"))
    return TestFile(path, tuple(sorted(names)))


def parse_requirements(path: str, text: str) -> tuple[list[Requirement], list[str]]:
    """Requirements of a pip requirements file, and the files it includes with `-r` / `-c` (as written,
    relative to it). Extras, environment markers, `--hash` options and `\\` continuations are understood."""
    out: list[Requirement] = []
    includes: list[str] = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        start = number + 1
        line = lines[number]
        while line.rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            line = line.rstrip()[:-1] + " " + lines[number]
        number += 1
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        include = re.match(r"^(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", line)
        if include:
            includes.append(include.group(1))
            continue
        if not line or line.startswith(("-", "git+", "http", "/", ".")):
            continue
        line = re.split(r"\s--\w", line, maxsplit=1)[0]
        match = REQ_RE.match(line)
        if match:
            out.append(_requirement(match.group(1), match.group(3), Location(path, start)))
    return out, includes


def pyproject_requirements(path: str, text: str) -> list[Requirement]:
    """Dependencies listed in `[project] dependencies` (read line by line, to keep line numbers)."""
    out: list[Requirement] = []
    depth = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if depth == 0:
            if not re.match(r"^dependencies\s*=\s*\[", stripped):
                continue
            stripped = stripped.split("=", 1)[1]
        # strings first (a `]` inside `"pkg[extra]"` or a marker does not end the list), then brackets
        for quoted in TOML_STRING_RE.finditer(stripped):
            item = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
            match = REQ_RE.match(item.split(";")[0])
            if match and depth <= 1:
                out.append(_requirement(match.group(1), match.group(3), Location(path, number)))
        bare = TOML_STRING_RE.sub("", stripped).split("#", 1)[0]
        depth = max(0, depth + bare.count("[") - bare.count("]"))
    return out


def _requirement(name: str, spec: str, where: Location) -> Requirement:
    spec = spec.split(";")[0].strip()
    pinning = "exact" if spec.startswith("==") and "*" not in spec else ("range" if spec else "none")
    return Requirement(name.lower().replace("_", "-"), spec, pinning, where)


def ignored_secret_patterns(gitignore_text: str) -> list[str]:
    lines = [ln.strip() for ln in gitignore_text.splitlines() if ln.strip() and not ln.startswith("#")]
    return sorted({ln for ln in lines if any(fnmatch.fnmatch(ln.lstrip("/"), p) or ln.lstrip("/") == p
                                              for p in SECRET_FILE_PATTERNS)})


def is_secret_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, p) for p in SECRET_FILE_PATTERNS) and not name.endswith(".example")


def is_ignored(path: str, gitignore_text: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    for ln in gitignore_text.splitlines():
        pattern = ln.strip()
        if not pattern or pattern.startswith("#"):
            continue
        pattern = pattern.lstrip("/").rstrip("/")
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(path, pattern):
            return True
    return False


CI_DIRS = (".github/workflows", ".azure-pipelines", ".circleci")
ROOT_FILES_RE = re.compile(r"^(requirements[\w.-]*\.txt|pyproject\.toml|\.gitlab-ci\.yml|Jenkinsfile|"
                           r"azure-pipelines[\w.-]*\.ya?ml)$")
MAX_PARENT_LEVELS = 8


def git_root_above(root: str) -> str | None:
    """The folder holding `.git` above `root` (the project is a subfolder of a repository), else None."""
    here = os.path.abspath(root)
    if os.path.exists(os.path.join(here, ".git")):
        return None
    parent = here
    for _ in range(MAX_PARENT_LEVELS):
        up = os.path.dirname(parent)
        if up == parent:
            return None
        parent = up
        if os.path.exists(os.path.join(parent, ".git")):
            return parent
    return None


def git_root_files(root: str, git_root: str) -> list[str]:
    """CI and requirement files at the git root, as paths relative to `root` (`../.github/workflows/ci.yml`)."""
    found: list[str] = []
    for name in sorted(_listdir(git_root)):
        if ROOT_FILES_RE.match(name) and os.path.isfile(os.path.join(git_root, name)):
            found.append(name)
    for sub in CI_DIRS:
        folder = os.path.join(git_root, sub)
        found += [f"{sub}/{n}" for n in sorted(_listdir(folder)) if os.path.isfile(os.path.join(folder, n))]
    prefix = os.path.relpath(git_root, os.path.abspath(root)).replace(os.sep, "/")
    return [f"{prefix}/{f}" for f in found]


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def serves_subfolder(ci_text: str, subfolder: str) -> bool:
    """Whether a CI file at the git root works in the project's subfolder: `working-directory: sub`,
    `cd sub`, `sub/...` paths (a bare word is not enough: `agent` appears in any text)."""
    sub = re.escape(subfolder.strip("/"))
    pattern = (rf"(working[-_]?directory|workingDirectory|\bcd|-C|--chdir|defaults:\s*run:)\s*:?\s*[\"']?(\./)?{sub}\b"
               rf"|(?<![\w.-])(\./)?{sub}/")
    return re.search(pattern, ci_text, re.I) is not None


def from_git_root(path: str) -> str:
    """A path relative to the project without its leading `../` (the repository-relative path of a file found
    at the git root above the project)."""
    while path.startswith("../"):
        path = path[3:]
    return path
