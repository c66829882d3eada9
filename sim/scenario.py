"""Loading, validating and overriding scenario files.

A scenario is a TOML file that is a small diff over the defaults in :mod:`sim.params`: tables
are parameter sections (``[drones]``), keys are parameter names. Every value passes one gate,
:func:`check_value`: the right type, finite, within its bounds, a well-formed path. Anything wrong
raises :class:`ScenarioError`, whose message is one line naming the file, the field and what was
expected; a file with several errors raises :class:`ScenarioErrors`, one line per error.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import reprlib
import sys
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import tomli_w

from sim.georef import BBOX_FIELD, GridError, grid_of
from sim.params import (
    DEFAULT_PLATFORM,
    MAX_ITEM_CHARS,
    PLATFORM_NAME_PATTERN,
    PLATFORM_SCHEMA,
    PLATFORM_SECTION,
    SCHEMA,
    Param,
    Params,
    Points,
    defaults,
    platform_default,
    typed_params,
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DESCRIPTION_KEY = "description"

MAX_TOML_BYTES = 1 << 20  # a scenario or sweep file is a small diff; 1 MiB is far more than any needs
MAX_TOML_DEPTH = 16  # tables and arrays nested at most this deep (a sweep's ranges need 4)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT_MAX = sys.float_info.max
MAX_PATH_BYTES = 4095  # PATH_MAX (4096, with its terminating NUL) on Linux
MAX_NAME_BYTES = 255  # NAME_MAX: one component of a path
SHOWN_CHARS = 60  # a value quoted in a message is cut to this many characters
FIELD_CHARS = 80  # a field name in a message is cut to this many characters
SOURCE_CHARS = 300  # a file name in a message is cut to this many characters
MAX_LISTED_ERRORS = 20  # a file with more errors lists these and counts the rest
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # control characters and line separators
_TOO_DEEP = f"expected tables and arrays nested at most {MAX_TOML_DEPTH} deep"


def one_line(text: str, limit: int | None = None) -> str:
    r"""``text`` with every unprintable character escaped (``\\n``, ``\\x00``), cut to ``limit`` characters."""
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return escaped if limit is None or len(escaped) <= limit else escaped[:limit - 1] + "…"


class _ShortRepr(reprlib.Repr):
    """``repr`` of user values for messages: shallow, few items, long strings and numbers cut."""

    def repr_int(self, x: int, level: int) -> str:
        try:
            text = repr(x)
        except ValueError:  # more digits than Python converts to text
            return f"<integer of more than {sys.get_int_max_str_digits()} digits>"
        digits = len(text.lstrip("-"))
        return text if len(text) <= self.maxlong else f"{text[:self.maxlong // 2]}…<{digits} digits>"

    def repr_str(self, x: str, level: int) -> str:
        return repr(x) if len(x) <= self.maxstring else f"{x[:self.maxstring // 2]!r}…<{len(x)} characters>"


_SHORT_REPR = _ShortRepr(maxlevel=2, maxlist=4, maxtuple=4, maxdict=4, maxset=4, maxstring=SHOWN_CHARS, maxlong=SHOWN_CHARS,
                         maxother=SHOWN_CHARS)


def shown(value: Any) -> str:
    """A value as quoted in a message: its ``repr``, shortened and on one line."""
    return one_line(_SHORT_REPR.repr(value), SHOWN_CHARS)


class ScenarioError(ValueError):
    """Bad input: a one-line message naming the file, the field and what was expected."""

    def __init__(self, source: str | Path, field_name: str, expected: str) -> None:
        self.source = str(source)
        self.field_name = field_name
        self.expected = expected
        super().__init__(f"{one_line(self.source, SOURCE_CHARS)}: {one_line(field_name, FIELD_CHARS)}: {one_line(expected)}")

    @property
    def errors(self) -> tuple[ScenarioError, ...]:
        """The single errors this one stands for: itself."""
        return (self,)


class ScenarioErrors(ScenarioError):
    """Several bad-input errors of one file; ``str()`` is one line per error (the first few, then a count)."""

    def __init__(self, errors: Sequence[ScenarioError]) -> None:
        first = errors[0]
        self._errors = tuple(errors)
        self.source, self.field_name, self.expected = first.source, first.field_name, first.expected
        lines = [str(error) for error in self._errors[:MAX_LISTED_ERRORS]]
        if len(self._errors) > MAX_LISTED_ERRORS:
            lines.append(
                f"{one_line(first.source, SOURCE_CHARS)}: …: {len(self._errors) - MAX_LISTED_ERRORS} more errors not listed"
            )
        ValueError.__init__(self, "\n".join(lines))

    @property
    def errors(self) -> tuple[ScenarioError, ...]:
        """The single errors, in the order they were found."""
        return self._errors


class ErrorList:
    """Bad-input errors gathered while checking one file, raised together at the end."""

    def __init__(self) -> None:
        self.errors: list[ScenarioError] = []

    def add(self, error: ScenarioError) -> None:
        """Record ``error`` (every error of a :class:`ScenarioErrors`)."""
        self.errors.extend(error.errors)

    @contextmanager
    def gather(self) -> Iterator[None]:
        """Record a :class:`ScenarioError` raised in the ``with`` block instead of letting it through."""
        try:
            yield
        except ScenarioError as err:
            self.add(err)

    def raise_any(self) -> None:
        """Raise what was gathered: nothing, the one error, or :class:`ScenarioErrors`."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ScenarioErrors(self.errors)


