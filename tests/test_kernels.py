"""Unit and property tests of the numba kernels."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import lil_matrix
from scipy.sparse.csgraph import dijkstra

from sim.airspace import EVERYWHERE
from sim.counter_drone import zone_centres
from sim.cues import CELL, CUE_DRONE, CUE_FIELDS, ENDED, EXPIRY_STEP, READY_STEP, REPORTED_STEP, SLOT, SOURCES, UID, CueQueue
from sim.fusion import CORROBORATION
from sim.kernels import flight, movement
from sim.kernels.blocks import add_blocks, block_min
from sim.kernels.counter_rng import uniform
from sim.kernels.coverage import NOT_TIMED, STANDING_STILL, clear_coverage, stamp_coverage
from sim.kernels.dispatch import QUEUE_ORDER, merge_order, stable_order, triage_cues
from sim.kernels.matching import end_cues
from sim.kernels.movement import (
    EVENT_CHECKPOINT_SEIZURE,
    EVENT_DELIVERED,
    EVENT_DRONE_DETECTION,
    EVENT_REPORT,
    EVENT_TIP,
    FLOW_ROWS,
    FREE,
    IN_TRANSIT,
    LANES,
    advance_shipments,
    checkpoint_passages,
    count_cover_before,
    flow_from_marks,
    joined_events,
    tip_hazard_before,
    walk_tables,
)
from sim.kernels.paths import cost_to_target, search_blocks, trace_path
from sim.kernels.stamps import subtract_stamps


def reference_distances(cost: np.ndarray, target: int) -> np.ndarray:
    """Least costs by scipy's Dijkstra on the same 8-neighbour graph."""
    h, w = cost.shape
    graph = lil_matrix((h * w, h * w))
    for r in range(h):
        for c in range(w):
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if (dr or dc) and 0 <= rr < h and 0 <= cc < w and np.isfinite(cost[r, c]) and np.isfinite(cost[rr, cc]):
                        graph[r * w + c, rr * w + cc] = 0.5 * (cost[r, c] + cost[rr, cc]) * np.hypot(dr, dc)
    return dijkstra(graph.tocsr(), indices=target)


def path_cost(cost: np.ndarray, path: np.ndarray) -> float:
    w = cost.shape[1]
    flat = cost.ravel()
    total = 0.0
    for a, b in itertools.pairwise(path):
        (ra, ca), (rb, cb) = divmod(int(a), w), divmod(int(b), w)
        assert max(abs(ra - rb), abs(ca - cb)) == 1, "path steps to a non-neighbour"
        total += 0.5 * (flat[a] + flat[b]) * np.hypot(ra - rb, ca - cb)
    return total


def random_costs(h: int, w: int, seed: int, wall_share: float) -> tuple[np.random.Generator, np.ndarray, int]:
    """A generator, an h × w cost raster with a share of impassable cells, and a passable target cell."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.1, 5.0, (h, w))
    cost[rng.random((h, w)) < wall_share] = np.inf
    target = int(rng.integers(h * w))
    cost.ravel()[target] = 1.0
    return rng, cost, target


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 9), st.integers(3, 9), st.integers(0, 10_000), st.floats(0.0, 0.4))
def test_planner_matches_reference_dijkstra(h, w, seed, wall_share):
    _, cost, target = random_costs(h, w, seed, wall_share)
    dist, next_cell = cost_to_target(cost, target, np.zeros(0, np.int64))
    expected = reference_distances(cost, target)
    np.testing.assert_allclose(dist, expected, rtol=1e-9)
    for start in np.flatnonzero(np.isfinite(dist)):
        path = trace_path(next_cell, int(start))
        assert path[0] == start and path[-1] == target
        assert path_cost(cost, path) == pytest.approx(dist[start], rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 12), st.integers(3, 12), st.integers(0, 10_000), st.integers(1, 4))
def test_a_search_stopped_at_its_starts_gives_their_least_cost_paths(h, w, seed, n_starts):
    rng, cost, target = random_costs(h, w, seed, 0.2)
    starts = rng.integers(0, h * w, n_starts)
    full, _ = cost_to_target(cost, target, np.zeros(0, np.int64))
    dist, next_cell = cost_to_target(cost, target, starts)
    np.testing.assert_array_equal(dist[starts], full[starts])
    for start in starts[np.isfinite(full[starts])]:
        assert path_cost(cost, trace_path(next_cell, int(start))) == pytest.approx(full[start], rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 14), st.integers(3, 14), st.integers(0, 10_000), st.integers(2, 4))
def test_a_search_within_blocks_equals_the_search_with_the_rest_walled_off(h, w, seed, k):
    rng, cost, _ = random_costs(h, w, seed, 0.1)
    bh, bw = -(-h // k), -(-w // k)
    blocks = np.flatnonzero(rng.random(bh * bw) < 0.7)
    inside = np.zeros((bh, bw), bool)
    inside.ravel()[blocks] = True
    walled = np.where(np.repeat(np.repeat(inside, k, axis=0), k, axis=1)[:h, :w], cost, np.inf)
    target, starts = int(rng.integers(h * w)), rng.integers(0, h * w, 3)  # the target may be walled off
    full, _ = cost_to_target(walled, target, np.zeros(0, np.int64))
    dist, next_node, cell_of, start_node = search_blocks(cost, k, blocks, target, starts)
    for start, node in zip(starts, start_node, strict=True):
        assert (node >= 0) == inside[start // w // k, start % w // k]
        reached = node >= 0 and np.isfinite(dist[node])
        assert reached == np.isfinite(full[start])
        if reached:
            path = cell_of[trace_path(next_node, int(node))]
            assert path[0] == start and path[-1] == target
            assert dist[node] == full[start]
            assert path_cost(cost, path) == pytest.approx(full[start], rel=1e-9)


def test_planner_detours_around_a_wall():
    cost = np.ones((5, 5))
    cost[1:, 2] = np.inf  # a wall open only at the top row
    dist, next_cell = cost_to_target(cost, 4 * 5 + 4, np.zeros(0, np.int64))  # bottom-right
    path = trace_path(next_cell, 4 * 5 + 0)  # from bottom-left
    rows = path // 5
    cols = path % 5
    assert 0 in rows[cols == 2], "the path must pass the gap in the wall"
    assert np.isinf(dist.reshape(5, 5)[1:, 2]).all()


def test_uniform_is_deterministic_and_uniform():
    key = np.uint64(12345)
    draws = np.array([uniform(key, i) for i in range(20_000)])
    assert draws.min() >= 0.0 and draws.max() < 1.0
    assert abs(draws.mean() - 0.5) < 0.01
    assert np.histogram(draws, bins=10, range=(0, 1))[0].min() > 1800
    assert uniform(key, 7) == uniform(key, 7)
    assert uniform(key, 7) != uniform(np.uint64(12346), 7)


def _one_route(cells):
    cells = np.asarray(cells, dtype=np.int64)
    return np.array([0], np.int64), np.array([cells.size], np.int64), cells


def _pool(n, route_len):
    return {
        "status": np.full(n, IN_TRANSIT, np.uint8), "uid": np.arange(n, dtype=np.int64), "route": np.zeros(n, np.int32),
        "progress": np.zeros(n, np.int32), "carry_h": np.zeros(n, np.float32), "concealment": np.zeros(n, np.float32),
        "cued": np.zeros(n, np.bool_),
    }


def _walk_tables(routes, cell_hours, step_hours, walk=True):
    """The kernel's walk tables; with ``walk`` False, every route banked cell by cell."""
    reach, stride = np.zeros(cell_hours.size), np.zeros(cell_hours.size, np.int32)
    walk_tables(cell_hours, *routes[:2], step_hours, reach, stride)
    return reach, stride if walk else np.full_like(stride, -1)


