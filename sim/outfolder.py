"""Output folders (run, sweep and comparison folders): refused, replaced only when Skywatch made them, swapped in atomically.

Every folder Skywatch writes carries a marker file, :data:`MARKER`, holding ``{"kind": "run" | "sweep" | "comparison",
"version": ...}``. A path given as an output folder must be new, or (with ``--force``) a real folder
carrying the marker of the right kind that is neither the current folder nor one of its parents;
anything else is refused with one :class:`~sim.scenario.ScenarioError` and nothing is touched.

A folder is built in a hidden staging folder ``.NAME.partial-PID-HEX`` beside ``NAME`` and moved into
place whole. An old folder is swapped with the staging one in a single ``renameat2(RENAME_EXCHANGE)``
where Linux offers it, and the old one (now under the staging name) is deleted; elsewhere the old
folder is first renamed to ``.NAME.old-PID-HEX`` and the staging folder then renamed to ``NAME``. At
every instant either the old or the new folder is at ``NAME``, apart from the moment between those
two renames of the fallback. What a kill leaves behind is put right when the next run or sweep
checks the same ``NAME`` (:func:`recover`): staging folders of dead processes are removed, and an
``.old-`` folder is put back at ``NAME`` when ``NAME`` is missing (else removed). Only names of
exactly these two forms are ever touched.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sim import __version__
from sim.scenario import ScenarioError

FolderKind = Literal["run", "sweep", "comparison"]
MARKER = ".skywatch"
MARKER_MAX_BYTES = 4096  # a marker is a few dozen bytes; anything longer is not ours
STAGING, ASIDE = "partial", "old"
TOKEN_BYTES = 4  # random bytes in a hidden folder's name (8 hex digits)
NAME_MAX = 255  # bytes in a file name on Linux, macOS and Windows file systems
HIDDEN_EXTRA_BYTES = len(f"..{STAGING}-{2**32}-") + 2 * TOKEN_BYTES  # a hidden name's bytes beyond its folder's (pid <= 2^32)
EXISTS_HINT = {"run": "pass --force to replace it", "sweep": "pass --resume to finish it or --force to start over",
               "comparison": "pass --force to replace it"}
NOT_A_FOLDER_NAME = ("", ".", "..")
# The names Skywatch writes in a folder of each kind (run folders: also ``skywatch plot``'s; sweep folders: runs/ with
# --keep-runs, and the figures). --force replaces an old folder only when it holds nothing else: not the user's notes.
WRITTEN: dict[str, re.Pattern[str]] = {
    "run": re.compile(r"summary\.json|metrics\.csv|flow\.npy|scenario\.toml|overview\.png|animation\.(gif|mp4)"),
    "sweep": re.compile(r"journal\.jsonl|results\.parquet|sweep\.toml|base\.sha256|sobol\.csv|runs|"
                        r"(outcomes_vs_.+|heatmap_.+|sobol_indices)\.png"),
    "comparison": re.compile(r"(comparison|replicates)\.(csv|parquet)|comparison\.png"),
}

# Folders Skywatch writes inside a folder of a kind that hold its folders of another kind: a sweep's kept runs.
NESTED: dict[str, dict[str, FolderKind]] = {"sweep": {"runs": "run"}}
# A folder being written, or moved aside, under its hidden name (:func:`hidden_name`), left by a killed write: any
# folder's (HIDDEN_FOLDER), or one folder's (:func:`_hidden_pattern`).
HIDDEN_SUFFIX = rf"\.(?P<stage>{STAGING}|{ASIDE})-(?P<pid>\d{{1,10}})-[0-9a-f]{{{2 * TOKEN_BYTES}}}"  # after the name
HIDDEN_FOLDER = re.compile(rf"\..+{HIDDEN_SUFFIX}")

FILE_MODE = 0o666  # a new file's mode before the umask
FINDER_FILE = ".DS_Store"  # what macOS's Finder leaves in every folder it shows: nobody's work
# replace_file's temporary files: "." and the file's name, "." and tempfile.mkstemp's 8 random characters, its suffix.
TEMPORARY_NAME = re.compile(r"\.(?P<output>.+)\.[a-z0-9_]{8}(?P<suffix>\.[a-z0-9]+)?")
AT_FDCWD = -100  # renameat2: paths relative to the current folder
RENAME_EXCHANGE = 2  # renameat2: swap the two paths atomically
UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)  # kernels or file systems without RENAME_EXCHANGE


def replace_file(path: Path, write: Callable[[Path], Any], suffix: str = "") -> None:
    """Have ``write`` fill a temporary file beside ``path`` (``.NAME.``, random letters, ``suffix``), then rename it there.

    Readers see the old file or the new one whole, never a part; the temporary file is removed if ``write`` fails
    (an error, Ctrl-C). ``suffix`` is for writers that tell the format by the file name's.
    """
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        write(Path(temp))
        os.chmod(temp, FILE_MODE & ~umask())  # as a file opened for writing would be, not mkstemp's owner-only mode
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def open_regular(path: Path, field: str) -> BinaryIO:
    """``path`` opened for reading in binary, if it is a regular file: a pipe would block the command for good.

    Raises:
        ScenarioError: it is something else (a pipe, a device, a folder).
        OSError: it cannot be opened (missing, not readable).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ScenarioError(path, field, "expected a regular file, found a pipe, a device or a folder")
    return os.fdopen(descriptor, "rb")


