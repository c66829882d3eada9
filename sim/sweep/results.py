"""A sweep's results: one row per run, journaled as runs finish, and the ``results.parquet`` table.

Each finished run's row is appended to ``journal.jsonl`` and flushed at once, so a killed sweep
loses at most the runs in flight. ``results.parquet`` is rebuilt from the journal (written to a
temporary file and renamed into place) while the sweep runs and at its end, sorted by
(point, replicate). A half-written last journal line, left by a kill, is dropped on resume.
The table's Parquet schema metadata holds its provenance (:func:`sweep_provenance`), each field
under ``skywatch.NAME``: ``pyarrow.parquet.read_schema(path).metadata``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.outcomes import MAX_OUTCOME
from sim.outfolder import open_regular, replace_file
from sim.provenance import WORLD_SEED, provenance
from sim.scenario import INT64_MAX, INT64_MIN, ScenarioError, known_param, one_line, shown
from sim.sweep.design import Run, SweepSpec

if TYPE_CHECKING:
    import pandas as pd

JOURNAL = "journal.jsonl"
RESULTS = "results.parquet"
IDENTITY = ("run_id", "point", "replicate", "seed")
TIMINGS = ("wall_s", "cpu_s")  # a run's wall and CPU seconds in its worker: the only columns two equal sweeps differ in
STATUS = ("status", "error", *TIMINGS)
RUN_STATUSES = ("ok", "failed")  # what a run's status is: it finished, or it raised
# Summary keys that identify the run rather than measure it: the run seed is an identity column, the world seed
# the base scenario's (in sweep.toml) or a swept parameter's column.
NOT_OUTCOMES = frozenset({"seed", "world_seed"})
ROW_EXPECTED = "expected a run's row written by skywatch sweep"
METADATA_PREFIX = "skywatch."  # results.parquet's provenance fields are skywatch.version, skywatch.sweep_seed, ...


def outcomes(summary: dict[str, Any]) -> dict[str, float | int | None]:
    """The scalar outcomes of a run's summary: numbers and nulls, mappings flattened to ``key.name``."""
    flat: dict[str, float | int | None] = {}
    for key, value in summary.items():
        if key in NOT_OUTCOMES:
            continue
        if isinstance(value, dict):
            flat.update(outcomes({f"{key}.{name}": v for name, v in value.items()}))
        elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            flat[key] = None if isinstance(value, float) and math.isnan(value) else value
    return flat


def row_problem(row: Any, planned: dict[str, Run]) -> str | None:
    """What is wrong with ``row``, read back from a journal of the sweep planning ``planned`` (by run id); None if nothing.

    A row must hold a planned run's identity and swept values as planned, text for its status and
    error, and for everything else a number a results column holds, or null.
    """
    if not isinstance(row, dict) or not isinstance(row.get("run_id"), str) or not {"seed", "status"} <= row.keys():
        return ROW_EXPECTED
    run = planned.get(row["run_id"])
    fixed = [*IDENTITY, *run.values] if run is not None else []
    expected = _row(run, {}, "", "", 0.0, 0.0) if run is not None else {}
    if run is None or json.dumps([row.get(key) for key in fixed]) != json.dumps([expected[key] for key in fixed]):
        return f"run {shown(row['run_id'])} is not one this sweep plans (its identity or swept values differ)"
    for key, value in row.items():
        text = key in ("status", "error")
        if key not in fixed and not (isinstance(value, str) if text else _fits_a_column(value)):
            return f"{ROW_EXPECTED}; its {key} holds {shown(value)}, expected {'text' if text else 'a number or null'}"
    return None


def _fits_a_column(value: Any) -> bool:
    """Whether ``value`` fits a results column of numbers: null, a float, an integer of 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return INT64_MIN <= value <= INT64_MAX
    return value is None or isinstance(value, float)


def _row(run: Run, measured: dict[str, Any], status: str, error: str, wall_s: float, cpu_s: float) -> dict[str, Any]:
    return {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, "seed": run.seed,
            **run.values, **measured, "status": status, "error": error, "wall_s": wall_s, "cpu_s": cpu_s}


def result_row(run: Run, summary: dict[str, Any], wall_s: float, cpu_s: float) -> dict[str, Any]:
    """The row of a run that finished in ``wall_s`` seconds, ``cpu_s`` of them on its worker's processors."""
    return _row(run, outcomes(summary), "ok", "", wall_s, cpu_s)


def failed_row(run: Run, error: str, wall_s: float, cpu_s: float) -> dict[str, Any]:
    """The row of a run that raised ``error`` (one line); its outcomes are missing."""
    return _row(run, {}, "failed", " ".join(error.split()), wall_s, cpu_s)


