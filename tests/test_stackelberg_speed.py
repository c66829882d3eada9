"""The Stackelberg speed benchmark runs end to end on short settings and records what it measured."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_speed_benchmark_times_solves_and_their_share_of_a_run(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "benchmarks/stackelberg_speed.py", "--repeats", "1", "--steps", "3",
                             "--json", str(out)], cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())["stackelberg"]
    assert set(figures["solve"]) == {"Nguyen et al. ω", "milder ω"}
    assert all(row["median_s"] > 0 for row in figures["solve"].values())
    run = figures["run"]
    assert run["targets"] == 256 and run["periods"] == 1 and 0 < run["solve_share"] < 1
    assert "load average" in result.stdout and "solves' share" in result.stdout
