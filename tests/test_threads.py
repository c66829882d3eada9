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
def two_threads(monkeypatch):
    """Two threads, and room for three, whatever the machine: these tests run plain tasks or stand-ins, no kernel
    (whose scratch is sized by the real MAX_THREADS)."""
    monkeypatch.setattr(threads, "MAX_THREADS", max(3, MAX_THREADS))
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


def ways_taken(shared_seconds: Callable[[int], float], alone_seconds: float, calls: int, monkeypatch,
               choice: MeasuredThreads | None = None, first_alone_after_sharing: float | None = None) -> list[int]:
    """The calls (of ``calls`` calls of 8 tasks) that ran on every thread, on a clock where call ``i`` shared takes
    ``shared_seconds(i)`` and alone ``alone_seconds`` (``first_alone_after_sharing`` the first call alone after one
    shared, when given).

    The threads are replaced by a stand-in that runs the tasks in order, so the choice alone is tested, whatever
    the machine is doing.
    """
    clock, call, ran_shared = [0.0], [0], []

    def shared(count: int, work: Callable[[int, int], int]) -> list[int]:
        ran_shared.append(call[0])
        clock[0] += shared_seconds(call[0]) - alone_seconds  # the tasks below add the time alone
        return [work(task, 0) for task in range(count)]

    def work(task: int, thread: int) -> int:
        after_sharing = first_alone_after_sharing is not None and ran_shared[-1:] == [call[0] - 1]
        clock[0] += (first_alone_after_sharing if after_sharing else alone_seconds) / 8
        return task

    monkeypatch.setattr(threads, "run_shared", shared)
    choice = choice or MeasuredThreads()
    choice.clock = lambda: clock[0]
    for call[0] in range(calls):
        assert choice.run(8, work, units=8) == list(range(8))
    return ran_shared


