"""Cues waiting for a ground unit, as parallel arrays (answered by :func:`sim.kernels.dispatch.triage_cues`)."""

from __future__ import annotations

import numpy as np

# What a cue came from.
CUE_DRONE = 0  # a drone detection
CUE_INTERCEPT = 1  # an intercept of the cartel's communications
CUE_TIP = 2  # a tip from the community

# The schema of the queue: field → dtype.
CUE_FIELDS: dict[str, type] = {
    "slot": np.int64,  # shipment slot the cue points at
    "uid": np.int64,  # that shipment's unique id (a slot is reused after the shipment ends)
    "cell": np.int64,  # flat cell where it was seen
    "ready_step": np.int64,  # first step a unit may be sent (after the response delay)
    "expiry_step": np.int64,  # after this step an unanswered cue lapses
    "source": np.int8,  # CUE_DRONE, CUE_INTERCEPT or CUE_TIP
}


class CueQueue:
    """Cues in arrival order; the first-come cue is answered first."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {name: np.zeros(0, dtype) for name, dtype in CUE_FIELDS.items()}

    def __len__(self) -> int:
        return self.arrays["slot"].size

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def append(self, **columns: np.ndarray | int) -> None:
        """Add cues at the back; every field of :data:`CUE_FIELDS` is given (scalars broadcast to ``slot``)."""
        n = np.size(columns["slot"])
        for name, dtype in CUE_FIELDS.items():
            added = np.broadcast_to(np.asarray(columns[name], dtype=dtype), (n,))
            self.arrays[name] = np.concatenate([self.arrays[name], added])

    def keep(self, mask: np.ndarray) -> None:
        """Drop every cue where ``mask`` is False."""
        for name in CUE_FIELDS:
            self.arrays[name] = self.arrays[name][mask]

