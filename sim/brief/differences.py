"""A scenario's differences from the reference scenario, in words, from the parameter schema.

Each differing parameter becomes one line: its name, the reference's value, the scenario's value
with the parameter's unit, and the parameter's meaning, e.g.
``drones.count: 0 → 24 drones (surveillance drones in the fleet)``. A platform type only one of
the two declares is one line (its count and kind), then one line per field it sets otherwise than
its kind's defaults.
"""

from __future__ import annotations

from typing import Any

from sim.outcomes import format_value
from sim.params import PATH_UNIT, PLATFORM_SECTION, SCHEMA, Param, platform_default
from sim.scenario import Scenario, platform_param
from sim.sweep.design import SEEDED_BY_SWEEP

# Parameters set by the comparison, not by the scenario: every replicate's run seed is the comparison's.
SET_BY_COMPARISON = frozenset({SEEDED_BY_SWEEP})
NO_UNIT = ("-", PATH_UNIT)  # units not written after a value
LISTED_ITEMS = 4  # a list with more items than this is described by its length
NOTHING = "none"
PLATFORM_HEAD = ("count", "kind")  # a platform's fields told in its opening line


def value_text(param: Param, value: Any, with_unit: bool = True) -> str:
    """A value of ``param`` in words: on/off, numbers (with the unit, ``with_unit``), lists in full or by length."""
    unit = "" if param.unit in NO_UNIT or not with_unit else f" {param.unit}"
    if value is None or value in ("", ()):
        return NOTHING
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        if param.is_polygons:
            return f"{len(value)} polygon{'s' * (len(value) != 1)}"
        if param.is_points:
            return f"{len(value)} point{'s' * (len(value) != 1)}"
        if len(value) > LISTED_ITEMS:
            return f"a list of {len(value)}"
        return "[" + ", ".join(format_value(item) if not isinstance(item, str) else item for item in value) + "]" + unit
    return format_value(value) + unit


def describe_change(param: Param, before: Any, after: Any) -> str:
    """``name: before → after unit (meaning)``; a missing value (a platform only one side has) reads ``none``.

    The unit is written once, after the new value (after the old one when the new one is ``none``).
    """
    new = value_text(param, after)
    return f"{param.name}: {value_text(param, before, with_unit=new == NOTHING)} → {new} ({param.meaning})"


def _platforms(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The declared platform types of ``scenario``: name → field → value."""
    found: dict[str, dict[str, Any]] = {}
    for name, value in scenario.values.items():
        if name.startswith(f"{PLATFORM_SECTION}."):
            _, platform, field = name.split(".", 2)
            found.setdefault(platform, {})[field] = value
    return found


def _platform_lines(name: str, before: dict[str, Any] | None, after: dict[str, Any] | None, source: str) -> list[str]:
    """The lines of platform type ``name``.

    Declared on one side only: its opening line, then its fields off its kind's defaults; on both: each field that differs.
    """
    def param(field: str) -> Param:
        return platform_param(f"{PLATFORM_SECTION}.{name}.{field}", source)

    if before is not None and after is not None:
        return [describe_change(param(field), before.get(field), after.get(field))
                for field in dict.fromkeys([*before, *after]) if before.get(field) != after.get(field)]
    fields = before if after is None else after
    kind = fields["kind"]
    count = f"{fields['count']} {kind} {param('count').unit}"
    head = f"{PLATFORM_SECTION}.{name}: " + (f"none → {count}" if before is None else f"{count} → none")
    lines = [f"{head} ({param('count').meaning})"]
    for field, value in fields.items():
        if field not in PLATFORM_HEAD and value != platform_default(kind, field):
            lines.append(describe_change(param(field), *((None, value) if before is None else (value, None))))
    return lines


def differences(reference: Scenario, scenario: Scenario) -> list[str]:
    """One line per parameter ``scenario`` sets otherwise than ``reference``, in the schema's order, platforms last.

    The run seed is left out: the comparison gives both the same seeds.
    """
    lines = [describe_change(SCHEMA[name], value, scenario.values[name]) for name, value in reference.values.items()
             if name in SCHEMA and name not in SET_BY_COMPARISON and value != scenario.values[name]]
    ours, theirs = _platforms(reference), _platforms(scenario)
    for name in dict.fromkeys([*ours, *theirs]):
        lines.extend(_platform_lines(name, ours.get(name), theirs.get(name), scenario.source))
    return lines
