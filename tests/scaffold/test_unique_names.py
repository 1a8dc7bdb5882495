"""Workspace-unique names across targets: targets scaffold adds get their own names where the project's would
collide on one workspace; existing targets keep theirs; DAB917 reports a collision at the line that names it."""

from __future__ import annotations

import yaml

from dabprp.api import generate, scaffold, validate
from dabprp.parse.bundle_load import load_bundle
from dabprp.rehearse.resolve import load_target
from tests.conftest import EXAMPLE, copy_project

SHARED_ROOT = "/Workspace/Users/rehearsal@example.com/.bundle/multiagent-genie"  # CI_ROOT_PATH, as rehearsed
JANE = "/Users/jane.doe@example.com/multiagent-genie"


def _names(root, kind: str, key: str, targets=("dev", "staging", "prod")) -> dict[str, str]:
    """The name each target deploys `kind.key` under, resolved as the CLI resolves the target."""
    loaded = load_bundle(str(root))
    return {t: load_target(loaded, t).resource(kind, key)["name"] for t in targets}


def _section(text: str, target: str) -> str:
    """The text of `targets.<target>` in a root bundle file (up to the next target or the end)."""
    start = text.index(f"\n  {target}:\n")
    following = [text.index(f"\n  {t}:\n") for t in ("dev", "staging", "prod")
                 if f"\n  {t}:\n" in text and text.index(f"\n  {t}:\n") > start]
    return text[start:min(following, default=len(text))]


def _dab917(root) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.message) for f in validate(str(root), all_targets=True).findings
            if f.rule_id == "DAB917"}