def _advance(pool, routes, cell_hours, step_hours, drone_cover, checkpoint_cover, interdict=1.0, step=0, tip=None, lanes=LANES,
             walk=True, looks=None):
    """One step of the movement kernel. ``looks`` ((4, L): first look's hour and probability, last look's): by default
    the drone cover is one look at each position at the step's middle."""
    n = pool["status"].size
    tip = np.zeros(cell_hours.size) if tip is None else np.asarray(tip, np.float64)  # rate per hour
    if looks is None:
        middle = np.full(cell_hours.size, step_hours / 2)
        looks = np.array([middle, drone_cover, middle, drone_cover], np.float32)
    marks = np.zeros((FLOW_ROWS, cell_hours.size), np.int64)
    cover_before = np.zeros(cell_hours.size + 1, np.int64)
    checkpoint_cover = checkpoint_passages(checkpoint_cover, *routes[:2])
    count_cover_before(drone_cover, checkpoint_cover, cover_before)
    events = [np.zeros(n, np.int64) for _ in range(3)]
    lane_events = np.zeros(lanes, np.int64)
    advance_shipments(
        pool["status"], pool["uid"], pool["route"], pool["progress"], pool["carry_h"], pool["concealment"], pool["cued"],
        *routes, cell_hours, *_walk_tables(routes, cell_hours, step_hours, walk), step_hours, drone_cover, looks,
        checkpoint_cover, cover_before, tip, tip_hazard_before(tip, cell_hours, *routes[:2]), interdict,
        np.uint64(1000 + step), np.uint64(2000 + step), np.uint64(3000 + step), marks, *events, lane_events)
    joined = joined_events(events, lane_events)
    return joined[0].size, joined, flow_from_marks(marks, *routes[:2])


def _assert_same_runs(runs: list) -> None:
    """Two runs of ``_advance`` (pool, per-step (count, events, flow)) left identical pools, events and flow."""
    (pool_a, steps_a), (pool_b, steps_b) = runs
    for name in pool_a:
        np.testing.assert_array_equal(pool_a[name], pool_b[name])
    for (count_a, events_a, flow_a), (count_b, events_b, flow_b) in zip(steps_a, steps_b, strict=True):
        assert count_a == count_b
        for a, b in zip(events_a, events_b, strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(flow_a, flow_b)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.floats(0.05, 3.0), st.floats(0.1, 2.0))
def test_shipments_stay_on_route_and_are_delivered_on_time(length, step_hours, hours_per_cell):
    cells = np.arange(length)  # a straight route along a 1 × length raster
    routes = _one_route(cells)
    cell_hours = np.full(length, hours_per_cell, np.float32)
    cover = np.zeros(length, np.float32)
    pool = _pool(3, length)
    steps = 0
    while pool["status"][0] == IN_TRANSIT:
        _, (_, kind, _), _ = _advance(pool, routes, cell_hours, step_hours, cover, cover, step=steps)
        steps += 1
        live = pool["status"] == IN_TRANSIT
        assert np.all(pool["progress"][live] < length)
    assert set(kind) == {EVENT_DELIVERED}
    expected = (length - 1) * hours_per_cell / step_hours  # steps of travel time, float32 rounding aside
    assert np.floor(expected * (1 - 1e-5)) <= steps <= np.ceil(expected * (1 + 1e-5)) + 1
    assert np.all(pool["status"] == FREE)


