"""The ``skywatch`` command line.

Exit codes: 0 success, 2 bad input (one line naming the file, the field and what was expected),
1 internal error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from sim import __version__
from sim.model import SkywatchModel
from sim.params import PARAMS
from sim.run import check_output_folder, simulate, write_run_folder
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_assignment, shipped_scenarios

EXIT_BAD_INPUT = 2


def _scenario_with_cli_overrides(args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(args.scenario)
    for text in args.set:
        key, value = parse_assignment(text)
        scenario = scenario.with_overrides({key: value}, f"--set {key}")
    if args.seed is not None:
        scenario = scenario.with_overrides({"run.seed": args.seed}, "--seed")
    if args.steps is not None:
        scenario = scenario.with_overrides({"run.steps": args.steps}, "--steps")
    return scenario


def _default_out(args: argparse.Namespace, scenario: Scenario) -> Path:
    return Path("runs") / f"{Path(args.scenario).stem}-seed{scenario['run.seed']}"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_format(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def _summary_table(summary: dict[str, Any], title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key != "scenario_sha256":
            table.add_row(key, _format(value))
    return table


def cmd_run(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Run one scenario, write its folder, print its summary."""
    from sim.viz.figures import write_figures  # plotting stays out of the model's imports

    scenario = _scenario_with_cli_overrides(args)
    out = args.out or _default_out(args, scenario)
    check_output_folder(out, args.force)
    started = time.perf_counter()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True, disable=args.quiet) as progress:
        task = progress.add_task(f"{Path(args.scenario).stem} seed {scenario['run.seed']}", total=scenario["run.steps"])
        model = simulate(scenario, on_step=lambda _: progress.advance(task))
    summary = write_run_folder(model, out, force=args.force, extra=write_figures)
    elapsed = time.perf_counter() - started
    if not args.quiet:
        out_console.print(_summary_table(summary, f"{Path(args.scenario).stem} · seed {scenario['run.seed']} · {model.steps} steps"))
    out_console.print(f"run folder: {out}  ({elapsed:.1f} s)")
    return 0


def cmd_params(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """List every parameter with its default, unit, bounds and meaning."""
    table = Table(show_header=True, header_style="bold")
    for column in ("parameter", "default", "unit", "bounds", "meaning"):
        table.add_column(column, overflow="fold")
    for p in PARAMS:
        table.add_row(p.name, repr(p.default) if isinstance(p.default, str) else str(p.default), p.unit, p.describe_bounds(), p.meaning)
    out_console.print(table)
    return 0


def cmd_scenarios(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """List the shipped scenarios with their descriptions."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("scenario")
    table.add_column("description")
    for name, path in shipped_scenarios().items():
        table.add_row(name, load_scenario(path).description)
    out_console.print(table)
    return 0


def cmd_validate(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Check a scenario file, world included, without running it."""
    scenario = load_scenario(args.file)
    model = SkywatchModel(scenario)
    out_console.print(f"{args.file}: ok ({model.world.shape[0]}×{model.world.shape[1]} world, "
                      f"{model.routes.source.size} routes, {scenario['run.steps']} steps)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skywatch`` command."""
    parser = argparse.ArgumentParser(prog="skywatch", description="Agent-based model of drone surveillance over trafficking routes.")
    parser.add_argument("--version", action="version", version=f"skywatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write a run folder")
    run.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    run.add_argument("--seed", type=int, help="seed (overrides run.seed)")
    run.add_argument("--steps", type=int, help="steps to run (overrides run.steps)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter, e.g. drones.count=40")
    run.add_argument("--out", type=Path, help="run folder (default runs/SCENARIO-seedN)")
    run.add_argument("--force", action="store_true", help="overwrite an existing run folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    run.set_defaults(handler=cmd_run)

    sub.add_parser("params", help="list every parameter").set_defaults(handler=cmd_params)
    sub.add_parser("scenarios", help="list the shipped scenarios").set_defaults(handler=cmd_scenarios)
    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("file", help="a scenario file, or the name of a shipped scenario")
    validate.set_defaults(handler=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``skywatch``; returns the exit code."""
    args = build_parser().parse_args(argv)
    out_console, err_console = Console(), Console(stderr=True)
    try:
        return args.handler(args, out_console, err_console)
    except ScenarioError as err:
        print(f"skywatch: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("skywatch: interrupted; nothing was written", file=sys.stderr)
        return 130
