"""Notebook sources as Python text with line numbers kept: Databricks source format and .ipynb."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dabprp.facts import Location, Magic
from dabprp.limits import load_json

NOTEBOOK_HEADER = "# Databricks notebook source"
CELL_SEPARATOR = "# COMMAND ----------"
MAGIC_PREFIX = "# MAGIC"
# A line magic (`%pip install x`), a cell magic (`%%sql`) or a shell escape (`!ls`) at the start of a line:
# never valid Python there (`% b` continuing an expression has a space, `!=` an equals sign).
MAGIC_LINE_RE = re.compile(r"^(\s*)(%%?[A-Za-z_]\w*|![A-Za-z0-9_./~$\"'-])")
# Cell magics that switch the whole cell to another language (Databricks and Jupyter).
LANGUAGE_MAGICS = frozenset({"sh", "bash", "md", "sql", "scala", "r", "fs", "html", "js", "javascript",
                             "script", "writefile", "file", "latex", "svg", "perl", "ruby", "system"})


@dataclass(slots=True)
class PythonText:
    """Python source to parse, with `line_map[i]` the file line of source line i+1."""

    kind: str
    text: str
    line_map: list[int] | None = None
    magics: list[Magic] = field(default_factory=list)
    cells: list[tuple[int, int]] = field(default_factory=list)
    """(first line, last line) of each code cell, 1-based, in `text` lines."""

    def file_line(self, line: int) -> int:
        if self.line_map is None or not (1 <= line <= len(self.line_map)):
            return line
        return self.line_map[line - 1]


def from_source(path: str, text: str) -> PythonText:
    """A `.py` file: plain Python, or a Databricks source notebook (magics recorded, bare magic lines
    blanked so the rest parses with line numbers kept)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != NOTEBOOK_HEADER:
        return PythonText("python", text)
    magics: list[Magic] = []
    cells: list[tuple[int, int]] = []
    start = 2
    for number, line in enumerate(lines, 1):
        if line.strip() == CELL_SEPARATOR:
            cells.append((start, number - 1))
            start = number + 1
    cells.append((start, len(lines)))
    out = list(lines)
    for first, last in cells:
        _cell_magics(path, out, first, last, magics, lambda n: n)
    magics.sort(key=lambda m: m.location.line)
    return PythonText("databricks-notebook", _joined(out, text), None, magics, cells)


def without_magics(path: str, text: str) -> tuple[str, list[Magic]] | None:
    """A plain `.py` file with bare magics (an IPython or notebook export without the header): the text
    with magic lines blanked and the magics, or None when it has none."""
    lines = text.splitlines()
    if not any(MAGIC_LINE_RE.match(line) for line in lines):
        return None
    magics: list[Magic] = []
    out = list(lines)
    _cell_magics(path, out, 1, len(lines), magics, lambda n: n)
    return _joined(out, text), magics


def _joined(lines: list[str], original: str) -> str:
    return "\n".join(lines) + ("\n" if original.endswith(("\n", "\r")) else "")


def _cell_magics(path: str, lines: list[str], first: int, last: int, magics: list[Magic],
                 file_line: Callable[[int], int]) -> None:
    """Record the magics of the cell `lines[first-1:last]` and blank what is not Python, in place:
    `# MAGIC` lines are comments already; a bare line magic becomes `pass` (it may sit in a block);
    a language cell magic (`%sh`, `%%sql`, `%md`) blanks the cell."""
    code = [n for n in range(first, last + 1) if lines[n - 1].strip()]
    head = lines[code[0] - 1].strip() if code else ""
    if head.startswith(MAGIC_PREFIX):
        body = head[len(MAGIC_PREFIX):].strip()
        if body.startswith("%"):
            command, _, argument = body.lstrip("%").partition(" ")
            magics.append(Magic(command, Location(path, file_line(code[0])), argument.strip()))
        for n in code[1:]:
            _magic_comment(path, lines[n - 1], n, magics, file_line)
        return
    match = MAGIC_LINE_RE.match(lines[code[0] - 1]) if code else None
    if match and (match.group(2).startswith("%%") or match.group(2).lstrip("%") in LANGUAGE_MAGICS):
        command, _, argument = head.lstrip("%").partition(" ")
        magics.append(Magic(command, Location(path, file_line(code[0])), argument.strip()))
        for n in range(first, last + 1):
            lines[n - 1] = ""
        return
    continued = False
    for n in range(first, last + 1):
        line = lines[n - 1]
        match = MAGIC_LINE_RE.match(line)
        if continued or match:
            if not continued and match:
                stripped = line.strip()
                command, _, argument = stripped.lstrip("%!").partition(" ")
                if stripped.startswith("!"):
                    command, argument = "sh", stripped[1:]
                magics.append(Magic(command, Location(path, file_line(n)), argument.strip().rstrip("\\").strip()))
                lines[n - 1] = (match.group(1) + "pass") if match else ""
            else:
                lines[n - 1] = ""
            continued = line.rstrip().endswith("\\")
        else:
            _magic_comment(path, line, n, magics, file_line)


def _magic_comment(path: str, line: str, number: int, magics: list[Magic],
                   file_line: Callable[[int], int]) -> None:
    stripped = line.strip()
    if stripped.startswith(MAGIC_PREFIX):
        body = stripped[len(MAGIC_PREFIX):].strip()
        if body.startswith("%") and not body.startswith("%%"):
            command, _, argument = body[1:].partition(" ")
            magics.append(Magic(command, Location(path, file_line(number)), argument.strip()))


def from_ipynb(path: str, text: str) -> PythonText:
    """Code cells of a Jupyter notebook joined into one source; magics blanked, line numbers kept."""
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid notebook JSON: {exc.msg}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError("notebook has no `cells` list")
    raw_lines = text.splitlines()
    cursor = 0
    out: list[str] = []
    line_map: list[int] = []
    magics: list[Magic] = []
    spans: list[tuple[int, int]] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        src_lines = ("".join(s for s in source if isinstance(s, str)) if isinstance(source, list)
                     else source if isinstance(source, str) else "").splitlines()
        first = len(out) + 1
        for src in src_lines:
            file_line, cursor = _find_line(raw_lines, src, cursor)
            out.append(src)
            line_map.append(file_line)
        _cell_magics(path, out, first, len(out), magics, lambda n: line_map[n - 1])
        spans.append((first, len(out)))
        out.append("")
        line_map.append(line_map[-1] if line_map else 1)
    magics.sort(key=lambda m: m.location.line)
    return PythonText("ipynb", "\n".join(out) + "\n", line_map, magics, spans)


def _find_line(raw_lines: list[str], src: str, cursor: int) -> tuple[int, int]:
    """The JSON file line holding `src` (nbformat writes one source line per JSON line)."""
    needle = json.dumps(src)[1:-1]
    if needle:
        for i in range(cursor, min(len(raw_lines), cursor + 400)):
            if needle in raw_lines[i]:
                return i + 1, i + 1
    return max(cursor, 1), cursor