@dataclass
class Scenario:
    """A fully resolved scenario: every parameter has a value.

    Attributes:
        values: parameter values keyed by dotted name.
        source: where the scenario came from (a path, or ``"defaults"``).
        description: free text from the file's ``description`` key.
    """

    values: dict[str, Any] = field(default_factory=defaults)
    source: str = "defaults"
    description: str = ""
    _typed: tuple[dict[str, Any], Params] | None = field(default=None, init=False, repr=False, compare=False)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle keeps: the typed sections are left out (their classes are made at run time) and built again."""
        return {**self.__dict__, "_typed": None}

    @property
    def params(self) -> Params:
        """The values as typed sections: ``scenario.params.drones.count`` (built again only when the values changed)."""
        if self._typed is None or self._typed[0] != self.values:  # comparing the values costs 1 % of building the sections
            self._typed = (dict(self.values), typed_params(self.values))
        return self._typed[1]

    def with_overrides(self, overrides: dict[str, Any], source: str) -> Scenario:
        """A copy with ``overrides`` (dotted name → value) checked and applied.

        Raises:
            ScenarioError: a value is invalid (:class:`ScenarioErrors` when several are).
        """
        values = dict(self.values)
        errors = ErrorList()
        for name, value in overrides.items():
            with errors.gather():
                values[name] = check_value(name, value, source)
        errors.raise_any()
        recast_platforms(self.values, values, set(overrides))
        return complete_grid(Scenario(complete_platforms(values), self.source, self.description))

    def base_dir(self) -> Path:
        """Folder that relative file paths in the scenario are resolved against."""
        return Path(self.source).parent if self.source != "defaults" else Path.cwd()

    def resolve_path(self, name: str) -> Path | None:
        """The file named by path parameter ``name``, resolved, or None when it is unset."""
        text = self.values[name]
        if not text:
            return None
        path = Path(text)
        return path if path.is_absolute() else (self.base_dir() / path).resolve()

    def to_toml(self) -> str:
        """The resolved scenario as TOML, every parameter written, grouped by section."""
        tables: dict[str, dict[str, Any]] = {}
        for name, value in self.values.items():
            section, key = name.split(".", 1)
            if name in SCHEMA and SCHEMA[name].is_path and value:
                value = str(self.resolve_path(name))
            if section == PLATFORM_SECTION:
                platform, key = key.split(".", 1)
                tables.setdefault(section, {}).setdefault(platform, {})[key] = value
            else:
                tables.setdefault(section, {})[key] = value
        doc: dict[str, Any] = {DESCRIPTION_KEY: self.description} if self.description else {}
        doc.update(tables)
        return tomli_w.dumps(doc)

    def sha256(self) -> str:
        """Digest of the resolved scenario (every parameter), for the run's summary."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()


