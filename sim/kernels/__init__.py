"""Numba kernels: the hot loop, over arrays and scalars only.

Every kernel is a module-level ``@njit(cache=True)`` function whose docstring gives the unit,
dtype and shape of each argument. No Python objects cross into a kernel; random numbers come
from :func:`sim.kernels.counter_rng.uniform`, a hash of (key, counter), so results do not depend
on the order or the thread that draws them. The shipment kernel releases the GIL and steps
lanes of shipment slots on parallel threads (see :mod:`sim.kernels.movement`).
"""
