"""Output folders: --force replaces only what Skywatch made, atomically, and a kill loses nothing."""

import errno
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim import outfolder
from sim.cli import main
from sim.outfolder import MARKER, exchange, folder_kind, write_marker
from sim.run import simulate, write_run_folder
from sim.scenario import ScenarioError, load_scenario
from sim.sweep.design import load_sweep
from sim.sweep.job import SweepJob

SMALL = ["--steps", "8", "--set", "world.height=64", "--set", "world.width=64", "--quiet"]
TINY_SWEEP = ('[sweep]\nbase = "drone_surge"\ndesign = "grid"\nreplications = 1\n'
              '[sweep.fixed]\n"world.height" = 64\n"world.width" = 64\n"run.steps" = 8\n'
              '[sweep.parameters]\n"drones.count" = [0, 4]\n')
LEFTOVER = re.compile(r"\..*\.(partial|old)-.*")


def run(out: Path | str, *extra: str) -> int:
    return main(["run", "baseline", *SMALL, "--out", str(out), *extra])


def sweep(path: Path, out: Path | str, *extra: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-plots", "--quiet", *extra])


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skywatch: error: "), lines
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under ``folder``: file bytes, link targets, None for folders."""
    def content(path: Path) -> bytes | str | None:
        if path.is_symlink():
            return os.readlink(path)
        return path.read_bytes() if path.is_file() else None
    return {str(path.relative_to(folder)): content(path) for path in sorted(folder.rglob("*"))}


def leftovers(folder: Path) -> list[str]:
    """Hidden staging or moved-aside folders anywhere under ``folder``."""
    return [str(p) for p in folder.rglob(".*") if LEFTOVER.fullmatch(p.name)]


def fake_folder(path: Path, kind: str | None, files: dict[str, str]) -> Path:
    """A folder holding ``files`` and, unless ``kind`` is None, Skywatch's marker of ``kind``."""
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    if kind is not None:
        write_marker(path, kind)
    return path


def seed_of(run_folder: Path) -> int:
    return json.loads((run_folder / "summary.json").read_text())["seed"]


@pytest.fixture(scope="module")
def model():
    """A small finished model, to write run folders without the command line."""
    return simulate(load_scenario("baseline").with_overrides({"world.height": 64, "world.width": 64, "run.steps": 8}, "test"))


@pytest.fixture
def sweep_path(tmp_path):
    path = tmp_path / "sweeps" / "tiny.toml"
    path.parent.mkdir()
    path.write_text(TINY_SWEEP)
    return path


# --- what --force refuses -------------------------------------------------------------------------

IN_THE_WAY = {
    "users_folder": lambda d: fake_folder(d, None, {"notes.txt": "mine", "data/thesis.txt": "years of work"}),
    "empty_users_folder": lambda d: fake_folder(d, None, {}),
    "file": lambda d: d.write_text("mine"),
    "sweep_folder": lambda d: fake_folder(d, "sweep", {"sweep.toml": "", "journal.jsonl": ""}),
    "garbage_marker": lambda d: fake_folder(d, None, {MARKER: "not json", "notes.txt": "mine"}),
    "link_to_run_folder": lambda d: d.symlink_to(fake_folder(d.parent / "elsewhere", "run", {"summary.json": "{}"})),
}


@pytest.mark.parametrize("case", sorted(IN_THE_WAY))
def test_run_force_replaces_nothing_but_a_run_folder(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    IN_THE_WAY[case](tmp_path / "D")
    before = snapshot(tmp_path)
    assert run("D", "--force") == 2
    line = one_error_line(capsys)
    assert "--force" in line and "expected a new path or a Skywatch run folder" in line
    assert snapshot(tmp_path) == before, "nothing touched"


USERS_FILES = {"run": ("notes.md", "analysis/work.ipynb"), "sweep": ("my_figure.png", ".results.parquet.old.copy"),
               "comparison": (".comparison.csv.bak",)}


@pytest.mark.parametrize("kind", sorted(USERS_FILES))
def test_force_refuses_a_skywatch_folder_holding_the_users_own_files(kind, tmp_path, sweep_path, capsys):
    out = tmp_path / "D"
    if kind == "run":
        assert run(out) == 0
    elif kind == "sweep":
        assert sweep(sweep_path, out) == 0
    else:
        assert run(tmp_path / "a") == 0 and run(tmp_path / "b", "--seed", "2") == 0
        assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    for name in USERS_FILES[kind]:
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text("the user's own")
    before = snapshot(tmp_path)
    if kind == "run":
        assert run(out, "--force") == 2
    elif kind == "sweep":
        assert sweep(sweep_path, out, "--force") == 2
    else:
        assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "--quiet", "--force"]) == 2
    line = one_error_line(capsys)
    assert "--force" in line and USERS_FILES[kind][0].split("/")[0] in line and "move them out first" in line
    assert snapshot(tmp_path) == before, "nothing touched"


