"""Terminal text: width, wrapping at spaces, colour only on a TTY, literal user values, the delayed spinner."""

from __future__ import annotations

import io
import itertools
import re
import time

import pytest
from click.testing import CliRunner

from dabprp.api import check as run_check
from dabprp.cli import main
from dabprp.render.check_out import render_check_text
from dabprp.render.terminal import Col, Terminal, detect, fold_url, progress, render, table, text
from tests.conftest import EXAMPLE, FIXTURES

PROJECTS = [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "multi-target", FIXTURES / "broken", FIXTURES / "no-bundle"]
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_no_line_wider_than_80_columns(project, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    outputs = [run("analyze", str(project))[1], run("validate", str(project), "--all-targets")[1],
               run("check", str(project), "--all-targets")[1]]
    assert outputs[0].strip() and outputs[2].strip()  # validate prints nothing without a bundle (exit 2)
    for out in outputs:
        wide = [line for line in out.splitlines() if len(line) > 80]
        assert wide == []


def test_rules_fit_80_columns_and_keep_every_url_whole_when_joined(monkeypatch):
    from dabprp.api import catalogue

    monkeypatch.setenv("COLUMNS", "80")
    out = run("rules")[1]
    assert [line for line in out.splitlines() if len(line) > 80] == []
    assert re.search(r"^DAB101 +error +stage +No staging target$", out, re.M)
    longest = max((rule for rule in catalogue() if rule.docs), key=lambda rule: max(map(len, rule.docs)))
    assert max(map(len, longest.docs)) > 75  # a URL that cannot share a line with `See: `
    for rule in catalogue():
        out = run("rules", rule.id)[1]
        assert [line for line in out.splitlines() if len(line) > 80] == [], rule.id
        assert see_links(out) == list(rule.docs), rule.id


def see_links(out: str) -> list[str]:
    """The URLs of `See:` lines: on the line itself, or the indented pieces that follow a bare `See:`."""
    links, lines = [], out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("See: "):
            links.append(line[5:])
        elif line == "See:":
            pieces = [p[2:] for p in itertools.takewhile(lambda p: re.match(r"  \S", p), lines[i + 1:])]
            links.append("".join(pieces))
    return links


def test_fold_url_cuts_after_slashes_and_joins_back():
    url = "https://docs.databricks.com/aws/en/machine-learning/model-serving/create-manage-serving-endpoints"
    assert fold_url(url, 78) == ["https://docs.databricks.com/aws/en/machine-learning/model-serving/",
                                 "create-manage-serving-endpoints"]
    for width in (20, 40, 60, 97, 200):
        pieces = fold_url(url, width)
        assert "".join(pieces) == url and all(len(p) <= width for p in pieces)
    assert fold_url("https://x.io/" + "a" * 50, 20) == ["https://x.io/", "a" * 20, "a" * 20, "a" * 10]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_check_wraps_messages_at_spaces_only(width):
    result = run_check(str(EXAMPLE))
    out = render_check_text(result, Terminal(width=width))
    tokens = set(out.split())
    for f in result.findings:
        for word in f.message.split():
            assert word in tokens, (word, f.message)  # never broken inside a word
    assert max(len(line) for line in out.splitlines()) <= width


def test_each_column_shows_its_own_value(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = run("analyze", str(EXAMPLE))[1]
    assert re.search(r"^agent_deploy_job +multiagent-genie-deploy +1 +databricks.yml:28$", out, re.M)
    assert re.search(r"^agent_evaluation_job +multiagent-genie-evaluation +1 +databricks.yml:43$", out, re.M)


def test_narrow_table_falls_back_to_one_block_per_row():
    cols = (Col("name"), Col("value"), Col("where", wrap=False))
    rows = [(text("a_rather_long_identifier"), text("another_long_unbreakable_value"), text("src/x.py:12"))]
    out = render([table(cols, rows, 40)], Terminal(width=40))
    assert out == ("  a_rather_long_identifier\n    value:\n    another_long_unbreakable_value;\n"
                   "    where: src/x.py:12\n")


def test_user_values_are_not_rich_markup(tree, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    root = tree({"databricks.yml": "bundle:\n  name: demo\nvariables:\n  odd:\n    default: '[/x] [bold]y[/bold]'\n"})
    code, out = run("analyze", str(root))
    assert code == 0 and "'[/x] [bold]y[/bold]'" in out


def test_colour_only_on_a_tty_and_never_with_no_color():
    assert detect(FakeTTY(), {"COLUMNS": "90"}) == Terminal(90, True)
    assert detect(FakeTTY(), {"COLUMNS": "90", "NO_COLOR": "1"}) == Terminal(90, False)
    assert detect(FakeTTY(), {"COLUMNS": "90", "TERM": "dumb"}) == Terminal(90, False)
    assert detect(io.StringIO(), {}) == Terminal(100, False)
    assert detect(io.StringIO(), {"COLUMNS": "72"}) == Terminal(72, False)
    result = run_check(str(EXAMPLE))
    coloured = render_check_text(result, Terminal(80, True))
    plain = render_check_text(result, Terminal(80, False))
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert ANSI_RE.sub("", coloured) == plain


def test_piped_cli_output_is_plain(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    out = run("check", str(EXAMPLE))[1]
    assert "\x1b[" not in out


def test_spinner_appears_only_on_a_tty_after_the_delay():
    tty = FakeTTY()
    with progress("analyzing", stream=tty, delay=0.05, environ={}):
        time.sleep(0.4)
    assert "analyzing" in tty.getvalue()
    quick = FakeTTY()
    with progress("analyzing", stream=quick, delay=0.5, environ={}):
        pass
    assert quick.getvalue() == ""
    piped = io.StringIO()
    with progress("analyzing", stream=piped, delay=0.0, environ={}):
        time.sleep(0.1)
    assert piped.getvalue() == ""


def test_status_lists_each_items_title(tmp_path, monkeypatch):
    import json

    from dabprp.api import plan
    from tests.conftest import copy_project

    monkeypatch.setenv("COLUMNS", "400")
    project = copy_project(EXAMPLE, tmp_path / "p")
    assert run("generate", str(project))[0] == 0
    code, out = run("status", str(project), "--format", "json")
    assert code == 0
    items = json.loads(out)["items"]
    built, _ = plan(str(project))
    titles = {i["id"]: i["title"] for i in items}
    assert {t.id: str(t.title) for t in built.roadmap} == {k: v for k, v in titles.items() if not k.startswith("G-")}
    gap_titles = sorted(v for k, v in titles.items() if k.startswith("G-"))
    assert gap_titles == sorted(f"{f.rule_id} {f.message}" for f in built.findings)
    _code, out = run("status", str(project))
    for item in items:
        assert re.search(rf"^{item['state']} +{item['id']} +{re.escape(item['title'])}", out, re.M), item
