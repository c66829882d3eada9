"""Sensor coverage: the per-cell detection probability of one step, stamped sparsely.

Each sensor sweeps a few straight legs in a step (a drone turning at a waypoint, or a ground
post standing still: a leg of length zero). Its footprint over the step is the union of the
capsules of radius R around those legs; within it the detection probability falls from ``p0`` at
the track to ``p0 * (1 - falloff)`` at the edge: ``p0 * (1 - falloff * (d / R)^2)``, d the distance
to the nearest of its legs. Sensors combine as independent looks: ``cover = 1 - prod(1 - p)``.
Only touched cells are written and later cleared, so the cost grows with sensors × footprint, not
with the raster.

A sensor in flight looks at a cell once per pass, at its closest approach (a lateral range law):
at the hour of that approach, in the step that holds it (see :func:`stamp_coverage`), whatever the step's
length; the hours of each cell's first and last look are kept, so that a moving target meets the
looks made where it was when they were made (:func:`sim.kernels.movement.looks_while_there`).
A sensor that passes a cell, turns and passes it again looks twice, in one step or two. A post
standing still looks once a step.

Where asked, the same pass measures how long each cell lay under a footprint: a sensor flying its
legs at a steady speed is within R of a cell for the length of its legs inside the disc of radius R
around the cell's centre, divided by its speed (a sensor standing still keeps no such time: its
legs have length zero). Sensors over the same cell add up (platform-hours), so a cell's hours follow
the hours flown at any step length: keeping the longest treated sensors there at different moments
of a step as there at once, more so the longer the step.
"""

import numpy as np
from numba import njit

ROUTE_RUN_SHIFT = 4  # :func:`cover_along_routes` looks up a cell's route bit only in runs of 2**4 flat cells holding a route
NOT_TIMED = np.zeros((0, 0), dtype=np.float32)  # :func:`stamp_coverage`'s ``dwell`` where time under a footprint is not measured
# :func:`stamp_coverage`'s last five arguments for sensors standing still (ground posts): no timing, no looks kept.
STANDING_STILL = (np.zeros((0, 5)), np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64),
                  np.zeros((0, 4), dtype=np.float32))
SPAN_SLACK = 1e-6  # cells added on either side of a row's swath, so rounding never drops a cell the exact test keeps


@njit(cache=True, inline="always")
def closest_on_leg(px, py, x0, y0, x1, y1):
    """(distance, share) of the point of segment (x0, y0)–(x1, y1) closest to (px, py): share 0 at its start, 1 at its end."""
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = min(1.0, max(0.0, ((px - x0) * dx + (py - y0) * dy) / length2))
    ex, ey = px - (x0 + t * dx), py - (y0 + t * dy)
    return np.sqrt(ex * ex + ey * ey), t


@njit(cache=True, inline="always")
def dist_to_leg(px, py, x0, y0, x1, y1):
    """Distance from point (px, py) to the segment (x0, y0)–(x1, y1), in the points' units."""
    return closest_on_leg(px, py, x0, y0, x1, y1)[0]


@njit(cache=True, inline="always")
def capsule_span(py, x0, y0, x1, y1, radius):
    """The x interval where the line y = ``py`` meets the capsule of ``radius`` around the segment (x0, y0)–(x1, y1).

    The capsule is convex, so the meeting is one interval: the union of what the line meets of
    the two end disks and of the band of points whose projection falls on the segment. Returns
    (lo, hi), with lo > hi when the line misses the capsule.
    """
    lo, hi = np.inf, -np.inf
    for ex, ey in ((x0, y0), (x1, y1)):  # the end disks
        gap = radius * radius - (py - ey) * (py - ey)
        if gap >= 0.0:
            half = np.sqrt(gap)
            lo, hi = min(lo, ex - half), max(hi, ex + half)
    dx, dy = x1 - x0, y1 - y0
    length = np.sqrt(dx * dx + dy * dy)
    if length > 0.0:  # the band: |cross((x, py) - P0, d)| <= radius * length and 0 <= dot((x, py) - P0, d) <= length²
        a, b = -np.inf, np.inf
        if dy != 0.0:  # perpendicular distance, linear in x: -dy * (x - x0) + dx * (py - y0)
            u, v = x0 + (dx * (py - y0) - radius * length) / dy, x0 + (dx * (py - y0) + radius * length) / dy
            a, b = max(a, min(u, v)), min(b, max(u, v))
        elif abs(py - y0) > radius:
            a, b = np.inf, -np.inf
        if dx != 0.0:  # projection, linear in x: dx * (x - x0) + dy * (py - y0)
            u, v = x0 - dy * (py - y0) / dx, x0 + (length * length - dy * (py - y0)) / dx
            a, b = max(a, min(u, v)), min(b, max(u, v))
        elif not (min(y0, y1) <= py <= max(y0, y1)):
            a, b = np.inf, -np.inf
        if a <= b:
            lo, hi = min(lo, a), max(hi, b)
    return lo, hi


