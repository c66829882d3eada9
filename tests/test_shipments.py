"""The shipment pool and the cue queue: slots and cues are kept, grown and dropped without loss."""

import numpy as np
import pytest

import sim.shipments
from sim.cli import main
from sim.cues import CUE_DRONE, CUE_TIP, CueQueue
from sim.kernels.layout import launch_order, route_order
from sim.kernels.movement import FREE, IN_TRANSIT
from sim.shipments import PoolFull, ShipmentPool


def launch(pool: ShipmentPool, n: int) -> np.ndarray:
    return pool.launch(np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n), np.zeros(n))


def test_pool_grows_with_live_shipments_then_releases_them_all():
    pool = ShipmentPool(4)
    first = launch(pool, 4)
    more = launch(pool, 1)  # grows while every slot is live
    assert pool.capacity >= 5 and pool.live == 5
    pool.release(np.concatenate([first[:2], more]))
    assert pool.live == 2
    pool.release(first[2:])
    assert pool.live == 0
    again = launch(pool, pool.capacity)
    assert np.unique(again).size == pool.capacity, "every slot is handed out once"


def test_launches_past_the_most_in_transit_are_refused_and_leave_the_pool_as_it_was(monkeypatch):
    monkeypatch.setattr(sim.shipments, "MAX_LIVE", 10)
    pool = ShipmentPool(4)
    launch(pool, 8)
    with pytest.raises(PoolFull) as full:
        launch(pool, 3)
    assert (full.value.wanted, full.value.limit) == (11, 10) and pool.live == 8 and pool.next_uid == 8
    assert launch(pool, 2).size == 2 and pool.live == 10


