"""The one gate every input value passes: each case a hostile user hit gets one line and exit 2.

Scenario files, ``--set`` overrides, ``.npy`` rasters and sweep files; run in-process through
``sim.cli.main`` (no run is started: every case is refused, or only validated).
"""

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.params import PARAMS
from sim.scenario import (
    INT64_MAX,
    INT64_MIN,
    MAX_LISTED_ERRORS,
    MAX_TOML_BYTES,
    ScenarioError,
    ScenarioErrors,
    check_value,
    load_scenario,
    one_line,
    shown,
)
from sim.sweep.design import DEFAULT_MAX_RUNS, MAX_RUNS_CEILING, load_sweep, plan_runs

SMALL_WORLD = "[world]\nheight = 64\nwidth = 64\n"
NUMERIC = [p for p in PARAMS if p.kind in (int, float)]


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def error_lines(argv: list[str], capsys) -> list[str]:
    """Run the command, which must exit 2, and return its stderr lines (each checked to be one bad-input message)."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines and not captured.out
    assert all(line.startswith("skywatch: error: ") and line.isprintable() for line in lines), captured.err
    return lines


def one_error(argv: list[str], capsys, *fragments: str) -> str:
    """The single error line of the command, which must name every fragment."""
    lines = error_lines(argv, capsys)
    assert len(lines) == 1, lines
    assert all(fragment in lines[0] for fragment in fragments), lines[0]
    return lines[0]


def validate_error(tmp_path: Path, capsys, text: str | bytes, *fragments: str) -> str:
    return one_error(["validate", str(write(tmp_path / "s.toml", text))], capsys, *fragments)


# --- the schema and the gate ------------------------------------------------------------------

def test_every_numeric_parameter_has_finite_bounds_within_its_machine_type():
    for p in NUMERIC:
        assert p.low is not None and p.high is not None and math.isfinite(p.low) and math.isfinite(p.high), p.name
        if p.kind is int:
            assert INT64_MIN <= p.low <= p.high <= INT64_MAX, p.name


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, -(10**400), 2**63, 1e308])
def test_no_numeric_parameter_takes_nan_infinity_or_huge_numbers(value):
    for p in NUMERIC:
        with pytest.raises(ScenarioError) as err:
            check_value(p.name, value, "s.toml")
        assert p.name in str(err.value) and "\n" not in str(err.value)


def test_integers_for_float_parameters_are_converted_and_bounds_are_inclusive():
    assert check_value("run.step_hours", 24, "s") == 24.0 and isinstance(check_value("run.step_hours", 24, "s"), float)
    assert check_value("run.seed", INT64_MAX, "s") == INT64_MAX
    with pytest.raises(ScenarioError, match=r"\[0, 9223372036854775807\]"):
        check_value("run.seed", INT64_MAX + 1, "s")


def test_messages_shorten_and_escape_values_and_field_names():
    assert shown("x" * 5000).endswith("…<5000 characters>") and len(shown("x" * 5000)) <= 60
    assert shown(int("9" * 4000)) == "9" * 30 + "…<4000 digits>"
    assert shown(10**5000) == "<integer of more than 4300 digits>"  # repr() itself would raise
    assert shown("a\nb") == "'a\\nb'"
    assert one_line("a\nb\x00c\u2028d") == "a\\nb\\x00c\\u2028d"
    err = ScenarioError("s\n.toml", "drones.a\nb", "expected\rsomething")
    assert str(err) == "s\\n.toml: drones.a\\nb: expected\\rsomething"


def test_one_error_is_a_plain_scenario_error_and_several_are_listed_one_line_each(tmp_path):
    with pytest.raises(ScenarioError) as single:
        load_scenario(write(tmp_path / "one.toml", "[drones]\ncount = -1\n"))
    assert type(single.value) is ScenarioError and len(str(single.value).splitlines()) == 1
    with pytest.raises(ScenarioErrors) as several:
        load_scenario(write(tmp_path / "two.toml", "[drones]\ncount = -1\npatrol = 3\n"))
    assert [e.field_name for e in several.value.errors] == ["drones.count", "drones.patrol"]
    assert str(several.value).splitlines() == [str(e) for e in several.value.errors]
    many = "[drones]\n" + "".join(f"key{i} = 1\n" for i in range(MAX_LISTED_ERRORS + 5))
    with pytest.raises(ScenarioErrors) as too_many:
        load_scenario(write(tmp_path / "many.toml", many))
    lines = str(too_many.value).splitlines()
    assert len(lines) == MAX_LISTED_ERRORS + 1 and lines[-1].endswith("5 more errors not listed")


# --- scenario files ---------------------------------------------------------------------------

def test_a_bad_file_reports_every_error_in_file_order(tmp_path, capsys):
    text = "description = 3\n[dronez]\n[drones]\ncount = nan\n[run]\nstep_hours = \"fast\"\n"
    lines = error_lines(["validate", str(write(tmp_path / "s.toml", text))], capsys)
    assert [line.split(": ")[3] for line in lines] == ["description", "dronez", "drones.count", "run.step_hours"]


def test_an_empty_unknown_section_is_refused(tmp_path, capsys):
    validate_error(tmp_path, capsys, "[dronez]\n", "dronez", "unknown section", "did you mean 'drones'")


def test_a_key_with_a_newline_gives_one_line(tmp_path, capsys):
    validate_error(tmp_path, capsys, '[drones]\n"cou\\nnt" = 3\n', "drones.cou\\nnt", "unknown parameter")


def test_an_integer_longer_than_python_reads_is_refused(tmp_path, capsys):
    validate_error(tmp_path, capsys, "[drones]\ncount = " + "9" * 5000 + "\n", "toml", "4300 digits")


@pytest.mark.parametrize("number", ["1" + "0" * 400, "0x" + "F" * 5000])
def test_a_huge_integer_for_a_float_parameter_is_refused(tmp_path, capsys, number):
    validate_error(tmp_path, capsys, f"[run]\nstep_hours = {number}\n", "run.step_hours", "[0.01, 24]")


@pytest.mark.parametrize("value", ["[" * 300 + "]" * 300, "{ a = " * 300 + "1" + " }" * 300, "[" * 20 + "]" * 20])
def test_deep_nesting_is_refused(tmp_path, capsys, value):
    validate_error(tmp_path, capsys, f"[drones]\ncount = {value}\n", "toml", "nested at most 16 deep")


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path, capsys):
    validate_error(tmp_path, capsys, "#" * (MAX_TOML_BYTES + 1), "file", f"{MAX_TOML_BYTES:,} bytes")


def test_a_file_that_is_not_utf8_is_refused(tmp_path, capsys):
    validate_error(tmp_path, capsys, b"[drones]\ncount = \xff\n", "toml", "UTF-8")


def test_a_byte_order_mark_is_read_past_and_counts_as_nothing(tmp_path, capsys):
    """Windows editors may begin a UTF-8 file with a byte-order mark: the file reads as without it."""
    path = write(tmp_path / "s.toml", b"\xef\xbb\xbf[drones]\ncount = 7\n")
    assert load_scenario(path)["drones.count"] == 7
    validate_error(tmp_path, capsys, b"[drones]\n\xef\xbb\xbfcount = 7\n", "toml", "not valid TOML")  # only at the start


@pytest.mark.parametrize("name, value, fragment", [
    ("run.step_hours", "nan", "[0.01, 24]"),
    ("cartels.shipments_per_day", "nan", "[0, 1e+07]"),
    ("intel.latency_h", "nan", "[0, 240]"),
    ("community.people_ref_per_km2", "nan", "[0.01, 1e+06]"),
    ("drones.speed_kmh", "inf", "[1, 1000]"),
    ("cartels.budget", "-inf", "[0, 1e+12]"),
])
def test_nan_and_infinity_are_refused_in_files_and_overrides(tmp_path, capsys, name, value, fragment):
    section, key = name.split(".")
    validate_error(tmp_path, capsys, f"[{section}]\n{key} = {value}\n", name, fragment, f"got {value}")
    one_error(["run", "baseline", "--set", f"{name}={value}", "--out", str(tmp_path / "out")], capsys, f"--set: {name}", fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("raw", ["9" * 5000, "[" * 600 + "]" * 600, "3\n[drones]\ncount = 5"])
def test_overrides_that_are_not_one_toml_value_are_refused_as_strings(tmp_path, capsys, raw):
    one_error(["run", "baseline", "--set", f"drones.count={raw}", "--out", str(tmp_path / "out")], capsys,
              "drones.count", "expected an integer")


@pytest.mark.parametrize("path, fragment", [
    ("a\\u0000b.npy", "'a\\x00b.npy'"),
    ("n" * 5000, "5000 characters"),
    ("dir/" + "x" * 256 + ".npy", "expected a relative or absolute file path"),
    ("line\\nbreak.npy", "'line\\nbreak.npy'"),
])
def test_malformed_paths_are_refused(tmp_path, capsys, path, fragment):
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}cost_file = "{path}"\n', "world.cost_file", fragment)


def test_a_folder_named_like_a_shipped_scenario_does_not_hide_it(tmp_path, monkeypatch, capsys):
    """``skywatch run baseline --out baseline`` makes a folder ``baseline`` here; ``baseline`` still names the scenario."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    assert load_scenario("baseline").source.endswith("scenarios/baseline.toml")
    (tmp_path / "mine").mkdir()  # a folder no scenario is named after is refused as a folder
    one_error(["validate", "mine"], capsys, "mine", "got a folder")