def test_flow_counts_every_cell_a_shipment_occupies():
    routes = _one_route(np.arange(10))
    pool = _pool(1, 10)
    cover = np.zeros(10, np.float32)
    _, _, flow = _advance(pool, routes, np.ones(10, np.float32), 3.0, cover, cover)
    np.testing.assert_array_equal(flow, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("lanes", [1, 3, 7, LANES, 97])
def test_lanes_change_nothing_but_the_split(lanes, monkeypatch):
    """Any number of lanes, stepped on threads, gives the same shipments, events in slot order and flow as one lane."""
    routes = _one_route(np.arange(60))
    rng = np.random.default_rng(3)
    cover, checkpoint, tip = (rng.uniform(0, 0.3, 60).astype(np.float32) for _ in range(3))
    hours = rng.uniform(0.2, 2.0, 60).astype(np.float32)
    start = rng.integers(0, 59, 1001)
    runs = []
    for k in (1, lanes):
        monkeypatch.setattr(movement, "PARALLEL_SLOTS", 10**9 if k == 1 else 0)  # one lane inline, then lanes on threads
        pool = _pool(1001, 60)
        pool["progress"][:] = start
        steps = [
            _advance(pool, routes, hours, 1.0, cover, checkpoint, interdict=0.5, step=t, tip=tip, lanes=k) for t in range(30)
        ]
        runs.append((pool, steps))
    _assert_same_runs(runs)
    steps_a = runs[0][1]
    assert sum(count for count, _, _ in steps_a) > 100 and np.all(np.diff(steps_a[0][1][0]) > 0)


def _look_while_there(drone, looks, at, entered, left, stays):
    """The drone looks at position ``at`` (``drone``: all of them) a shipment there from ``entered`` to ``left`` meets."""
    first_h, first, last_h, last = (float(v) for v in looks[:, at])
    there = [entered <= t and (t <= left if stays else t < left) for t in (first_h, last_h)]
    if all(there):
        return float(drone[at])
    return first if there[0] else last if there[1] else 0.0


def _step_cell_by_cell(pool, starts, lengths, hours, step_hours, drone, looks, checkpoint, tip, interdict, keys):
    """One step of the movement kernel's rules written out cell by cell: (events, flow per position).

    ``drone`` ((L,)) combines the drones' looks at each position, ``looks`` ((4, L)) are the first and the last of
    them (hour and probability);
    ``tip`` is the rate (1/h) at each position: the tips expected are summed over the hours spent in each cell.
    """
    flow = np.zeros(hours.size, np.int64)
    events = []
    for i in np.flatnonzero(pool["status"] == IN_TRANSIT):
        base = starts[pool["route"][i]]
        last = base + lengths[pool["route"][i]] - 1
        at = base + pool["progress"][i]
        spent = float(pool["carry_h"][i])  # hours already spent in the current cell
        bank = spent + step_hours
        expected = 0.0
        flow[at] += 1
        hide = 1.0 - float(pool["concealment"][i])
        seized = hide * interdict  # by a checkpoint that looks at it
        launched = at == base and spent == 0.0  # a checkpoint looks once as a shipment enters its radius (or sets off in it)
        missed, let_through = 1.0, 1.0 - float(checkpoint[at]) * seized if launched else 1.0
        entered = 0.0  # the hour into the step it entered the current position (or began the step there)
        while at < last and bank >= hours[at + 1]:
            expected += float(tip[at]) * (float(hours[at + 1]) - spent)
            left = entered + float(hours[at + 1]) - spent
            missed *= 1.0 - _look_while_there(drone, looks, at, entered, left, False)
            entered = left
            spent = 0.0
            bank -= float(hours[at + 1])
            at += 1
            flow[at] += 1
            if checkpoint[at - 1] == 0.0:
                let_through *= 1.0 - float(checkpoint[at]) * seized
        if at < last:  # a shipment that arrives is delivered on entering its route's last cell
            expected += float(tip[at]) * (bank - spent)
            missed *= 1.0 - _look_while_there(drone, looks, at, entered, step_hours, True)
        pool["progress"][i], pool["carry_h"][i] = at - base, bank
        uid = pool["uid"][i]
        if let_through < 1.0 and uniform(keys[1], uid) < 1.0 - let_through:
            pool["status"][i] = FREE
            events.append((i, EVENT_CHECKPOINT_SEIZURE, at))
            continue
        report = 0
        if not pool["cued"][i]:
            if missed < 1.0 and uniform(keys[0], uid) < (1.0 - missed) * hide:
                report = EVENT_DRONE_DETECTION
            elif expected > 0 and uniform(keys[2], uid) < (1.0 - np.exp(-expected)) * hide:
                report = EVENT_TIP
        if at == last:
            pool["status"][i] = FREE
            events.append((i, EVENT_DELIVERED | report, at))
        elif report:
            pool["cued"][i] = True
            events.append((i, report, at))
    return events, flow


def _random_looks(rng, covered, step_hours):
    """(drone cover, looks) at positions ``covered`` (bool): one look, or two looks at different hours of the step."""
    n = covered.size
    first_h, last_h = np.sort(rng.uniform(0.0, step_hours, (2, n)), axis=0)
    once = rng.random(n) < 0.5
    last_h[once] = first_h[once]
    first, last = rng.uniform(0.2, 1.0, (2, n))
    last[once] = first[once]
    cover = np.where(once, first, 1.0 - (1.0 - first) * (1.0 - last)) * covered
    return cover.astype(np.float32), np.array([first_h, first, last_h, last], np.float32) * covered


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from([0.0, 0.02, 0.3]), st.sampled_from([2.0, 0.3]))
def test_marks_and_sparse_cover_give_what_stepping_cell_by_cell_gives(seed, cover_share, step_hours):
    """Flow from two marks per shipment, cover read only where some is passed, the walk by hours reached (a step of
    2 h; 0.3 h is banked cell by cell): the cell-by-cell rules, exactly."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 40, 3)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    positions = int(lengths.sum())
    cells = rng.permutation(positions).astype(np.int64)  # route positions on a 1 × positions raster
    hours = rng.uniform(0.05, 1.5, positions).astype(np.float32)
    checkpoint, tip = [np.where(rng.random(positions) < cover_share, rng.uniform(0.2, 1.0, positions), 0).astype(np.float32)
                       for _ in range(2)]
    drone, looks = _random_looks(rng, rng.random(positions) < cover_share, step_hours)
    n = 400
    pool = _pool(n, 0)
    pool["route"][:] = rng.integers(0, 3, n)
    pool["progress"][:] = rng.integers(0, lengths[pool["route"]] - 1)
    pool["carry_h"][:] = rng.uniform(0, 0.5, n).astype(np.float32)
    launched = rng.random(n) < 0.2  # set off this step: a checkpoint at the route's first cell looks too
    pool["progress"][launched], pool["carry_h"][launched] = 0, 0.0
    pool["concealment"][:] = rng.uniform(0, 0.5, n).astype(np.float32)
    pool["cued"][:] = rng.random(n) < 0.2
    pool["status"][rng.random(n) < 0.1] = FREE
    expected_pool = {name: array.copy() for name, array in pool.items()}
    keys = (np.uint64(1000), np.uint64(2000), np.uint64(3000))
    expected, expected_flow = _step_cell_by_cell(expected_pool, starts, lengths, hours, step_hours, drone, looks, checkpoint,
                                                 tip, 0.7, keys)
    _, (slot, kind, cell), flow = _advance(pool, (starts, lengths, cells), hours, step_hours, drone, checkpoint, interdict=0.7,
                                          tip=tip, looks=looks)
    assert list(zip(slot, kind, cell, strict=True)) == [(i, k, cells[at]) for i, k, at in expected]
    np.testing.assert_array_equal(flow, expected_flow)
    for name in pool:
        np.testing.assert_array_equal(pool[name], expected_pool[name])


def test_walk_tables_stride_and_fall_back_where_sums_may_round():
    """Stride: the positions passed with one step's hours banked; -1 on a route with an off-grid time or an off-grid step."""
    rng = np.random.default_rng(5)
    lengths = np.array([30, 25, 40])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    hours = rng.uniform(0.01, 0.6, lengths.sum()).astype(np.float32)
    hours[starts[1] + 7] = np.float32(3 * 2.0**-33)  # not a whole multiple of the grid: route 1 banks cell by cell
    reach, stride = _walk_tables((starts, lengths), hours, 1.0)
    for r, (first, length) in enumerate(zip(starts, lengths, strict=True)):
        last = first + length - 1
        if r == 1:
            assert np.all(stride[first:last + 1] == -1)
            continue
        for p in range(first, last + 1):
            bank, q = 1.0, p
            while q < last and bank >= hours[q + 1]:
                bank -= float(hours[q + 1])
                q += 1
            assert stride[p] == q - p
            assert reach[p] == float(np.sum(hours[first + 1:p + 1].astype(np.float64)))
    assert np.all(_walk_tables((starts, lengths), hours, 0.1)[1] == -1), "0.1 h is no multiple of the grid"


def test_walk_by_hours_reached_changes_nothing():
    """Many steps, one route banked cell by cell and some shipments carrying off-grid hours: as every walk cell by cell."""
    rng = np.random.default_rng(11)
    lengths = np.array([80, 60, 90])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    routes = (starts, lengths, rng.permutation(lengths.sum()).astype(np.int64))
    hours = rng.uniform(0.02, 0.4, lengths.sum()).astype(np.float32)
    hours[starts[2] + 3] = np.float32(5 * 2.0**-34)
    drone, checkpoint, tip = (np.where(rng.random(hours.size) < 0.1, rng.uniform(0, 0.5, hours.size), 0).astype(np.float32)
                              for _ in range(3))
    runs = []
    for walk in (True, False):
        pool = _pool(600, 0)
        pool["route"][:] = rng.integers(0, 3, 600) if not runs else runs[0][0]["route0"]
        pool["progress"][:] = rng.integers(0, lengths[pool["route"]] - 1) if not runs else runs[0][0]["progress0"]
        pool["carry_h"][:] = np.where(np.arange(600) % 7 == 0, np.float32(2.0**-40), 0.0)
        route0, progress0 = pool["route"].copy(), pool["progress"].copy()
        steps = [_advance(pool, routes, hours, 0.25, drone, checkpoint, interdict=0.5, step=t, tip=tip, walk=walk)
                 for t in range(40)]
        runs.append(({**pool, "route0": route0, "progress0": progress0}, steps))
    (pool_a, steps_a), _ = runs
    _assert_same_runs(runs)
    assert np.any(pool_a["carry_h"][pool_a["status"] == IN_TRANSIT] > 0) and sum(count for count, _, _ in steps_a) > 100


def test_flow_marks_stay_within_their_route():
    """A shipment that reaches its route's end leaves no -1: the next route's flow does not start below zero."""
    marks = np.zeros((FLOW_ROWS, 7), np.int64)
    marks[0, 1] += 1  # a shipment on route 0 (positions 0-2) from position 1 to its end
    marks[-1, 3] += 1  # one on route 1 (positions 3-6) over positions 3 and 4
    marks[-1, 5] -= 1
    flow = flow_from_marks(marks, np.array([0, 3]), np.array([3, 4]))
    np.testing.assert_array_equal(flow, [0, 1, 1, 1, 1, 0, 0])


def test_full_cover_detects_every_unconcealed_shipment_once():
    routes = _one_route(np.arange(50))
    pool = _pool(200, 50)
    cover = np.ones(50, np.float32)
    none = np.zeros(50, np.float32)
    count, _, _ = _advance(pool, routes, np.ones(50, np.float32), 1.0, cover, none)
    assert count == 200 and np.all(pool["cued"])
    count, _, _ = _advance(pool, routes, np.ones(50, np.float32), 1.0, cover, none, step=1)
    assert count == 0, "a cued shipment is not detected again"


