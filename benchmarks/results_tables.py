"""Write RESULTS.md's tables from results.json: every table with its machine line, ratios measured in one run first.

Run from the repository root::

    python benchmarks/results_tables.py                  # benchmarks/results.json -> benchmarks/RESULTS.md
    python benchmarks/results_tables.py --out /tmp/R.md  # elsewhere

Every benchmark stores its figures under its own key of ``results.json`` with the date, the
machine (CPU model, cores, load average at the start) and the command (``run_scale.write_json``).
This script reads nothing else: each table is preceded by a ``Machine:`` line built from the entry
it shows, and a key missing from ``results.json`` leaves its section out. Figures are labelled
**absolute** (they hold for that machine at that time) or **ratio, one run** (both sides measured
in the same run, sharing the machine at the same time).
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
MACHINE_PREFIX = "Machine:"
COMMANDS = {  # results.json key -> the command that (re)writes it, from the repository root
    "loaded": "python benchmarks/run_scale.py --loaded --json benchmarks/results.json",
    "versus": "python benchmarks/run_scale.py --versus BEFORE_TREE --json benchmarks/results.json",
    "grid": "python benchmarks/run_scale.py --grid --json benchmarks/results.json",
    "million": "python benchmarks/run_scale.py --million --json benchmarks/results.json",
    "small_runs": "python benchmarks/small_runs.py --json benchmarks/results.json",
    "calibrate_speed": "python benchmarks/calibrate_speed.py --json benchmarks/results.json",
    "startup": "python benchmarks/startup.py --json benchmarks/results.json",
    "startup_versus": "python benchmarks/startup.py --versus BEFORE_TREE --json benchmarks/results.json",
    "kernel_profile": "python benchmarks/kernel_profile.py --json benchmarks/results.json",
    "regroup_period": "python benchmarks/regroup_period.py --json benchmarks/results.json",
    "reference": "python benchmarks/compare_reference.py  (and --threads 1; copied from reference_results.json)",
}
INTRO = """# Benchmark results

Written by `python benchmarks/results_tables.py` from [`results.json`](results.json); do not edit
by hand: rerun a benchmark (its command is under its section), then this script.

Absolute rates on shared 2-core VMs are not stable: the same code measures 2-4 times apart from
one hour, or one machine, to the next. Ratios measured inside one run, where both sides share the
machine at the same time, move much less. So every table names its machine (CPU model, cores,
load average at the start of the run) and date (UTC), the headline gives **ratios measured in one
run**, and every other figure is marked **absolute**: it holds for that machine at that time.
The hand-written records and their discussion up to 2026-11-27 (among them the 2026-11-24 idle
Intel Xeon record: 2.85 × 10⁷ shipment-steps/s for the full step at 10⁵ live on 1024²) are in
this file's git history (`git show 2081bbd:benchmarks/RESULTS.md`).
"""


def machine_line(entry: dict[str, Any]) -> str:
    """The ``Machine:`` line of an entry of results.json: CPU model, cores, load average at the start, date."""
    m = entry.get("machine") or {}
    load = m.get("load_average_at_start")
    load_text = ", ".join(f"{v:.2f}" for v in load) + " (1, 5, 15 min)" if load else "not recorded"
    date = entry.get("date")
    when = datetime.datetime.fromisoformat(date).strftime("%Y-%m-%d %H:%M UTC") if date else "date not recorded"
    return (f"{MACHINE_PREFIX} {m.get('cpu_model') or 'CPU model not recorded'}, {m.get('cpu_count') or '?'} cores; "
            f"load average at the start {load_text}; {when}.")


def table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    """A markdown table (columns from ``right_from`` on aligned right)."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    return [f"| {' | '.join(header)} |", f"|{'|'.join(align)}|", *(f"| {' | '.join(row)} |" for row in rows)]


def section(title: str, key: str, entry: dict[str, Any], note: str, body: list[str]) -> list[str]:
    """A section: title, machine line, what the figures are, the command, then its tables."""
    command = entry.get("command") or COMMANDS.get(key, "")
    return ["", f"## {title}", "", machine_line(entry), "", note, "", f"Command: `{command}`", "", *body]


