"""Platform types: the default drones beside declared crewed and uncrewed platforms, availability, costs, bad input."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.model import SkywatchModel
from sim.outcomes import BY_NAME
from sim.params import PLATFORM_KINDS
from sim.platforms import platforms
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

SMALL = {"world.height": 96, "world.width": 96, "run.steps": 200}


def scenario(**overrides: object) -> Scenario:
    """The small world with ``overrides`` (``__`` for dots)."""
    return Scenario().with_overrides({**SMALL, **{k.replace("__", "."): v for k, v in overrides.items()}}, "test")


def test_default_platform_is_the_drones_section_and_declared_ones_take_their_kind_defaults() -> None:
    types = platforms(scenario(drones__count=5, platforms__p3__kind="crewed", platforms__p3__count=2,
                               platforms__guardian__count=3).values)
    assert [p.name for p in types] == ["drones", "guardian", "p3"]
    drones, guardian, p3 = types
    assert drones.count == 5 and drones.kind == "uncrewed" and drones.cost_per_hour == 3_000.0
    assert guardian.kind == "uncrewed" and guardian.cost_per_hour == PLATFORM_KINDS["uncrewed"]["cost_per_hour"] == 12_255.0
    assert guardian.reported_cost_per_hour == 2_468.0 and guardian.availability == 0.22
    assert p3.kind == "crewed" and p3.cost_per_hour == 7_000.0 and p3.speed_kmh == PLATFORM_KINDS["crewed"]["speed_kmh"]


def test_a_declared_platform_survives_the_resolved_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "mix.toml"
    path.write_text('[drones]\ncount = 2\n[platforms.p3]\nkind = "crewed"\ncount = 1\nspeed_kmh = 400.0\n')
    loaded = load_scenario(path)
    again = tmp_path / "again.toml"
    again.write_text(loaded.to_toml())
    assert load_scenario(again).values == loaded.values
    assert loaded["platforms.p3.speed_kmh"] == 400.0 and loaded["platforms.p3.endurance_h"] == 10.0


def test_without_declared_platforms_nothing_is_drawn_differently() -> None:
    """Adding a platform type moves no draw of the default drones' flight (their own streams)."""
    base = dict(drones__count=4, adaptation__counter_drone=False)
    alone = SkywatchModel(scenario(**base))
    mixed = SkywatchModel(scenario(**base, platforms__p3__kind="crewed", platforms__p3__count=3))
    for _ in range(120):
        alone.step()
        mixed.step()
    first = mixed.air.squadrons[0].fleet
    assert np.array_equal(alone.fleet.x, first.x) and np.array_equal(alone.fleet.y, first.y)
    assert mixed.fleet.x.size == 7 and mixed.air.squadrons[1].flown_h > 0


def test_each_platform_type_flies_its_own_patrol_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default drones on hotspot and a declared type on intel each draw waypoints from their own policy's weights."""
    import inspect

    import sim.phases.air as air

    model = SkywatchModel(scenario(drones__count=4, drones__patrol="hotspot", platforms__uav__count=4,
                                   platforms__uav__patrol="intel", platforms__uav__availability=1.0, intel__intercept_prob=0.5))
    weights: list[dict[str, np.ndarray]] = []
    passed: list[np.ndarray] = []
    cdfs, fly = model.patrol.waypoint_cdfs, air.flight.fly_drones
    at = list(inspect.signature(fly.py_func).parameters).index("block_cdf")
    monkeypatch.setattr(model.patrol, "waypoint_cdfs", lambda *args: weights.append(cdfs(*args)) or weights[-1])
    monkeypatch.setattr(air.flight, "fly_drones", lambda *args: passed.append(args[at]) or fly(*args))
    for _ in range(120):
        model.step()
    assert len(passed) == 2 * len(weights) == 240
    for step, by_policy in enumerate(weights):
        assert sorted(by_policy) == ["hotspot", "intel"]
        assert passed[2 * step] is by_policy["hotspot"] and passed[2 * step + 1] is by_policy["intel"]
    last = weights[-1]
    assert last["hotspot"][-1] > 0 and last["intel"][-1] > 0 and not np.array_equal(last["hotspot"], last["intel"])


