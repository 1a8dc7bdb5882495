"""The resources the build logs the agent with: the project's own `log_model(resources=...)`, reused."""

from __future__ import annotations

from dabprp.facts import Expr, Literal, MlflowCall, ModelResource, Project, Unknown
from dabprp.plan.model import Evidence, LoggedResource, prose
from dabprp.plan.pipeline import own_calls


def declaring_call(project: Project) -> MlflowCall | None:
    """The project's own `log_model` call the build follows (its first)."""
    return next(iter(own_calls(project, "mlflow.pyfunc.log_model")), None)


def logged_resources(project: Project, config: str | None) -> tuple[tuple[LoggedResource, ...],
                                                                     tuple[Evidence, ...]]:
    """The entries of the project's first `log_model(resources=...)` the build can declare, and what it cannot
    (with why). `config` is the agent configuration the build reads (its `--config`)."""
    log = declaring_call(project)
    if log is None:
        return (), (Evidence("resources", "the project logs no model"),)
    if "resources" not in log.arguments:
        return (), (Evidence("resources", prose("the project's `log_model` declares no `resources` (DAB407)"),
                             log.location),)
    entries = [r for r in project.python.of(ModelResource) if r.logged_at == log.location]
    if not entries:
        return (), (Evidence("resources", prose("`resources={value}` is computed at run time",
                                                value=log.args["resources"]),
                             log.location),)
    known: list[LoggedResource] = []
    unknown: list[Evidence] = []
    for entry in entries:
        args: list[tuple[str, str, str | int | float | bool | None]] = []
        for keyword, value in sorted(entry.args.items()):
            if isinstance(value, Literal) and not isinstance(value.value, tuple):
                args.append((keyword, "value", value.value))
            elif isinstance(value, Expr) and value.config_key and config:
                args.append((keyword, "config_key", value.config_key))
            else:
                source = value.source if isinstance(value, Expr) else \
                    value.reason if isinstance(value, Unknown) else repr(value.value)
                unknown.append(Evidence("resource", prose("`{name}`: `{keyword}` is `{source}`, computed at run time",
                                                          name=entry.name, keyword=keyword, source=source),
                                        entry.location))
                break
        else:
            known.append(LoggedResource(entry.name, tuple(args), entry.location))
    return tuple(known), tuple(unknown)
