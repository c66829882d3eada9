"""Worlds kept on disk between processes: a launch reuses the last one's world, never a stale one."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.world_cache as world_cache
import sim.world_store as world_store
from sim.outcomes import summarize
from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.world_cache import WORLDS, WorldCache, stored_key
from sim.world_store import STORE_ENV, WorldStore

SMALL = {"world.height": 64, "world.width": 64, "run.steps": 40, "drones.count": 4, "cartels.shipments_per_day": 96.0}


def small(**overrides) -> Scenario:
    return Scenario().with_overrides({**SMALL, **overrides}, "test")


def entries(folder: Path) -> list[Path]:
    """The stored worlds in ``folder`` (not the files being written)."""
    return sorted(path for path in folder.glob("*.pickle") if world_store.ENTRY_NAME.fullmatch(path.name))


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """Counts the worlds built (not read from the store)."""
    built: list[int] = []
    plan = world_cache._plan

    def counted(scenario):
        built.append(1)
        return plan(scenario)

    monkeypatch.setattr(world_cache, "_plan", counted)
    return built


def test_a_world_read_from_the_store_runs_as_one_built_afresh(tmp_path, builds) -> None:
    store = WorldStore(tmp_path / "store")
    built = WorldCache(WorldStore(None)).planned(small())
    first = WorldCache(store).planned(small())  # built and stored
    again = WorldCache(store).planned(small())  # another process's first run: read back
    assert len(builds) == 2 and len(entries(tmp_path / "store")) == 1
    for name, value in vars(built.routes).items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(getattr(again.routes, name)), err_msg=name)
    for name, value in vars(built.world).items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(getattr(again.world, name)), err_msg=name)
    assert again.world is not first.world


def test_a_run_on_a_stored_world_gives_what_a_run_without_the_store_gives(tmp_path, monkeypatch) -> None:
    scenario = load_scenario("baseline").with_overrides({"run.steps": 96}, "test")
    monkeypatch.setenv(STORE_ENV, "off")
    WORLDS.key = WORLDS.kept = None
    plain = simulate(scenario)
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "store"))
    for _ in range(2):  # stored, then read back by a process's cache that has kept nothing
        WORLDS.key = WORLDS.kept = None
        run = simulate(scenario)
        assert summarize(run) == summarize(plain)
        np.testing.assert_array_equal(run.flow, plain.flow)
    assert len(entries(tmp_path / "store")) == 1


def test_skywatch_run_reads_the_world_the_last_launch_stored_and_writes_the_same_files(tmp_path) -> None:
    env = {**os.environ, STORE_ENV: str(tmp_path / "store")}
    command = [sys.executable, "-m", "sim", "run", "baseline", "--quiet", "--set", "run.steps=48", "--out"]
    first = subprocess.run([*command, str(tmp_path / "first")], env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    (entry,) = entries(tmp_path / "store")
    os.utime(entry, ns=(1, 1))
    inode = entry.stat().st_ino
    second = subprocess.run([*command, str(tmp_path / "second")], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert entry.stat().st_ino == inode and entry.stat().st_mtime > 1  # read back (a build would store a new file)
    assert entries(tmp_path / "store") == [entry]
    for name in ("metrics.csv", "flow.npy", "summary.json"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name


def test_a_file_changed_in_content_but_not_in_size_or_date_is_built_again(tmp_path, builds) -> None:
    costs = tmp_path / "cost.npy"
    np.save(costs, np.full((64, 64), 2.0))
    stamp = costs.stat().st_mtime_ns
    scenario = small(**{"world.cost_file": str(costs)})
    store = WorldStore(tmp_path / "store")
    before = WorldCache(store).planned(scenario)
    slower = np.full((64, 64), 2.0)
    slower[:, 20:40] = 9.0
    np.save(costs, slower)
    os.utime(costs, ns=(stamp, stamp))
    after = WorldCache(store).planned(scenario)
    assert len(builds) == 2
    assert not np.array_equal(before.world.cell_hours, after.world.cell_hours)
    WorldCache(store).planned(scenario)
    assert len(builds) == 2  # the new content's world is stored in turn


def test_other_code_makes_another_key(tmp_path, builds, monkeypatch) -> None:
    store = WorldStore(tmp_path / "store")
    WorldCache(store).planned(small())
    key = stored_key(small())
    monkeypatch.setattr(world_store, "code_digest", lambda: "another version of the package")
    monkeypatch.setattr(world_cache, "code_digest", world_store.code_digest)
    assert stored_key(small()) != key
    WorldCache(store).planned(small())
    assert len(builds) == 2 and len(entries(tmp_path / "store")) == 2


def test_a_damaged_or_foreign_file_in_the_store_is_built_over(tmp_path, builds) -> None:
    store = WorldStore(tmp_path / "store")
    WorldCache(store).planned(small())
    (entry,) = entries(tmp_path / "store")
    data = entry.read_bytes()
    for damaged in (data[: len(data) // 2], b"", b"not a pickle"):
        entry.write_bytes(damaged)
        WorldCache(store).planned(small())
    assert len(builds) == 4
    WorldCache(store).planned(small())
    assert len(builds) == 4  # the last build was stored whole over the damaged file


def test_a_pipe_or_a_folder_under_an_entry_name_is_built_over_without_blocking(tmp_path, builds) -> None:
    store = WorldStore(tmp_path / "store")
    WorldCache(store).planned(small())
    (entry,) = entries(tmp_path / "store")
    entry.unlink()
    os.mkfifo(entry)  # opened for reading without a writer, it would block the run for good
    WorldCache(store).planned(small())
    assert len(builds) == 2 and entry.is_file(), "built, then stored over the pipe"
    entry.unlink()
    entry.mkdir()
    WorldCache(store).planned(small())
    assert len(builds) == 3


def test_a_store_that_cannot_be_written_stores_nothing_and_the_run_goes_on(tmp_path, builds) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("the user's")
    store = WorldStore(blocker / "store")  # a folder under a file cannot be made
    WorldCache(store).planned(small())
    WorldCache(store).planned(small())
    assert len(builds) == 2 and blocker.read_text() == "the user's"


def test_a_user_without_a_home_folder_runs_without_the_store(monkeypatch) -> None:
    def no_home(cls):
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(no_home))
    assert world_store.store_folder() is None
    monkeypatch.setenv(STORE_ENV, "~no-such-user-of-skywatch/worlds")
    assert world_store.store_folder() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/cache")
    monkeypatch.delenv(STORE_ENV)
    assert world_store.store_folder() == Path("/cache/skywatch/worlds")
    monkeypatch.setenv(STORE_ENV, "   ")  # blank is unset, not a folder named by spaces
    assert world_store.store_folder() == Path("/cache/skywatch/worlds")


def test_off_stores_nothing(tmp_path, builds, monkeypatch) -> None:
    monkeypatch.setenv(STORE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    WorldCache().planned(small())
    WorldCache().planned(small())
    assert len(builds) == 2 and not any(tmp_path.iterdir())


def test_the_store_keeps_the_worlds_used_last_and_removes_nothing_but_its_own_files(tmp_path, builds, monkeypatch) -> None:
    monkeypatch.setattr(world_store, "STORE_ENTRIES", 2)
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "notes.txt").write_text("kept")
    stale, fresh = folder / f".skywatch-world-{64 * 'a'}.pickle.k1ll3d_", folder / f".skywatch-world-{64 * 'b'}.pickle.wr1t1ng"
    others = [folder / f"{digit * 64}.pickle" for digit in "0123456789"]  # another tool's cache, named by digest too
    for other in others:
        other.write_bytes(b"not ours")
        os.utime(other, (1.0, 1.0))
    stale.write_bytes(b"half a world")
    fresh.write_bytes(b"half a world")
    os.utime(stale, (1.0, 1.0))  # left by a process killed long ago
    store = WorldStore(folder)
    for seed in (1, 2):
        WorldCache(store).planned(small(**{"world.seed": seed}))
    first = store._entry(stored_key(small(**{"world.seed": 1})))
    os.utime(first, ns=(1, 1))  # long unused ...
    WorldCache(store).planned(small(**{"world.seed": 1}))  # ... until read now
    WorldCache(store).planned(small(**{"world.seed": 3}))
    assert len(builds) == 3
    kept = {path.name for path in entries(folder)}
    assert kept == {store._entry(stored_key(small(**{"world.seed": s}))).name for s in (1, 3)}
    assert (folder / "notes.txt").read_text() == "kept" and fresh.exists() and not stale.exists()
    assert all(other.read_bytes() == b"not ours" for other in others)


def test_the_default_folder_sheds_the_entries_of_the_earlier_naming(tmp_path, builds, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(STORE_ENV, raising=False)
    folder = world_store.default_folder()
    folder.mkdir(parents=True)
    earlier = [folder / f"{64 * 'c'}.pickle", folder / f".{64 * 'd'}.pickle.k1ll3d_"]
    for path in earlier:
        path.write_bytes(b"a world of code that is gone")
        os.utime(path, (1.0, 1.0))
    writing = folder / f".{64 * 'e'}.pickle.wr1t1ng"  # an older version's process may be writing it now
    writing.write_bytes(b"half a world")
    (folder / "notes.txt").write_text("kept")
    WorldCache(WorldStore.from_environment()).planned(small())
    assert not any(path.exists() for path in earlier) and (folder / "notes.txt").exists() and len(entries(folder)) == 1
    assert writing.exists()


def test_a_world_naming_a_pipe_is_refused_without_reading_it(tmp_path) -> None:
    """A pipe nobody writes to would block a digest of its content forever: the store passes such a world over."""
    pipe = tmp_path / "cost.npy"
    os.mkfifo(pipe)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[world]\nheight = 64\nwidth = 64\ncost_file = "{pipe}"\n')
    env = {**os.environ, STORE_ENV: str(tmp_path / "store")}
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--quiet", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "world.cost_file" in done.stderr
    assert not (tmp_path / "store").exists()