def test_detection_rate_follows_cover_and_concealment():
    n = 20_000
    routes = _one_route(np.arange(50))
    pool = _pool(n, 50)
    pool["concealment"][:] = 0.5
    cover = np.full(50, 0.4, np.float32)
    count, _, _ = _advance(pool, routes, np.ones(50, np.float32), 1.0, cover, np.zeros(50, np.float32))
    assert count / n == pytest.approx(0.4 * 0.5, abs=0.015)


def test_checkpoint_seizure_needs_detection_and_interdiction():
    n = 20_000
    routes = _one_route(np.arange(50))
    pool = _pool(n, 50)
    checkpoint = np.zeros(50, np.float32)
    checkpoint[0] = 0.5
    count, (slot, _, _), _ = _advance(
        pool, routes, np.ones(50, np.float32), 1.0, np.zeros(50, np.float32), checkpoint, interdict=0.6
    )
    assert count / n == pytest.approx(0.5 * 0.6, abs=0.015)
    assert np.all(pool["status"][slot] == FREE)


@pytest.mark.parametrize("step_hours", [0.1, 0.25, 1.0, 4.0, 16.0])
def test_a_checkpoint_looks_once_at_each_passage_at_any_step_length(step_hours):
    """Three checkpoints along a 9.75 h route, one watching where shipments set off: each passage is one look (0.5,
    then interdiction 0.6), however many steps a shipment spends in a checkpoint's radius (15 at 0.1 h steps) or
    however many checkpoints it passes in one step (all three at 16 h): 1 - 0.7³ of the shipments are seized."""
    n, length = 20_000, 40
    routes = _one_route(np.arange(length))
    checkpoint = np.zeros(length, np.float32)
    for first, last in ((0, 2), (10, 15), (25, 27)):
        checkpoint[first:last + 1] = 0.5
    none = np.zeros(length, np.float32)
    pool = _pool(n, 0)
    seized = 0
    for step in range(int(np.ceil(10 / step_hours))):
        _, (_, kind, _), _ = _advance(pool, routes, np.full(length, 0.25, np.float32), step_hours, none, checkpoint,
                                      interdict=0.6, step=step)
        seized += np.count_nonzero(kind == EVENT_CHECKPOINT_SEIZURE)
    assert np.all(pool["status"] == FREE)
    assert seized / n == pytest.approx(1.0 - 0.7**3, abs=0.012)


def _flight_by_steps(waypoints, speed, takeoff_h, step_hours):
    """A sensor flying ``waypoints`` ((K, 2) x, y cells) at ``speed`` cells/h from ``takeoff_h`` and landing at the last:
    per step, (legs (1, MAX_LEGS, 4), leg count (1,), timing (1, 5) as fly_drones writes it, flies on (1,) bool)."""
    starts = takeoff_h + np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(waypoints, axis=0).T)) / speed])
    end_h, heading = starts[-1], np.zeros(2)

    def where(hour):
        k = min(int(np.searchsorted(starts, hour, side="right")) - 1, len(waypoints) - 2)
        share = (hour - starts[k]) / (starts[k + 1] - starts[k])
        return waypoints[k] + share * (waypoints[k + 1] - waypoints[k])

    steps = []
    for step in range(int(np.ceil(end_h / step_hours))):
        begin, end = step * step_hours, (step + 1) * step_hours
        if end <= takeoff_h:
            continue
        hours = [max(begin, takeoff_h), *(t for t in starts[1:-1] if begin < t < end), min(end, end_h)]
        points = [where(t) for t in hours]
        legs = np.zeros((1, flight.MAX_LEGS, 4))
        for k in range(len(points) - 1):
            legs[0, k] = (*points[k], *points[k + 1])
        entry = heading if begin > takeoff_h else (0.0, 0.0)
        heading = points[-1] - points[-2]
        timing = np.array([[hours[0] - begin, *entry, *heading]])
        steps.append((step, legs, np.array([len(points) - 1]), timing, np.array([end < end_h])))
    return steps


def _looks_by_steps(waypoints, speed, takeoff_h, step_hours, shape, radius, p0=0.5, falloff=0.5):
    """Fly :func:`_flight_by_steps` and stamp each step's footprint, keeping the looks at every cell: per step, (step,
    cover, looks (H, W, 4))."""
    out = []
    every_cell = np.packbits(np.ones(shape[0] * shape[1], bool), bitorder="little"), np.arange(shape[0] * shape[1])
    for step, legs, count, timing, flies_on in _flight_by_steps(waypoints, speed, takeoff_h, step_hours):
        cover, looks = np.zeros(shape, np.float32), np.zeros((shape[0] * shape[1], 4), np.float32)
        stamp_coverage(cover, np.zeros(cover.size, np.int64), 0, legs, count, np.ones(1, bool), radius, p0, falloff, speed,
                       NOT_TIMED, EVERYWHERE, timing, flies_on, *every_cell, looks)
        out.append((step, cover, looks.reshape(*shape, 4)))
    return out


@pytest.mark.parametrize("step_hours", [0.05, 0.13, 0.25, 1.0, 4.0])
def test_a_sensor_in_flight_looks_once_at_each_point_it_passes_at_its_closest_approach_at_any_step_length(step_hours):
    """A drone crossing a 100-cell raster in a straight line at 40 cells/h (2.25 h, taking off 0.3 h into the run):
    every cell within R of its track is looked at exactly once, however many steps the footprint lies over it, at
    the lateral range law p0 (1 - f (d/R)²) and at the hour of the drone's closest approach to it."""
    radius, speed, takeoff = 3.0, 40.0, 0.3
    track = np.array([[5.0, 20.5], [95.0, 20.5]])
    shape = (40, 100)
    looked, law, hour = np.zeros(shape, int), np.zeros(shape), np.zeros(shape)
    for step, cover, looks in _looks_by_steps(track, speed, takeoff, step_hours, shape, radius):
        looked += cover > 0
        law = np.where(cover > 0, cover, law)
        hour = np.where(cover > 0, step * step_hours + looks[..., 0], hour)
        np.testing.assert_array_equal(looks[..., 0], looks[..., 2])  # one look a cell
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    along = np.clip(cols, *track[:, 0])
    d = np.hypot(cols - along, rows - 20.5)
    inside = d <= radius
    assert np.all(looked[inside] == 1) and not looked[~inside].any()
    np.testing.assert_allclose(law[inside], 0.5 * (1.0 - 0.5 * (d[inside] / radius) ** 2), rtol=1e-6)
    np.testing.assert_allclose(hour[inside], takeoff + (along[inside] - 5.0) / speed, atol=1e-5)


