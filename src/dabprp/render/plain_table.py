"""Rows of plain text laid out as `terminal.table` lays them out with Rich, without Rich.

Rich costs about a quarter of a millisecond per table cell: 29,000 findings took 7 s to print. When colour is
off and every cell is plain single-width text on one line (no tab, no control character, no wide character),
the layout is simple enough to write directly: the same wrapping rule as Rich (words keep their trailing
spaces, a word that fits nowhere is folded), the same padding. Anything else goes to Rich. The tests compare
both on random rows."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

_WORD = re.compile(r"\s*\S+\s*")  # Rich's word: the spaces before and after included


def is_plain(value: str) -> bool:
    """One line of printable characters that Rich measures as one cell each (no tab, newline, control,
    format, combining or wide character)."""
    if not value.isprintable():
        return False
    if value.isascii():
        return True
    from rich.cells import cell_len

    return cell_len(value) == len(value)


def wrap(value: str, width: int) -> list[str]:
    """`value` cut into lines of at most `width` characters, as Rich's word wrap with fold cuts it."""
    if len(value) <= width or width <= 0:
        return [value]
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(value):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:  # folded into pieces of `width` (trailing spaces included)
            pieces = [word[i:i + width] for i in range(0, len(word), width)] or [word]
            for i, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if i == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(value)]
    return [value[a:b][:width] for a, b in itertools.pairwise(bounds)]


def plain_rows(rows: Sequence[Sequence[str]], widths: Sequence[int], right: Sequence[bool], gap: int,
               indent: int, header: Sequence[str] | None = None, title: str | None = None) -> list[str] | None:
    """The lines of a borderless table (columns `gap` apart, `indent` spaces in, no trailing spaces): the
    `title` wrapped to the table's width, the `header` row over a rule, then the rows; None when a cell is
    not plain text."""
    texts = [cell for row in rows for cell in row] + list(header or ()) + ([title] if title is not None else [])
    if not all(is_plain(cell) for cell in texts):
        return None
    lead, between = " " * indent, " " * gap
    total = sum(widths) + gap * (len(widths) - 1)
    out = [(lead + line).rstrip(" ") for line in wrap(title, total)] if title else []  # Rich: "" is no title

    def add(row: Sequence[str], bottom: bool = False) -> None:
        if all(len(cell) <= width for cell, width in zip(row, widths, strict=True)):  # one line: most rows
            out.append((lead + between.join(cell.rstrip().rjust(width) if is_right else cell.ljust(width)
                                            for cell, width, is_right in zip(row, widths, right, strict=True))
                        ).rstrip(" "))
            return
        cells = []
        for cell, width, is_right in zip(row, widths, right, strict=True):
            lines = wrap(cell, width)
            cells.append([line.rstrip().rjust(width) for line in lines] if is_right
                         else [line.ljust(width) for line in lines])
        height = max(len(c) for c in cells)
        if bottom:  # Rich sets header cells on the row's last line
            cells = [[" " * w] * (height - len(c)) + c for c, w in zip(cells, widths, strict=True)]
        for i in range(height):
            parts = [c[i] if i < len(c) else " " * w for c, w in zip(cells, widths, strict=True)]
            out.append((lead + between.join(parts)).rstrip(" "))

    if header is not None:
        add(header, bottom=True)
        out.append(lead + "\u2500" * total)
    for row in rows:
        add(row)
    return out
