"""Drone flight: sorties from a base, patrol waypoints, return on endurance, turnaround."""

import numpy as np
from numba import njit

from sim.kernels.counter_rng import uniform

# Drone states (int8).
READY = 0
PATROL = 1
RETURNING = 2
TURNAROUND = 3
LOST = 4

# Patrol policies (int8), in the order of sim.params.PATROL_POLICIES.
POLICY_RANDOM = 0
POLICY_LAWNMOWER = 1
# Codes from 2 on (hotspot, intel, stackelberg) draw waypoints from weighted blocks of the raster.
POLICY_WEIGHTED = 2
_THIRD_DRAW = np.uint64(0x9E3779B97F4A7C15)  # key offset for a waypoint's third draw
_RETRY_DRAW = np.uint64(0xD1B54A32D192ED03)  # key offset, times the try, of a waypoint redrawn after its leg was cut short

MAX_LEGS = 8  # straight legs a drone can fly in one step; the rest of the step it idles
RESERVE_H = 0.5  # hours of flight a patrol still has in hand when it lands back at its base ...
RESERVE_SHARE = 0.25  # ... or this share of its endurance, if less (see reserve_hours)
EPS = 1e-9  # hours or cells below which a remainder counts as nothing
WAYPOINT_TRIES = 8  # authorised airspace: draws of a waypoint before a leg cut short is kept
MIN_CUT_LEG = 0.5  # cells: a leg cut at the airspace's edge shorter than this is redrawn


@njit(cache=True)
def _random_direction(px, py, x0, y0, x1, y1, key, counter):
    """Next waypoint of random search: a straight leg in a random direction, ending at a wall or at random.

    Away from the walls the heading is uniform; leaving a wall it is cosine-weighted about the
    inward normal (Lambert's law); the leg length is exponential with a mean of half the sector's
    width plus height. Both preserve a uniform density of search over the sector, which random
    search theory assumes. A drone outside its sector (just off from its base) first heads to
    a uniform point of the sector.
    """
    u, v = uniform(key, 2 * counter), uniform(key, 2 * counter + 1)
    eps = EPS
    if px < x0 - eps or px > x1 + eps or py < y0 - eps or py > y1 + eps:
        return x0 + (x1 - x0) * u, y0 + (y1 - y0) * v
    if px <= x0 + eps:
        theta = np.arcsin(2.0 * u - 1.0)
    elif px >= x1 - eps:
        theta = np.pi + np.arcsin(2.0 * u - 1.0)
    elif py <= y0 + eps:
        theta = 0.5 * np.pi + np.arcsin(2.0 * u - 1.0)
    elif py >= y1 - eps:
        theta = -0.5 * np.pi + np.arcsin(2.0 * u - 1.0)
    else:
        theta = 2.0 * np.pi * u
    dx, dy = np.cos(theta), np.sin(theta)
    if (px <= x0 + eps and dx < 0.0) or (px >= x1 - eps and dx > 0.0):
        dx = -dx  # in a corner: mirror off the other wall rather than fly out
    if (py <= y0 + eps and dy < 0.0) or (py >= y1 - eps and dy > 0.0):
        dy = -dy
    to_wall = np.inf
    if dx > eps:
        to_wall = min(to_wall, (x1 - px) / dx)
    elif dx < -eps:
        to_wall = min(to_wall, (x0 - px) / dx)
    if dy > eps:
        to_wall = min(to_wall, (y1 - py) / dy)
    elif dy < -eps:
        to_wall = min(to_wall, (y0 - py) / dy)
    leg = min(to_wall, -0.5 * ((x1 - x0) + (y1 - y0)) * np.log(1.0 - v))
    return min(max(px + leg * dx, x0), x1), min(max(py + leg * dy, y0), y1)


