"""Sites where the user puts them: sources, sinks, air bases, checkpoints, unit posts and infrastructure, in km.

A kind's sites come from its list ``sites.KIND_km`` followed by the rows of kind KIND in the CSV
``sites.file`` (header ``kind,x_km,y_km`` in any order, other columns ignored, spaces after the
commas skipped); x runs west to east and y north to south from the raster's north-west corner,
as in ``airspace.zones_km``. Given sites replace
the kind's random placement, and the kind's count parameter (:data:`COUNTS`) must equal their
number, so costs, platforms and the resolved scenario all count what is on the map. A site lies
in the cell holding it (a point on the east or south edge in the last cell); a ground site (all
but air bases) on an impassable cell moves to the nearest passable cell, by straight-line
distance between cell centres.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from scipy.ndimage import distance_transform_edt

from sim.scenario import SOURCE_CHARS, Scenario, ScenarioError, one_line, shown

# Each kind of site and the count parameter that must equal the number given.
COUNTS = {"sources": "world.sources", "sinks": "world.sinks", "bases": "drones.bases",
          "checkpoints": "ground.checkpoints", "posts": "ground.units", "infrastructure": "world.infrastructure"}
AIR_KINDS = ("bases",)  # sites that need not be passable: aircraft fly from them
FILE_FIELD = "sites.file"
COLUMNS = ("kind", "x_km", "y_km")
MAX_FILE_BYTES = 8 << 20  # 8 MiB: far more than the most sites the counts allow, a few dozen bytes each


def list_field(kind: str) -> str:
    """The parameter listing the sites of ``kind``: ``sites.sources_km``."""
    return f"sites.{kind}_km"


def _file_rows(scenario: Scenario) -> list[tuple[str, float, float, str]]:
    """(kind, x km, y km, where) of each row of ``sites.file``, or none when it is unset.

    Raises:
        ScenarioError: the file is missing, unreadable, too large or not UTF-8; its header lacks a
            column; a row has an unknown kind or a value that is not a finite number.
    """
    path = scenario.resolve_path(FILE_FIELD)
    if path is None:
        return []

    def refused(expected: str) -> ScenarioError:
        return ScenarioError(scenario.source, FILE_FIELD, f"{expected}: {one_line(str(path), SOURCE_CHARS)}")

    text = _read_text(path, refused)
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise refused(f"expected a CSV with header columns {','.join(COLUMNS)}, got one without {', '.join(missing)}")
    rows = []
    for row in reader:
        line = reader.line_num
        kind = row["kind"]
        if kind not in COUNTS:
            raise refused(f"line {line}: expected kind one of {'|'.join(COUNTS)}, got {shown(kind)}")
        x, y = (_finite(row[column]) for column in COLUMNS[1:])
        if x is None or y is None:
            raise refused(f"line {line}: expected numbers x_km and y_km, got {shown(row['x_km'])} and {shown(row['y_km'])}")
        rows.append((kind, x, y, f"{FILE_FIELD} line {line}"))
    return rows


def _read_text(path: Path, refused) -> str:
    """The UTF-8 text of ``path``, at most :data:`MAX_FILE_BYTES` long; ``refused(expected)`` makes the error raised."""
    if not path.is_file():
        raise refused("file not found" if not path.exists() else "expected a regular CSV file")
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise refused(f"cannot read it ({err.strerror or type(err).__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise refused(f"expected a CSV file of at most {MAX_FILE_BYTES:,} bytes, got a larger one")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused("expected a UTF-8 text file") from None


def _finite(text: str | None) -> float | None:
    """``text`` as a finite number, or None when it is not one (or the row is short)."""
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and np.isfinite(value) else None


def given_sites(scenario: Scenario, passable: np.ndarray) -> dict[str, np.ndarray]:
    """Flat cells of the sites given for each kind that has some, in the order given (lists first, then the file).

    Args:
        scenario: the scenario naming the sites.
        passable: (H, W) bool cells a ground site may lie on.

    Raises:
        ScenarioError: a bad ``sites.file`` (:func:`_file_rows`), a site outside the world, or a
            count parameter other than the number of sites given of its kind.
    """
    h, w = passable.shape
    cell_km = scenario.params.world.cell_km
    points: dict[str, list[tuple[float, float, str]]] = {}
    for kind in COUNTS:
        name = list_field(kind)
        points[kind] = [(x, y, f"{name}[{i}]") for i, (x, y) in enumerate(scenario.values[name])]
    for kind, x, y, where in _file_rows(scenario):
        points[kind].append((x, y, where))

    nearest = _nearest_passable(passable) if any(points.values()) else None
    cells: dict[str, np.ndarray] = {}
    for kind, given in points.items():
        if not given:
            continue
        count_name = COUNTS[kind]
        count = scenario.values[count_name]
        if count != len(given):
            raise ScenarioError(scenario.source, count_name, f"expected {len(given)}, the number of {kind} given in "
                                                             f"{list_field(kind)} and {FILE_FIELD}, got {count}")
        flat = np.empty(len(given), dtype=np.int64)
        for i, (x, y, where) in enumerate(given):
            if not (0 <= x <= w * cell_km and 0 <= y <= h * cell_km):
                raise ScenarioError(scenario.source, where, f"expected a point inside the world, x in [0, {w * cell_km:g}] and "
                                                            f"y in [0, {h * cell_km:g}] km, got {shown([x, y])}")
            row, col = min(int(y // cell_km), h - 1), min(int(x // cell_km), w - 1)
            if kind not in AIR_KINDS and not passable[row, col]:
                row, col = int(nearest[0, row, col]), int(nearest[1, row, col])
            flat[i] = row * w + col
        cells[kind] = flat
    return cells


def _nearest_passable(passable: np.ndarray) -> np.ndarray:
    """(2, H, W) row and column of the passable cell nearest each cell (the cell itself when passable, or when none is)."""
    if not passable.any():
        return np.indices(passable.shape)
    return distance_transform_edt(~passable, return_indices=True)[1]


def cell_centres(cells: np.ndarray, width: int) -> np.ndarray:
    """(n, 2) float64 x, y of the centres of flat ``cells``, cell units."""
    rows, cols = np.divmod(cells, width)
    return np.column_stack([cols + 0.5, rows + 0.5]).astype(np.float64)