def test_a_folder_or_a_missing_file_is_refused(tmp_path, capsys):
    (tmp_path / "folder.npy").mkdir()
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}cost_file = "folder.npy"\n', "world.cost_file", "got a folder")
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}population_file = "gone.npy"\n', "world.population_file", "file not found")


def test_a_pipe_as_a_raster_is_refused_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.npy")  # opening it to read would wait forever for a writer
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}cost_file = "fifo.npy"\n', "world.cost_file", "regular .npy file")


def test_a_pipe_or_a_folder_as_the_scenario_is_refused_as_such_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.toml")  # reading it would wait forever for a writer
    (tmp_path / "folder.toml").mkdir()
    for name in ("fifo.toml", "folder.toml"):
        one_error(["validate", str(tmp_path / name)], capsys, name, "expected a regular scenario file")


def test_a_file_name_with_control_characters_is_escaped(tmp_path, capsys):
    one_error(["validate", str(tmp_path / "bad\nname.toml")], capsys, "bad\\nname.toml", "no such scenario file")


# --- .npy rasters -----------------------------------------------------------------------------

def npy_cases(folder: Path) -> dict[str, str]:
    """Malformed ``.npy`` files written into ``folder``: file name → a fragment of the message refusing it."""
    ones = np.ones((64, 64))
    (folder / "empty.npy").write_bytes(b"")
    np.savez(folder / "archive.npz", a=ones)
    (folder / "archive.npy").write_bytes((folder / "archive.npz").read_bytes())
    with open(folder / "huge.npy", "wb") as file:  # declares 10¹² float64 cells: 8 TB
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    np.save(folder / "object.npy", np.full((64, 64), None, dtype=object), allow_pickle=True)
    np.save(folder / "complex.npy", ones.astype(complex))
    np.save(folder / "bool.npy", ones.astype(bool))
    np.save(folder / "small.npy", np.ones((10, 10)))
    np.save(folder / "ones.npy", ones)
    nested = "{'descr': '<f8', 'fortran_order': False, 'shape': (64, 64), 'x': " + "(" * 2000 + ")" * 2000 + "}"
    nested = nested.ljust(4086 - 1) + "\n"  # 10 bytes of magic and length before: a multiple of 16 in all
    (folder / "nested.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(nested).to_bytes(2, "little") + nested.encode("latin1"))
    (folder / "truncated.npy").write_bytes((folder / "ones.npy").read_bytes()[:1000])
    (folder / "trailing.npy").write_bytes((folder / "ones.npy").read_bytes() + b"x")
    return {"empty.npy": "expected a .npy array file", "archive.npy": "expected a .npy array file",
            "huge.npy": "got float64 (1000000, 1000000)", "object.npy": "got object", "complex.npy": "got complex128",
            "bool.npy": "got bool", "small.npy": "got float64 (10, 10)", "truncated.npy": "the file holds 1,000",
            "trailing.npy": "expected 32,896 bytes", "nested.npy": "expected a .npy array file"}


def test_malformed_npy_files_are_refused_before_loading(tmp_path, capsys):
    for name, fragment in npy_cases(tmp_path).items():
        for field in ("cost_file", "population_file"):
            started = time.perf_counter()
            validate_error(tmp_path, capsys, f'{SMALL_WORLD}{field} = "{name}"\n', f"world.{field}", fragment, name)
            assert time.perf_counter() - started < 5.0, "refused from the header, before any data is read"


COST_CASES = {"nan": (np.nan, "found nan at row 3, column 5"), "minus_inf": (-np.inf, "found -inf"),
              "zero": (0.0, "found 0.0"), "negative": (-1.0, "found -1.0"), "too_slow": (1e7, "found 10000000.0")}
POPULATION_CASES = {"nan": (np.nan, "found nan"), "inf": (np.inf, "found inf"), "negative": (-5.0, "found -5.0")}


@pytest.mark.parametrize(
    "field, case", [("cost_file", c) for c in COST_CASES] + [("population_file", c) for c in POPULATION_CASES]
)
def test_rasters_with_values_out_of_range_are_refused(tmp_path, capsys, field, case):
    value, fragment = (COST_CASES if field == "cost_file" else POPULATION_CASES)[case]
    raster = np.ones((64, 64))
    raster[3, 5] = value
    np.save(tmp_path / "r.npy", raster)
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}{field} = "r.npy"\n', f"world.{field}", fragment)


