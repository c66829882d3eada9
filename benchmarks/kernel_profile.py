"""Where the shipment kernel's time goes: Linux ``perf`` samples of the compiled kernel, by source line.

Run from the repository root (needs ``perf`` and ``objdump`` on the PATH; Linux only)::

    python benchmarks/kernel_profile.py                                  # about a minute (the kernel is compiled afresh)
    python benchmarks/kernel_profile.py --json benchmarks/results.json   # and store the figures under "kernel_profile"

A child process builds the grid's centre (every mechanism on, 10⁵ live on 1024², 100 drones),
runs a few steps, then steps the shipments again and again from the same state with the kernel
(one lane, the calling thread) while ``perf record -e cpu-clock`` samples the instruction
pointer. The child compiles the kernels into a temporary numba cache with line tables
(``NUMBA_DEBUGINFO=1``: the same optimised code, with a map from each instruction to its source
line) and writes the compiled kernel's object file and its address in memory; ``objdump -d -l``
maps every sampled instruction to the source line it came from (a line of an inlined function,
such as the counter-based draws, is counted where it was written: numba's line tables number it
in its own file, see :func:`inlined_places`). Each line's share of the
kernel's samples is printed, top first, with the kernel's own share of all the process's samples.
The sampling clock is the kernel's CPU clock (``cpu-clock``), so it works where hardware counters
are not exposed (virtual machines); a stall on memory is counted at the instruction that waited.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from run_scale import GRID_CENTRE, POOL_HEADROOM, machine_line, scale_config, top_up, write_json

ROOT = Path(__file__).resolve().parents[1]
WARM_STEPS = 10  # model steps before the state the kernel is profiled from
PROFILE_SECONDS = 8.0  # how long the child keeps stepping the kernel under perf
SAMPLE_HZ = 4999
TOP_LINES = 15
KERNEL = "_advance_lane"  # the per-lane kernel of sim.kernels.movement
_OBJDUMP_LINE = re.compile(r"^(/\S+\.py):(\d+)")
_OBJDUMP_INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s")


def child(folder: Path) -> None:
    """Build the grid's centre, then step the kernel from one state for :data:`PROFILE_SECONDS`; write its object and address."""
    from sim.kernels import movement
    from sim.kernels.threads import use_threads
    from sim.model import SkywatchModel
    from sim.scenario import Scenario

    use_threads(1)
    config = scale_config("profile", GRID_CENTRE["side"], GRID_CENTRE["live"], GRID_CENTRE["drones"], 0)
    model = SkywatchModel(Scenario().with_overrides(config.overrides, "benchmark"))
    rng = np.random.default_rng(0)
    model.pool.reserve(GRID_CENTRE["live"] + POOL_HEADROOM)
    top_up(model, GRID_CENTRE["live"], rng)
    for _ in range(WARM_STEPS):
        model.step()
        top_up(model, GRID_CENTRE["live"], rng)
    phase = next(phase for phase in model.phases.phases if phase.name == "shipments")
    pool = model.pool
    inputs = phase.kernel_inputs(model.steps)
    events = [np.zeros(pool.capacity, dtype=np.int64) for _ in range(3)]
    marks = np.zeros(model.book.along.drone.size, dtype=np.int64)

    def advance() -> float:
        fresh = [value.copy() if isinstance(value, np.ndarray) else value for value in inputs]  # it writes some: same state
        started = time.perf_counter()
        movement._advance_lane(0, pool.capacity, *fresh, marks, *events)
        return time.perf_counter() - started

    advance()
    seconds, calls, ended = 0.0, 0, time.perf_counter() + PROFILE_SECONDS
    while time.perf_counter() < ended:
        seconds += advance()
        calls += 1
    (compiled,) = movement._advance_lane.overloads.values()
    library, name = compiled.library, compiled.fndesc.llvm_func_name
    (folder / "kernel.o").write_bytes(_elf_object(library))
    (folder / "kernel.txt").write_text(f"{library.get_pointer_to_function(name)} {name} {calls} {seconds / calls * 1e3}\n")


def _elf_object(library: Any) -> bytes:
    """The object code numba compiled ``library`` to (from its serialised form, as its cache stores it)."""
    def find(value: Any) -> bytes | None:
        if isinstance(value, bytes) and value[:4] == b"\x7fELF":
            return value
        if isinstance(value, tuple | list):
            return next((found for item in value if (found := find(item)) is not None), None)
        return None

    found = find(library.serialize_using_object_code())
    if found is None:
        raise RuntimeError("numba kept no object code for the kernel")
    return found


