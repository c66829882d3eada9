import dataclasses

import numpy as np
import pytest

from sim.suqr import Choices, draw_choices, fit_omega

TRUE_OMEGA = (-4.0, 0.6, 0.3)


def _periods(rng, periods, targets, exposure=False):
    return [Choices(rng.uniform(0, 1, targets), rng.uniform(1, 10, targets), -rng.uniform(1, 10, targets),
                    np.zeros(targets), rng.uniform(0.05, 1.0, targets) if exposure else None) for _ in range(periods)]


def _observe(rng, periods, draws):
    return [dataclasses.replace(p, counts=draw_choices(TRUE_OMEGA, p, draws, rng)) for p in periods]


def test_omega_recovered_within_its_standard_error():
    rng = np.random.default_rng(20)
    fit = fit_omega(_observe(rng, _periods(rng, 10, 16), 500))
    assert fit.converged and fit.choices == 5000
    error = np.abs(np.array(fit.omega) - TRUE_OMEGA)
    assert np.all(error <= 2.0 * np.array(fit.standard_error))
    assert np.all(np.array(fit.standard_error) < 0.1 * np.abs(TRUE_OMEGA))


def test_standard_errors_are_calibrated():
    rng = np.random.default_rng(21)
    inside = []
    for _ in range(60):
        fit = fit_omega(_observe(rng, _periods(rng, 4, 8), 100))
        inside.append(np.abs(np.array(fit.omega) - TRUE_OMEGA) <= np.array(fit.standard_error))
    share = np.mean(inside, axis=0)  # about 0.68 for each weight if the errors are right
    assert np.all((share > 0.5) & (share < 0.85))


def test_exposure_offset_removes_the_bias_of_seeing_only_some_choices():
    rng = np.random.default_rng(22)
    periods = _periods(rng, 10, 16, exposure=True)
    periods = [dataclasses.replace(p, exposure=0.05 + 0.95 * p.coverage) for p in periods]  # seen where covered
    observed = _observe(rng, periods, 2000)
    fit = fit_omega(observed)
    naive = fit_omega([dataclasses.replace(p, exposure=None) for p in observed])
    assert np.all(np.abs(np.array(fit.omega) - TRUE_OMEGA) <= 2.0 * np.array(fit.standard_error))
    assert naive.omega[0] > TRUE_OMEGA[0] + 1.0  # ignoring exposure, coverage looks attractive


def test_no_choices_or_constant_features_give_infinite_errors_or_the_prior():
    rng = np.random.default_rng(23)
    empty = fit_omega(_periods(rng, 2, 5))
    assert empty.choices == 0 and np.all(np.isinf(empty.standard_error))
    flat = [dataclasses.replace(p, attacker_reward=np.ones(5), attacker_penalty=np.ones(5)) for p in _periods(rng, 3, 5)]
    observed = _observe(rng, flat, 200)
    assert np.all(np.isinf(fit_omega(observed).standard_error))
    with_prior = fit_omega(observed, prior=((-1.0, 0.5, 0.2), (10.0, 0.1, 0.1)))
    assert np.all(np.isfinite(with_prior.standard_error))
    assert with_prior.omega[1] == pytest.approx(0.5, abs=0.05)
