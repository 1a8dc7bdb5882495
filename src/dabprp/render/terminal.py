"""Terminal text: width and colour from the output stream, Rich renderables to a string, a delayed spinner."""

from __future__ import annotations

import io
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from dabprp.records import record

if TYPE_CHECKING:  # Rich loads when text is laid out, not for JSON output or the spinner's TTY check
    from rich.console import RenderableType
    from rich.text import Text

PIPED_WIDTH = 100
"""Width of text written to a file or pipe when `COLUMNS` is not set: fixed, so output is deterministic."""
MIN_WIDTH = 40
PROGRESS_DELAY_S = 1.0
TRAILING_SPACE_RE = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.M)
"""Rich pads table cells to the full width; the padding at a line's end (before any style reset) goes."""
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}
STATE_STYLE = {"done": "green", "open": "yellow", "regressed": "bold red"}


@record
class Terminal:
    """How text is laid out: the line width and whether ANSI colour is used."""

    width: int = PIPED_WIDTH
    color: bool = False


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def detect(stream: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> Terminal:
    """`COLUMNS` or the terminal's width (a pipe: `PIPED_WIDTH`); colour only on a TTY, never with `NO_COLOR`."""
    env = os.environ if environ is None else environ
    stream = stream if stream is not None else sys.stdout
    tty = _is_tty(stream)
    width = PIPED_WIDTH
    columns = env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif tty:
        import shutil  # with its compression modules: only for a terminal

        width = shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    color = (tty or bool(env.get("FORCE_COLOR"))) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"
    return Terminal(max(width, MIN_WIDTH), color)


@record
class Prerendered:
    """Lines already laid out for the terminal (`plain_table`), written as they are."""

    lines: tuple[str, ...]


def render(items: Iterable[RenderableType | Prerendered], term: Terminal) -> str:
    """Print the renderables into a string at the terminal's width, with ANSI styles only when colour is on."""
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(file=out, width=term.width, color_system="standard" if term.color else None,
                      force_terminal=term.color, no_color=not term.color, highlight=False, markup=False,
                      emoji=False, soft_wrap=False, legacy_windows=False, _environ={})
    for item in items:
        if isinstance(item, Prerendered):
            out.write("".join(f"{line}\n" for line in item.lines))
            continue
        # a no-wrap Text (a URL) is printed whole: the terminal may fold it, the text never splits it
        console.print(item, soft_wrap=isinstance(item, Text) and bool(item.no_wrap))
    return TRAILING_SPACE_RE.sub(r"\1", out.getvalue())


MAX_CELL = 300
"""Longest value shown in a cell; the JSON output has it whole."""


def cell_text(value: object) -> str:
    """A cell's text: at most MAX_CELL characters of the value, so a huge value costs nothing to lay out."""
    value = str(value)
    return f"{value[:MAX_CELL]}… ({len(value)} characters)" if len(value) > MAX_CELL else value


def text(value: object, style: str = "") -> Text:
    """A literal cell (`cell_text`): user values are never read as Rich markup (`[/x]` stays `[/x]`)."""
    return literal(cell_text(value), style)


def literal(value: str, style: str = "") -> Text:
    """`value` as it is (already a `cell_text`), never read as Rich markup."""
    from rich.text import Text

    return Text(value, style=style)


@record
class Col:
    """A table column: its header, alignment, and whether its cells may wrap at spaces."""

    header: str
    justify: str = "left"
    wrap: bool = True


GAP = 2


def table(columns: Sequence[Col], rows: Sequence[Sequence[Text]], width: int, title: str | None = None,
          header: bool = True) -> RenderableType:
    """A borderless table that fits `width` without splitting a word: each column gets at least its longest
    word and the rest is shared by need. When even that is too wide, one block per row instead."""
    from rich import box
    from rich.table import Table

    widths = column_widths(columns, [[cell.plain for cell in row] for row in rows], width, header)
    if widths is None:
        return _blocks(columns, rows, title)
    # with a header rule the box adds a one-space separator between columns, so the padding is one less
    grid = Table(box=box.SIMPLE_HEAD if header else None, show_header=header, show_edge=False, pad_edge=False,
                 padding=(0, GAP - 1 if header else GAP, 0, 0), title=title, title_justify="left",
                 title_style="bold", expand=False)
    for c, w in zip(columns, widths, strict=True):
        grid.add_column(c.header, justify=c.justify, width=w, no_wrap=not c.wrap,  # type: ignore[arg-type]
                        overflow="fold")
    for row in rows:
        grid.add_row(*row)
    return grid


def column_widths(columns: Sequence[Col], rows: Sequence[Sequence[str]], width: int, header: bool = True
                  ) -> list[int] | None:
    """Each column's width in a table of `width` whose cells hold these texts (see `table`); None when even
    the longest words do not fit."""
    cells = [[c.header] if header else [] for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            cells[i].append(cell)
    natural = [_widest(col, words=False) for col in cells]
    words = [_widest(col, words=True) if c.wrap else natural[i]
             for i, (c, col) in enumerate(zip(columns, cells, strict=True))]
    room = width - GAP * (len(columns) - 1)
    if sum(words) > room:
        return None
    return natural if sum(natural) <= room else _share(words, natural, room)


def _widest(texts: Sequence[str], words: bool) -> int:
    """The widest line (or word) of `texts`, in terminal cells."""
    best = 0
    for value in texts:
        if value.isascii() and value.isprintable():  # one line; a cell per character
            width = max(map(len, value.split()), default=0) if words else len(value)
        else:
            width = max(map(_cells, value.split() if words else value.splitlines()), default=0)
        best = max(best, width)
    return best


def _cells(value: str) -> int:
    """Terminal cells of `value` (ASCII: one per character, without Rich's per-character measure)."""
    if value.isascii() and value.isprintable():  # a tab or control character is Rich's to measure
        return len(value)
    from rich.cells import cell_len

    return cell_len(value)


def plain_table(columns: Sequence[Col], rows: Sequence[Sequence[str]], width: int, indent: int = 0,
                header: bool = False, title: str | None = None) -> Prerendered | None:
    """`table` of these texts, indented by `indent`, laid out without Rich when every cell (and the title) is
    plain text (`plain_table`; colour off, the caller decides); None otherwise, or for the one-block-per-row
    layout."""
    from dabprp.render.plain_table import plain_rows

    widths = column_widths(columns, rows, width - indent, header)
    if widths is None:
        return None
    lines = plain_rows(rows, widths, [c.justify == "right" for c in columns], GAP, indent,
                       [c.header for c in columns] if header else None, title)
    return None if lines is None else Prerendered(tuple(lines))


def _share(minimum: list[int], natural: list[int], room: int) -> list[int]:
    """Minimum widths plus the spare room, shared in proportion to what each column still wants."""
    want = [n - m for m, n in zip(minimum, natural, strict=True)]
    spare = room - sum(minimum)
    total = sum(want) or 1
    widths = [m + spare * w // total for m, w in zip(minimum, want, strict=True)]
    widths[want.index(max(want))] += room - sum(widths)
    return widths


def _blocks(columns: Sequence[Col], rows: Sequence[Sequence[Text]], title: str | None) -> RenderableType:
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts: list[RenderableType] = [Text(title, style="bold")] if title else []
    for row in rows:
        rest = Text()
        for i, (c, cell) in enumerate(zip(columns[1:], row[1:], strict=True)):
            rest.append(("; " if i else "") + f"{c.header}: ")
            rest.append_text(cell)
        parts += [Padding(row[0], (0, 0, 0, 2)), Padding(rest, (0, 0, 0, 4))]
    return Group(*parts)


def fold_url(url: str, width: int) -> list[str]:
    """`url` cut into pieces of at most `width` characters, each ending after a `/` where one is near; joined,
    the pieces are the URL again."""
    pieces: list[str] = []
    rest = url
    while len(rest) > width:
        cut = rest.rfind("/", 0, width) + 1
        cut = cut if cut > width // 3 else width
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [*pieces, rest] if rest else pieces


def heading(value: str, style: str = "bold") -> Text:
    from rich.text import Text

    return Text(value, style=style)


class _DelayedSpinner:
    """A transient spinner on stderr that appears only if the work is still running after `delay` seconds."""

    def __init__(self, message: str, stream: IO[str], delay: float) -> None:
        from rich.console import Console

        self._console = Console(file=stream, stderr=True, force_terminal=True, highlight=False, markup=False)
        self._status = self._console.status(message, spinner="dots")
        self._lock = threading.Lock()
        self._done = False
        self._started = False
        self._timer = threading.Timer(delay, self._start)
        self._timer.daemon = True

    def _start(self) -> None:
        with self._lock:
            if not self._done:
                self._status.start()
                self._started = True

    def __enter__(self) -> _DelayedSpinner:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            if self._started:
                self._status.stop()


@contextmanager
def progress(message: str, stream: IO[str] | None = None, delay: float = PROGRESS_DELAY_S,
             environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """Show `message` with a spinner on stderr while the block runs longer than `delay`; only on a TTY."""
    env = os.environ if environ is None else environ
    stream = stream if stream is not None else sys.stderr
    tty = _is_tty(stream)
    if not tty or env.get("TERM") == "dumb" or env.get("CI"):
        yield
        return
    with _DelayedSpinner(message, stream, delay):
        yield