def test_a_run_whose_launches_outgrow_the_pool_is_one_line_exit_2_and_writes_nothing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sim.shipments, "MAX_LIVE", 50)  # the baseline has some 40 in transit: 50 is passed in a day or two
    scenario = tmp_path / "s.toml"
    scenario.write_text("[cartels]\nshipments_per_day = 200\n")
    assert main(["run", str(scenario), "--steps", "96", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "s.toml: cartels.shipments_per_day: expected launches that keep at most 50 shipments" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_slots_are_unique_and_uids_increase():
    pool = ShipmentPool(2)
    rng = np.random.default_rng(0)
    live: set[int] = set()
    for _ in range(200):
        slots = launch(pool, int(rng.integers(0, 20)))
        assert live.isdisjoint(slots.tolist())
        live.update(slots.tolist())
        assert np.all(pool.status[slots] == IN_TRANSIT)
        ending = rng.choice(sorted(live), size=len(live) // 2, replace=False) if live else np.zeros(0, np.int64)
        pool.release(np.asarray(ending, dtype=np.int64))
        live.difference_update(np.asarray(ending).tolist())
        assert pool.live == len(live) == int((pool.status == IN_TRANSIT).sum())
    assert np.all(pool.status[pool.status != IN_TRANSIT] == FREE)
    assert np.unique(pool.uid[pool.status == IN_TRANSIT]).size == pool.live


def test_cue_queue_keeps_arrival_order_as_it_grows_and_takes_its_spare():
    queue = CueQueue()
    for batch in range(10):  # 10 × 30 cues: past the first capacity of 64 several times
        slots = np.arange(batch * 30, batch * 30 + 30)
        queue.append(slot=slots, uid=slots + 1000, cell=slots * 2, ready_step=batch, expiry_step=batch + 5,
                     source=CUE_TIP, sources=1 << CUE_TIP, reported_step=batch)
    assert len(queue) == 300
    np.testing.assert_array_equal(queue.slot, np.arange(300))
    kept = np.flatnonzero(queue.slot % 3 == 0)
    queue.spare[:kept.size] = queue.table[kept]
    queue.take_spare(kept.size)
    np.testing.assert_array_equal(queue.slot, np.arange(0, 300, 3))
    np.testing.assert_array_equal(queue.uid, np.arange(0, 300, 3) + 1000)
    np.testing.assert_array_equal(queue.ready_step, np.arange(0, 300, 3) // 30)
    queue.append(slot=np.array([7]), uid=np.array([8]), cell=np.array([9]), ready_step=1, expiry_step=2, source=CUE_DRONE,
                 sources=1 << CUE_DRONE, reported_step=1)
    assert len(queue) == 101 and queue.slot[-1] == 7 and queue.source[-1] == CUE_DRONE and queue.source[0] == CUE_TIP


def test_route_order_groups_the_live_shipments_by_route_position_and_puts_the_free_slots_last():
    status = np.array([IN_TRANSIT, FREE, IN_TRANSIT, IN_TRANSIT, FREE, IN_TRANSIT, IN_TRANSIT], np.uint8)
    route = np.array([1, 9, 0, 1, 9, 0, 1], np.int32)  # a free slot's route may be any number
    progress = np.array([2, 0, 3, 0, 0, 1, 2], np.int32)
    route_start = np.array([0, 5], np.int64)  # route 0: positions 0-4, route 1: positions 5-8
    order = route_order(status, route, progress, route_start, 9)
    # positions: slot 5 → 1, slot 2 → 3, slot 3 → 5, slots 0 and 6 → 7 (ties in slot order); then free 1, 4
    np.testing.assert_array_equal(order, [5, 2, 3, 0, 6, 1, 4])


def test_regroup_moves_every_field_with_its_shipment_and_tells_the_keepers_of_slots():
    pool = ShipmentPool(8)
    slots = pool.launch(np.arange(6) % 2, np.array([3, 1, 2, 1, 0, 3]), np.arange(6.0), np.full(6, 0.25))
    pool.progress[slots] = [5, 2, 0, 1, 4, 1]
    pool.cued[slots[1]] = True
    pool.release(slots[[2, 4]])
    told: list[np.ndarray] = []
    pool.keep_slots_with(told.append)
    pool.owner[slots[0]] = -7  # moved as bits: a negative integer, a float's sign and payload, a bool
    pool.value[slots[3]] = -0.0
    pool.carry_h[slots[5]] = np.frombuffer(np.uint32(0x7FC01234).tobytes(), np.float32)[0]
    before = {name: array.copy() for name, array in pool.arrays.items()}
    order = np.array([slots[3], slots[1], slots[5], slots[0], slots[2], slots[4], 6, 7])
    pool.regroup(order)
    (moved_to,) = told
    np.testing.assert_array_equal(order[moved_to], np.arange(8))
    for name, array in pool.arrays.items():
        assert array.dtype == before[name].dtype and array.size == 8
        np.testing.assert_array_equal(array[moved_to].view(np.uint8), before[name].view(np.uint8))  # went with its shipment
    np.testing.assert_array_equal(pool.uid[:4], [3, 1, 5, 0])
    assert pool.live == 4 and np.all(pool.status[:4] == IN_TRANSIT) and np.all(pool.status[4:] == FREE)
    np.testing.assert_array_equal(launch(pool, 4), [4, 5, 6, 7])  # the free slots are those after the live ones


def test_regroups_again_after_growing_keep_every_shipment_whole():
    """Regroup, grow, regroup, regroup: each shipment's fields stay together (the spare arrays follow the capacity)."""
    rng = np.random.default_rng(5)
    pool = ShipmentPool(8)
    slots = pool.launch(np.arange(8) % 3, rng.integers(0, 4, 8), np.arange(8.0), rng.random(8))
    pool.release(slots[[1, 6]])
    for round_ in range(3):
        if round_ == 1:
            launch(pool, pool.capacity)  # more than the free slots: the pool grows
        live = np.flatnonzero(pool.status == IN_TRANSIT)
        by_uid = {int(pool.uid[s]): (int(pool.owner[s]), float(pool.value[s]), int(pool.route[s])) for s in live}
        order = np.concatenate([rng.permutation(live), np.flatnonzero(pool.status == FREE)])
        pool.regroup(order)
        assert {int(pool.uid[s]): (int(pool.owner[s]), float(pool.value[s]), int(pool.route[s]))
                for s in range(live.size)} == by_uid
        assert pool.live == live.size and np.all(pool.status[live.size:] == FREE)


def test_the_cue_queue_follows_its_shipments_to_their_new_slots():
    queue = CueQueue()
    queue.append(slot=np.array([4, 1, 6]), uid=np.array([40, 10, 60]), cell=np.array([7, 8, 9]), ready_step=0,
                 expiry_step=5, source=CUE_DRONE, sources=1 << CUE_DRONE, reported_step=0)
    moved_to = np.array([7, 0, 6, 5, 3, 4, 2, 1])
    queue.move_slots(moved_to)
    np.testing.assert_array_equal(queue.slot, [3, 0, 2])
    np.testing.assert_array_equal(queue.uid, [40, 10, 60])
    assert queue.row_of[3] == 0 and queue.row_of[0] == 1 and queue.row_of[2] == 2
    assert np.count_nonzero(queue.row_of >= 0) == 3


@pytest.mark.parametrize(("n", "span"), [(0, 1), (1, 1), (2, 2), (500, 600), (3000, 5_000_000), (40_000, 2**40)])
def test_launch_order_sorts_distinct_ids_as_numpy_does(n, span):
    """Any number of ids, spans of one to three digits of the radix sort, and more."""
    rng = np.random.default_rng(n)
    values = rng.choice(span, size=n, replace=False) if span <= 10**7 else np.unique(rng.integers(0, span, size=2 * n))[:n]
    uid = rng.permutation(values).astype(np.int64) + 7
    np.testing.assert_array_equal(launch_order(uid), np.argsort(uid))
