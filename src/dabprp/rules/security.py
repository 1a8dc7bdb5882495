"""3xx: identities, permissions and secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dabprp.facts import Literal, Location, Mapping, MappingEntry, Project, literal_str
from dabprp.findings import Hit, Severity, Stage
from dabprp.knowledge import DOCS
from dabprp.rules import rule
from dabprp.rules.queries import bundle_location, hardcoded_secrets, jobs, production_targets


@rule("DAB301", "Job runs as a user", severity=Severity.ERROR, stage=Stage.SECURITY,
      fix="Run jobs as a service principal (`run_as.service_principal_name: <application id>`).",
      docs=(DOCS["run_as"],))
def job_runs_as_user(project: Project) -> Iterator[Hit]:
    """A job that runs as a person breaks when they leave and carries their full access."""
    b = project.bundle
    if b is None:
        return
    for job in jobs(project):
        if job.run_as and job.run_as.kind == "user":
            yield Hit(job.run_as.location, f"job `{job.key}` runs as user `{job.run_as.principal}`")
    if b.run_as and b.run_as.kind == "user":
        yield Hit(b.run_as.location, f"bundle runs as user `{b.run_as.principal}`")


@rule("DAB302", "Production target without a service principal", severity=Severity.ERROR,
      stage=Stage.SECURITY,
      fix="Set `run_as.service_principal_name` on staging and prod and deploy from CI as that principal.",
      docs=(DOCS["run_as"], DOCS["oauth_m2m"]))
def production_without_sp(project: Project) -> Iterator[Hit]:
    """Production deployments should run under an auditable, non-personal identity."""
    b = project.bundle
    if b is None:
        return
    for t in production_targets(project):
        run_as = t.run_as or b.run_as
        if run_as is None or run_as.kind != "service_principal":
            who = f"user `{run_as.principal}`" if run_as else "the deploying identity"
            yield Hit(t.location, f"production target `{t.name}` runs as {who}")


@rule("DAB303", "No permissions", severity=Severity.WARNING, stage=Stage.SECURITY,
      fix="Add resource-level `permissions` (CAN_VIEW/CAN_MANAGE_RUN on jobs, CAN_QUERY on endpoints); top-level "
          "ones apply to every resource, secret scopes too (CAN_VIEW there is READ).",
      docs=(DOCS["permissions"],))
def no_permissions(project: Project) -> Iterator[Hit]:
    """Without permissions only the deployer can see, run or approve the pipeline."""
    b = project.bundle
    if b is None:
        return
    res = b.resources
    scoped = [*(r.permissions for r in res.jobs), *(r.permissions for r in res.experiments),
              *(r.permissions for r in res.model_serving_endpoints), *(r.permissions for r in res.apps)]
    anywhere = b.permissions or any(t.permissions for t in b.targets) or any(scoped)
    if not anywhere:
        yield Hit(bundle_location(project), "no `permissions` at bundle, target or job level")


@rule("DAB304", "Personal access token passed to serving", severity=Severity.ERROR, stage=Stage.SECURITY,
      fix="Declare `resources=` on `log_model` (automatic auth passthrough) or use a service principal's "
          "OAuth secret; do not pass a PAT in `environment_vars`.",
      docs=(DOCS["agents_deploy"], DOCS["oauth_m2m"]))
def pat_to_serving(project: Project) -> Iterator[Hit]:
    """A PAT in the endpoint's environment acts as one person, never rotates and leaks through logs.

    Judged per `environment_vars` entry written in the call (or in a dict bound once to a name): a key whose
    words include `pat` or `token`, or a value read from a secret or environment variable so named
    (`{{secrets/scope/my-pat}}`, `dbutils.secrets.get(scope, "my-pat")`, `os.environ["DATABRICKS_TOKEN"]`).
    An OAuth client id or secret (`DATABRICKS_CLIENT_SECRET`) is not a PAT; a dict computed at run time is
    not judged."""
    for call in project.python.calls("databricks.agents.deploy"):
        env = call.arguments.get("environment_vars")
        if isinstance(env, Mapping):
            for entry in _entries(env):
                what = _personal_token(entry)
                if what is not None:
                    yield Hit(entry.location, f"`agents.deploy` passes {what} (a personal access token) "
                              "to the serving endpoint", (call.location,))


_TOKEN_WORDS = frozenset({"pat", "token"})
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def _words(text: str) -> set[str]:
    """`DATABRICKS_GENIE_PAT`, `my-pat`, `databricksToken` → their lowercase words."""
    return {w.lower() for w in _WORD_RE.findall(text)}


def _entries(mapping: Mapping) -> Iterator[MappingEntry]:
    """The entries, with those of a dict unpacked into it (`**base`) in place."""
    for entry in mapping.entries:
        if isinstance(entry.value, Mapping) and not isinstance(entry.key, Literal):
            yield from _entries(entry.value)
        else:
            yield entry


def _personal_token(entry: MappingEntry) -> str | None:
    """What the entry passes, when its key or its source says it is a personal access token; else None."""
    key = literal_str(entry.key)
    key_words = _words(key) if key is not None else set()
    if "client" in key_words and key_words & {"id", "secret"}:
        return None  # OAuth M2M credentials of a service principal
    if key_words & _TOKEN_WORDS:
        return f"`{key}`"
    read = entry.reads
    name = literal_str(read.name) if read is not None else None
    if read is None or name is None or not _words(name) & _TOKEN_WORDS:
        return None
    source = f"secret `{name}`" if read.kind == "secret" else f"environment variable `{name}`"
    return f"`{key}` from {source}" if key is not None else source


@rule("DAB305", "Hard-coded secret", severity=Severity.ERROR, stage=Stage.SECURITY,
      fix="Move the value to a secret scope and read it with `dbutils.secrets.get` or `{{secrets/scope/key}}`.",
      docs=(DOCS["secrets"],))
def hardcoded_secret(project: Project) -> Iterator[Hit]:
    """A credential in source control is compromised the moment the repository is shared."""
    for s in hardcoded_secrets(project):
        yield Hit(s.location, f"hard-coded credential ({s.kind}); value redacted")


@rule("DAB306", "Secrets file tracked by git", severity=Severity.ERROR, stage=Stage.SECURITY,
      fix="Remove the file from the repository and add it to `.gitignore`.", docs=(DOCS["secrets"],))
def secrets_file_tracked(project: Project) -> Iterator[Hit]:
    """Files such as `.env` or `.databrickscfg` hold credentials and must not be committed."""
    for path in project.repo.tracked_secret_files:
        yield Hit(Location(path, 1), f"`{path}` looks like a secrets file and is not ignored")


@rule("DAB307", "No secret scope per environment", severity=Severity.NOTE, stage=Stage.SECURITY,
      fix="Declare a `secret_scopes` resource (named per target) and read secrets from it.",
      docs=(DOCS["secrets"],))
def no_secret_scope(project: Project) -> Iterator[Hit]:
    """Code reads secrets, but the bundle does not manage the scope, so environments share one by hand."""
    b = project.bundle
    if b is None or b.resources.secret_scopes or not project.python.secret_refs:
        return
    yield Hit(project.python.secret_refs[0].location, "secrets are read but no `secret_scopes` resource exists")
