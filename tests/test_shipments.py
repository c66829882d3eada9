"""The shipment pool: slots are reused, grown and released without loss."""

import numpy as np

from sim.kernels.movement import FREE, IN_TRANSIT
from sim.shipments import ShipmentPool


def launch(pool: ShipmentPool, n: int) -> np.ndarray:
    return pool.launch(np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n), np.zeros(n), step=0)


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
