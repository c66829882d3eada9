"""The shipped reference file of published figures (``sim/data/reference_figures.toml``).

Each figure gives its value (or a ``low``/``high`` bound: "< 3 %" is 0 to 0.03), unit, what it measures, where
and when it applies, its source, the uncertainty a calibration gives it, whether it was confirmed against its
public source, and the model statistic it can be a target for (:mod:`sim.calibration.statistics`; empty for a
figure kept as context only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sim.scenario import ScenarioError, read_toml

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "reference_figures.toml"
STATUSES = ("confirmed", "flagged")
TEXT_FIELDS = ("unit", "measures", "where", "when", "citation", "url", "status", "checked", "statistic")


@dataclass(frozen=True)
class ReferenceFigure:
    """One published figure.

    Attributes:
        id: its key in the reference file.
        value: the figure, or None for a bound.
        low: the bound's lower end (the value itself for a point figure).
        high: the bound's upper end (the value itself for a point figure).
        unit: its unit (``-`` for a share).
        measures: what it measures, in one line.
        where: where it applies.
        when: when it applies.
        citation: the source.
        url: the page the figure was checked on.
        uncertainty: one standard deviation, in ``unit``: what a calibration divides a miss by.
        status: ``confirmed`` or ``flagged``.
        why: for a flagged figure, what was found instead.
        checked: what the public source said when it was checked.
        statistic: the model statistic it is a target for, or "" (context only).
    """

    id: str
    value: float | None
    low: float
    high: float
    unit: str
    measures: str
    where: str
    when: str
    citation: str
    url: str
    uncertainty: float
    status: str
    why: str
    checked: str
    statistic: str

    @property
    def target(self) -> float:
        """The number a calibration aims at: the value, or a bound's midpoint."""
        return self.value if self.value is not None else (self.low + self.high) / 2


def _number(entry: dict, key: str, source: Path, field: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, f"{field}.{key}", f"expected a number, got {value!r}")
    return float(value)


def _figure(figure_id: str, entry: object, source: Path) -> ReferenceFigure:
    """One checked entry of the reference file."""
    field = f"figures.{figure_id}"
    if not isinstance(entry, dict):
        raise ScenarioError(source, field, "expected a table")
    text = {}
    for key in TEXT_FIELDS:
        if not isinstance(entry.get(key), str):
            raise ScenarioError(source, f"{field}.{key}", "expected a string")
        text[key] = entry[key]
    if text["status"] not in STATUSES:
        raise ScenarioError(source, f"{field}.status", f"expected one of {'|'.join(STATUSES)}")
    if not text["citation"] or not text["url"].startswith("https://"):
        raise ScenarioError(source, f"{field}.citation", "expected a citation and an https:// url")
    why = entry.get("why", "")
    if text["status"] == "flagged" and not (isinstance(why, str) and why):
        raise ScenarioError(source, f"{field}.why", "a flagged figure says why")
    if "value" in entry:
        value = _number(entry, "value", source, field)
        low = high = value
    else:
        value = None
        low, high = _number(entry, "low", source, field), _number(entry, "high", source, field)
        if not low < high:
            raise ScenarioError(source, field, "expected low < high")
    uncertainty = _number(entry, "uncertainty", source, field)
    if not uncertainty > 0:
        raise ScenarioError(source, f"{field}.uncertainty", "expected a positive number")
    return ReferenceFigure(figure_id, value, low, high, text["unit"], text["measures"], text["where"], text["when"],
                           text["citation"], text["url"], uncertainty, text["status"], why, text["checked"],
                           text["statistic"])


def read_reference(path: Path) -> dict[str, ReferenceFigure]:
    """Every figure of a reference file, by id.

    Raises:
        ScenarioError: the file is not TOML or an entry lacks a field, a source or a valid value.
    """
    doc = read_toml(path)
    figures = doc.get("figures")
    if not isinstance(figures, dict) or not figures:
        raise ScenarioError(path, "figures", "expected [figures.ID] tables")
    return {figure_id: _figure(figure_id, entry, path) for figure_id, entry in figures.items()}


@cache
def load_reference() -> dict[str, ReferenceFigure]:
    """The shipped reference figures, by id (read once per process)."""
    return read_reference(REFERENCE_FILE)
