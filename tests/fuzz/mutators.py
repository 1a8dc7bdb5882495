"""Mutations of a project folder for the fuzzer: each takes the folder and a seeded Random and says what it did."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from dabprp.parse.bundle_load import ROOT_FILES

TEXT_SUFFIXES = (".yml", ".yaml", ".py", ".ipynb", ".json", ".toml", ".txt", ".csv", ".jsonl", ".md")
# Keys whose values the analyzer reads; a wrong type under any of them must be reported, not crash.
KNOWN_KEYS = (
    "bundle",
    "name",
    "include",
    "variables",
    "default",
    "targets",
    "mode",
    "workspace",
    "host",
    "root_path",
    "resources",
    "jobs",
    "tasks",
    "task_key",
    "depends_on",
    "notebook_task",
    "notebook_path",
    "spark_python_task",
    "python_file",
    "parameters",
    "job_clusters",
    "job_cluster_key",
    "new_cluster",
    "environments",
    "libraries",
    "schedule",
    "trigger",
    "email_notifications",
    "permissions",
    "run_as",
    "service_principal_name",
    "user_name",
    "level",
    "group_name",
    "experiments",
    "registered_models",
    "model_serving_endpoints",
    "config",
    "served_entities",
    "served_models",
    "entity_name",
    "entity_version",
    "traffic_config",
    "routes",
    "apps",
    "source_code_path",
    "catalog_name",
    "schema_name",
    "pipelines",
    "presets",
    "sync",
    "artifacts",
    "lookup",
    "max_concurrent_runs",
    "timeout_seconds",
    "health",
    "rules",
    "tags",
    "git_source",
    "deployment",
    "dependencies",
    "base_parameters",
    "for_each_task",
    "condition_task",
    "run_job_task",
)
WRONG_VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    10**30,
    1.5,
    float("nan"),
    float("inf"),
    True,
    "",
    "x",
    "${",
    "${var.",
    "${var.missing}",
    [],
    [None],
    [1, 2],
    ["${bundle.target}"],
    {},
    {"": None},
    {"a": [{"b": {}}]},
    [[[]]],
    {"${x}": "${y}"},
)
NEW_SYNTAX = (
    "type Alias[T] = list[T]\n",
    "def first[T](items: list[T]) -> T:\n    return items[0]\n",
    "class Box[T]:\n    item: T\n",
    "match command:\n    case {'x': x, **rest}:\n        pass\n    case [1, *others] if others:\n        pass\n",
    "try:\n    pass\nexcept* ValueError as group:\n    pass\n",
    "value = f\"{'a' + f'{1 + 2:>{3}}'}\"\n",
    "async def run():\n    async with a as b, c as d:\n        async for x in y:\n            await z\n",
    "x = (y := 10)\nprint(f'{x=}')\n",
    "def f(a, /, b, *, c):\n    return lambda *args, **kw: (yield)\n",
    "with (open('a') as a, open('b') as b):\n    pass\n",
    "import mlflow\nmlflow.genai.evaluate(data=x, scorers=[*a, *b], predict_fn=lambda **k: k)\n",
    "import mlflow\nmlflow.register_model(f'runs:/{run_id}/model', name=f'{CATALOG}.{SCHEMA}.agent')\n",
    "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\nw.genie.start_conversation(space_id=sid)\n",
)


def text_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _pick(root: Path, rng: random.Random, suffixes: tuple[str, ...] = TEXT_SUFFIXES) -> Path | None:
    files = [p for p in text_files(root) if p.suffix in suffixes]
    return rng.choice(files) if files else None


def _bundle_file(root: Path, rng: random.Random) -> Path:
    yamls = [p for p in text_files(root) if p.suffix in (".yml", ".yaml")]
    roots = [p for p in yamls if p.name in ROOT_FILES]
    if roots and rng.random() < 0.5:
        return roots[0]
    if yamls:
        return rng.choice(yamls)
    path = root / "databricks.yml"
    path.write_text("bundle:\n  name: fuzz\n", encoding="utf-8")
    return path


def byte_flip(root: Path, rng: random.Random) -> str:
    path = _pick(root, rng)
    if path is None:
        return "byte_flip: no file"
    data = bytearray(path.read_bytes())
    if not data:
        return f"byte_flip {path.name}: empty"
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] = rng.choice(
            (data[i] ^ (1 << rng.randrange(8)), rng.randrange(256), ord(rng.choice("{}[]:-&*!|>'\"#%\n\t")))
        )
    path.write_bytes(bytes(data))
    return f"byte_flip {path.relative_to(root)}"


def truncate(root: Path, rng: random.Random) -> str:
    path = _pick(root, rng)
    if path is None:
        return "truncate: no file"
    data = path.read_bytes()
    cut = rng.randrange(len(data) + 1) if data else 0
    path.write_bytes(data[:cut])
    return f"truncate {path.relative_to(root)} at {cut}"


def _paths(value: Any, limit: int = 5_000) -> list[tuple[Any, ...]]:
    """Key paths in `value`, breadth first, at most `limit` (an alias bomb expands without end)."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while queue and len(out) < limit:
        node, prefix = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            out.append((*prefix, k))
            queue.append((v, (*prefix, k)))
            if len(out) >= limit:
                break
    return out


