"""What the plan reuses from the user's bundle: variables under the project's own names, include globs."""

from __future__ import annotations

import re

from dabprp.facts import Location, Project, Variable
from dabprp.plan.includes import matches_any
from dabprp.plan.model import Code, Text, text
from dabprp.records import record

# Variable names that hold the same thing as the plan's own variable, best first (the exact name wins).
EQUIVALENT_NAMES = {
    "catalog": re.compile(r"^(uc_)?catalog(_name)?$|^catalog_|_catalog$"),
    "schema": re.compile(r"^(uc_)?schema(_name)?$|^schema_|_schema$"),
    "model_name": re.compile(r"^(uc_|registered_)?model(_name)?$|_model_name$"),
    "llm_endpoint": re.compile(r"^(llm|chat|serving|model)_endpoint(_name)?$|^endpoint(_name)?$|^llm_model$"),
}
# Fields of the user's resources whose `${var.X}` names the variable for that role.
ROLE_FIELDS = {"catalog": ("catalog",), "schema": ("schema",)}
VAR_REF = re.compile(r"^\$\{var\.([A-Za-z0-9_-]+)\}$")


@record
class Reused:
    """A variable of the project that the plan uses for one of its roles."""

    role: str
    variable: str
    location: Location
    why: str | Text


def reused_variables(project: Project) -> dict[str, Reused]:
    """For each role (catalog, schema, model_name, llm_endpoint) the project's own variable, if it has one."""
    b = project.bundle
    if b is None:
        return {}
    by_name = {v.name: v for v in b.variables}
    out: dict[str, Reused] = {}
    for role, pattern in EQUIVALENT_NAMES.items():
        found = _referenced(project, role, by_name)
        if found is None and role in by_name:
            found = Reused(role, role, by_name[role].location, "same name")
        if found is None:
            named = sorted((v for v in b.variables if pattern.search(v.name) and not v.lookup),
                           key=lambda v: (v.location.path, v.location.line))
            if named:
                found = Reused(role, named[0].name, named[0].location,
                               text(Code(named[0].name), f" holds the {role}"))
        if found is not None:
            out[role] = found
    deployer = _deployer(project, by_name)
    if deployer is not None:
        out["deployer"] = deployer
    return out


def _deployer(project: Project, by_name: dict[str, Variable]) -> Reused | None:
    """The variable the project's targets already run as (`run_as.service_principal_name: ${var.X}`)."""
    b = project.bundle
    if b is None:
        return None
    for run_as in [t.run_as for t in b.targets] + [b.run_as]:
        if run_as is None or run_as.kind != "service_principal":
            continue
        ref = VAR_REF.match(run_as.principal)
        if ref and ref.group(1) in by_name:
            v = by_name[ref.group(1)]
            return Reused("deployer", v.name, v.location, text(Code("run_as"), f" at {run_as.location} uses it"))
    return None


def _referenced(project: Project, role: str, by_name: dict[str, Variable]) -> Reused | None:
    """The variable the user's registered models put in their `catalog_name` / `schema_name`."""
    b = project.bundle
    if b is None or role not in ROLE_FIELDS:
        return None
    for model in b.resources.registered_models:
        value = getattr(model, ROLE_FIELDS[role][0], None)
        ref = VAR_REF.match(value) if isinstance(value, str) else None
        if ref and ref.group(1) in by_name:
            v = by_name[ref.group(1)]
            return Reused(role, v.name, v.location,
                          text("registered model ", Code(model.key), f" uses it as its {role} ({model.location})"))
    return None


def resource_dir(project: Project, default: str = "resources") -> tuple[str, bool]:
    """The folder for new resource files, and whether the include list already covers files there.
    A folder an existing include glob matches wins; otherwise `default`, whose files are added to `include`."""
    b = project.bundle
    if b is None:
        return default, False
    patterns = [i.pattern for i in b.includes]
    probe = "dabprp_probe.yml"
    if matches_any(patterns, f"{default}/{probe}"):
        return default, True
    for pattern in patterns:
        folder = pattern.removeprefix("./").split("*", 1)[0].rstrip("/")
        if folder and "?" not in folder and "[" not in folder and matches_any(patterns, f"{folder}/{probe}"):
            return folder, True
    return default, False