@pytest.mark.parametrize("step_hours", [0.05, 0.25, 0.5, 1.0, 4.0])
def test_a_sensor_turning_looks_once_at_each_pass_whether_a_step_ends_at_the_turn_or_not(step_hours):
    """A drone flying east 1 h then north (a right-angle turn at (45, 10.5), reached 1 h after take-off: at a step
    boundary at every step length here but 0.4 h's shifted one, and inside a step at 4 h), landing at the end. Each
    cell is looked at once per pass, at the hour of its closest approach: on the way east where it projects on that
    leg (or lies behind its start), at the corner where it lies ahead of the corner and not north of it, on the way
    north where it lies north of the corner: the cells inside the turn within R of both legs twice. Looks counted over
    the steps, by the hours of each cell's first and last look in each step (exact for up to two a step)."""
    radius, speed = 3.0, 40.0
    track = np.array([[5.0, 10.5], [45.0, 10.5], [45.0, 45.5]])
    shape = (50, 60)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    passes = [  # (cells, hour after take-off) of each pass
        ((cols < 45.0) & (np.hypot(cols - np.clip(cols, 5.0, 45.0), rows - 10.5) <= radius),
         (np.maximum(cols, 5.0) - 5.0) / speed),
        ((cols > 45.0) & (rows <= 10.5) & (np.hypot(cols - 45.0, rows - 10.5) <= radius), np.full(shape, 1.0)),
        ((rows > 10.5) & (np.hypot(cols - 45.0, rows - np.clip(rows, 10.5, 45.5)) <= radius),
         1.0 + (np.minimum(rows, 45.5) - 10.5) / speed),
    ]
    expected = sum(cells.astype(int) for cells, _ in passes)
    assert expected.max() == 2 and (expected == 2).sum() == 9  # the 3 × 3 cells inside the turn
    for takeoff in (0.0, 0.4 * step_hours):
        hours = [[[] for _ in range(shape[1])] for _ in range(shape[0])]
        for step, cover, looks in _looks_by_steps(track, speed, takeoff, step_hours, shape, radius):
            for r, c in zip(*np.nonzero(cover), strict=True):
                first, last = step * step_hours + looks[r, c, 0], step * step_hours + looks[r, c, 2]
                hours[r][c] += [first] if looks[r, c, 0] == looks[r, c, 2] else [first, last]
        looked = np.array([[len(cell) for cell in row] for row in hours])
        np.testing.assert_array_equal(looked, expected)
        for r, c in zip(*np.nonzero(expected), strict=True):
            want = sorted(takeoff + hour[r, c] for cells, hour in passes if cells[r, c])
            np.testing.assert_allclose(sorted(hours[r][c]), want, atol=1e-5)


@pytest.mark.parametrize("step_hours", [0.05, 0.25, 1.0, 3.0])
def test_a_shipment_is_seen_where_it_is_when_the_drone_passes_at_any_step_length(step_hours):
    """Shipments crossing a drone's track: a column of 40 cells of 0.1 h, the drone flying across row 20 at 40
    cells/h and passing the column's centres 1.23 h into the run (R = 3, p0 = 1, no falloff). Exactly the shipments in a
    cell within R of the track at that hour are detected, not those that crossed the track before or after the drone
    in the same step."""
    width, height, radius, speed = 100, 40, 3.0, 40.0
    track = np.array([[0.3, 20.5], [99.0, 20.5]])
    looks_by_step = {step: (cover, looks) for step, cover, looks in
                     _looks_by_steps(track, speed, 0.0, step_hours, (height, width), radius, p0=1.0, falloff=0.0)}
    cells = np.arange(height) * width + 49  # column 49, top to bottom: the drone passes its centres (x = 49.5) at 1.23 h
    routes, hours = _one_route(cells), np.full(height, 0.1, np.float32)
    n = 2_000
    rng = np.random.default_rng(3)
    pool = _pool(n, height)
    pool["progress"][:] = rng.integers(0, 30, n)
    pool["carry_h"][:] = rng.integers(0, 10, n) / 128  # on the hour grid, so the walk's sums are exact
    entered = (np.arange(height) - pool["progress"][:, None]) * 0.1 - pool["carry_h"][:, None]  # hour into the run
    passing = (49.5 - 0.3) / speed  # no shipment enters a cell within 1e-4 h of it
    there = (entered <= passing) & (passing < entered + 0.1)  # the cell each shipment is in at the pass
    expected = np.flatnonzero((there & (np.abs(np.arange(height) + 0.5 - 20.5) <= radius)).any(axis=1))
    seen = []
    none = np.zeros(height, np.float32)
    for step in range(int(np.ceil(3.0 / step_hours))):
        cover, looks = looks_by_step.get(step, (np.zeros((height, width), np.float32), np.zeros((height, width, 4))))
        _, (slot, kind, _), _ = _advance(pool, routes, hours, step_hours, cover.reshape(-1)[cells], none, step=step,
                                         looks=np.asarray(looks, np.float32).reshape(-1, 4)[cells].T.copy())
        seen.extend(slot[(kind & EVENT_REPORT) == EVENT_DRONE_DETECTION])
    assert 0 < expected.size < n and sorted(seen) == expected.tolist()


def test_coverage_footprint_and_combination():
    h = w = 41
    cover = np.zeros((h, w), np.float32)
    touched = np.zeros(h * w, np.int64)
    legs = np.array([[[20.5, 20.5, 20.5, 20.5]]])
    n = stamp_coverage(cover, touched, 0, legs, np.array([1]), np.array([True]), 5.0, 0.8, 0.5, 0.0, NOT_TIMED, EVERYWHERE,
                       *STANDING_STILL)
    rows, cols = np.mgrid[0:h, 0:w]
    d = np.hypot(rows + 0.5 - 20.5, cols + 0.5 - 20.5)
    inside = d <= 5.0
    assert n == inside.sum() and set(touched[:n]) == set(np.flatnonzero(inside))
    np.testing.assert_allclose(cover[inside], 0.8 * (1 - 0.5 * (d[inside] / 5.0) ** 2), rtol=1e-6)
    assert np.all(cover[~inside] == 0)
    n2 = stamp_coverage(cover, touched, n, legs, np.array([1]), np.array([True]), 5.0, 0.8, 0.5, 0.0, NOT_TIMED, EVERYWHERE,
                       *STANDING_STILL)
    assert n2 == n, "a second sensor over the same cells touches nothing new"
    assert cover[20, 20] == pytest.approx(1 - (1 - 0.8) ** 2, rel=1e-6)
    clear_coverage(cover.reshape(-1), touched, n2)
    assert not cover.any()


def _hours_within_by_sampling(legs: np.ndarray, xs: np.ndarray, ys: np.ndarray, radius: float, speed: float,
                              samples: int) -> np.ndarray:
    """Hours a sensor flying ``legs`` (K, 4) at ``speed`` spends within ``radius`` of each point (xs, ys): each leg sampled."""
    fine = np.linspace(0.0, 1.0, samples)[:, None, None]
    total = np.zeros(xs.shape)
    for x0, y0, x1, y1 in legs:
        inside = np.hypot(x0 + fine * (x1 - x0) - xs, y0 + fine * (y1 - y0) - ys) <= radius
        total += inside.mean(axis=0) * np.hypot(x1 - x0, y1 - y0) / speed
    return total


