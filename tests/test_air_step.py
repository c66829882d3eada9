"""The air phase's per-step shortcuts give what the plain formulas give."""

import numpy as np
import pytest

from sim.community import Community
from sim.counter_drone import JAM_COUNTER_SHIFT, apply_zones, inside_any
from sim.fleet import Fleet
from sim.kernels import flight
from sim.kernels.counter_rng import uniform, uniforms
from sim.kernels.coverage import cover_along_routes
from sim.model import SkywatchModel
from sim.routebook import CellPositions
from sim.scenario import Scenario, load_scenario
from sim.streams import run_streams
from sim.units import Units


def test_route_cover_is_the_raster_along_every_route_at_every_step():
    """Read only where cover is, the drone cover along the routes equals the raster's, also after routes change."""
    model = SkywatchModel(Scenario().with_overrides(
        {"world.height": 64, "world.width": 64, "drones.count": 12, "drones.patrol": "hotspot",
         "adaptation.route_shifting": True, "cartels.planning_hours": 6.0}, "t"))
    tables, covered = set(), 0
    for _ in range(60):
        model.step()
        book = model.book
        np.testing.assert_array_equal(book.along.drone, book.layers.drone.reshape(-1)[book.routes.cells])
        tables.add(id(book.routes.cells))
        covered += int(np.count_nonzero(book.along.drone))
    assert len(tables) > 2 and covered > 0, "routes changed and drones covered some"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cover_along_routes_equals_a_gather_whatever_changes(seed):
    """Positions on cells stamped take their cover, the ones covered before are cleared, the rest keep theirs."""
    rng = np.random.default_rng(seed)
    h, w = 20, 37  # H*W not a multiple of the bit runs
    cells = rng.integers(0, h * w, 300)  # route positions: repeats, like routes sharing cells
    index = CellPositions.of(cells, h * w)
    cover = np.zeros(h * w, np.float32)
    along = np.zeros(cells.size, np.float32)
    looks, along_looks = np.zeros((index.route_cells.size, 4), np.float32), np.zeros((4, cells.size), np.float32)
    written, n_written = np.zeros(cells.size, np.int64), 0
    for _ in range(20):
        cover[:] = 0.0
        stamped = rng.choice(h * w, rng.integers(0, 120), replace=False)
        cover[stamped] = rng.random(stamped.size).astype(np.float32) * (rng.random(stamped.size) < 0.9)
        looks[:] = rng.random(looks.shape)  # the looks at each route cell
        listed = np.concatenate([stamped, stamped[:5]])  # repeats are harmless
        n_written = cover_along_routes(cover, listed, index.near_route, index.on_route, index.route_cells, index.first,
                                       index.positions, along, written, n_written, looks, along_looks)
        np.testing.assert_array_equal(along, cover[cells])
        covered = along > 0
        np.testing.assert_array_equal(along_looks[:, covered], looks[np.searchsorted(index.route_cells, cells[covered])].T)


def _apply_zones_drawing_for_all(fleet, centres, radius, jam_rate, jam_hours, loss_hazard, step_hours, now, key):
    """The zones' effects with every drone drawing, one drone and one jam at a time (the plain formula)."""
    draws = uniforms(key, np.arange(2 * fleet.x.size, dtype=np.int64)).reshape(-1, 2).T
    exposed = fleet.airborne & inside_any(fleet.x, fleet.y, centres, radius)
    lost = exposed & (draws[0] < 1.0 - np.exp(-loss_hazard * step_hours))
    fleet.state[lost] = flight.LOST
    start, end = now * step_hours, (now + 1) * step_hours
    look = (start + end) / 2
    jams = {d: [(fleet.jammed_from_h[d], fleet.jammed_until_h[d])] for d in range(fleet.x.size)}
    for d in np.flatnonzero(exposed & ~lost):
        free_from, k = max(start, fleet.jammed_until_h[d]), 0
        while True:
            draw = uniform(key, 2 * d + 1 + (k << JAM_COUNTER_SHIFT))
            onset = free_from - np.log(1.0 - draw) / jam_rate  # the next event of a Poisson process at jam_rate
            if onset >= end:
                break
            jams[d].append((onset, onset + jam_hours))
            free_from, k = onset + jam_hours, k + 1
        fleet.jammed_from_h[d], fleet.jammed_until_h[d] = jams[d][-1]
    blind, looks = 0.0, np.zeros(fleet.x.size, bool)
    for d in np.flatnonzero(fleet.airborne):
        for a, b in jams[d]:
            blind += max(0.0, min(end, b) - max(start, a))
            looks[d] |= a <= look < b
    return int(lost.sum()), blind, looks


