"""Resources the bundle schema accepted, remembered across runs in the user's cache directory.

Importing the schema validator and compiling the bundle schema is the largest part of a short command's
start-up. A value that met the schema once meets it again under the same schema and validator, so a run
whose every resource (and the rest of the document) is remembered loads neither. Only acceptance is
remembered: a value with violations is validated every time, and every message comes from the validator.
The file is named after dabprp's version and the schema's and the validator's installed files, and kept as
`dabprp.user_cache` keeps its files (private, written whole, any doubt: not used)."""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from dabprp.digest import sha256
from dabprp.user_cache import cache_dir, read_private, write_private
from dabprp.version import __version__

LIMIT = 50_000
"""Digests kept in the file; past it, a run that adds one keeps only the digests it used or added."""


class Verdicts:
    """The digests of accepted values in the file at `path` (None: nothing is remembered)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._known: set[str] | None = None
        self._used: set[str] = set()
        self._new: set[str] = set()

    def key(self, *value: Any) -> str | None:
        """The digest of `value` (its repr: types and order count), None when it has none or nothing is kept."""
        if self.path is None:
            return None
        try:
            text = repr(value)
        except Exception:  # an object whose repr fails (never from a YAML or JSON file): not remembered
            return None
        return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def accepted(self, key: str | None) -> bool:
        if key is None:
            return False
        if self._known is None:
            self._known = self._load()
        found = key in self._known or key in self._new
        if found:
            self._used.add(key)
        return found

    def add(self, key: str | None) -> None:
        if key is not None and not self.accepted(key):
            self._new.add(key)

    def save(self) -> None:
        """Write the file with the new digests, when there are any."""
        if self.path is None or not self._new:
            return
        known = self._known or set()
        kept = known if len(known) + len(self._new) <= LIMIT else self._used
        lines = sorted(kept | self._new)
        write_private(self.path, "".join(f"{line}\n" for line in lines).encode("ascii"))
        self._known, self._new = set(lines), set()

    def _load(self) -> set[str]:
        data = read_private(self.path) if self.path is not None else None
        if not data:
            return set()
        return {line.decode("ascii") for line in data.split(b"\n")
                if len(line) == 32 and not line.strip(b"0123456789abcdef")}


def _stamp(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return path, st.st_size, st.st_mtime_ns


def _validator_stamp() -> tuple[object, ...] | None:
    """The installed validators, found without importing them: every file of the jsonschema-rs package (its
    compiled module is the validator) and the distribution folders of jsonschema-rs and jsonschema (the Python
    validator decides whenever jsonschema-rs does not accept), in the first `sys.path` entry holding them."""
    for entry in sys.path:
        folder = os.path.join(entry or ".", "jsonschema_rs")
        try:
            names = sorted(os.listdir(folder))
            beside = sorted(n for n in os.listdir(entry or ".") if n.startswith("jsonschema"))
        except OSError:
            continue
        files = tuple(_stamp(os.path.join(folder, n)) for n in names if n != "__pycache__")
        return folder, files, tuple(beside)
    return None


@functools.lru_cache(maxsize=1)
def remembered() -> Verdicts:
    """The verdicts of this schema and validator in the user's cache (`DABPRP_CACHE_DIR`)."""
    directory = cache_dir()
    schema_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "bundle-jsonschema.json")
    schema, validator = _stamp(schema_file), _validator_stamp()
    if directory is None or schema is None or validator is None:
        return Verdicts(None)
    name = sha256(repr((__version__, schema, validator)).encode()).hexdigest()[:40]
    return Verdicts(os.path.join(directory, "schema", f"{name}.txt"))
