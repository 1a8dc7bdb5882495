"""Where bundle files are read from: the working tree, a git ref (read with git, no checkout), or an overlay."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from dabprp.errors import DabprpError

SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".dabprp", ".databricks", "build", "dist"}
BUNDLE_SUFFIXES = (".yml", ".yaml", ".json")


class BundleFiles:
    """A read-only view of a project's bundle files, by root-relative POSIX path."""

    label: str = ""

    def paths(self) -> list[str]:
        raise NotImplementedError

    def read(self, rel: str) -> str | None:
        raise NotImplementedError


@dataclass
class WorkingTree(BundleFiles):
    root: str
    label: str = "working tree"

    def paths(self) -> list[str]:
        out = []
        for directory, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            rel_dir = os.path.relpath(directory, self.root).replace(os.sep, "/")
            out += [name if rel_dir == "." else f"{rel_dir}/{name}" for name in files
                    if name.endswith(BUNDLE_SUFFIXES)]
        return sorted(out)

    def read(self, rel: str) -> str | None:
        path = os.path.join(self.root, rel)
        real_root = os.path.realpath(self.root)
        if not os.path.realpath(path).startswith(real_root + os.sep) or not os.path.isfile(path):
            return None
        try:
            with open(path, encoding="utf-8-sig") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise DabprpError(rel, None, f"cannot read: {exc}") from None


@dataclass
class Overlay(BundleFiles):
    """`base` with some files replaced or added (what scaffold would write), in memory."""

    base: BundleFiles
    changed: dict[str, str]
    label: str = "after scaffold"

    def paths(self) -> list[str]:
        return sorted(set(self.base.paths()) | {p for p in self.changed if p.endswith(BUNDLE_SUFFIXES)})

    def read(self, rel: str) -> str | None:
        return self.changed[rel] if rel in self.changed else self.base.read(rel)


@dataclass
class GitRef(BundleFiles):
    """The project folder `root` as committed at `ref`; files are read with `git cat-file`, nothing is checked out."""

    root: str
    ref: str
    label: str = ""
    _prefix: str = field(default="", init=False)
    _commit: str = field(default="", init=False)
    _paths: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.label = f"git {self.ref}"
        self._prefix = self._git("rev-parse", "--show-prefix").strip()
        commit = self._git("rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}", check=False).strip()
        if not commit:
            raise DabprpError(self.root, None, f"`{self.ref}` is not a commit in this repository")
        self._commit = commit
        listing = self._git("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, "--", self._prefix or ".")
        names = [n for n in listing.split("\0") if n]
        self._paths = sorted(n[len(self._prefix):] for n in names
                             if n.startswith(self._prefix) and n.endswith(BUNDLE_SUFFIXES))

    def paths(self) -> list[str]:
        return list(self._paths)

    def read(self, rel: str) -> str | None:
        if rel not in self._paths:
            return None
        try:
            data = subprocess.run(["git", "-C", self.root, "cat-file", "blob", f"{self._commit}:{self._prefix}{rel}"],
                                  capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DabprpError(rel, None, f"file is not valid UTF-8 at {self.ref}") from None

    def _git(self, *args: str, check: bool = True) -> str:
        try:
            done = subprocess.run(["git", "-C", self.root, *args], capture_output=True, text=True)
        except OSError as exc:
            raise DabprpError(self.root, None, f"cannot run git: {exc.strerror or exc}") from None
        if check and done.returncode != 0:
            message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
            raise DabprpError(self.root, None, f"git {args[0]}: {message}")
        return done.stdout
