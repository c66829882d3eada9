"""The scaling benchmark runs end to end on small sizes and records what it measured."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sim.kernels.movement import IN_TRANSIT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from compare_reference import build_skywatch  # noqa: E402
from run_scale import top_up  # noqa: E402


def test_run_scale_quick_measures_every_configuration_and_phase(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "benchmarks/run_scale.py", "--quick", "--steps", "3", "--json", str(out)],
                            cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["scale"]["results"]
    assert [row["config"]["live"] for row in rows] == [None, 10_000, 100_000]
    for row in rows:
        timed = row["timed"]
        assert timed["steps"] == 3 and timed["shipment_steps"] > 0 and timed["kernel_s"] > 0
        assert 0 < sum(timed["phase_s"].values()) <= timed["step_s"]
    assert "shipment-steps/s" in result.stdout


def test_small_runs_times_each_mode_and_records_runs_per_core_minute(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, "benchmarks/small_runs.py", "--runs", "2", "--steps", "10", "--scenarios", "baseline",
               "--json", str(out)]
    result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())["small_runs"]
    rows = figures["rows"]
    assert [row["mode"] for row in rows] == ["in-process", "sweep, 1 worker", "sweep, 2 workers"]
    for row in rows:
        assert row["runs"] == 2 and row["steps"] == 10 and row["cpu_s"] > 0 and row["runs_per_core_min"] > 0
    assert figures["ratios"]["baseline"]["sweep_2_vs_1_workers_runs_per_min"] > 0
    assert figures["machine"]["cpu_model"] and "load average" in result.stdout
    assert "runs/core-min" in result.stdout and "tables equal in every mode: yes" in result.stdout


BUSY_PROBE = """
import os, sys
sys.path.insert(0, "benchmarks")
from run_scale import busy_core
try:
    with busy_core() as pid:
        os.kill(pid, 0)  # running
        raise KeyboardInterrupt
except KeyboardInterrupt:
    pass
try:
    os.kill(pid, 0)
    print("still running")
except ProcessLookupError:
    print("stopped")
"""


def test_the_loaded_modes_busy_process_stops_when_its_block_is_interrupted() -> None:
    result = subprocess.run([sys.executable, "-c", BUSY_PROBE], cwd=ROOT, check=False, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["stopped"]


def test_the_skywatch_step_timed_against_mesa_moves_the_shipments_it_was_filled_with() -> None:
    live = 3000
    model = build_skywatch(live)
    top_up(model, live, np.random.default_rng(0))
    in_transit = model.pool.status == IN_TRANSIT
    progress = model.pool.progress.copy()
    assert model.pool.live >= live
    model.step()
    moved = in_transit & ((model.pool.progress != progress) | (model.pool.status != IN_TRANSIT))
    assert moved.sum() >= 0.9 * live
