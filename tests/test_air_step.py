"""The air phase's per-step shortcuts give what the plain formulas give."""

import numpy as np
import pytest

from sim.community import Community
from sim.counter_drone import apply_zones, inside_any
from sim.fleet import Fleet
from sim.kernels import flight
from sim.kernels.counter_rng import uniforms
from sim.kernels.coverage import cover_along_routes
from sim.model import SkywatchModel
from sim.routebook import CellPositions
from sim.scenario import Scenario
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
    written, n_written = np.zeros(cells.size, np.int64), 0
    for _ in range(20):
        cover[:] = 0.0
        stamped = rng.choice(h * w, rng.integers(0, 120), replace=False)
        cover[stamped] = rng.random(stamped.size).astype(np.float32) * (rng.random(stamped.size) < 0.9)
        listed = np.concatenate([stamped, stamped[:5]])  # repeats are harmless
        n_written = cover_along_routes(cover, listed, index.near_route, index.on_route, index.route_cells, index.first,
                                       index.positions, along, written, n_written)
        np.testing.assert_array_equal(along, cover[cells])


def _apply_zones_drawing_for_all(fleet, centres, radius, jam_rate, jam_steps, loss_hazard, step_hours, now, key):
    """The zones' effects with every drone drawing (the plain formula)."""
    draws = uniforms(key, np.arange(2 * fleet.x.size, dtype=np.int64)).reshape(-1, 2).T
    exposed = fleet.airborne & inside_any(fleet.x, fleet.y, centres, radius)
    lost = exposed & (draws[0] < 1.0 - np.exp(-loss_hazard * step_hours))
    fleet.state[lost] = flight.LOST
    jammed = exposed & ~lost & ~(fleet.jammed_until > now) & (draws[1] < 1.0 - np.exp(-jam_rate * step_hours))
    fleet.jammed_until[jammed] = now + jam_steps
    return int(lost.sum()), float((fleet.airborne & (fleet.jammed_until > now)).sum()) * step_hours


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
    x, y, until = rng.uniform(0, 60, count), rng.uniform(0, 60, count), rng.integers(-1, 14, count)
    for fleet in fleets:
        fleet.state[:], fleet.x[:], fleet.y[:], fleet.jammed_until[:] = state, x, y, until
    centres = np.array([[20.0, 20.0], [45.0, 40.0]])
    effects = apply_zones(fleets[0], centres, 12.0, 1.5, 4, 1.0, 0.25, now, key)
    assert (effects.lost, effects.jammed_hours) == _apply_zones_drawing_for_all(fleets[1], centres, 12.0, 1.5, 4, 1.0, 0.25,
                                                                                now, key)
    np.testing.assert_array_equal(fleets[0].state, fleets[1].state)
    np.testing.assert_array_equal(fleets[0].jammed_until, fleets[1].jammed_until)


def test_mean_trust_is_the_plain_weighted_mean_after_every_change():
    scenario = Scenario().with_overrides({"community.privacy_trust_loss": 0.2}, "t")
    population = np.random.default_rng(3).random((30, 40)).astype(np.float32) * 50.0
    community = Community(scenario.params.community, population, Units.of(scenario))
    cells = np.arange(0, 1200, 7)
    for change in (lambda: community.harm(cells[:5], 0.3), lambda: community.expose(cells, 0.25), lambda: community.grow(3.0)):
        change()
        plain = float((community.trust.astype(np.float64) * community.population).sum()) / float(community.population.sum())
        assert community.mean_trust() == plain
