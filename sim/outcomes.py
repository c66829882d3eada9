"""The one registry of outcomes: name, unit, meaning, how it aggregates, and how it is read.

The registry feeds the running totals (:class:`Tally`), the columns of ``metrics.csv`` (one row
per step), the keys of ``summary.json`` (the run's end), ``skywatch compare`` and the figures'
labels. Each outcome has one name everywhere.

Aggregations:

* ``total``: a count or amount accumulated over the run (comparable per day between runs);
* ``level``: a state at that moment (a mean level, a number in the air);
* ``ratio``: derived from totals at the end (a rate, a cost per seizure, an area);
* ``label``: identifies the run rather than measures it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Literal

import numpy as np

from sim import __version__
from sim.airspace import authorised_share
from sim.costs import cost_breakdown

Aggregation = Literal["total", "level", "ratio", "label"]
Where = Literal["both", "summary", "metrics"]
LARGE = 1e4  # values from this size on are shown without decimals
MAX_OUTCOME = 1e100  # largest magnitude of an outcome read back from a file: its square and sums over runs stay finite


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run.

    Attributes:
        name: its name in ``summary.json``, ``metrics.csv`` and every table.
        unit: physical unit, or ``"-"``.
        meaning: one line saying what it measures.
        aggregation: ``total``, ``level``, ``ratio`` or ``label`` (see the module docstring).
        read: its value, read from a model.
        where: ``both``, or only the ``summary`` (the end) or only the ``metrics`` (every step).
        counted: the Python type of a running total kept in :class:`Tally`, or None.
        compared: shown by ``skywatch compare``.
    """

    name: str
    unit: str
    meaning: str
    aggregation: Aggregation
    read: Callable[[Any], Any]
    where: Where = "both"
    counted: type | None = None
    compared: bool = True


def _total(name: str, kind: type, unit: str, meaning: str, where: Where = "both", compared: bool = True) -> Outcome:
    """A running total: a field of :class:`Tally`, added to while the model steps."""
    return Outcome(name, unit, meaning, "total", lambda m: getattr(m.tally, name), where, kind, compared)


def effective_area_km2(weights: np.ndarray, cell_km: float) -> float:
    """Effective area of a distribution over cells, km²: exp(Shannon entropy of ``weights``) × cell area.

    Weight spread evenly over n cells gives n cells' area; weight on one line gives that line's area.
    """
    total = weights.sum()
    if total == 0:
        return 0.0
    share = weights[weights > 0] / total
    return float(np.exp(-(share * np.log(share)).sum()) * cell_km**2)


def _cost_breakdown(model: Any) -> dict[str, float]:
    t = model.tally
    return cost_breakdown(model.params, model.units, model.steps, model.air.flight_cost(), t.ground_unit_hours)


def surveillance_cost(model: Any) -> float:
    """Drone flight hours and ground unit-hours at their hourly costs, currency."""
    costs = _cost_breakdown(model)
    return costs["drones"] + costs["ground_units"]


def total_cost(model: Any) -> float:
    """Every lever's cost so far, currency (:mod:`sim.costs`)."""
    return sum(_cost_breakdown(model).values())


def _seizure_rate(model: Any) -> float | None:
    t = model.tally
    ended = t.shipments_delivered + t.shipments_seized
    return t.shipments_seized / ended if ended else None


def _cost_per_seizure(model: Any) -> float | None:
    seized = model.tally.shipments_seized
    return total_cost(model) / seized if seized else None


def _partner_dependence(model: Any) -> float | None:
    """Share of seizures that needed the partner's platforms or data; None without seizures.

    Seizures after an intercept needed the partner's data. Of those after a drone cue, the share
    the partner's platforms made of the search effort (flight hours × sweep width × speed) is
    counted: coverage is one raster, so a detection is not traced to the platform that made it.
    """
    t = model.tally
    if not t.shipments_seized:
        return None
    effort = {sq.platform.operator: 0.0 for sq in model.air.squadrons}
    for sq in model.air.squadrons:
        effort[sq.platform.operator] += sq.flown_h * sq.radius * sq.speed
    total = sum(effort.values())
    partner = effort.get("partner", 0.0) / total if total > 0 else 0.0
    return (t.seized_by_drone_cue * partner + t.seized_by_intercept) / t.shipments_seized


