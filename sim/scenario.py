"""Loading, validating and overriding scenario files.

A scenario is a TOML file that is a small diff over the defaults in :mod:`sim.params`: tables
are parameter sections (``[drones]``), keys are parameter names. Anything wrong with it raises
:class:`ScenarioError`, whose message is one line naming the file, the field and what was
expected.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from sim.params import SCHEMA, Param, defaults

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DESCRIPTION_KEY = "description"


class ScenarioError(ValueError):
    """Bad input: a one-line message naming the file, the field and what was expected."""

    def __init__(self, source: str | Path, field_name: str, expected: str) -> None:
        self.source = str(source)
        self.field_name = field_name
        self.expected = expected
        super().__init__(f"{source}: {field_name}: {expected}")


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

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def with_overrides(self, overrides: dict[str, Any], source: str) -> Scenario:
        """A copy with ``overrides`` (dotted name → value) checked and applied."""
        values = dict(self.values)
        for name, value in overrides.items():
            values[name] = check_value(name, value, source)
        return Scenario(values, self.source, self.description)

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
            if section == "world" and key.endswith("_file") and value:
                value = str(self.resolve_path(name))
            tables.setdefault(section, {})[key] = value
        doc: dict[str, Any] = {DESCRIPTION_KEY: self.description} if self.description else {}
        doc.update(tables)
        return tomli_w.dumps(doc)

    def sha256(self) -> str:
        """Digest of the resolved scenario (every parameter), for the run's summary."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()


def _nearest(name: str) -> str:
    match = difflib.get_close_matches(name, SCHEMA.keys(), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _expected(param: Param) -> str:
    kind = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[param.kind]
    bounds = param.describe_bounds()
    if param.choices:
        return f"one of {bounds}"
    return f"{kind} in {bounds}" if bounds else kind


def check_value(name: str, value: Any, source: str | Path) -> Any:
    """Check ``value`` for parameter ``name`` and return it in the parameter's type.

    Raises:
        ScenarioError: unknown name, wrong type, out of bounds or not an allowed choice.
    """
    param = SCHEMA.get(name)
    if param is None:
        raise ScenarioError(source, name, f"unknown parameter{_nearest(name)}")
    kind = param.kind
    ok_type = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok_type = float(value), True
    out_of_bounds = ok_type and kind in (int, float) and (
        (param.low is not None and value < param.low) or (param.high is not None and value > param.high))
    if not ok_type or out_of_bounds or (param.choices is not None and value not in param.choices):
        raise ScenarioError(source, name, f"expected {_expected(param)}, got {value!r}")
    return value


def _flatten(doc: dict[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, table in doc.items():
        if section == DESCRIPTION_KEY:
            continue
        if not isinstance(table, dict):
            raise ScenarioError(source, section, f"expected a table of parameters{_nearest(section)}")
        for key, value in table.items():
            flat[f"{section}.{key}"] = value
    return flat


def resolve_scenario_path(name_or_path: str) -> Path:
    """The file a scenario argument names: a path, or the name of a shipped scenario."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    return SCENARIO_DIR / f"{name_or_path}.toml"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files keyed by name (sweep files excluded)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml")) if not p.stem.startswith("sweep_")}


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document in ``path``.

    Raises:
        ScenarioError: the file is not UTF-8 text or not valid TOML.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "toml", f"not valid TOML ({err})") from None
    except UnicodeDecodeError:
        raise ScenarioError(path, "toml", "expected a UTF-8 text file") from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario file (a path, or a shipped scenario's name).

    Raises:
        ScenarioError: the file is missing, not TOML, or any value is invalid.
    """
    path = resolve_scenario_path(str(name_or_path))
    if not path.is_file():
        names = ", ".join(shipped_scenarios())
        raise ScenarioError(path, "file", f"no such scenario file (shipped scenarios: {names})")
    doc = read_toml(path)
    description = doc.get(DESCRIPTION_KEY, "")
    if not isinstance(description, str):
        raise ScenarioError(path, DESCRIPTION_KEY, f"expected a string, got {description!r}")
    scenario = Scenario(source=str(path), description=description)
    return scenario.with_overrides(_flatten(doc, str(path)), str(path))


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a ``--set KEY=VALUE`` override; VALUE is read as TOML, else as a bare string.

    Raises:
        ScenarioError: the text has no ``=``.
    """
    if "=" not in text:
        raise ScenarioError("--set", text, "expected KEY=VALUE, e.g. drones.count=40")
    key, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value
