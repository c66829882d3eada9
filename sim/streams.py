"""The run's named random streams, all split from its seed."""

from __future__ import annotations

import numpy as np

STREAMS = ("world", "cartels", "drones", "sensing", "ground", "community")


def split_seed(seed: int) -> dict[str, np.random.SeedSequence]:
    """One seed sequence per named stream, split from the run's ``seed`` (the same for every use of that seed)."""
    return dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))