def authorised_km2(model: Any) -> float:
    """Area of the airspace authorised for the partner's aircraft, km² (the whole territory when unrestricted)."""
    h, w = model.world.shape
    return authorised_share(model.world.airspace) * h * w * model.units.cell_km**2


def _seizures_per_authorised_km2(model: Any) -> float:
    return model.tally.shipments_seized / authorised_km2(model)


def _port_seizure_share(model: Any) -> float | None:
    t = model.tally
    return t.seized_at_ports / t.shipments_seized if t.shipments_seized else None


def _corridor_flow(model: Any) -> dict[str, int]:
    return {name: int(n) for name, n in zip(model.world.corridor_names, model.corridor_launched, strict=True)}


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("hour", "h", "simulated time", "label", lambda m: m.steps * m.units.step_hours, "metrics", compared=False),
    _total("shipments_launched", int, "shipments", "shipments launched by the cartels"),
    _total("shipments_delivered", int, "shipments", "shipments that crossed the border (a port of entry or the open border)"),
    _total("shipments_seized", int, "shipments",
           "shipments seized, at checkpoints, by responding units, at the ports of entry or on the open border"),
    Outcome("shipments_in_transit", "shipments", "shipments under way", "level", lambda m: m.pool.live),
    _total("value_delivered", float, "currency", "value of the shipments delivered"),
    _total("value_seized", float, "currency", "value of the shipments seized"),
    Outcome("weight_delivered_kg", "kg", "drug weight of the shipments delivered (shipments.weight_kg each)", "total",
            lambda m: m.tally.shipments_delivered * m.params.shipments.weight_kg, "summary"),
    Outcome("weight_seized_kg", "kg", "drug weight of the shipments seized (shipments.weight_kg each)", "total",
            lambda m: m.tally.shipments_seized * m.params.shipments.weight_kg, "summary"),
    Outcome("seizure_rate", "-", "seized / (seized + delivered); null before any shipment ends", "ratio", _seizure_rate,
            "summary"),
    _total("seized_by_drone_cue", int, "shipments", "seizures by units answering a drone detection"),
    _total("seized_at_checkpoint", int, "shipments", "seizures at road checkpoints"),
    _total("seized_by_intercept", int, "shipments", "seizures by units answering an intercept"),
    _total("seized_at_ports", int, "shipments", "seizures by inspections at the ports of entry (ports.inspect)"),
    _total("seized_open_border", int, "shipments",
           "seizures at open border crossings between the ports (border.open_detect)"),
    _total("delivered_via_ports", int, "shipments", "shipments delivered through a port of entry"),
    _total("delivered_open_border", int, "shipments", "shipments delivered across the open border between the ports"),
    Outcome("port_seizure_share", "-", "share of all seizures made at the ports of entry; null without seizures", "ratio",
            _port_seizure_share, "summary"),
    Outcome("crossing_arrivals", "shipments",
            "shipments that reached each port of entry (by ports.names) and the open border, seized there or not", "total",
            lambda m: m.border_control.by_label(m.border_control.arrived), "summary"),
    Outcome("crossing_seizures", "shipments", "shipments seized at each port of entry and on the open border", "total",
            lambda m: m.border_control.by_label(m.border_control.seized), "summary"),
    _total("detections", int, "detections", "drone detections of shipments"),
    _total("intercepts", int, "shipments", "shipments whose planning traffic was intercepted"),
    _total("cues_lapsed", int, "cues", "cues that waited past their expiry for a free unit", "summary", compared=False),
    _total("cues_fused", int, "reports",
           "fusion: drone detections, intercepts and tips that joined a cue already waiting for their shipment"),
    _total("corroborated_seizures", int, "shipments",
           "seizures by units answering a cue reported by two or more distinct sources (drone, intercept, tip)"),
    Outcome("infrastructure_total", "sites", "cartel labs, stash houses and airstrips in the world", "label",
            lambda m: int(m.world.infra_cells.size), "summary", compared=False),
    _total("infrastructure_discovered", int, "sites",
           "infrastructure discoveries by drones (with raids on, a rebuilt site can be discovered again)"),
    _total("raids", int, "raids", "raids on discovered infrastructure sites (infrastructure.raid_days > 0)"),
    Outcome("sites_out", "sites", "infrastructure sites out after a raid", "level", lambda m: int(m.raids.out().sum()),
            "metrics", compared=False),
    _total("launches_lost_to_raids", float, "shipments",
           "expected launches the raided sites' sources lost (at the launch rate, before the budget limit)"),
    _total("drones_lost", int, "drones", "drones shot down or captured in counter-drone zones"),
    _total("jammed_drone_hours", float, "h", "airborne drone-hours with a jammed sensor", compared=False),
    _total("drone_flight_hours", float, "h", "flight hours of every platform (drones and crewed aircraft)"),
    _total("flight_hours_scheduled", float, "h", "flight hours scheduled so far: flown, unavailable and refused by a cap"),
    _total("flight_hours_unavailable", float, "h",
           "scheduled flight hours not flown: sorties cancelled for lack of availability (weather, maintenance, crews)"),
    _total("flight_hours_refused", float, "h", "scheduled flight hours not flown: sorties a flight-hour cap refused"),
    Outcome("platform_hours", "h", "flight hours flown, by platform type", "total",
            lambda m: {sq.platform.name: sq.flown_h for sq in m.air.squadrons}, "summary"),
    Outcome("partner_dependence", "-",
            "share of seizures that needed the partner's platforms or data (intercepts; drone cues by the partner's search "
            "effort share); null without seizures", "ratio", _partner_dependence, "summary"),
    Outcome("air_cost_reported", "currency", "flight hours at each platform's operator-reported hourly cost", "total",
            lambda m: m.air.flight_cost(reported=True)),
    _total("ground_unit_hours", float, "h", "ground unit-hours in the field", "summary", compared=False),
    Outcome("surveillance_cost", "currency", "drone flight hours and ground unit-hours at their hourly costs", "total",
            surveillance_cost),
    Outcome("total_cost", "currency", "every lever's cost: drones, ground units, checkpoints, intelligence, community",
            "total", total_cost),
    Outcome("cost_breakdown", "currency", "cost of each lever (total_cost split; drones = every air platform's full cost)",
            "total", _cost_breakdown, "summary"),
    Outcome("cost_per_seizure", "currency", "total cost per seizure; null without seizures", "ratio", _cost_per_seizure,
            "summary"),
    Outcome("authorised_share", "-", "share of the territory's cells where the partner's aircraft may patrol and sense",
            "label", lambda m: authorised_share(m.world.airspace), "summary"),
    Outcome("seizures_per_authorised_km2", "1/km²", "shipments seized per km² of authorised airspace", "total",
            _seizures_per_authorised_km2, "summary"),
    Outcome("route_dispersion", "km²",
            "where shipments went: exp(entropy of flow.npy over cells) × cell area; seized shipments stop short",
            "ratio", lambda m: effective_area_km2(m.flow, m.units.cell_km), "summary"),
    Outcome("network_spread", "km²",
            "routes in use: exp(entropy of the launch-weighted cells of the routes launched on) × cell area", "ratio",
            lambda m: effective_area_km2(m.book.launch_raster, m.units.cell_km), "summary"),
    Outcome("network_cells", "cells", "cells on routes with at least one launch", "ratio",
            lambda m: int(np.count_nonzero(m.book.launch_raster)), "summary", compared=False),
    Outcome("corridor_flow", "shipments", "shipments launched, by the corridor their route runs in", "total", _corridor_flow,
            "summary"),
    _total("privacy_exposure", float, "person-hours", "population under each sensing platform's footprint, integrated over time"),
    _total("trust_lost_to_surveillance", float, "-",
           "population-weighted trust lost under drone sensors, summed over the run (community.privacy_trust_loss)"),
    Outcome("encryption_level", "-", "the cartels' mean encryption level (0–1)", "level",
            lambda m: m.mean_level("encryption")),
    Outcome("counter_drone_level", "-", "the cartels' mean counter-drone level (0–1)", "level",
            lambda m: m.mean_level("counter_drone")),
    Outcome("routes_planned", "routes", "every route planned so far (re-planning adds routes)", "total",
            lambda m: m.book.routes_planned, compared=False),
    _total("tips", int, "tips", "community tips about shipments"),
    _total("seized_by_tip", int, "shipments", "seizures by units answering a tip"),
    _total("violence_events", int, "events", "cartel violence events"),
    _total("civilian_harm_events", int, "events", "interdictions that harmed civilians"),
    Outcome("trust", "-", "population-weighted mean trust in the authorities (0–1)", "level",
            lambda m: m.community.mean_trust()),
    Outcome("drones_airborne", "drones", "drones in the air", "level", lambda m: m.air.airborne_count, "metrics"),
    Outcome("units_busy", "units", "ground units away from their posts", "level", lambda m: m.units_busy(), "metrics"),
    Outcome("cues_waiting", "cues", "cues waiting for a ground unit", "level", lambda m: len(m.intel.cues), "metrics"),
    Outcome("cartel_budget", "currency", "the cartels' budgets, summed", "level",
            lambda m: float(sum(c.budget for c in m.cartels)), "metrics"),
    Outcome("counter_zones", "zones", "counter-drone zones fielded", "level", lambda m: len(m.counter_zones), "metrics"),
    Outcome("seed", "-", "run.seed: the seed of what happens in the run", "label", lambda m: m.params.run.seed, "summary"),
    Outcome("world_seed", "-", "world.seed: the seed of the world", "label", lambda m: m.params.world.seed, "summary"),
    Outcome("steps", "steps", "steps simulated", "label", lambda m: m.steps, "summary"),
    Outcome("version", "-", "Skywatch version", "label", lambda m: __version__, "summary", compared=False),
    Outcome("scenario_sha256", "-", "digest of the resolved scenario", "label", lambda m: m.scenario.sha256(), "summary",
            compared=False),
)
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
CORRIDOR_COLUMN = "launched_{}"  # metrics.csv: shipments launched in a step, per corridor

Tally = make_dataclass("Tally", [(o.name, o.counted, field(default=o.counted())) for o in OUTCOMES if o.counted is not None])
Tally.__doc__ = "Running totals of one run: one field per counted outcome of :data:`OUTCOMES`."


def metric_reporters(corridor_names: tuple[str, ...]) -> dict[str, Callable[[Any], Any]]:
    """The per-step metrics' reporters (:mod:`sim.metrics`): every outcome kept per step, and launches per corridor."""
    reporters = {o.name: o.read for o in OUTCOMES if o.where != "summary"}
    for k, name in enumerate(corridor_names):
        reporters[CORRIDOR_COLUMN.format(name)] = lambda m, k=k: int(m.corridor_launched_step[k])
    return reporters


def summarize(model: Any) -> dict[str, Any]:
    """The run's ``summary.json``: every outcome kept at the end, in registry order."""
    return {o.name: o.read(model) for o in OUTCOMES if o.where != "metrics"}


def format_value(value: Any) -> str:
    """A value as a table shows it: thousands separated, four significant digits, ``—`` for null."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < LARGE else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {format_value(v)}" for k, v in value.items())
    return "—" if value is None else str(value)
