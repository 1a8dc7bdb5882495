"""Databricks App names (lowercase letters, digits, hyphens, at most 30 characters): the plan gives its apps a valid
name in every target, resolved as the CLI resolves the scaffolded bundle, and never renames a deployed one."""

from __future__ import annotations

import pytest
import yaml

from dabprp.api import check, scaffold
from dabprp.knowledge import app_name_problem
from dabprp.parse.bundle_load import load_bundle
from dabprp.plan.names import app_name_for_targets, fit_app_name
from dabprp.rehearse.resolve import load_target
from tests.conftest import EXAMPLE, FIXTURES, copy_project


@pytest.mark.parametrize(("base", "target", "expected"), [
    ("docs-helper", "staging", "docs-helper-staging"),  # fits: unchanged
    ("documentation-helper-assistant", "staging", "documentation-helper-a-staging"),  # base cut, target kept
    ("multiagent-genie-app", "Prod_EU", "multiagent-genie-app-prod-eu"),  # characters an app name cannot have
    # a target too long to keep whole is cut too and ends in a hash of its name: two such targets stay apart
    ("multiagent-genie-app", "production_europe_west_1", "multiagent-gen-producti-98a588"),
    ("multiagent-genie-app", "production_europe_west_2", "multiagent-gen-producti-fdbb32"),
])
def test_fit_app_name(base, target, expected):
    assert fit_app_name(base, target) == expected
    assert app_name_problem(expected) is None


def test_the_target_template_only_where_it_is_valid_in_every_target():
    assert app_name_for_targets("multiagent-genie-app", ["dev", "staging", "prod"]) \
        == "multiagent-genie-app-${bundle.target}"
    assert app_name_for_targets("multiagent-genie-app", ["dev", "production-west"]) is None  # 36 characters
    assert app_name_for_targets("agent-app", ["dev", "prod_eu"]) is None


def app_names(project, key, targets):
    loaded = load_bundle(str(project))
    return {t: load_target(loaded, t).resource("apps", key)["name"] for t in targets}


def test_planned_app_keeps_the_target_template_when_every_target_fits(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "p")
    scaffold(str(project), serving="apps")
    serving = yaml.safe_load((project / "resources" / "serving.yml").read_text())
    assert serving["resources"]["apps"]["multiagent_genie_app"]["name"] == "multiagent-genie-app-${bundle.target}"
    assert app_names(project, "multiagent_genie_app", ("dev", "staging", "prod")) == {
        "dev": "multiagent-genie-app-dev", "staging": "multiagent-genie-app-staging",
        "prod": "multiagent-genie-app-prod"}


def test_planned_app_gets_a_fitted_name_per_target_where_the_template_fails(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "p")
    targets = ["dev", "qa", "prod_eu", "production-europe-west"]
    scaffold(str(project), serving="apps", overrides={"environments": targets})
    serving = yaml.safe_load((project / "resources" / "serving.yml").read_text())
    assert serving["resources"]["apps"]["multiagent_genie_app"]["name"] == "${var.app_name}"
    assert app_names(project, "multiagent_genie_app", targets) == {
        "dev": "multiagent-genie-app-dev", "qa": "multiagent-genie-app-qa", "prod_eu": "multiagent-genie-app-prod-eu",
        "production-europe-west": "multiagent-gen-producti-728afe"}
    assert [f for f in check(str(project)).findings if f.rule_id == "DAB918"] == []


def test_an_added_target_gets_its_own_valid_app_name_and_deployed_targets_keep_theirs(tmp_path):
    project = copy_project(FIXTURES / "app-agent", tmp_path / "app-agent")
    text = (project / "databricks.yml").read_text().replace("name: docs-helper-${bundle.target}",
                                                            "name: documentation-helper-assistant")
    (project / "databricks.yml").write_text(text[:text.index("  staging:")] + text[text.index("  prod:"):])
    scaffold(str(project))
    # `documentation-helper-assistant-staging` would be 38 characters: the added target's name is fitted
    assert app_names(project, "helper_app", ("dev", "staging", "prod")) == {
        "dev": "documentation-helper-assistant", "staging": "documentation-helper-a-staging",
        "prod": "documentation-helper-assistant"}
    assert [f for f in check(str(project)).findings if f.rule_id == "DAB918"] == []


def test_an_added_target_whose_name_makes_the_app_name_invalid_gets_a_fitted_one(tmp_path):
    project = copy_project(FIXTURES / "app-agent", tmp_path / "app-agent")
    text = (project / "databricks.yml").read_text()
    (project / "databricks.yml").write_text(text[:text.index("  staging:")] + text[text.index("  prod:"):])
    scaffold(str(project), overrides={"environments": ["dev", "staging_eu", "prod"]})
    # `docs-helper-${bundle.target}` would deploy `docs-helper-staging_eu`: the added target names its own
    assert app_names(project, "helper_app", ("dev", "staging_eu", "prod")) == {
        "dev": "docs-helper-dev", "staging_eu": "docs-helper-staging-eu", "prod": "docs-helper-prod"}
    assert [f for f in check(str(project)).findings if f.rule_id == "DAB918"] == []