@njit(cache=True)
def _waypoint(d, px, py, policy, sector, lane, leg, lane_spacing, key, counter, block_cdf, block_cols, block):
    """The waypoint (x, y) drone ``d`` at (px, py) heads to under ``policy``, from its lane and leg.

    Random search flies random-direction legs (:func:`_random_direction`); the lawnmower sweeps
    the sector in parallel lanes ``lane_spacing`` apart, alternately northwards and southwards;
    a weighted policy draws a block of ``block`` cells with the cumulative weights ``block_cdf``
    and a uniform point inside it (clipped to the sector), or searches at random when all
    weights are 0.
    """
    x0, y0, x1, y1 = sector[d, 0], sector[d, 1], sector[d, 2], sector[d, 3]
    if policy >= POLICY_WEIGHTED and block_cdf.size > 0 and block_cdf[-1] > 0.0:
        b = min(np.searchsorted(block_cdf, uniform(key, 2 * counter) * block_cdf[-1], side="right"), block_cdf.size - 1)
        row, col = b // block_cols, b % block_cols
        x = (col + uniform(key, 2 * counter + 1)) * block
        y = (row + uniform(key ^ _THIRD_DRAW, counter)) * block
        return min(max(x, x0), x1), min(max(y, y0), y1)
    if policy != POLICY_LAWNMOWER:
        return _random_direction(px, py, x0, y0, x1, y1, key, counter)
    x = min(x1, x0 + (lane[d] + 0.5) * lane_spacing)
    up = lane[d] % 2 == 0
    at_start = leg[d] == 0
    return x, (y1 if up == at_start else y0)


@njit(cache=True)
def _advance_lawnmower(d, sector, lane, leg, lane_spacing):
    """After reaching a waypoint: from a lane's start to its end, from its end to the next lane."""
    if leg[d] == 0:
        leg[d] = 1
        return
    n_lanes = max(1, int(np.ceil((sector[d, 2] - sector[d, 0]) / lane_spacing)))
    lane[d] = (lane[d] + 1) % n_lanes
    leg[d] = 0


@njit(cache=True)
def _cell_allowed(allowed, x, y):
    """Whether point (x, y) lies in an authorised cell of ``allowed`` ((H, W) bool)."""
    c, r = int(np.floor(x)), int(np.floor(y))
    return 0 <= r < allowed.shape[0] and 0 <= c < allowed.shape[1] and allowed[r, c]


@njit(cache=True)
def _inside(allowed, x, y):
    """Whether (x, y) lies in an authorised cell or on the edge of one (within EPS)."""
    return (_cell_allowed(allowed, x - EPS, y - EPS) or _cell_allowed(allowed, x + EPS, y - EPS)
            or _cell_allowed(allowed, x - EPS, y + EPS) or _cell_allowed(allowed, x + EPS, y + EPS))


@njit(cache=True)
def clip_leg(px, py, qx, qy, allowed):
    """The end of the leg from (px, py) to (qx, qy), cut just before the first unauthorised cell it enters.

    The leg is walked cell by cell (the cells a straight line crosses, in order); a leg that
    stays in authorised cells, or leaves them only within EPS of its end, ends at (qx, qy).
    """
    dx, dy = qx - px, qy - py
    length = np.hypot(dx, dy)
    if length <= EPS:
        return qx, qy
    if not _cell_allowed(allowed, px + EPS * dx / length, py + EPS * dy / length):
        return px, py  # on the edge, heading out
    c, r = int(np.floor(px + EPS * dx / length)), int(np.floor(py + EPS * dy / length))
    step_c, step_r = (1 if dx > 0.0 else -1), (1 if dy > 0.0 else -1)
    next_x = np.inf if dx == 0.0 else ((c + 1 if dx > 0.0 else c) - px) / dx  # leg parameter t of the next column edge
    next_y = np.inf if dy == 0.0 else ((r + 1 if dy > 0.0 else r) - py) / dy
    delta_x = np.inf if dx == 0.0 else abs(1.0 / dx)
    delta_y = np.inf if dy == 0.0 else abs(1.0 / dy)
    reach = 1.0 - EPS / length
    while True:
        if next_x < next_y:
            t, c = next_x, c + step_c
            next_x += delta_x
        else:
            t, r = next_y, r + step_r
            next_y += delta_y
        if t >= reach:
            return qx, qy
        if not (0 <= r < allowed.shape[0] and 0 <= c < allowed.shape[1] and allowed[r, c]):
            t = max(0.0, t - EPS / length)
            return px + t * dx, py + t * dy


