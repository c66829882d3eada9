"""Run totals: the ``summary.json`` of a run, computed from a finished model.

Every key of the output contract comes from a modelled mechanism.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim import __version__
from sim.model import SkywatchModel


def route_dispersion_km2(flow: np.ndarray, cell_km: float) -> float:
    """Effective area carrying the flow, km²: exp(Shannon entropy of flow over cells) × cell area.

    Flow spread evenly over n cells gives n cells' area; flow on one line gives that line's area.
    """
    total = flow.sum()
    if total == 0:
        return 0.0
    share = flow[flow > 0] / total
    return float(np.exp(-(share * np.log(share)).sum()) * cell_km**2)


def summarize(model: SkywatchModel) -> dict[str, Any]:
    """Totals and rates of a run, every key of the output contract."""
    t, s = model.tally, model.scenario
    ended = t.delivered + t.seized
    cost = t.drone_flight_hours * s["drones.cost_per_hour"] + t.unit_hours * s["ground.cost_per_hour"]
    summary: dict[str, Any] = {
        "shipments_launched": t.launched,
        "shipments_delivered": t.delivered,
        "shipments_seized": t.seized,
        "shipments_in_transit": model.pool.live,
        "value_delivered": t.value_delivered,
        "value_seized": t.value_seized,
        "seizure_rate": t.seized / ended if ended else None,
        "seized_by_drone_cue": t.seized_drone_cue,
        "seized_at_checkpoint": t.seized_checkpoint,
        "seized_by_intercept": t.seized_intercept,
        "detections": t.detections,
        "intercepts": t.intercepts,
        "cues_lapsed": t.cues_lapsed,
        "infrastructure_total": int(model.world.infra_cells.size),
        "infrastructure_discovered": t.infrastructure_discovered,
        "drones_lost": t.drones_lost,
        "jammed_drone_hours": t.jammed_drone_hours,
        "drone_flight_hours": t.drone_flight_hours,
        "ground_unit_hours": t.unit_hours,
        "surveillance_cost": cost,
        "cost_per_seizure": cost / t.seized if t.seized else None,
        "route_dispersion": route_dispersion_km2(model.flow, s["world.cell_km"]),
        "corridor_flow": {name: int(n) for name, n in zip(model.world.corridor_names, model.corridor_launched)},
        "privacy_exposure": t.privacy_exposure,
        "encryption_level": model.mean_level("encryption"),
        "counter_drone_level": model.mean_level("counter_drone"),
        "routes_planned": model.routes_planned,
        "tips": t.tips,
        "seized_by_tip": t.seized_tip,
        "violence_events": t.violence_events,
        "civilian_harm_events": t.civilian_harm,
        "trust": model.community.mean_trust(),
        "seed": s["run.seed"],
        "steps": model.steps,
        "version": __version__,
        "scenario_sha256": s.sha256(),
    }
    return summary
