"""The run's named random streams: one per mechanism, all split from the run's seed.

Each stream is a NumPy generator for draws made in Python, and a 64-bit key for the numba
kernels' counter-based draws (a hash of key, step and shipment), so results do not depend on the
order of the draws or on the thread count.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.counter_rng import step_key

STREAMS = ("world", "cartels", "drones", "sensing", "ground", "community")


def split_seed(seed: int) -> dict[str, np.random.SeedSequence]:
    """One seed sequence per named stream, split from the run's ``seed`` (the same for every use of that seed)."""
    return dict(zip(STREAMS, np.random.SeedSequence(seed).spawn(len(STREAMS)), strict=True))


class RandomStreams:
    """The named streams of one run.

    Args:
        seed: the run's seed.
    """

    def __init__(self, seed: int) -> None:
        children = split_seed(seed)
        self._generators = {name: np.random.default_rng(child) for name, child in children.items()}
        self._keys = {name: np.uint64(child.generate_state(1, np.uint64)[0]) for name, child in children.items()}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name``."""
        return self._generators[name]

    def step_key(self, name: str, step: int) -> np.uint64:
        """The key of step ``step``'s counter-based draws in stream ``name``."""
        return np.uint64(step_key(self._keys[name], step))
