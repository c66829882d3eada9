"""Threads for kernels that release the GIL: the calling thread and a pool of workers beside it."""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
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


def thread_count() -> int:
    """Threads parallel work runs on, the calling one included (:func:`use_threads`)."""
    return _threads


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
    """Run ``tasks`` on the threads, the caller's included, and return their results in task order (:func:`run_shared`)."""
    return run_shared(len(tasks), lambda task, _thread: tasks[task]())


def run_shared[T](count: int, work: Callable[[int, int], T]) -> list[T]:
    """``work(task, thread)`` for every task in ``range(count)``, on the threads; the results in task order.

    Each thread (the caller is thread 0, the workers 1, 2, ...) takes the next task not yet taken as
    soon as it is free, so a thread whose core is busy with other work takes fewer tasks and the
    others take the rest: never slower than the caller alone by more than the one task in hand.
    Which thread ran a task must not change its result (a task may keep per-thread scratch by
    ``thread``). Only work that releases the GIL (numba ``nogil`` kernels) runs faster this way.
    """
    pool = _pool()
    results: list[T] = [None] * count  # type: ignore[list-item]
    if pool is None or count <= 1:
        for task in range(count):
            results[task] = work(task, 0)
        return results
    tickets = itertools.count()
    lock = threading.Lock()
    left = [count]  # tasks not finished yet
    errors: list[BaseException] = []
    finished = threading.Event()

    def drain(thread: int) -> None:
        while True:
            with lock:
                task = next(tickets)
            if task >= count:
                return
            try:
                results[task] = work(task, thread)
            except BaseException as error:  # raised in the caller once every task is done
                errors.append(error)
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    finished.set()

    for thread in range(1, min(_threads, count)):
        pool.submit(drain, thread)
    drain(0)
    finished.wait()  # not for the workers: one that a busy core has not started yet will find no task left
    if errors:
        raise errors[0]
    return results


class MeasuredThreads:
    """Runs tasks on every thread or on the caller alone, whichever took less time per unit of work when last tried.

    On a machine whose other core is busy, waking a worker that the busy core preempts can cost more
    than it gives; this notices by measuring. The other way is tried once after ``probe_every`` calls;
    each try that confirms the choice doubles the calls until the next one, up to ``max_probe_every``,
    and a measure that changes the choice starts again from ``probe_every``: a core freed or taken is
    noticed within ``max_probe_every`` calls, and a steady machine pays for few tries. Which way ran never changes a
    result (the contract of :func:`run_shared`). ``clock`` gives seconds.
    """

    def __init__(self, probe_every: int = 8, max_probe_every: int = 64,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.probe_every, self.max_probe_every, self.clock = probe_every, max_probe_every, clock
        self.seconds_per_unit = {False: math.nan, True: math.nan}  # each way's last call, keyed by "on every thread"
        self.interval = probe_every  # calls between tries of the other way
        self.since_probe = 0  # calls since the last try

    def run[T](self, count: int, work: Callable[[int, int], T], units: int) -> list[T]:
        """``work(task, thread)`` for every task in ``range(count)`` (:func:`run_shared`); ``units`` measures its size."""
        before = self.faster()
        shared = self._choose()
        started = self.clock()
        results = run_shared(count, work) if shared else [work(task, 0) for task in range(count)]
        self.seconds_per_unit[shared] = (self.clock() - started) / max(units, 1)
        if before is not None:
            if self.faster() != before:  # the machine changed: try the other way soon again
                self.interval = self.probe_every
            elif shared != before:  # a try of the other way that confirmed the choice
                self.interval = min(2 * self.interval, self.max_probe_every)
        return results

    def faster(self) -> bool | None:
        """Whether every thread has been faster than the caller alone (None until each way has run once)."""
        alone, shared = self.seconds_per_unit[False], self.seconds_per_unit[True]
        return None if math.isnan(shared) or math.isnan(alone) else shared <= alone

    def _choose(self) -> bool:
        """Whether this call runs on every thread: the faster way so far, the other one once ``interval`` calls have passed."""
        faster = self.faster()
        if faster is None:
            return math.isnan(self.seconds_per_unit[True])  # each way measured once first
        self.since_probe += 1
        if self.since_probe < self.interval:
            return faster
        self.since_probe = 0
        return not faster
