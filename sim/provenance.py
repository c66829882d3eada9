"""Where a result came from: the Skywatch version, the scenario's digest and the seeds.

Sweep tables carry these fields in their Parquet metadata; figures carry them in their caption.
"""

from __future__ import annotations

from sim import __version__
from sim.scenario import Scenario

WORLD_SEED = "world.seed"  # a scenario's world seed, when the schema has one
SHORT_DIGEST = 12  # hex digits of the scenario digest a caption shows


def provenance(scenario: Scenario, **seeds: int) -> dict[str, str]:
    """The version, ``scenario``'s SHA-256 digest, the given seeds and the scenario's world seed, as text.

    Args:
        scenario: the scenario the result was computed from (a sweep's base, a run's own).
        **seeds: the seeds that drew it, by name (``run_seed``, ``sweep_seed``).
    """
    fields = {"version": __version__, "scenario_sha256": scenario.sha256(), **{name: str(v) for name, v in seeds.items()}}
    if WORLD_SEED in scenario.values:
        fields["world_seed"] = str(scenario[WORLD_SEED])
    return fields


def caption(fields: dict[str, str]) -> str:
    """A figure's one-line caption of :func:`provenance` fields: ``skywatch 0.1.0 · scenario sha256 1a2b… · run seed 3``."""
    parts = []
    for name, value in fields.items():
        if name == "version":
            parts.append(f"skywatch {value}")
        elif name == "scenario_sha256":
            parts.append(f"scenario sha256 {value[:SHORT_DIGEST]}")
        else:
            parts.append(f"{name.replace('_', ' ')} {value}")
    return " · ".join(parts)
