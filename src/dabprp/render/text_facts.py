"""`analyze --format text`: one table per section, each row with its `path:line`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType

from dabprp.facts import Project
from dabprp.render.terminal import Col, Prerendered, Terminal, cell_text, literal, plain_table, render, table, text
from dabprp.rules.queries import hardcoded_secrets


def render_facts_text(project: Project, term: Terminal | None = None) -> str:
    term = term or Terminal()

    def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> RenderableType | Prerendered:
        if not rows:
            return text(f"{title}: none found\n", "bold")
        # `path:line` is never wrapped: it is what a reader copies
        cols = [Col(c, wrap=c != "where") for c in columns]
        cells = [[cell_text(cell) for cell in row] for row in rows]
        plain = None if term.color else plain_table(cols, cells, term.width, header=True, title=title)
        return plain or table(cols, [[literal(cell) for cell in row] for row in cells], term.width, title=title)

    items: list[RenderableType | Prerendered] = [text(f"Project {project.root}: {len(project.files)} files")]
    b = project.bundle
    if b is None:
        items.append(text("Bundle: none (no databricks.yml)"))
    else:
        items.append(text(f"Bundle {b.name or '?'} ({b.root_file}); target: {b.selected_target or 'top level'}"))
        items.append(_table("Targets", ("target", "mode", "default", "run_as", "root_path", "where"), [
            (t.name, t.mode or "-", "yes" if t.default else "", f"{t.run_as.kind}:{t.run_as.principal}"
             if t.run_as else "-", (t.workspace.root_path if t.workspace else None) or "-", t.location)
            for t in b.targets]))
        items.append(_table("Variables", ("name", "value", "where"), [
            (v.name, "lookup" if v.lookup else repr(v.value), v.location) for v in b.variables]))
        items.append(_table("Jobs", ("job", "name", "max runs", "where"), [
            (j.key, j.name or "-", j.max_concurrent_runs if j.max_concurrent_runs is not None else "-", j.location)
            for j in b.resources.jobs]))
        items.append(_table("Tasks", ("job", "task", "type", "runs", "depends_on", "where"), [
            (j.key, t.task_key, t.type, t.target or "-", ", ".join(t.depends_on) or "-", t.location)
            for j in b.resources.jobs for t in j.tasks]))
        res = b.resources
        items.append(_table("Other resources", ("type", "key", "name", "where"), sorted(
            [("experiment", e.key, e.name or "-", e.location) for e in res.experiments]
            + [("registered_model", m.key, f"{m.catalog}.{m.schema}.{m.name}", m.location)
               for m in res.registered_models]
            + [("serving_endpoint", s.key, s.name or "-", s.location) for s in res.model_serving_endpoints]
            + [("app", a.key, a.name or "-", a.location) for a in res.apps]
            + [(o.type, o.key, o.name or "-", o.location)
               for o in res.models + res.secret_scopes + res.quality_monitors + res.other],
            key=lambda row: tuple(str(c) for c in row))))
    py = project.python
    for g in py.graphs:
        items.append(_table(f"Graph {g.variable} (state {g.state_type}, entry {g.entry_point})",
                            ("from", "to", "kind", "where"),
                            [(n.name, n.function, "node", n.location) for n in g.nodes]
                            + [(e.source, e.target or "<dynamic>", "conditional" if e.conditional else "edge",
                                e.location) for e in g.edges]))
    items.append(_table("Agent interface", ("class", "base", "methods", "where"), [
        (a.name, a.base, ", ".join(a.methods), a.location) for a in py.agent_classes]))
    items.append(_table("MLflow calls", ("api", "where"), [
        (c.api + (" (commented out)" if c.commented_out else ""), c.location) for c in py.mlflow_calls]))
    items.append(_table("Code facts", ("kind", "name", "where"), [
        (c.kind, c.name, c.location) for c in py.code if c.kind not in ("config_read", "file_reference")]))
    items.append(_table("Secrets", ("kind", "detail", "where"),
                        [("secret reference", f"{s.scope}/{s.key}", s.location) for s in py.secret_refs]
                        + [("hard-coded", f"{s.kind} {s.redacted}", s.location) for s in hardcoded_secrets(project)]))
    for cfg in project.configs:
        items.append(_table(f"Agent config {cfg.path}: placeholders", ("key", "value", "where"), [
            (p.key, repr(p.value), p.location) for p in cfg.placeholders]))
        scope = cfg.scope
        years = f"{scope.year_min}-{scope.year_max}" if scope.year_min else "-"
        items.append(text(f"Data scope: entities {', '.join(scope.entities) or '-'}; years {years}; "
                          f"sources {', '.join(scope.data_sources) or '-'}\n"))
    items.append(_table("Evaluation datasets", ("path", "records", "categories"), [
        (e.path, e.records, ", ".join(f"{k}={v}" for k, v in e.categories.items())) for e in project.evalsets]))
    repo = project.repo
    items.append(text(f"Tests: {sum(len(t.tests) for t in repo.tests)} in {len(repo.tests)} files; "
                      f"CI definitions: {len(repo.ci)}; requirements: {len(repo.requirements)}"))
    if project.problems:
        items.append(text(""))
        items.append(_table("Problems", ("problem", "where"), [(p.message, p.location) for p in project.problems]))
    return render(items, term)
