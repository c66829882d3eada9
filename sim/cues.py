"""Cues waiting for a ground unit, as parallel arrays (answered by :func:`sim.kernels.dispatch.triage_cues`)."""

from __future__ import annotations

import numpy as np

# What a cue came from.
CUE_DRONE = 0  # a drone detection
CUE_INTERCEPT = 1  # an intercept of the cartel's communications
CUE_TIP = 2  # a tip from the community
CUE_SOURCES = 3  # how many sources a cue may come from

# The schema of the queue: field → dtype.
CUE_FIELDS: dict[str, type] = {
    "slot": np.int64,  # shipment slot the cue points at
    "uid": np.int64,  # that shipment's unique id (a slot is reused after the shipment ends)
    "cell": np.int64,  # flat cell where it was seen
    "ready_step": np.int64,  # first step a unit may be sent (after the response delay)
    "expiry_step": np.int64,  # after this step an unanswered cue lapses
    "source": np.int8,  # CUE_DRONE, CUE_INTERCEPT or CUE_TIP: the first report's (seizures are credited to it)
    "sources": np.int8,  # bit 1 << source set for every source that reported the shipment (sim.fusion)
    "reported_step": np.int64,  # step of the first report
}


class CueQueue:
    """Cues in the order units answer them: arrival order, or by priority with fusion (:mod:`sim.fusion`).

    The columns live at the front of arrays that double when full, so adding cues costs in
    proportion to the cues added, not to the queue.
    """

    def __init__(self) -> None:
        self.size = 0
        self.arrays: dict[str, np.ndarray] = {name: np.zeros(64, dtype) for name, dtype in CUE_FIELDS.items()}

    def __len__(self) -> int:
        return self.size

    def __getattr__(self, name: str) -> np.ndarray:
        """A column of the waiting cues (a view)."""
        try:
            return self.__dict__["arrays"][name][:self.__dict__["size"]]
        except KeyError:
            raise AttributeError(name) from None

    def append(self, **columns: np.ndarray | int) -> None:
        """Add cues at the back; every field of :data:`CUE_FIELDS` is given (scalars broadcast to ``slot``)."""
        n = np.size(columns["slot"])
        end = self.size + n
        for name, array in self.arrays.items():
            if end > array.size:
                array = self.arrays[name] = np.concatenate(
                    [array[: self.size], np.zeros(max(end, 2 * array.size) - self.size, array.dtype)]
                )
            array[self.size:end] = columns[name]
        self.size = end

    def reorder(self, order: np.ndarray) -> None:
        """Put the cues in ``order`` (a permutation of the queue's positions)."""
        for array in self.arrays.values():
            array[:self.size] = array[:self.size][order]

    def keep(self, mask: np.ndarray) -> None:
        """Drop every cue where ``mask`` is False."""
        kept = int(np.count_nonzero(mask))
        for array in self.arrays.values():
            array[:kept] = array[:self.size][mask]
        self.size = kept
