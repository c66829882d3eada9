"""``skywatch calibrate CONFIG``: ABC-SMC of a calibration file into an output folder, resumable after a kill."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.calibration.config import CalibrationSpec, load_calibration
from sim.calibration.figures import draw_checks, draw_marginals, draw_pairs
from sim.calibration.outputs import (
    calibrated_scenario,
    central_values,
    posterior,
    predictive_check,
    provenance_record,
    write_checks,
)
from sim.calibration.smc import (
    DIGEST_FILE,
    Generation,
    dask_sampler,
    done_generations,
    local_sampler,
    open_run,
    run_generations,
)
from sim.kernels.threads import stop_workers
from sim.run import simulate
from sim.scenario import ScenarioError
from sim.sweep.engine import connect, local_workers

DEFAULT_FOLDER = Path("calibrations")


def output_folder(spec: CalibrationSpec, out: Path | None) -> Path:
    """The folder to write: ``out``, or ``calibrations/CONFIG``; refused if it holds anything but a calibration.

    Raises:
        ScenarioError: ``out`` is a file, or a non-empty folder no calibration wrote.
    """
    folder = out or DEFAULT_FOLDER / spec.path.stem
    if folder.exists() and not (folder.is_dir() and ((folder / DIGEST_FILE).is_file() or not any(folder.iterdir()))):
        raise ScenarioError(folder, "--out", "expected a new folder, an empty one, or a calibration folder to resume")
    return folder


def warm_up(spec: CalibrationSpec) -> None:
    """Build the world and load the kernels once here: the local sampler's forked workers inherit them."""
    simulate(spec.scenario.with_overrides({"run.steps": 1}, "warm-up"))


def _command(args: Any) -> str:
    """The command line that made the folder."""
    parts = ["skywatch", "calibrate", str(args.config)]
    if args.out is not None:
        parts += ["--out", str(args.out)]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.workers is not None:
        parts += ["--workers", str(args.workers)]
    return " ".join(parts)


def calibrate(args: Any, out_console: Console, err_console: Console) -> int:
    """Run (or continue) the calibration of ``args.config`` and write its outputs; returns the exit code."""
    spec = load_calibration(Path(args.config))  # bad input stops here: nothing is written
    out = output_folder(spec, args.out)
    workers = local_workers(args.workers)
    for target in spec.targets:
        if target.figure is not None and target.figure.status == "flagged":
            print(f"skywatch: warning: target {target.name} is flagged in the reference file: {target.figure.why}",
                  file=sys.stderr)
    started = datetime.now(UTC)
    client = None
    if args.scheduler:
        client = connect(args.scheduler)
        sampler, sampler_name = dask_sampler(client), f"dask at {args.scheduler}"
    else:
        sampler, sampler_name = local_sampler(workers), f"multicore, {workers} processes"
        warm_up(spec)
        stop_workers()  # the sampler forks its workers from this process: no thread of its own may be left running
    try:
        abc, resumed = open_run(spec, out, sampler)
        if resumed:
            done = done_generations(abc.history)
            out_console.print(f"resuming {out}: {done} of {spec.generations} generations done", soft_wrap=True)

        def report(generation: Generation) -> None:
            out_console.print(generation.line(), soft_wrap=True)

        history = run_generations(abc, spec, report)
    finally:
        if client is not None:
            client.close()
    begun = time.perf_counter()
    frame = posterior(history)
    frame.to_parquet(out / "posterior.parquet", index=False)
    central = central_values(spec, frame)
    table = write_checks(predictive_check(spec, frame), out)
    draw_marginals(spec, frame, central, out)
    draw_pairs(spec, frame, out)
    draw_checks(table, out)
    calibrated = calibrated_scenario(spec, central)
    (out / "calibrated.toml").write_text(calibrated.to_toml())
    record = provenance_record(spec, history, calibrated, started, sampler_name, _command(args))
    (out / "provenance.json").write_text(json.dumps(record, indent=2) + "\n")
    covered = int(table["covered"].sum())
    medians = ", ".join(f"{name} {value:g}" for name, value in central.items())
    out_console.print(f"posterior medians: {medians}", soft_wrap=True)
    out_console.print(f"predictive check: {covered} of {len(table)} targets within the predicted 5–95 % interval "
                      f"({time.perf_counter() - begun:.0f} s); calibration folder: {out}", soft_wrap=True)
    return 0