@njit(cache=True, inline="always")
def hours_within(px, py, x0, y0, x1, y1, radius, speed):
    """Hours a sensor flying the segment (x0, y0)–(x1, y1) at ``speed`` (cells/h) spends within ``radius`` of (px, py)."""
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    if length2 == 0.0 or speed <= 0.0:
        return 0.0
    fx, fy = x0 - px, y0 - py
    half_b = fx * dx + fy * dy  # |P0 + t·d - c|² <= R²: length2·t² + 2·half_b·t + (|P0 - c|² - R²) <= 0
    gap = half_b * half_b - length2 * (fx * fx + fy * fy - radius * radius)
    if gap <= 0.0:
        return 0.0
    root = np.sqrt(gap)
    inside = min(1.0, (-half_b + root) / length2) - max(0.0, (-half_b - root) / length2)
    return max(0.0, inside) * np.sqrt(length2) / speed


@njit(cache=True, inline="always")
def nearest_leg_distance(px, py, legs, s, first, count):
    """The distance from (px, py) to the nearest of sensor ``s``'s legs ``first`` to ``count`` - 1."""
    best = np.inf
    for j in range(first, count):
        best = min(best, dist_to_leg(px, py, legs[s, j, 0], legs[s, j, 1], legs[s, j, 2], legs[s, j, 3]))
    return best