def test_each_cell_keeps_the_hours_it_lay_within_the_radius_of_a_sensor_in_flight():
    """A sensor flying its legs at speed v is within R of a cell for the length of its legs in the cell's disc over v:
    2·sqrt(R² − d²)/v for a straight pass at distance d. Its legs add up, and so do two sensors over one cell
    (platform-hours); a sensor standing still keeps no time; cells no sensor touched stay at zero."""
    side, radius, speed, samples = 40, 4.0, 20.0, 2001
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:side, 0:side] + 0.5
    for _ in range(20):
        count = int(rng.integers(1, 4))
        legs = np.zeros((2, 8, 4))
        for s in range(2):
            x, y = rng.uniform(5, side - 5, 2)
            for j in range(count):
                nx, ny = np.clip(np.array([x, y]) + rng.uniform(-15, 15, 2), 0, side)
                legs[s, j] = (x, y, nx, ny)
                x, y = nx, ny
        cover, dwell = np.zeros((side, side), np.float32), np.zeros((side, side), np.float32)
        n = stamp_coverage(cover, np.zeros(side * side, np.int64), 0, legs, np.array([count, count]), np.ones(2, bool), radius,
                           0.7, 0.5, speed, dwell, EVERYWHERE, *STANDING_STILL)
        counted = [_hours_within_by_sampling(legs[s, :count], xs, ys, radius, speed, samples) for s in range(2)]
        leg_error = 2.0 * 30.0 / (samples - 1) / speed  # two samples' worth of a leg of at most 30 cells
        np.testing.assert_allclose(dwell, counted[0] + counted[1], atol=2 * count * leg_error)
        assert np.all(dwell[cover == 0] == 0) and n == np.count_nonzero(cover)
    straight = np.zeros((side, side), np.float32)
    stamp_coverage(np.zeros((side, side), np.float32), np.zeros(side * side, np.int64), 0, np.array([[[0.0, 30.5, 60.0, 30.5]]]),
                   np.array([1]), np.ones(1, bool), radius, 0.7, 0.5, speed, straight, EVERYWHERE, *STANDING_STILL)
    offsets = np.arange(-3, 4)
    np.testing.assert_allclose(straight[30 + offsets, 30], 2 * np.sqrt(radius**2 - offsets**2.0) / speed, rtol=1e-6)
    still = np.zeros((side, side), np.float32)
    stamp_coverage(np.zeros((side, side), np.float32), np.zeros(side * side, np.int64), 0, np.array([[[30.5, 30.5, 30.5, 30.5]]]),
                   np.array([1]), np.ones(1, bool), radius, 0.7, 0.5, speed, still, EVERYWHERE, *STANDING_STILL)
    assert not still.any()


def test_a_sensor_sweeping_a_leg_covers_a_capsule():
    cover = np.zeros((20, 60), np.float32)
    legs = np.array([[[5.0, 10.0, 55.0, 10.0]]])
    stamp_coverage(
        cover,
        np.zeros(cover.size, np.int64),
        0,
        legs,
        np.array([1]),
        np.array([True]),
        3.0,
        1.0,
        0.0,
        0.0,
        NOT_TIMED,
        EVERYWHERE,
        *STANDING_STILL,
    )
    assert np.all(cover[8:12, 5:55] == 1.0)
    assert not cover[:6].any() and not cover[14:].any()


def _fleet(n, policy, endurance=6.0, turnaround=2.0, size=100.0):
    base = np.full(n, size / 2)
    sector = np.tile([0.0, 0.0, size, size], (n, 1))
    return {"x": base.copy(), "y": base.copy(), "wx": base.copy(), "wy": base.copy(), "state": np.full(n, flight.READY, np.int8),
            "airborne_h": np.zeros(n), "ground_h": np.zeros(n), "base_x": base.copy(), "base_y": base.copy(), "sector": sector,
            "lane": np.zeros(n, np.int64), "leg": np.zeros(n, np.int64), "policy": policy, "endurance": endurance,
            "turnaround": turnaround}


def _fly(f, steps, speed=20.0, step_hours=0.25, lane_spacing=4.0):
    n = f["x"].size
    legs = np.zeros((n, flight.MAX_LEGS, 4))
    count = np.zeros(n, np.int64)
    states, hours = [], 0.0
    for step in range(steps):
        hours += flight.fly_drones(
            f["x"],
            f["y"],
            f["wx"],
            f["wy"],
            f["state"],
            f["airborne_h"],
            f["ground_h"],
            f["base_x"],
            f["base_y"],
            f["sector"],
            f["lane"],
            f["leg"],
            f["policy"],
            lane_spacing,
            speed,
            f["endurance"],
            f["turnaround"],
            step_hours,
            np.uint64(step),
            legs,
            count,
            np.zeros((n, 5)),
            np.zeros(0),
            1,
            1.0,
            EVERYWHERE,
            np.zeros(0, np.int64),
        )
        assert np.all((f["x"] >= 0) & (f["x"] <= 100) & (f["y"] >= 0) & (f["y"] <= 100))
        assert np.all(f["airborne_h"] >= -1e-9), "no drone flies past its endurance"
        states.append(f["state"].copy())
    return np.array(states), hours


@pytest.mark.parametrize("policy", [flight.POLICY_RANDOM, flight.POLICY_LAWNMOWER])
def test_drones_fly_sorties_and_come_home(policy):
    f = _fleet(5, policy)
    states, hours = _fly(f, 200)
    assert (states == flight.TURNAROUND).any(axis=0).all(), "every drone landed at least once"
    airborne = ((states == flight.PATROL) | (states == flight.RETURNING)).sum() * 0.25
    assert hours == pytest.approx(airborne, rel=0.05)
    landed = states == flight.TURNAROUND
    for d in range(5):
        first = np.argmax(landed[:, d])
        assert first * 0.25 <= 6.0 + 0.25, "the first sortie ends within its endurance"


@pytest.mark.parametrize(("step_hours", "endurance", "turnaround"),
                         [(0.1, 6.0, 1.5), (0.25, 6.0, 1.5), (1.0, 6.0, 1.5), (1.5, 6.0, 1.5), (0.05, 0.4, 0.2)])
def test_a_sortie_flies_its_endurance_less_the_reserve_at_any_step_length(step_hours, endurance, turnaround):
    """A drone flies its endurance less its reserve each sortie and stays turnaround_h on the ground, whatever the step
    (up to the turnaround: one take-off a step): over a week, 5.5 h of every 7 (6 h endurance, 0.5 h reserve, 1.5 h
    turnaround), to within a sortie; a short-lived drone keeps a quarter of its endurance (0.3 h of every 0.5)."""
    f = _fleet(8, flight.POLICY_RANDOM, endurance=endurance, turnaround=turnaround)
    reserve = min(0.5, endurance / 4)
    assert flight.reserve_hours(endurance) == reserve
    _, hours = _fly(f, round(168 / step_hours), speed=20.0, step_hours=step_hours)
    sortie = endurance - reserve
    assert hours / 8 == pytest.approx(168 * sortie / (sortie + turnaround), abs=sortie)
    assert np.all((f["state"] == flight.TURNAROUND) <= (f["airborne_h"] >= reserve - 1e-9))


def test_lawnmower_sweeps_its_whole_sector():
    f = _fleet(1, flight.POLICY_LAWNMOWER, endurance=1000.0)
    n = 1
    legs = np.zeros((n, flight.MAX_LEGS, 4))
    count = np.zeros(n, np.int64)
    cover = np.zeros((100, 100), np.float32)
    touched = np.zeros(cover.size, np.int64)
    for step in range(400):
        flight.fly_drones(f["x"], f["y"], f["wx"], f["wy"], f["state"], f["airborne_h"], f["ground_h"], f["base_x"], f["base_y"],
                          f["sector"], f["lane"], f["leg"], f["policy"], 4.0, 40.0, f["endurance"], f["turnaround"], 0.25,
                          np.uint64(step), legs, count, np.zeros((n, 5)), np.zeros(0), 1, 1.0, EVERYWHERE,
                          np.zeros(0, np.int64))
        stamp_coverage(cover, touched, 0, legs, count, np.array([True]), 2.0, 1.0, 0.0, 0.0, NOT_TIMED, EVERYWHERE,
                       *STANDING_STILL)
    assert (cover > 0).mean() > 0.99


def queue_of(cells: np.ndarray, ready: np.ndarray, expiry: np.ndarray, reported: np.ndarray | None = None,
             sources: np.ndarray | None = None) -> CueQueue:
    """A queue of drone cues about shipments 0, 1, ... (slot = uid) at ``cells``."""
    queue, n = CueQueue(), cells.size
    queue.append(slot=np.arange(n), uid=np.arange(n), cell=cells, ready_step=ready, expiry_step=expiry, source=CUE_DRONE,
                 sources=np.ones(n, np.int64) if sources is None else sources,
                 reported_step=np.zeros(n, np.int64) if reported is None else reported)
    return queue