def test_a_declared_type_on_a_weighted_patrol_does_not_fly_random_search() -> None:
    runs = {policy: simulate(scenario(drones__count=0, platforms__uav__count=12, platforms__uav__availability=1.0,
                                      platforms__uav__patrol=policy, intel__intercept_prob=0.3))
            for policy in ("random", "hotspot", "intel")}
    tracks = {policy: model.air.squadrons[1].fleet.x.copy() for policy, model in runs.items()}
    assert not np.array_equal(tracks["hotspot"], tracks["random"]) and not np.array_equal(tracks["intel"], tracks["random"])


def test_crewed_and_uncrewed_fly_at_their_own_speeds() -> None:
    model = SkywatchModel(scenario(drones__count=3, platforms__p3__kind="crewed", platforms__p3__count=3,
                                   platforms__p3__availability=1.0))
    flown = {sq.platform.name: 0.0 for sq in model.air.squadrons}  # longest path flown in one step, cells
    for _ in range(40):
        model.step()
        for sq in model.air.squadrons:
            legs = sq.fleet.legs
            length = np.hypot(legs[..., 2] - legs[..., 0], legs[..., 3] - legs[..., 1])
            used = np.arange(legs.shape[1])[None, :] < sq.fleet.leg_count[:, None]
            flown[sq.platform.name] = max(flown[sq.platform.name], float((length * used).sum(axis=1).max()))
    dt = model.units.step_hours
    drones, p3 = model.air.squadrons
    assert flown["drones"] == pytest.approx(drones.speed * dt, rel=1e-6)
    assert flown["p3"] == pytest.approx(p3.speed * dt, rel=1e-6)
    assert p3.speed > drones.speed


@pytest.mark.parametrize("availability", [0.22, 0.6, 1.0])
def test_flown_over_scheduled_hours_estimate_the_availability(availability: float) -> None:
    model = simulate(scenario(drones__count=60, drones__availability=availability, run__steps=1500))
    t = model.tally
    ratio = t.drone_flight_hours / t.flight_hours_scheduled
    sorties = t.flight_hours_scheduled / model.params.drones.endurance_h
    error = np.sqrt(availability * (1 - availability) / sorties)
    assert abs(ratio - availability) <= 4 * error + 0.01, f"flown / scheduled {ratio:.3f} for availability {availability}"
    assert t.flight_hours_scheduled == pytest.approx(t.drone_flight_hours + t.flight_hours_unavailable)
    if availability == 1.0:
        assert t.flight_hours_unavailable == 0.0


def test_costs_count_each_platform_at_its_own_full_and_reported_rates() -> None:
    model = simulate(scenario(drones__count=2, platforms__guardian__count=2, platforms__guardian__availability=1.0,
                              platforms__p3__kind="crewed", platforms__p3__count=1, platforms__p3__availability=1.0))
    hours = {sq.platform.name: sq.flown_h for sq in model.air.squadrons}
    assert all(h > 0 for h in hours.values())
    assert sum(hours.values()) == pytest.approx(model.tally.drone_flight_hours)
    full = hours["drones"] * 3_000.0 + hours["guardian"] * 12_255.0 + hours["p3"] * 7_000.0
    reported = hours["drones"] * 3_000.0 + hours["guardian"] * 2_468.0 + hours["p3"] * 7_000.0
    assert BY_NAME["cost_breakdown"].read(model)["drones"] == pytest.approx(full)
    assert BY_NAME["air_cost_reported"].read(model) == pytest.approx(reported)
    assert BY_NAME["platform_hours"].read(model) == hours


def test_a_conspicuous_platform_raises_the_cartels_sightings_more() -> None:
    def sightings(noticed: float) -> float:
        model = simulate(scenario(drones__count=12, drones__conspicuousness=noticed, run__steps=150,
                                  adaptation__counter_drone=False))
        return sum(c.sightings_per_day for c in model.cartels) + sum(c.sightings for c in model.cartels)

    quiet, loud = sightings(0.3), sightings(1.0)
    assert loud > 0 and quiet == pytest.approx(0.3 * loud)


