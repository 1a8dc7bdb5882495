"""Who can read each environment's secrets after scaffold: the bundle CLI applies top-level and target-level
`permissions` to every resource, a secret scope too (CAN_VIEW there is READ, CAN_MANAGE is MANAGE), so the
readers are the scope's own ACL plus those. A broad consumer group must not be among them in any target."""

from __future__ import annotations

import pytest

from dabprp.api import scaffold
from dabprp.parse.bundle_load import effective_tree, load_bundle
from tests.conftest import EXAMPLE, FIXTURES, copy_into

SCOPE_LEVEL = {"CAN_VIEW": "READ", "CAN_RUN": "READ", "CAN_MANAGE": "MANAGE"}


def readers(tree: dict) -> dict[str, str]:
    """principal → secret-scope permission, for every scope of the effective tree."""
    out = {}
    for scope in ((tree.get("resources") or {}).get("secret_scopes") or {}).values():
        entries = [(p, p["level"]) for p in scope.get("permissions") or []]
        entries += [(p, SCOPE_LEVEL.get(p["level"], p["level"])) for p in tree.get("permissions") or []]
        for p, level in entries:
            out[p.get("group_name") or p.get("service_principal_name") or p.get("user_name")] = level
    return out


@pytest.mark.parametrize("source", [EXAMPLE, FIXTURES / "rag-apps", FIXTURES / "app-agent"], ids=lambda p: p.name)
def test_no_broad_group_reads_an_environments_secrets(source, tmp_path):
    root = copy_into(source, tmp_path)
    scaffold(str(root))
    loaded = load_bundle(str(root))
    variables = (loaded.tree.get("variables") or {})
    broad = variables.get("consumer_group", {}).get("default")
    targets = sorted(loaded.tree.get("targets") or {})
    seen = {}
    for target in targets:
        tree, _ = effective_tree(loaded, target)
        seen[target] = readers(tree)
        assert "${var.consumer_group}" not in seen[target] and broad not in seen[target], (target, seen[target])
    if source == EXAMPLE:
        assert seen == {"dev": {"${var.admin_group}": "MANAGE"},
                        "prod": {"${var.admin_group}": "MANAGE", "${var.deployer_sp}": "READ"},
                        "staging": {"${var.admin_group}": "MANAGE", "${var.deployer_sp}": "READ"}}