def triage(queue: CueQueue, steps_per_source: int, *args) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """:func:`triage_cues` of the whole queue (``args``: step, width, units, max_distance)."""
    return triage_cues(queue.table, len(queue), steps_per_source, *args, queue.spare, queue.row_of)


def test_triage_serves_ready_cues_in_order_with_the_nearest_idle_unit():
    width = 100
    cells = np.array([0, 100 * width + 100, 1, 2, 3, 4, 5], dtype=np.int64)  # cue 1 is far from every unit
    ready = np.array([0, 0, 0, 5, 0, 0, 0])  # cue 3 is not ready yet
    expiry = np.array([9, 9, 9, 9, 1, 1, 9])  # cue 4 expires now
    units = np.array([[3.5, 0.5], [0.9, 0.5]])
    queue = queue_of(cells, ready, expiry)
    end_cues(queue.table, len(queue), queue.row_of, np.array([5]), np.array([5]))  # cue 5's shipment has ended
    answered, unit, lapsed, kept = triage(queue, QUEUE_ORDER, 1, width, units, 10.0)
    # cue 0 takes the nearer unit 1; cue 1 is out of range; cue 2 takes unit 0; none is left for 4 and 6
    np.testing.assert_array_equal(answered, queue.table[[0, 2]])
    np.testing.assert_array_equal(unit, [1, 0])
    np.testing.assert_array_equal(lapsed, [4])
    queue.take_spare(kept)
    assert queue.slot.tolist() == [1, 3, 6], "cue 5 has ended, dropped; the rest wait in their order"
    queue = queue_of(cells, ready, expiry)
    answered, _, _, kept = triage(queue, QUEUE_ORDER, 1, width, units[:0], 10.0)
    assert answered.shape == (0, len(CUE_FIELDS)) and kept == 5


def test_a_unit_exactly_at_the_farthest_distance_is_sent_and_one_beyond_it_is_not():
    width = 100
    cells = np.array([4 * width + 3], dtype=np.int64)  # centre (3.5, 4.5): 5 cells from a unit at (0.5, 0.5)
    for max_distance, sent in ((5.0, [0]), (np.nextafter(5.0, 0.0), [])):
        queue = queue_of(cells, np.zeros(1, np.int64), np.full(1, 9))
        _, unit, _, _ = triage(queue, QUEUE_ORDER, 1, width, np.array([[0.5, 0.5]]), max_distance)
        assert unit.tolist() == sent


def triage_the_old_way(queue: CueQueue, steps_per_source: int, step: int, width: int, units: np.ndarray,
                       max_distance: float) -> tuple[list, list, list, np.ndarray]:
    """Sort the whole queue, then serve it cue by cue in Python (the plain reference of the kernel)."""
    table = queue.table[:len(queue)]
    if steps_per_source != QUEUE_ORDER:
        key = table[:, REPORTED_STEP] - steps_per_source * (CORROBORATION[table[:, SOURCES]] - 1)
        table = table[np.argsort(key, kind="stable")]
    answered, sent, lapsed, waiting, free = [], [], [], [], [True] * len(units)
    for c in range(table.shape[0]):
        if table[c, UID] == ENDED:
            continue
        if any(free) and table[c, READY_STEP] <= step:
            x, y = table[c, CELL] % width + 0.5, table[c, CELL] // width + 0.5
            distance = [np.hypot(x - ux, y - uy) if free[u] else np.inf for u, (ux, uy) in enumerate(units)]
            best = int(np.argmin(distance))
            if distance[best] <= max_distance:
                answered.append(c)
                sent.append(best)
                free[best] = False
                continue
        (lapsed if table[c, EXPIRY_STEP] <= step else waiting).append(c)
    return table[answered].tolist(), sent, table[lapsed, SLOT].tolist(), table[waiting]


@pytest.mark.parametrize("seed", range(6))
def test_triage_by_priority_serves_what_sorting_the_whole_queue_first_serves(seed):
    rng = np.random.default_rng(seed)
    n, width, shipments = 400, 50, 300
    reported = np.sort(rng.integers(0, 40, n))  # a queue in order of first report, then some cues fused
    sources = np.where(rng.random(n) < 0.1, rng.integers(1, 8, n), 1)
    queue = queue_of(rng.integers(0, width * width, n), rng.integers(30, 45, n), rng.integers(35, 60, n), reported, sources)
    queue.table[:n, SLOT] = queue.table[:n, UID] = rng.integers(0, shipments, n)
    queue.table[:n, UID][rng.random(n) < 0.1] = ENDED
    units = rng.random((8, 2)) * width
    steps_per_source = int(rng.integers(0, 12)) if seed % 3 else QUEUE_ORDER
    expected = triage_the_old_way(queue, steps_per_source, 40, width, units, 20.0)
    answered, sent, lapsed, kept = triage(queue, steps_per_source, 40, width, units, 20.0)
    assert (answered.tolist(), sent.tolist(), lapsed.tolist()) == expected[:3]
    np.testing.assert_array_equal(queue.spare[:kept], expected[3])


@given(st.lists(st.integers(-5, 5), max_size=60), st.lists(st.integers(0, 59), max_size=8))
@settings(max_examples=200, deadline=None)
def test_stable_order_sorts_as_a_stable_argsort(steps, moved):
    """Keys in order but for a few moved ahead (what a queue kept in priority order meets), and keys in any order."""
    key = np.cumsum(np.abs(steps)).astype(np.int64)
    for i in moved:
        if i < key.size:
            key[i] -= 7
    for keys in (key, np.array(steps, np.int64)):
        np.testing.assert_array_equal(stable_order(keys), np.argsort(keys, kind="stable"))


def test_tips_come_only_where_no_drone_saw_the_shipment():
    n = 20_000
    routes = _one_route(np.arange(50))
    pool = _pool(n, 50)
    pool["concealment"][:] = 0.5
    tip = np.full(50, -np.log(0.8))  # per hour: one hour in a cell, a chance of 0.2
    none = np.zeros(50, np.float32)
    count, (_, kind, _), _ = _advance(pool, routes, np.ones(50, np.float32), 1.0, none, none, tip=tip)
    assert set(kind) == {EVENT_TIP} and count / n == pytest.approx(0.2 * 0.5, abs=0.015)
    pool = _pool(n, 50)
    count, (_, kind, _), _ = _advance(pool, routes, np.ones(50, np.float32), 1.0, np.ones(50, np.float32), none, tip=tip)
    assert set(kind) == {EVENT_DRONE_DETECTION} and count == n, "a shipment a drone saw is not tipped off as well"


@pytest.mark.parametrize("step_hours", [0.25, 1.0, 2.0])
def test_a_town_between_the_places_a_step_ends_tips_off_as_often_at_any_step_length(step_hours):
    """Reports follow the hours spent in each cell passed: a town a quarter-hour wide at rate 2/h tips off
    1 - exp(-0.5) of the shipments that cross it, whether a step ends there or four cells further on."""
    n, length = 20_000, 40
    routes = _one_route(np.arange(length))
    tip = np.zeros(length)
    tip[10] = 2.0
    none = np.zeros(length, np.float32)
    pool = _pool(n, 0)
    tipped = 0
    for step in range(int(6 / step_hours)):  # 6 h: past the town (2.75 h in) and not yet at the route's end (10 h)
        _, (_, kind, _), _ = _advance(pool, routes, np.full(length, 0.25, np.float32), step_hours, none, none, step=step, tip=tip)
        tipped += np.count_nonzero(kind == EVENT_TIP)
    assert tipped / n == pytest.approx(1.0 - np.exp(-0.5), abs=0.012)


