"""Command line: arguments in, library call, renderer, exit code. No analysis here."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from dabprp.errors import DabprpError
from dabprp.version import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def write_output(text: str, output: str | None, root: str | None = None, report: bool = False,
                 force: bool = False) -> None:
    """Print, or write atomically to `output` (temp file + fsync + rename: never half-written). A path inside
    `root` that a symbolic link leads out of, a link, or a non-regular file is refused. `report`: an
    `analyze`/`check` report, written under the project's lock when `output` is inside `root`, replacing an
    existing file only when it is a dabprp report (or empty) unless `force`."""
    if output is None:
        click.echo(text, nl=False)
        return
    from dabprp.confined_io import atomic_write, lexically_inside, project_lock

    inside = report and root is not None and os.path.isdir(root) and lexically_inside(root, output)
    with project_lock(root) if inside and root is not None else contextlib.nullcontext():
        if report and not force:
            _refuse_foreign_file(output, root)
        atomic_write(output, text, root=root)


def _refuse_foreign_file(output: str, root: str | None) -> None:
    """An existing `output` that is not a dabprp report (a bundle file, a README, ...) is not replaced."""
    from dabprp.confined_io import confine, lexically_inside, read_bytes
    from dabprp.limits import MAX_FILE_BYTES
    from dabprp.render.own_output import is_dabprp_report

    if root is not None and lexically_inside(root, output):
        confine(root, output)
    try:
        data = read_bytes(output, limit=MAX_FILE_BYTES, shown=output)
    except FileNotFoundError:
        return
    except DabprpError as exc:
        if "not a regular file" in exc.message:
            raise
        data = b"\0"  # larger than any report dabprp writes
    if not is_dabprp_report(data.decode("utf-8", errors="replace")):
        raise DabprpError(output, None, "exists and is not a report dabprp wrote; --force replaces it")


def guarded(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Turn DabprpError into `path:line: message` on stderr and exit 2."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = fn(*args, **kwargs)
        except DabprpError as exc:
            click.echo(f"dabprp: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        sys.exit(code or EXIT_OK)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def echo_changes(changes: Any, dry_run: bool, conflict_reason: str | None = None) -> None:
    """One line per planned file change (stderr for a dry run, whose stdout is the diff)."""
    for change in changes:
        if change.kind == "identical":
            continue
        verb = {"create": "create", "update": "update", "conflict": "keep"}[change.kind]
        prefix = "would " if dry_run and change.kind != "conflict" else ""
        reason = conflict_reason if change.kind == "conflict" and conflict_reason and change.reason.startswith(
            "exists") else change.reason
        click.echo(f"{prefix}{verb:<7} {change.path}" + (f" ({reason})" if reason else ""), err=dry_run)


def terminal(output: str | None = None) -> Any:
    """Layout for text written to stdout (width, colour) or to a file (fixed width, no colour)."""
    from dabprp.render.terminal import detect

    return detect(sys.stdout if output is None else io.StringIO())


def progress(message: str) -> Any:
    """A spinner on stderr (TTY only) once the command has run for a second."""
    from dabprp.render.terminal import progress as spinner

    return spinner(message)


def report_problems(problems: Any) -> None:
    for p in problems:
        click.echo(f"{p.location}: {p.message}", err=True)


def entry_point() -> None:
    """The `dabprp` command (console script and `python -m dabprp`): `main`, in a process that ends with it.

    The OS takes the process's memory back, so the interpreter's final collection and tear-down, which visit
    every object once more (about a tenth of a short command's CPU time), are skipped: the objects are frozen
    out of the collector, and when nothing is registered to run at exit (no atexit callback, no other thread),
    the process exits at once after flushing stdout and stderr."""
    import gc

    try:
        main()
    except SystemExit as exc:
        gc.freeze()
        if (exc.code is None or isinstance(exc.code, int)) and _nothing_runs_at_exit():
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except Exception:  # a closed pipe: the interpreter's own exit reports it
                raise exc from None
            os._exit(exc.code or 0)
        raise


def _nothing_runs_at_exit() -> bool:
    """No atexit callback and no thread (nor thread-exit callback) that a normal interpreter exit would run."""
    import atexit
    import threading

    callbacks = getattr(atexit, "_ncallbacks", None)
    thread_callbacks = getattr(threading, "_threading_atexits", None)
    return (callbacks is not None and callbacks() == 0 and thread_callbacks == []
            and threading.active_count() == 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dabprp")
def main() -> None:
    """dabprp: from a Databricks agent project to a multi-stage deployment plan (PRP)."""


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--target", "-t", default=None, help="Show the effective configuration of this target.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", default=None, help="Write to this file instead of stdout.")
@click.option("--recursive", "-r", is_flag=True,
              help="Every bundle under PATH (automatic when PATH holds several bundles and none of its own).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for --recursive (default: the CPU count).")
@click.option("--force", is_flag=True, help="Let -o replace an existing file that is not a dabprp report.")
@guarded
def analyze(path: str, target: str | None, fmt: str, output: str | None, recursive: bool, jobs: int | None,
            force: bool) -> int:
    """Statically analyze the project at PATH and list its facts with `path:line`."""
    if _monorepo(path, recursive):
        return _run_monorepo(path, "analyze", jobs, fmt, output, force, target=target)
    from dabprp.analyze import analyze as run
    from dabprp.analyze import unreadable_bundle

    with progress("analyzing"):
        project = run(path, target)
    if fmt == "json":
        from dabprp.render.json_out import render_json

        text = render_json(project)
    else:
        from dabprp.render.text_facts import render_facts_text

        text = render_facts_text(project, terminal(output))
    write_output(text, output, root=path, report=True, force=force)
    report_problems(project.problems)
    return EXIT_INPUT if unreadable_bundle(project) else EXIT_OK


@main.command()
@click.argument("name", type=click.Choice(["facts", "plan"]))
@guarded
def schema(name: str) -> int:
    """Print the JSON Schema of `analyze --format json` (facts) or `generate --format json` (plan)."""
    if name == "facts":
        from dabprp.facts_schema import facts_schema

        data = facts_schema()
    else:
        from dabprp.facts_schema import plan_schema

        data = plan_schema()
    click.echo(json.dumps(data, indent=2, sort_keys=False))
    return EXIT_OK


@main.command()
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "md"]), default="text", show_default=True,
              help="`md`: the rule reference (docs/rules.md).")
@guarded
def rules(rule_id: str | None, fmt: str) -> int:
    """List the rules, or show the documentation of RULE_ID."""
    from dabprp.api import catalogue, explain

    if fmt == "md":
        from dabprp.render.rules_doc import render_rules_markdown
        from dabprp.rules import RETIRED

        write_output(render_rules_markdown(catalogue(), RETIRED), None)
        return EXIT_OK
    if rule_id:
        from dabprp.render.text_rules import render_rule_text

        write_output(render_rule_text(explain(rule_id), terminal()), None)
        return EXIT_OK
    from dabprp.render.text_rules import render_rules_text

    write_output(render_rules_text(catalogue(), terminal()), None)
    return EXIT_OK


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("-o", "--output", default=None, help="Output file (default: PATH/PRPs/multi-stage-deployment.md).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--target", "-t", default=None, help="Analyze this target's effective configuration.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print instead of writing a file.")
@click.option("--force", is_flag=True, help="Regenerate from scratch instead of updating the existing PRP.")
@click.option("--refine", is_flag=True, help="Rewrite the prose with an LLM (OpenAI-compatible API); facts are kept.")
@click.option("--refine-dry-run", is_flag=True, help="Print the LLM requests --refine would send; send nothing.")
@click.option("--llm-base-url", default=None, help="Chat-completions base URL (env DABPRP_LLM_BASE_URL; default: "
              "$DATABRICKS_HOST/serving-endpoints).")
@click.option("--llm-model", default=None, help="Model or serving endpoint name (env DABPRP_LLM_MODEL).")
@click.option("--llm-timeout", type=float, default=None, help="Seconds per request (default 60).")
@click.option("--llm-retries", type=int, default=None, help="Retries with backoff per request (default 2).")
@click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE",
              help="Override a setting, e.g. --set environments=dev,qa,prod --set thresholds.correctness/mean=0.85 "
                   "--set serving=apps (repeatable).")
@guarded
def generate(path: str, output: str | None, fmt: str, target: str | None, to_stdout: bool, force: bool,
             refine: bool, refine_dry_run: bool, llm_base_url: str | None, llm_model: str | None,
             llm_timeout: float | None, llm_retries: int | None, set_values: tuple[str, ...]) -> int:
    """Write the PRP (multi-stage deployment blueprint) for the project at PATH.

    An existing PRP is updated in place: generated regions are refreshed, items now done are ticked,
    and text written outside the regions is kept."""
    from dabprp.api import generate as run
    from dabprp.api import read_prp
    from dabprp.confined_io import project_lock
    from dabprp.settings import parse_overrides

    overrides = parse_overrides(set_values)
    default_name = "multi-stage-deployment.md" if fmt == "md" else "multi-stage-deployment.json"
    destination = output or os.path.join(path, "PRPs", default_name)
    refiner = None
    if (refine or refine_dry_run) and fmt == "md":
        import functools

        from dabprp.refine import llm_settings
        from dabprp.refine import refine as refine_prose

        settings = llm_settings(llm_base_url, llm_model, llm_timeout, llm_retries)
        refiner = functools.partial(refine_prose, root=path, settings=settings, dry_run=refine_dry_run)
        if refine_dry_run:
            text, _ = run(path, target=target, fmt=fmt, refiner=refiner, overrides=overrides)
            write_output(text, None)
            return EXIT_OK

    if not os.path.isdir(path):
        raise DabprpError(path, None, "no such directory" if not os.path.exists(path) else "not a directory")
    with contextlib.nullcontext() if to_stdout else project_lock(path):
        existing = read_prp(destination, root=path)
        own = existing is not None and is_own_output(existing, fmt)
        if existing is not None and not own and not force and not to_stdout:
            raise DabprpError(destination, None, "exists and is not a PRP that dabprp wrote; --force replaces it")
        update = existing if own and fmt == "md" and not force else None
        with progress("refining the PRP" if refine and fmt == "md" else "generating the PRP"):
            text, project = run(path, target=target, fmt=fmt, existing=update, refiner=refiner, overrides=overrides,
                                existing_path=destination,
                                report=lambda note: click.echo(f"dabprp: {note}", err=True))
        report_problems(project.problems)
        if to_stdout:
            write_output(text, None)
            return EXIT_OK
        write_output(text, destination, root=path)
    click.echo(destination)
    return EXIT_OK


def is_own_output(text: str, fmt: str) -> bool:
    """Whether `text` is a PRP (or plan JSON) that dabprp wrote, so `generate` may update it without --force."""
    if fmt == "md":
        from dabprp.living import is_living_document

        return is_living_document(text)
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and {"bundle_name", "roadmap"} <= set(data)


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--target", "-t", default=None, help="Validate this target (default: the default target).")
@click.option("--all-targets", is_flag=True, help="Validate every target.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--recursive", "-r", is_flag=True,
              help="Every bundle under PATH (automatic when PATH holds several bundles and none of its own).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for --recursive (default: the CPU count).")
@guarded
def validate(path: str, target: str | None, all_targets: bool, fmt: str, strict: bool, recursive: bool,
             jobs: int | None) -> int:
    """Validate the bundle offline: official JSON schema plus semantic checks. Exit 1 when invalid."""
    if target and all_targets:
        raise DabprpError(path, None, "use --target or --all-targets, not both")
    if _monorepo(path, recursive):
        return _run_monorepo(path, "validate", jobs, fmt, None, False, target=target, all_targets=all_targets,
                             strict=strict)
    from dabprp.api import validate as run

    with progress("validating"):
        report = run(path, target, all_targets, strict)
    if fmt == "json":
        from dabprp.render.validation import render_validation_json

        write_output(render_validation_json(report), None)
    else:
        from dabprp.render.validation import render_validation_text

        write_output(render_validation_text(report, terminal()), None)
    if report.unreadable:
        click.echo("\n".join(f"dabprp: {line}" for line in report.unreadable), err=True)
        return EXIT_INPUT
    return EXIT_OK if report.valid else EXIT_FINDINGS


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--target", "-t", default=None, help="Check this target's effective configuration.")
@click.option("--all-targets", is_flag=True, help="Validate every target.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True)
@click.option("-o", "--output", default=None, help="Write to this file instead of stdout.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "never"]), default="error",
              show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--select", multiple=True, help="Only these rule IDs or prefixes (repeatable or comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rule IDs or prefixes (repeatable or comma-separated).")
@click.option("--baseline", default=None, help="Report only findings not in this baseline file.")
@click.option("--write-baseline", is_flag=True, help="Write the current findings to --baseline and exit 0.")
@click.option("--recursive", "-r", is_flag=True,
              help="Every bundle under PATH (automatic when PATH holds several bundles and none of its own).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for --recursive (default: the CPU count).")
@click.option("--force", is_flag=True,
              help="Let -o (or --write-baseline) replace an existing file that is not a dabprp report.")
@guarded
def check(path: str, target: str | None, all_targets: bool, fmt: str, output: str | None, fail_on: str,
          select: tuple[str, ...], ignore: tuple[str, ...], baseline: str | None, write_baseline: bool,
          recursive: bool, jobs: int | None, force: bool) -> int:
    """Run the rules and the validate checks together; a CI gate (exit 1 on findings at --fail-on)."""
    if target and all_targets:
        raise DabprpError(path, None, "use --target or --all-targets, not both")
    if write_baseline and not baseline:
        raise DabprpError(path, None, "--write-baseline needs --baseline FILE")
    from dabprp.api import check as run
    from dabprp.report import Scope, baseline_text, exit_code, load_baseline

    def split(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().upper() for item in values for v in item.split(",") if v.strip())

    unreadable = False
    if _monorepo(path, recursive):
        from dabprp.monorepo import merge_checks, run_bundles

        outcomes = run_bundles(path, "check", jobs, target=target, all_targets=all_targets,
                               select=split(select), ignore=split(ignore))
        unreadable = _report_unreadable(outcomes)
        known = load_baseline(baseline) if baseline and not write_baseline else None
        result = merge_checks(outcomes, known)
    else:
        with progress("checking"):
            result = run(path, Scope(target, all_targets, split(select), split(ignore),
                                     None if write_baseline else baseline))
    if write_baseline:
        assert baseline is not None
        write_output(baseline_text(result), baseline, root=path, report=True, force=force)
        click.echo(f"wrote {len(result.findings)} finding(s) to {baseline}", err=True)
        return EXIT_OK
    from dabprp.render import check_out, sarif

    renderers = {"text": lambda r: check_out.render_check_text(r, terminal(output)),
                 "json": check_out.render_check_json, "github": check_out.render_check_github,
                 "sarif": sarif.render_sarif}
    write_output(renderers[fmt](result), output, root=path, report=True, force=force)
    if result.unreadable:
        click.echo("\n".join(f"dabprp: {line}" for line in result.unreadable), err=True)
    return EXIT_INPUT if unreadable else exit_code(result, fail_on)


def _monorepo(path: str, recursive: bool) -> bool:
    if not recursive and not os.path.isdir(path):
        return False
    from dabprp.monorepo import holds_several_bundles

    return recursive or holds_several_bundles(path)


def _report_unreadable(outcomes: Any) -> bool:
    """Print each bundle that could not be read (`path:line: message`); whether there was one."""
    for o in outcomes:
        if o.error:
            click.echo(f"dabprp: {o.error}", err=True)
    return any(o.error for o in outcomes)


def _run_monorepo(path: str, command: str, jobs: int | None, fmt: str, output: str | None, force: bool,
                  **options: Any) -> int:
    """analyze/validate over every bundle under `path`: one report, exit 2 if a bundle could not be read."""
    from dabprp.monorepo import render, run_bundles

    outcomes = run_bundles(path, command, jobs, **options)
    write_output(render(outcomes, command, fmt, path), output, root=path, report=True, force=force)
    if _report_unreadable(outcomes):
        return EXIT_INPUT
    if command == "validate" and not all(o.result.valid for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_OK


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--prp", default=None, help="The PRP file (default: PATH/PRPs/multi-stage-deployment.md).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def status(path: str, prp: str | None, fmt: str) -> int:
    """Re-check every item of an existing PRP: done, open or regressed (exit 1 if anything regressed)."""
    from dabprp.status import status as run

    with progress("re-checking the PRP"):
        report = run(path, prp)
    if fmt == "json":
        write_output(json.dumps(report.to_data(path), indent=2, ensure_ascii=False) + "\n", None)
    else:
        from dabprp.render.text_status import render_status_text

        write_output(render_status_text([(i.state, i.id, i.title, i.evidence) for i in report.items], terminal()),
                     None)
    return EXIT_FINDINGS if report.count("regressed") else EXIT_OK


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Print the unified diff of every change; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files you wrote or edited, and apply planned target values.")
@click.option("--serving", type=click.Choice(["model-serving", "apps"]), default=None,
              help="Serving path (default: from settings, else Apps when the bundle has an app).")
@click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE", help="Override a setting (see generate).")
@guarded
def scaffold(path: str, dry_run: bool, force: bool, serving: str | None, set_values: tuple[str, ...]) -> int:
    """Write the multi-stage bundle files, stage code, tests and CI that the plan describes."""
    from dabprp.api import scaffold as run
    from dabprp.settings import parse_overrides

    with progress("scaffolding"):
        result = run(path, dry_run=dry_run, force=force, serving=serving, overrides=parse_overrides(set_values))
    if dry_run:
        write_output(result.diff(), None)
    echo_changes(result.changes, dry_run)
    for note in result.notes:
        click.echo(f"note: {note}", err=dry_run)
    if not any(c.kind in ("create", "update") for c in result.changes):
        click.echo("nothing to do: the project already has everything the plan scaffolds", err=dry_run)
    elif not dry_run:
        click.echo("next: dabprp validate . --all-targets --strict && pytest -q tests && "
                   "databricks bundle validate --strict -t staging && dabprp generate .")
    return EXIT_OK


@main.command("diff")
@click.argument("path", default=".", type=click.Path())
@click.option("--base", default=None, metavar="GIT_REF",
              help="Compare the bundle committed at GIT_REF (read with git, no checkout) with the working tree. "
                   "Default: compare the project with what `dabprp scaffold` would make of it.")
@click.option("--target", "-t", default=None, help="Only this target.")
@click.option("--all-targets", is_flag=True, help="Every target (the default).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--allow-destroy", is_flag=True, help="Exit 0 even when something deployed is destroyed, "
                                                    "recreated or moved.")
@guarded
def diff_command(path: str, base: str | None, target: str | None, all_targets: bool, fmt: str,
                 allow_destroy: bool) -> int:
    """What a change does to the deployed resources of each target: created, modified (fields), deleted,
    renamed or recreated (destroy + create), and deployment-state moves. Exit 1 when anything deployed would
    be destroyed, recreated or moved."""
    from dabprp.diff import diff
    from dabprp.diff.render import render_json, render_text

    if target and all_targets:
        raise click.UsageError("--target and --all-targets exclude each other")
    report = diff(path, base=base, target=target)
    write_output((render_json if fmt == "json" else render_text)(report, allow_destroy), None)
    return EXIT_FINDINGS if report.destructive and not allow_destroy else EXIT_OK


@main.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--target", "-t", default=None, help="Target to rehearse (default: staging, else the default target).")
@click.option("--agent", type=click.Choice(["good", "bad"]), default="good", show_default=True,
              help="Stand-in agent: `good` answers with the expected responses, `bad` with wrong ones.")
@click.option("--canary-fault", is_flag=True, help="The candidate fails on the endpoint: its canary must roll back.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", default=None, help="Write the report to this file instead of stdout.")
@guarded
def rehearse(path: str, target: str | None, agent: str, canary_fault: bool, fmt: str, output: str | None) -> int:
    """Run the scaffolded pipeline locally in job order (MLflow store, stand-in agent and judges, fake
    workspace on 127.0.0.1). Exit 0 only when the candidate was promoted."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise DabprpError(path, None, "rehearse needs MLflow: pip install 'dabprp[rehearse]'") from None
    from dabprp.rehearse import rehearse as run
    from dabprp.rehearse.report import render_json, render_text, step_line

    def progress(step: Any) -> None:
        click.echo(step_line(step), err=True)

    report = run(path, target, agent, canary_fault, progress if sys.stderr.isatty() else None)
    write_output(render_json(report) if fmt == "json" else render_text(report), output)
    return EXIT_OK if report.promoted else EXIT_FINDINGS


@main.command("verify-refs")
@click.argument("file", type=click.Path())
@click.option("--project", "project_path", default=".", type=click.Path(),
              help="The project the Markdown is about (default: the current directory).")
@guarded
def verify_refs(file: str, project_path: str) -> int:
    """Report every reference in FILE that does not exist in the project or its plan (exit 1 if any)."""
    from dabprp.verify import verify_file

    invented = verify_file(file, project_path)
    for ref in invented:
        click.echo(f"{file}:{ref.line}: `{ref.reference}`: {ref.reason}")
    if invented:
        click.echo(f"{len(invented)} unverifiable reference(s)", err=True)
        return EXIT_FINDINGS
    click.echo(f"{file}: every reference exists", err=True)
    return EXIT_OK


@main.command()
@click.option("--root", default=".", type=click.Path(), show_default=True,
              help="Project root; every tool path is confined to it.")
@guarded
def mcp(root: str) -> int:
    """Serve dabprp's tools to MCP clients over stdio (needs the `mcp` extra)."""
    from dabprp.mcp_server import serve

    serve(root)
    return EXIT_OK


@main.group()
def init() -> None:
    """Set up integrations with coding assistants."""


@init.command("claude")
@click.argument("path", default=".", type=click.Path())
@click.option("--force", is_flag=True, help="Overwrite existing files and the existing `dabprp` MCP entry.")
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
@guarded
def init_claude(path: str, force: bool, dry_run: bool) -> int:
    """Write the Claude Code `generate-prp` subagent and slash command, and register `dabprp mcp` in .mcp.json."""
    from dabprp.integrations.claude import init_claude as run

    result = run(path, force=force, dry_run=dry_run)
    if dry_run:
        write_output(result.diff(), None)
    echo_changes(result.changes, dry_run, conflict_reason="exists; --force replaces it")
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    if not dry_run:
        click.echo("next: in Claude Code run /generate-prp", err=False)
    return EXIT_OK
