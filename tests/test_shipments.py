"""The shipment pool and the cue queue: slots and cues are kept, grown and dropped without loss."""

import numpy as np

from sim.cues import CUE_DRONE, CUE_TIP, CueQueue
from sim.kernels.movement import FREE, IN_TRANSIT
from sim.shipments import ShipmentPool


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
