import math
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from numba import njit

from sim.kernels import threads
from sim.kernels.claims import take_ticket
from sim.kernels.threads import MAX_THREADS, MeasuredThreads, run_shared, use_threads


@pytest.fixture
def two_threads():
    use_threads(2)
    yield
    use_threads(MAX_THREADS)


def test_every_task_runs_once_and_the_results_keep_task_order(two_threads):
    ran: list[tuple[int, int]] = []

    def work(task: int, thread: int) -> int:
        ran.append((task, thread))
        time.sleep(0.001)
        return task * task

    assert run_shared(40, work) == [task * task for task in range(40)]
    assert sorted(task for task, _ in ran) == list(range(40))
    assert {thread for _, thread in ran} <= {0, 1}


def test_a_worker_whose_core_is_taken_does_not_hold_the_caller_up(two_threads):
    """The worker is kept busy by other work: the caller takes every task and returns without waiting for it."""
    release = threading.Event()
    threads._pool().submit(release.wait)  # the one worker is taken until released
    try:
        ran_on = []
        started = time.perf_counter()
        run_shared(16, lambda task, thread: ran_on.append(thread))
        assert time.perf_counter() - started < 5.0
        assert ran_on == [0] * 16
    finally:
        release.set()


def test_a_task_that_fails_raises_in_the_caller_after_the_others_finish(two_threads):
    done = []

    def work(task: int, thread: int) -> None:
        if task == 3:
            raise ValueError("task 3")
        time.sleep(0.001)
        done.append(task)

    with pytest.raises(ValueError, match="task 3"):
        run_shared(12, work)
    assert sorted(done) == [t for t in range(12) if t != 3]


def calls_each_way(seconds: Callable[[int], float], calls: int, probe_every: int = 8) -> dict[bool, int]:
    """How many of ``calls`` calls of 8 tasks (each sleeping ``seconds(thread)``) ran on every thread and alone."""
    def work(task: int, thread: int) -> int:
        time.sleep(seconds(thread))
        return task

    choice = MeasuredThreads(probe_every)
    counts = {True: 0, False: 0}
    for _ in range(calls):
        before = dict(choice.seconds_per_unit)
        assert choice.run(8, work, units=8) == list(range(8))
        for shared, count in counts.items():  # the way that ran has a new measure (NaN until its first call)
            old, new = before[shared], choice.seconds_per_unit[shared]
            counts[shared] = count + (not (old == new or (math.isnan(old) and math.isnan(new))))
    return counts


def test_measured_threads_keep_to_the_caller_when_sharing_has_been_slower(two_threads):
    """The worker takes far longer per task than the caller: after one call each way, sharing is only probed."""
    counts = calls_each_way(lambda thread: 0.02 if thread else 0.0005, calls=32)
    assert counts[True] <= 1 + 32 // 8, counts


def test_measured_threads_share_when_sharing_has_been_faster(two_threads):
    counts = calls_each_way(lambda thread: 0.002, calls=24)
    assert counts[False] <= 1 + 24 // 8 + 2, counts  # slack for a busy machine waking the worker late


@njit(nogil=True)
def _take_until(tickets: np.ndarray, limit: int, taken_by: np.ndarray, thread: int) -> int:
    """Take tickets until one reaches ``limit``, marking each in ``taken_by``; the number taken."""
    count = 0
    while True:
        ticket = take_ticket(tickets)
        if ticket >= limit:
            return count
        taken_by[ticket] += thread + 1
        count += 1


def test_tickets_go_to_exactly_one_thread_each():
    """Two threads take tickets from one counter at once: every ticket is taken once, none twice, none lost."""
    limit = 2_000_000
    tickets, taken_by = np.zeros(1, np.int64), np.zeros(limit, np.int64)
    _take_until(np.zeros(1, np.int64), 1, np.zeros(1, np.int64), 0)  # compiled before the race
    counts = [0, 0]

    def take(thread: int) -> None:
        counts[thread] = _take_until(tickets, limit, taken_by, thread)

    racers = [threading.Thread(target=take, args=(thread,)) for thread in (0, 1)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sum(counts) == limit and tickets[0] == limit + 2
    assert np.all((taken_by == 1) | (taken_by == 2)), "a ticket taken twice or by no one"


def test_measured_threads_try_the_other_way_less_often_while_it_stays_slower(two_threads):
    """Sharing is always slower: the tries of it thin out (8, 16, 32, 64, 64 ... calls apart), not one in every 8 calls."""
    counts = calls_each_way(lambda thread: 0.004 if thread else 0.0002, calls=200)
    assert counts[True] <= 1 + 5, counts  # first call, then tries after 8, 16, 32, 64 and 64 more calls
    assert counts[True] >= 3, "the other way is still tried now and then"
