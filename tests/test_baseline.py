"""A stored fixed-seed run that the current model must reproduce exactly.

When a change is meant to alter the model's results, refresh the stored summary on purpose and
commit it with the change:

    SKYWATCH_REFRESH_BASELINE=1 .venv/bin/python -m pytest tests/test_baseline.py
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from sim.outcomes import summarize
from sim.run import simulate
from sim.scenario import load_scenario

STORED = Path(__file__).parent / "baselines" / "arms_race_seed7.json"
OVERRIDES = {"run.seed": 7, "run.steps": 600, "world.height": 128, "world.width": 128}


def current() -> dict:
    model = simulate(load_scenario("arms_race").with_overrides(OVERRIDES, "test"))
    summary = summarize(model)
    summary.pop("version")
    summary["flow_total"] = int(model.flow.sum())
    summary["flow_checksum"] = int((model.flow * np.arange(model.flow.size) % 1_000_003).sum())
    return summary


def test_fixed_seed_run_matches_stored_baseline():
    summary = current()
    if os.environ.get("SKYWATCH_REFRESH_BASELINE"):
        STORED.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        pytest.skip(f"baseline refreshed: {STORED}")
    stored = json.loads(STORED.read_text())
    assert summary.keys() == stored.keys()
    differences = {
        k: (stored[k], summary[k])
        for k in stored
        if summary[k] != stored[k] and not (isinstance(stored[k], float) and summary[k] == pytest.approx(stored[k], rel=1e-9))
    }
    assert not differences, f"changed from the stored baseline (stored, now): {differences}"
