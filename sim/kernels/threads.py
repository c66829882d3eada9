"""Threads for kernels that release the GIL: the calling thread and a pool of workers beside it."""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The cores this process may run on (every core where the platform cannot tell), at most 8.
MAX_THREADS = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

_threads = MAX_THREADS
_workers: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid that made it, its workers, pool)


def use_threads(count: int) -> None:
    """Run parallel work on ``count`` threads, the calling one included (1: all in the calling thread).

    At most :data:`MAX_THREADS`: the kernels keep scratch for that many threads (a row of flow marks
    each), so a larger count runs on that many.
    """
    global _threads
    _threads = min(max(1, count), MAX_THREADS)


def thread_count() -> int:
    """Threads parallel work runs on, the calling one included (:func:`use_threads`)."""
    return _threads


def _pool() -> ThreadPoolExecutor | None:
    """The workers beside the caller (None for one thread).

    Kept while the thread count stays (or goes to one and back); made again for another count, and
    in a forked child, which has the pool but not its threads.
    """
    global _workers
    if _threads == 1:
        return None
    if _workers is None or _workers[:2] != (os.getpid(), _threads - 1):
        if _workers is not None and _workers[0] == os.getpid():
            _workers[2].shutdown(wait=False)
        _workers = (os.getpid(), _threads - 1, ThreadPoolExecutor(_threads - 1, thread_name_prefix="skywatch"))
    return _workers[2]


def stop_workers() -> None:
    """Stop the workers beside the caller (made again when next needed): a process about to fork should hold no threads."""
    global _workers
    if _workers is not None and _workers[0] == os.getpid():
        _workers[2].shutdown(wait=True)
    _workers = None


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


TRY_CALLS = 8  # calls in a row that a try of a way runs (:class:`MeasuredThreads`); all but the first are measured
# Sharing is taken only when its measure is below this fraction of the caller's alone (:class:`MeasuredThreads`): a near
# tie, as when the other core is busy, goes to the caller alone, which never waits for a preempted worker.
SHARING_GAIN = 0.9
BUSY_SHARE = 0.5  # other work holding this share of the worker threads' cores makes sharing not worth a try
STALL = 1.25  # a try's call that takes this many times the other way's measure ends the try (:class:`MeasuredThreads`)


class CoreLoad:
    """How busy other work keeps the cores this process may run on, read from Linux's ``/proc/stat``.

    Each reading compares the cores' busy time (all but idle and waiting on I/O; time the hypervisor
    took counts as busy) since the last reading with this process's own CPU time over the same wall
    time. Where the file cannot be read (other systems), nothing is known and :meth:`others_hold` says no.

    Args:
        path: the kernel's CPU times.
        clock: wall seconds.
        own: this process's CPU seconds, every thread included.
    """

    def __init__(self, path: str = "/proc/stat", clock: Callable[[], float] = time.monotonic,
                 own: Callable[[], float] = time.process_time) -> None:
        self.path, self.clock, self.own = path, clock, own
        self.cores = {f"cpu{core}" for core in (os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ())}
        self.tick_s = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
        self.last = self._reading()

    def _reading(self) -> tuple[float, float, float] | None:
        """(wall s, busy core-seconds of this process's cores, this process's CPU s), or None where unknown."""
        try:
            with open(self.path) as stat:
                lines = stat.read().splitlines()
            busy = 0
            for line in lines:
                name, *fields = line.split() or [""]
                if name in self.cores:  # user nice system idle iowait irq softirq steal (guest time is in user)
                    times = [int(field) for field in fields[:8]]
                    busy += sum(times) - times[3] - times[4]
        except (OSError, ValueError, IndexError):  # unreadable, or not the kernel's format: nothing known
            return None
        return self.clock(), busy * self.tick_s, self.own()

    def others_hold(self, cores: int) -> bool:
        """Whether other work has kept at least half of ``cores`` cores busy since the last reading."""
        now, last = self._reading(), self.last
        self.last = now
        if now is None or last is None or now[0] <= last[0]:
            return False
        others = (now[1] - last[1] - (now[2] - last[2])) / (now[0] - last[0])
        return others >= BUSY_SHARE * cores


