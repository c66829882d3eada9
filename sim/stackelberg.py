"""The defender's coverage against a quantal-response attacker: PASAQ for SUQR attackers.

The game (Yang, Ordóñez and Tambe, AAMAS 2012; the attacker model of Nguyen et al., AAAI 2013):
the defender covers K places with x ∈ [0, 1]^K, spending at most a budget B, Σ cᵢ xᵢ ≤ B. The
attacker picks one of T targets; target t is covered with yₜ (a place's own coverage, yₜ = xₜ, or
a route's, yₜ = Σ_{i∈t} xᵢ ≤ 1) and chosen with the SUQR probability

    qₜ ∝ exp(Fₜ),  Fₜ = ω₁ yₜ + ω₂ Rᵃₜ + ω₃ Pᵃₜ.

The defender maximises its expected payoff Σ qₜ (yₜ Rᵈₜ + (1 − yₜ) Pᵈₜ). Writing θₜ = exp(ω₂ Rᵃₜ + ω₃ Pᵃₜ)
and αₜ = Rᵈₜ − Pᵈₜ, this is the ratio N(y) / D(y) with

    N(y) = Σ θₜ (Pᵈₜ e^{ω₁ yₜ} + αₜ yₜ e^{ω₁ yₜ}),   D(y) = Σ θₜ e^{ω₁ yₜ} > 0.

As in PASAQ, both terms are replaced by their piecewise-linear interpolations over S equal segments
of [0, 1] (yₜ = Σₖ yₜₖ, 0 ≤ yₜₖ ≤ 1/S), and the ratio is maximised by Dinkelbach's method: with r the
ratio at the last solution, maximise N̂(y) − r D̂(y), a mixed-integer linear program (scipy's HiGHS),
until its optimum is 0. The binaries zₜₖ of PASAQ (yₜₖ ≥ zₜₖ / S, yₜ,ₖ₊₁ ≤ zₜₖ) keep the segments filling
in order. They are added lazily, which gives the same optimum faster: each subproblem is first
solved with every non-concave target's interpolation replaced by its concave hull (falling slopes
fill in order by themselves; the program is then a relaxation); a target whose hull was used where
it lies above the interpolation gets PASAQ's binaries and the program is solved again, until none
is. A relaxation's optimum that is feasible for the exact program is its optimum. With places as
targets, a target's segments after its last one of positive slope are dropped (never worth filling).

The segment count S defaults to :func:`segments_for`: the chord of e^{ω₁y} over a segment is within
(ω₁/S)²/8 of it, relatively, so S grows with |ω₁| (111 segments for Nguyen et al.'s ω₁ = −9.85).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from scipy import sparse

INTERPOLATION_ERROR = 1e-3  # relative error of the interpolation of e^{ω₁y} the automatic segment count allows
MIN_SEGMENTS, MAX_SEGMENTS = 16, 128  # bounds of the automatic segment count
MAX_ITERATIONS = 50  # Dinkelbach iterations before giving up on the last 1e-9
RATIO_TOLERANCE = 1e-9  # stop when max N̂ − r D̂ is below this share of the payoffs' scale
MIP_GAP = 1e-7  # HiGHS's relative optimality gap for each subproblem
# Programs a subproblem may take adding binaries to targets used off their hulls (:func:`_best_exact`). One run of the
# stackelberg scenario with the cartels adapting met a subproblem that took hundreds, one target at a time, for 15 min.
HULL_ROUNDS = 8
HULL_TOLERANCE = 1e-9  # share of a target's largest value by which its hull may exceed its interpolation


@dataclass(frozen=True)
class Game:
    """A SUQR security game's payoffs and attacker weights, by target (the attacker's choices).

    Attributes:
        attacker_reward: (T,) Rᵃ, the attacker's payoff from an uncovered target.
        attacker_penalty: (T,) Pᵃ, the attacker's payoff from a covered one.
        defender_reward: (T,) Rᵈ, the defender's payoff when the chosen target is covered.
        defender_penalty: (T,) Pᵈ, the defender's payoff when it is not.
        omega: (ω₁, ω₂, ω₃), the SUQR weights of coverage, attacker reward and attacker penalty.
    """

    attacker_reward: np.ndarray
    attacker_penalty: np.ndarray
    defender_reward: np.ndarray
    defender_penalty: np.ndarray
    omega: tuple[float, float, float]

    def base_weights(self) -> np.ndarray:
        """(T,) θₜ = exp(ω₂ Rᵃₜ + ω₃ Pᵃₜ), scaled so the largest is 1 (the choice odds do not change)."""
        _, w2, w3 = self.omega
        exponent = w2 * np.asarray(self.attacker_reward, float) + w3 * np.asarray(self.attacker_penalty, float)
        return np.exp(exponent - exponent.max())

    def choice_probabilities(self, coverage: np.ndarray) -> np.ndarray:
        """(T,) the attacker's SUQR choice probabilities under target coverage ``coverage`` (T,)."""
        weight = self.base_weights() * np.exp(self.omega[0] * (np.asarray(coverage, float) - 1.0))
        return weight / weight.sum()

    def defender_value(self, coverage: np.ndarray) -> float:
        """The defender's expected payoff Σ qₜ (yₜ Rᵈₜ + (1 − yₜ) Pᵈₜ) under target coverage ``coverage`` (T,)."""
        y = np.asarray(coverage, float)
        q = self.choice_probabilities(y)
        return float(q @ (y * self.defender_reward + (1.0 - y) * self.defender_penalty))


