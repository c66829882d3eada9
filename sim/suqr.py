"""Learning the attacker: SUQR weights ω by multinomial-logit maximum likelihood, with standard errors.

Each period the attacker made ``counts[t]`` choices of target t while the coverage was ``coverage``;
under SUQR (Nguyen et al., AAAI 2013) a choice falls on t with probability ∝ exp(ω₁ xₜ + ω₂ Rᵃₜ + ω₃ Pᵃₜ).
When the defender sees a choice only with probability ``exposure[t]`` (a detection or a seizure needs
a sensor or a unit there), the choices it sees fall on t with probability ∝ exposureₜ exp(Fₜ): the
exposure enters as a fixed offset log(exposureₜ), and targets it never sees carry no information.

The log-likelihood is concave in ω; Newton's method with a trust region maximises it, and the
standard errors are the square roots of the diagonal of the inverse observed information. An
optional Gaussian prior (a mean and a standard deviation per weight) makes it a MAP estimate, which
keeps ω defined when a feature never varies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = 3  # ω₁ (coverage), ω₂ (attacker reward), ω₃ (attacker penalty)


@dataclass(frozen=True)
class Choices:
    """One period's observed choices.

    Attributes:
        coverage: (T,) coverage of each target while the choices were made.
        attacker_reward: (T,) Rᵃ.
        attacker_penalty: (T,) Pᵃ.
        counts: (T,) choices seen at each target.
        exposure: (T,) chance that a choice of the target is seen (None: every choice is seen).
    """

    coverage: np.ndarray
    attacker_reward: np.ndarray
    attacker_penalty: np.ndarray
    counts: np.ndarray
    exposure: np.ndarray | None = None

    def features(self) -> np.ndarray:
        """(T, 3) the SUQR features (coverage, reward, penalty) of each target."""
        return np.column_stack([self.coverage, self.attacker_reward, self.attacker_penalty]).astype(float)

    def offset(self) -> np.ndarray:
        """(T,) log exposure (−inf where a choice is never seen)."""
        if self.exposure is None:
            return np.zeros(len(self.counts))
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(self.exposure, float))


@dataclass(frozen=True)
class Fit:
    """Fitted SUQR weights.

    Attributes:
        omega: (ω₁, ω₂, ω₃).
        standard_error: their standard errors (inf where the data cannot tell).
        choices: choices the fit used.
        converged: whether the optimiser met its tolerance.
    """

    omega: tuple[float, float, float]
    standard_error: tuple[float, float, float]
    choices: int
    converged: bool


Period = tuple[np.ndarray, np.ndarray, np.ndarray]  # one period's (features (T, 3), log exposures (T,), counts (T,))


def _terms(omega: np.ndarray, periods: Sequence[Period]) -> tuple[float, np.ndarray, np.ndarray]:
    """(−log-likelihood, its gradient (3,), its Hessian (3, 3)) over ``periods`` of (features, offsets, counts)."""
    from scipy.special import logsumexp  # here: a launch that needs no scipy imports none of it (0.3 s)

    value, grad, hess = 0.0, np.zeros(FEATURES), np.zeros((FEATURES, FEATURES))
    for z, offset, counts in periods:
        score = z @ omega + offset
        log_q = score - logsumexp(score)
        q = np.exp(log_q)
        n = counts.sum()
        mean = q @ z
        value -= float(counts @ log_q)
        grad -= counts @ z - n * mean
        centred = z - mean
        hess += n * (centred.T * q) @ centred
    return value, grad, hess


def fit_omega(observed: Sequence[Choices], start: Sequence[float] = (0.0, 0.0, 0.0),
              prior: tuple[Sequence[float], Sequence[float]] | None = None) -> Fit:
    """SUQR weights by maximum likelihood (or MAP with a Gaussian ``prior`` of (means, standard deviations)).

    Args:
        observed: the periods' choices (targets never seen are left out of their period).
        start: ω to start Newton's method from.
        prior: (means (3,), standard deviations (3,)) of a Gaussian prior on ω, or None.

    Returns:
        The fit; with no choices at all, the start (or the prior's mean) with infinite standard errors.
    """
    periods = []
    for period in observed:
        offset = period.offset()
        seen = np.isfinite(offset)
        counts = np.asarray(period.counts, float)[seen]
        if counts.sum() > 0:
            periods.append((period.features()[seen], offset[seen], counts))
    mean = np.asarray(start if prior is None else prior[0], float)
    precision = np.zeros(FEATURES) if prior is None else 1.0 / np.asarray(prior[1], float) ** 2
    total = int(sum(c.sum() for _, _, c in periods))

    def objective(omega: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = _terms(omega, periods)
        gap = omega - mean
        return value + 0.5 * float(precision @ gap**2), grad + precision * gap

    def hessian(omega: np.ndarray) -> np.ndarray:
        return _terms(omega, periods)[2] + np.diag(precision)

    if total == 0:
        return Fit(tuple(float(w) for w in mean), (np.inf,) * FEATURES, 0, False)
    from scipy.optimize import minimize  # here: scipy.optimize loads scipy.spatial, dear at every launch

    result = minimize(objective, np.asarray(start, float), jac=True, hess=hessian, method="trust-exact")
    information = hessian(result.x)
    eigenvalues = np.linalg.eigvalsh(information)
    if eigenvalues.min() <= 1e-10 * max(eigenvalues.max(), 1e-300):
        standard_error = np.full(FEATURES, np.inf)
    else:
        standard_error = np.sqrt(np.diag(np.linalg.inv(information)))
    return Fit(tuple(float(w) for w in result.x), tuple(float(s) for s in standard_error), total, bool(result.success))


def draw_choices(omega: Sequence[float], data: Choices, n: int, rng: np.random.Generator) -> np.ndarray:
    """(T,) ``n`` SUQR choices over the targets of ``data`` (its coverage and payoffs), thinned by its exposure."""
    from scipy.special import logsumexp  # here: a launch that needs no scipy imports none of it (0.3 s)

    score = data.features() @ np.asarray(omega, float)
    q = np.exp(score - logsumexp(score))
    counts = rng.multinomial(n, q)
    return counts if data.exposure is None else rng.binomial(counts, np.asarray(data.exposure, float))
