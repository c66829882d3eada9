"""`make test` sets up the Debian packages it needs: scripts/system-deps.sh, against stand-ins for id, sudo and apt-get."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system-deps.sh"
SH = "/bin/sh"

pytestmark = pytest.mark.skipif(not Path(SH).exists() or os.name != "posix", reason="a POSIX shell script")


def stand_in(folder: Path, name: str, body: str) -> None:
    """A command ``name`` on the fake PATH that runs ``body`` (sh)."""
    path = folder / name
    path.write_text(f"#!{SH}\n{body}\n")
    path.chmod(0o755)


def system_deps(tmp_path: Path, uid: int, apt_get: str | None = "exit 0", sudo: bool = False,
                chromium: bool = False, ffmpeg: bool = False) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the script on a PATH of stand-ins only; return its result and the apt-get calls it made."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "apt-get.log"
    bin_dir.mkdir(exist_ok=True)
    stand_in(bin_dir, "id", f"echo {uid}")
    (bin_dir / "env").unlink(missing_ok=True)
    (bin_dir / "env").symlink_to(Path("/usr/bin/env") if Path("/usr/bin/env").exists() else Path("/bin/env"))
    if apt_get is not None:
        stand_in(bin_dir, "apt-get", f'echo "apt-get $*" >> {calls}\n{apt_get}')
    if sudo:
        stand_in(bin_dir, "sudo", '[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; exec "$@"')
    if ffmpeg:
        stand_in(bin_dir, "ffmpeg", "exit 0")
    env = {"PATH": str(bin_dir), "CHROMIUM": SH if chromium else str(tmp_path / "no-chromium")}
    result = subprocess.run([SH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_nothing_to_do_when_both_are_installed(tmp_path):
    result, calls = system_deps(tmp_path, uid=0, chromium=True, ffmpeg=True)
    assert (result.returncode, result.stdout, result.stderr, calls) == (0, "", "", [])


@pytest.mark.parametrize("sudo", [False, True])
def test_root_or_passwordless_sudo_installs_only_what_is_missing(tmp_path, sudo):
    result, calls = system_deps(tmp_path, uid=1000 if sudo else 0, sudo=sudo, chromium=True)
    assert result.returncode == 0, result.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends ffmpeg"]


def test_without_root_one_line_says_what_to_install(tmp_path):
    result, calls = system_deps(tmp_path, uid=1000)
    assert result.returncode == 0 and calls == []
    [line] = result.stderr.splitlines()
    assert "chromium ffmpeg" in line and "apt-get install" in line and "skipped" in line


def test_a_failed_install_is_one_line_too(tmp_path):
    result, calls = system_deps(tmp_path, uid=0, apt_get="exit 100")
    assert result.returncode == 0 and calls == ["apt-get update -qq"]
    [line] = result.stderr.splitlines()
    assert "could not install chromium ffmpeg" in line
