"""Notebook sources as Python text with line numbers kept: Databricks source format and .ipynb."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dabprp.facts import Location, Magic

NOTEBOOK_HEADER = "# Databricks notebook source"
CELL_SEPARATOR = "# COMMAND ----------"
MAGIC_PREFIX = "# MAGIC"


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
    """A `.py` file: plain Python, or a Databricks source notebook (magics recorded)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != NOTEBOOK_HEADER:
        return PythonText("python", text)
    magics: list[Magic] = []
    cells: list[tuple[int, int]] = []
    start = 2
    in_magic_cell = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == CELL_SEPARATOR:
            cells.append((start, number - 1))
            start = number + 1
            in_magic_cell = False
            continue
        if stripped.startswith(MAGIC_PREFIX):
            body = stripped[len(MAGIC_PREFIX):].strip()
            if body.startswith("%"):
                command, _, argument = body[1:].partition(" ")
                magics.append(Magic(command, Location(path, number), argument.strip()))
                in_magic_cell = True
            elif not in_magic_cell and body:
                in_magic_cell = True
    cells.append((start, len(lines)))
    return PythonText("databricks-notebook", text, None, magics, cells)


def from_ipynb(path: str, text: str) -> PythonText:
    """Code cells of a Jupyter notebook joined into one source; magics become blank lines."""
    try:
        data = json.loads(text)
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
        src_lines = "".join(source).splitlines() if isinstance(source, list) else str(source).splitlines()
        first = len(out) + 1
        for src in src_lines:
            file_line, cursor = _find_line(raw_lines, src, cursor)
            stripped = src.strip()
            if stripped.startswith(("%", "!")):
                command, _, argument = stripped.lstrip("%!").partition(" ")
                magics.append(Magic(command, Location(path, file_line), argument.strip()))
                src = ""
            out.append(src)
            line_map.append(file_line)
        spans.append((first, len(out)))
        out.append("")
        line_map.append(line_map[-1] if line_map else 1)
    return PythonText("ipynb", "\n".join(out) + "\n", line_map, magics, spans)


def _find_line(raw_lines: list[str], src: str, cursor: int) -> tuple[int, int]:
    """The JSON file line holding `src` (nbformat writes one source line per JSON line)."""
    needle = json.dumps(src)[1:-1]
    if needle:
        for i in range(cursor, min(len(raw_lines), cursor + 400)):
            if needle in raw_lines[i]:
                return i + 1, i + 1
    return max(cursor, 1), cursor
