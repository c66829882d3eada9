"""Shipments as a struct-of-arrays pool: one slot per live shipment, reused when it ends."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.kernels.layout import gather_into, invert_order
from sim.kernels.movement import FREE, IN_TRANSIT

# The schema of the pool, declared once: field → dtype.
FIELDS: dict[str, type] = {
    "status": np.uint8,  # FREE or IN_TRANSIT
    "uid": np.int64,  # unique id, counter of the shipment's random draws
    "owner": np.int64,  # cartel index
    "route": np.int32,  # index into the route table
    "progress": np.int32,  # index of the current cell within the route
    "carry_h": np.float32,  # hours banked towards the next cell
    "value": np.float32,  # currency at the sink
    "concealment": np.float32,  # in [0, 1)
    "cued": np.bool_,  # a cue about it awaits a ground response
    "pursued": np.bool_,  # a ground unit is on its way to it
}
# The fields by the width of their items, each with the unsigned type its bits are moved as (regroup moves bits, not values).
FIELDS_BY_WORD: dict[type, tuple[str, ...]] = {
    word: names for word in (np.uint8, np.uint16, np.uint32, np.uint64)
    if (names := tuple(name for name, dtype in FIELDS.items() if np.dtype(dtype).itemsize == np.dtype(word).itemsize))}


MAX_LIVE = 2**24  # shipments in transit at once: some 1.7 GB of pool and kernel arrays, 16 times the largest benchmark


class PoolFull(Exception):
    """More shipments would be in transit at once than :data:`MAX_LIVE`.

    Attributes:
        wanted: the shipments that would be in transit.
        limit: the most there may be.
    """

    def __init__(self, wanted: int, limit: int) -> None:
        self.wanted, self.limit = wanted, limit
        super().__init__(f"{wanted:,} shipments in transit, more than {limit:,}")


class ShipmentPool:
    """Live shipments in parallel arrays; free slots kept on a stack.

    A shipment's slot is where it sits in memory, not who it is (its ``uid`` is): :meth:`regroup`
    may move every shipment, and whatever keeps slots from one step to the next registers with
    :meth:`keep_slots_with` to be told where they went.

    Args:
        capacity: initial number of slots; the pool doubles when full.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = 0
        self.arrays: dict[str, np.ndarray] = {name: np.zeros(0, dtype) for name, dtype in FIELDS.items()}
        self._free = np.zeros(0, dtype=np.int64)
        self._n_free = 0
        self.next_uid = 0
        self._slot_keepers: list[Callable[[np.ndarray], None]] = []
        self._spare: dict[str, np.ndarray] | None = None  # the arrays regroup moves the fields into, made when first needed
        self._grow(max(capacity, 1))

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def reserve(self, capacity: int) -> None:
        """Make room for ``capacity`` shipments at once, so that launches up to it never grow the arrays."""
        if capacity > self.capacity:
            self._grow(capacity)

    @property
    def live(self) -> int:
        """Number of shipments in transit."""
        return self.capacity - self._n_free

    def _grow(self, capacity: int) -> None:
        old = self.capacity
        for name, array in self.arrays.items():
            grown = np.zeros(capacity, dtype=array.dtype)
            grown[:old] = array
            self.arrays[name] = grown
        self._spare = None  # the old size: made again at the next regroup
        free = np.empty(capacity, dtype=np.int64)  # room for every slot to be free at once
        added = capacity - old
        free[:added] = np.arange(capacity - 1, old - 1, -1)  # new slots below, lowest on top of them
        free[added:added + self._n_free] = self._free[:self._n_free]
        self._free = free
        self._n_free += added
        self.capacity = capacity

    def launch(self, owner: np.ndarray | int, route: np.ndarray, value: np.ndarray | float,
               concealment: np.ndarray | float) -> np.ndarray:
        """Put new shipments on ``route`` in free slots; returns their slots (other fields: one per route, or one for all).

        Raises:
            PoolFull: more than :data:`MAX_LIVE` shipments would be in transit (the pool is left as it was).
        """
        n = route.size
        if self.live + n > MAX_LIVE:
            raise PoolFull(self.live + n, MAX_LIVE)
        if n > self._n_free:
            self._grow(max(2 * self.capacity, self.live + n))
        slots = self._free[self._n_free - n:self._n_free][::-1].copy()
        self._n_free -= n
        a = self.arrays
        a["status"][slots] = IN_TRANSIT
        a["uid"][slots] = np.arange(self.next_uid, self.next_uid + n)
        a["owner"][slots] = owner
        a["route"][slots] = route
        a["progress"][slots] = 0
        a["carry_h"][slots] = 0.0
        a["value"][slots] = value
        a["concealment"][slots] = concealment
        a["cued"][slots] = False
        a["pursued"][slots] = False
        self.next_uid += n
        return slots

    def keep_slots_with(self, move: Callable[[np.ndarray], None]) -> None:
        """Call ``move(moved_to)`` whenever :meth:`regroup` moves the shipments (``moved_to``: the new slot of each old one)."""
        self._slot_keepers.append(move)

    def regroup(self, order: np.ndarray) -> None:
        """Move the shipment in slot ``order[k]`` to slot ``k``, for every k; ``order`` lists the live slots first.

        Every field moves with its shipment, into a spare set of arrays that then become the fields
        (so the field arrays are new objects after a regroup, as after the pool grows: fetch them
        again), the free slots are those after the live ones, lowest taken first, and each keeper of
        slots is told where they went.
        """
        if self._spare is None:
            self._spare = {name: np.empty_like(array) for name, array in self.arrays.items()}
        for word, names in FIELDS_BY_WORD.items():
            gather_into(order, tuple(self.arrays[name].view(word) for name in names),
                        tuple(self._spare[name].view(word) for name in names))
        self.arrays, self._spare = self._spare, self.arrays
        self._free[:self._n_free] = np.arange(self.capacity - 1, self.live - 1, -1)
        moved_to = np.empty(self.capacity, dtype=np.int64)
        invert_order(order, moved_to)
        for move in self._slot_keepers:
            move(moved_to)

    def release(self, slots: np.ndarray) -> None:
        """Return ended shipments' slots (already marked FREE by a kernel) to the free stack."""
        n = slots.size
        self.arrays["status"][slots] = FREE
        self.arrays["cued"][slots] = False
        self.arrays["pursued"][slots] = False
        self._free[self._n_free:self._n_free + n] = slots
        self._n_free += n