def runs_of(calls: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive calls."""
    runs: list[tuple[int, int]] = []
    for call in calls:
        runs[-1:] = [(runs[-1][0], call)] if runs and runs[-1][1] == call - 1 else [*runs[-1:], (call, call)]
    return runs


def test_measured_threads_keep_to_the_caller_and_try_sharing_less_often_while_it_stays_slower(two_threads, monkeypatch):
    """Sharing is slower: after a try of each way (eight calls each), it is tried 8, 32, 128 and 512 calls apart, and
    512 apart from then on: four tries in a week of 672 steps, one in 514 calls after that. A try's first measured
    call, at twice the caller's time, ends it: two calls a try."""
    shared = ways_taken(lambda call: 2.0, alone_seconds=1.0, calls=2000, monkeypatch=monkeypatch)
    assert runs_of(shared) == [(0, 7), (23, 24), (56, 57), (185, 186), (698, 699), (1211, 1212), (1724, 1725)]


def test_measured_threads_share_when_sharing_has_been_faster(two_threads, monkeypatch):
    """The caller alone, tried after the first try of sharing, is slower by more than a quarter at its first measured
    call: each of its tries ends there."""
    shared = ways_taken(lambda call: 1.0, alone_seconds=2.0, calls=80, monkeypatch=monkeypatch)
    assert runs_of(sorted(set(range(80)) - set(shared))) == [(8, 9), (17, 18), (50, 51)]


def test_no_more_threads_than_the_kernels_keep_scratch_for(two_threads):
    """A count above MAX_THREADS runs on MAX_THREADS: the lanes write a row of flow marks per thread, and a thread
    beyond the rows wrote past them (a crash of the heap, seen with 3 threads on 2 cores)."""
    use_threads(threads.MAX_THREADS + 1)
    assert threads.thread_count() == threads.MAX_THREADS
    use_threads(0)
    assert threads.thread_count() == 1


def test_on_one_thread_nothing_is_measured_and_each_thread_count_keeps_its_own_measures(two_threads, monkeypatch):
    """On one thread the tasks run in the caller, untimed; a new thread count tries both ways from the start; back
    on two threads, the measures taken on two hold again, and so does their schedule of tries."""
    choice = MeasuredThreads()
    assert runs_of(ways_taken(lambda call: 2.0, alone_seconds=1.0, calls=40, monkeypatch=monkeypatch, choice=choice)) == [
        (0, 7), (23, 24)]
    on_two = dict(choice.seconds_per_unit)
    use_threads(1)
    assert ways_taken(lambda call: 2.0, alone_seconds=1.0, calls=40, monkeypatch=monkeypatch, choice=choice) == []
    assert choice.threads == 2 and choice.seconds_per_unit == on_two  # untouched by the calls on one thread
    use_threads(3)
    assert runs_of(ways_taken(lambda call: 1.0, alone_seconds=2.0, calls=16, monkeypatch=monkeypatch, choice=choice)) == [
        (0, 7), (10, 15)]
    assert choice.threads == 3 and choice.faster() is True
    use_threads(2)
    # the tries go on where they stopped: the next of sharing at the 56th call on two threads, 16 calls on
    assert ways_taken(lambda call: 2.0, alone_seconds=1.0, calls=20, monkeypatch=monkeypatch, choice=choice) == [16, 17]
    assert choice.threads == 2 and choice.faster() is False


def test_the_workers_are_kept_while_the_thread_count_stays_or_goes_to_one_and_back(two_threads):
    pool = threads._pool()
    use_threads(1)
    assert threads._pool() is None
    use_threads(2)
    assert threads._pool() is pool
    use_threads(3)
    assert threads._pool() is not pool and run_shared(6, lambda task, _thread: task) == [*range(6)]


def test_measured_threads_turn_when_the_faster_way_changes_and_turn_back_when_it_changes_again(two_threads, monkeypatch):
    """Sharing wins (the caller alone tried at 8-9 and 17-18); from call 30 (a core taken) it costs 1.5 times the
    caller alone: its running mean passes 0.9 of the caller's after 10 calls and the caller alone takes over, trying
    sharing 8 calls on (47-48: confirmed at its first measured call), then 32 calls on (80-87); the core was freed
    at call 60, so sharing wins that try and keeps the work (the caller alone tried 8 calls on, then 32: 95-96,
    128-129)."""
    shared = ways_taken(lambda call: 1.0 if call < 30 or call >= 60 else 3.0, alone_seconds=2.0, calls=200,
                        monkeypatch=monkeypatch)
    assert runs_of(sorted(set(range(200)) - set(shared))) == [(8, 9), (17, 18), (40, 46), (49, 79), (95, 96),
                                                              (128, 129)]


def test_a_near_tie_goes_to_the_caller_alone(two_threads, monkeypatch):
    """Sharing 5% faster than the caller alone (as on a busy machine, where it may stall) is only tried."""
    shared = ways_taken(lambda call: 1.9, alone_seconds=2.0, calls=200, monkeypatch=monkeypatch)
    assert runs_of(shared) == [(0, 7), (23, 30), (62, 69), (197, 199)]


def test_a_stall_one_call_in_three_counts_for_what_it_costs_on_average(two_threads, monkeypatch):
    """Sharing is fast but one call in three stalls (a worker preempted while it holds a lane): on average it costs
    more than the caller alone, so the caller keeps the work, and sharing is only tried: the first try (when the
    caller alone has no measure yet) runs eight calls, the later ones end at their first stall (more than 1.25 times
    the caller's time)."""
    shared = ways_taken(lambda call: 5.0 if call % 3 == 0 else 1.0, alone_seconds=2.0, calls=300, monkeypatch=monkeypatch)
    assert runs_of(shared) == [(0, 7), (23, 24), (56, 57), (185, 186)]


def test_the_callers_first_call_after_sharing_is_not_measured(two_threads, monkeypatch):
    """Back from sharing, the caller's first call may run on the core the other work holds (here it takes 10 times
    as long): that call is left out of the caller's measure, so sharing (slower than the rest) stays untaken."""
    choice = MeasuredThreads()
    shared = ways_taken(lambda call: 3.0, alone_seconds=2.0, calls=120, monkeypatch=monkeypatch, choice=choice,
                        first_alone_after_sharing=20.0)
    assert runs_of(shared) == [(0, 7), (23, 24), (56, 57)]
    assert choice.seconds_per_unit[False] == pytest.approx(2.0 / 8)


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


def write_stat(path, busy_ticks: tuple[int, int], idle_ticks: int = 1000) -> None:
    """A /proc/stat with two cores: ``busy_ticks`` in user time, the rest idle (other fields zero)."""
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    lines += [f"cpu{core} {busy} 0 0 {idle_ticks} 0 0 0 0 0 0" for core, busy in enumerate(busy_ticks)]
    path.write_text("\n".join([*lines, "intr 12345", "ctxt 678"]) + "\n")


def test_core_load_counts_what_other_work_kept_busy_since_the_last_reading(tmp_path):
    """Over 1 s, the two cores were busy 1.5 core-seconds, 0.5 of them this process's own: others held 1 core."""
    stat, clock, own = tmp_path / "stat", [10.0], [2.0]
    write_stat(stat, (100, 100))
    load = threads.CoreLoad(str(stat), clock=lambda: clock[0], own=lambda: own[0])
    load.cores, load.tick_s = {"cpu0", "cpu1"}, 0.01
    load.last = load._reading()
    write_stat(stat, (200, 150))
    clock[0], own[0] = 11.0, 2.5
    assert load.others_hold(2)  # others held 1 core: half of 2
    write_stat(stat, (300, 250))  # another second, 2 core-seconds busy, 1.6 of them this process's: others held 0.4
    clock[0], own[0] = 12.0, 4.1
    assert not load.others_hold(1)
    assert not load.others_hold(1)  # no time has passed since that reading: nothing to tell


def test_core_load_knows_nothing_without_the_file_or_from_a_file_not_in_the_kernels_format(tmp_path):
    load = threads.CoreLoad(str(tmp_path / "no such file"))
    assert load.last is None and not load.others_hold(1)
    odd = tmp_path / "stat"
    odd.write_text("\ncpu0 12 x 3\ncpu1 1 2\n")
    load = threads.CoreLoad(str(odd))
    load.cores = {"cpu0", "cpu1"}
    assert load._reading() is None and not load.others_hold(1)


class HeldCores:
    """A stand-in for :class:`sim.kernels.threads.CoreLoad`: other work holds the cores while ``held``."""

    def __init__(self) -> None:
        self.held, self.asked = True, 0

    def others_hold(self, cores: int) -> bool:
        self.asked += 1
        return self.held


def test_while_other_work_holds_the_cores_sharing_is_not_tried(two_threads, monkeypatch):
    """Sharing would be faster, but the cores are held: no try of sharing runs, the load is read only when one is
    due (at calls 0, 16, 49 and 178: 8, 32 and 128 calls apart), and once the cores are free the next due try
    (512 calls after the last, the 487th call after they were freed) runs and sharing takes over."""
    load = HeldCores()
    choice = MeasuredThreads(load=load)
    assert ways_taken(lambda call: 1.0, alone_seconds=2.0, calls=200, monkeypatch=monkeypatch, choice=choice) == []
    assert choice.seconds_per_unit[True] == math.inf and load.asked == 4  # at calls 0, 16, 49, 178
    load.held = False
    shared = ways_taken(lambda call: 1.0, alone_seconds=2.0, calls=600, monkeypatch=monkeypatch, choice=choice)
    assert shared[0] == 487 and shared[-1] == 599 and choice.faster() is True


@pytest.mark.parametrize("shared", [False, True], ids=["alone", "shared"])
def test_the_shipment_lanes_are_dispatched_once_per_thread_and_alone_by_the_caller_only(two_threads, monkeypatch, shared):
    """Alone, the caller's first call takes every lane: the second thread's turn must not pay the kernel's dispatch.
    Shared, each thread enters the kernel at most once; one that finds lanes left as it checks may still find none
    as it enters (the caller took the last in between), so its ticket is not asserted."""
    import sim.kernels.movement as movement
    from sim.model import SkywatchModel
    from sim.scenario import Scenario

    if shared and movement.FLOW_ROWS < 2:
        pytest.skip("one core: the kernels keep scratch for one thread")
    model = SkywatchModel(Scenario().with_overrides({"world.height": 96, "world.width": 96, "drones.count": 2}, "test"))
    model.pool.reserve(movement.PARALLEL_SLOTS)
    calls: list[tuple[int, int]] = []
    kernel = movement._advance_lanes

    def counted(tickets, thread, *args):
        calls.append((int(tickets[0]), thread))
        return kernel(tickets, thread, *args)

    monkeypatch.setattr(movement, "_advance_lanes", counted)
    monkeypatch.setattr(movement.LANE_THREADS, "_choose", lambda: shared)
    model.step()
    threads_in = [thread for _, thread in calls]
    assert calls and min(taken for taken, _ in calls) == 0 and len(threads_in) == len(set(threads_in))
    assert calls == [(0, 0)] or shared


def test_stopping_the_workers_leaves_no_thread_and_the_next_shared_run_makes_them_again(two_threads):
    run_shared(4, lambda task, _thread: task)
    assert any(t.name.startswith("skywatch") for t in threading.enumerate())
    threads.stop_workers()
    assert not any(t.name.startswith("skywatch") for t in threading.enumerate())
    assert run_shared(4, lambda task, _thread: task * 2) == [0, 2, 4, 6]
