"""The PRP summarises what repeats: at most MAX_GAPS_PER_RULE findings of one rule in the appendices, then
one line with how many more; regenerating never ticks a finding that is still open but was not listed."""

from __future__ import annotations

import re

from dabprp.api import MAX_GAPS_PER_RULE, generate


def bundle(jobs: int) -> str:
    out = ["bundle:", "  name: many", "resources:", "  jobs:"]
    for j in range(jobs):
        out += [f"    job_{j:03d}:", f"      name: job-{j}", "      tasks:", "        - task_key: t",
                "          spark_python_task:", "            python_file: src/task.py"]
    return "\n".join(out) + "\n"


def test_appendices_list_twenty_findings_per_rule_then_how_many_more(tree):
    root = tree({"databricks.yml": bundle(50), "src/task.py": "print(1)\n"})
    text, _ = generate(str(root))
    rows = [line for line in text.splitlines() if re.match(r"- \[ \] \*\*G-", line)]
    by_rule: dict[str, int] = {}
    for line in rows:
        rule = re.search(r"`(DAB\d+)`", line)
        if rule and "more `" not in line:
            by_rule[rule.group(1)] = by_rule.get(rule.group(1), 0) + 1
    assert max(by_rule.values()) == MAX_GAPS_PER_RULE
    assert "- [ ] **G-DAB208-more** 30 more `DAB208` findings like the ones above (`dabprp check` lists every one)" \
        in text


def test_regenerating_does_not_tick_findings_beyond_the_cap(tree):
    root = tree({"databricks.yml": bundle(50), "src/task.py": "print(1)\n"})
    first, _ = generate(str(root))
    second, _ = generate(str(root), existing=first)
    assert "- [x]" not in second
    assert second == first
