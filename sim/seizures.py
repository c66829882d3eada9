"""Seizures, wherever they happen: counted once, remembered by the cartels and the patrols."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.patrol import PatrolMemory
from sim.shipments import ShipmentPool


class Seizures:
    """Records seizures at checkpoints and by responding units alike.

    Args:
        pool: the shipments.
        tally: the run's totals.
        cartels: the cartels, by index (the ``owner`` of shipments); each remembers where it lost them.
        patrol: the patrols' memory (hotspot patrols aim where seizures happen).

    Attributes:
        cells: flat cell of every seizure, in order.
    """

    def __init__(self, pool: ShipmentPool, tally: Any, cartels: Sequence[Any], patrol: PatrolMemory) -> None:
        self.pool = pool
        self.tally = tally
        self.cartels = cartels
        self.patrol = patrol
        self.cells: list[int] = []

    def record(self, slots: np.ndarray, cells: np.ndarray, now: int) -> None:
        """Count the seizures of shipments ``slots`` at flat ``cells`` and teach each owner where it lost them."""
        if slots.size == 0:  # adds nothing anywhere (the patrols' memory would add zeros)
            return
        self.tally.shipments_seized += slots.size
        self.tally.value_seized += float(self.pool.value[slots].sum())
        self.cells.extend(np.asarray(cells, dtype=np.int64).tolist())
        for cartel in self.cartels:
            lost = cells[self.pool.owner[slots] == cartel.index]
            cartel.learn_losses(lost, now)
        self.patrol.add(np.asarray(cells, dtype=np.int64))