@pytest.mark.parametrize(("toml", "field", "expected"), [
    ('[platforms.p3]\ncount = 1\nwingspan_m = 30\n', "platforms.p3.wingspan_m", "unknown platform field"),
    ('[platforms.p3]\ncount = 1\nbases = 0\n', "platforms.p3.bases", "an integer in [1, 64]"),
    ('[platforms.p3]\ncount = 1\nbases = 9\n', "platforms.p3.bases", "at most drones.bases = 2"),
    ('[platforms.p3]\nkind = "blimp"\n', "platforms.p3.kind", "one of uncrewed|crewed"),
    ('[platforms.P3]\ncount = 1\n', "platforms.P3.count", "platforms.NAME.FIELD"),
    ('[platforms.drones]\ncount = 1\n', "platforms.drones.count", "not 'drones'"),
    ('[platforms.p3]\navailability = 1.5\n', "platforms.p3.availability", "a number in [0, 1]"),
    ('[platforms]\np3 = 4\n', "platforms.p3", "platforms.NAME.FIELD"),
    ('[caps]\npartner_hours = -10.0\n', "caps.partner_hours", "a number in [0, 1e+09]"),
    ('[platforms.p3]\ncount = 1\nhour_cap = -1.0\n', "platforms.p3.hour_cap", "a number in [0, 1e+09]"),
])
def test_bad_platform_input_is_one_line_and_exit_2(tmp_path: Path, refused: Callable[..., None], toml: str, field: str,
                                                    expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[world]\nheight = 64\nwidth = 64\n" + toml)
    refused(path, field, expected)


def test_caps_are_never_exceeded_and_refuse_sorties() -> None:
    """A weekly partner cap and a platform cap, checked every step (validating mode): refused hours, never an overrun."""
    capped = scenario(drones__count=20, drones__hour_cap=300.0, platforms__p3__kind="crewed", platforms__p3__count=6,
                      platforms__p3__availability=1.0, caps__partner_hours=500.0, caps__period_days=2.0,
                      run__steps=960, run__validate=True)
    model = simulate(capped)
    t = model.tally
    assert t.flight_hours_refused > 0
    assert t.flight_hours_scheduled == pytest.approx(t.drone_flight_hours + t.flight_hours_unavailable + t.flight_hours_refused)
    periods = 960 * 0.25 / 48.0
    assert t.drone_flight_hours <= 500.0 * periods + 1e-6
    assert model.air.squadrons[0].flown_h <= 300.0 * periods + 1e-6
    free = simulate(scenario(drones__count=20, platforms__p3__kind="crewed", platforms__p3__count=6,
                             platforms__p3__availability=1.0, run__steps=960))
    assert free.tally.drone_flight_hours > t.drone_flight_hours and free.tally.flight_hours_refused == 0.0


def test_a_cap_of_n_sorties_hours_lets_n_sorties_fly() -> None:
    """A sortie is charged what it flies (endurance 14 h less its 0.5 h reserve): a cap of 3 × 13.5 h lets 3 of 5 fly,
    the rest of the period none; a new period starts afresh."""
    from sim.caps import HourCaps

    drone = platforms(Scenario().values)[0]
    assert drone.sortie_h == pytest.approx(13.5) and drone.cycle_h == pytest.approx(13.5 + drone.turnaround_h)
    caps = HourCaps(48.0, {}, (dataclasses.replace(drone, hour_cap=3 * 13.5),))
    assert caps.allow(drone, 5, 0.0) == 3 and caps.allow(drone, 1, 47.0) == 0 and caps.allow(drone, 5, 48.0) == 3


def test_an_overrun_cap_fails_the_invariant_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.caps import HourCaps
    from sim.phases import InvariantError

    monkeypatch.setattr(HourCaps, "allow", lambda self, platform, due, hour: self.charged.update(
        {k: self.charged[k] + due * platform.endurance_h for k in self.charged}) or due)
    with pytest.raises(InvariantError, match="cap exceeded"):
        simulate(scenario(drones__count=20, caps__partner_hours=30.0, run__steps=200, run__validate=True))


def test_partner_dependence_counts_intercepts_and_the_partners_share_of_drone_cues() -> None:
    partner = simulate(scenario(drones__count=12, run__steps=300))
    host = simulate(scenario(drones__count=12, drones__operator="host", run__steps=300))
    depend = BY_NAME["partner_dependence"].read
    t = partner.tally
    assert t.seized_by_drone_cue > 0
    assert depend(partner) == pytest.approx((t.seized_by_drone_cue + t.seized_by_intercept) / t.shipments_seized)
    assert depend(host) == pytest.approx(host.tally.seized_by_intercept / host.tally.shipments_seized)