@functools.cache
def umask() -> int:
    """The process's umask: read from Linux's ``/proc/self/status``, else set and put back (not safe beside threads)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_marker(folder: Path, kind: FolderKind) -> None:
    """Mark ``folder`` as a Skywatch folder of ``kind``."""
    (folder / MARKER).write_text(json.dumps({"kind": kind, "version": __version__}) + "\n", encoding="utf-8")


def folder_kind(folder: Path) -> str | None:
    """The kind in the marker of ``folder`` ("run", "sweep", "comparison"), or None without a readable marker."""
    marker = folder / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > MARKER_MAX_BYTES:
            return None
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = content.get("kind") if isinstance(content, dict) else None
    return kind if isinstance(kind, str) else None


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """Libc's ``renameat2``, or None where there is none (other systems, old C libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Swap the two existing paths ``first`` and ``second`` in one atomic step.

    Returns:
        True when swapped; False where the system cannot do it (nothing was changed then).

    Raises:
        OSError: the swap was possible in principle but failed (a path missing, permissions).
    """
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def hidden_name(name: str, stage: str = STAGING) -> str:
    """The hidden name ``.NAME.STAGE-PID-HEX`` under which ``name`` is written beside its place (or moved aside)."""
    return f".{name}.{stage}-{os.getpid()}-{secrets.token_hex(TOKEN_BYTES)}"


def check_name_fits(out: Path, what: str, suffix: str = "") -> None:
    """Refuse ``out`` when its hidden name (:func:`hidden_name`, then ``suffix``) would be too long for a file name.

    Raises:
        ScenarioError: the name of ``out`` (a ``what``: "folder", "file") is more than that allows.
    """
    extra = HIDDEN_EXTRA_BYTES + len(os.fsencode(suffix))
    if len(os.fsencode(out.name)) > NAME_MAX - extra:
        raise ScenarioError(out, "--out", f"expected a {what} name of at most {NAME_MAX - extra} bytes (it is written beside "
                            f"under a hidden name {extra} bytes longer), got {len(os.fsencode(out.name))}")


def _hidden_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}{HIDDEN_SUFFIX}")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still be writing (unknown counts as alive; off POSIX, only this process)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def recover(out: Path) -> None:
    """Put right what a killed write of ``out`` left beside it.

    Staging folders ``.NAME.partial-*`` of dead processes are removed. A ``.NAME.old-*`` folder (the
    old folder, moved aside by a replacement killed before the new one was moved in) is renamed back
    to ``out`` when ``out`` is missing, and removed otherwise. Nothing else is touched.
    """
    if out.name in NOT_A_FOLDER_NAME:
        return
    pattern = _hidden_pattern(out.name)
    try:
        entries = list(os.scandir(out.parent))
    except (FileNotFoundError, NotADirectoryError):
        return
    stale = [
        (entry, match["stage"])
        for entry in entries
        if (match := pattern.fullmatch(entry.name)) and entry.is_dir(follow_symlinks=False) and not _alive(int(match["pid"]))
    ]
    aside = [entry for entry, stage in stale if stage == ASIDE]
    restored = None
    if aside and not os.path.lexists(out):
        restored = max(aside, key=lambda entry: entry.stat(follow_symlinks=False).st_ctime_ns)
        os.rename(restored.path, out)
    for entry, _ in stale:
        if entry is not restored:
            shutil.rmtree(entry.path, ignore_errors=True)


def _holds_current_folder(out: Path) -> bool:
    """Whether ``out`` is the current folder or one of its parents (symbolic links resolved)."""
    resolved, current = out.resolve(), Path.cwd().resolve()
    return resolved == current or resolved in current.parents


def _check_parent(out: Path) -> None:
    """Refuse ``out`` when its nearest existing parent is not a folder, or not writable."""
    for folder in (out.parent, *out.parent.parents):
        if os.path.lexists(folder):
            if not folder.is_dir():
                raise ScenarioError(out, "--out", f"expected {folder} to be a folder, found a file in the way")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ScenarioError(out, "--out", f"expected a folder you may write in; {folder} is not writable")
            return


def _found_instead(out: Path, kind: FolderKind) -> str | None:
    """What stands at the existing path ``out`` when it is not a Skywatch folder of ``kind``, else None."""
    if out.is_symlink():
        return "a symbolic link"
    if not out.is_dir():
        return "a file in the way"
    found = folder_kind(out)
    if found is None:
        return f"a folder Skywatch did not make (no {MARKER} marker)"
    return None if found == kind else f"a Skywatch {found} folder"


def _refuse_current_folder(out: Path, force: bool) -> None:
    """Refuse the existing path ``out`` when it is the current folder or one of its parents."""
    if _holds_current_folder(out):
        raise ScenarioError(out, "--force" if force else "--out",
                            "expected a folder other than the current one and its parents, which are never replaced")


def _refuse_unless_replaceable(out: Path, kind: FolderKind, force: bool) -> None:
    """Refuse the existing path ``out`` unless it is a Skywatch folder of ``kind`` and ``force`` is on."""
    _refuse_current_folder(out, force)
    field = "--force" if force else "--out"
    found = _found_instead(out, kind)
    if found is not None:
        raise ScenarioError(
            out, field, f"expected a new path or a Skywatch {kind} folder (--force replaces nothing else), found {found}"
        )
    if not force:
        raise ScenarioError(out, "--out", f"{kind} folder exists; {EXISTS_HINT[kind]}")
    others = _not_written_by_skywatch(out, kind)
    if others:
        listed = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise ScenarioError(out, "--force", f"expected only what Skywatch writes in a {kind} folder, found {listed}: "
                            "move them out first (--force would delete them)")


def _not_written_by_skywatch(folder: Path, kind: FolderKind) -> list[str]:
    """What in the Skywatch ``kind`` folder ``folder`` Skywatch did not write, as paths relative to it, in order.

    A sweep's ``runs/`` (:data:`NESTED`) must hold Skywatch run folders, each holding only what Skywatch
    writes in one, or the hidden folders of such a folder's killed writes.
    """
    found = []
    for name in sorted(os.listdir(folder)):
        if not _written_by_skywatch(name, kind):
            found.append(name)
            continue
        inner = NESTED.get(kind, {}).get(name)
        if inner is None:
            continue
        nested = folder / name
        if nested.is_symlink() or not nested.is_dir():
            found.append(name)
            continue
        for child in sorted(os.listdir(nested)):
            if child == FINDER_FILE or (HIDDEN_FOLDER.fullmatch(child) and (nested / child).is_dir()
                                        and not (nested / child).is_symlink()):
                continue
            if _found_instead(nested / child, inner) is not None:
                found.append(f"{name}/{child}")
            else:
                found.extend(f"{name}/{child}/{inside}" for inside in _not_written_by_skywatch(nested / child, inner))
    return found


def _written_by_skywatch(name: str, kind: FolderKind) -> bool:
    """Whether ``name`` in a ``kind`` folder is Skywatch's: its marker, an output, or the temporary file of one."""
    written = WRITTEN[kind]
    if name in (MARKER, FINDER_FILE) or written.fullmatch(name):
        return True
    temporary = TEMPORARY_NAME.fullmatch(name)  # replace_file's, left by a kill
    return temporary is not None and written.fullmatch(temporary["output"]) is not None and \
        temporary["output"].endswith(temporary["suffix"] or "")


