"""The scaling benchmark runs end to end on small sizes and records what it measured."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sim.kernels.movement import IN_TRANSIT
from sim.kernels.threads import MAX_THREADS, thread_count

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from compare_reference import build_skywatch  # noqa: E402
from interval_coverage import paired_coverage, ratio_coverage  # noqa: E402
from regroup_period import measure_periods, report  # noqa: E402
from run_scale import Config, loaded_report, measure_alternating, prepare, state_digest, step_once, top_up, versus_report  # noqa: E402


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
        assert isinstance(row["cpu_s_per_run_in_sweep"], float)  # a difference of two sweeps: noise may make it negative
        assert 0 < row["median_run_cpu_s"] <= row["cpu_s"], "one run's CPU, measured inside its worker"
    assert "CPU s/run in sweep" in result.stdout and "run CPU s (median)" in result.stdout
    assert figures["ratios"]["baseline"]["sweep_2_vs_1_workers_runs_per_min"] > 0
    assert figures["machine"]["cpu_model"] and "load average" in result.stdout
    assert "runs/core-min" in result.stdout and "tables equal in every mode: yes" in result.stdout



def test_sweep_throughput_finds_one_and_two_workers_tables_equal_but_for_their_timings() -> None:
    result = subprocess.run([sys.executable, "benchmarks/sweep_throughput.py", "--replications", "1"], cwd=ROOT,
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "8 points × 1 replications = 8 runs" in result.stdout and "(tables equal: yes)" in result.stdout

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


def test_the_loaded_mode_times_each_thread_count_in_turns_on_twin_models_and_gives_the_ratio_an_interval(capsys) -> None:
    """Two thread counts take turns of 3 steps (the first untimed) on twin models until each has 6 timed steps: 3 blocks each."""
    config = Config("turns", {"world.height": 96, "world.width": 96, "drones.count": 4}, 40_000, 6, warmup=1)
    run = measure_alternating(config, (1, 2), block=3)
    assert thread_count() == MAX_THREADS  # as before the turns
    for threads in (1, 2):
        result = run.results[threads]
        assert result.config.threads == threads
        assert result.timed.steps + result.replan.steps == 6 and result.timed.shipment_steps > 0
        assert len(run.block_ms[threads, "kernel"]) == len(run.block_ms[threads, "step"]) == 3
    assert run.identical  # the twins stepped through the same states
    figures = loaded_report({"idle": [run], "loaded": [run]})
    assert figures["twins_identical"]
    interval = figures["intervals"]["kernel_2_vs_1_threads_loaded"]
    assert interval["n"] == 3 and interval["low"] <= interval["estimate"] <= interval["high"]
    assert figures["verdict_when_loaded"] in capsys.readouterr().out


def test_the_twins_digest_sees_one_shipment_moved_but_not_where_shipments_sit_in_the_pool() -> None:
    model = build_skywatch(3000)
    top_up(model, 3000, np.random.default_rng(0))
    model.step()
    digest = state_digest(model)
    pool = model.pool
    live = pool.status == IN_TRANSIT
    pool.regroup(np.concatenate([np.flatnonzero(live)[::-1], np.flatnonzero(~live)]))  # the live ones in reverse
    assert state_digest(model) == digest
    pool.progress[np.flatnonzero(pool.status == IN_TRANSIT)[0]] += 1
    assert state_digest(model) != digest
    pool.progress[np.flatnonzero(pool.status == IN_TRANSIT)[0]] -= 1
    model.tally.detections += 1
    assert state_digest(model) != digest


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


def test_top_ups_go_at_random_progress_or_at_the_routes_start() -> None:
    model = build_skywatch(2000)
    for at_start in (False, True):
        before = model.pool.status == IN_TRANSIT
        launched = top_up(model, model.pool.live + 500, np.random.default_rng(1), at_start)
        new = (model.pool.status == IN_TRANSIT) & ~before
        assert launched == 500 == new.sum()
        assert (model.pool.progress[new] == 0).all() == at_start
    assert top_up(model, 10, np.random.default_rng(1)) == 0


def test_each_step_tops_the_pool_up_where_its_configuration_says() -> None:
    """Top-ups at the routes' first cell by default (as the cartels launch), at random progress with ``anywhere``."""
    for top_ups, at_start in (("start", True), ("anywhere", False)):
        config = Config("top-ups", {"world.height": 96, "world.width": 96, "drones.count": 4}, 3000, 1, top_ups=top_ups)
        model, result, rng = prepare(config)
        newest = int(model.pool.uid[model.pool.status == IN_TRANSIT].max())
        step_once(model, result, rng)
        new = (model.pool.status == IN_TRANSIT) & (model.pool.uid > newest)
        assert model.pool.live == 3000 and new.sum() > 20
        assert (model.pool.progress[new] == 0).all() == at_start
    assert Config("default", {}, 1, 1).top_ups == "start"


