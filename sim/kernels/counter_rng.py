"""Counter-based random numbers: a uniform draw is a pure hash of (key, counter)."""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijective scramble of a 64-bit word."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def uniform(key: np.uint64, counter: np.int64) -> float:
    """A uniform draw in [0, 1) determined by ``key`` (uint64) and ``counter`` (int64)."""
    z = mix64(key ^ mix64(np.uint64(counter) * _GOLDEN + _GOLDEN))
    return float(z >> np.uint64(11)) * _TO_UNIT


@njit(cache=True)
def step_key(stream_key: np.uint64, step: np.int64) -> np.uint64:
    """The key of one step of one stream: draws differ between steps and streams."""
    return mix64(stream_key ^ mix64(np.uint64(step) + _GOLDEN))


@njit(cache=True)
def uniforms(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """(n,) float64 uniform draws in [0, 1), one per (n,) int64 counter of ``key``."""
    out = np.empty(counters.size)
    for i in range(counters.size):
        out[i] = uniform(key, counters[i])
    return out
