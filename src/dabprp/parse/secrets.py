"""Is a string a credential? Judged on the value (known token formats, entropy, placeholder words) and the
place (tests, mocks, examples), as secret scanners do. Values are never kept or printed."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from dabprp.errors import DabprpError
from dabprp.facts import HardcodedSecret
from dabprp.parse.yaml_source import LocNode, parse_yaml

# Token formats that are credentials wherever they appear (the format alone is the evidence).
TOKEN_FORMATS = (
    ("databricks-token", re.compile(r"\bdapi[0-9a-f]{32}(-\d)?\b")),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("github-fine-grained-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}\b")),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b")),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}\b")),
    ("aws-access-key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("slack-token", re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)
# Variable names that announce a credential (`tokenizer`, `max_tokens` do not).
SECRET_NAME_RE = re.compile(
    r"(pass(word|wd)?\b|passwd|secret|api_?key|access_?key|credential|private_?key|(?<![a-z])token(?!i[sz]|s\b|_?(count|limit|len)))",
    re.I)
PLACEHOLDER_WORDS_RE = re.compile(
    r"(mock|fake|dummy|example|sample|placeholder|changeme|change[_-]me|replace[_-]?me|your[_-]|redacted|"
    r"xxx|\*\*\*|todo|fixme|test|secret[_-]?name|<[^>]*>|\$\{|\{\{)",
    re.I)
# A value shaped like something else: a model or repo id (`org/name`), a URL, a path, a secret-scope reference.
NOT_A_SECRET_RE = re.compile(r"^([\w.-]+/[\w./-]+|\w+://.*|[./~].*|\{\{secrets/.*\}\})$")
TEST_PLACE_RE = re.compile(
    r"(^|/)(tests?|testing|mocks?|fixtures?|examples?|samples?|docs?)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$",
    re.I)
MOCK_CLASS_RE = re.compile(r"(mock|fake|stub|dummy)", re.I)
MIN_LENGTH = 8
MIN_ENTROPY = 2.5
"""Bits per character; `hunter2hunter2` has 2.8, `aaaaaaaa` 0."""


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def token_format(text: str) -> str | None:
    """The kind of known credential format in `text`, if any."""
    for kind, pattern in TOKEN_FORMATS:
        if pattern.search(text):
            return kind
    return None


def looks_like_secret(value: str) -> bool:
    """A literal assigned to a credential-named variable that may be a real credential."""
    text = value.strip()
    if len(text) < MIN_LENGTH or " " in text or NOT_A_SECRET_RE.match(text) or PLACEHOLDER_WORDS_RE.search(text):
        return False
    return shannon_entropy(text) >= MIN_ENTROPY


def is_test_place(path: str, enclosing_class: str | None = None) -> bool:
    """Tests, mocks, fixtures and examples: credential-named literals there are test data."""
    return bool(TEST_PLACE_RE.search(path)) or bool(enclosing_class and MOCK_CLASS_RE.search(enclosing_class))


# A YAML key that holds a credential itself, not the name of one (`secret_key_name`, `secret_scope` do not).
CREDENTIAL_KEY_RE = re.compile(
    r"(pass(word|wd)|api_?key|access_?key|private_?key|client_?secret|(?<![a-z])(token|pat))$", re.I)
# A plain lower-case name (`databricks_pat`, `my-scope`): the name of a secret, not a secret.
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)*$")
REDACTED = "***redacted***"


def yaml_secret(key: str, value: str) -> str | None:
    """The kind of credential a YAML string at `key` (its last part) holds, or None."""
    kind = token_format(value)
    if kind is not None:
        return kind
    if CREDENTIAL_KEY_RE.search(key) and looks_like_secret(value) and not IDENTIFIER_RE.match(value.strip()):
        return f"value of `{key}`"
    return None


def redact_tree(value: Any, loc: LocNode, key: str = "") -> tuple[Any, list[HardcodedSecret]]:
    """`value` (a loaded YAML tree) with every credential replaced by `REDACTED`, and where each was.
    The tree is copied only along the paths that change."""
    found: list[HardcodedSecret] = []
    return _redact(value, loc, key, found), found


def _redact(value: Any, loc: LocNode, key: str, found: list[HardcodedSecret]) -> Any:
    if isinstance(value, str):
        kind = yaml_secret(key, value)
        if kind is None:
            return value
        found.append(HardcodedSecret(kind, loc.at))
        return REDACTED
    if isinstance(value, dict):
        name = value.get("name")
        named = name if isinstance(name, str) else key  # `- name: API_KEY` with `value:`
        out = {k: _redact(v, loc.child(k) or loc, _context(str(k), key, named), found) for k, v in value.items()}
        return value if all(out[k] is value[k] for k in value) else out
    if isinstance(value, list):
        items = [_redact(v, loc.child(i) or loc, key, found) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _context(key: str, parent: str, named: str) -> str:
    """The name a value is known by: its key, or for `default:`/`value:` the variable or entry it belongs to."""
    if key in ("default", "value"):
        return named if key == "value" else parent
    return key


_LINE_VALUE_RE = re.compile(r"^(\s*(?:-\s+)?(?:[^:#\n]+:\s+)?)\S[^\n]*")


def redact_text(path: str, text: str) -> str:
    """`text` of the file at `path` for display: every known token format replaced and, in YAML, the value on
    each line that holds a credential (as `redact_tree` judges it)."""
    for _, pattern in TOKEN_FORMATS:
        text = pattern.sub(REDACTED, text)
    if not path.endswith((".yml", ".yaml")):
        return text
    try:
        doc = parse_yaml(text, path)
    except DabprpError:
        return text
    _, found = redact_tree(doc.value, doc.loc)
    if not found:
        return text
    lines = text.splitlines(keepends=True)
    for line in {s.location.line for s in found}:
        if 0 < line <= len(lines):
            lines[line - 1] = _LINE_VALUE_RE.sub(lambda m: m.group(1) + REDACTED, lines[line - 1], count=1)
    return "".join(lines)
