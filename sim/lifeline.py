"""A child process that dies with its parent: sweep workers, the live page's server.

Killing a parent with SIGKILL gives it no chance to stop its children, so each child watches its
own parent. On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` kills the child the
moment its parent ends (strictly, the parent's thread that started it: start children from a
thread that lives as long as they should, as the main thread does). Elsewhere a daemon thread
polls the parent's pid. Either way the child then checks that its parent is still the one it was
started by, since the parent may have died before the child could ask to be told.

``python -m sim.lifeline PARENT_PID MODULE ARG...`` runs ``python -m MODULE ARG...`` on a lifeline
to the process ``PARENT_PID`` (how ``skywatch viz`` starts its ``solara run`` server).
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_S = 1.0  # how often the watchdog thread looks for its parent where the kernel cannot watch
EXIT_ORPHANED = 1  # exit status of a child that found its parent gone


def _kernel_watches(signal_number: int) -> bool:
    """Ask Linux to send ``signal_number`` to this process when its parent ends; whether it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    """Exit (without cleanup, as a kill would) once the parent is gone: the process is re-parented then."""
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(EXIT_ORPHANED)


def die_with_parent(parent_pid: int) -> None:
    """End this process when the process ``parent_pid`` (its parent) ends, however it ends.

    Exits at once if the parent is already gone (or this process was never its child).
    """
    if not _kernel_watches(signal.SIGKILL):
        threading.Thread(target=_watch, args=(parent_pid,), name="lifeline", daemon=True).start()
    if os.getppid() != parent_pid:  # checked after asking: a parent that died before then is caught here
        os._exit(EXIT_ORPHANED)


def lifeline_command(module: str, *args: str) -> list[str]:
    """The command that runs ``python -m module args...`` as a child that dies with this process."""
    return [sys.executable, "-m", __name__, str(os.getpid()), module, *args]


def main(argv: list[str]) -> None:
    """``PARENT_PID MODULE ARG...``: run ``MODULE`` as ``__main__`` on a lifeline to ``PARENT_PID``."""
    parent_pid, module, *args = argv
    die_with_parent(int(parent_pid))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