def test_the_regrouping_periods_take_turns_on_one_model_each_with_its_own_regroupings(monkeypatch, capsys) -> None:
    from sim.phases import shipments

    monkeypatch.setattr(shipments, "REGROUP_LIVE", 1)
    monkeypatch.setattr(shipments, "REGROUP_STEPS", shipments.REGROUP_STEPS)
    figures = {kind: measure_periods(at_start, (2, 4), turns=2, turn_steps=8, live=3000, side=96)
               for kind, at_start in (("anywhere", False), ("start", True))}
    for f in figures.values():
        assert f["regroupings_per_100_steps"] == {2: 50.0, 4: 25.0} and f["steps_per_period"] == 16
        assert f["topped_up_per_step"] > 0 and all(ms > 0 for ms in f["median_ms"].values())
    monkeypatch.setattr(shipments, "REGROUP_STEPS", 2)
    ratios = report(figures)
    assert ratios["start"][2] == {"median": 1.0, "mean": 1.0}
    assert "top-ups anywhere" in capsys.readouterr().out


def _tables_and_context(text: str) -> list[tuple[list[str], list[str]]]:
    """Each markdown table of ``text`` with the lines between it and the heading or table before it."""
    found, context, rows = [], [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            rows.append(line)
            continue
        if rows:
            found.append((rows, context))
            rows, context = [], []
        context = [] if line.startswith("#") else [*context, line]
    return found


def test_results_tables_writes_every_table_of_the_stored_results_with_its_machine_line(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    result = subprocess.run([sys.executable, "benchmarks/results_tables.py", "--out", str(out)], cwd=ROOT, check=False,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    tables = _tables_and_context(text)
    assert len(tables) >= 6
    for rows, context in tables:
        machine = [line for line in context if line.startswith("Machine:")]
        assert machine, f"no machine line before the table {rows[0]}"
        assert "cores" in machine[-1] and "load average" in machine[-1], machine[-1]
    headline = text.split("## Headline: ratios measured in one run")[1].split("\n## ")[0]
    for ratio in ("2 threads / 1 thread", "loaded / idle", "Mesa reference / Skywatch", "10⁶ / 10⁵ live"):
        assert ratio in headline
    assert text.count("**absolute**") + text.count("**Absolute") >= 5
    assert text == (ROOT / "benchmarks" / "RESULTS.md").read_text(), "RESULTS.md is not what results_tables.py writes"


def test_versus_report_gives_after_over_before_and_two_threads_over_one() -> None:
    def ms(step: float, kernel: float) -> dict[str, float]:
        return {"step": step, "kernel": kernel}

    runs = [{"tree": tree, "threads": threads, "load_average": 1.0, "ms": ms(step, kernel)}
            for tree, threads, step, kernel in (("before", 1, 8.0, 4.0), ("after", 1, 4.0, 3.0), ("before", 2, 6.0, 2.0),
                                                ("after", 2, 2.0, 1.0))]
    figures = versus_report({"before": "b", "after": "a", "repeats": 1, "runs": runs})
    assert figures["ratios"]["step_after_vs_before_1_threads"] == 0.5
    assert figures["ratios"]["kernel_after_vs_before_2_threads"] == 0.5
    assert figures["ratios"]["step_2_vs_1_threads_after"] == 0.5
    assert figures["ratios_by_pair"]["kernel_after_vs_before_1_threads"] == [0.75]
    assert figures["ratios"]["step_after_vs_before_2_threads_median_of_pairs"] == 1 / 3
    assert figures["shipment_steps_per_s"]["after_2_threads"] == 5e7


def test_kernel_profile_names_each_line_in_the_file_it_was_written_in() -> None:
    """Line numbers from the kernel's line tables land in the kernel itself or in the function inlined into it."""
    import inspect

    from kernel_profile import inlined_places, source_of

    from sim.kernels import counter_rng, movement

    places = inlined_places()
    lines, first = inspect.getsourcelines(counter_rng.uniform.py_func)
    draw = first + next(i for i, line in enumerate(lines) if "mix64(key" in line)
    assert source_of(draw, places) == (f"counter_rng.py:{draw}", lines[draw - first].strip())
    lines, first = inspect.getsourcelines(movement._advance_lane.py_func)
    walk = first + next(i for i, line in enumerate(lines) if "while at < last and route_reach" in line)
    assert source_of(walk, places) == (f"movement.py:{walk}", lines[walk - first].strip())
    assert source_of(10**6, places)[0] == f"?:{10**6}"


def test_interval_coverage_counts_how_often_the_intervals_hold_the_truth(monkeypatch) -> None:
    """Near 95 % with many pairs; an interval that misses the truth is never counted as holding it."""
    import interval_coverage

    from sim.intervals import Interval

    rng = np.random.default_rng(0)
    assert 0.85 <= ratio_coverage(50, 200, rng) <= 1.0
    assert 0.9 <= paired_coverage(20, 200, rng) <= 1.0
    monkeypatch.setattr(interval_coverage, "ratio_interval", lambda top, bottom: Interval(1.0, 0.0, 1.0, top.size))
    assert ratio_coverage(20, 20, rng) == 0.0
