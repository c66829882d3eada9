"""Threads for kernels that release the GIL: the calling thread and a pool of workers beside it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

# The cores this process may run on (every core where the platform cannot tell), at most 8.
MAX_THREADS = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

_threads = MAX_THREADS
_workers: tuple[int, ThreadPoolExecutor | None] | None = None  # (pid that made it, pool)


def use_threads(count: int) -> None:
    """Run parallel work on ``count`` threads, the calling one included (1: all in the calling thread)."""
    global _threads, _workers
    _threads, _workers = max(1, count), None


def _pool() -> ThreadPoolExecutor | None:
    """The workers beside the caller (None for one thread).

    Made again in a forked child, which has the pool but not its threads.
    """
    global _workers
    if _workers is None or _workers[0] != os.getpid():
        pool = ThreadPoolExecutor(_threads - 1, thread_name_prefix="skywatch") if _threads > 1 else None
        _workers = (os.getpid(), pool)
    return _workers[1]


def run_all[T](tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``tasks`` on the threads, the caller's included, and return their results in task order.

    The tasks are dealt round-robin into one group per thread; the caller runs the first group.
    Only work that releases the GIL (numba ``nogil`` kernels) runs faster this way.
    """
    pool = _pool()
    groups = min(_threads, len(tasks))
    if pool is None or groups <= 1:
        return [task() for task in tasks]

    def run_group(g: int) -> list[T]:
        return [task() for task in tasks[g::groups]]

    others = [pool.submit(run_group, g) for g in range(1, groups)]
    done = [run_group(0), *(future.result() for future in others)]
    results: list[T] = [None] * len(tasks)  # type: ignore[list-item]
    for g, group in enumerate(done):
        results[g::groups] = group
    return results
