"""Planned worlds kept on disk between processes, so that a launch reuses what the last one built.

A world and its first routes (:class:`sim.world_cache.PlannedWorld`) depend only on the values
:func:`sim.world_cache.world_key` lists, on the files they name and on this package's code. The
store keeps each one built under a digest of all three: the key's values, every named file's
content (not its date) and every file of the package, with the Python, numpy and scipy versions.
Any change to any of them makes another digest, so a stored world is never one the code or the
files would not build now. A store that cannot be read or written (a read-only home, a full
disk, a damaged file) is passed over: the world is built as if nothing were stored.

The store is the folder named by the environment variable :data:`STORE_ENV`, by default
``skywatch/worlds`` under ``$XDG_CACHE_HOME`` (``~/.cache``); ``off`` turns it off. It keeps the
:data:`STORE_ENTRIES` worlds used last, within :data:`STORE_BYTES` together, and leaves out
worlds whose file would exceed :data:`STORE_MAX_BYTES`. Only files of its own naming
(``skywatch-world-<sha256>.pickle``) are ever removed from it, and in the default folder the
files of an earlier naming (``<sha256>.pickle``), whose code is gone.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from sim.outfolder import open_regular, replace_file

STORE_ENV = "SKYWATCH_WORLD_STORE"  # the store's folder, or "off"
OFF = "off"
STORE_ENTRIES = 32  # stored worlds kept, the least recently used removed first
STORE_MAX_BYTES = 64 * 2**20  # a planned world larger than this is not stored (a 2048² world takes about 40 MiB)
STORE_BYTES = 256 * 2**20  # the store's files together: the least recently used beyond this are removed
FORMAT = 1  # the layout of a stored file: (FORMAT, key text, planned world)
PACKAGE = Path(__file__).resolve().parent
ENTRY_PREFIX = "skywatch-world-"
ENTRY_NAME = re.compile(rf"{ENTRY_PREFIX}[0-9a-f]{{64}}\.pickle")  # the store's own files: its prefix, the digest, the suffix
PARTIAL_NAME = re.compile(rf"\.{ENTRY_PREFIX}[0-9a-f]{{64}}\.pickle\.[A-Za-z0-9_]+")  # being written (outfolder.replace_file)
LEGACY_NAME = re.compile(r"\.?[0-9a-f]{64}\.pickle(\.[A-Za-z0-9_]+)?")  # an earlier naming, removed from the default folder
PARTIAL_AGE_S = 3600.0  # a file being written for longer than this was left by a process that died


def store_folder() -> Path | None:
    """The store's folder (:data:`STORE_ENV`), or None when the store is off or has no home to go to.

    A user without a home folder (no ``HOME`` and no entry in the password file, as in a container
    run under a bare user id), or a ``~user`` that does not exist, leaves the store off.
    """
    named = os.environ.get(STORE_ENV, "")
    if named.strip().lower() == OFF:
        return None
    try:
        return Path(named).expanduser() if named.strip() else default_folder()  # blank: as if unset
    except RuntimeError:  # the home folder cannot be found
        return None


def default_folder() -> Path:
    """``skywatch/worlds`` in the user's cache folder (``$XDG_CACHE_HOME``, else ``~/.cache``).

    Raises:
        RuntimeError: the home folder cannot be found.
    """
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "skywatch" / "worlds"


@functools.cache
def code_digest() -> str:
    """sha256 of every file of this package (its path and bytes), with the Python, numpy and scipy versions."""
    import scipy

    digest = hashlib.sha256(f"{sys.version} {np.__version__} {scipy.__version__}".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes (None for anything but a readable file)."""
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


class WorldStore:
    """Planned worlds kept in a folder (None: the store is off), each under the text of its key.

    The caller makes the key (:func:`sim.world_cache.stored_key`): equal keys must mean equal worlds.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def from_environment(cls) -> WorldStore:
        """The store :data:`STORE_ENV` names (or the default folder)."""
        return cls(store_folder())

    def _entry(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{ENTRY_PREFIX}{hashlib.sha256(key.encode()).hexdigest()}.pickle"

    def load(self, key: str) -> Any:
        """The world stored under ``key`` (a ``PlannedWorld``), or None: store off, nothing stored, or unreadable."""
        if self.folder is None:
            return None
        entry = self._entry(key)
        try:
            with open_regular(entry, "store") as file:  # a pipe put there must not block the run
                if os.fstat(file.fileno()).st_size > STORE_MAX_BYTES:
                    return None
                stored = pickle.load(file)
            os.utime(entry)  # used now: the last to be removed
        except Exception:  # missing, not a file, damaged, or written by other code: built again and stored over
            return None
        if not (isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == (FORMAT, key)):
            return None
        return stored[2]

    def save(self, key: str, planned: object) -> None:
        """Store ``planned`` under ``key`` (complete or not at all), then remove the oldest beyond the limit."""
        if self.folder is None:
            return
        data = pickle.dumps((FORMAT, key, planned), protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > STORE_MAX_BYTES:
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            replace_file(self._entry(key), lambda partial: partial.write_bytes(data))
            self._prune()
        except OSError:  # a store that cannot be written stores nothing; the run goes on
            return

    def _prune(self) -> None:
        """Remove the store's files beyond the :data:`STORE_ENTRIES` used last or :data:`STORE_BYTES`, and stale partial ones."""
        assert self.folder is not None
        entries: list[tuple[float, int, Path]] = []
        try:
            default = self.folder == default_folder()
        except RuntimeError:
            default = False
        for path in self.folder.iterdir():
            own, legacy = ENTRY_NAME.fullmatch(path.name), default and LEGACY_NAME.fullmatch(path.name)
            if not (own or legacy or PARTIAL_NAME.fullmatch(path.name)):
                continue
            try:
                status = path.stat()
            except OSError:  # removed meanwhile by another process
                continue
            if own:
                entries.append((status.st_mtime, status.st_size, path))
            elif (legacy and not path.name.startswith(".")) or time.time() - status.st_mtime > PARTIAL_AGE_S:
                with contextlib.suppress(OSError):  # an entry of gone code, or a partial file left by a killed process
                    path.unlink()
        kept_bytes = 0
        for count, (_, size, path) in enumerate(sorted(entries, reverse=True)):
            kept_bytes += size
            if count >= STORE_ENTRIES or kept_bytes > STORE_BYTES:
                with contextlib.suppress(OSError):
                    path.unlink()