def headline_rows(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(ratio measured in one run, its value, the entry it comes from) for every headline ratio present."""
    if "versus" in doc:
        v = doc["versus"]
        for name, part in (("step", "full step"), ("kernel", "shipment kernel")):
            for threads in (1, 2):
                key = f"{name}_after_vs_before_{threads}_threads"
                pairs = v["ratios"].get(f"{key}_median_of_pairs")
                yield (f"{part}, this tree / before ({v['before']}), 10⁵ live on 1024², {threads} thread(s): "
                       "ratio of the means (median of the back-to-back pairs' ratios)",
                       f"{v['ratios'][key]:.2f}" + (f" ({pairs:.2f})" if pairs is not None else ""), v)
            yield f"{part}, 2 threads / 1 thread, this tree", f"{v['ratios'][f'{name}_2_vs_1_threads_after']:.2f}", v
    if "loaded" in doc:
        r, intervals = doc["loaded"]["ratios"], doc["loaded"].get("intervals", {})
        for state in ("idle", "loaded"):
            for name, part in (("kernel", "shipment kernel"), ("step", "full step")):
                key = f"{name}_2_vs_1_threads_{state}"
                within = intervals.get(key)
                yield (f"{part}, 2 threads / 1 thread, {state}" + (f", in turns {turns_on(doc['loaded'])}" if within else ""),
                       f"{r[key]:.2f}" + (f" ({within['low']:.2f} to {within['high']:.2f})" if within else ""), doc["loaded"])
        for threads in (1, 2):
            value = r[f"kernel_loaded_vs_idle_{threads}_threads"]
            yield f"shipment kernel, loaded / idle, {threads} thread(s)", f"{value:.2f}", doc["loaded"]
    if "reference" in doc:
        for entry, threads in ((doc["reference"], doc["reference"].get("skywatch_threads", 2)),
                               (doc["reference"].get("one_thread"), 1)):
            for row in (entry or {}).get("rows", []):
                yield (f"Mesa reference / Skywatch ({threads} thread(s)), {row['live']:,} live, ms per step",
                       f"{row['ratio']:,.0f}×", entry)
    if "grid" in doc:
        points = doc["grid"]["axes"]["live"]["points"]
        by_live = {p["value"]: p for p in points}
        if 100_000 in by_live and 1_000_000 in by_live:
            ratio = by_live[1_000_000]["steady_ms"] / by_live[100_000]["steady_ms"]
            yield "full step, 10⁶ / 10⁵ live on 1024², steady ms per step", f"{ratio:.2f}", doc["grid"]
    if "startup_versus" in doc:
        s = doc["startup_versus"]
        for figure, what in (("whole_command_s", "launch to exit"), ("cpu_s", "CPU s")):
            yield (f"warm `skywatch run baseline`, {what}, this tree / {s['other_tree']} (median of {s['repeats']} alternating "
                   "pairs)", f"{s['ratios'][figure]:.2f}", s)
    if "regroup_period" in doc:
        r = doc["regroup_period"]
        default = str(r["periods"][0])
        for kind, by_period in r["ratios"].items():
            for period, ratio in by_period.items():
                if period != default:
                    yield (f"full step, regrouping every {period} / every {default} steps, top-ups {kind}, 10⁵ live on 1024²: "
                           "median (mean)", f"{ratio['median']:.2f} ({ratio['mean']:.2f})", r)
    if "small_runs" in doc:
        for scenario, r in doc["small_runs"]["ratios"].items():
            if isinstance(r, dict) and "sweep_2_vs_1_workers_runs_per_min" in r:
                value = r["sweep_2_vs_1_workers_runs_per_min"]
                yield f"`{scenario}` sweep, 2 workers / 1 worker, runs per minute", f"{value:.2f}", doc["small_runs"]


def headline(doc: dict[str, Any]) -> list[str]:
    """The headline: ratios measured in one run, each row with its run's machine, load and date."""
    rows = [[what, value, entry.get("code") or entry.get("after") or "not recorded",
             machine_line(entry).removeprefix(MACHINE_PREFIX).strip()] for what, value, entry in headline_rows(doc)]
    if not rows:
        return []
    return ["", "## Headline: ratios measured in one run", "",
            f"{MACHINE_PREFIX} each row's own, in its last column (CPU model, cores, load average at the start, date). "
            "\"Idle\" and \"loaded\" are without and with a busy process of the benchmark's own on one core; the load "
            "average says what else was running.", "",
            *table(["ratio, both sides measured in the same run", "value", "code", "machine, load average at the start, date"],
                   rows)]


def versus(entry: dict[str, Any]) -> list[str]:
    """This tree against the tree before it, interleaved repeats on 1 and 2 threads: ms per step by phase."""
    mean = entry["mean_ms"]
    columns = [f"{tree}_{threads}" for threads in (1, 2) for tree in ("before", "after")]
    rows = [[name, *(f"{mean[c][name]:.3f}" for c in columns),
             *(f"{mean[f'after_{t}'][name] / mean[f'before_{t}'][name]:.2f}" if mean[f"before_{t}"][name] > 0 else "–"
               for t in (1, 2))] for name in mean["after_1"]]
    rates = entry["shipment_steps_per_s"]
    loads = ", ".join(f"{r['load_average']:.2f}" for r in entry["runs"])
    return section(
        "This tree against the one before it (`run_scale.py --versus`)", "versus", entry,
        f"The grid's centre (every mechanism on, 10⁵ live on 1024², 100 drones; {top_ups(entry.get('top_ups'))}), "
        f"{entry['repeats']} repeats alternating "
        f"before and after on 1 and 2 threads, each in a fresh process; mean ms per steady step by phase (**absolute**; "
        f"`step` is the whole step, `kernel` part of `shipments`) and after / before (**ratio, one run**). Before: "
        f"{entry['before']}; after: {entry['after']}. Full step (**absolute**): "
        + ", ".join(f"{rates[k]:,.0f} shipment-steps/s {k.replace('_', ' ')}" for k in rates)
        + f". 1-minute load average before each process: {loads}.",
        table(["ms per step", "before, 1 thread", "after, 1 thread", "before, 2 threads", "after, 2 threads",
               "after / before, 1 thread", "after / before, 2 threads"], rows))


def loaded(entry: dict[str, Any]) -> list[str]:
    """The kernel and the full step on 1 and 2 threads, idle and with one core loaded."""
    ms, mean = entry["ms_per_step"], entry["mean_ms_per_step"]
    rows = []
    for threads in (1, 2):
        row = [str(threads)]
        for part in ("kernel", "step"):
            for state in ("idle", "loaded"):
                key = f"{state}_{threads}_threads_{part}"
                row.append(f"{mean[key]:.2f} [{', '.join(f'{v:.2f}' for v in ms[key])}]")
        rows.append(row)
    rates = entry.get("full_step_shipment_steps_per_s")
    rate_text = ("" if not rates else " Full step, idle (**absolute**): " + ", ".join(
        f"{rates[f'idle_{t}_threads']:,.0f} shipment-steps/s on {t} thread(s)" for t in (1, 2)) + ".")
    return section(
        "One core loaded (`run_scale.py --loaded`)", "loaded", entry,
        f"The grid's centre (every mechanism on, 10⁵ live on 1024², 100 drones; {top_ups(entry.get('top_ups'))}) on 1 and "
        "2 threads, first idle, then "
        "with a busy process of the benchmark's own on one core; repeats alternate"
        + (f"; in each, 1 and 2 threads take turns of {entry['block_steps']} steps {turns_on(entry)}"
           if "block_steps" in entry else "")
        + ({True: " (which ended in the same state)", False: " (which did NOT end in the same state)"}.get(
            entry.get("twins_identical"), ""))
        + ". Mean ms per steady step (each repeat in brackets; **absolute**); the ratios are in the headline"
        + (" (2 threads / 1 thread with its 95% interval over the pairs of turns)" if "intervals" in entry else "")
        + (f". With one core loaded, the kernel on 2 threads is {entry['verdict_when_loaded']}" if "verdict_when_loaded" in entry
           else "") + f".{rate_text}",
        table(["threads", "kernel, idle", "kernel, loaded", "full step, idle", "full step, loaded"], rows))


def top_ups(mode: str | None) -> str:
    """How a run at scale kept its live count, from its recorded top-up mode (runs before modes existed: random progress)."""
    if mode == "start":
        return "the pool topped up after each step at the routes' first cell, as the cartels launch"
    return "the pool topped up after each step at random progress along the routes (twice the model's own turnover)"


def turns_on(entry: dict[str, Any]) -> str:
    """Where the loaded mode's turns ran: twin models (since they were recorded), one model before."""
    return "on twin models, the same steps for each" if "twins_identical" in entry else "on one model"


def grid(entry: dict[str, Any]) -> list[str]:
    """The scaling grid: steady ms per step along each axis, and the phases."""
    rows = [[axis, f"{p['value']:,}", f"{p['steady_ms']:.2f}", f"{p['ratio_to_previous']:.2f}" if p["ratio_to_previous"] else "–",
             f"{p['shipment_steps_per_s']:,.0f}", f"{p['replan_extra_ms']:.0f}", f"{p['peak_mib']:.0f}"]
            for axis, d in entry["axes"].items() for p in d["points"]]
    names = ("cartels", "air", "shipments", "kernel", "ground", "other")
    phases = [[r["config"]["label"], *(f"{r['timed']['phase_ms'][n]:.2f}" for n in names)] for r in entry["results"]]
    slopes = ", ".join(f"{axis} {d['loglog_slope']:.2f}" for axis, d in entry["axes"].items())
    return section(
        "Scaling grid (`run_scale.py --grid`)", "grid", entry,
        f"Every mechanism on, along three axes from 10⁵ live on 1024² with 100 drones; "
        f"{top_ups(entry['results'][0]['config'].get('top_ups'))}. **Absolute**, except "
        f"× previous (**ratio, one run**). Log-log slopes of the steady ms per step: {slopes}.",
        [*table(["axis", "value", "steady ms/step", "× previous", "shipment-steps/s", "re-plan +ms", "peak MiB"], rows),
         "", machine_line(entry), "", "ms per steady step by phase (`kernel` is part of `shipments`; **absolute**):", "",
         *table(["point", *names], phases)])


def million(entry: dict[str, Any]) -> list[str]:
    """10⁶ live shipments on 2048² for 1,000 steps: wall time and peak memory."""
    rows = [["process wall, s", f"{entry['process_wall_s']:.1f}"],
            ["wall without top-ups, s", f"{entry['wall_without_topups_s']:.1f}"],
            ["steps, s", f"{entry['steps_s']:.1f}"], ["ms per step", f"{entry['ms_per_step']:.1f}"],
            ["shipment-steps/s", f"{entry['shipment_steps_per_s']:,.0f}"], ["peak RSS, MiB", f"{entry['peak_mib']:,.0f}"]]
    return section("A million shipments for 1,000 steps (`run_scale.py --million`)", "million", entry,
                   "Every mechanism on, no warm-up (numba's cache load and every re-planning step included). **Absolute.**",
                   table(["figure", "value"], rows))


def small_runs(entry: dict[str, Any]) -> list[str]:
    """Runs per core-minute, in-process and through ``skywatch sweep``."""
    in_worker = all("median_run_cpu_s" in r for r in entry["rows"])  # figures stored before it was measured lack it
    rows = [[r["scenario"], r["mode"], f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}", f"{r['cpu_s_per_run']:.3f}",
             f"{r['runs_per_core_min']:.1f}", *([f"{r['median_run_cpu_s']:.3f}"] if in_worker else [])] for r in entry["rows"]]
    note = "; run CPU s = the median CPU seconds of one run, measured inside its worker" if in_worker else ""
    return section("Small runs (`small_runs.py`)", "small_runs", entry,
                   f"One simulated week per run; runs per core-minute = runs × 60 / CPU s{note}. **Absolute.**",
                   table(["scenario", "mode", "wall s", "CPU s", "CPU s/run", "runs per core-minute",
                          *(["run CPU s (median)"] if in_worker else [])], rows, right_from=2))