@pytest.mark.parametrize("seed", range(4))
def test_zones_drawing_only_for_the_drones_inside_equal_every_drone_drawing(seed):
    rng = np.random.default_rng(seed)
    count, now = 40, 9
    key = run_streams(seed).step_key("zone_hazard", now)
    fleets = []
    for _ in range(2):
        fleet = Fleet.create(np.array([[30.0, 30.0]]), count, "random", (0.0, 60.0), 60, np.zeros(count))
        fleets.append(fleet)
    state = rng.choice([flight.PATROL, flight.RETURNING, flight.TURNAROUND, flight.LOST], count).astype(np.int8)
    x, y, since = rng.uniform(0, 60, count), rng.uniform(0, 60, count), rng.uniform(0.0, 3.0, count)
    for fleet in fleets:
        fleet.state[:], fleet.x[:], fleet.y[:] = state, x, y
        fleet.jammed_from_h[:], fleet.jammed_until_h[:] = since, since + 0.5
    centres = np.array([[20.0, 20.0], [45.0, 40.0]])
    for step_hours, jam_hours in ((0.25, 0.5), (2.0, 0.1)):  # a jam or more a step, and none or some from earlier
        effects = apply_zones(fleets[0], centres, 12.0, 1.5, jam_hours, 0.2, step_hours, now, key)
        lost, blind, looks = _apply_zones_drawing_for_all(fleets[1], centres, 12.0, 1.5, jam_hours, 0.2, step_hours, now, key)
        assert effects.lost == lost and effects.jammed_hours == pytest.approx(blind, rel=1e-12)
        assert 0 < effects.jammed_hours < np.count_nonzero(fleets[0].airborne) * step_hours
        np.testing.assert_array_equal(effects.blind_look, looks)
        np.testing.assert_array_equal(fleets[0].state, fleets[1].state)
        np.testing.assert_allclose(fleets[0].jammed_from_h, fleets[1].jammed_from_h, rtol=1e-12)
        np.testing.assert_allclose(fleets[0].jammed_until_h, fleets[1].jammed_until_h, rtol=1e-12)
        now += 1


@pytest.mark.parametrize("step_hours", [0.25, 1.0, 2.0, 4.0])
def test_the_blind_share_inside_a_zone_is_the_continuous_time_law_at_any_step_length(step_hours):
    """Jammed at r per hour not blind, blind J hours each time: blind r·J / (1 + r·J) of the hours inside (1/3 here,
    r = 0.5/h and J = 1 h), in the jammed hours counted and in the mid-step looks, whatever the step length."""
    count, hours = 400, 200.0
    fleet = Fleet.create(np.array([[10.0, 10.0]]), count, "random", (0.0, 20.0), 20, np.zeros(count))
    fleet.state[:] = flight.PATROL
    streams = run_streams(4)
    blind_h, blind_looks, steps = 0.0, 0, int(hours / step_hours)
    for now in range(steps):
        effects = apply_zones(fleet, np.array([[10.0, 10.0]]), 100.0, 0.5, 1.0, 0.0, step_hours, now,
                              streams.step_key("zone_hazard", now))
        blind_h += effects.jammed_hours
        blind_looks += np.count_nonzero(effects.blind_look)
    assert blind_h / (count * hours) == pytest.approx(1 / 3, abs=0.01)
    assert blind_looks / (count * steps) == pytest.approx(1 / 3, abs=0.015)


def test_mean_trust_is_the_plain_weighted_mean_after_every_change():
    scenario = Scenario().with_overrides({"community.privacy_trust_loss": 0.2}, "t")
    population = np.random.default_rng(3).random((30, 40)).astype(np.float32) * 50.0
    community = Community(scenario.params.community, population, Units.of(scenario))
    cells = np.arange(0, 1200, 7)
    for change in (lambda: community.harm(cells[:5], 0.3), lambda: community.expose(cells, 0.25), lambda: community.grow(3.0)):
        change()
        plain = float((community.trust.astype(np.float64) * community.population).sum()) / float(community.population.sum())
        assert community.mean_trust() == plain


@pytest.mark.parametrize("step_hours", [0.25, 1.0])
def test_a_drone_senses_the_legs_of_the_step_it_lands_in(step_hours):
    """One drone, short sorties: in every step it lands in, the legs it flew home leave their footprint, so every hour
    flown is sensed (it sensed nothing in those steps before: up to a step per sortie, more the longer the step)."""
    scenario = Scenario().with_overrides({"world.height": 96, "world.width": 96, "drones.count": 1, "drones.endurance_h": 3.0,
                                          "drones.turnaround_h": 1.0, "drones.availability": 1.0, "run.step_hours": step_hours},
                                         "test")
    model = SkywatchModel(scenario)
    landings = 0
    for _ in range(int(24 / step_hours)):
        was_up = bool(model.fleet.airborne[0])
        model.step()
        if was_up and model.fleet.state[0] == flight.TURNAROUND:
            landings += 1
            assert model.fleet.leg_count[0] > 0 and model.air.n_touched > 0 and model.air.dwell_h.sum() > 0.0
    assert landings >= 4


def _look_intensity(step_hours: float, hours: float = 24.0) -> float:
    """Σ −log(1 − cover) over every cell and step of `drone_surge`'s first ``hours``: the looks' summed hazard."""
    steps = round(hours / step_hours)
    model = SkywatchModel(load_scenario("drone_surge").with_overrides(
        {"run.step_hours": step_hours, "run.steps": steps, "run.seed": 0}, "t"))
    air = next(phase for phase in model.phases.phases if phase.name == "air")
    total = 0.0
    for _ in range(steps):
        model.step()
        total += float(-np.log1p(-air.cover.astype(np.float64)).sum())
    return total


def test_the_drones_looks_add_up_to_the_same_hazard_at_any_step_length():
    """24 drones over a day: each pass looks once at its closest approach, so the looks' summed hazard, −log(1 − p)
    over every look, is the fleet's whatever the step length (the draws of the waypoints differ with it: within
    0.5 %). Looking once a step at each cell, at its nearest leg, lost the second pass after a turn: 1.5 % fewer at
    0.5 h steps and 2.4 % at 1 h than at 0.1 h."""
    fine = _look_intensity(0.1)
    for step_hours in (0.5, 1.0):
        assert _look_intensity(step_hours) == pytest.approx(fine, rel=0.005)