@njit(cache=True)
def stamp_coverage(
    cover: np.ndarray,
    touched: np.ndarray,
    n_touched: int,
    legs: np.ndarray,
    leg_count: np.ndarray,
    active: np.ndarray,
    radius: float,
    p0: float,
    falloff: float,
    speed: float,
    dwell: np.ndarray,
    allowed: np.ndarray,
    timing: np.ndarray,
    continues: np.ndarray,
    on_route: np.ndarray,
    route_cells: np.ndarray,
    looks: np.ndarray,
) -> int:
    """Add the footprints of all active sensors to ``cover``.

    Args:
        cover: (H, W) float32, detection probability per step; zero where untouched.
        touched: (H*W,) int64, flat indices of cells with non-zero cover or dwell, first ``n_touched`` used.
        n_touched: number of entries of ``touched`` in use.
        legs: (S, K, 4) float64, legs (x0, y0, x1, y1) in cell units (x = column, y = row;
            cell (r, c) has its centre at (c + 0.5, r + 0.5)).
        leg_count: (S,) int64, legs used per sensor.
        active: (S,) bool, sensors that sense this step.
        radius: footprint radius in cells.
        p0: detection probability at the track, per pass.
        falloff: fractional fall of the probability at the footprint's edge.
        speed: the sensors' speed along their legs, cells per hour.
        dwell: (H, W) float32, hours each cell lay under a sensor's footprint this step, summed over the
            sensors and their legs (these sensors' hours added); zero where untouched, like ``cover``;
            (0, 0) = not measured.
        allowed: (H, W) bool, the cells sensors may sense (authorised airspace); (0, 0) = every cell.
        timing: (S, 5) float64, :func:`sim.kernels.flight.fly_drones`' timing of each sensor's legs; read with ``looks``.
        continues: (S,) bool, sensors flying on into the next step; read with ``looks``.
        on_route: (ceil(H*W / 8),) uint8, bit ``cell % 8`` (little-endian) of byte ``cell // 8`` set for the cells
            whose looks are kept (those routes pass).
        route_cells: (U,) int64, those cells, ascending.
        looks: (U, 4) float32, per such cell: the hour into the step of its first look and that look's
            probability, then the same of its last look; written where a look adds to ``cover`` (which
            combines them all). (0, 4) = sensors standing still: every cell in a footprint is looked at
            once a step, and no times are kept.

    Returns:
        The new ``n_touched``.
    """
    h, w = cover.shape
    restricted = allowed.size > 0
    timed = dwell.size > 0
    passes = looks.size > 0
    starts, lengths = np.zeros(legs.shape[1]), np.zeros(legs.shape[1])
    heading_in, heading_on = np.zeros((legs.shape[1], 2)), np.zeros((legs.shape[1], 2))
    for s in range(legs.shape[0]):
        if not active[s]:
            continue
        n = leg_count[s]
        # Each pass over a point is one look, at its closest approach (the lateral range law), at any step length. A
        # closest approach at a leg's first point, to a point behind the heading flown in with (that of the last leg
        # flown before that moved: timing[s, 1:3] for the step's first leg, none after take-off), was the pass of the
        # leg before, in this step or an earlier one; one at a leg's last point, to a point not behind the heading
        # flown on with, is the pass of the leg after, if the sensor flies on (in this step, or in the next: timing[s,
        # 3:5]). Both legs decide by the same sum, so ties go one way, and a leg of length zero between two legs never
        # looks. A point passed on one leg, then again after a turn, is looked at twice.
        flying_on = passes and continues[s]
        for k in range(n if passes else 0):  # the hour into the step each leg starts, its length and its headings
            dx, dy = legs[s, k, 2] - legs[s, k, 0], legs[s, k, 3] - legs[s, k, 1]
            lengths[k] = np.hypot(dx, dy)
            starts[k] = timing[s, 0] if k == 0 else starts[k - 1] + lengths[k - 1] / speed
            heading_in[k, 0], heading_in[k, 1] = (timing[s, 1], timing[s, 2]) if k == 0 else (heading_on[k - 1, 0],
                                                                                               heading_on[k - 1, 1])
            if k == n - 1:
                heading_on[k, 0], heading_on[k, 1] = timing[s, 3], timing[s, 4]
            elif dx != 0.0 or dy != 0.0:
                heading_on[k, 0], heading_on[k, 1] = dx, dy
            else:
                heading_on[k, 0], heading_on[k, 1] = heading_in[k, 0], heading_in[k, 1]
        for k in range(n):
            x0, y0, x1, y1 = legs[s, k, 0], legs[s, k, 1], legs[s, k, 2], legs[s, k, 3]
            c_lo = max(0, int(np.floor(min(x0, x1) - radius)))
            c_hi = min(w - 1, int(np.floor(max(x0, x1) + radius)))
            r_lo = max(0, int(np.floor(min(y0, y1) - radius)))
            r_hi = min(h - 1, int(np.floor(max(y0, y1) + radius)))
            for r in range(r_lo, r_hi + 1):
                py = r + 0.5
                lo, hi = capsule_span(py, x0, y0, x1, y1, radius)  # only the cells this row's swath can hold
                if lo > hi:
                    continue
                first = max(c_lo, int(np.floor(lo - 0.5 - SPAN_SLACK)))
                last = min(c_hi, int(np.ceil(hi - 0.5 + SPAN_SLACK)))
                for c in range(first, last + 1):
                    px = c + 0.5
                    if dist_to_leg(px, py, x0, y0, x1, y1) > radius or (restricted and not allowed[r, c]):
                        continue
                    seen_before = False  # the same sensor's earlier legs reached this cell: it was done then
                    for j in range(k):
                        if dist_to_leg(px, py, legs[s, j, 0], legs[s, j, 1], legs[s, j, 2], legs[s, j, 3]) <= radius:
                            seen_before = True
                            break
                    if seen_before:
                        continue
                    hours = 0.0
                    if timed:
                        for j in range(k, n):
                            hours += hours_within(px, py, legs[s, j, 0], legs[s, j, 1], legs[s, j, 2], legs[s, j, 3], radius,
                                                  speed)
                    cell = r * w + c
                    if hours > 0.0:
                        if cover[r, c] == 0.0 and dwell[r, c] == 0.0:
                            touched[n_touched] = cell
                            n_touched += 1
                        dwell[r, c] += hours
                    kept = passes and (on_route[cell >> 3] >> (cell & 7)) & 1
                    for j in range(k, n if passes else k + 1):  # in flight, a look on each leg whose pass it is
                        if passes:
                            d, share = closest_on_leg(px, py, legs[s, j, 0], legs[s, j, 1], legs[s, j, 2], legs[s, j, 3])
                            if d > radius:
                                continue
                            if share == 0.0 and \
                                    (px - legs[s, j, 0]) * heading_in[j, 0] + (py - legs[s, j, 1]) * heading_in[j, 1] < 0.0:
                                continue  # the leg before's pass
                            if (j < n - 1 or flying_on) and \
                                    (px - legs[s, j, 2]) * heading_on[j, 0] + (py - legs[s, j, 3]) * heading_on[j, 1] >= 0.0:
                                continue  # the leg after's pass
                        else:  # standing still: one look a step, at the nearest leg
                            d, share = nearest_leg_distance(px, py, legs, s, k, n), 0.0
                        p = p0 * (1.0 - falloff * (d / radius) ** 2)
                        if p <= 0.0:
                            continue
                        old = cover[r, c]
                        if old == 0.0 and (not timed or dwell[r, c] == 0.0):
                            touched[n_touched] = cell
                            n_touched += 1
                        cover[r, c] = 1.0 - (1.0 - old) * (1.0 - p)
                        if kept:
                            u = np.searchsorted(route_cells, cell)
                            at = starts[j] + share * lengths[j] / speed
                            if old == 0.0 or at < looks[u, 0]:  # the first look
                                looks[u, 0], looks[u, 1] = at, p
                            if old == 0.0 or at >= looks[u, 2]:  # the last
                                looks[u, 2], looks[u, 3] = at, p
    return n_touched


