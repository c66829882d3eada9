"""Run folders side by side: the headline outcomes of several runs (``skywatch compare``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from sim.outcomes import OUTCOMES, format_value
from sim.scenario import ScenarioError

SUMMARY = "summary.json"
METRICS = "metrics.csv"
NOT_A_RUN = "expected a run folder written by skywatch run"

# Outcomes shown, in the registry's order; a key missing from every run's summary is skipped.
HEADLINE: tuple[str, ...] = tuple(o.name for o in OUTCOMES if o.compared and o.where != "metrics")


@dataclass(frozen=True)
class RunRecord:
    """One run folder, read.

    Attributes:
        name: the folder's name.
        path: the folder.
        summary: its ``summary.json``.
        metrics: its ``metrics.csv``, one row per step.
    """

    name: str
    path: Path
    summary: dict[str, Any]
    metrics: pd.DataFrame


def _read(path: Path, file_name: str, reader: Callable[[Path], Any]) -> Any:
    try:
        return reader(path / file_name)
    except (OSError, ValueError) as err:  # ValueError: bad JSON or CSV, undecodable text
        raise ScenarioError(path, file_name, NOT_A_RUN) from err


def load_runs(dirs: list[Path]) -> list[RunRecord]:
    """Read run folders (``summary.json`` and ``metrics.csv``), in the order given.

    Raises:
        ScenarioError: a folder without a readable ``summary.json`` or ``metrics.csv``.
    """
    runs = []
    for path in map(Path, dirs):
        summary = _read(path, SUMMARY, lambda file: json.loads(file.read_text()))
        if not isinstance(summary, dict):
            raise ScenarioError(path, SUMMARY, NOT_A_RUN)
        runs.append(RunRecord(path.resolve().name, path, summary, _read(path, METRICS, pd.read_csv)))
    return runs


def _rows(runs: list[RunRecord]) -> Iterator[tuple[str, list[Any]]]:
    """(label, value per run) for each headline outcome; a dict outcome gives one row per key."""
    for key in HEADLINE:
        if all(key not in run.summary for run in runs):
            continue
        values = [run.summary.get(key) for run in runs]
        parts = [v for v in values if isinstance(v, dict)]
        if not parts:
            yield key, values
            continue
        for part in dict.fromkeys(k for v in parts for k in v):
            yield f"{key}: {part}", [v.get(part) if isinstance(v, dict) else None for v in values]


def comparison_table(runs: list[RunRecord]) -> Table:
    """A table with one row per headline outcome and one column per run."""
    table = Table(title="Headline outcomes", show_header=True, header_style="bold")
    table.add_column("outcome")
    for run in runs:
        table.add_column(run.name, justify="right")
    for label, values in _rows(runs):
        table.add_row(label, *map(format_value, values))
    return table
