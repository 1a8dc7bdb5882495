"""Plain findings tables are laid out byte for byte as Rich lays them out, and only plain text takes that path."""

from __future__ import annotations

import random

import pytest

from dabprp.facts import Location
from dabprp.findings import Finding, Severity, Stage
from dabprp.render import check_out
from dabprp.render.check_out import findings_by_file
from dabprp.render.plain_table import is_plain, wrap
from dabprp.render.terminal import Terminal

ALPHABET = "abcdefghij ABC  .,:;`'\"-_/()[]{}$ …—é→"


def random_message(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(0, 14)):
        length = rng.choice((0, 1, 2, 5, 9, 20, 45, 90, 130))
        words.append("".join(rng.choice(ALPHABET) for _ in range(length)))
    return rng.choice(("", " ", "  ")) + (" " * rng.randint(1, 3)).join(words) + rng.choice(("", " ", "   "))


def random_findings(rng: random.Random) -> tuple[Finding, ...]:
    found = []
    for _ in range(rng.randint(1, 12)):
        path = rng.choice(("databricks.yml", "resources/jobs.yml", "a/" + "very-long-folder-name/" * 5 + "x.py"))
        found.append(Finding(rng.choice(("DAB101", "DAB9")), "title", rng.choice(list(Severity)), Stage.DEPLOY,
                             random_message(rng), Location(path, rng.choice((1, 42, 99999))), "fix"))
    return tuple(sorted(found, key=lambda f: (f.location, f.rule_id, f.message)))


def through_rich(findings: tuple[Finding, ...], term: Terminal, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(check_out, "plain_table", lambda *args, **kwargs: None)
        return findings_by_file(findings, "summary", term)


def test_random_findings_are_laid_out_as_rich_lays_them_out(monkeypatch):
    rng = random.Random(2026)
    plain_taken = 0
    for case in range(600):
        findings = random_findings(rng)
        term = Terminal(rng.choice((40, 41, 57, 80, 100, 120, 200)), color=False)
        fast = findings_by_file(findings, "summary", term)
        assert fast == through_rich(findings, term, monkeypatch), (case, term, findings)
        plain_taken += all(is_plain(f.message) for f in findings)
    assert plain_taken > 300  # most cases took the plain path (the others prove the fallback agrees too)


def test_wrap_folds_long_words_and_keeps_trailing_spaces_as_rich_does():
    assert wrap("alpha beta gamma", 10) == ["alpha beta", "gamma"]
    assert wrap("abcdefghijklmnop qr", 6) == ["abcdef", "ghijkl", "mnop ", "qr"]
    assert wrap("", 5) == [""]


def test_only_single_width_printable_text_is_plain():
    assert is_plain("job `a` → b … é")
    assert not any(is_plain(v) for v in ("tab\there", "line\nbreak", "wide 漢字", "e\u0301", "zero\u200bwidth",
                                          "esc\x1b[31m", "nbsp\u00a0"))


def test_colour_and_non_plain_messages_go_through_rich(monkeypatch):
    finding = Finding("DAB101", "t", Severity.ERROR, Stage.DEPLOY, "wide 漢字 message", Location("a.yml", 3), "f")
    calls: list[object] = []
    real = check_out.plain_table
    monkeypatch.setattr(check_out, "plain_table", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert findings_by_file((finding,), "s", Terminal(80, color=True)).count("\x1b[") > 0
    assert calls == []  # colour: Rich only
    assert "wide 漢字 message" in findings_by_file((finding,), "s", Terminal(80))
    assert len(calls) == 1  # asked, and it declined (a wide character)


def test_random_tables_with_header_and_title_are_laid_out_as_rich_lays_them_out():
    from dabprp.render.terminal import Col, plain_table, render, table, text

    rng = random.Random(7)
    taken = 0
    for case in range(500):
        columns = [Col(rng.choice(("job", "name", "max runs", "where", "a long header")), wrap=rng.random() < 0.7)
                   for _ in range(rng.randint(1, 5))]
        rows = [[random_message(rng)[: rng.choice((5, 30, 200))] for _ in columns] for _ in range(rng.randint(1, 6))]
        title = rng.choice((None, "Jobs", "Graph workflow (state AgentState, entry supervisor) " * 2))
        width = rng.choice((40, 63, 100, 160))
        term = Terminal(width)
        plain = plain_table(columns, rows, width, header=True, title=title)
        expected = render([table(columns, [[text(c) for c in row] for row in rows], width, title=title)], term)
        if plain is not None:
            taken += 1
            assert render([plain], term) == expected, (case, width, title, rows)
    assert taken > 150  # the rest: words too long for the width (one block per row, Rich only)


def test_column_widths_measure_tabs_and_control_characters_as_rich_does():
    from rich.cells import cell_len

    from dabprp.render.terminal import Col, column_widths

    for value in ("tab\there x", "bell\x07 y", "plain text"):
        assert column_widths([Col("h")], [[value]], 80, header=False) == [cell_len(value)]