def test_sweep_force_over_the_current_folder_keeps_the_users_data(tmp_path, sweep_path, monkeypatch, capsys):
    work = fake_folder(tmp_path / "work", None, {"data/thesis.txt": "years of work"})
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    assert sweep(sweep_path, ".", "--force") == 2
    assert "current one" in one_error_line(capsys)
    assert sweep(sweep_path, ".") == 2
    one_error_line(capsys)
    assert sweep(sweep_path, ".", "--resume") == 2
    assert "expected a sweep folder" in one_error_line(capsys)
    assert sweep(sweep_path, "data", "--force") == 2
    assert "did not make" in one_error_line(capsys)
    assert snapshot(tmp_path) == before, "nothing touched"


@pytest.mark.parametrize("out", [".", "..", "../b", "ABSOLUTE_A", "/"])
def test_the_current_folder_and_its_parents_are_never_replaced(out, tmp_path, monkeypatch, capsys):
    """Even when they are Skywatch run folders themselves."""
    a = fake_folder(tmp_path / "a", "run", {"summary.json": "{}"})
    b = fake_folder(a / "b", "run", {"summary.json": "{}"})
    monkeypatch.chdir(b)
    before = snapshot(tmp_path)
    assert run(str(a) if out == "ABSOLUTE_A" else out, "--force") == 2
    assert "current one and its parents" in one_error_line(capsys)
    assert snapshot(tmp_path) == before


