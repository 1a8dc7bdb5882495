"""Repository signals: tests, CI definitions, requirements and their pinning, ignored secret files."""

from __future__ import annotations

import ast
import fnmatch
import re

from dabprp.facts import CiDefinition, Location, Requirement, TestFile

BUNDLE_CMD_RE = re.compile(r"databricks\s+bundle\s+(validate|deploy|run|destroy|plan|summary)")
TEST_CMD_RE = re.compile(r"\b(pytest|unittest|tox|nox)\b")
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
    if tree is None:
        return TestFile(path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.append(node.name)
    return TestFile(path, tuple(sorted(names)))


def parse_requirements(path: str, text: str) -> list[Requirement]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http", "/", ".")):
            continue
        match = REQ_RE.match(line)
        if match:
            out.append(_requirement(match.group(1), match.group(3), Location(path, number)))
    return out


def pyproject_requirements(path: str, text: str) -> list[Requirement]:
    """Dependencies listed in `[project] dependencies` (read line by line, to keep line numbers)."""
    out: list[Requirement] = []
    in_deps = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if re.match(r"^dependencies\s*=\s*\[", stripped):
            in_deps = True
            stripped = stripped.split("[", 1)[1]
        if not in_deps:
            continue
        for item in re.findall(r"[\"']([^\"']+)[\"']", stripped):
            match = REQ_RE.match(item.split(";")[0])
            if match:
                out.append(_requirement(match.group(1), match.group(3), Location(path, number)))
        if "]" in stripped:
            in_deps = False
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
