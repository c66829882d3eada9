"""The ``skywatch`` command line.

Exit codes: 0 success; 2 bad input (one line naming the file, the field and what was expected)
or an operating-system error (one line naming the path and the problem: disk full, not
writable, not found); 1 an internal error, a bug: its traceback is printed for the report, and a
last line says so. Console output never reads user text (paths, scenario names) as markup.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

import sim.mesa_core  # noqa: F401  # Mesa's core alone, before numba: its import walks the stack once per loaded module
from sim import __version__
from sim.os_errors import describe, printable, writing_to
from sim.outcomes import format_value
from sim.outfolder import MARKER, folder_kind
from sim.params import PARAMS, PLATFORM_FIELDS, PLATFORM_KINDS, PLATFORM_SECTION, SCHEMA
from sim.preflight import preflight
from sim.provenance import SHORT_DIGEST
from sim.run import check_output_folder, simulate, write_run_folder
from sim.scenario import Scenario, ScenarioError, ScenarioErrors, load_scenario, one_line, parse_assignment, shipped_scenarios
from sim.world_cache import preflight_all

if TYPE_CHECKING:
    from sim.compare import Group

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
MAX_PORT = 65535
EXIT_SIGNALLED = 128  # plus the signal number: a child ended by a signal
FORWARDED_SIGNALS = ("SIGTERM", "SIGHUP")  # what `skywatch viz` passes on to its server (those this system has)
REPLICATION_OPTIONS = ("--set", "--steps", "--workers", "--scheduler")  # `skywatch compare` options for the runs it makes
MIN_REPLICATIONS = 2  # an interval needs two runs
WORKERS_HELP = "local worker processes, 1 to 1024 (default: the cores)"  # sim.sweep.engine.MAX_WORKERS


def console(stderr: bool = False) -> Console:
    """A console that prints text as it is: user text (paths, names) is never read as markup or highlighted."""
    return Console(stderr=stderr, markup=False, highlight=False)


def progress_columns(*extra: TextColumn) -> tuple[Any, ...]:
    """A progress bar's columns: the task's description (as plain text), the bar, ``extra``, the times."""
    return (TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(), *extra,
            TimeElapsedColumn(), TimeRemainingColumn())


def progress_bar(err_console: Console, quiet: bool, *columns: Any) -> Progress:
    """A progress bar on ``err_console``, gone once done; off when ``quiet`` or where it cannot be redrawn.

    Standard error to a file or a pipe cannot redraw a bar: there it would leave only an empty line
    before what follows (an error's one line).
    """
    live = err_console.is_terminal or err_console.is_jupyter
    return Progress(*(columns or progress_columns()), console=err_console, transient=True, disable=quiet or not live)


@contextmanager
def _counting_bar(err_console: Console, description: str, total: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on ``err_console`` while the block runs, gone after it (none when ``quiet``).

    Yields:
        The callback to give the work: it takes the count done so far (steps, figures) out of ``total``.
    """
    with progress_bar(err_console, quiet) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)