SECTIONS = (*dict.fromkeys(name.split(".", 1)[0] for name in SCHEMA), PLATFORM_SECTION)


def did_you_mean(name: str, valid: Iterable[str] = tuple(SCHEMA)) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``valid`` to a misspelt ``name``, or "" when none is close."""
    match = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


# Lists of names whose names are parameters (each must be one), and an example of each list of names for messages.
PARAMETER_LISTS = ("calibration.parameters",)
NAME_LIST_EXAMPLES = {"ports.names": '["Nogales", "Douglas"]', "calibration.parameters": '["drones.detect_prob", "ground.units"]',
                      "calibration.targets": '["oig_flown_hours_share"]'}


def _expected(param: Param) -> str:
    if param.choices:
        return f"one of {param.describe_bounds()}"
    if param.is_path:
        return (f"a relative or absolute file path, or \"\" for none (no control characters, at most {MAX_PATH_BYTES} bytes, "
                f"{MAX_NAME_BYTES} per name)")
    bounds = param.describe_bounds()
    if param.is_points:
        return f"a list of [x, y] points, coordinates in {bounds}, e.g. [[12.5, 40], [30, 2]]"
    if param.is_numbers:
        return f"a list of {param.numbers} numbers in {bounds}, or [] for none"
    if param.is_items:
        if param.items is float:
            return f"a list of numbers in {bounds}, e.g. [0.1, 0.25]"
        if param.name in PARAMETER_LISTS:
            return f"a list of parameters' dotted names (skywatch params), e.g. {NAME_LIST_EXAMPLES[param.name]}"
        return (f"a list of names of 1 to {MAX_ITEM_CHARS} printable characters, "
                f"e.g. {NAME_LIST_EXAMPLES.get(param.name, NAME_LIST_EXAMPLES['ports.names'])}")
    if param.is_polygons:
        return f"a list of polygons, each a list of [x, y] points, coordinates in {bounds}, e.g. [[[0, 0], [40, 0], [40, 30]]]"
    kind = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[param.kind]
    return f"{kind} in {bounds}" if bounds else kind


def path_is_well_formed(text: str) -> bool:
    """Whether ``text`` can name a file: no control characters, at most PATH_MAX bytes and NAME_MAX per name."""
    return (not _CONTROL_CHARACTERS.search(text) and len(text.encode("utf-8", "surrogateescape")) <= MAX_PATH_BYTES
            and all(len(part.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES for part in PurePath(text).parts))


def _number_in_bounds(param: Param, value: float) -> bool:
    """Whether ``value`` lies within the bounds of ``param`` and of its machine type (False for NaN)."""
    machine_low, machine_high = (INT64_MIN, INT64_MAX) if param.kind is int else (-FLOAT_MAX, FLOAT_MAX)
    low = machine_low if param.low is None else max(param.low, machine_low)
    high = machine_high if param.high is None else min(param.high, machine_high)
    return low <= value <= high  # exact for any int against a float bound; False for NaN and out-of-range ±inf


def _is_number(param: Param, value: Any) -> bool:
    """Whether ``value`` is a number (not a bool) within the bounds of ``param``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and _number_in_bounds(param, value)


def _is_point(param: Param, point: Any) -> bool:
    """Whether ``point`` is an ``[x, y]`` pair of numbers within the bounds of ``param``."""
    return isinstance(point, list | tuple) and len(point) == 2 and all(_is_number(param, v) for v in point)


def _is_item(param: Param, item: Any) -> bool:
    """Whether ``item`` is a number within the bounds of ``param``, or a printable name, as its items are."""
    if param.items is str:
        named = isinstance(item, str) and 0 < len(item) <= MAX_ITEM_CHARS and item.isprintable()
        return named and (param.name not in PARAMETER_LISTS or known_param(item) is not None)
    return _is_number(param, item)