@pytest.mark.parametrize("step_hours", [0.25, 2.0, 16.0])
def test_the_step_a_shipment_arrives_in_senses_the_cells_it_passed(step_hours):
    """A shipment reaching its port is seen by a drone or tipped off on the way in, as in any other step: a town at
    rate 2/h a quarter-hour wide tips off 1 - exp(-0.5) of the shipments, whether the step that passes it ends on
    the road or at the port (16 h: the whole 9.75 h route in one step); a drone looking 9.6 h into the run at the
    cell before the port (the shipments are there from 9.5 to 9.75 h) sees them all, and one looking at the port
    itself none (a shipment is delivered as it enters)."""
    n, length = 20_000, 40
    routes = _one_route(np.arange(length))
    tip = np.zeros(length)
    tip[30] = 2.0
    tip[length - 1] = 50.0  # the port itself: a shipment is delivered as it enters, so no hours are spent there
    none = np.zeros(length, np.float32)
    steps = int(np.ceil(10 / step_hours))
    pool = _pool(n, 0)
    kinds = []
    for step in range(steps):
        _, (_, kind, _), _ = _advance(pool, routes, np.full(length, 0.25, np.float32), step_hours, none, none, step=step, tip=tip)
        kinds.append(kind)
    kind = np.concatenate(kinds)
    assert np.all(pool["status"] == FREE) and np.count_nonzero(kind & EVENT_DELIVERED) == n
    tipped = np.count_nonzero((kind & EVENT_REPORT) == EVENT_TIP)
    assert tipped / n == pytest.approx(1.0 - np.exp(-0.5), abs=0.012)
    for watched, seen in ((length - 2, n), (length - 1, 0)):
        pool, detected = _pool(n, 0), 0
        for step in range(steps):
            hour = 9.6 - step * step_hours  # into this step
            drone, looks = none.copy(), np.zeros((4, length), np.float32)
            if 0.0 <= hour < step_hours:
                drone[watched] = 1.0
                looks[:, watched] = (hour, 1.0, hour, 1.0)
            kind = _advance(pool, routes, np.full(length, 0.25, np.float32), step_hours, drone, none, step=step,
                            looks=looks)[1][1]
            detected += np.count_nonzero((kind & EVENT_REPORT) == EVENT_DRONE_DETECTION)
        assert np.all(pool["status"] == FREE) and detected == seen


@pytest.mark.parametrize("shape", [(12, 12), (13, 10), (1, 7)])
def test_block_kernels_match_the_numpy_formulas(shape):
    rng = np.random.default_rng(5)
    h, w, k = *shape, 4
    hours = rng.uniform(0.1, 3.0, shape).astype(np.float32)
    hours[0, 0] = np.inf
    risk = rng.uniform(0.0, 1.0, (-(-h // k), -(-w // k))).astype(np.float32)
    upsampled = np.repeat(np.repeat(risk, k, axis=0), k, axis=1)[:h, :w]
    np.testing.assert_array_equal(add_blocks(hours, risk, k, 2.7), hours.astype(np.float64) + 2.7 * upsampled)
    padded = np.full((risk.shape[0] * k, risk.shape[1] * k), np.inf)
    padded[:h, :w] = hours
    expected = padded.reshape(risk.shape[0], k, risk.shape[1], k).min(axis=(1, 3))
    np.testing.assert_array_equal(block_min(hours.astype(np.float64), k), expected)


def test_stamps_lower_the_raster_in_order_and_stop_at_zero():
    rng = np.random.default_rng(2)
    raster = rng.uniform(0.0, 1.0, (30, 40)).astype(np.float32)
    cells = np.array([0, 41, 41, 30 * 40 - 1, 15 * 40 + 20], dtype=np.int64)  # corners, a repeat, the middle
    reach, sigma = 4, 1.5
    rows, cols = np.ogrid[-reach:reach + 1, -reach:reach + 1]
    stamp = 0.3 * np.exp(-(rows**2 + cols**2) / (2.0 * sigma**2))
    expected = raster.copy()
    for cell in cells:  # one window at a time, clipped at the edges
        r, c = divmod(int(cell), 40)
        r0, r1, c0, c1 = max(0, r - reach), min(30, r + reach + 1), max(0, c - reach), min(40, c + reach + 1)
        window = expected[r0:r1, c0:c1]
        np.maximum(
            window - stamp[r0 - r + reach : r1 - r + reach, c0 - c + reach : c1 - c + reach], 0.0, out=window, casting="unsafe"
        )
    subtract_stamps(raster, cells, stamp)
    np.testing.assert_array_equal(raster, expected)
    assert raster.min() == 0.0 and raster.reshape(-1)[41] == 0.0


def test_zone_centres_are_the_first_distinct_candidates():
    rng = np.random.default_rng(4)
    candidates = np.concatenate([np.full(500, 7), rng.integers(0, 50, 2000)])  # a long run of one cell first
    centres = zone_centres(candidates, 12, width=10)
    _, first = np.unique(candidates, return_index=True)
    expected = candidates[np.sort(first)][:12]
    np.testing.assert_array_equal(centres, np.column_stack([expected % 10 + 0.5, expected // 10 + 0.5]))
    assert len(zone_centres(np.array([3, 3, 3]), 5, width=10)) == 1


def test_stamp_coverage_touches_exactly_the_cells_within_the_radius_of_some_leg_at_the_nearest_legs_distance():
    """Only each row's swath is visited; it must hold every cell whose centre lies within R of a leg, and no other."""
    from sim.kernels.coverage import dist_to_leg, stamp_coverage

    rng = np.random.default_rng(1)
    side = 40
    centres = np.arange(side) + 0.5
    for _ in range(300):
        count = int(rng.integers(1, 4))
        legs = np.zeros((1, 8, 4))
        for j in range(count):
            x0, y0 = rng.uniform(-4, side + 4, 2)
            x1, y1 = rng.choice([(x0, y0), (x0 + rng.uniform(-20, 20), y0), (x0, y0 + rng.uniform(-20, 20)),
                                 tuple(rng.uniform(-4, side + 4, 2))])
            legs[0, j] = (x0, y0, x1, y1)
        radius = float(rng.choice([0.3, 0.5, 1.0, 2.5, 6.0, 4 / 9]))
        cover = np.zeros((side, side), np.float32)
        stamp_coverage(cover, np.zeros(side * side, np.int64), 0, legs, np.array([count]), np.ones(1, bool), radius, 0.7, 0.5,
                       0.0, NOT_TIMED, np.zeros((0, 0), bool), *STANDING_STILL)
        nearest = np.array([[min(dist_to_leg(x, y, *legs[0, j]) for j in range(count)) for x in centres] for y in centres])
        assert np.array_equal(cover > 0, nearest <= radius), (legs[0, :count], radius)
        law = np.where(nearest <= radius, 0.7 * (1.0 - 0.5 * (nearest / radius) ** 2), 0.0).astype(np.float32)
        np.testing.assert_allclose(cover, law, rtol=1e-6, atol=0)  # one look, at its nearest leg, in any leg order


@given(st.lists(st.integers(-3, 3), max_size=70))
@settings(max_examples=200, deadline=None)
def test_merge_order_sorts_as_a_stable_argsort(keys):
    keys = np.array(keys, np.int64)
    np.testing.assert_array_equal(merge_order(keys), np.argsort(keys, kind="stable"))