def startup(entry: dict[str, Any]) -> list[str]:
    """Seconds from launch for ``skywatch run baseline`` (a week, and ``--steps 1``), cold and warm numba cache."""
    kinds = {"cold, week": entry["cold"], **{f"warm, {kind}": figures for kind, figures in entry["warm"].items()}}
    rows = [[kind, f"{f['simulating_s']:.2f}", f"{f['first_step_done_s']:.2f}", f"{f['whole_command_s']:.2f}",
             f"{f['cpu_s']:.2f}"] for kind, f in kinds.items()]
    return section("Launch to exit (`startup.py`)", "startup", entry,
                   f"`skywatch run baseline` in a fresh process; warm = median of {entry['repeats']}. **Absolute** seconds.",
                   table(["numba cache, run", "simulating", "first step done", "whole command", "CPU s"], rows))


def calibrate_speed(entry: dict[str, Any]) -> list[str]:
    """ABC-SMC of the shipped calibration on pyabc's multicore sampler and on a Dask LocalCluster."""
    rows = [[r["sampler"], f"{r['wall_s']:.0f}", str(r["generations"]), f"{r['evaluations']:,}", f"{r['runs_per_s']:.2f}"]
            for r in entry["rows"]]
    return section("Calibration (`calibrate_speed.py`)", "calibrate_speed", entry,
                   f"`calibration/baseline.toml`: 3 parameters, population {entry['population']}, {entry['generations']} "
                   f"generations, {entry['steps']} steps a run. Wall s and runs/s **absolute**; Dask / multicore "
                   f"runs per second, **one run**: {entry['speed_up']:.2f}.",
                   table(["sampler", "wall s", "generations", "evaluations", "runs/s"], rows))


