"""The air fleet's platform types: the default drones (``drones.*``) and those declared as ``[platforms.NAME]``.

A platform type says what flies (uncrewed or crewed), who flies it (the partner or the host), how
many, from which bases, how fast and how long, what its sensor sees, what an hour costs (in full
and as the operator reports it), how many of its scheduled sorties are flown (availability) and
how much traffickers notice it (conspicuousness). See :data:`sim.params.PLATFORM_FIELDS` and the
kind defaults, with their sources, in :data:`sim.params.PLATFORM_KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sim.kernels.flight import reserve_hours
from sim.params import DEFAULT_PLATFORM, PLATFORM_SCHEMA, PLATFORM_SECTION


@dataclass(frozen=True)
class Platform:
    """One platform type, in the schema's units (km, km/h, h, currency per hour)."""

    name: str
    kind: str
    operator: str
    count: int
    bases: int
    patrol: str
    speed_kmh: float
    endurance_h: float
    turnaround_h: float
    sensor_radius_km: float
    detect_prob: float
    range_falloff: float
    cost_per_hour: float
    reported_cost_per_hour: float
    availability: float
    conspicuousness: float
    hour_cap: float

    @property
    def sortie_h(self) -> float:
        """Hours a sortie flies at most, h: its endurance less the reserve it lands with."""
        return self.endurance_h - reserve_hours(self.endurance_h)

    @property
    def cycle_h(self) -> float:
        """Hours from one take-off to the next when every sortie flies in full, h: a sortie and its turnaround."""
        return self.sortie_h + self.turnaround_h

    @property
    def is_default(self) -> bool:
        """Whether this is the ``drones.*`` platform (its random streams are the ones drones always had)."""
        return self.name == DEFAULT_PLATFORM


PLATFORM_KEYS = tuple(f.name for f in fields(Platform) if f.name != "name")
assert set(PLATFORM_KEYS) == set(PLATFORM_SCHEMA), "Platform and the platform schema disagree"


def platforms(values: dict[str, Any]) -> tuple[Platform, ...]:
    """The platform types of a resolved scenario: the default drones first, then the declared ones by name."""
    drones = Platform(DEFAULT_PLATFORM, kind="uncrewed", bases=values["drones.bases"],
                      **{k: values[f"drones.{k}"] for k in PLATFORM_KEYS if k not in ("kind", "bases")})
    declared = sorted({name.split(".")[1] for name in values if name.startswith(f"{PLATFORM_SECTION}.")})
    return (drones, *(Platform(name, **{k: values[f"{PLATFORM_SECTION}.{name}.{k}"] for k in PLATFORM_KEYS})
                      for name in declared))