def lines_of(object_file: Path, symbol: str) -> tuple[dict[int, int], int]:
    """Each instruction's offset in ``symbol`` -> the source line number it came from; and the symbol's size in bytes."""
    size = next(int(line.split()[-2], 16) for line in subprocess.run(
        ["objdump", "-t", str(object_file)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.endswith(" " + symbol) and " F " in line)
    listing = subprocess.run(["objdump", "-d", "-l", "--no-show-raw-insn", f"--disassemble={symbol}", str(object_file)],
                             capture_output=True, text=True, check=True).stdout
    where, source = {}, 0
    for line in listing.splitlines():
        if match := _OBJDUMP_LINE.match(line):
            source = int(match[2])
        elif match := _OBJDUMP_INSTRUCTION.match(line):
            where[int(match[1], 16)] = source
    return where, size


def inlined_places() -> list[tuple[Path, int, int]]:
    """(file, first line, last line) of the kernel and of each function compiled into it.

    Numba's line tables give an inlined function's lines under the file of the function it was
    inlined into, so a line number is looked up in each of these ranges (which must not overlap).
    """
    from sim.kernels import counter_rng, movement

    places = []
    for function in (movement._advance_lane, movement.on_reach_grid, counter_rng.uniform, counter_rng.mix64):
        lines, first = inspect.getsourcelines(function.py_func)
        places.append((Path(inspect.getsourcefile(function.py_func)), first, first + len(lines) - 1))
    spans = sorted((first, last) for _, first, last in places)
    if any(next_first <= last for (_, last), (next_first, _) in itertools.pairwise(spans)):
        raise RuntimeError("the kernel's functions share line numbers: a sampled line would be ambiguous")
    return places


def source_of(number: int, places: list[tuple[Path, int, int]]) -> tuple[str, str]:
    """``file:line`` and the stripped source text of line ``number`` of the kernel's line tables."""
    for path, first, last in places:
        if first <= number <= last:
            return f"{path.name}:{number}", path.read_text().splitlines()[number - 1].strip()
    return f"?:{number}", ""


def profile() -> dict[str, Any]:
    """Run the child under perf, attribute the samples to source lines, print and return the figures."""
    missing = [tool for tool in ("perf", "objdump") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"kernel_profile: needs {' and '.join(missing)} on the PATH")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        env = {**os.environ, "NUMBA_DEBUGINFO": "1", "NUMBA_CACHE_DIR": str(folder / "numba"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(SAMPLE_HZ), "-o", str(folder / "perf.data"),
                        sys.executable, __file__, "--child", str(folder)], env=env, cwd=ROOT, check=True)
        address, symbol, calls, ms_per_call = (folder / "kernel.txt").read_text().split()
        script = subprocess.run(["perf", "script", "-i", str(folder / "perf.data"), "-F", "ip"], capture_output=True,
                                text=True, check=True).stdout
        pointers = [int(word, 16) for word in script.split()]
        where, size = lines_of(folder / "kernel.o", symbol)
    offsets = [ip - int(address) for ip in pointers if 0 <= ip - int(address) < size]
    by_line = collections.Counter(where.get(max((o for o in where if o <= offset), default=0), 0) for offset in offsets)
    total = len(offsets)
    places = inlined_places()
    rows = [{"line": line, "share": count / total, "source": text}
            for line, text, count in ((*source_of(number, places), count) for number, count in by_line.most_common())]
    print(f"kernel: {ms_per_call} ms per call (one lane, 1 thread, line tables on) over {calls} calls; "
          f"{total:,} of {len(pointers):,} samples ({total / len(pointers):.0%}) in the kernel")
    print(f"{'share':>6}  {'line':<20} source")
    for row in rows[:TOP_LINES]:
        print(f"{row['share']:>6.1%}  {row['line']:<20} {row['source']}")
    return {"ms_per_call": float(ms_per_call), "calls": int(calls), "kernel_samples": total, "samples": len(pointers),
            "lines": rows[:TOP_LINES]}


def main() -> None:
    """Profile the kernel, or (``--child``) be the profiled process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="store the figures under kernel_profile")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(machine_line())
    figures = profile()
    if args.json:
        write_json(args.json, "kernel_profile", figures)


if __name__ == "__main__":
    main()
