"""The phases of one step, each a component that owns its state, its step and its invariant check.

:class:`PhaseLoop` runs them in order: the model's list of phases is the one place the step order
is written. With ``timing`` on, the loop times every phase (and phases may time their own parts),
so benchmarks read the times instead of patching methods.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol


class InvariantError(AssertionError):
    """A model invariant failed in validating mode."""


class Phase(Protocol):
    """One phase of the step."""

    name: str

    def step(self, now: int) -> None:
        """Advance the phase's mechanism through step ``now``."""

    def check(self, now: int) -> None:
        """Raise :class:`InvariantError` if the phase's state is inconsistent at step ``now``."""


class StepTimer:
    """Seconds spent per phase (and per timed part of a phase), summed over steps; off by default.

    Phases may also count what their timed part processed (e.g. shipment-steps), under a name of its own.

    Attributes:
        enabled: whether anything is timed.
        seconds: seconds (or counts) by phase or part name.
    """

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` (or a count) to ``name``'s total."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def reset(self) -> None:
        """Forget every total."""
        self.seconds.clear()


class PhaseLoop:
    """The phases of a step, in order.

    Args:
        phases: the phases, in step order.
        timer: where phase times go when it is enabled.
    """

    def __init__(self, phases: Sequence[Phase], timer: StepTimer) -> None:
        self.phases = tuple(phases)
        self.timer = timer

    def step(self, now: int) -> None:
        """Run every phase's step, in order."""
        if not self.timer.enabled:
            for phase in self.phases:
                phase.step(now)
            return
        for phase in self.phases:
            started = time.perf_counter()
            phase.step(now)
            self.timer.add(phase.name, time.perf_counter() - started)

    def check(self, now: int) -> None:
        """Check every phase's invariants, in order."""
        for phase in self.phases:
            phase.check(now)
