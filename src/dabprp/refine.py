"""`generate --refine`: LLM-rewritten prose for the PRP that cannot add false facts.

Only prose (paragraphs and bullets of the narrative sections) is sent; YAML blocks, tables, commands,
checklists and the findings appendix never are, so they cannot change. Each answer is checked sentence by
sentence: references in code spans with the `verify-refs` logic, identifier-like words in plain prose and
numbers against the project, the plan and the deterministic PRP; a sentence that fails is dropped and
reported. A refined chunk that lost a fact the deterministic chunk had (code span, identifier, number, list
item), or that has code, tables, markers, HTML or links it did not have, falls back to the deterministic
text. Any API error, timeout or malformed answer leaves the whole deterministic PRP in place."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable

from dabprp import living
from dabprp.errors import DabprpError
from dabprp.facts import Project
from dabprp.parse.python_ast import redact_tokens
from dabprp.plan.model import Plan
from dabprp.records import record
from dabprp.verify import CODE_SPAN_RE, verify_text, vocabulary

REFINED_REGIONS = ("executive-summary", "stages", "asset-bundle-enhancements", "context-engineering-focus-areas",
                   "context-integration", "success-criteria")
SYSTEM_PROMPT = (
    "You edit one passage of a deployment plan (a PRP) for a Databricks agent project. Rewrite it to read "
    "clearly for an engineer: same meaning, same facts, same order. Rules: keep every `code span` exactly, "
    "including every path:line; do not add file names, job names, task names, variables, numbers or claims "
    "that are not in the passage; no code blocks, no tables, no headings, no HTML, no links. Answer with the "
    "rewritten passage only."
)
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
SENTENCE_RE = re.compile(r"(?<=[.!?)])\s+(?=[A-Z`(\[])|\n")
UNSAFE_RE = re.compile(r"^\s*(```|~~~|\||#)", re.M)
HTML_TAG_RE = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|<[!?][^<>]*>")
# every pattern is bounded or anchored, so crafted answers cost linear time
LINK_RE = re.compile(r"\]\([^()\[\]\s]{0,2000}\)|^\s*\[[^\]\n]{1,500}\]:.*$|<?\b[a-z][a-z0-9+.-]{0,20}://[^\s>)]*>?"
                     r"|\bwww\.[^\s>)]+", re.M | re.I)
IDENTIFIER_RE = re.compile(r"(?<![\w/.:-])(?:[\w.-]+/)+[\w.-]+(?::\d+)?|(?<![\w/.:-])[\w-]+\.(?:py|ya?ml|json|jsonl|"
                           r"csv|md|toml|txt|ipynb|sql|j2)(?::\d+)?(?![\w/])|(?<![\w/.:-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w+)+"
                           r"(?![\w/])|(?<![\w/.:-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w/])")
COMMON_DOTTED = frozenset({"e.g", "i.e", "etc", "vs", "a.k.a"})


@record
class LlmSettings:
    base_url: str
    model: str
    api_key: str
    timeout: float = 60.0
    retries: int = 2


def llm_settings(base_url: str | None, model: str | None, timeout: float | None = None,
                 retries: int | None = None) -> LlmSettings:
    host = os.environ.get("DATABRICKS_HOST", "").rstrip("/")
    url = base_url or os.environ.get("DABPRP_LLM_BASE_URL") or (f"{host}/serving-endpoints" if host else "")
    name = model or os.environ.get("DABPRP_LLM_MODEL", "")
    if not url:
        raise DabprpError("--refine", None,
                          "no LLM endpoint: set --llm-base-url, DABPRP_LLM_BASE_URL or DATABRICKS_HOST")
    if not name:
        raise DabprpError("--refine", None, "no model: set --llm-model or DABPRP_LLM_MODEL")
    key = os.environ.get("DABPRP_LLM_API_KEY") or os.environ.get("DATABRICKS_TOKEN") or "none"
    return LlmSettings(url, name, key, timeout if timeout is not None else 60.0, retries if retries is not None else 2)


@record
class Chunk:
    region: str
    start: int
    """Index of the chunk's first line in the document's lines."""
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def prose_chunks(markdown: str) -> list[Chunk]:
    """Runs of narrative lines (paragraphs, plain bullets) inside the refined regions."""
    lines = markdown.split("\n")
    chunks: list[Chunk] = []
    region: str | None = None
    fenced = False
    run: list[int] = []

    def flush() -> None:
        if run and region in REFINED_REGIONS:
            chunks.append(Chunk(region, run[0], tuple(lines[i] for i in run)))
        run.clear()

    for i, line in enumerate(lines):
        marker = living.MARKER_RE.fullmatch(line)
        if marker:
            flush()
            region = marker.group(2) if marker.group(1) == "begin" else None
            continue
        if line.startswith("```"):
            flush()
            fenced = not fenced
            continue
        prose = bool(line.strip()) and not fenced and not re.match(r"\s*(\||#|>|- \[[ xX]\]|\$ )", line)
        if prose:
            run.append(i)
        else:
            flush()
    flush()
    return chunks


def request_body(settings: LlmSettings, chunk: Chunk) -> dict:
    return {"model": settings.model, "temperature": 0,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": f"Section: {chunk.region}\n<<<TEXT\n"
                                                     f"{redact_tokens(chunk.text)}\nTEXT>>>"}]}


def _spans(text: str) -> set[str]:
    return set(CODE_SPAN_RE.findall(text))


def _foreign_markup(answer: str, original: str) -> str | None:
    """What the answer has that may not enter a PRP unless the generated text had it: region markers or any
    HTML comment, raw HTML tags, links, images and URLs."""
    prose = CODE_SPAN_RE.sub("", answer)
    if "<!--" in prose or "-->" in prose or "dabprp:" in prose:
        return "region markers or HTML comments"
    for tag in HTML_TAG_RE.findall(prose):
        if tag not in original:
            return f"raw HTML (`{tag}`)"
    for link in LINK_RE.findall(prose):
        if link not in original:
            return f"a link or image (`{link[:60]}`)"
    return None


def plain_identifiers(text: str) -> list[str]:
    """Identifier-like tokens written outside code spans and URLs: paths (with or without `:line`), dotted
    names and snake_case names."""
    prose = LINK_RE.sub(" ", CODE_SPAN_RE.sub(" ", text))
    return [m.group(0).rstrip(".") for m in IDENTIFIER_RE.finditer(prose)
            if m.group(0).rstrip(".").lower() not in COMMON_DOTTED]


def _prose_numbers(text: str) -> list[str]:
    return NUMBER_RE.findall(LINK_RE.sub(" ", CODE_SPAN_RE.sub(" ", text)))


def check_refined(chunk: Chunk, answer: str, project: Project, plan: Plan, root: str, document: str,
                  report: Callable[[str], None], vocab: tuple[set[str], set[str]] | None = None) -> str:
    """The refined text to use for `chunk` (the deterministic text when the answer cannot be trusted).

    A sentence with a reference, identifier or number that exists neither in the project, the plan nor the
    generated PRP is dropped; an answer that then lacks a code span, identifier, number or list item of the
    generated text, or that has markup the generated text did not have, falls back to the generated text."""
    answer = (answer or "").strip()
    if not answer:
        report(f"{chunk.region}: empty answer; kept the generated text")
        return chunk.text
    if UNSAFE_RE.search(answer):
        report(f"{chunk.region}: the answer contains code, tables or headings; kept the generated text")
        return chunk.text
    foreign = _foreign_markup(answer, chunk.text)
    if foreign:
        report(f"{chunk.region}: the answer contains {foreign}, which the generated text does not; "
               "kept the generated text")
        return chunk.text
    known_numbers = set(NUMBER_RE.findall(document))
    vocab = vocab or vocabulary(project, plan)
    out_lines: list[str] = []
    for line in (x for x in answer.split("\n") if x.strip()):
        bullet = re.match(r"\s*- ", line)
        prefix, body = (line[:bullet.end()], line[bullet.end():]) if bullet else ("", line.strip())
        kept = [s.strip() for s in SENTENCE_RE.split(body) if s.strip()
                and _sentence_ok(s, chunk, project, plan, root, document, known_numbers, vocab, report)]
        if kept:
            out_lines.append(prefix + " ".join(kept))
    text = "\n".join(out_lines)
    lost = _lost_facts(chunk.text, text)
    if lost:
        report(f"{chunk.region}: the answer lost {lost}; kept the generated text")
        return chunk.text
    return text


def _sentence_ok(sentence: str, chunk: Chunk, project: Project, plan: Plan, root: str, document: str,
                 known_numbers: set[str], vocab: tuple[set[str], set[str]], report: Callable[[str], None]) -> bool:
    invented = [f"`{r.reference}`" for r in verify_text(sentence, project, plan, root, vocab)]
    for token in plain_identifiers(sentence):
        if token in chunk.text or token in document:
            continue
        if verify_text(f"`{token}`", project, plan, root, vocab) or not _known_token(token, vocab):
            invented.append(f"`{token}`")
    numbers = [f"number {n}" for n in _prose_numbers(sentence) if n not in known_numbers]
    if invented or numbers:
        report(f"{chunk.region}: dropped a sentence with an unverifiable reference ({', '.join(invented + numbers)})")
        return False
    return True


def _known_token(token: str, vocab: tuple[set[str], set[str]]) -> bool:
    names, files = vocab
    path = token.split(":")[0]
    return token in names or path in files or path in names or token.split(".")[-1] in names


def _lost_facts(original: str, refined: str) -> str | None:
    """The first facts of `original` missing from `refined`: code spans, identifiers, numbers, list items."""
    missing = sorted(_spans(original) - _spans(refined))
    if missing:
        return ", ".join(f"`{m}`" for m in missing[:5])
    names = sorted(set(plain_identifiers(original)) - set(plain_identifiers(refined)))
    if names:
        return ", ".join(f"`{m}`" for m in names[:5])
    numbers = sorted(set(_prose_numbers(original)) - set(_prose_numbers(refined)))
    if numbers:
        return ", ".join(f"number {n}" for n in numbers[:5])
    bullets = [len(re.findall(r"^\s*- ", t, flags=re.M)) for t in (original, refined)]
    if bullets[0] != bullets[1]:
        return f"list items ({bullets[0]} generated, {bullets[1]} in the answer)"
    return None


def refine(markdown: str, project: Project, plan: Plan, root: str, settings: LlmSettings,
           report: Callable[[str], None] | None = None, dry_run: bool = False) -> str:
    """The PRP with refined prose; on any API error the deterministic `markdown` unchanged."""
    report = report or (lambda message: print(f"dabprp: refine: {message}", file=sys.stderr))
    chunks = prose_chunks(markdown)
    if dry_run:
        return "\n".join(json.dumps(request_body(settings, c), indent=2) for c in chunks) + "\n"
    from dabprp.llm_http import LlmError, complete

    lines = markdown.split("\n")
    vocab = vocabulary(project, plan)
    replacements: dict[int, tuple[int, str]] = {}
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("refining", total=len(chunks))
        for chunk in chunks:
            progress.update(task, description=f"refining {chunk.region}")
            try:
                completion = complete(settings.base_url, settings.api_key, request_body(settings, chunk),
                                      settings.timeout, settings.retries)
            except LlmError as exc:
                report(f"API error: {exc}; the PRP is the generated one")
                return markdown
            answer = completion.content
            if completion.finish_reason == "content_filter":
                report(f"{chunk.region}: the model refused; kept the generated text")
                answer = ""
            refined = check_refined(chunk, answer or "", project, plan, root, markdown, report, vocab)
            replacements[chunk.start] = (len(chunk.lines), refined)
            progress.advance(task)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replacements:
            count, text = replacements[i]
            out.extend(text.split("\n"))
            i += count
        else:
            out.append(lines[i])
            i += 1
    refined_doc = "\n".join(out)
    if _fences(refined_doc) != _fences(markdown) or living.parse_items(refined_doc) != living.parse_items(markdown):
        report("the refined document changed code blocks or checklist items; the PRP is the generated one")
        return markdown
    return refined_doc


def _fences(text: str) -> list[str]:
    return re.findall(r"```.*?```", text, flags=re.S)


def _stderr_console():
    from rich.console import Console

    return Console(file=sys.stderr)