def test_a_parent_that_is_a_file_is_bad_input(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert run(tmp_path / "notes.txt" / "run") == 2
    assert "notes.txt to be a folder" in one_error_line(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_missing_folder_is_created_with_its_parents_and_marked(tmp_path):
    out = tmp_path / "deep" / "er" / "run"
    assert run(out) == 0
    assert folder_kind(out) == "run" and (out / "summary.json").is_file()
    assert leftovers(tmp_path) == []


# --- replacing, atomically -------------------------------------------------------------------------

@pytest.mark.parametrize("swap", ["exchange", "two_renames"])
def test_force_replaces_a_previous_run_folder_whole(swap, tmp_path, monkeypatch):
    if swap == "exchange" and not exchange_works(tmp_path):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here")
    if swap == "two_renames":
        monkeypatch.setattr(outfolder, "exchange", lambda first, second: False)
    out = tmp_path / "D"
    assert run(out, "--seed", "1") == 0
    (out / ".summary.json.k3x9_qab").write_text("a temporary file a kill left")
    (out / ".DS_Store").write_text("what Finder leaves")
    old_inode = out.stat().st_ino
    moved: list[str] = []
    rename = os.rename
    monkeypatch.setattr(os, "rename", lambda src, dst: (moved.append(str(src)), rename(src, dst))[1])

    assert run(out, "--seed", "2", "--force") == 0
    assert seed_of(out) == 2 and not (out / ".summary.json.k3x9_qab").exists() and folder_kind(out) == "run"
    assert out.stat().st_ino != old_inode
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["D"]
    moved_away = [src for src in moved if src == str(out)]
    assert moved_away == ([] if swap == "exchange" else [str(out)]), "with the exchange, the path is never without a folder"


def exchange_works(folder: Path) -> bool:
    """Whether this system and file system swap two folders in one step."""
    (folder / "probe1").mkdir()
    (folder / "probe2").mkdir()
    try:
        return exchange(folder / "probe1", folder / "probe2")
    finally:
        (folder / "probe1").rmdir()
        (folder / "probe2").rmdir()


def test_exchange_swaps_two_folders_or_reports_it_cannot(tmp_path):
    first = fake_folder(tmp_path / "first", None, {"one.txt": "1"})
    second = fake_folder(tmp_path / "second", None, {"two.txt": "2"})
    inodes = first.stat().st_ino, second.stat().st_ino
    if not exchange(first, second):
        assert not sys.platform.startswith("linux") or not exchange_works(tmp_path)
        assert [p.name for p in first.iterdir()] == ["one.txt"], "nothing changed when it cannot swap"
        return
    assert [p.name for p in first.iterdir()] == ["two.txt"] and [p.name for p in second.iterdir()] == ["one.txt"]
    assert (second.stat().st_ino, first.stat().st_ino) == inodes
    with pytest.raises(FileNotFoundError):
        exchange(first, tmp_path / "missing")


def test_a_users_folder_put_in_place_while_the_run_is_written_is_not_replaced(tmp_path, model):
    out = tmp_path / "D"
    write_run_folder(model, out)

    def swap_in_users_folder(model, staging):
        os.rename(out, tmp_path / "moved")
        fake_folder(out, None, {"notes.txt": "mine"})

    with pytest.raises(ScenarioError, match="did not make"):
        write_run_folder(model, out, force=True, extra=swap_in_users_folder)
    assert (out / "notes.txt").read_text() == "mine" and leftovers(tmp_path) == []


def test_a_full_disk_leaves_the_old_run_folder_intact_and_no_staging(tmp_path, model, monkeypatch):
    out = tmp_path / "D"
    write_run_folder(model, out)
    before = snapshot(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sim.run.np.save", disk_full)
    with pytest.raises(OSError) as replaced:
        write_run_folder(model, out, force=True)
    assert replaced.value.errno == errno.ENOSPC
    assert snapshot(tmp_path) == before, "old folder intact, no staging folder"
    with pytest.raises(OSError):
        write_run_folder(model, tmp_path / "new")
    assert snapshot(tmp_path) == before, "no half-written new folder"


def test_a_full_disk_while_starting_a_sweep_over_an_old_one_keeps_the_old(tmp_path, sweep_path, monkeypatch):
    out = fake_folder(tmp_path / "S", "sweep", {"sweep.toml": TINY_SWEEP, "journal.jsonl": '{"run_id": "old"}\n'})
    before = snapshot(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sim.sweep.job.shutil.copyfile", disk_full)
    job = SweepJob.prepare(load_sweep(sweep_path), out, force=True)
    with pytest.raises(OSError):
        job.execute(lambda tasks: iter(()))
    assert snapshot(tmp_path) == before


# --- sweeps ---------------------------------------------------------------------------------------

def test_sweep_force_swaps_in_a_new_sweep_folder_and_marks_kept_runs(tmp_path, sweep_path):
    out = tmp_path / "S"
    assert sweep(sweep_path, out, "--keep-runs") == 0
    (out / "outcomes_vs_drones.count.png").write_text("a figure of the old sweep")
    assert sweep(sweep_path, out, "--force", "--keep-runs") == 0
    assert folder_kind(out) == "sweep" and not (out / "outcomes_vs_drones.count.png").exists()
    assert len((out / "journal.jsonl").read_text().splitlines()) == 2
    kept = sorted((out / "runs").iterdir())
    assert len(kept) == 2 and all(folder_kind(folder) == "run" for folder in kept)
    assert leftovers(tmp_path) == []
    assert run(kept[0], "--force") == 0, "a run folder kept by a sweep is a run folder"



@pytest.mark.parametrize(("users", "named"), [
    (("runs/notes.txt", "runs/analysis/fig.py"), ("runs/notes.txt", "runs/analysis")),
    (("runs/p0-r0/mine.txt",), ("runs/p0-r0/mine.txt",)),
])
def test_sweep_force_refuses_the_users_own_files_among_the_kept_runs(users, named, tmp_path, sweep_path, capsys):
    """--force looks inside runs/ too: it holds run folders, each only what Skywatch writes in one."""
    out = tmp_path / "S"
    assert sweep(sweep_path, out, "--keep-runs") == 0
    for name in users:
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_text("the user's own")
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert sweep(sweep_path, out, "--force", "--keep-runs") == 2
    line = one_error_line(capsys)
    assert all(name in line for name in named) and "move them out first" in line, line
    assert snapshot(tmp_path) == before, "nothing touched"

def test_resume_takes_a_sweep_folder_made_before_markers_and_marks_it(tmp_path, sweep_path, capsys):
    out = tmp_path / "S"
    assert sweep(sweep_path, out) == 0
    (out / MARKER).unlink()
    assert sweep(sweep_path, out, "--force") == 2, "--force needs the marker"
    assert "did not make" in one_error_line(capsys)
    assert sweep(sweep_path, out, "--resume") == 0
    assert "(0 run now, 2 before)" in capsys.readouterr().out
    assert folder_kind(out) == "sweep"


def test_resume_refuses_a_run_folder(tmp_path, sweep_path, capsys):
    out = fake_folder(tmp_path / "R", "run", {"summary.json": "{}", "sweep.toml": TINY_SWEEP})
    before = snapshot(tmp_path)
    assert sweep(sweep_path, out, "--resume") == 2
    assert "found a Skywatch run folder" in one_error_line(capsys)
    assert snapshot(tmp_path) == before


# --- kills ----------------------------------------------------------------------------------------

KILLED_RUN = """
import os, signal, sys
import numpy as np
from sim import outfolder
from sim.cli import main

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[2] == "between_renames":
    outfolder.exchange = lambda first, second: False  # the two-rename path
    rename = os.rename
    def rename_then_die(src, dst):
        rename(src, dst)
        if ".old-" in os.path.basename(dst):
            die()
    os.rename = rename_then_die
else:  # while the staging folder is written
    np.save = lambda *args, **kwargs: die()
main(["run", "baseline", "--steps", "8", "--set", "world.height=64", "--set", "world.width=64", "--quiet",
      "--seed", "2", "--force", "--out", sys.argv[1]])
"""


def killed_run(out: Path, when: str) -> None:
    """Run ``skywatch run --seed 2 --force --out OUT`` in a process that SIGKILLs itself at ``when``."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(out), when],
        check=False,
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_kill_between_the_two_renames_leaves_the_old_run_recoverable(tmp_path, capsys):
    out = tmp_path / "D"
    assert run(out, "--seed", "1") == 0
    killed_run(out, "between_renames")
    assert not out.exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".D.old-")]
    assert len(aside) == 1 and seed_of(aside[0]) == 1 and folder_kind(aside[0]) == "run", "the old run, whole"
    assert len([p for p in tmp_path.iterdir() if p.name.startswith(".D.partial-")]) == 1

    assert run(out, "--seed", "3") == 2, "the next start puts the old run back, then refuses to replace it without --force"
    assert "--force" in one_error_line(capsys)
    assert seed_of(out) == 1 and leftovers(tmp_path) == []
    assert run(out, "--seed", "3", "--force") == 0
    assert seed_of(out) == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["D"]


def test_a_kill_between_the_two_renames_is_cleaned_up_by_the_next_forced_run(tmp_path):
    out = tmp_path / "D"
    assert run(out, "--seed", "1") == 0
    killed_run(out, "between_renames")
    assert run(out, "--seed", "3", "--force") == 0
    assert seed_of(out) == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["D"]


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_kill_while_staging_leaves_a_staging_folder_the_next_run_removes(tmp_path):
    out = tmp_path / "D"
    assert run(out, "--seed", "1") == 0
    killed_run(out, "staging")
    assert seed_of(out) == 1, "the old run is untouched"
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if p.name != "D"] == [".D.partial"]
    dead = dead_pid()
    not_ours = [fake_folder(tmp_path / name, None, {"x": "mine"})
                for name in (".D.partial-mine", f".D.partial-{os.getpid()}-0123abcd", f".E.partial-{dead}-0123abcd",
                             f".Dx.partial-{dead}-0123abcd", f".D.old-{dead}-0123abcdef", f".D.partial-{dead}-0123abcd-x")]
    (tmp_path / f".D.partial-{dead}-89abcdef").write_text("a file, not a folder")
    assert run(out, "--seed", "3", "--force") == 0
    assert seed_of(out) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["D", f".D.partial-{dead}-89abcdef", *(p.name for p in not_ours)]
    ), "only folders of our exact names for this folder, of dead processes, are removed"


def test_resume_never_adopts_a_users_folder_that_merely_holds_a_sweep_toml(tmp_path, sweep_path, capsys):
    """A folder with sweep.toml but no journal is not an old sweep: resuming into it is refused and nothing is marked."""
    user = tmp_path / "proj"
    user.mkdir()
    (user / "sweep.toml").write_text(sweep_path.read_text())
    (user / "thesis.txt").write_text("mine")
    before = snapshot(user)
    assert sweep(sweep_path, user, "--resume") == 2
    assert "expected a sweep folder to finish" in one_error_line(capsys)
    assert snapshot(user) == before and folder_kind(user) is None


def test_a_corrupt_journal_line_is_one_error_line(tmp_path, sweep_path, capsys):
    out = tmp_path / "out"
    assert sweep(sweep_path, out) == 0
    capsys.readouterr()
    (out / "journal.jsonl").write_text("[1, 2]\n")
    assert sweep(sweep_path, out, "--resume") == 2
    assert "journal.jsonl: line 1: expected a run's row" in one_error_line(capsys)


def test_plot_of_a_corrupt_results_table_is_one_error_line(tmp_path, capsys):
    folder = tmp_path / "f"
    folder.mkdir()
    write_marker(folder, "sweep")
    (folder / "results.parquet").write_text("x")
    assert main(["plot", str(folder)]) == 2
    assert "results.parquet: file: expected a results table" in one_error_line(capsys)


def test_a_file_replaced_whole_gets_the_mode_a_new_file_gets(tmp_path):
    path = tmp_path / "figure.png"
    outfolder.replace_file(path, lambda temp: temp.write_bytes(b"whole"), suffix=".png")
    assert path.read_bytes() == b"whole" and path.stat().st_mode & 0o777 == 0o666 & ~outfolder.umask()
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]


def test_a_folder_name_too_long_for_its_hidden_staging_name_is_refused_before_the_run(tmp_path, capsys):
    longest = outfolder.NAME_MAX - outfolder.HIDDEN_EXTRA_BYTES
    assert run(tmp_path / ("q" * (longest + 1))) == 2
    assert "--out: expected a folder name of at most" in one_error_line(capsys)
    assert not any(tmp_path.iterdir())
    assert run(tmp_path / ("q" * longest)) == 0 and leftovers(tmp_path) == []
