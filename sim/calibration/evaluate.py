"""One model evaluation of a calibration, and the distance from its statistics to the targets.

Seeds: a run's ``run.seed`` is derived from the calibration seed, the replicate and the evaluated parameter values
(:func:`evaluation_seed`), never from an evaluation counter: the same parameters give the same statistics in any
process, on any sampler, in any order. pyabc's own draws (which particle is perturbed, the perturbation) come from
each worker's unseeded generator and the order in which workers finish, so a calibration is reproducible in
distribution only: two runs of one file give posteriors that agree within Monte Carlo error, not bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.calibration.config import SEEDED, CalibrationSpec, Prior, Target
from sim.calibration.statistics import statistic_value
from sim.lifeline import die_with_parent
from sim.outcomes import summarize
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError

MAX_RUN_SEED = 2**63 - 1
MISSING_MISS = 100.0  # the scaled miss (in uncertainties) of a statistic a run cannot give, e.g. a share of no seizures


def evaluation_seed(base_seed: int, values: Mapping[str, int | float], replicate: int) -> int:
    """The run seed of replicate ``replicate`` at parameter ``values``: a hash of them with the calibration seed."""
    text = json.dumps(sorted(values.items()), allow_nan=False)  # floats as their shortest exact repr
    digest = np.frombuffer(hashlib.sha256(text.encode()).digest(), dtype=np.uint32)
    sequence = np.random.SeedSequence([base_seed & 0xFFFFFFFF, base_seed >> 32, replicate, *digest.tolist()])
    return int(sequence.generate_state(1, np.uint64)[0]) & MAX_RUN_SEED


def run_statistics(scenario: Scenario, values: Mapping[str, int | float], statistics: tuple[str, ...],
                   replications: int, base_seed: int) -> dict[str, float]:
    """The mean of each statistic over ``replications`` runs of ``scenario`` with ``values`` set (NaN: no run gave it).

    A run the scenario refuses at these values (a combination the calibration file's check of each prior's ends
    did not meet) gives no statistic, rather than a dead worker.
    """
    sums = dict.fromkeys(statistics, 0.0)
    counts = dict.fromkeys(statistics, 0)
    for replicate in range(replications):
        seed = evaluation_seed(base_seed, values, replicate)
        try:
            summary = summarize(simulate(scenario.with_overrides({**values, SEEDED: seed}, "calibration")))
        except ScenarioError:
            continue
        for name in statistics:
            value = statistic_value(name, summary)
            if not math.isnan(value):
                sums[name] += value
                counts[name] += 1
    return {name: sums[name] / counts[name] if counts[name] else math.nan for name in statistics}


class Evaluation:
    """The model as pyabc calls it: parameter values in, the targets' statistics out (picklable for Dask)."""

    def __init__(self, spec: CalibrationSpec):
        self.parent_pid = os.getpid()  # the calibrating process: the local sampler's workers are its forks
        self.lifeline_pid = 0  # the worker whose lifeline is set (a fork inherits this value, not the lifeline)
        self.scenario = spec.scenario
        self.priors: tuple[Prior, ...] = spec.priors
        self.statistics = tuple(dict.fromkeys(target.statistic for target in spec.targets))
        self.replications = spec.replications
        self.seed = spec.seed

    def values(self, parameter: Mapping[str, float]) -> dict[str, int | float]:
        """The scenario values of drawn parameters (integers rounded)."""
        return {prior.name: prior.value(parameter[prior.name]) for prior in self.priors}

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        """The targets' statistics at ``parameter``, averaged over the replications."""
        if os.getppid() == self.parent_pid and self.lifeline_pid != os.getpid():  # a local worker: it dies with a killed parent
            die_with_parent(self.parent_pid)
            self.lifeline_pid = os.getpid()
        return run_statistics(self.scenario, self.values(parameter), self.statistics, self.replications, self.seed)


class ScaledEuclidean:
    """sqrt(Σ ((statistic − target) / uncertainty)²) over the targets; a missing statistic misses by :data:`MISSING_MISS`."""

    def __init__(self, targets: tuple[Target, ...]):
        self.targets = targets

    def __call__(self, simulated: Mapping[str, Any], observed: Mapping[str, Any]) -> float:
        """The distance from simulated statistics (by statistic) to the observed ones (by target)."""
        total = 0.0
        for target in self.targets:
            value = float(simulated[target.statistic])
            miss = MISSING_MISS if math.isnan(value) else (value - float(observed[target.name])) / target.uncertainty
            total += miss * miss
        return math.sqrt(total)


def observed(spec: CalibrationSpec) -> dict[str, float]:
    """The observed summary statistics pyabc keeps: each target's value, by target name."""
    return {target.name: target.value for target in spec.targets}
