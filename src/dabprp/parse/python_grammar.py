"""Parse Python written for a newer interpreter than the one running dabprp: code that is valid on a
current Databricks runtime (3.12 f-strings with nested quotes, PEP 695 type parameters) is rewritten
into an equivalent older form with line numbers kept; a real syntax error is still a syntax error."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass, field

FSTRING_SENTINEL = "\x00dabprp-fstring:"
"""Prefix of the string that stands in for an f-string the running interpreter cannot parse."""
PREFIX_RE = re.compile(r"[rRbBuUfF]{0,2}$")
NEWER_GRAMMAR = sys.version_info < (3, 12)


@dataclass(slots=True)
class Parsed:
    tree: ast.Module
    fallbacks: dict[str, str] = field(default_factory=dict)
    """Sentinel string value → the original source of the f-string it replaced."""


def parse_module(text: str, tag: str = "") -> Parsed:
    """`ast.parse`, retried on the older-interpreter rewrite; raises the SyntaxError of the rewritten
    text (same line numbers) when the code is invalid under the newer grammar too."""
    try:
        return Parsed(_ast_parse(text))
    except (SyntaxError, ValueError) as first:
        if not NEWER_GRAMMAR:
            raise
        rewritten = downgrade(text, tag)
        if rewritten is None:
            raise first from None
        new_text, fallbacks = rewritten
        return Parsed(_ast_parse(new_text), fallbacks)


def _ast_parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes etc. are the project's business, not output
        return ast.parse(text)


def downgrade(text: str, tag: str = "") -> tuple[str, dict[str, str]] | None:
    """The text with PEP 701 f-strings replaced by sentinel strings and PEP 695 type parameters
    removed; None when nothing needed rewriting or the text cannot be scanned."""
    try:
        text_fs, fallbacks = _replace_fstrings(text, tag)
    except _ScanError:
        return None
    text_tp = _strip_type_params(text_fs)
    if text_tp is None:
        text_tp = text_fs
    if text_tp == text:
        return None
    return text_tp, fallbacks


class _ScanError(Exception):
    pass


def _replace_fstrings(text: str, tag: str) -> tuple[str, dict[str, str]]:
    out: list[str] = []
    fallbacks: dict[str, str] = {}
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
        elif ch in "'\"":
            j = i
            while j > 0 and text[j - 1].isalpha():
                j -= 1
            prefix = text[j:i]
            if (j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_")) or not PREFIX_RE.match(prefix):
                prefix = ""
            end, needs = _scan_string(text, i, "f" in prefix.lower(), ())
            if needs:
                original = prefix + text[i:end]
                key = f"{FSTRING_SENTINEL}{tag}{len(fallbacks)}"
                fallbacks[key] = original
                if prefix:
                    del out[len(out) - len(prefix):]
                newlines = text.count("\n", i, end)
                body = key.replace("\x00", "\\x00")
                out.append(f'"""{body}' + "\n" * newlines + '"""' if newlines else f'"{body}"')
            else:
                out.append(text[i:end])
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out), fallbacks


def _scan_string(text: str, i: int, is_f: bool, enclosing: tuple[str, ...]) -> tuple[int, bool]:
    """End index of the string literal opening at `i`, and whether it uses PEP 701 syntax."""
    quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    j = i + len(quote)
    needs = quote in enclosing or quote[0] in "".join(enclosing)
    n = len(text)
    while j < n:
        if text.startswith(quote, j):
            return j + len(quote), needs
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "\n" and len(quote) == 1:
            raise _ScanError
        if is_f and ch == "{":
            if text.startswith("{{", j):
                j += 2
                continue
            j, inner = _scan_field(text, j + 1, (*enclosing, quote))
            needs = needs or inner
            continue
        j += 1
    raise _ScanError


def _scan_field(text: str, j: int, enclosing: tuple[str, ...]) -> tuple[int, bool]:
    """From just after `{` to just after its `}`: nested strings, brackets, format spec."""
    depth = 0
    needs = False
    n = len(text)
    single_line = len(enclosing[-1]) == 1
    while j < n:
        ch = text[j]
        if ch in "'\"":
            k = j
            while k > 0 and text[k - 1].isalpha():
                k -= 1
            is_f = "f" in text[k:j].lower()
            j, inner = _scan_string(text, j, is_f, enclosing)
            needs = needs or inner
            continue
        if ch == "\\" or ch == "#" or (ch == "\n" and single_line):
            needs = True
            if ch == "#":
                end = text.find("\n", j)
                j = n if end < 0 else end
                continue
        elif ch in "([{":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "}":
            if depth == 0:
                return j + 1, needs
            depth -= 1
        elif ch == ":" and depth == 0 and not text.startswith(":=", j):
            j, inner = _scan_format_spec(text, j + 1, enclosing)
            return j, needs or inner
        j += 1
    raise _ScanError


def _scan_format_spec(text: str, j: int, enclosing: tuple[str, ...]) -> tuple[int, bool]:
    needs = False
    while j < len(text):
        ch = text[j]
        if ch == "{":
            j, inner = _scan_field(text, j + 1, enclosing)
            needs = needs or inner
            continue
        if ch == "}":
            return j + 1, needs
        if text.startswith(enclosing[-1], j) or (ch == "\n" and len(enclosing[-1]) == 1):
            raise _ScanError
        j += 1
    raise _ScanError


def _strip_type_params(text: str) -> str | None:
    """Drop PEP 695 `[T, ...]` after `def NAME` / `class NAME` and the soft keyword of `type X = ...`."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    cuts: list[tuple[tuple[int, int], tuple[int, int]]] = []
    line_start = True
    for k, tok in enumerate(tokens):
        if tok.type == tokenize.COMMENT:
            continue
        if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            line_start = True
            continue
        nxt = tokens[k + 1: k + 3]
        if tok.type == tokenize.NAME and tok.string in ("def", "class") and len(nxt) == 2 \
                and nxt[0].type == tokenize.NAME and nxt[1].string == "[":
            close = _matching(tokens, k + 2)
            if close is not None:
                cuts.append((nxt[1].start, tokens[close].end))
        elif line_start and tok.type == tokenize.NAME and tok.string == "type" and len(nxt) == 2 \
                and nxt[0].type == tokenize.NAME and nxt[1].string in ("=", "["):
            cuts.append((tok.start, nxt[0].start))
            if nxt[1].string == "[":
                close = _matching(tokens, k + 2)
                if close is not None:
                    cuts.append((nxt[1].start, tokens[close].end))
        line_start = False
    if not cuts:
        return None
    lines = text.splitlines(keepends=True)
    for (sl, sc), (el, ec) in sorted(cuts, reverse=True):
        if sl != el:
            continue  # a multi-line parameter list: leave it, the parse error stands
        line = lines[sl - 1]
        lines[sl - 1] = line[:sc] + line[ec:]
    return "".join(lines)


def _matching(tokens: list[tokenize.TokenInfo], open_index: int) -> int | None:
    depth = 0
    for k in range(open_index, len(tokens)):
        s = tokens[k].string
        if tokens[k].type == tokenize.OP and s in "([{":
            depth += 1
        elif tokens[k].type == tokenize.OP and s in ")]}":
            depth -= 1
            if depth == 0:
                return k
    return None