class MeasuredThreads:
    """Runs tasks on every thread or on the caller alone, whichever has taken less time per unit of work.

    On a machine whose other core is busy, waking a worker that the busy core preempts can cost more than it
    gives; this notices by measuring. The way taken is measured at every call, as a running mean (``weight`` on
    the newest call), so that a worker now and then preempted while it holds a lane counts for what it costs on
    average. The caller's first call alone after sharing is not measured: the operating system may have left the
    caller on the core the other work holds, until it moves it. The other way is tried after ``probe_every``
    calls: a try runs it :data:`TRY_CALLS` times in a row and averages all but the first (which wakes a worker
    that has slept, as calls in a row on every thread would not), so that a stall one call in a few is seen; a
    call that takes :data:`STALL` times the other way's measure ends the try early, so that a try on a busy
    machine costs little. The way's measure becomes the mean of the try's average and its measure before. Each
    try that confirms the choice multiplies the calls until the next one by ``backoff``, up to
    ``max_probe_every``, and a measure that changes the choice starts again from ``probe_every``: a core freed
    or taken is noticed within ``max_probe_every`` calls, and a steady machine pays for few tries (a run of 672
    steps for four tries of the slower way). On one thread (:func:`use_threads`) both ways are the same and
    nothing is measured; each other thread count has measures of its own, kept while another is used. Given a
    ``load`` (:class:`CoreLoad`), a try of sharing while other work keeps the other cores busy is not run (see
    :meth:`_try`): on a busy machine the tries cost nothing. Which way ran never changes a result (the contract
    of :func:`run_shared`). ``clock`` gives seconds.
    """

    def __init__(self, probe_every: int = 8, backoff: int = 4, max_probe_every: int = 512, weight: float = 0.05,
                 clock: Callable[[], float] = time.perf_counter, load: CoreLoad | None = None) -> None:
        self.probe_every, self.backoff, self.max_probe_every = probe_every, backoff, max_probe_every
        self.weight, self.clock, self.load = weight, clock, load
        self.kept: dict[int, dict[str, Any]] = {}  # the measures of the other thread counts used, by count
        self.threads = thread_count()  # the thread count the measures below are of
        self.__dict__.update(self._fresh())

    def _fresh(self) -> dict[str, Any]:
        """The measures of a thread count not measured yet, by attribute name."""
        return {
            "seconds_per_unit": {False: math.nan, True: math.nan},  # each way's measure, keyed by "on every thread"
            "interval": self.probe_every,  # calls between tries of the other way
            "since_probe": 0,  # calls since the last try
            "trying": False,  # the way under try, while calls of a try are left
            "try_left": 0,  # calls of the try left
            "try_seconds": [],  # the try's measures so far
            "last_shared": False,  # whether the last call ran on every thread
        }

    def _switch(self, threads: int) -> None:
        """Keep the measures of this thread count and take up those of ``threads`` (afresh if never used)."""
        self.kept[self.threads] = {name: getattr(self, name) for name in self._fresh()}
        self.threads = threads
        self.__dict__.update(self.kept.pop(threads, None) or self._fresh())

    def run[T](self, count: int, work: Callable[[int, int], T], units: int) -> list[T]:
        """``work(task, thread)`` for every task in ``range(count)`` (:func:`run_shared`); ``units`` measures its size."""
        if thread_count() == 1:
            return [work(task, 0) for task in range(count)]
        if thread_count() != self.threads:
            self._switch(thread_count())
        shared = self._choose()
        started = self.clock()
        results = run_shared(count, work) if shared else [work(task, 0) for task in range(count)]
        seconds = (self.clock() - started) / max(units, 1)
        before, last = self.faster(), self.seconds_per_unit[shared]
        after_sharing, self.last_shared = self.last_shared and not shared, shared
        if self.try_left:
            self.try_left -= 1
            if self.try_left < TRY_CALLS - 1:  # the try's first call wakes what the way needs: not measured
                self.try_seconds.append(seconds)
                if seconds > STALL * self.seconds_per_unit[not shared]:  # a stall: the try has seen enough
                    self.try_left = 0
            if self.try_left:
                return results
            tried = sum(self.try_seconds) / len(self.try_seconds)
            self.seconds_per_unit[shared] = tried if not math.isfinite(last) else (last + tried) / 2
        elif not after_sharing:  # the caller's first call after sharing may find itself on the busy core: not measured
            self.seconds_per_unit[shared] = (1 - self.weight) * last + self.weight * seconds
        if before is not None:
            if self.faster() != before:  # the machine changed: try the other way again after the shortest interval
                self.interval, self.since_probe = self.probe_every, 0
            elif shared != before:  # a try of the other way that confirmed the choice
                self.interval = min(self.backoff * self.interval, self.max_probe_every)
        return results

    def faster(self) -> bool | None:
        """Whether every thread has been faster than the caller alone, by :data:`SHARING_GAIN` (None until both tried)."""
        alone, shared = self.seconds_per_unit[False], self.seconds_per_unit[True]
        return None if math.isnan(shared) or math.isnan(alone) else shared <= SHARING_GAIN * alone

    def _choose(self) -> bool:
        """Whether this call runs on every thread: a try's way, an untried one, the other now and then, or the faster."""
        if self.try_left:
            return self.trying
        untried = [way for way in (True, False) if math.isnan(self.seconds_per_unit[way])]
        if untried:
            return self._try(untried[0])
        faster = bool(self.faster())
        self.since_probe += 1
        if self.since_probe < self.interval:
            return faster
        self.since_probe = 0
        return self._try(not faster)

    def _try(self, way: bool) -> bool:
        """Start a try of ``way``; returns the way this call takes.

        A try of sharing while other work keeps the other cores busy (``load``) is answered without
        running it: sharing is marked slower (an infinite measure, until a try that runs) and, as after
        a try that confirmed the caller alone, the next one waits longer.
        """
        if way and self.load is not None and self.load.others_hold(self.threads - 1):
            if self.faster() is False:
                self.interval = min(self.backoff * self.interval, self.max_probe_every)
            self.seconds_per_unit[True] = math.inf
            return self._try(False) if math.isnan(self.seconds_per_unit[False]) else False
        self.trying, self.try_left, self.try_seconds = way, TRY_CALLS, []
        return way