def reference(entry: dict[str, Any]) -> list[str]:
    """Skywatch against the idiomatic Mesa reference, on 2 threads and on 1."""
    body: list[str] = []
    for run, threads in ((entry, entry.get("skywatch_threads", 2)), (entry.get("one_thread"), 1)):
        if not run:
            continue
        rows = [[f"{r['live']:,}", f"{r['skywatch_ms']:.2f}", f"{r['reference_ms']:,.1f}", f"{r['ratio']:,.0f}×"]
                for r in run["rows"]]
        body += [*([machine_line(run), ""] if run is not entry else []),
                 f"Skywatch on {threads} thread(s) (ms **absolute**, ratio **one run**):", "",
                 *table(["live shipments", "Skywatch ms", "Mesa ms", "ratio"], rows), ""]
    if "agreement_passed" in entry:
        when = entry.get("agreement_date", "date not recorded")
        body.append(f"Agreement in distribution (`compare_reference.py --check`, {when}): "
                    f"{'passed' if entry['agreement_passed'] else 'FAILED'}.")
    return section("Against idiomatic Mesa (`compare_reference.py`)", "reference", entry,
                   "The same core step on the default 256² world with 24 drones; median ms per step, the two models alternating.",
                   body)


def kernel_profile(entry: dict[str, Any]) -> list[str]:
    """The shipment kernel's perf samples by source line, top first."""
    rows = [[f"{r['share']:.1%}", f"`{r['line']}`", "`" + r["source"].replace("|", "\\|") + "`"] for r in entry["lines"]]
    return section("Where the shipment kernel's time goes (`kernel_profile.py`)", "kernel_profile", entry,
                   "`perf record -e cpu-clock` samples of the compiled kernel (one lane, 1 thread, the grid's centre: every "
                   "mechanism on, 10⁵ live on 1024², 100 drones), each mapped to the source line it was compiled from; "
                   f"{entry['kernel_samples']:,} samples, {entry['ms_per_call']:.2f} ms per call (**absolute**). "
                   "Share of the kernel's samples, **one run**.",
                   table(["share", "line", "source"], rows, right_from=3))