def test_a_population_above_the_world_population_bound_is_refused(tmp_path, capsys):
    np.save(tmp_path / "r.npy", np.full((64, 64), 1e6))
    validate_error(tmp_path, capsys, f'{SMALL_WORLD}population_file = "r.npy"\n', "world.population_file", "at most 1e+09 people")


def test_infinite_cost_means_impassable_and_valid_rasters_load(tmp_path, capsys):
    cost = np.full((64, 64), 0.2, np.float32)
    cost[:, :4] = np.inf  # a band of impassable cells along the western edge
    np.save(tmp_path / "cost.npy", cost)
    np.save(tmp_path / "people.npy", np.zeros((64, 64), ">i4"))  # integers, big-endian, nobody living anywhere
    path = write(tmp_path / "s.toml", f'{SMALL_WORLD}cost_file = "cost.npy"\npopulation_file = "people.npy"\n')
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


# --- sweep files ------------------------------------------------------------------------------

def sweep_text(head: str, parameters: str = '"drones.count" = [0, 6]\n"drones.patrol" = ["random", "lawnmower"]',
               design: str = "grid") -> str:
    return f'[sweep]\nbase = "drone_surge"\ndesign = "{design}"\n{head}\n[sweep.parameters]\n{parameters}\n'


def sweep_error(tmp_path: Path, monkeypatch, capsys, text: str, *fragments: str) -> str:
    monkeypatch.chdir(tmp_path)
    line = one_error(["sweep", str(write(tmp_path / "sw.toml", text)), "--quiet", "--no-plots"], capsys, *fragments)
    assert not (tmp_path / "sweeps").exists()
    return line


