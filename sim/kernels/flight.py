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

MAX_LEGS = 4  # straight legs a drone can fly in one step; the rest of the step it idles
RESERVE_STEPS = 2.0  # a patrol turns home with this many steps of flight in hand


@njit(cache=True)
def _waypoint(d, policy, sector, lane, leg, lane_spacing, key, counter):
    """The waypoint (x, y) drone ``d`` heads to under ``policy``, from its lane and leg.

    Random search draws a uniform point of the sector; the lawnmower sweeps the sector in
    parallel lanes ``lane_spacing`` apart, alternately northwards and southwards.
    """
    x0, y0, x1, y1 = sector[d, 0], sector[d, 1], sector[d, 2], sector[d, 3]
    if policy == POLICY_RANDOM:
        return (x0 + (x1 - x0) * uniform(key, 2 * counter),
                y0 + (y1 - y0) * uniform(key, 2 * counter + 1))
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
) -> float:
    """Fly every drone for one step and record the legs it flew.

    A ready drone takes off; a patrolling drone flies to its waypoint and picks the next one by
    its policy; when its remaining endurance only just covers the flight home it returns; at the
    base it stays ``turnaround_h`` before it is ready again.

    Args:
        x, y: (D,) float64 position in cell units.
        wx, wy: (D,) float64 current waypoint.
        state: (D,) int8 READY, PATROL, RETURNING, TURNAROUND or LOST.
        airborne_h: (D,) float64 hours of endurance left in the air.
        ground_h: (D,) float64 hours of turnaround left on the ground.
        base_x, base_y: (D,) float64 home base.
        sector: (D, 4) float64 patrol box (x0, y0, x1, y1).
        lane, leg: (D,) int64 lawnmower lane and leg (0 heading to a lane's start, 1 to its end).
        policy: POLICY_RANDOM or POLICY_LAWNMOWER.
        lane_spacing: cells between lawnmower lanes (the sweep width).
        speed: cells per hour.
        endurance_h, turnaround_h, step_hours: hours.
        key: uint64 key of this step's draws.
        legs: (D, MAX_LEGS, 4) float64 output, legs flown (x0, y0, x1, y1).
        leg_count: (D,) int64 output, legs flown this step.

    Returns:
        Drone flight hours flown this step.
    """
    flown = 0.0
    for d in range(x.shape[0]):
        leg_count[d] = 0
        counter = d * (MAX_LEGS + 1)  # this drone's draws this step: counter .. counter + MAX_LEGS
        if state[d] == LOST:
            continue
        if state[d] == TURNAROUND:
            ground_h[d] -= step_hours
            if ground_h[d] > 1e-9:
                continue
            state[d] = READY
        if state[d] == READY:
            state[d] = PATROL
            airborne_h[d] = endurance_h
            leg[d] = 0  # a lawnmower resumes its lane from the lane's start
            wx[d], wy[d] = _waypoint(d, policy, sector, lane, leg, lane_spacing, key, counter)
            counter += 1
        # a returning drone always finishes its step (its reserve was kept for the flight home)
        budget = step_hours if state[d] == RETURNING else min(step_hours, airborne_h[d])
        while budget > 1e-9 and leg_count[d] < MAX_LEGS:
            home = np.hypot(base_x[d] - x[d], base_y[d] - y[d]) / speed
            if state[d] == PATROL and airborne_h[d] <= home + RESERVE_STEPS * step_hours:
                state[d] = RETURNING
                wx[d], wy[d] = base_x[d], base_y[d]
            dist = np.hypot(wx[d] - x[d], wy[d] - y[d])
            t = min(budget, dist / speed)
            frac = 1.0 if dist <= 0.0 else (t * speed) / dist
            nx = x[d] + (wx[d] - x[d]) * min(1.0, frac)
            ny = y[d] + (wy[d] - y[d]) * min(1.0, frac)
            k = leg_count[d]
            legs[d, k, 0], legs[d, k, 1], legs[d, k, 2], legs[d, k, 3] = x[d], y[d], nx, ny
            leg_count[d] = k + 1
            x[d], y[d] = nx, ny
            budget -= t
            airborne_h[d] -= t
            flown += t
            if t * speed < dist - 1e-9:
                continue  # still on the way; budget is spent
            if state[d] == RETURNING:
                state[d] = TURNAROUND
                ground_h[d] = turnaround_h
                break
            if policy == POLICY_LAWNMOWER:
                _advance_lawnmower(d, sector, lane, leg, lane_spacing)
            wx[d], wy[d] = _waypoint(d, policy, sector, lane, leg, lane_spacing, key, counter)
            counter += 1
    return flown
