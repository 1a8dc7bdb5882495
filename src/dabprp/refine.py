"""`generate --refine`: LLM-rewritten prose for the PRP that cannot add false facts.

Only prose (paragraphs and bullets of the narrative sections) is sent; YAML blocks, tables, commands,
checklists and the findings appendix never are, so they cannot change. Each answer is checked sentence by
sentence with the `verify-refs` logic (and for numbers that appear nowhere in the deterministic PRP); a
sentence that fails is dropped and reported. A refined chunk that lost a reference the deterministic chunk
had, or that contains code or tables, falls back to the deterministic text. Any API error or timeout
leaves the whole deterministic PRP in place."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from dabprp import living
from dabprp.errors import DabprpError
from dabprp.facts import Project
from dabprp.parse.python_ast import redact_tokens
from dabprp.plan.model import Plan
from dabprp.verify import CODE_SPAN_RE, verify_text, vocabulary

REFINED_REGIONS = ("executive-summary", "stages", "asset-bundle-enhancements", "context-engineering-focus-areas",
                   "context-integration", "success-criteria")
SYSTEM_PROMPT = (
    "You edit one passage of a deployment plan (a PRP) for a Databricks agent project. Rewrite it to read "
    "clearly for an engineer: same meaning, same facts, same order. Rules: keep every `code span` exactly, "
    "including every path:line; do not add file names, job names, task names, variables, numbers or claims "
    "that are not in the passage; no code blocks, no tables, no headings. Answer with the rewritten passage "
    "only."
)
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
SENTENCE_RE = re.compile(r"(?<=[.!?)])\s+(?=[A-Z`(\[])|\n")
UNSAFE_RE = re.compile(r"^\s*(```|\||#)", re.M)


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


def check_refined(chunk: Chunk, answer: str, project: Project, plan: Plan, root: str, document: str,
                  report: Callable[[str], None], vocab: tuple[set[str], set[str]] | None = None) -> str:
    """The refined text to use for `chunk` (the deterministic text when the answer cannot be trusted)."""
    answer = (answer or "").strip()
    if not answer:
        report(f"{chunk.region}: empty answer; kept the generated text")
        return chunk.text
    if UNSAFE_RE.search(answer):
        report(f"{chunk.region}: the answer contains code, tables or headings; kept the generated text")
        return chunk.text
    known_numbers = set(NUMBER_RE.findall(document))
    vocab = vocab or vocabulary(project, plan)
    kept: list[str] = []
    for sentence in (s for s in SENTENCE_RE.split(answer) if s.strip()):
        invented = verify_text(sentence, project, plan, root, vocab)
        prose = CODE_SPAN_RE.sub("", sentence)  # numbers in code spans (path:line) are checked by verify_text
        numbers = [n for n in NUMBER_RE.findall(prose) if n not in known_numbers]
        if invented or numbers:
            why = ", ".join([f"`{r.reference}`" for r in invented] + [f"number {n}" for n in numbers])
            report(f"{chunk.region}: dropped a sentence with an unverifiable reference ({why})")
            continue
        kept.append(sentence.strip())
    text = " ".join(kept) if len(chunk.lines) == 1 or not chunk.lines[0].lstrip().startswith("- ") else \
        "\n".join(s if s.startswith("- ") else f"- {s}" for s in kept)
    missing = sorted(_spans(chunk.text) - _spans(text))
    if missing:
        lost = ", ".join(f"`{m}`" for m in missing[:5])
        report(f"{chunk.region}: the answer lost {lost}; kept the generated text")
        return chunk.text
    return text


def refine(markdown: str, project: Project, plan: Plan, root: str, settings: LlmSettings,
           report: Callable[[str], None] | None = None, dry_run: bool = False) -> str:
    """The PRP with refined prose; on any API error the deterministic `markdown` unchanged."""
    report = report or (lambda message: print(f"dabprp: refine: {message}", file=sys.stderr))
    chunks = prose_chunks(markdown)
    if dry_run:
        return "\n".join(json.dumps(request_body(settings, c), indent=2) for c in chunks) + "\n"
    try:
        import openai
    except ImportError:
        raise DabprpError("--refine", None, 'refinement needs the `llm` extra: pip install "dabprp[llm]"') from None
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout,
                           max_retries=settings.retries)
    lines = markdown.split("\n")
    vocab = vocabulary(project, plan)
    replacements: dict[int, tuple[int, str]] = {}
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("refining", total=len(chunks))
        for chunk in chunks:
            progress.update(task, description=f"refining {chunk.region}")
            try:
                response = client.chat.completions.create(**request_body(settings, chunk))
            except openai.OpenAIError as exc:
                report(f"API error ({type(exc).__name__}): {exc}; the PRP is the generated one")
                return markdown
            choice = response.choices[0] if response.choices else None
            answer = choice.message.content if choice and choice.message else ""
            if choice is not None and choice.finish_reason == "content_filter":
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