def _set_path(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


class _Dumper(yaml.SafeDumper):
    pass


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def wrong_type(root: Path, rng: random.Random) -> str:
    """Replace the value of a known key (or a list item) with a value of another type."""
    path = _pick(root, rng, (".yml", ".yaml", ".json"))
    if path is None:
        return "wrong_type: no file"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return f"wrong_type {path.name}: unparsable"
    if not isinstance(doc, (dict, list)):
        return f"wrong_type {path.name}: scalar"
    paths = _paths(doc)
    known = [p for p in paths if p and p[-1] in KNOWN_KEYS] or paths
    if not known:
        return f"wrong_type {path.name}: empty"
    done = []
    for _ in range(rng.randint(1, 4)):
        target = rng.choice(known)
        value = rng.choice(WRONG_VALUES)
        try:
            _set_path(doc, target, value)
        except (KeyError, IndexError, TypeError):
            continue
        done.append(f"{'.'.join(map(str, target))}={value!r}")
    try:
        text = json.dumps(doc) if path.suffix == ".json" else _dump(doc)
    except (ValueError, yaml.YAMLError, RecursionError):
        return f"wrong_type {path.name}: undumpable"
    path.write_text(text, encoding="utf-8")
    return f"wrong_type {path.relative_to(root)}: {', '.join(done)}"


def deep_nesting(root: Path, rng: random.Random) -> str:
    depth = rng.choice((200, 1_000, 5_000, 50_000, 200_000))
    kind = rng.choice(("yaml-flow", "yaml-block", "python", "ipynb", "json-eval", "yaml-include"))
    if kind == "yaml-flow":
        path = _bundle_file(root, rng)
        text = path.read_text(encoding="utf-8", errors="replace")
        text += "\nvariables:\n  deep:\n    default: " + "[" * depth + "]" * depth + "\n"
    elif kind == "yaml-block":
        path = _bundle_file(root, rng)
        depth = min(depth, 20_000)
        lines = ["resources:", "  jobs:", "    deep:", "      tasks:", "        - task_key: t", "          x:"]
        lines += ["  " * (6 + i) + f"k{i}:" for i in range(depth)]
        text = "\n".join(lines) + "\n"
    elif kind == "python":
        path = root / "src" / f"deep_{depth}.py"
        text = "import mlflow\nx = " + "(" * depth + "1" + ")" * depth + "\n"
        if rng.random() < 0.5:
            text = "import mlflow\nx = " + "f(" * depth + ")" * depth + "\n"
        if rng.random() < 0.3:
            text = (
                "".join("    " * i + "if x:\n" for i in range(min(depth, 5000))) + "    " * min(depth, 5000) + "pass\n"
            )
    elif kind == "ipynb":
        path = root / f"deep_{depth}.ipynb"
        text = '{"cells": [{"cell_type": "code", "source": ' + "[" * depth + "]" * depth + "}]}"
    elif kind == "json-eval":
        path = root / "data" / "evals" / "eval_set.json"
        text = "[" + '{"inputs": ' * depth + "1" + "}" * depth + "]"
    else:
        path = _bundle_file(root, rng)
        text = "include:\n" + "".join(f"  - {'x/' * (depth % 300)}*.yml\n" for _ in range(3))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"deep_nesting {kind} depth {depth} in {path.relative_to(root)}"


def alias_bomb(root: Path, rng: random.Random) -> str:
    path = _bundle_file(root, rng)
    levels = rng.choice((5, 9, 12, 20))
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    where = rng.choice(("top", "variables", "resources"))
    if where == "variables":
        lines += ["variables:", "  bomb:", f"    default: *a{levels - 1}"]
    elif where == "resources":
        lines += ["resources:", "  jobs:", "    bomb:", f"      tasks: *a{levels - 1}", f"      tags: *a{levels - 1}"]
    else:
        lines.append(f"bomb: *a{levels - 1}")
    text = path.read_text(encoding="utf-8", errors="replace")
    text = (
        "\n".join(lines)
        + "\n"
        + "\n".join(line for line in text.splitlines() if not line.startswith(("variables:", "resources:")))
    )
    path.write_text(text + "\n", encoding="utf-8")
    return f"alias_bomb {levels} levels at {where} in {path.relative_to(root)}"


def merge_keys(root: Path, rng: random.Random) -> str:
    path = _bundle_file(root, rng)
    text = "base: &base\n  max_concurrent_runs: 1\n  tasks: [{task_key: a}]\nloop: &loop {<<: *base}\n"
    text += "resources:\n  jobs:\n" + "".join(
        f"    j{i}:\n      <<: [*base, *loop]\n      name: j{i}\n" for i in range(rng.randint(1, 50))
    )
    path.write_text(path.read_text(encoding="utf-8", errors="replace") + "\n" + text, encoding="utf-8")
    return f"merge_keys in {path.relative_to(root)}"


def duplicate_keys(root: Path, rng: random.Random) -> str:
    path = _bundle_file(root, rng)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        return "duplicate_keys: empty"
    start = rng.randrange(len(lines))
    block = lines[start : start + rng.randint(1, 12)]
    at = rng.randrange(len(lines) + 1)
    lines[at:at] = block * rng.randint(1, 3)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"duplicate_keys {path.relative_to(root)} lines {start}+{len(block)} at {at}"


def encoding(root: Path, rng: random.Random) -> str:
    path = _pick(root, rng)
    if path is None:
        return "encoding: no file"
    data = path.read_bytes()
    how = rng.choice(("bom", "crlf", "cr", "latin1", "utf16", "lone-surrogate", "bom-crlf", "nul"))
    if how == "bom":
        data = b"\xef\xbb\xbf" + data
    elif how == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif how == "cr":
        data = data.replace(b"\n", b"\r")
    elif how == "latin1":
        data = data.decode("utf-8", errors="replace").encode("latin-1", errors="replace") + b"\n# caf\xe9 \xff\xfe\n"
    elif how == "utf16":
        data = data.decode("utf-8", errors="replace").encode("utf-16")
    elif how == "lone-surrogate":
        data += b"\n# \xed\xa0\x80\n"
    elif how == "bom-crlf":
        data = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    else:
        i = rng.randrange(len(data) + 1)
        data = data[:i] + b"\x00" + data[i:]
    path.write_bytes(data)
    return f"encoding {how} {path.relative_to(root)}"


def huge_file(root: Path, rng: random.Random) -> str:
    kind = rng.choice(
        ("py-lines", "py-one-line", "yaml-jobs", "yaml-dollar", "binary", "ipynb-cells", "md-prp", "csv-evals",
         "yaml-root-size")
    )
    size = rng.choice((40_000, 400_000, 4_000_000, 9_500_000))
    if kind == "py-lines":
        path = root / "src" / "huge.py"
        unit = "import mlflow\nmlflow.log_metric('m', 1.0)\nx = {'a': [1, 2, 3], 'b': (4, 5)}\n"
        data = (unit * (size // len(unit) + 1))[:size].rsplit("\n", 1)[0].encode() + b"\n"
    elif kind == "py-one-line":
        path = root / "src" / "huge_line.py"
        data = b"x = [" + b"1, " * (size // 3) + b"]\n"
    elif kind == "yaml-jobs":
        path = root / "resources" / "huge.yml"
        unit = (
            "    j{i}:\n      name: j{i}-${{bundle.target}}\n      tasks:\n        - task_key: a\n"
            "          notebook_task: {{notebook_path: ../src/nb.py}}\n"
        )
        parts = ["resources:\n  jobs:\n"]
        total, i = 0, 0
        while total < size:
            chunk = unit.format(i=i)
            parts.append(chunk)
            total += len(chunk)
            i += 1
        data = "".join(parts).encode()
        bundle = _bundle_file(root, rng)
        text = bundle.read_text(encoding="utf-8", errors="replace")
        if "include:" not in text:
            bundle.write_text(text + "\ninclude:\n  - resources/*.yml\n", encoding="utf-8")
    elif kind == "yaml-root-size":  # the root file itself large: what scaffold would edit (round trip)
        path = next((root / n for n in ROOT_FILES if (root / n).is_file()), root / "databricks.yml")
        text = path.read_bytes() if path.exists() else b"bundle:\n  name: huge\n"
        unit = b"  k{i}: {{name: j, tasks: [{{task_key: a}}]}}\n"
        lines = [unit.replace(b"{i}", str(i).encode()).replace(b"{{", b"{").replace(b"}}", b"}")
                 for i in range(size // len(unit))]
        data = text.rstrip(b"\n") + b"\nx-huge:\n" + b"".join(lines)
    elif kind == "yaml-dollar":
        path = _bundle_file(root, rng)
        data = ('variables:\n  v:\n    default: "' + "${" * (size // 2) + '"\n').encode()
        if rng.random() < 0.5:
            data = ("bundle:\n  name: " + "${var." * (size // 6) + "\n").encode()
    elif kind == "binary":
        path = _pick(root, rng) or root / "databricks.yml"
        data = rng.randbytes(min(size, 1_000_000))
    elif kind == "ipynb-cells":
        path = root / "many_cells.ipynb"
        n = max(10, size // 100)
        cells = [
            {
                "cell_type": "code",
                "source": ["import mlflow\n", f"mlflow.log_metric('m{i}', {i})\n"],
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
            for i in range(n)
        ]
        data = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1).encode()
    elif kind == "md-prp":
        path = root / "PRPs" / "multi-stage-deployment.md"
        data = ("<!-- dabprp:begin x -->\n" * (size // 60) + "- [ ] <!-- item -->\n").encode()
    else:
        path = root / "data" / "evals" / "eval.csv"
        data = ("inputs,expectations\n" + '"' * (size // 10) + ",x\n" + "a," * (size // 4) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"huge_file {kind} {len(data)} bytes at {path.relative_to(root)}"


def broken_ipynb(root: Path, rng: random.Random) -> str:
    choices: list[Any] = [
        {"cells": None},
        {"cells": {}},
        {"cells": [None, 1, "x", []]},
        {"cells": [{"cell_type": "code"}]},
        {"cells": [{"cell_type": "code", "source": None}]},
        {"cells": [{"cell_type": "code", "source": [1, None, {}]}]},
        {"cells": [{"cell_type": "code", "source": {"a": 1}}]},
        {"cells": [{"cell_type": ["code"], "source": "x"}]},
        {"cells": [{"cell_type": "code", "source": "%pip install x\n!ls\n%run ./other\nimport mlflow\n"}]},
        {"cells": [{"cell_type": "code", "source": ["%%sql\n", "SELECT 1\n"]}]},
        {"cells": [{"cell_type": "code", "source": ["def f(:\n"]}]},
        [],
        1,
        "nb",
        None,
        {"cells": [{"cell_type": "code", "source": "\x00"}]},
        {"cells": [{"cell_type": "code", "source": ["x = float('nan')\n"], "outputs": [{"data": float("nan")}]}]},
    ]
    doc = rng.choice(choices)
    path = root / "src" / f"broken_{rng.randrange(1000)}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc)
    if rng.random() < 0.2:
        text = text[: rng.randrange(len(text) + 1)]
    path.write_text(text, encoding="utf-8")
    return f"broken_ipynb {path.relative_to(root)}: {text[:80]}"


def newer_python(root: Path, rng: random.Random) -> str:
    path = root / "src" / f"modern_{rng.randrange(1000)}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(rng.sample(NEW_SYNTAX, rng.randint(1, 4)))
    path.write_text(text, encoding="utf-8")
    return f"newer_python {path.relative_to(root)}"


def notebook_magics(root: Path, rng: random.Random) -> str:
    path = root / "src" / f"nb_{rng.randrange(1000)}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = ["# Databricks notebook source"]
    for _ in range(rng.randint(1, 30)):
        cells.append(
            rng.choice(
                (
                    "# MAGIC %pip install -U mlflow databricks-agents\n",
                    "# MAGIC %run ./config\n",
                    "# MAGIC %sql\n# MAGIC SELECT 1",
                    "# MAGIC %md\n# MAGIC # Title",
                    "dbutils.library.restartPython()",
                    "import mlflow\nmlflow.set_experiment('/x')",
                    "# MAGIC %",
                    "# MAGIC",
                    "# MAGIC %%%%",
                    "# MAGIC %run",
                    "x = (",
                    "# COMMAND ----------",
                )
            )
        )
    text = "\n\n# COMMAND ----------\n\n".join(cells) + "\n"
    if rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    path.write_text(text, encoding="utf-8")
    return f"notebook_magics {path.relative_to(root)}"


def corrupt_settings(root: Path, rng: random.Random) -> str:
    how = rng.choice(("yaml-types", "yaml-bytes", "toml-types", "toml-broken", "yaml-list", "yaml-nan"))
    if how.startswith("yaml"):
        path = root / ".dabprp.yaml"
        if how == "yaml-bytes":
            path.write_bytes(b"environments: [dev, \xff\xfe]\nthresholds:\n  x: \x80\n")
        elif how == "yaml-list":
            path.write_text("- a\n- b\n", encoding="utf-8")
        elif how == "yaml-nan":
            path.write_text(
                "thresholds:\n  correctness/mean: .nan\nerror_rate_budget: .inf\nlatency_p95_ms: .nan\n"
                "rollout_steps: [.nan, -5, 1000]\n",
                encoding="utf-8",
            )
        else:
            key = rng.choice(
                (
                    "environments",
                    "catalogs",
                    "schema",
                    "service_principals",
                    "secret_scopes",
                    "thresholds",
                    "rollout_steps",
                    "serving",
                    "latency_p95_ms",
                    "error_rate_budget",
                    "notification_email",
                    "approver_group",
                    "consumer_group",
                    "admin_group",
                    "select",
                    "ignore",
                    "per_path_ignores",
                    "severity_overrides",
                    "min_eval_records",
                )
            )
            value = rng.choice(
                (*WRONG_VALUES, {"x": [1]}, {"correctness/mean": "high"}, ["dev", None, 3], [[]], {"a": {"b": 1}})
            )
            try:
                path.write_text(_dump({key: value}), encoding="utf-8")
            except yaml.YAMLError:
                path.write_text(f"{key}: [\n", encoding="utf-8")
        return f"corrupt_settings {how}: {path.read_bytes()[:100]!r}"
    path = root / "pyproject.toml"
    if how == "toml-broken":
        path.write_bytes(b"[tool.dabprp\nenvironments = [\n\xff")
    else:
        key = rng.choice(
            (
                "environments",
                "thresholds",
                "rollout_steps",
                "catalogs",
                "select",
                "severity_overrides",
                "serving",
                "latency_p95_ms",
            )
        )
        value = rng.choice(("1", '"x"', "[1, 2]", "{a = 1}", "[[1]]", "true", "nan", "inf", "{x = {y = [1]}}"))
        path.write_text(f'[project]\nname = "x"\n[tool.dabprp]\n{key} = {value}\n', encoding="utf-8")
    return f"corrupt_settings {how}: {path.read_bytes()[:100]!r}"


def corrupt_manifest(root: Path, rng: random.Random) -> str:
    path = root / ".dabprp" / "scaffold.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = rng.choice(
        (
            '{"files": {"databricks.yml": 1}}',
            "[]",
            "{",
            "null",
            '{"files": []}',
            '{"files": {"a": {"sha256": []}}}',
            '{"files": {"../../etc/passwd": "x"}}',
            '{"version": "x", "files": null}',
            "\xff\xfe",
            "NaN",
            '{"files": {"src/stages/__init__.py": {"sha256": NaN}}}',
            '{"files": {"": "abc"}}',
        )
    )
    path.write_text(doc, encoding="utf-8", errors="surrogateescape")
    return f"corrupt_manifest {doc[:60]!r}"


def dollar_refs(root: Path, rng: random.Random) -> str:
    path = _bundle_file(root, rng)
    n = rng.choice((100, 2_000, 40_000 // 4))
    piece = rng.choice(("${", "${var.", "${var.x", "$${", "${resources.jobs.", "${bundle.target}${"))
    text = path.read_text(encoding="utf-8", errors="replace")
    text += '\nvariables:\n  v:\n    default: "' + piece * n + '"\n'
    path.write_text(text, encoding="utf-8")
    return f"dollar_refs {piece!r} x {n} in {path.relative_to(root)}"


def nan_values(root: Path, rng: random.Random) -> str:
    path = _bundle_file(root, rng)
    text = path.read_text(encoding="utf-8", errors="replace")
    text += (
        "\nvariables:\n  nan:\n    default: .nan\n  inf:\n    default: -.inf\n  big:\n    default: 1e400\n"
        "  int:\n    default: 0x_1F\n  date:\n    default: 2001-12-14t21:59:43.10-05:00\n"
    )
    path.write_text(text, encoding="utf-8")
    return f"nan_values in {path.relative_to(root)}"


def broken_evals(root: Path, rng: random.Random) -> str:
    folder = root / "data" / "evals"
    folder.mkdir(parents=True, exist_ok=True)
    choice = rng.choice(
        (
            ("eval.csv", 'inputs,expectations\n"unterminated\n'),
            ("eval.csv", "a\x00b,c\n"),
            ("eval.csv", "\ufeffinputs\r\n1\r"),
            ("eval.csv", "inputs," + "x" * 200_000 + "\n"),
            ("eval.json", "[NaN, Infinity, -Infinity]"),
            ("eval.json", '{"records": 1}'),
            ("eval.jsonl", '{"inputs": 1}\n[\n{"a": NaN}\n'),
            ("eval.json", '[{"inputs": {"question": ["x", {"y": null}]}}]'),
            ("eval_set.yaml", "- inputs: *x\n"),
            ("eval.json", "1e99999"),
        )
    )
    (folder / choice[0]).write_text(choice[1], encoding="utf-8")
    return f"broken_evals {choice[0]}: {choice[1][:60]!r}"


def many_files(root: Path, rng: random.Random) -> str:
    n = rng.choice((200, 2_000))
    folder = root / "src" / "many"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"m{i}.py").write_text(f"import mlflow\nmlflow.log_metric('m{i}', {i})\n", encoding="utf-8")
    return f"many_files {n}"


def include_loop(root: Path, rng: random.Random) -> str:
    bundle = _bundle_file(root, rng)
    (root / "loop").mkdir(exist_ok=True)
    try:
        os.symlink("..", root / "loop" / "up")
        os.symlink(".", root / "loop" / "self")
    except OSError:
        pass
    text = bundle.read_text(encoding="utf-8", errors="replace")
    bundle.write_text(text + "\ninclude:\n  - loop/**/*.yml\n  - '**/*.yml'\n  - '**'\n", encoding="utf-8")
    return "include_loop"


MUTATORS: tuple[Callable[[Path, random.Random], str], ...] = (
    byte_flip,
    byte_flip,
    truncate,
    wrong_type,
    wrong_type,
    wrong_type,
    deep_nesting,
    alias_bomb,
    merge_keys,
    duplicate_keys,
    encoding,
    huge_file,
    broken_ipynb,
    newer_python,
    notebook_magics,
    corrupt_settings,
    corrupt_manifest,
    dollar_refs,
    nan_values,
    broken_evals,
    many_files,
    include_loop,
)


HEAVY = (huge_file, many_files)


def mutate(root: Path, rng: random.Random, count: int | None = None, light: bool = False) -> list[str]:
    """Apply 1-3 mutations (or `count`) to the project at `root`; the list says what was done. `light` leaves
    out the multi-megabyte files and the thousands of files (for the CI run)."""
    pool = [m for m in MUTATORS if not (light and m in HEAVY)]
    return [rng.choice(pool)(root, rng) for _ in range(count or rng.randint(1, 3))]