def regroup_period(entry: dict[str, Any]) -> list[str]:
    """The pool's regrouping periods in turns on one model, for each kind of top-up: ms per step."""
    rows = [[kind, str(period), f"{f['median_ms'][str(period)]:.3f}", f"{f['mean_ms'][str(period)]:.3f}",
             f"{f['regroupings_per_100_steps'][str(period)]:.1f}", f"{f['topped_up_per_step']:,.0f}"]
            for kind, f in entry["figures"].items() for period in entry["periods"]]
    return section("The pool's regrouping period (`regroup_period.py`)", "regroup_period", entry,
                   f"The grid's centre (every mechanism on, 10⁵ live on 1024², 100 drones); the periods take turns of "
                   f"{entry['turn_steps']} steps on one model, {entry['turns']} turns each; top-ups `anywhere` (random "
                   "positions along random routes, as `run_scale.py`) or at the routes' `start` (as the cartels launch); "
                   "re-planning steps left out. ms per step **absolute**; the ratios to the first period are in the headline.",
                   table(["top-ups", "every N steps", "median ms", "mean ms", "regroupings per 100 steps",
                          "topped up per step"], rows, right_from=1))


SECTIONS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "versus": versus, "loaded": loaded, "grid": grid, "million": million, "small_runs": small_runs, "startup": startup,
    "kernel_profile": kernel_profile, "reference": reference, "calibrate_speed": calibrate_speed,
    "regroup_period": regroup_period,
}


def render(doc: dict[str, Any]) -> str:
    """RESULTS.md's text from the contents of results.json."""
    lines = [INTRO.rstrip("\n"), *headline(doc)]
    for key, write in SECTIONS.items():
        if key in doc:
            lines += write(doc[key])
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> None:
    """Read results.json, write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=BENCHMARKS / "results.json", help="the figures (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "RESULTS.md", help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.write_text(render(json.loads(args.results.read_text())))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