def check_out(out: Path, kind: FolderKind, force: bool) -> None:
    """Check that a ``kind`` folder may be written at ``out``, after :func:`recover`; nothing else is written.

    ``out`` may be missing (it is created, parents too), or, with ``force``, a Skywatch folder of
    ``kind`` that is a real folder and neither the current folder nor one of its parents.

    Raises:
        ScenarioError: anything else: a user's folder or file, a link, ``.``, ``..``, a folder of the
            other kind, an existing folder without ``force``, a parent that is a file or not writable.
    """
    if os.path.lexists(out):
        _refuse_current_folder(out, force)
    if out.name in NOT_A_FOLDER_NAME:
        raise ScenarioError(out, "--out", "expected a path ending in a folder name, not '.' or '..'")
    check_name_fits(out, "folder")
    _check_parent(out)
    recover(out)
    if os.path.lexists(out):
        _refuse_unless_replaceable(out, kind, force)


def _install(staging: Path, out: Path, kind: FolderKind, force: bool) -> None:
    """Move the finished ``staging`` folder to ``out``, replacing an old folder there atomically."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    _refuse_unless_replaceable(out, kind, force)  # again: the path may have changed while the folder was written
    if exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # the old folder, now under the staging name
        return
    aside = out.parent / hidden_name(out.name, ASIDE)
    os.rename(out, aside)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def staged_folder(out: Path, kind: FolderKind, force: bool) -> Iterator[Path]:
    """Check ``out`` (:func:`check_out`), yield a marked staging folder beside it, then move it to ``out`` whole.

    When the block raises, the staging folder is removed and ``out`` is left as it was.
    """
    check_out(out, kind, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / hidden_name(out.name)
    staging.mkdir()
    try:
        write_marker(staging, kind)
        yield staging
        _install(staging, out, kind, force)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
