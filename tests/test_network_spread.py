"""Network spread: the routes in use, weighted by launches, apart from where shipments went."""

import numpy as np
import pytest
from scipy import stats

from sim.model import SkywatchModel
from sim.outcomes import effective_area_km2, summarize
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

FLEET = (0, 6, 12, 24, 48)
REPLICATIONS = 10


def shifting(**values) -> Scenario:
    """A small world whose cartels re-plan around their losses, with enough ground units not to be saturated."""
    base = {"world.height": 96, "world.width": 96, "run.steps": 250, "adaptation.route_shifting": True, "ground.units": 40}
    return load_scenario("drone_surge").with_overrides({**base, **values}, "test")


def test_the_launch_raster_counts_every_launch_on_every_cell_of_its_route_through_re_plans():
    model = SkywatchModel(shifting(**{"run.steps": 200, "cartels.planning_hours": 6.0, "drones.count": 24}))
    book = model.book
    expected = np.zeros(book.flow.size, dtype=np.int64)
    count_launches = book.count_launches

    def recording(route_ids):
        for route in route_ids:
            expected[book.routes.cells_of(int(route))] += 1
        count_launches(route_ids)

    book.count_launches = recording
    for _ in range(200):
        model.step()
    assert book.routes_planned > book.routes.source.size, "routes were dropped on the way"
    np.testing.assert_array_equal(book.launch_raster, expected)
    s = summarize(model)
    assert s["network_cells"] == np.count_nonzero(expected)
    assert s["network_spread"] == pytest.approx(effective_area_km2(expected, model.units.cell_km))


def test_network_spread_is_at_most_the_cells_in_use_and_differs_from_where_shipments_went():
    s = summarize(simulate(shifting(**{"drones.count": 24, "run.seed": 1})))
    assert 0 < s["network_spread"] <= s["network_cells"], "at most the area of the cells in use (1 km² each)"
    assert s["network_spread"] != s["route_dispersion"]


def test_seizures_rise_with_the_fleet_and_the_network_spreads_with_interdiction():
    """5 fleet sizes × 10 replications, paired: replicate r has the same seed at every fleet size."""
    seized, spread = np.zeros((len(FLEET), REPLICATIONS)), np.zeros((len(FLEET), REPLICATIONS))
    for i, drones in enumerate(FLEET):
        for r in range(REPLICATIONS):
            s = summarize(simulate(shifting(**{"drones.count": drones, "run.seed": r})))
            seized[i, r], spread[i, r] = s["shipments_seized"], s["network_spread"]
    assert stats.spearmanr(FLEET, seized.mean(axis=1)).statistic >= 0.9
    assert stats.spearmanr(seized.mean(axis=1), spread.mean(axis=1)).statistic > 0
    assert spread[-1].mean() > spread[0].mean()
    assert (spread[-1] > spread[0]).sum() >= 8, "in most replications the largest fleet spreads the network"