def test_added_targets_get_their_own_experiment_and_the_rule_agrees(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    scaffold(str(root))
    assert _names(root, "experiments", "multiagent_experiment") == {
        "dev": JANE, "staging": f"{SHARED_ROOT}/staging/multiagent-genie",
        "prod": f"{SHARED_ROOT}/prod/multiagent-genie"}
    assert _names(root, "secret_scopes", "multiagent_genie_secrets") == {
        "dev": "multiagent-genie-dev-rehearsal", "staging": "multiagent-genie-staging", "prod": "multiagent-genie-prod"}
    assert _names(root, "registered_models", "multiagent_genie_model") == {
        "dev": "multiagent_genie", "staging": "multiagent_genie", "prod": "multiagent_genie"}  # catalog per target
    doc = yaml.safe_load((root / "databricks.yml").read_text())
    for target in ("staging", "prod"):
        assert doc["targets"][target]["resources"]["experiments"] == {
            "multiagent_experiment": {"name": "${workspace.root_path}/multiagent-genie"}}
    assert "resources" not in doc["targets"]["dev"]  # deployed: never renamed
    assert _dab917(root) == set()
    prp, _ = generate(str(root))
    line = next(i for i, t in enumerate((root / "databricks.yml").read_text().splitlines(), 1)
                if t == f"      name: {JANE}")
    assert (f"- Experiment names: `multiagent_experiment` deploys as `{JANE}` in `dev` (`databricks.yml:{line}`); "
            "a name known only at deploy (per deploying user, or from a lookup) in `staging` (`databricks.yml:") in prp
    assert "one experiment and secret scope per environment (names in 3.4)" in prp


def test_second_scaffold_changes_nothing(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    scaffold(str(root))
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    result = scaffold(str(root))
    assert [c.path for c in result.changes if c.kind != "identical"] == []
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before


def test_rule_fires_at_the_name_when_an_added_target_loses_its_own_name(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    scaffold(str(root))
    path = root / "databricks.yml"
    text = path.read_text()
    staging = _section(text, "staging")
    override = ("      experiments:\n        multiagent_experiment:\n"
                "          name: ${workspace.root_path}/multiagent-genie\n")
    assert override in staging
    path.write_text(text.replace(staging, staging.replace(override, "")))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t == f"      name: {JANE}")
    assert _dab917(root) == {(
        "databricks.yml", line, f"experiment `multiagent_experiment` deploys as `{JANE}` on workspace "
        "`adb-1234567890123456.7.azuredatabricks.net` in targets `dev`, `staging`: the name is unique there, so "
        "the second deploy fails")}


def test_existing_targets_keep_their_names_and_sections(tmp_path):
    """dev (development mode) and staging exist; prod is added. staging keeps jane.doe's experiment (it may be
    deployed), prod would collide with it on the one host and gets its own."""
    root = copy_project(EXAMPLE, tmp_path / "genie")
    path = root / "databricks.yml"
    path.write_text(path.read_text().replace("    mode: production\n    default: true", "    mode: development\n"
                                             "    default: true")
                    + "  staging:\n    mode: production\n    workspace:\n"
                      "      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n    run_as:\n"
                      "      service_principal_name: 11111111-2222-3333-4444-555555555555\n")
    original = path.read_text()
    scaffold(str(root))
    text = path.read_text()
    assert _section(text, "dev") == _section(original, "dev")
    assert "experiments" not in _section(text, "staging")
    assert _names(root, "experiments", "multiagent_experiment", ("staging", "prod")) == {
        "staging": JANE, "prod": f"{SHARED_ROOT}/prod/multiagent-genie"}
    assert _dab917(root) == set()  # dev's experiment has a per-user prefix (development mode)


def test_targets_on_their_own_hosts_get_no_new_names(tmp_path):
    root = copy_project(EXAMPLE, tmp_path / "genie")
    path = root / "databricks.yml"
    text = path.read_text().replace("workspace:\n  host: https://adb-1234567890123456.7.azuredatabricks.net\n\n", "")
    path.write_text(text + "  staging:\n    mode: production\n    workspace:\n      host: https://staging.example.com\n"
                    "      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n")
    scaffold(str(root))
    doc = yaml.safe_load(path.read_text())
    assert "experiments" not in doc["targets"]["prod"].get("resources", {})
    assert _names(root, "experiments", "multiagent_experiment") == {"dev": JANE, "staging": JANE, "prod": JANE}
    assert _dab917(root) == set()  # dev and staging: two hosts; prod: no host (the CLI's environment decides)


def test_names_that_depend_on_the_deployer_are_not_judged(tmp_path):
    from tests.conftest import write_tree

    root = write_tree(tmp_path / "p", {"databricks.yml": (
        "bundle: {name: x}\nworkspace: {host: https://h.example.com}\nresources:\n  experiments:\n    e:\n"
        "      name: /Users/${workspace.current_user.userName}/e\n  secret_scopes:\n    s:\n      name: x-secrets\n"
        "targets:\n  a: {mode: production, workspace: {root_path: /Workspace/Shared/a}}\n"
        "  b: {mode: production, workspace: {root_path: /Workspace/Shared/b}}\n")})
    assert _dab917(root) == {("databricks.yml", 9, "secret scope `s` deploys as `x-secrets` on workspace "
                              "`h.example.com` in targets `a`, `b`: the name is unique there, so the second deploy "
                              "fails")}


def test_a_target_without_mode_deploys_its_names_unprefixed_as_the_cli_does(tree):
    root = tree({"databricks.yml": (
        "bundle:\n  name: m\nresources:\n  registered_models:\n    model:\n      catalog_name: main\n"
        "      schema_name: agents\n      name: agent\ntargets:\n  plain:\n    default: true\n"
        "  dev:\n    mode: development\n")})
    loaded = load_bundle(str(root))
    assert load_target(loaded, "plain").resource("registered_models", "model")["name"] == "agent"
    assert load_target(loaded, "dev").resource("registered_models", "model")["name"].startswith("dev_")


def test_each_developer_deploys_their_own_secret_scope(tmp_path):
    from dabprp.parse.bundle_resolve import Deployer
    from dabprp.parse.bundle_resolve import load_target as resolve

    project = copy_project(EXAMPLE, tmp_path / "p")
    scaffold(str(project))
    loaded = load_bundle(str(project))
    jane, joe = Deployer("jane@example.com", "jane", "id-"), Deployer("joe@example.com", "joe", "id-")

    def scope(target: str, who: Deployer) -> str:
        return resolve(loaded, target, who).resource("secret_scopes", "multiagent_genie_secrets")["name"]

    assert scope("dev", jane) == "multiagent-genie-dev-jane" and scope("dev", joe) == "multiagent-genie-dev-joe"
    assert scope("staging", jane) == scope("staging", joe) == "multiagent-genie-staging"