@njit(cache=True)
def _uniform_authorised(cells, width, key, counter):
    """A uniform point of the authorised cells ``cells`` (flat indices of a raster ``width`` wide)."""
    i = min(int(uniform(key, 2 * counter) * cells.size), cells.size - 1)
    r, c = cells[i] // width, cells[i] % width
    return c + uniform(key, 2 * counter + 1), r + uniform(key ^ _THIRD_DRAW, counter)


@njit(cache=True)
def _lawnmower_in_zone(d, px, py, sector, lane, leg, lane_spacing, allowed):
    """The lawnmower's next lane end, its lane cut to the first and last authorised cells of its column.

    Lanes with no authorised cell are skipped; with none at all the drone holds its position.
    """
    x0, y0, x1, y1 = sector[d, 0], sector[d, 1], sector[d, 2], sector[d, 3]
    h, w = allowed.shape
    n_lanes = max(1, int(np.ceil((x1 - x0) / lane_spacing)))
    for _ in range(n_lanes):
        x = min(x1, x0 + (lane[d] + 0.5) * lane_spacing)
        c = min(max(int(np.floor(x)), 0), w - 1)
        first, last = -1, -1
        for r in range(max(0, int(np.floor(y0))), min(h, int(np.ceil(y1)))):
            if allowed[r, c]:
                last = r
                if first < 0:
                    first = r
        if first >= 0:
            up = lane[d] % 2 == 0
            return x, (last + 1.0 if up == (leg[d] == 0) else float(first))
        lane[d] = (lane[d] + 1) % n_lanes
        leg[d] = 0
    return px, py


@njit(cache=True)
def _next_waypoint(d, px, py, policy, sector, lane, leg, lane_spacing, key, counter, block_cdf, block_cols, block,
                   allowed, allowed_cells):
    """:func:`_waypoint`, kept to the authorised airspace ``allowed`` unless it is empty (everywhere authorised).

    From outside the airspace (transit from a base) the drone heads straight for an authorised
    point: a uniform one of ``allowed_cells``, or its lawnmower lane's start. From inside, the leg
    to the waypoint is cut at the airspace's edge (:func:`clip_leg`); a leg cut shorter than
    MIN_CUT_LEG cells is redrawn, up to WAYPOINT_TRIES times.
    """
    if allowed.size == 0:
        return _waypoint(d, px, py, policy, sector, lane, leg, lane_spacing, key, counter, block_cdf, block_cols, block)
    inside = _inside(allowed, px, py)
    if policy == POLICY_LAWNMOWER:
        wx, wy = _lawnmower_in_zone(d, px, py, sector, lane, leg, lane_spacing, allowed)
        return clip_leg(px, py, wx, wy, allowed) if inside else (wx, wy)
    if not inside:
        return _uniform_authorised(allowed_cells, allowed.shape[1], key, counter)
    cx, cy = px, py
    for k in range(WAYPOINT_TRIES):
        draw_key = key ^ (_RETRY_DRAW * np.uint64(k))
        wx, wy = _waypoint(d, px, py, policy, sector, lane, leg, lane_spacing, draw_key, counter, block_cdf, block_cols, block)
        cx, cy = clip_leg(px, py, wx, wy, allowed)
        if (cx == wx and cy == wy) or np.hypot(cx - px, cy - py) >= MIN_CUT_LEG:
            break
    return cx, cy


@njit(cache=True)
def reserve_hours(endurance_h: float) -> float:
    """Hours of flight a sortie of ``endurance_h`` hours keeps in hand to land: RESERVE_H, or RESERVE_SHARE of it if less."""
    return min(RESERVE_H, RESERVE_SHARE * endurance_h)


