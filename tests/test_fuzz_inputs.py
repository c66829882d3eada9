"""Property-based fuzzing of the input doors: mutated scenario and sweep files never crash.

Hypothesis mutates the shipped scenario and sweep files (wrong types, special floats, huge and
over-long numbers, deep nesting, unknown keys and sections, bad paths and garbage ``.npy`` files,
garbage bytes, non-UTF-8, oversized files). A scenario is checked in-process through
``skywatch validate``: it exits 0, or exits 2 with every stderr line a one-line
``skywatch: error: `` message, as many lines at most as the mutations it carries, and never an
uncaught exception. A sweep file is checked through :func:`sim.sweep.design.load_sweep` (the
whole validation of ``skywatch sweep``, its run cap included; no sweep is run). Examples are
derandomized so that every CI run tries the same files.
"""

from __future__ import annotations

import contextlib
import io
import math
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.params import PARAMS, SCHEMA
from sim.scenario import MAX_TOML_BYTES, SCENARIO_DIR, ScenarioError, shipped_scenarios
from sim.sweep.design import MAX_RUNS_CEILING, Range, load_sweep, plan_runs

SCENARIO_EXAMPLES = 1000
SWEEP_EXAMPLES = 300
SMALL_PLAN = 2000  # sweeps planning at most this many runs also have their design drawn
PREFIX = "skywatch: error: "
MAX_LINE_CHARS = 1000  # no message line is longer than this
SIDE = 64  # world.height and world.width are pinned to this, so validating a world stays cheap
FUZZ_SETTINGS = {"deadline": None, "derandomize": True, "database": None,
                 "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    def escaped(ch: str) -> str:
        if ch in '"\\':
            return "\\" + ch
        return f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch
    return '"' + "".join(map(escaped, text)) + '"'


def toml_literal(value: object) -> str:
    """A Python value as TOML value text (a table as an inline table: a platform's ``[platforms.NAME]``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_literal(v)}" for k, v in value.items()) + "}"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def toml_key(key: str) -> str:
    return toml_string(key)


def nested(depth: int, inline_tables: bool) -> str:
    return ("{ a = " * depth + "1" + " }" * depth) if inline_tables else ("[" * depth + "1" + "]" * depth)


# --- values -----------------------------------------------------------------------------------

# TOML value texts no parameter accepts: special and huge numbers, wrong types, bad strings.
SURELY_BAD = (
    ["nan", "+nan", "-nan", "inf", "-inf", "1e308", "-1e308", "1.7976931348623157e308", str(10**30), str(-10**30), str(2**63),
     str(2**64), str(-(2**63) - 1), "0x" + "F" * 5000, "9" * 5000, "[1, 2]", "[]", "{ a = 1 }", "{}", "1979-05-27",
     "1979-05-27T07:32:00Z", "07:32:00", toml_string("a\x00b"), toml_string("line\nbreak"), toml_string("x" * 5000),
     toml_string("\u2028"), toml_string("a/" + "b" * 300 + ".npy")]
    + [nested(depth, tables) for depth in (2, 17, 300, 3000) for tables in (False, True)]
)
# Of SURELY_BAD, the texts a list parameter (zones, sites, world.bbox, ports.inspect_each) may accept.
LISTS = ("[]", "[1, 2]")
# TOML value texts some parameters accept (only small ones: a valid world stays cheap to build).
MAYBE_OK = ["0", "1", "2", "-0.0", "0.0", "0.5", "5e-324", "true", "false", '""', '"random"', '"lawnmower"', '"nowhere.npy"', "3"]


@dataclass
class Mutated:
    """A document of TOML value texts by section and key, and what was done to it."""

    top: dict[str, str] = field(default_factory=dict)  # top-level keys (description, or a section replaced by a value)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    bad: dict[tuple[str, ...], bool] = field(default_factory=dict)  # each effective mutation: surely an error?
    raw: bool = False  # the text was mutated after rendering (errors uncounted)

    @classmethod
    def of(cls, doc: dict) -> Mutated:
        top = {k: toml_literal(v) for k, v in doc.items() if not isinstance(v, dict)}
        tables = {k: {key: toml_literal(v) for key, v in t.items()} for k, t in doc.items() if isinstance(t, dict)}
        return cls(top, tables)

    def set(self, section: str, key: str, text: str, bad: bool) -> None:
        if section in self.top:
            del self.top[section]
            self.bad.pop(("section", section), None)
        self.tables.setdefault(section, {})[key] = text
        self.bad[("key", section, key)] = bad

    def replace_section(self, section: str, text: str, bad: bool) -> None:
        self.tables.pop(section, None)
        self.bad = {target: bad for target, bad in self.bad.items() if target[:2] != ("key", section)}
        self.top[section] = text
        self.bad[("section", section)] = bad

    def add_section(self, section: str, keys: dict[str, str]) -> None:
        self.top.pop(section, None)
        self.tables[section] = dict(keys)
        self.bad = {target: bad for target, bad in self.bad.items() if target[:2] != ("key", section)}
        self.bad[("section", section)] = True

    def render(self) -> str:
        lines = [f"{toml_key(k)} = {v}" for k, v in self.top.items()]
        for section, table in self.tables.items():
            lines.append(f"\n[{toml_key(section)}]")
            lines.extend(f"{toml_key(k)} = {v}" for k, v in table.items())
        return "\n".join(lines) + "\n"


MANGLED = st.sampled_from([False] * 9 + [True])  # whether a file is also mangled as text: one in ten


def raw_mutation(draw: st.DrawFn, text: str) -> bytes:
    """``text`` as bytes, mangled: garbage inserted, truncated, not UTF-8, oversized, or replaced by garbage."""
    data = text.encode()
    kind = draw(st.sampled_from(["insert", "truncate", "non_utf8", "oversize", "garbage", "nul", "bom"]))
    at = draw(st.integers(0, len(data)))
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=12)) + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "non_utf8":
        return data[:at] + b"\xff\xfe" + data[at:]
    if kind == "oversize":
        return data + b"#" * (MAX_TOML_BYTES + 1 - len(data)) + b"\n"
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    return draw(st.binary(max_size=200))


# --- scenario files ---------------------------------------------------------------------------

SHIPPED = {name: tomllib.loads(path.read_text()) for name, path in shipped_scenarios().items()}
SECTIONS = sorted({name.split(".")[0] for name in SCHEMA})
UNKNOWN_KEYS = ["cuont", "", " ", "a\nb", "tab\there", "x" * 5000, "ключ", "\u2028", "count.count", "\x00", "[x]"]


def npy_files(folder: Path) -> dict[str, tuple[bool, bool]]:
    """Write the ``.npy`` cases into ``folder``: file name → (valid as cost raster, valid as population raster)."""
    ones = np.ones((SIDE, SIDE))

    def save(name: str, array: np.ndarray) -> None:
        np.save(folder / name, array, allow_pickle=True)

    save("ones.npy", ones.astype(np.float32))
    save("int_big_endian.npy", ones.astype(">i4"))
    save("fortran.npy", np.asfortranarray(ones))
    save("with_inf.npy", np.where(np.eye(SIDE) > 0, np.inf, 1.0))
    save("zeros.npy", np.zeros((SIDE, SIDE)))
    save("with_nan.npy", np.where(np.eye(SIDE) > 0, np.nan, 1.0))
    save("with_minus_inf.npy", np.where(np.eye(SIDE) > 0, -np.inf, 1.0))
    save("negative.npy", -ones)
    save("huge_values.npy", ones * 1e300)
    save("small.npy", np.ones((10, 10)))
    save("vector.npy", np.ones(SIDE * SIDE))
    save("complex.npy", ones.astype(complex))
    save("bool.npy", ones.astype(bool))
    save("object.npy", np.full((SIDE, SIDE), None, dtype=object))
    save("strings.npy", np.full((SIDE, SIDE), "a"))
    save("records.npy", np.zeros((SIDE, SIDE), dtype=[("a", "<f8")]))
    save("dates.npy", np.zeros((SIDE, SIDE), dtype="M8[s]"))
    (folder / "empty.npy").write_bytes(b"")
    (folder / "garbage.npy").write_bytes(bytes(range(256)) * 4)
    (folder / "magic_only.npy").write_bytes(b"\x93NUMPY\x01\x00")
    np.savez(folder / "archive.npz", a=ones)
    (folder / "archive.npy").write_bytes((folder / "archive.npz").read_bytes())
    (folder / "truncated.npy").write_bytes((folder / "ones.npy").read_bytes()[:1000])
    (folder / "trailing.npy").write_bytes((folder / "ones.npy").read_bytes() + b"extra")
    with open(folder / "huge_shape.npy", "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    with open(folder / "negative_shape.npy", "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False, "shape": (-1, SIDE)})
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': " + b"(" * 5000 + b")" * 5000 + b"}"
    (folder / "nested_header.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    (folder / "bad_header.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    ")
    (folder / "version9.npy").write_bytes(b"\x93NUMPY\x09\x00\x10\x00" + b" " * 16)
    (folder / "folder.npy").mkdir()
    valid = {"ones.npy": (True, True), "int_big_endian.npy": (True, True), "fortran.npy": (True, True),
             "with_inf.npy": (True, False), "zeros.npy": (False, True)}
    return {p.name: valid.get(p.name, (False, False)) for p in folder.iterdir() if p.suffix == ".npy"}


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> tuple[Path, dict[str, tuple[bool, bool]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    return folder, npy_files(folder)


@st.composite
def scenario_files(draw: st.DrawFn, npys: dict[str, tuple[bool, bool]], folder: Path) -> tuple[bytes, Mutated]:
    """A shipped scenario with the world pinned small, mutated one to three times (and maybe mangled as text).

    Airspace zones and sites are dropped: drawn in km for the default world, they lie outside the small one.
    """
    doc = Mutated.of(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    doc.tables.setdefault("world", {}).update(height=str(SIDE), width=str(SIDE))
    for georeferenced in ("crs", "bbox", "landcover_file", "population_file", "basemap_file"):  # a real region: its own grid
        doc.tables["world"].pop(georeferenced, None)
    doc.tables.get("airspace", {}).pop("zones_km", None)
    doc.tables.pop("sites", None)
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        kind = draw(st.sampled_from(["bad_value", "maybe_value", "maybe_value", "unknown_key", "unknown_section", "not_a_table",
                                     "description", "path", "path"]))
        if kind in ("bad_value", "maybe_value"):
            section, key = draw(st.sampled_from([p.name for p in PARAMS])).split(".", 1)
            text = draw(st.sampled_from(SURELY_BAD if kind == "bad_value" else MAYBE_OK))
            lists = SCHEMA[f"{section}.{key}"].kind is tuple and text in LISTS  # [] and [1, 2] may suit a list parameter
            doc.set(section, key, text, bad=kind == "bad_value" and not lists)
        elif kind == "unknown_key":
            section = draw(st.sampled_from(SECTIONS))
            key = draw(st.sampled_from(UNKNOWN_KEYS) | st.text(max_size=20))
            if f"{section}.{key}" not in SCHEMA:
                doc.set(section, key, draw(st.sampled_from(SURELY_BAD + MAYBE_OK)), bad=True)
        elif kind == "unknown_section":
            section = draw(st.sampled_from(["dronez", "drone", "", "x\ny", "a" * 300]) | st.text(max_size=12))
            if section not in SECTIONS and section != "description":
                keys = draw(st.sampled_from([{}, {"count": "3"}]))
                doc.add_section(section, keys)
        elif kind == "not_a_table":
            text = draw(st.sampled_from(SURELY_BAD + MAYBE_OK))
            doc.replace_section(draw(st.sampled_from(SECTIONS)), text, bad=text != "{}")  # {}: an empty inline table
        elif kind == "description":
            text = draw(st.sampled_from([*SURELY_BAD, '"ok"', toml_string("two\nlines")]))
            doc.top["description"] = text
            doc.bad[("description",)] = not text.startswith('"')
        else:
            key = draw(st.sampled_from(["cost_file", "population_file"]))
            name = draw(st.sampled_from([*sorted(npys), "missing.npy", ".", "..", "/", "folder.npy/", "a\x00b.npy",
                                         "n" * 5000, "d/" * 3000, "x" * 256 + ".npy"]))
            absolute = draw(st.booleans())
            path = str(folder / name) if absolute and "\x00" not in name else name
            ok_cost, ok_population = npys.get(name, (False, False))
            doc.set("world", key, toml_string(path), bad=not (ok_cost if key == "cost_file" else ok_population))
    text = doc.render()
    if draw(MANGLED):
        doc.raw = True
        return raw_mutation(draw, text), doc
    return text.encode(), doc


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``sim.cli.main(argv)`` in this process: exit code, stdout, stderr. Stray numpy warnings are errors."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_error_lines(lines: list[str]) -> None:
    """Each line a one-line bad-input message: the prefix, printable text, bounded length."""
    for line in lines:
        assert line.startswith(PREFIX), line
        assert line.isprintable() and len(line) <= MAX_LINE_CHARS, line
        assert "Traceback" not in line


@settings(max_examples=SCENARIO_EXAMPLES, **FUZZ_SETTINGS)
@given(data=st.data())
def test_mutated_scenarios_validate_or_give_one_line_per_error(fuzz_dir, data):
    folder, npys = fuzz_dir
    content, doc = data.draw(scenario_files(npys, folder))
    path = folder / "scenario.toml"
    path.write_bytes(content)
    code, out, err = run_main(["validate", str(path)])
    lines = err.splitlines()
    if code == 0:
        assert not err and "ok" in out
        assert doc.raw or not any(doc.bad.values()), f"accepted a bad file:\n{content[:2000]!r}"
        return
    assert code == 2 and lines and not out, (code, out, err)
    assert_error_lines(lines)
    if not doc.raw:
        assert len(lines) <= len(doc.bad), f"{len(lines)} lines for {len(doc.bad)} mutations:\n{err}"


# --- sweep files ------------------------------------------------------------------------------

SHIPPED_SWEEPS = {p.stem: tomllib.loads(p.read_text()) for p in sorted(SCENARIO_DIR.glob("sweep_*.toml"))}
SWEEP_COUNTS = ["replications", "samples", "seed", "max_runs"]
COUNT_VALUES = ["1", "2", "4", "8", "0", "-1", "2.5", "nan", "inf", '"3"', "true", "[]", "10000000", str(10**9), str(10**30),
                str(2**63), str(2**63 - 1), "0x" + "F" * 5000, "9" * 5000, nested(300, False)]
LEVELS = ["[0, 6, nan]", "[1, 1]", "[]", "[1, inf]", "[-1]", f"[{', '.join(map(str, range(3000)))}]", "[0.5, -0.0, 0.0]",
          "{ low = nan, high = 1 }", "{ low = 0, high = inf }", "{ low = 1, high = 0 }", "{ low = -1e308, high = 1e308 }",
          "{ low = 1 }", "{ low = 1, high = 2, mid = 3 }", '{ low = "a", high = "b" }', "3", '"x"', nested(50, True),
          '["random", "random"]', '["random", "zigzag"]', "{ low = 0.1, high = 0.2 }", "[0, 1]"]


def sweep_mutations(
    draw: st.DrawFn, sweep: dict[str, str], parameters: dict[str, str], fixed: dict[str, str], top: dict[str, str]
) -> None:
    """Apply one mutation to the [sweep] table's texts (in place)."""
    kind = draw(st.sampled_from(["count", "design", "base", "level", "unknown_parameter", "fixed", "unknown_key", "top"]))
    if kind == "count":
        sweep[draw(st.sampled_from(SWEEP_COUNTS))] = draw(st.sampled_from(COUNT_VALUES))
    elif kind == "design":
        sweep["design"] = draw(st.sampled_from(['"grid"', '"lhs"', '"sobol"', '"random"', '"factorial"', "nan", "[]"]))
    elif kind == "base":
        sweep["base"] = draw(
            st.sampled_from(
                [
                    '"baseline"',
                    '"nowhere"',
                    toml_string("a\x00b"),
                    toml_string("n" * 5000),
                    '"."',
                    "3",
                    '"../scenarios/baseline.toml"',
                    toml_string("/"),
                ]
            )
        )
    elif kind == "level":
        name = draw(st.sampled_from([*sorted(parameters), "drones.count", "drones.patrol", "shipments.concealment", "run.seed"]))
        parameters[name] = draw(st.sampled_from(LEVELS))
    elif kind == "unknown_parameter":
        parameters[draw(st.sampled_from(["drones.cuont", "x", "a\nb", "y" * 3000]))] = "[1, 2]"
    elif kind == "fixed":
        name = draw(st.sampled_from(["run.steps", "drones.count", "run.seed", "nope", "intel.latency_h"]))
        fixed[name] = draw(st.sampled_from(SURELY_BAD + MAYBE_OK))
    elif kind == "unknown_key":
        sweep[draw(st.sampled_from(["repetitions", "x\ny", ""]))] = "1"
    else:
        top[draw(st.sampled_from(["description", "extra", "run"]))] = draw(st.sampled_from(['"text"', "3", "nan", "{ a = 1 }"]))


@st.composite
def sweep_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A shipped sweep file with its runs shortened, mutated one to three times; and whether it was mangled as text."""
    doc = SHIPPED_SWEEPS[draw(st.sampled_from(sorted(SHIPPED_SWEEPS)))]
    table = doc["sweep"]
    sweep = {k: toml_literal(v) for k, v in table.items() if k not in ("parameters", "fixed")}
    parameters = {k: toml_literal(v) for k, v in table["parameters"].items()}
    fixed = {k: toml_literal(v) for k, v in table.get("fixed", {}).items()}
    top = {k: toml_literal(v) for k, v in doc.items() if k != "sweep"}
    for _ in range(draw(st.integers(1, 3))):
        sweep_mutations(draw, sweep, parameters, fixed, top)
    lines = [f"{toml_key(k)} = {v}" for k, v in top.items()] + ["[sweep]"] + [f"{toml_key(k)} = {v}" for k, v in sweep.items()]
    lines += ["[sweep.parameters]"] + [f"{toml_key(k)} = {v}" for k, v in parameters.items()]
    lines += ["[sweep.fixed]"] + [f"{toml_key(k)} = {v}" for k, v in fixed.items()]
    text = "\n".join(lines) + "\n"
    if draw(MANGLED):
        return raw_mutation(draw, text), True
    return text.encode(), False


def finite_values(spec_values: list) -> bool:
    return all(not isinstance(v, float) or math.isfinite(v) for v in spec_values)


@settings(max_examples=SWEEP_EXAMPLES, **FUZZ_SETTINGS)
@given(data=st.data())
def test_mutated_sweeps_load_or_give_one_line_per_error(fuzz_dir, data):
    folder, _ = fuzz_dir
    content, _ = data.draw(sweep_files())
    path = folder / "sweep.toml"
    path.write_bytes(content)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            spec = load_sweep(path)
    except ScenarioError as err:
        lines = str(err).splitlines()
        assert lines
        assert_error_lines([PREFIX + line for line in lines])
        return
    assert 1 <= spec.planned_runs <= MAX_RUNS_CEILING
    for name, levels in spec.parameters.items():
        values = [levels.low, levels.high] if isinstance(levels, Range) else levels
        assert finite_values(values), (name, levels)
        assert all(SCHEMA[name].low is None or SCHEMA[name].low <= v for v in values if not isinstance(v, str | bool))
    assert finite_values(list(spec.base.values.values()))
    if spec.planned_runs <= SMALL_PLAN:
        assert len(plan_runs(spec)) == spec.planned_runs
