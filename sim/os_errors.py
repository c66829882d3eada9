"""Operating-system errors (disk full, not writable, not found...) as one line naming the path and the problem."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.scenario import one_line

MAX_PATH_CHARS = 300  # a longer path is shown as its head and tail around "…"

# errno → the problem, in plain words
PROBLEMS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOENT: "not found",
    errno.ENOTDIR: "a part of it is a file, not a folder",
    errno.EISDIR: "is a folder, expected a file",
    errno.ENAMETOOLONG: "name too long",
    errno.EEXIST: "already exists",
    errno.ENOTEMPTY: "folder not empty",
    errno.EBUSY: "in use (busy)",
    errno.EXDEV: "on another file system",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
    errno.EFBIG: "file too large",
    errno.EIO: "input/output error (a failing disk?)",
    errno.EINVAL: "not allowed here (invalid argument)",
}
NOT_PERMITTED = (errno.EACCES, errno.EPERM)


def printable(text: str) -> str:
    """``text`` on one line: control characters escaped, shortened to :data:`MAX_PATH_CHARS` around "…"."""
    escaped = one_line(text)
    if len(escaped) <= MAX_PATH_CHARS:
        return escaped
    half = MAX_PATH_CHARS // 2
    return f"{escaped[:half]}…{escaped[-half:]}"


def _problem(err: OSError, path: Path | None) -> tuple[Path | None, str]:
    """The path to name and the problem with it."""
    code = err.errno
    missing = path is not None and not os.path.lexists(path)
    if code in NOT_PERMITTED or code == errno.EROFS:
        why = "read-only file system" if code == errno.EROFS else "permission denied"
        if missing and path.parent != path:  # creating something in a folder that refuses it: that folder is not writable
            return path.parent, f"not writable ({why})"
        return path, why
    if code == errno.EEXIST and path is not None and not missing and not path.is_dir():
        return path, "is a file, expected a folder"
    return path, PROBLEMS.get(code, (err.strerror or type(err).__name__).lower())


def describe(err: OSError) -> str:
    """One line: ``PATH: problem`` (``PATH → OTHER: problem`` for a rename), or the problem alone without a path."""
    path = Path(os.fsdecode(err.filename)) if err.filename is not None else None
    path, problem = _problem(err, path)
    if path is None:
        return problem
    where = printable(str(path))
    if err.filename2 is not None:
        where += f" → {printable(os.fsdecode(err.filename2))}"
    return f"{where}: {problem}"


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """Name ``path`` in an OS error raised inside that names no file (a write failing for a full disk)."""
    try:
        yield
    except OSError as err:
        if err.filename is None:
            err.filename = str(path)
        raise
