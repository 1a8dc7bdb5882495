"""`analyze --format text`: one table per section, each row with its `path:line`."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from dabprp.facts import Project


def render_facts_text(project: Project, width: int = 120) -> str:
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    # markup and highlighting off: project values are printed as they are (`[red]` is text), in linear time
    console = Console(file=out, width=width, color_system=None, force_terminal=False, soft_wrap=False,
                      markup=False, highlight=False)

    def table(title: str, columns: Iterable[str], rows: Sequence[tuple[str, ...]]) -> None:
        if not rows:
            console.print(f"{title}: none found")
            console.print()
            return
        t = Table(title=title, title_justify="left", show_lines=False)
        for col in columns:
            t.add_column(col, overflow="fold")
        for row in rows:
            t.add_row(*(_clip(cell) for cell in row))
        console.print(t)
        console.print()

    b = project.bundle
    console.print(f"Project {project.root}: {len(project.files)} files")
    if b is None:
        console.print("Bundle: none (no databricks.yml)")
    else:
        console.print(f"Bundle {_clip(b.name or '?')} ({b.root_file}); target: {b.selected_target or 'top level'}")
        table("Targets", ("target", "mode", "default", "run_as", "root_path", "where"), [
            (t.name, t.mode or "-", "yes" if t.default else "", f"{t.run_as.kind}:{t.run_as.principal}"
             if t.run_as else "-", (t.workspace.root_path if t.workspace else None) or "-", str(t.location))
            for t in b.targets])
        table("Variables", ("name", "value", "where"), [
            (v.name, "lookup" if v.lookup else repr(v.value), str(v.location)) for v in b.variables])
        table("Jobs and tasks", ("job", "task", "type", "target", "depends_on", "where"), [
            (j.key, t.task_key, t.type, t.target or "-", ",".join(t.depends_on) or "-", str(t.location))
            for j in b.resources.jobs for t in j.tasks] + [
            (j.key, "-", "job", j.name or "-", f"max_concurrent_runs={j.max_concurrent_runs}", str(j.location))
            for j in b.resources.jobs])
        res = b.resources
        table("Other resources", ("type", "key", "name", "where"), sorted(
            [("experiment", e.key, e.name or "-", str(e.location)) for e in res.experiments]
            + [("registered_model", m.key, f"{m.catalog}.{m.schema}.{m.name}", str(m.location))
               for m in res.registered_models]
            + [("serving_endpoint", s.key, s.name or "-", str(s.location)) for s in res.model_serving_endpoints]
            + [("app", a.key, a.name or "-", str(a.location)) for a in res.apps]
            + [(o.type, o.key, o.name or "-", str(o.location))
               for o in res.models + res.secret_scopes + res.quality_monitors + res.other]))
    py = project.python
    for g in py.graphs:
        table(f"Graph {g.variable} (state {g.state_type}, entry {g.entry_point})", ("edge", "kind", "where"),
              [(f"node {n.name} -> {n.function}", "node", str(n.location)) for n in g.nodes]
              + [(f"{e.source} -> {e.target}", "conditional" if e.conditional else "edge", str(e.location))
                 for e in g.edges])
    table("Agent interface", ("class", "base", "methods", "where"), [
        (a.name, a.base, ", ".join(a.methods), str(a.location)) for a in py.agent_classes])
    table("MLflow calls", ("api", "where"), [
        (c.api + (" (commented out)" if c.commented_out else ""), str(c.location)) for c in py.mlflow_calls])
    table("Code facts", ("kind", "name", "where"), [
        (c.kind, c.name, str(c.location)) for c in py.code if c.kind not in ("config_read", "file_reference")])
    table("Secrets", ("kind", "detail", "where"),
          [("secret reference", f"{s.scope}/{s.key}", str(s.location)) for s in py.secret_refs]
          + [("hard-coded", f"{s.kind} {s.redacted}", str(s.location)) for s in py.hardcoded_secrets])
    for cfg in project.configs:
        table(f"Agent config {cfg.path}: placeholders", ("key", "value", "where"), [
            (p.key, repr(p.value), str(p.location)) for p in cfg.placeholders])
        scope = cfg.scope
        years = f"{scope.year_min}-{scope.year_max}" if scope.year_min else "-"
        console.print(f"Data scope: entities {', '.join(scope.entities) or '-'}; years {years}; "
                      f"sources {', '.join(scope.data_sources) or '-'}")
        console.print()
    table("Evaluation datasets", ("path", "records", "categories"), [
        (e.path, str(e.records), ", ".join(f"{k}={v}" for k, v in e.categories.items())) for e in project.evalsets])
    repo = project.repo
    console.print(f"Tests: {sum(len(t.tests) for t in repo.tests)} in {len(repo.tests)} files; "
                  f"CI definitions: {len(repo.ci)}; requirements: {len(repo.requirements)}")
    if project.problems:
        console.print()
        table("Problems", ("problem", "where"), [(p.message, str(p.location)) for p in project.problems])
    return out.getvalue()


MAX_CELL = 300


def _clip(text: str) -> str:
    """A value as shown in a table: at most MAX_CELL characters (the JSON output has it whole)."""
    return text if len(text) <= MAX_CELL else f"{text[:MAX_CELL]}… ({len(text)} characters)"
