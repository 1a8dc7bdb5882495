"""Agent configuration YAML (the file `ModelConfig` reads): keys, placeholders, endpoints, prompts, scope."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from dabprp.facts import AgentConfig, ConfigEndpoint, ConfigValue, DataScope, Location, Prompt
from dabprp.parse.secrets import REDACTED, redact_tree
from dabprp.parse.yaml_source import LocNode, YamlDoc

PLACEHOLDER_RE = re.compile(
    r"(^\s*$|\bTODO\b|\bFIXME\b|\bCHANGEME\b|\bYOUR[_-]?[A-Z0-9_-]*|<[^<>\n]{1,60}>|\bexample\.(com|org)\b|"
    r"^x{3,}$|^0{8,}$|\bREPLACE[_-]?ME\b)",
    re.I,
)
ENDPOINT_KEY_RE = re.compile(r"(endpoint|llm|model|serving|chat|embed|index)", re.I)
# A serving endpoint name: letters, digits, `-` and `_` (no dots: `a.b.c` is a Unity Catalog name).
ENDPOINT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
UC_NAME_RE = re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$")
# Key words → role, first match wins (checked on the key path, then the value).
ROLE_WORDS = (
    ("vector_search_index", re.compile(r"index", re.I)),
    ("vector_search_endpoint", re.compile(r"(vector|\bvs_|^vs_|_vs_)", re.I)),
    ("embedding", re.compile(r"embed", re.I)),
    ("chat", re.compile(r"(llm|chat|foundation|completion|judge)", re.I)),
    ("agent_endpoint", re.compile(r"(serving|agent|deploy|app)", re.I)),
)
EMBEDDING_VALUE_RE = re.compile(r"(embed|\bgte\b|-gte-|\bbge\b|-bge-)", re.I)
GENIE_KEY_RE = re.compile(r"genie.*(space|id)|space_?id", re.I)
SECRET_KEY_RE = re.compile(r"(secret|scope|token|pat\b|password|api_?key)", re.I)
PROMPT_KEY_RE = re.compile(r"(prompt|instruction|system|description|template)", re.I)
YEAR_RE = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
DATE_OR_ID_RE = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b|\S*\d{6,}\S*|\S*[/_]\S*\d{4}\S*|v\d+(\.\d+)+")
CAPS_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
LIST_OF_CAPS_RE = re.compile(r"\b[A-Z][A-Z0-9.]{1,5}(?:\s*(?:,|/|\band\b|\bor\b)\s*[A-Z][A-Z0-9.]{1,5}){1,}")
SOURCE_RE = re.compile(
    r"\b([A-Z0-9][\w-]*\s+(?:[\w-]+\s+){0,2}(?:filings?|reports?|statements?|documents?|datasets?|tables?|"
    r"databases?|records|transcripts|articles|manuals?|tickets|logs|knowledge base|catalog))\b"
)
GENERIC_CAPS = frozenset(
    (
        "AI", "API", "LLM", "SQL", "JSON", "YAML", "HTTP", "HTTPS", "URL", "ID", "IDS", "UC", "DB", "UI",
        "OK", "PDF", "CSV", "LLMS", "AND", "OR", "THE", "NOT", "MUST", "NEVER", "ALWAYS", "ONLY", "DO",
        "DONT", "NO", "YES", "IF", "FOR", "TODO", "FIXME", "NOTE", "USD", "EUR"
    )
)
STOPWORDS = frozenset(
    (
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "from", "is", "are",
        "be", "as", "at", "this", "that", "these", "those", "it", "its", "you", "your", "use", "using",
        "when", "which", "what", "who", "how", "if", "then", "than", "into", "about", "over", "such",
        "only", "not", "no", "all", "any", "each", "can", "should", "must", "will", "would", "may", "might",
        "do", "does", "did", "has", "have", "had", "question", "questions", "answer", "answers", "data",
        "agent", "user", "query", "queries", "provide", "based", "information", "given", "return",
        "respond", "response"
    )
)
PROMPT_MIN_CHARS = 80


def analyze_config(doc: YamlDoc) -> AgentConfig:
    tree, found = redact_tree(doc.value, doc.loc)
    values: list[ConfigValue] = []
    _flatten(tree, doc.loc, "", values)
    placeholders = [v for v in values if isinstance(v.value, str) and PLACEHOLDER_RE.search(v.value)
                    and not _is_prompt(v) and v.value != REDACTED]
    placeholders += [v for v in values if v.value is None]
    endpoints = [e for v in values if (e := _endpoint(v)) is not None]
    genie = [v for v in values if GENIE_KEY_RE.search(v.key) and not _is_prompt(v)]
    secrets = [v for v in values if SECRET_KEY_RE.search(_leaf(v.key)) and not _is_prompt(v)]
    prompts = [Prompt(v.key, len(v.value), v.location) for v in values if _is_prompt(v)]
    texts = [v for v in values if isinstance(v.value, str)]
    return AgentConfig(
        path=doc.path, location=doc.loc.at, keys=tuple(values),
        placeholders=tuple(sorted(placeholders, key=lambda v: v.location)),
        llm_endpoints=tuple(v for v in values if any(e.role == "chat" and e.key == v.key for e in endpoints)),
        genie_spaces=tuple(genie), secret_names=tuple(secrets),
        prompts=tuple(prompts), scope=data_scope(texts), endpoints=tuple(endpoints),
        hardcoded_secrets=tuple(found),
    )


def _endpoint(v: ConfigValue) -> ConfigEndpoint | None:
    """The endpoint a config value names, with its role; None for anything else (UC model names, prompts,
    ids, placeholders, Genie spaces)."""
    leaf = _leaf(v.key)
    if not isinstance(v.value, str) or not ENDPOINT_KEY_RE.search(leaf) or GENIE_KEY_RE.search(v.key):
        return None
    value = v.value.strip()
    if PLACEHOLDER_RE.search(value):
        return None
    if UC_NAME_RE.match(value):
        # three-part names are Unity Catalog objects: only an index key makes one an endpoint-like fact
        return ConfigEndpoint(v.key, value, "vector_search_index", f"key `{leaf}` names a UC index",
                              v.location) if re.search("index", leaf, re.I) else None
    if not ENDPOINT_NAME_RE.match(value) or not re.search(r"(endpoint|llm|model|serving|chat|embed)", leaf, re.I):
        return None
    if re.search(r"model", leaf, re.I) and not re.search(r"(endpoint|llm|chat|embed|serving)", leaf, re.I) \
            and not value.startswith("databricks-"):
        return None  # `model_name: support_rag` names a registered model, not an endpoint
    if EMBEDDING_VALUE_RE.search(value):
        return ConfigEndpoint(v.key, value, "embedding", f"value `{value}` is an embedding model", v.location)
    parent = v.key[: -len(leaf)]
    for role, pattern in ROLE_WORDS:
        if pattern.search(leaf):
            return ConfigEndpoint(v.key, value, role, f"key `{leaf}`", v.location)
    for role, pattern in ROLE_WORDS:
        # a parent such as `agent_configs` says nothing; `serving:` or `deploy:` does
        if pattern.search(parent) and (role != "agent_endpoint" or re.search(r"(serving|deploy)", parent, re.I)):
            return ConfigEndpoint(v.key, value, role, f"key `{v.key}`", v.location)
    return ConfigEndpoint(v.key, value, "chat", f"key `{leaf}`", v.location)


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _is_prompt(v: ConfigValue) -> bool:
    if not isinstance(v.value, str):
        return False
    long_text = len(v.value) >= PROMPT_MIN_CHARS and " " in v.value
    return long_text and (PROMPT_KEY_RE.search(v.key) is not None or "\n" in v.value or len(v.value) > 200)


def _flatten(value: Any, loc: LocNode, prefix: str, out: list[ConfigValue]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            _flatten(v, loc.child(k) or loc, key, out)
    elif isinstance(value, list) and value and all(isinstance(i, (dict, list)) for i in value):
        for i, v in enumerate(value):
            _flatten(v, loc.child(i) or loc, f"{prefix}[{i}]", out)
    else:
        out.append(ConfigValue(prefix or "<root>", value, loc.at))


def data_scope(texts: list[ConfigValue]) -> DataScope:
    """The domain a config's prompts describe: enumerated entity codes, year range, sources, topics."""
    entities: Counter[str] = Counter()
    years: list[int] = []
    sources: Counter[str] = Counter()
    words: Counter[str] = Counter()
    evidence: set[Location] = set()
    for v in texts:
        text = str(v.value)
        if PLACEHOLDER_RE.fullmatch(text.strip() or " "):
            continue
        for run in LIST_OF_CAPS_RE.finditer(text):
            codes = [c for c in CAPS_RE.findall(run.group(0)) if c not in GENERIC_CAPS]
            if len(codes) >= 2:
                entities.update(codes)
                evidence.add(v.location)
        # years only from prose (`covers 2019-2023`), never from dates, versions or ids (`2024-08-06`,
        # `claude-3-7-sonnet-20250219`, `release: "2024"`)
        prose = DATE_OR_ID_RE.sub(" ", text) if " " in text.strip() else ""
        found_years = [int(y) for y in YEAR_RE.findall(prose)]
        if found_years:
            years.extend(found_years)
            evidence.add(v.location)
        for m in SOURCE_RE.finditer(text):
            phrase = " ".join(m.group(1).split())
            if any(ch.isupper() for ch in phrase):
                sources[phrase] += 1
                evidence.add(v.location)
        if len(text) >= PROMPT_MIN_CHARS:
            for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text):
                lw = w.lower()
                if lw not in STOPWORDS:
                    words[lw] += 1
    topics = tuple(w for w, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:12] if n >= 2)
    return DataScope(
        entities=tuple(sorted(entities)),
        year_min=min(years) if years else None,
        year_max=max(years) if years else None,
        data_sources=tuple(s for s, _ in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:6]),
        topics=topics,
        evidence=tuple(sorted(evidence)),
    )