@pytest.mark.parametrize("replications", ["10000000", str(2**62)])
def test_a_sweep_planning_more_runs_than_the_cap_is_refused_before_drawing(tmp_path, monkeypatch, capsys, replications):
    sweep_error(tmp_path, monkeypatch, capsys, sweep_text(f"replications = {replications}"), "sweep.max_runs",
                f"more than sweep.max_runs = {DEFAULT_MAX_RUNS:,}", f"at most {MAX_RUNS_CEILING:,}")


@pytest.mark.parametrize("head, field", [("replications = 1000000000000000000000000000000", "sweep.replications"),
                                         ("replications = 0", "sweep.replications"), ("seed = -1", "sweep.seed"),
                                         ("seed = 9223372036854775808", "sweep.seed"), ("max_runs = 1000001", "sweep.max_runs"),
                                         ("replications = nan", "sweep.replications")])
def test_sweep_counts_are_integers_within_machine_range(tmp_path, monkeypatch, capsys, head, field):
    sweep_error(tmp_path, monkeypatch, capsys, sweep_text(head), field, "expected an integer in")


def test_a_billion_samples_are_refused_quickly(tmp_path, monkeypatch, capsys):
    started = time.perf_counter()
    sweep_error(
        tmp_path,
        monkeypatch,
        capsys,
        sweep_text("samples = 1073741824", '"drones.count" = { low = 1, high = 9 }', "sobol"),
        "plans 3,221,225,472 runs",
    )
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("parameters, fragment", [('"drones.count" = [0, 6, nan]', "got nan"),
                                                  ('"drones.detect_prob" = { low = 0.1, high = inf }', "got inf")])