@dataclass(frozen=True)
class Allocation:
    """A solved allocation.

    Attributes:
        coverage: (K,) x, the coverage of each place.
        target_coverage: (T,) y, each target's coverage (= x without routes).
        value: the defender's expected payoff at x (exact, not the interpolation's).
        iterations: Dinkelbach iterations run.
    """

    coverage: np.ndarray
    target_coverage: np.ndarray
    value: float
    iterations: int


def _segment_slopes(omega1: float, segments: int) -> tuple[np.ndarray, np.ndarray]:
    """(S,) slopes of the interpolations of e^{ω₁y} and y e^{ω₁y} on S equal segments of [0, 1]."""
    knots = np.linspace(0.0, 1.0, segments + 1)
    f1 = np.exp(omega1 * knots)
    return np.diff(f1) * segments, np.diff(knots * f1) * segments


def segments_for(omega1: float) -> int:
    """Segments whose chords stay within :data:`INTERPOLATION_ERROR` of e^{ω₁y} (relative error (ω₁/S)²/8), bounded."""
    return int(np.clip(np.ceil(abs(omega1) / np.sqrt(8.0 * INTERPOLATION_ERROR)), MIN_SEGMENTS, MAX_SEGMENTS))


@njit(cache=True)
def _upper_hulls(knots: np.ndarray) -> np.ndarray:
    """(T, S + 1) bool: the knots on the upper concave hull of each row's points (k, knots[t, k]) (monotone chain)."""
    t_count, n = knots.shape
    on_hull = np.zeros((t_count, n), dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    for t in range(t_count):
        top = 0
        for k in range(n):
            while top >= 2:
                a, b = stack[top - 2], stack[top - 1]
                if (knots[t, b] - knots[t, a]) * (k - a) > (knots[t, k] - knots[t, a]) * (b - a):
                    break
                top -= 1
            stack[top] = k
            top += 1
        for j in range(top):
            on_hull[t, stack[j]] = True
    return on_hull


def _knots(slopes: np.ndarray) -> np.ndarray:
    """(T, S + 1) each target's interpolation at the knots 0, 1/S, …, 1, less its value at 0."""
    return np.concatenate([np.zeros((slopes.shape[0], 1)), np.cumsum(slopes, axis=1) / slopes.shape[1]], axis=1)


@dataclass(frozen=True)
class _Places:
    """What every subproblem shares: costs, budget, routes and which places may be covered."""

    costs: np.ndarray
    budget: float
    routes: sparse.csr_array | None
    coverable: np.ndarray



def _pieces(slopes: np.ndarray, hulls: np.ndarray, exact: np.ndarray, trim: bool) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """Per target, (widths, slopes, ordered) of its pieces on [0, 1].

    A target in ``exact`` keeps its S segments and needs PASAQ's order binaries when its slopes
    rise; the others get the edges of their interpolation's concave hull, whose falling slopes fill in
    order without binaries (the linear program then maximises the hull, an upper bound). With
    ``trim`` (targets are places), the pieces after a target's last one of positive slope are
    dropped: filled in order, they could only lower the objective.
    """
    t_count, s = slopes.shape
    rising = np.any(np.diff(slopes, axis=1) > 1e-12 * max(float(np.abs(slopes).max()), 1e-300), axis=1)
    knots = _knots(slopes)
    width = np.full(s, 1.0 / s)
    pieces = []
    for t in range(t_count):
        if not rising[t]:
            pieces.append((width, slopes[t], False))
        elif exact[t]:
            pieces.append((width, slopes[t], True))
        else:
            hull = np.flatnonzero(hulls[t])
            w = np.diff(hull) / s
            pieces.append((w, np.diff(knots[t][hull]) / w, False))
    if trim:
        kept = [np.flatnonzero(gain > 0.0) for _, gain, _ in pieces]
        pieces = [(w[: k[-1] + 1], gain[: k[-1] + 1], ordered) if k.size else (w[:0], gain[:0], False)
                  for (w, gain, ordered), k in zip(pieces, kept, strict=True)]
    return pieces


def _best_coverage(places: _Places, slopes: np.ndarray, hulls: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(target coverage y (T,), place coverage x (K,)) maximising Σ slopes · segments under the budget (one MILP)."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp  # here: scipy.optimize loads scipy.spatial, dear at launch

    pieces = _pieces(slopes, hulls, exact, trim=places.routes is None)
    t_count = slopes.shape[0]
    counts = np.array([p[0].size for p in pieces])
    n_pieces = int(counts.sum())
    owner = np.repeat(np.arange(t_count), counts)
    widths = np.concatenate([p[0] for p in pieces])
    gains = np.concatenate([p[1] for p in pieces])
    ordered = np.flatnonzero([p[2] and p[0].size > 1 for p in pieces])
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_bin = int((counts[ordered] - 1).sum())
    n_x = 0 if places.routes is None else places.costs.size
    total = n_pieces + n_x + n_bin
    upper = np.concatenate([widths, places.coverable.astype(float) if n_x else np.zeros(0), np.ones(n_bin)])
    if places.routes is None:
        upper[: n_pieces][~places.coverable[owner]] = 0.0
    scale = max(float(np.abs(gains).max()), 1e-300)
    c = np.concatenate([-gains / scale, np.zeros(n_x + n_bin)])
    sum_pieces = sparse.csr_array((np.ones(n_pieces), (owner, np.arange(n_pieces))), shape=(t_count, total))
    if places.routes is None:
        rows = [LinearConstraint(sparse.csr_array(places.costs[None, :]) @ sum_pieces, -np.inf, places.budget)]
    else:
        pad = sparse.csr_array((t_count, n_bin))
        link = sum_pieces - sparse.hstack([sparse.csr_array((t_count, n_pieces)), places.routes, pad], format="csr")
        spend = sparse.hstack([sparse.csr_array((1, n_pieces)), sparse.csr_array(places.costs[None, :]),
                               sparse.csr_array((1, n_bin))], format="csr")
        rows = [LinearConstraint(link, 0.0, 0.0), LinearConstraint(spend, -np.inf, places.budget)]
    if n_bin:
        # Target t's binaries z_{t,k} (k < its pieces − 1): segment k full when z = 1, segment k + 1 empty when z = 0.
        seg = np.concatenate([first[t] + np.arange(counts[t] - 1) for t in ordered])
        binary = n_pieces + n_x + np.arange(n_bin)
        idx = np.arange(n_bin)
        full = sparse.csr_array((np.concatenate([np.ones(n_bin), -widths[seg]]),
                                 (np.concatenate([idx, idx]), np.concatenate([seg, binary]))), shape=(n_bin, total))
        empty = sparse.csr_array((np.concatenate([np.ones(n_bin), -np.ones(n_bin)]),
                                  (np.concatenate([idx, idx]), np.concatenate([seg + 1, binary]))), shape=(n_bin, total))
        rows += [LinearConstraint(full, 0.0, np.inf), LinearConstraint(empty, -np.inf, 0.0)]
    integrality = np.concatenate([np.zeros(n_pieces + n_x), np.ones(n_bin)])
    result = milp(c, integrality=integrality, bounds=Bounds(np.zeros(total), upper), constraints=rows,
                  options={"mip_rel_gap": MIP_GAP, "presolve": False})
    if result.x is None:
        raise RuntimeError(f"stackelberg: the coverage program failed: {result.message}")
    chosen = np.clip(result.x, 0.0, upper)
    y = np.minimum(np.bincount(owner, weights=chosen[:n_pieces], minlength=t_count), 1.0)
    return y, (y if places.routes is None else chosen[n_pieces:n_pieces + n_x])


def _on_hull(slopes: np.ndarray, hulls: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(T,) whether each target's interpolation meets its concave hull at coverage y (T,)."""
    knots = _knots(slopes)
    grid = np.arange(knots.shape[1])
    ok = np.ones(knots.shape[0], dtype=bool)
    for t in np.flatnonzero(~hulls.all(axis=1)):
        hull = np.flatnonzero(hulls[t])
        gap = np.interp(y[t] * slopes.shape[1], hull, knots[t][hull]) - np.interp(y[t] * slopes.shape[1], grid, knots[t])
        ok[t] = gap <= HULL_TOLERANCE * (float(np.abs(knots[t]).max()) + 1e-300)
    return ok


def _best_exact(places: _Places, slopes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interpolation's optimum: hulls first, PASAQ's binaries only for the targets whose hull was used off its vertices.

    After :data:`HULL_ROUNDS` programs the last coverage is kept as it is: it is feasible, and the
    caller values it on the interpolation itself, so it falls short of the optimum by at most the
    gap between hull and interpolation of the targets still off (in a basic solution, the one
    target the budget covers only in part). Many alike targets would otherwise leave their hulls
    one per program, hundreds of programs each larger than the last.
    """
    exact = np.zeros(slopes.shape[0], dtype=bool)
    hulls = _upper_hulls(_knots(slopes))
    for _ in range(HULL_ROUNDS):
        y, x = _best_coverage(places, slopes, hulls, exact)
        off = ~_on_hull(slopes, hulls, y) & ~exact
        if not off.any():
            break
        exact |= off
    return y, x


def solve(game: Game, costs: np.ndarray, budget: float, routes: sparse.csr_array | np.ndarray | None = None,
          coverable: np.ndarray | None = None, segments: int | None = None, start: np.ndarray | None = None) -> Allocation:
    """The defender's coverage maximising its payoff against the SUQR attacker of ``game`` (PASAQ, Dinkelbach).

    Args:
        game: payoffs and SUQR weights by target.
        costs: (K,) cᵢ > 0, what full coverage of place i spends of the budget (e.g. flight hours).
        budget: B ≥ 0, in the units of ``costs``.
        routes: (T, K) 0/1 incidence of places on the attacker's routes (target t covers Σ_{i∈t} xᵢ ≤ 1);
            None when the attacker picks places (T = K, y = x).
        coverable: (K,) bool, places the defender may cover at all (default every one).
        segments: pieces of the piecewise-linear interpolation (PASAQ's K); None: :func:`segments_for`.
        start: (K,) a coverage to start Dinkelbach's ratio from (e.g. the last period's; fewer iterations);
            ignored unless feasible. None: no coverage.

    Returns:
        The coverage found; its value is the exact payoff, within the interpolation's error of the optimum.
    """
    from scipy import sparse  # here: a launch that needs no scipy imports none of it (0.3 s)

    costs = np.asarray(costs, dtype=float)
    coverable = np.ones(costs.size, dtype=bool) if coverable is None else np.asarray(coverable, dtype=bool)
    places = _Places(costs, float(budget), None if routes is None else sparse.csr_array(routes, dtype=float), coverable)
    theta = game.base_weights()
    penalty = np.asarray(game.defender_penalty, float)
    gain = np.asarray(game.defender_reward, float) - penalty
    g1, g2 = _segment_slopes(game.omega[0], segments or segments_for(game.omega[0]))
    slope_n = theta[:, None] * (penalty[:, None] * g1 + gain[:, None] * g2)  # N̂'s segment slopes; N̂(0) = Σ θ Pᵈ
    slope_d = theta[:, None] * g1  # D̂'s; D̂(0) = Σ θ
    n0, d0 = float(theta @ penalty), float(theta.sum())
    scale = max(float(np.abs(np.concatenate([penalty, gain])).max()), 1e-300)
    ratio = n0 / d0  # the ratio at no coverage
    if start is not None and _feasible(places, np.asarray(start, float)):
        y0 = start if places.routes is None else places.routes @ start
        ratio = max(ratio, (n0 + _interpolated(slope_n, y0)) / (d0 + _interpolated(slope_d, y0)))
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    iterations = 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        y, x = _best_exact(places, slope_n - ratio * slope_d)
        value = game.defender_value(y)
        if best is None or value > best[0]:
            best = (value, x, y)
        n_hat, d_hat = n0 + _interpolated(slope_n, y), d0 + _interpolated(slope_d, y)
        gap = n_hat - ratio * d_hat
        ratio = n_hat / d_hat
        if gap <= RATIO_TOLERANCE * scale * d_hat:
            break
    value, x, y = best
    x = np.clip(x, 0.0, 1.0)
    spent = float(costs @ x)
    if spent > budget:  # the solver's feasibility tolerance, never more
        x = x * (budget / spent)
    return Allocation(coverage=x, target_coverage=y, value=value, iterations=iterations)


def _feasible(places: _Places, x: np.ndarray) -> bool:
    """Whether coverage ``x`` (K,) keeps to the budget, the bounds, the coverable places and the routes' y ≤ 1."""
    return bool(x.shape == places.costs.shape and np.all((x >= 0.0) & (x <= places.coverable))
                and places.costs @ x <= places.budget
                and (places.routes is None or np.all(places.routes @ x <= 1.0)))


def _interpolated(slopes: np.ndarray, y: np.ndarray) -> float:
    """Σₜ of the interpolation with segment slopes ``slopes`` (T, S) at y (T,), less its value at 0."""
    s = slopes.shape[1]
    filled = np.clip(y[:, None] * s - np.arange(s)[None, :], 0.0, 1.0) / s
    return float((slopes * filled).sum())
