"""Caps on flight hours: what the host government allows each platform type and each operator per period.

A cap counts the flight hours of the sorties that take off in a period: a sortie is charged the
hours it may fly (its endurance less the reserve it lands with, :attr:`Platform.sortie_h`) when it
takes off, so the hours flown by a period's sorties never exceed its caps, and a cap of n sorties'
hours lets n sorties fly. A sortie that would overrun a cap is refused and stays on the ground. A cap of 0
means no cap.
"""

from __future__ import annotations

import math

from sim.platforms import Platform


class HourCaps:
    """The flight-hour caps of one run and what each period's sorties have been charged.

    Args:
        period_h: length of a period, h.
        operator_caps: hours per period for each operator (``partner``, ``host``); 0 = no cap.
        platform_types: the platform types (each with its own ``hour_cap``; 0 = no cap).

    Attributes:
        charged: hours charged this period, by ``("platform", name)`` and ``("operator", name)``.
        limits: the caps in force, by the same keys (uncapped ones absent).
    """

    def __init__(self, period_h: float, operator_caps: dict[str, float], platform_types: tuple[Platform, ...]) -> None:
        self.period_h = period_h
        self.limits = {("operator", name): cap for name, cap in operator_caps.items() if cap > 0}
        self.limits |= {("platform", p.name): p.hour_cap for p in platform_types if p.hour_cap > 0}
        self.charged = dict.fromkeys(self.limits, 0.0)
        self.period = 0

    def allow(self, platform: Platform, due: int, hour: float) -> int:
        """How many of ``due`` sorties of ``platform`` taking off at simulated ``hour`` the caps leave room for; charge them."""
        period = int(hour // self.period_h)
        if period != self.period:
            self.period, self.charged = period, dict.fromkeys(self.limits, 0.0)
        keys = self._binding(platform)
        if not keys or due == 0:
            return due
        room = min(self.limits[k] - self.charged[k] for k in keys)
        allowed = min(due, max(0, math.floor(room / platform.sortie_h + 1e-9)))
        for k in keys:
            self.charged[k] += allowed * platform.sortie_h
        return allowed

    def binds(self, platform: Platform) -> bool:
        """Whether any cap counts ``platform``'s sorties (its own or its operator's)."""
        return bool(self._binding(platform))

    def _binding(self, platform: Platform) -> list[tuple[str, str]]:
        """The keys of the caps that count ``platform``'s sorties."""
        return [k for k in (("platform", platform.name), ("operator", platform.operator)) if k in self.limits]

    def overrun(self) -> list[str]:
        """The caps charged beyond their limit this period (always empty unless a bug)."""
        return [f"{kind} {name}" for (kind, name), cap in self.limits.items() if self.charged[(kind, name)] > cap + 1e-6]
