"""Reads and writes that stay inside the project: regular files only, no symbolic link that leaves the root,
atomic replacement that keeps the replaced file's mode, and one lock per project for every writer."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Iterator

from dabprp.errors import DabprpError

TEMP_PREFIX = ".dabprp-"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_RE = re.compile(r"\A\.dabprp-[a-z0-9_]{8}\.tmp\Z")
"""The temp files `stage` creates (tempfile's 8-character names): under the project lock no writer is running,
so any such file in the project was left by a run that was killed mid-write."""
NOT_WALKED = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__"})
LOCK_WAIT_SECONDS = 30.0
LEAVES_ROOT = "a symbolic link leaves the project root on the way to it; not followed"


def is_inside(real_root: str, real_path: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def lexically_inside(root: str, path: str) -> bool:
    """Whether `path` names a place under `root` before any link is resolved."""
    return is_inside(os.path.abspath(root), os.path.abspath(path))


def confine(root: str, path: str, shown: str | None = None) -> str:
    """The real path of `path` when it stays inside `root`; else a DabprpError that says nothing about
    whether anything exists outside."""
    real = os.path.realpath(path)
    if not is_inside(os.path.realpath(root), real):
        raise DabprpError(shown or path, None, LEAVES_ROOT)
    return real


def open_regular(path: str, shown: str | None = None) -> int:
    """A read-only descriptor of the regular file at `path` (never blocks on a FIFO or device).
    FileNotFoundError propagates; anything else that is not a regular file is a DabprpError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DabprpError(shown or path, None, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DabprpError(shown or path, None, "not a regular file; not read")
    return fd


def read_bytes(path: str, limit: int | None = None, shown: str | None = None) -> bytes:
    """The content of the regular file at `path`; more than `limit` bytes is a DabprpError."""
    fd = open_regular(path, shown)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise DabprpError(shown or path, None, f"file is larger than {limit} bytes; not read")
    return data


def read_text(path: str, shown: str | None = None, root: str | None = None) -> str | None:
    """UTF-8 text of the regular file at `path`, None when there is none. With `root`, a path inside the
    root that resolves outside it is refused. Line endings are kept as they are."""
    if root is not None and lexically_inside(root, path):
        confine(root, path, shown)
    try:
        data = read_bytes(path, shown=shown)
    except FileNotFoundError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DabprpError(shown or path, line, "file is not valid UTF-8") from None


def check_writable(path: str, root: str | None = None, shown: str | None = None) -> None:
    """Refuse a destination that is a link, not a regular file, or (inside `root`) reached through a link
    that leaves the root."""
    name = shown or path
    if root is not None and lexically_inside(root, path):
        confine(root, os.path.dirname(os.path.abspath(path)), name)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DabprpError(name, None, f"cannot write: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise DabprpError(name, None, "is a symbolic link; not followed, not replaced")
    if not stat.S_ISREG(info.st_mode):
        raise DabprpError(name, None, "not a regular file; not replaced")


def current_umask() -> int:
    """The process umask, read without changing it where the system tells it."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def stage(path: str, data: bytes) -> str:
    """Write `data` to a synced temp file beside `path`, with the mode of the file it will replace (a new file:
    0666 less the umask). Returns the temp path; on failure nothing is left behind."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    import tempfile  # loads shutil, random and the compression modules: only for a write

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
    except BaseException:
        discard(tmp)
        raise
    return tmp


def commit(tmp: str, path: str) -> None:
    """Rename a staged temp file over `path` and sync the folder, so the rename survives a crash."""
    os.replace(tmp, path)
    sync_directory(os.path.dirname(os.path.abspath(path)))


def sync_directory(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(tmp)


def atomic_write(path: str, text: str | bytes, root: str | None = None, shown: str | None = None) -> None:
    """Replace `path` with `text` (no newline translation): the file is the old one or the new one at every
    moment, keeps its mode, and a failed write leaves no temp file. Folders are created as needed."""
    name = shown or path
    check_writable(path, root, name)
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = None
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if root is not None and lexically_inside(root, path):
            confine(root, os.path.dirname(os.path.abspath(path)), name)
        tmp = stage(path, data)
        commit(tmp, path)
    except OSError as exc:
        if tmp is not None:
            discard(tmp)
        raise DabprpError(name, None, f"cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def project_lock(root: str, wait: float | None = None) -> Iterator[None]:
    """Hold the project's write lock (an advisory lock on the root folder itself, so nothing is created):
    a second writer waits up to `wait` seconds (env DABPRP_LOCK_WAIT, default 30), then is refused. Temp
    files that a killed run left in the project are removed once the lock is held."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: writes stay atomic, runs are not serialized
        yield
        return
    if wait is None:
        try:
            wait = float(os.environ.get("DABPRP_LOCK_WAIT", LOCK_WAIT_SECONDS))
        except ValueError:
            wait = LOCK_WAIT_SECONDS
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError as exc:
        raise DabprpError(root, None, f"cannot open the project folder: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DabprpError(root, None, "another dabprp run is writing to this project; "
                                                  "try again when it has finished") from None
                time.sleep(0.05)
        remove_stale_temps(root)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def remove_stale_temps(root: str) -> list[str]:
    """Remove the temp files (regular files, never through a link) that writes killed mid-way left under
    `root`; VCS, virtualenv and dependency folders are not walked. Call only while holding the project lock.
    Returns the removed paths, relative to `root`."""
    removed = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in NOT_WALKED]
        for name in filenames:
            if not STALE_TEMP_RE.match(name):
                continue
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.remove(path)
                    removed.append(os.path.relpath(path, root))
    return sorted(removed)
