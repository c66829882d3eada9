"""Comparison throughput: wall time and runs per minute of a replicated ``skywatch compare``.

Run from the repository root::

    python benchmarks/compare_throughput.py                    # the four one-week scenarios × 20 replications
    python benchmarks/compare_throughput.py --replications 4   # a quicker check

It runs, as a user would, ``skywatch compare baseline drone_surge intel_sharing community_programs
--replications N`` (one week each on the default 256 × 256 world, local process pool with one worker
per core) into a temporary folder, and times the whole command: starting Python, the worker
processes and their numba kernels, every run, the statistics, the table and the figure. It prints
the wall time, the runs per minute, the target (80 runs in under 4 minutes), the CPU and the load
average before and after, since other work on the machine slows the figure down.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = ("baseline", "drone_surge", "intel_sharing", "community_programs")
TARGET_S = 240.0  # 80 runs in under 4 minutes
ROOT = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    """Run the comparison once and print its wall time and runs per minute."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20, help="replications of each scenario (default 20)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local worker processes (default: the cores)")
    args = parser.parse_args()
    runs = len(SCENARIOS) * args.replications
    before = load_average()
    with tempfile.TemporaryDirectory() as temp:
        command = [sys.executable, "-m", "sim", "compare", *SCENARIOS, "--replications", str(args.replications),
                   "--workers", str(args.workers), "--out", str(Path(temp) / "comparison"), "--quiet"]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"skywatch compare failed ({result.returncode}):\n{result.stderr}")
    print(f"skywatch compare {' '.join(SCENARIOS)} --replications {args.replications} --workers {args.workers}")
    print(result.stdout.strip())
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average before {before}, after {load_average()}")
    print(f"{runs} runs, {args.workers} workers: {wall:.1f} s wall, {runs / wall * 60:.1f} runs/min "
          f"(target for 80 runs: under {TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