@njit(cache=True)
def clear_coverage(cover: np.ndarray, touched: np.ndarray, n_touched: int) -> None:
    """Zero the cells listed in ``touched[:n_touched]`` of ``cover`` ((H*W,) float32 view)."""
    for i in range(n_touched):
        cover[touched[i]] = 0.0


@njit(cache=True)
def cover_along_routes(cover: np.ndarray, cells: np.ndarray, near_route: np.ndarray, on_route: np.ndarray,
                       route_cells: np.ndarray, first: np.ndarray, positions: np.ndarray, along: np.ndarray,
                       written: np.ndarray, n_written: int, looks: np.ndarray, along_looks: np.ndarray) -> int:
    """Refresh the cover at every route position (``along``) from the cover at the cells that now have any.

    The positions ``written[:n_written]`` (the ones this function made non-zero last time) are
    zeroed; then each route position on one of ``cells`` takes the cover of its cell, and those
    made non-zero are listed in ``written``. Every other position keeps its value.

    Args:
        cover: (H*W,) float32 cover per flat cell.
        cells: (n,) int64 flat cells holding every non-zero ``cover`` (repeats are harmless).
        near_route: (ceil(H*W / 128),) uint8, bit ``s % 8`` (little-endian) of byte ``s // 8`` set for each run ``s``
            of 2**:data:`ROUTE_RUN_SHIFT` flat cells (``cell >> ROUTE_RUN_SHIFT``) holding a cell on a route.
        on_route: (ceil(H*W / 8),) uint8, bit ``cell % 8`` of byte ``cell // 8`` set for cells on a route.
        route_cells: (U,) int64 the cells on a route, ascending.
        first: (U + 1,) int64, the positions on ``route_cells[u]`` are ``positions[first[u]:first[u + 1]]``.
        positions: (sum L,) int64 route positions, grouped by cell.
        along: (sum L,) float32 cover at every route position, written in place.
        written: (sum L,) int64, the first ``n_written`` the positions made non-zero last time; rewritten.
        n_written: how many of ``written`` are in use.
        looks: (U, 4) float32, :func:`stamp_coverage`'s looks at ``route_cells``, copied with the cover.
        along_looks: (4, sum L) float32, the looks at every route position, written where ``along`` is.

    Returns:
        How many of ``written`` are in use now.
    """
    for i in range(n_written):
        along[written[i]] = 0.0
    n_written = 0
    for cell in cells:
        run = cell >> ROUTE_RUN_SHIFT
        if not (near_route[run >> 3] >> (run & 7)) & 1 or not (on_route[cell >> 3] >> (cell & 7)) & 1:
            continue
        value = cover[cell]
        if value == 0.0:
            continue
        u = np.searchsorted(route_cells, cell)
        for i in range(first[u], first[u + 1]):
            if along[positions[i]] == 0.0:  # a cell listed twice is written once
                along[positions[i]] = value
                for k in range(4):
                    along_looks[k, positions[i]] = looks[u, k]
                written[n_written] = positions[i]
                n_written += 1
    return n_written
