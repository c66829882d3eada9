"""Wall time of one simulated week of the shipped real-region scenario ``nw_mexico``, as a user runs it.

Run from the repository root::

    python benchmarks/nw_mexico_week.py             # three runs
    python benchmarks/nw_mexico_week.py --runs 5

Each run is ``python -m sim run scenarios/nw_mexico.toml --quiet`` in a fresh process (672 steps
of 15 minutes on the 344 × 348 grid of 3.5-km cells: reading the GeoTIFFs, building the world,
planning the routes, stepping, writing the run folder and its figures), timed from launch to exit.
The first run may include numba's compilation when its cache is cold; the median is printed last.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "nw_mexico.toml"


def timed_run(out: Path) -> float:
    """Seconds from launch to exit of one run of the scenario into ``out``."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out), "--force", "--quiet"], cwd=ROOT,
                   check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Time the runs and print each and their median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs to time (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = [timed_run(Path(tmp) / "run") for _ in range(args.runs)]
    for i, s in enumerate(seconds, 1):
        print(f"run {i}: {s:.1f} s for one simulated week of nw_mexico")
    print(f"median: {statistics.median(seconds):.1f} s")


if __name__ == "__main__":
    main()