def _is_valid(param: Param, value: Any) -> bool:
    kind = param.kind
    if param.is_points:
        return isinstance(value, list | tuple) and all(_is_point(param, point) for point in value)
    if param.is_numbers:
        return isinstance(value, list | tuple) and len(value) in (0, param.numbers) and all(_is_number(param, v) for v in value)
    if param.is_items:
        return isinstance(value, list | tuple) and all(_is_item(param, item) for item in value)
    if param.is_polygons:
        return isinstance(value, list | tuple) and all(
            isinstance(polygon, list | tuple) and all(_is_point(param, point) for point in polygon) for polygon in value)
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in (int, float):
        numeric = (int,) if kind is int else (int, float)
        return isinstance(value, numeric) and _number_in_bounds(param, value)
    if not isinstance(value, str):
        return False
    if param.choices is not None:
        return value in param.choices
    return not param.is_path or path_is_well_formed(value)


def check_value(name: str, value: Any, source: str | Path) -> Any:
    """Check ``value`` for parameter ``name`` and return it in the parameter's type.

    The one gate every value passes: numbers must be finite and within their bounds (and
    integers within int64), strings one of their choices or a well-formed path.

    Raises:
        ScenarioError: unknown name, wrong type, not finite, out of bounds, not an allowed
            choice or not a well-formed path.
    """
    param = param_of(name, source)
    if not _is_valid(param, value):
        raise ScenarioError(source, name, f"expected {_expected(param)}, got {shown(value)}")
    if param.is_points:
        return _points(value)
    if param.is_numbers:
        return tuple(float(v) for v in value)
    if param.is_items:
        return tuple(param.items(item) for item in value)
    return tuple(_points(polygon) for polygon in value) if param.is_polygons else param.kind(value)


def _points(value: Any) -> Points:
    """A checked list of [x, y] points as tuples of floats (immutable, hashable); polygons are tuples of these."""
    return tuple((float(x), float(y)) for x, y in value)


def param_of(name: str, source: str | Path) -> Param:
    """The schema entry of ``name``: a parameter, or a platform's field (``platforms.NAME.FIELD``).

    Raises:
        ScenarioError: an unknown name (with the nearest known one), a malformed platform name or an unknown field.
    """
    if name.startswith(f"{PLATFORM_SECTION}."):
        return platform_param(name, source)
    if name not in SCHEMA:
        raise ScenarioError(source, name, f"unknown parameter{did_you_mean(name)}")
    return SCHEMA[name]


def known_param(name: str) -> Param | None:
    """The schema entry of ``name`` as :func:`param_of` gives it, or None for any other name (an outcome's, say)."""
    try:
        return param_of(name, "")
    except ScenarioError:
        return None


def anchored(name: str, value: Any, folder: Path) -> Any:
    """``value`` of parameter ``name``, a relative file path made absolute against ``folder``.

    A file named in a sweep or calibration file is found beside that file, as one named in a
    scenario is beside the scenario (:meth:`Scenario.resolve_path`), not beside the scenario it changes.
    """
    param = known_param(name)
    if param is None or not param.is_path or not isinstance(value, str) or not value or Path(value).is_absolute():
        return value
    return str((folder / value).resolve())


def platform_param(name: str, source: str | Path) -> Param:
    """The schema entry of platform field ``name`` (``platforms.NAME.FIELD``).

    Raises:
        ScenarioError: a malformed platform name or an unknown field.
    """
    parts = name.split(".")
    if len(parts) != 3 or not re.fullmatch(PLATFORM_NAME_PATTERN, parts[1]) or parts[1] == DEFAULT_PLATFORM:
        raise ScenarioError(source, name, f"expected platforms.NAME.FIELD, NAME matching {PLATFORM_NAME_PATTERN} "
                                          f"and not '{DEFAULT_PLATFORM}' (the drones.* platform)")
    param = PLATFORM_SCHEMA.get(parts[2])
    if param is None:
        raise ScenarioError(source, name, f"unknown platform field{did_you_mean(parts[2], tuple(PLATFORM_SCHEMA))}")
    return dataclasses.replace(param, name=name)


