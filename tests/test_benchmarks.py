"""The scaling benchmark runs end to end on small sizes and records what it measured."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