class Journal:
    """The append-only record of finished runs, one JSON object a line."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL
        self._file = None

    def read(self) -> list[Any]:
        """Values recorded so far, one a line (rows unless tampered with); a truncated last line (a kill mid-write) is left out.

        Raises:
            ScenarioError: a line nests too deep, holds an integer too long to read or a NaN or infinity (rows hold
                none: a missing figure is null): no kill leaves that.
        """
        if not self.path.exists():
            return []
        rows = []
        with open_regular(self.path, "file") as file:
            for number, line in enumerate(file, start=1):
                try:
                    rows.append(json.loads(line, parse_constant=_no_constant))
                except _NotFinite as err:
                    raise ScenarioError(self.path, f"line {number}", f"{ROW_EXPECTED}, found {err}") from None
                except (json.JSONDecodeError, UnicodeDecodeError):
                    break
                except (ValueError, RecursionError):
                    raise ScenarioError(self.path, f"line {number}", f"{ROW_EXPECTED}, found JSON nested too deep "
                                        "or an integer too long") from None
        return rows

    def rewrite(self, rows: Iterable[dict[str, Any]]) -> None:
        """Replace the journal with ``rows`` atomically (temporary file, then rename)."""
        replace_file(self.path, lambda temp: temp.write_text("".join(_line(row) for row in rows), encoding="utf-8"))

    def append(self, row: dict[str, Any]) -> None:
        """Record one row and flush it to the operating system at once."""
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(_line(row))
        self._file.flush()

    def close(self) -> None:
        """Close the journal file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def results_frame(rows: Iterable[dict[str, Any]], parameters: Iterable[str]) -> pd.DataFrame:
    """The results table: identity, swept parameters, outcomes, status; sorted by (point, replicate)."""
    import pandas as pd  # here, as pyarrow below: a sweep's workers make rows, never tables (0.5 s of CPU each)

    frame = pd.DataFrame(sorted(rows, key=lambda r: (r["point"], r["replicate"])))
    fixed = [*IDENTITY, *parameters]
    measured = [c for c in frame.columns if c not in fixed and c not in STATUS]
    for column in measured:
        if frame[column].dtype == object:  # nulls only, or numbers with nulls: a float column with NaN
            frame[column] = frame[column].astype(float)
    return frame.reindex(columns=[*fixed, *measured, *STATUS]).reset_index(drop=True)


class _NotFinite(Exception):
    """A journal line holds NaN or an infinity, which no row is written with."""


def _no_constant(name: str) -> None:
    raise _NotFinite(name)


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, allow_nan=False) + "\n"


def sweep_provenance(spec: SweepSpec) -> dict[str, str]:
    """The version, the base scenario's digest (``[sweep.fixed]`` applied), the sweep seed and the world seed.

    A swept world seed is recorded as ``swept``: each run's is in its ``world.seed`` column.
    """
    fields = provenance(spec.base, sweep_seed=spec.seed)
    if WORLD_SEED in spec.parameters:
        fields["world_seed"] = "swept"
    return fields


def write_results(frame: pd.DataFrame, folder: Path, provenance_fields: dict[str, str]) -> Path:
    """Write ``results.parquet`` into ``folder`` atomically, ``provenance_fields`` in its schema metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra = {f"{METADATA_PREFIX}{name}".encode(): value.encode() for name, value in provenance_fields.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    replace_file(folder / RESULTS, lambda temp: pq.write_table(table, temp))
    return folder / RESULTS


def read_results(folder: Path) -> pd.DataFrame:
    """The results table of a sweep folder.

    Raises:
        ScenarioError: the file is not a readable Parquet table (ValueError covers pyarrow's ArrowInvalid), or lacks
            one of the columns every sweep writes.
    """
    import pandas as pd

    try:
        frame = pd.read_parquet(folder / RESULTS)
    except ValueError as err:
        expected = f"expected a results table written by skywatch sweep ({one_line(str(err), 120)})"
        raise ScenarioError(folder / RESULTS, "file", expected) from None
    missing = [column for column in (*IDENTITY, "status") if column not in frame.columns]
    if missing:
        raise ScenarioError(folder / RESULTS, missing[0], "expected a column of every results table skywatch sweep writes "
                            f"({', '.join((*IDENTITY, 'status'))}); it has none")
    return _checked_columns(frame, folder / RESULTS)


def _checked_columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` with its numeric parameters' and outcomes' columns as numbers, once checked to hold what a sweep writes.

    Refused: points, replicates or seeds not whole numbers, a status neither ok nor failed, a numeric parameter's
    level or an outcome neither a number nor missing, or an outcome too large to draw.

    Raises:
        ScenarioError: naming the first such column and value.
    """
    import pandas as pd

    def refuse(column: str, expected: str, values: pd.Series) -> None:
        raise ScenarioError(path, column, f"expected {expected}, got {shown(values.iloc[0])}")

    for column in IDENTITY[1:]:  # the run id is text
        if not pd.api.types.is_integer_dtype(frame[column]):
            refuse(column, "whole numbers", frame[column])
    wrong = frame["status"][~frame["status"].isin(RUN_STATUSES)]
    if len(wrong):
        refuse("status", " or ".join(map(shown, RUN_STATUSES)), wrong)
    numeric = {}
    for column in frame.columns:
        param = known_param(str(column))
        if column in IDENTITY or column in STATUS or (param is not None and param.kind not in (int, float)):
            continue
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            wrong = values[values.map(lambda v: pd.api.types.is_bool(v) or not (v is None or isinstance(v, Real)))]
            if len(wrong):
                refuse(column, f"numbers (levels of {column})" if param else "an outcome: numbers, or nothing where a "
                       "run has none", wrong)
            numeric[column] = values = values.astype(float)  # numbers and nulls only: a float column with NaN
        if param is None and (too_large := values[values.abs() > MAX_OUTCOME]).size:
            refuse(column, f"an outcome of magnitude at most {MAX_OUTCOME:g}", too_large)
    return frame.assign(**numeric)


def read_provenance(folder: Path) -> dict[str, str]:
    """The provenance fields in the metadata of a sweep folder's ``results.parquet`` (none from older versions)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(folder / RESULTS).metadata or {}
    prefix = METADATA_PREFIX.encode()
    return {key[len(prefix):].decode(): value.decode() for key, value in metadata.items() if key.startswith(prefix)}
