"""The per-step metrics of a run (the rows of ``metrics.csv``), recorded into preallocated arrays.

It reads the model as Mesa's ``DataCollector`` does (one reporter per column, called once per
step) and offers the same two readers (``model_vars``, ``get_model_vars_dataframe``), without
its per-step work: no deep copies of scalars, no per-step lists, one typed array per column
grown by doubling. A column's dtype is the one pandas would infer from the values recorded:
integers int64, floats float64, booleans bool; ints and floats mixed (or a None among them, as
NaN) float64, any other mix an object column, so the frame equals the DataCollector's.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

import numpy as np

INITIAL_ROWS = 1024  # rows allocated before the first doubling (a week of 15-minute steps, and the start)


def _kind(value: Any) -> str:
    """The numpy dtype kind a column of ``value`` takes: ``b``, ``i``, ``f``, or ``O`` for anything else."""
    if isinstance(value, bool | np.bool_):
        return "b"
    if isinstance(value, int | np.integer):
        return "i"
    if isinstance(value, float | np.floating):
        return "f"
    return "O"


DTYPES = {"b": np.bool_, "i": np.int64, "f": np.float64, "O": object}


class _Unmatched:
    """The expected type of an object column: no value is of it, so every value takes the careful path."""


class MetricsRecorder:
    """One row per :meth:`collect` of every reporter's value, in typed arrays.

    Args:
        reporters: column name → function of the model giving the column's value now.
        rows: rows to allocate at first (the run's steps and its start).
    """

    def __init__(self, reporters: dict[str, Callable[[Any], Any]], rows: int = INITIAL_ROWS) -> None:
        self.reporters = reporters
        self.names = tuple(reporters)
        self.read = tuple(reporters.values())
        self.rows = 0
        self.capacity = max(1, rows)
        self.columns: list[np.ndarray] = []
        self.kinds: list[str] = []  # each column's dtype kind (see :func:`_kind`)
        self.types: list[type] = []  # each column's expected value type: any other takes :meth:`_admit`

    def collect(self, model: Any) -> None:
        """Record one row: every reporter's value on ``model`` now."""
        values = [read(model) for read in self.read]
        if not self.columns:
            self.kinds = [_kind(v) for v in values]
            self.types = [type(v) if k != "O" else _Unmatched for v, k in zip(values, self.kinds, strict=True)]
            self.columns = [np.empty(self.capacity, dtype=DTYPES[k]) for k in self.kinds]
        elif self.rows == self.capacity:
            self.capacity *= 2
            self.columns = [np.resize(c, self.capacity) for c in self.columns]
        row, types, columns = self.rows, self.types, self.columns
        for k, value in enumerate(values):
            if type(value) is types[k]:  # the common case: the type the column was made for
                columns[k][row] = value
            else:
                self._admit(k, row, value)
        self.rows = row + 1

    def _admit(self, k: int, row: int, value: Any) -> None:
        """Put ``value`` at ``row`` of column ``k``, first giving the column the dtype pandas infers once it joins.

        An int joining floats, a float joining ints or a None joining either makes float64 (None as
        NaN); any other mix an object column (whose values are copied, as the DataCollector copies them).
        """
        kind = _kind(value)
        if value is None and self.kinds[k] in "if":  # a missing number: NaN in a float column, as pandas reads it
            kind, value = "f", np.nan
        if kind != self.kinds[k]:
            widened = "f" if {kind, self.kinds[k]} == {"i", "f"} else "O"
            if widened != self.kinds[k]:
                self.columns[k] = self.columns[k].astype(DTYPES[widened])
                self.kinds[k] = widened
                self.types[k] = float if widened == "f" else _Unmatched
        self.columns[k][row] = deepcopy(value) if self.kinds[k] == "O" else value

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Column name → its values so far, one per row (as the DataCollector's ``model_vars``)."""
        return {name: column[:self.rows].tolist() for name, column in zip(self.names, self.columns, strict=False)}

    def get_model_vars_dataframe(self) -> Any:
        """The rows so far as a pandas DataFrame, one column per reporter, indexed 0, 1, ..."""
        import pandas as pd  # the model runs without pandas; its readers need it

        if not self.columns:
            return pd.DataFrame({name: [] for name in self.names})
        return pd.DataFrame({name: column[:self.rows].copy() for name, column in zip(self.names, self.columns, strict=True)})
