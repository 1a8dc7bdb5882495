"""Is a string a credential? Judged on the value (known token formats, entropy, placeholder words) and the
place (tests, mocks, examples), as secret scanners do. Values are never kept or printed."""

from __future__ import annotations

import math
import re
from collections import Counter

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