@njit(cache=True, inline="always")
def hours_to_turn(x: float, y: float, wx: float, wy: float, base_x: float, base_y: float, speed: float,
                  spare_h: float) -> float:
    """Hours a drone at (x, y) can fly on towards (wx, wy) before ``spare_h`` hours only just cover the way home.

    The s with (spare_h - s) · speed = |P + s · speed · u - B|, P its position, u its heading and B
    its base (both sides squared, the s² terms cancel). Needs the way home now to take less than
    ``spare_h``; the result is then positive. Positions in cells, speed in cells per hour.
    """
    dist = np.hypot(wx - x, wy - y)
    if dist <= 0.0:
        return np.inf
    reach = speed * spare_h
    dx, dy = x - base_x, y - base_y
    return (reach * reach - dx * dx - dy * dy) / (2.0 * speed * (reach + (dx * (wx - x) + dy * (wy - y)) / dist))


@njit(cache=True)
def fly_drones(
    x: np.ndarray,
    y: np.ndarray,
    wx: np.ndarray,
    wy: np.ndarray,
    state: np.ndarray,
    airborne_h: np.ndarray,
    ground_h: np.ndarray,
    base_x: np.ndarray,
    base_y: np.ndarray,
    sector: np.ndarray,
    lane: np.ndarray,
    leg: np.ndarray,
    policy: int,
    lane_spacing: float,
    speed: float,
    endurance_h: float,
    turnaround_h: float,
    step_hours: float,
    key: np.uint64,
    legs: np.ndarray,
    leg_count: np.ndarray,
    timing: np.ndarray,
    block_cdf: np.ndarray,
    block_cols: int,
    block: float,
    allowed: np.ndarray,
    allowed_cells: np.ndarray,
) -> float:
    """Fly every drone for one step and record the legs it flew.

    A ready drone takes off; a patrolling drone flies to its waypoint and picks the next one by
    its policy; it turns home at the point of its leg where its remaining endurance only just
    covers the flight home and its reserve (:func:`reserve_hours`); at the base it stays ``turnaround_h`` before it is
    ready again. Landing, turnaround and take-off fall within steps (the rest of the step a drone
    lands in counts towards its turnaround; one ready mid-step flies the rest of it), so a sortie's
    hours do not depend on the step length. A step holds at most one landing and one take-off.

    Args:
        x, y: (D,) float64 position in cell units.
        wx, wy: (D,) float64 current waypoint.
        state: (D,) int8 READY, PATROL, RETURNING, TURNAROUND or LOST.
        airborne_h: (D,) float64 hours of endurance left in the air.
        ground_h: (D,) float64 hours of turnaround left on the ground.
        base_x, base_y: (D,) float64 home base.
        sector: (D, 4) float64 patrol box (x0, y0, x1, y1).
        lane, leg: (D,) int64 lawnmower lane and leg (0 heading to a lane's start, 1 to its end).
        policy: POLICY_RANDOM, POLICY_LAWNMOWER or a weighted policy (hotspot, intel, stackelberg: waypoints from ``block_cdf``).
        lane_spacing: cells between lawnmower lanes (the sweep width).
        speed: cells per hour.
        endurance_h, turnaround_h, step_hours: hours.
        key: uint64 key of this step's draws.
        legs: (D, MAX_LEGS, 4) float64 output, legs flown (x0, y0, x1, y1).
        leg_count: (D,) int64 output, legs flown this step.
        timing: (D, 5) float64, per drone: [0] output, hours into the step its first leg starts; [1:3] output,
            the heading (dx, dy) it flew into the step with, (0, 0) when it took off in it; [3:5] the heading of
            the last leg it flew (kept from step to step). :func:`sim.kernels.coverage.stamp_coverage` reads them.
        block_cdf: (B,) float64 cumulative waypoint weights of the raster's blocks (weighted
            policies; empty or all zero = random search).
        block_cols: blocks per row; block: side of a block in cells.
        allowed: (H, W) bool authorised airspace (:mod:`sim.airspace`), or (0, 0) when all of it is:
            waypoints lie in it and patrol legs starting in it are cut at its edge (transit to
            and from a base outside it is free).
        allowed_cells: (N,) int64 flat authorised cells of the patrol band (uniform waypoints
            for a drone outside ``allowed``); unused when ``allowed`` is empty.

    Returns:
        Drone flight hours flown this step.
    """
    flown = 0.0
    reserve_h = reserve_hours(endurance_h)
    for d in range(x.shape[0]):
        leg_count[d] = 0
        counter = d * (MAX_LEGS + 1)  # this drone's draws this step: counter .. counter + MAX_LEGS
        if state[d] == LOST:
            continue
        flying = state[d] == PATROL or state[d] == RETURNING  # in the air when the step began
        timing[d, 1], timing[d, 2] = (timing[d, 3], timing[d, 4]) if flying else (0.0, 0.0)
        free_h = step_hours  # hours of this step the drone may fly
        if state[d] == TURNAROUND:
            ground_h[d] -= step_hours
            if ground_h[d] > EPS:
                continue
            free_h = min(step_hours, -ground_h[d])  # ready when the turnaround ended, within this step
            state[d] = READY
        timing[d, 0] = step_hours - free_h
        if state[d] == READY:
            state[d] = PATROL
            airborne_h[d] = endurance_h
            leg[d] = 0  # a lawnmower resumes its lane from the lane's start
            wx[d], wy[d] = _next_waypoint(d, x[d], y[d], policy, sector, lane, leg, lane_spacing, key, counter, block_cdf,
                                          block_cols, block, allowed, allowed_cells)
            counter += 1
        # a returning drone always finishes its step (its reserve was kept for the flight home)
        budget = free_h if state[d] == RETURNING else min(free_h, airborne_h[d])
        while budget > EPS and leg_count[d] < MAX_LEGS:
            home = np.hypot(base_x[d] - x[d], base_y[d] - y[d]) / speed
            if state[d] == PATROL and airborne_h[d] <= home + reserve_h + EPS:
                state[d] = RETURNING
                wx[d], wy[d] = base_x[d], base_y[d]
            dist = np.hypot(wx[d] - x[d], wy[d] - y[d])
            t = min(budget, dist / speed)
            turn = False
            if state[d] == PATROL:
                turn_h = hours_to_turn(x[d], y[d], wx[d], wy[d], base_x[d], base_y[d], speed, airborne_h[d] - reserve_h)
                if turn_h < t:
                    t, turn = turn_h, True
            frac = 1.0 if dist <= 0.0 else (t * speed) / dist
            nx = x[d] + (wx[d] - x[d]) * min(1.0, frac)
            ny = y[d] + (wy[d] - y[d]) * min(1.0, frac)
            k = leg_count[d]
            legs[d, k, 0], legs[d, k, 1], legs[d, k, 2], legs[d, k, 3] = x[d], y[d], nx, ny
            leg_count[d] = k + 1
            if nx != x[d] or ny != y[d]:
                timing[d, 3], timing[d, 4] = nx - x[d], ny - y[d]
            x[d], y[d] = nx, ny
            budget -= t
            airborne_h[d] -= t
            flown += t
            if turn:  # the point of no return: home from here
                state[d] = RETURNING
                wx[d], wy[d] = base_x[d], base_y[d]
                continue
            if t * speed < dist - EPS:
                continue  # still on the way; budget is spent
            if state[d] == RETURNING:
                state[d] = TURNAROUND
                ground_h[d] = turnaround_h - budget  # the rest of the step on the ground counts
                break
            if policy == POLICY_LAWNMOWER:
                _advance_lawnmower(d, sector, lane, leg, lane_spacing)
            wx[d], wy[d] = _next_waypoint(d, x[d], y[d], policy, sector, lane, leg, lane_spacing, key, counter, block_cdf,
                                          block_cols, block, allowed, allowed_cells)
            counter += 1
    return flown