def complete_platforms(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every field of each declared platform set: those it lacks take its kind's defaults."""
    declared = sorted({name.split(".")[1] for name in values if name.startswith(f"{PLATFORM_SECTION}.")})
    for platform in declared:
        kind = values.get(f"{PLATFORM_SECTION}.{platform}.kind", PLATFORM_SCHEMA["kind"].default)
        for field_name in PLATFORM_SCHEMA:
            values.setdefault(f"{PLATFORM_SECTION}.{platform}.{field_name}", platform_default(kind, field_name))
    return values


def recast_platforms(before: dict[str, Any], after: dict[str, Any], given: set[str]) -> None:
    """Give a platform whose kind changed its new kind's defaults, in ``after``, where it held the old kind's.

    A field named in ``given`` keeps the value given; so does a field set to anything but its old kind's default.
    """
    prefix = f"{PLATFORM_SECTION}."
    for name, kind in after.items():
        if not (name.startswith(prefix) and name.endswith(".kind")) or before.get(name, kind) == kind:
            continue
        platform = name[: -len("kind")]
        for field_name in PLATFORM_SCHEMA:
            key = platform + field_name
            if key not in given and key in before and before[key] == platform_default(before[name], field_name):
                after[key] = platform_default(kind, field_name)


def complete_grid(scenario: Scenario) -> Scenario:
    """``scenario`` with the shape (and, from a raster, the cell size) of its georeferenced grid recorded (:mod:`sim.georef`).

    A world with ``world.crs`` set takes ``world.height`` and ``world.width`` (and, when a raster's own
    grid sets it, ``world.cell_km``) from its grid; the values given for them are replaced.

    Raises:
        ScenarioError: a bad CRS, bbox or grid raster, or a grid outside the schema's bounds for these parameters.
    """
    try:
        grid = grid_of(scenario)
    except GridError as err:
        raise ScenarioError(scenario.source, err.field, err.expected) from None
    if grid is None:
        return scenario
    shape = {"world.height": grid.height, "world.width": grid.width, "world.cell_km": grid.cell_km}
    for name, value in shape.items():
        param = SCHEMA[name]
        if not _number_in_bounds(param, value):
            origin = "" if scenario.values[BBOX_FIELD] else "; the first GeoTIFF raster's own grid: set world.bbox to resample it"
            raise ScenarioError(scenario.source, BBOX_FIELD,
                                f"expected a grid of {name} in {param.describe_bounds()} {param.unit}, got {value:g} "
                                f"({grid.height} × {grid.width} cells of {grid.cell_km:g} km{origin})")
    scenario.values.update(shape)
    return scenario


def _flatten(doc: dict[str, Any], source: str, errors: ErrorList) -> dict[str, Any]:
    """Parameter values by dotted name; sections that are not tables, and empty unknown ones, go to ``errors``."""
    flat: dict[str, Any] = {}
    for section, table in doc.items():
        if section == DESCRIPTION_KEY:
            continue
        if not isinstance(table, dict):
            hint = "" if section in SECTIONS else did_you_mean(section, SECTIONS)
            errors.add(ScenarioError(source, section, f"expected a table of parameters{hint}"))
            continue
        if not table and section not in SECTIONS:
            errors.add(ScenarioError(source, section, f"unknown section{did_you_mean(section, SECTIONS)}"))
        for key, value in table.items():
            if section == PLATFORM_SECTION and isinstance(value, dict):  # [platforms.NAME] tables
                flat.update({f"{section}.{key}.{field_name}": v for field_name, v in value.items()})
            else:
                flat[f"{section}.{key}"] = value
    return flat


def resolve_scenario_path(name_or_path: str) -> Path:
    """The file a scenario argument names: a path, or the name of a shipped scenario.

    A name that is also a folder here (a run folder ``--out baseline`` made, say) is the shipped scenario.
    """
    path = Path(name_or_path)
    shipped = SCENARIO_DIR / f"{name_or_path}.toml"
    if path.suffix == ".toml" or (path.exists() and not (path.is_dir() and shipped.is_file())):
        return path
    return shipped


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files keyed by name (sweep files excluded)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml")) if not p.stem.startswith("sweep_")}


def _too_deep(value: Any, levels_left: int) -> bool:
    """Whether tables and arrays in ``value`` nest deeper than ``levels_left`` (recursion bounded by it)."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    if children is None:
        return False
    return levels_left == 0 or any(_too_deep(child, levels_left - 1) for child in children)


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document in ``path``, at most :data:`MAX_TOML_BYTES` long and :data:`MAX_TOML_DEPTH` deep.

    Raises:
        ScenarioError: the file cannot be read, is too large, not UTF-8 text, not valid TOML,
            holds an integer too long to convert or nests too deep.
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_TOML_BYTES + 1)
    except OSError as err:
        raise ScenarioError(path, "file", f"cannot read it ({err.strerror or type(err).__name__})") from None
    if len(data) > MAX_TOML_BYTES:
        raise ScenarioError(path, "file", f"expected a TOML file of at most {MAX_TOML_BYTES:,} bytes (1 MiB), got a larger one")
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))  # a byte-order mark (as some Windows editors write) is dropped
    except UnicodeDecodeError:
        raise ScenarioError(path, "toml", "expected a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "toml", f"not valid TOML ({err})") from None
    except ValueError:  # the only other ValueError of tomllib: an integer with too many digits for int()
        raise ScenarioError(path, "toml", f"expected integers of at most {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:
        raise ScenarioError(path, "toml", _TOO_DEEP) from None
    if _too_deep(doc, MAX_TOML_DEPTH):
        raise ScenarioError(path, "toml", _TOO_DEEP)
    return doc


# The other input files: their top table -> their command, and a key they need there that no scenario has (a scenario's
# [calibration] table says what calibrated it: config, parameters, targets).
OTHER_FILES = {"sweep": ("sweep", "base"), "calibration": ("calibrate", "scenario")}


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario file (a path, or a shipped scenario's name).

    Raises:
        ScenarioError: the file is missing or not TOML, or a value is invalid
            (:class:`ScenarioErrors`, one per value, when several are).
    """
    path = resolve_scenario_path(str(name_or_path))
    if path.exists() and not path.is_file():  # a folder, a pipe, a device: reading it would fail or wait for ever
        raise ScenarioError(path, "file", "expected a regular scenario file (.toml), got a folder or a special file")
    if not path.is_file():
        names = ", ".join(shipped_scenarios())
        raise ScenarioError(path, "file", f"no such scenario file (shipped scenarios: {names})")
    doc = read_toml(path)
    for table, (command, key) in OTHER_FILES.items():  # read as a scenario, their keys would be refused one by one
        if isinstance(doc.get(table), dict) and key in doc[table]:
            raise ScenarioError(path, f"[{table}]", f"expected a scenario, got a {table} file (run it with skywatch {command})")
    errors = ErrorList()
    description = doc.get(DESCRIPTION_KEY, "")
    if not isinstance(description, str):
        errors.add(ScenarioError(path, DESCRIPTION_KEY, f"expected a string, got {shown(description)}"))
        description = ""
    flat = _flatten(doc, str(path), errors)
    scenario = Scenario(source=str(path), description=description)
    with errors.gather():
        scenario = scenario.with_overrides(flat, str(path))
    errors.raise_any()
    return scenario


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a ``--set KEY=VALUE`` override; VALUE is read as one TOML value, else as a bare string.

    Raises:
        ScenarioError: the text has no ``=``.
    """
    if "=" not in text:
        raise ScenarioError("--set", text, "expected KEY=VALUE, e.g. drones.count=40")
    key, raw = (part.strip() for part in text.split("=", 1))
    if not key:
        raise ScenarioError("--set", text, "expected KEY=VALUE with a parameter's name before '=', e.g. drones.count=40")
    try:
        doc = tomllib.loads(f"v = {raw}")
    except (ValueError, RecursionError):  # not TOML, an integer too long to read, or nested too deep
        return key, raw
    return key, doc["v"] if doc.keys() == {"v"} else raw
