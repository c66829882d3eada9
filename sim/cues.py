"""Cues waiting for a ground unit, one row of a table each (answered by :func:`sim.kernels.dispatch.triage_cues`)."""

from __future__ import annotations

import numpy as np

# What a cue came from.
CUE_DRONE = 0  # a drone detection
CUE_INTERCEPT = 1  # an intercept of the cartel's communications
CUE_TIP = 2  # a tip from the community
CUE_SOURCES = 3  # how many sources a cue may come from

# The schema of the queue: field → its column of the table (every field int64).
CUE_FIELDS: dict[str, int] = {
    "slot": 0,  # shipment slot the cue points at
    "uid": 1,  # that shipment's unique id (a slot is reused after the shipment ends)
    "cell": 2,  # flat cell where it was seen
    "ready_step": 3,  # first step a unit may be sent (after the response delay)
    "expiry_step": 4,  # after this step an unanswered cue lapses
    "source": 5,  # CUE_DRONE, CUE_INTERCEPT or CUE_TIP: the first report's (seizures are credited to it)
    "sources": 6,  # bit 1 << source set for every source that reported the shipment (sim.fusion)
    "reported_step": 7,  # step of the first report
}
SLOT, UID, CELL, READY_STEP, EXPIRY_STEP, SOURCE, SOURCES, REPORTED_STEP = CUE_FIELDS.values()
ENDED = -1  # the uid of a cue whose shipment has ended (sim.kernels.matching.end_cues; the dispatch drops it)
FIRST_CAPACITY = 64  # cues the table holds before it first grows


class CueQueue:
    """Cues in the order units answer them: arrival order, or by priority with fusion (:mod:`sim.fusion`).

    The cues are the first :attr:`size` rows of :attr:`table`, which doubles when full, so adding
    cues costs in proportion to the cues added, not to the queue. A cue's fields lie together (one
    cache line), so moving cues moves whole lines.

    Attributes:
        table: (capacity, fields) int64, one column per field of :data:`CUE_FIELDS`.
        spare: a table of the same shape, which the dispatch writes the cues still waiting into (:meth:`take_spare`).
        row_of: (> every slot,) int64, by shipment slot, the row the last cue written about that slot went to (-1
            none): the only cue that may wait for the slot's shipment, if that row still holds its slot and uid.
    """

    def __init__(self) -> None:
        self.size = 0
        self.table = np.zeros((FIRST_CAPACITY, len(CUE_FIELDS)), np.int64)
        self.spare = np.zeros_like(self.table)
        self.row_of = np.full(FIRST_CAPACITY, -1, np.int64)

    def __len__(self) -> int:
        return self.size

    def __getattr__(self, name: str) -> np.ndarray:
        """A field of the waiting cues (a view)."""
        try:
            return self.__dict__["table"][:self.__dict__["size"], CUE_FIELDS[name]]
        except KeyError:
            raise AttributeError(name) from None

    def append(self, **columns: np.ndarray | int) -> None:
        """Add cues at the back; every field of :data:`CUE_FIELDS` is given (scalars broadcast to ``slot``)."""
        slots = np.asarray(columns["slot"])
        self.make_room(slots)
        end = self.size + slots.size
        for name, column in CUE_FIELDS.items():
            self.table[self.size:end, column] = columns[name]
        self.row_of[slots] = np.arange(self.size, end)
        self.size = end

    def make_room(self, slots: np.ndarray) -> None:
        """Grow the tables and :attr:`row_of` (doubling) so that cues about ``slots`` can be added."""
        end = self.size + slots.size
        if end > self.table.shape[0]:
            grown = np.zeros((max(end, 2 * self.table.shape[0]), len(CUE_FIELDS)), np.int64)
            grown[:self.size] = self.table[:self.size]
            self.table, self.spare = grown, np.zeros_like(grown)
        if slots.size and slots.max() >= self.row_of.size:
            grown = np.full(max(slots.max() + 1, 2 * self.row_of.size), -1, np.int64)
            grown[:self.row_of.size] = self.row_of
            self.row_of = grown

    def move_slots(self, moved_to: np.ndarray) -> None:
        """The shipments moved to new slots (``moved_to[old]`` is the new one, :meth:`sim.shipments.ShipmentPool.regroup`)."""
        self.table[:self.size, SLOT] = moved_to[self.table[:self.size, SLOT]]
        kept = min(self.row_of.size, moved_to.size)
        row_of = np.full(max(self.row_of.size, moved_to.size), -1, np.int64)
        row_of[moved_to[:kept]] = self.row_of[:kept]
        self.row_of = row_of

    def take_spare(self, size: int) -> None:
        """Make the first ``size`` rows of :attr:`spare` the queue (the old table becomes the spare)."""
        self.table, self.spare = self.spare, self.table
        self.size = size