def _with_overrides(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """``scenario`` with the ``--set`` values and ``--steps`` of the command line applied.

    The ``--set`` values are applied together, then checked together: a pair that only holds as a pair (a CRS and
    its bbox) can be given, and a value set twice takes the last.
    """
    overrides: dict[str, Any] = {}
    for text in args.set:
        key, value = parse_assignment(text)
        param = SCHEMA.get(key)
        if param is not None and param.is_path and isinstance(value, str) and value != "":
            value = str(Path.cwd() / _expanded(value))  # a file named on the command line is where it runs, not the scenario's
        overrides[key] = value
    if overrides:
        scenario = scenario.with_overrides(overrides, "--set")
    if args.steps is not None:
        scenario = scenario.with_overrides({"run.steps": args.steps}, "--steps")
    return scenario


def _blamed_on_set(err: ScenarioError, args: argparse.Namespace) -> ScenarioError:
    """``err`` with each error about a field the command line's ``--set`` gave named as from ``--set``, not the file.

    The checks of a built world (a corridor it has, the air bases a platform may use) find a value
    wrong only once it is applied, and name the scenario that holds it.
    """
    given = set()
    for text in getattr(args, "set", None) or ():
        try:
            given.add(parse_assignment(text)[0])
        except ScenarioError:
            continue
    errors = [ScenarioError("--set", e.field_name, e.expected) if _about_any(e, given) else e for e in err.errors]
    return errors[0] if len(errors) == 1 else ScenarioErrors(errors)


def _about_any(err: ScenarioError, fields: set[str]) -> bool:
    """Whether ``err`` is about one of ``fields`` (the ``--set`` keys).

    That field or, in an error naming a scenario file, a part of it (``sites.sources_km[0]``) or a value
    it must agree with whose message names it (``world.sources``: "the number of sources given in
    sites.sources_km"); an error naming another file (a CSV the field points to) keeps that file.
    """
    if err.field_name in fields:
        return True
    return err.source.endswith(".toml") and any(
        err.field_name.startswith((f"{name}[", f"{name}.")) or re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", err.expected)
        for name in fields)


def _scenario_with_cli_overrides(args: argparse.Namespace) -> Scenario:
    scenario = _with_overrides(load_scenario(args.scenario), args)
    if args.seed is not None:
        scenario = scenario.with_overrides({"run.seed": args.seed}, "--seed")
    if args.world_seed is not None:
        scenario = scenario.with_overrides({"world.seed": args.world_seed}, "--world-seed")
    return scenario


def _seeds(scenario: Scenario, between: str = " ") -> str:
    """The seeds as a run's name shows them: ``seed R``, after ``world W`` unless the world seed is 0 (the default)."""
    world, run = scenario["world.seed"], f"seed{between}{scenario['run.seed']}"
    return f"world{between}{world}{' ' if between else '-'}{run}" if world else run


def _default_out(args: argparse.Namespace, scenario: Scenario) -> Path:
    """``runs/SCENARIO-seedR``, or ``runs/SCENARIO-worldW-seedR`` when the world seed is not 0."""
    return Path("runs") / f"{Path(args.scenario).stem}-{_seeds(scenario, between='')}"


def _summary_table(summary: dict[str, Any], title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key != "scenario_sha256":
            table.add_row(key, format_value(value))
    return table


def cmd_run(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Run one scenario, write its folder, print its summary."""
    from sim.basemap import read_basemap
    from sim.viz.overview_child import overview_in_child  # plotting stays out of the model's imports

    scenario = _scenario_with_cli_overrides(args)
    out = args.out or _default_out(args, scenario)
    check_output_folder(out, args.force)
    started = time.perf_counter()
    basemap = read_basemap(scenario)  # a malformed basemap stops the command here, before the run
    with overview_in_child(scenario, basemap) as write_overview:
        with _counting_bar(err_console, f"{Path(args.scenario).stem} {_seeds(scenario)}", scenario["run.steps"],
                           args.quiet) as done:
            model = simulate(scenario, on_step=done)
        with writing_to(out):
            summary = write_run_folder(model, out, force=args.force, extra=write_overview)
    elapsed = time.perf_counter() - started
    if not args.quiet:
        out_console.print(
            _summary_table(summary, f"{Path(args.scenario).stem} · {_seeds(scenario)} · {model.steps} steps")
        )
    out_console.print(f"run folder: {out}  ({elapsed:.1f} s)", soft_wrap=True)
    return 0


def cmd_params(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """List every parameter with its default, unit, bounds and meaning."""
    table = Table(show_header=True, header_style="bold")
    for column in ("parameter", "default", "unit", "bounds", "meaning"):
        table.add_column(column, overflow="fold")
    for p in (*PARAMS, *PLATFORM_FIELDS):
        default = "by kind" if p.key.split(".")[-1] in PLATFORM_KINDS["crewed"] and p.section == PLATFORM_SECTION else \
            repr(p.default) if isinstance(p.default, str) else str(p.default)
        table.add_row(p.name.replace("*", "NAME"), default, p.unit, p.describe_bounds(), p.meaning)
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
    """Check a scenario file, world included, without running it (or planning its routes)."""
    scenario = load_scenario(args.file)
    world = preflight(scenario)
    out_console.print(f"{args.file}: ok ({world.shape[0]}×{world.shape[1]} world, {world.sources.size} sources, "
                      f"{world.sinks.size} sinks, {scenario['run.steps']} steps)", soft_wrap=True)
    return 0


def _engine(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """The engine runs go to and the Dask client to close (or None).

    The engine is a Dask cluster at ``scheduler``, else a local pool of ``workers`` (by default one per core).
    """
    from sim.sweep.engine import connect, local_workers, run_dask, run_local

    if scheduler:
        client = connect(scheduler)
        return partial(run_dask, client=client), client
    return partial(run_local, workers=local_workers(workers)), None


def _write_sweep_figures(folder: Path, err_console: Console, quiet: bool) -> list[Path]:
    """Draw the figures of the sweep folder ``folder`` with a progress bar counting them; return their paths."""
    from sim.viz.sweep_plots import plan_sweep_figures

    figures = plan_sweep_figures(folder)
    with _counting_bar(err_console, f"figures of {folder}", len(figures), quiet) as done:
        return figures.write(on_figure=done)


def _check_recorded_scenario(folder: Path, scenario: Scenario) -> None:
    """Refuse to redraw the run folder ``folder`` from a ``scenario.toml`` other than the one its ``summary.json`` records.

    The figures would show another run than the summary, the metrics and the flow beside them. A
    summary that is missing or holds no digest records nothing to check against.

    Raises:
        ScenarioError: ``scenario`` (read from the folder's ``scenario.toml``) has another digest than the recorded one.
    """
    try:
        recorded = json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("scenario_sha256")
    except (OSError, ValueError, AttributeError):
        return
    digest = scenario.sha256()
    if isinstance(recorded, str) and recorded != digest:
        raise ScenarioError(folder / "scenario.toml", "scenario_sha256",
                            f"expected the scenario the run recorded in summary.json ({recorded[:SHORT_DIGEST]}…), got "
                            f"another ({digest[:SHORT_DIGEST]}…): it changed since the run; run it again with "
                            "skywatch run --force")


def _redraw_run_folder(folder: Path, animate: bool, err_console: Console, quiet: bool) -> list[Path]:
    """Repeat the run of the run folder ``folder`` (once) with a progress bar counting its steps; redraw its overview.

    With ``animate``, the repeated run is also drawn as an animation. Returns the paths written.
    """
    from sim.model import SkywatchModel
    from sim.viz.animation import write_animation
    from sim.viz.figures import write_figures

    scenario = load_scenario(folder / "scenario.toml")
    _check_recorded_scenario(folder, scenario)
    written = []
    with _counting_bar(err_console, f"{'animate' if animate else 'rerun'} {folder}", scenario["run.steps"], quiet) as done:
        if animate:
            model = SkywatchModel(scenario)
            written.append(write_animation(model, folder / "animation", on_step=done))
        else:
            model = simulate(scenario, on_step=done)
        write_figures(model, folder)
    return [folder / "overview.png", *written]


def cmd_sweep(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Run a sweep into its folder (or finish one with --resume); print how many runs failed."""
    from sim.sweep.design import load_sweep, preflight_base
    from sim.sweep.job import SweepJob
    from sim.sweep.sensitivity import stability_warning

    spec = load_sweep(args.sweep)
    preflight_base(spec)
    out = args.out or Path("sweeps") / Path(args.sweep).stem
    job = SweepJob.prepare(spec, out, resume=args.resume, force=args.force)
    replacing = job.replacing
    engine, client = _engine(args.scheduler, args.workers)
    failed = sum(row["status"] != "ok" for row in job.done)
    started = time.perf_counter()
    columns = progress_columns(TextColumn("failed {task.fields[failed]}", markup=False))
    try:
        with writing_to(out), progress_bar(err_console, args.quiet, *columns) as progress:
            task = progress.add_task(
                f"{spec.path.stem} ({spec.design})", total=len(job.runs), completed=len(job.done), failed=failed
            )

            def on_row(row: dict[str, Any]) -> None:
                nonlocal failed
                failed += row["status"] != "ok"
                progress.update(task, advance=1, failed=failed)

            ran = len(job.todo)
            frame = job.execute(engine, keep_runs=args.keep_runs, on_row=on_row)
    except KeyboardInterrupt:
        if replacing:
            print(f"skywatch: interrupted; the old sweep in {printable(str(out))} is kept as it was (a sweep forced over "
                  "another replaces it only when complete)", file=sys.stderr)
        else:
            print(f"skywatch: interrupted; finished runs are kept in {printable(str(out))}, --resume runs the rest",
                  file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if client is not None:
            client.close()
    with writing_to(out):
        figures = [] if args.no_plots else _write_sweep_figures(out, err_console, args.quiet)
    elapsed = time.perf_counter() - started
    out_console.print(f"{len(frame)} runs ({ran} run now, {len(frame) - ran} before), {failed} failed; "
                      f"{len(figures)} figures; sweep folder: {out}  ({elapsed:.1f} s)", soft_wrap=True)
    warning = None if job.indices is None else stability_warning(job.indices, spec.samples)
    if warning is not None:
        print(f"skywatch: warning: {warning}", file=sys.stderr)
    return 0


def cmd_plot(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Draw the figures of a sweep folder, or redraw a run folder's overview (and animation) by repeating its run."""
    from sim.sweep.results import RESULTS

    folder = args.dir
    kind = folder_kind(folder)
    with writing_to(folder):
        if (folder / RESULTS).is_file() and kind == "sweep":
            paths = _write_sweep_figures(folder, err_console, args.quiet)
        elif (folder / "summary.json").is_file() and kind == "run":
            paths = _redraw_run_folder(folder, args.animate, err_console, args.quiet)
        else:
            raise ScenarioError(folder, "DIR", f"expected a Skywatch sweep folder ({RESULTS}) or run folder (summary.json) "
                                f"with its {MARKER} marker: figures are drawn only into folders Skywatch made")
    for path in paths:
        out_console.print(str(path), soft_wrap=True)
    return 0


def cmd_viz(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Serve the live page of a scenario (a Solara app over the model) until interrupted.

    The ``solara run`` server is a child on a lifeline (:mod:`sim.lifeline`): it dies with this
    process however this process ends, and SIGTERM or SIGHUP sent here is passed on to it.
    """
    import subprocess

    from sim.lifeline import lifeline_command

    scenario = load_scenario(args.scenario)  # bad input stops here, before the web stack is imported
    preflight_all([scenario])  # as would the model the page builds
    _check_can_listen(args.host, args.port)
    from sim.viz import app
    env = {**os.environ, app.SCENARIO_ENV: scenario.source, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "SOLARA_ASSETS_PROXY": "True"}
    command = lifeline_command(
        "solara", "run", app.__file__, "--host", args.host, "--port", str(args.port), "--production", "--no-open"
    )
    out_console.print(f"live page of {scenario.source} at http://{args.host}:{args.port}  (Ctrl-C stops it)", soft_wrap=True)
    server = subprocess.Popen(command, env=env)
    forwarded = [getattr(signal, name) for name in FORWARDED_SIGNALS if hasattr(signal, name)]
    previous = {number: signal.signal(number, lambda number, _frame: server.send_signal(number)) for number in forwarded}
    try:
        code = server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
        return 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return EXIT_SIGNALLED - code if code < 0 else code


def _check_can_listen(host: str, port: int) -> None:
    """Refuse ``host``:``port`` unless this process could listen there now (the page's server binds it next).

    Raises:
        ScenarioError: the port is taken, or the host is not an address of this machine, or listening is not allowed.
    """
    import errno
    import socket

    refusal = None
    for family, kind, protocol, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: a closed port's wait is no bar
            try:
                probe.bind(address)
                return
            except OSError as err:
                refusal = refusal or err
    if refusal is not None:
        field = "--host" if refusal.errno == errno.EADDRNOTAVAIL else "--port"
        raise ScenarioError(f"{host}:{port}", field, f"expected an address this machine can listen on, "
                                                     f"got: {refusal.strerror or refusal}")


def _check_compare_options(args: argparse.Namespace) -> None:
    """Refuse options ``skywatch compare`` cannot honour: a bad seed, format or count, or options of the other mode."""
    from sim.compare import FORMATS

    _check_seed(args.seed)
    if args.format not in FORMATS:
        raise ScenarioError("--format", args.format, f"expected one of {', '.join(FORMATS)}")
    if args.replications is None:
        given = [option for option in REPLICATION_OPTIONS if getattr(args, option.removeprefix("--")) not in (None, [])]
        if given:
            raise ScenarioError("compare", given[0], "applies only with --replications (run folders are compared as run)")
        return
    _check_replications(args.replications, len(args.items))


def _check_replications(replications: int, scenarios: int) -> None:
    """Refuse fewer than two replications, or more runs in all than a sweep may make."""
    from sim.sweep.design import DEFAULT_MAX_RUNS

    if replications < MIN_REPLICATIONS:
        raise ScenarioError("--replications", str(replications),
                            f"expected an integer ≥ {MIN_REPLICATIONS} (an interval needs two runs)")
    if replications * scenarios > DEFAULT_MAX_RUNS:
        raise ScenarioError("--replications", str(replications),
                            f"expected at most {DEFAULT_MAX_RUNS:,} runs in all, got {scenarios} scenarios × {replications}")


def _check_seed(seed: int) -> None:
    """Refuse a comparison seed outside the run seeds' range."""
    from sim.sweep.design import MAX_RUN_SEED

    if not 0 <= seed <= MAX_RUN_SEED:
        raise ScenarioError("--seed", str(seed), f"expected an integer from 0 to {MAX_RUN_SEED}")


def _run_replications(scenarios: dict[str, Scenario], args: argparse.Namespace, err_console: Console,
                      keep_dir: Path | None = None) -> list[Group]:
    """Run every scenario ``--replications`` times with common seeds, with a progress bar; return the groups.

    With ``keep_dir``, every run's folder is kept there (:func:`sim.compare.run_groups`).
    """
    from sim.compare import replicate_seeds, run_groups

    seeds = replicate_seeds(args.seed, args.replications)
    engine, client = _engine(args.scheduler, args.workers)
    failed = 0
    columns = progress_columns(TextColumn("failed {task.fields[failed]}", markup=False))
    try:
        with progress_bar(err_console, args.quiet, *columns) as progress:
            task = progress.add_task(f"compare {len(scenarios)} scenarios × {len(seeds)} replications",
                                     total=len(scenarios) * len(seeds), failed=failed)

            def on_row(row: dict[str, Any]) -> None:
                nonlocal failed
                failed += row["status"] != "ok"
                progress.update(task, advance=1, failed=failed)

            return run_groups(scenarios, seeds, engine, on_row, keep_dir)
    finally:
        if client is not None:
            client.close()


def cmd_compare(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Compare scenarios over replications (run folders grouped by scenario, or scenarios run here); write the folder."""
    from sim.compare import compare, console_table, default_folder, name_scenarios, read_groups, write_comparison
    from sim.outfolder import check_out
    from sim.viz.compare_figure import draw_comparison  # plotting stays out of the model's imports

    _check_compare_options(args)
    started = time.perf_counter()
    if args.replications is None:
        groups = read_groups(args.items)
        out = args.out or default_folder([group.label for group in groups])
        check_out(out, "comparison", args.force)
    else:
        scenarios = name_scenarios([(item, _with_overrides(load_scenario(item), args)) for item in args.items])
        preflight_all(scenarios.values())  # a scenario that validate refuses runs nothing
        out = args.out or default_folder(list(scenarios))
        check_out(out, "comparison", args.force)  # before any run: a refused folder costs nothing
        groups = _run_replications(scenarios, args, err_console)
    comparison = compare(groups, args.seed, replicated=args.replications is not None)
    if not args.quiet:
        out_console.print(console_table(comparison))
    for line in (*comparison.ratios, *(f"note: {note}" for note in comparison.notes)):
        out_console.print(line, soft_wrap=True)
    with writing_to(out):
        write_comparison(comparison, out, args.format, args.force, draw_comparison)
    out_console.print(f"comparison folder: {out}  ({time.perf_counter() - started:.1f} s)", soft_wrap=True)
    return 0


def cmd_calibrate(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Calibrate parameters against published figures (:mod:`sim.calibration.command`); a kill or Ctrl-C keeps the database."""
    from sim.calibration.command import calibrate

    try:
        return calibrate(args, out_console, err_console)
    except KeyboardInterrupt:
        print("skywatch: interrupted; finished generations are kept in the calibration folder, the same command continues",
              file=sys.stderr)
        return EXIT_INTERRUPTED


def cmd_brief(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    """Compare scenarios over paired replications and write the policy brief: one self-contained HTML file (and a PDF)."""
    import tempfile
    from datetime import UTC, datetime

    from sim.brief.pdf import find_chromium
    from sim.brief.report import BriefRequest, check_brief_out, default_brief_path, render_brief, write_brief
    from sim.compare import compare, name_scenarios

    _check_seed(args.seed)
    _check_replications(args.replications, len(args.scenarios))
    chromium = find_chromium() if args.pdf else None
    started = time.perf_counter()
    arguments = [(item, _with_overrides(load_scenario(item), args)) for item in args.scenarios]
    scenarios = name_scenarios(arguments)
    preflight_all(scenarios.values())  # a scenario that validate refuses runs nothing
    out = args.out
    if out is None:
        out = default_brief_path(list(scenarios))
        out.parent.mkdir(parents=True, exist_ok=True)
    check_brief_out(out, args.force, args.pdf)  # before any run: a refused output costs nothing
    request = BriefRequest(scenarios, dict(zip(scenarios, args.scenarios, strict=True)), args.replications,
                           shlex.join(["skywatch", *args.argv]))
    with tempfile.TemporaryDirectory(prefix="skywatch-brief-") as runs:
        groups = _run_replications(scenarios, args, err_console, keep_dir=Path(runs))
        comparison = compare(groups, args.seed, replicated=True)
        html = render_brief(request, comparison, Path(runs), datetime.now(UTC))
    with writing_to(out):
        written = write_brief(html, out, chromium)
    for line in (*comparison.ratios, *(f"note: {note}" for note in comparison.notes)):
        out_console.print(line, soft_wrap=True)
    out_console.print(f"brief: {', '.join(map(str, written))}  ({time.perf_counter() - started:.1f} s)", soft_wrap=True)
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``skywatch: error: ...``, with exit code 2, as any bad input's."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` on one line with where to find the usage, and exit 2 (argparse prints the usage too)."""
        error(f"{one_line(message)} (see {self.prog} --help)")
        self.exit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skywatch`` command (its subcommands' parsers of the same class)."""
    parser = _Parser(
        prog="skywatch", description="Agent-based model of drone surveillance over trafficking routes."
    )
    parser.add_argument("--version", action="version", version=f"skywatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write a run folder")
    run.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    run.add_argument("--seed", type=int, help="seed of what happens (overrides run.seed)")
    run.add_argument("--world-seed", type=int, metavar="N", help="seed of the world (overrides world.seed)")
    run.add_argument("--steps", type=int, help="steps to run (overrides run.steps)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter, e.g. drones.count=40")
    run.add_argument("--out", type=Path, help="run folder (default runs/SCENARIO-seedN, runs/SCENARIO-worldW-seedN if W ≠ 0)")
    run.add_argument("--force", action="store_true", help="replace an existing Skywatch run folder (nothing else)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    run.set_defaults(handler=cmd_run)

    sub.add_parser("params", help="list every parameter").set_defaults(handler=cmd_params)
    sub.add_parser("scenarios", help="list the shipped scenarios").set_defaults(handler=cmd_scenarios)
    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("file", help="a scenario file, or the name of a shipped scenario")
    validate.set_defaults(handler=cmd_validate)

    sweep = sub.add_parser("sweep", help="run a sweep: many runs over a design, into one results table")
    sweep.add_argument("sweep", help="a sweep file, or the name of a shipped sweep_* file")
    sweep.add_argument("--workers", type=int, help=WORKERS_HELP)
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786")
    sweep.add_argument("--out", type=Path, help="sweep folder (default sweeps/SWEEP)")
    again = sweep.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="finish an interrupted sweep: run only the missing runs")
    again.add_argument("--force", action="store_true",
                       help="start over: replace an existing Skywatch sweep folder once the new sweep is complete")
    sweep.add_argument("--keep-runs", action="store_true", help="keep every run's folder under OUT/runs/")
    sweep.add_argument("--no-plots", action="store_true", help="do not draw the figures at the end")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)

    plot = sub.add_parser("plot", help="draw the figures of a sweep folder or a run folder")
    plot.add_argument("dir", type=Path, help="a sweep folder (results.parquet) or a run folder (summary.json)")
    plot.add_argument(
        "--animate", action="store_true", help="for a run folder, also write animation.gif (animation.mp4 with ffmpeg)"
    )
    plot.add_argument("--quiet", action="store_true", help="no progress bar")
    plot.set_defaults(handler=cmd_plot)

    viz = sub.add_parser("viz", help="serve the live page of a scenario in the browser (map, controls, headline, charts)")
    viz.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    viz.add_argument("--host", type=_host, default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only)")
    viz.add_argument("--port", type=_port, default=8765, help="port to listen on, 1 to 65535 (default 8765)")
    viz.set_defaults(handler=cmd_viz)

    compare = sub.add_parser(
        "compare", help="compare scenarios over replications: means, intervals, paired differences, cost per extra seizure"
    )
    compare.add_argument("items", nargs="+", metavar="DIR_OR_SCENARIO",
                         help="run folders, grouped by scenario (the first scenario is the reference); "
                              "with --replications, scenario files or shipped scenarios' names")
    compare.add_argument("--replications", type=int, metavar="N",
                         help="run each scenario N times; replicate r has the same run seed in every scenario")
    compare.add_argument("--seed", type=int, default=0,
                         help="comparison seed: the run seeds derive from it (default 0)")
    compare.add_argument("--steps", type=int, help="with --replications: steps to run (overrides run.steps)")
    compare.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="with --replications: override a parameter of every scenario")
    compare.add_argument("--workers", type=int, help=f"with --replications: {WORKERS_HELP}")
    compare.add_argument("--scheduler", metavar="ADDRESS", help="with --replications: run on an existing Dask cluster")
    compare.add_argument("--out", type=Path, help="comparison folder (default comparisons/FIRST-vs-OTHERS)")
    compare.add_argument("--force", action="store_true", help="replace an existing Skywatch comparison folder (nothing else)")
    compare.add_argument("--format", default="csv", help="table format: csv (default) or parquet")
    compare.add_argument("--quiet", action="store_true", help="no progress bar or table")
    compare.set_defaults(handler=cmd_compare)

    calibrate = sub.add_parser("calibrate", help="fit parameters to published figures with ABC-SMC (pyabc); resumable")
    calibrate.add_argument("config", type=Path, help="a calibration file (see calibration/baseline.toml)")
    calibrate.add_argument("--out", type=Path, help="calibration folder (default calibrations/CONFIG); rerun to continue it")
    calibrate.add_argument("--scheduler", metavar="ADDRESS", help="evaluate on an existing Dask cluster, e.g. tcp://host:8786")
    calibrate.add_argument("--workers", type=int, help=WORKERS_HELP)
    calibrate.set_defaults(handler=cmd_calibrate)

    brief = sub.add_parser("brief", help="write a policy brief: one self-contained HTML page comparing scenarios")
    brief.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                       help="scenario files or shipped scenarios' names; the first is the reference")
    brief.add_argument("--replications", type=int, required=True, metavar="N",
                       help="run each scenario N times (N ≥ 2); replicate r has the same run seed in every scenario")
    brief.add_argument("--seed", type=int, default=0, help="comparison seed: the run seeds derive from it (default 0)")
    brief.add_argument("--steps", type=int, help="steps to run (overrides run.steps of every scenario)")
    brief.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter of every scenario")
    brief.add_argument("--workers", type=int, help=WORKERS_HELP)
    brief.add_argument("--out", type=Path, help="the HTML file (default briefs/FIRST-vs-OTHERS.html)")
    brief.add_argument("--pdf", action="store_true", help="also print it to a PDF beside it (needs Debian's Chromium)")
    brief.add_argument("--force", action="store_true", help="replace an existing file at --out (and its PDF)")
    brief.add_argument("--quiet", action="store_true", help="no progress bar")
    brief.set_defaults(handler=cmd_brief, scheduler=None)  # local workers only: the brief reads the runs' folders here
    return parser


def error(message: str) -> None:
    """Print ``skywatch: error: MESSAGE`` on standard error (one line per line of ``message``)."""
    for line in message.splitlines() or [""]:
        print(f"skywatch: error: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``skywatch``; returns the exit code."""
    for argument in sys.argv[1:] if argv is None else argv:
        if not argument.isascii() and _undecodable(argument):
            error(f"argument {printable(argument.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace'))}: "
                  "expected UTF-8 text (names and paths are written into outputs that must be UTF-8)")
            return EXIT_BAD_INPUT
    args = build_parser().parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # the command as typed, for the records that quote it
    try:
        return args.handler(args, console(), console(stderr=True))
    except ScenarioError as err:  # ScenarioErrors (several errors in one file) gives one line per error
        error(str(_blamed_on_set(err, args)))
        return EXIT_BAD_INPUT
    except OSError as err:
        error(describe(err))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("skywatch: interrupted; no file was left half-written (files finished before are kept)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        traceback.print_exc()
        print(f"skywatch: internal error: {type(err).__name__}: {printable(str(err))} "
              "(a bug in skywatch, not in the input; please report it with the traceback above)", file=sys.stderr)
        return EXIT_INTERNAL


def _expanded(path: str) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded (as it is, where there is no such home)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)


def _port(text: str) -> int:
    """A TCP port number from the command line (argparse refuses it in one line otherwise)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to {MAX_PORT}, got {text!r}")
    return port


def _host(text: str) -> str:
    """A host name or address to listen on that this machine can resolve (argparse refuses it in one line otherwise).

    An empty one is refused too: it would listen on every interface, not the one the user meant.
    """
    import socket

    try:
        if text.strip():
            socket.getaddrinfo(text, None)
            return text
    except (OSError, UnicodeError):
        pass
    raise argparse.ArgumentTypeError(f"expected a host name or address this machine can resolve, such as 127.0.0.1, "
                                     f"got {text!r}")


def _undecodable(argument: str) -> bool:
    """Whether a command-line argument holds bytes that are not UTF-8 (decoded by Python as lone surrogates)."""
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _interrupt(_signal_number: int, _frame: object) -> None:
    """Handle SIGTERM as Ctrl-C (:class:`KeyboardInterrupt`): what was being written is removed, what was kept stays.

    The worker processes (which Ctrl-C at a terminal reaches too) are stopped first: a pool waits for its runs in flight.
    """
    import multiprocessing

    for child in multiprocessing.active_children():
        child.terminate()
    raise KeyboardInterrupt


def launch() -> NoReturn:
    """The ``skywatch`` command: :func:`main` on the command line's arguments, then exit at once with its code.

    An orderly interpreter shutdown tears down every module loaded (numba's LLVM, pandas,
    matplotlib, SciPy), about 0.3 s of CPU that changes nothing: every file a command writes is
    closed before :func:`main` returns, and the standard streams are flushed here.
    """
    signal.signal(signal.SIGTERM, _interrupt)  # a polite kill cleans up as Ctrl-C does: no staging folder left behind
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe: what was printed is lost either way
            stream.flush()
    os._exit(code)
