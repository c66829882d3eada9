"""Children die with their parent: sweep workers and the live page's server, even when the parent is SIGKILLed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.lifeline import EXIT_ORPHANED

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")

START_S = 120  # for children to start (a sweep worker imports the model and loads its kernels)
GONE_S = 5  # for orphaned children to end
BUSY_CPU_S = 2.0  # CPU time after which a sweep worker is surely running a run
LONG_SWEEP = """[sweep]
base = "baseline"
design = "grid"
replications = 4
[sweep.fixed]
"world.height" = 64
"world.width" = 64
"run.steps" = 10000000
[sweep.parameters]
"drones.count" = [0]
"""


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def children(parent: int) -> list[int]:
    """Live processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))) and fields[1] == str(parent) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.2)
    return result


def assert_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + GONE_S
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"still alive {GONE_S} s after their parent died: {left}"


def skywatch(*args: str, cwd: Path) -> subprocess.Popen:
    """``skywatch ARGS`` started in ``cwd``; its standard error goes to ``cwd/stderr.txt``."""
    with open(cwd / "stderr.txt", "w") as stderr:
        return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)


def running(process: subprocess.Popen, cwd: Path) -> None:
    """Fail at once, with what it said, if a process that should run has ended."""
    assert process.poll() is None, f"exited with {process.returncode}: {(cwd / 'stderr.txt').read_text()}"


def kill_all(pids: list[int]) -> None:
    """SIGKILL whichever of ``pids`` (started by this test) still live: a failed test leaves nothing running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sweep_workers_die_when_the_sweep_is_killed(tmp_path):
    (tmp_path / "long.toml").write_text(LONG_SWEEP)
    sweep = skywatch("sweep", "long.toml", "--workers", "2", "--out", "out", "--no-plots", "--quiet", cwd=tmp_path)
    workers: list[int] = []
    try:
        def two_workers() -> list[int]:
            running(sweep, tmp_path)
            pids = [pid for pid in children(sweep.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            return pids if len(pids) == 2 else []

        workers = wait_for(two_workers, START_S, "two workers start")
        wait_for(lambda: all(cpu_seconds(pid) > BUSY_CPU_S for pid in workers), START_S, "the workers get busy with their runs")
        sweep.kill()
        sweep.wait()
        assert_gone(workers)
    finally:
        sweep.kill()
        sweep.wait()
        kill_all(workers)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_viz_server_dies_with_skywatch_viz(how, tmp_path):
    (tmp_path / "small.toml").write_text("[world]\nheight = 64\nwidth = 64\n")
    viz = skywatch("viz", "small.toml", "--port", str(free_port()), cwd=tmp_path)
    servers: list[int] = []
    try:
        servers = wait_for(lambda: running(viz, tmp_path) or children(viz.pid), START_S, "the server starts")
        wait_for(lambda: cpu_seconds(servers[0]) > 0.5, START_S, "the server gets past its lifeline")
        viz.send_signal(how)
        code = viz.wait(timeout=30)
        assert code == -how if how == signal.SIGKILL else code in (0, 128 + signal.SIGTERM), code
        assert_gone(servers)
    finally:
        viz.kill()
        viz.wait()
        kill_all(servers)


def test_an_orphan_exits_at_once():
    """A child whose parent died before it could ask to be told (here: 'parent' pid 1) exits at once."""
    result = subprocess.run(
        [sys.executable, "-c", "from sim.lifeline import die_with_parent; die_with_parent(1); print('alive')"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == EXIT_ORPHANED and "alive" not in result.stdout
