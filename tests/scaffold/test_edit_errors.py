"""A bundle scaffold cannot edit is one `path:line: message` line, in `scaffold` and in the PRP."""

from __future__ import annotations

from click.testing import CliRunner

from dabprp.api import generate
from dabprp.cli import main
from tests.conftest import write_tree

DUPLICATE_TASK_KEY = """bundle:
  name: dup
resources:
  jobs:
    j:
      tasks:
        - task_key: a
          task_key: b
"""


def test_a_duplicate_key_is_one_line(tmp_path):
    project = write_tree(tmp_path / "p", {"databricks.yml": DUPLICATE_TASK_KEY})
    result = CliRunner().invoke(main, ["scaffold", str(project), "--dry-run"])
    assert result.exit_code == 2
    assert result.stderr == ('dabprp: databricks.yml:8: cannot edit: found duplicate key "task_key" with value "b" '
                             '(original value: "a")\n')
    text, _ = generate(str(project))
    assert '`dabprp scaffold` would not edit this bundle yet (databricks.yml:8: cannot edit: found duplicate key ' \
           '"task_key" with value "b" (original value: "a")).' in text