def test_nan_and_infinity_in_sweep_levels_and_ranges_are_refused(tmp_path, monkeypatch, capsys, parameters, fragment):
    design = "grid" if "[" in parameters else "lhs"
    head = "" if design == "grid" else "samples = 4"
    sweep_error(tmp_path, monkeypatch, capsys, sweep_text(head, parameters, design), fragment)


def test_a_bad_sweep_file_reports_every_error(tmp_path, monkeypatch, capsys):
    text = sweep_text("replications = 2.5\nseed = -1\nrepetitions = 3", '"drones.count" = [0, nan]\n"drones.cuont" = [1]')
    monkeypatch.chdir(tmp_path)
    lines = error_lines(["sweep", str(write(tmp_path / "sw.toml", text))], capsys)
    fields = [line.split(": ")[3] for line in lines]
    assert fields == ["sweep.repetitions", "drones.count", "drones.cuont", "sweep.replications", "sweep.seed"]


def test_max_runs_raises_the_cap_deliberately(tmp_path):
    text = sweep_text("replications = 3000")  # 4 points × 3,000 = 12,000 runs
    with pytest.raises(ScenarioError, match="plans 12,000 runs"):
        load_sweep(write(tmp_path / "capped.toml", text))
    assert (
        load_sweep(write(tmp_path / "raised.toml", text.replace("replications", "max_runs = 12000\nreplications"))).planned_runs
        == 12_000
    )


@pytest.mark.parametrize(
    "design, parameters",
    [
        ("grid", '"drones.count" = [0, 6, 12]\n"drones.patrol" = ["random", "lawnmower"]'),
        ("lhs", '"drones.count" = { low = 1, high = 9 }\n"drones.patrol" = ["random", "lawnmower"]'),
        ("random", '"drones.count" = { low = 1, high = 9 }'),
        (
            "sobol",
            '"drones.count" = { low = 1, high = 9 }\n"drones.detect_prob" = { low = 0.1, high = 0.9 }\n'
            '"drones.patrol" = ["random", "lawnmower"]',
        ),
    ],
)
def test_the_counted_runs_are_the_planned_runs(tmp_path, design, parameters):
    head = "replications = 3" if design == "grid" else "replications = 3\nsamples = 8"
    spec = load_sweep(write(tmp_path / "sw.toml", sweep_text(head, parameters, design)))
    assert spec.planned_runs == len(plan_runs(spec))
