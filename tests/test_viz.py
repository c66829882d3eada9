"""The live page in a real browser (Debian's Chromium through Playwright), and the run animation.

Chromium and ffmpeg are Debian packages that `make test` installs where it can
(scripts/system-deps.sh); a test needing a missing one skips with that reason, and fails under
CI=true, where everything must be in place.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib.animation import FFMpegWriter
from PIL import Image
from playwright.sync_api import Browser, Page, Route, sync_playwright

from sim.cli import main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SMALL = 'description = "a small world for the tests"\n[world]\nheight = 96\nwidth = 96\n[drones]\ncount = 4\n'
SERVER_START_S = 90
SERVER_STOP_S = 20
UI_TIMEOUT_MS = 30_000
RUN_STEPS = 40  # the live page's scenario: 10 h of 15-min steps


def require(available: bool, package: str) -> None:
    """Skip the test when the Debian ``package`` it needs is missing; fail instead under CI=true."""
    if available:
        return
    reason = f"{package} is not installed (make test installs it where it can: scripts/system-deps.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def test_a_missing_package_skips_the_test_but_fails_it_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ffmpeg is not installed"):
        require(False, "ffmpeg")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="ffmpeg is not installed"):
        require(False, "ffmpeg")
    require(True, "ffmpeg")


def stop_process_group(process: subprocess.Popen) -> None:
    """End a process started in a session of its own, and everything it started: SIGTERM, then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=SERVER_STOP_S)
    except subprocess.TimeoutExpired:
        pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group: the server, if it hung
        process.wait()


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVER_LOG = "viz-server.log"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``skywatch viz`` on a small 40-step scenario and a free port; yields the page's address and the server's log.

    It runs in a session of its own, so that the teardown ends its ``solara run`` server too. Only
    the browser tests use it, so it is not started without the browser.
    """
    require(os.access(CHROMIUM, os.X_OK), "chromium")
    folder = tmp_path_factory.mktemp("viz")
    scenario = folder / "small.toml"
    scenario.write_text(SMALL + f"[run]\nsteps = {RUN_STEPS}\n")
    log = folder / SERVER_LOG
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "sim", "viz", str(scenario), "--port", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            assert process.poll() is None, "skywatch viz exited early"
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"skywatch viz did not answer within {SERVER_START_S} s"
                time.sleep(0.5)
        yield url, log
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def browser(server: tuple[str, Path]) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live(server: tuple[str, Path], browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh page (a session of its own, so a run of its own), and the requests it tried to send off this machine."""
    url, _ = server
    outside: list[str] = []
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.set_default_timeout(UI_TIMEOUT_MS)

    def local_only(route: Route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(url)
    page.get_by_text("step 0 of").wait_for()
    yield page, outside
    page.close()


def status(page: Page) -> str:
    """The run's status line: its clock and step, or that it is complete."""
    return page.locator(".skywatch-status").inner_text()


def headline(page: Page, label: str) -> str:
    """The value the headline panel shows for ``label``."""
    return page.locator(".skywatch-headline tr", has_text=label).first.locator("td.value").inner_text()


def map_pixels(page: Page) -> np.ndarray:
    """The map as the browser shows it, RGB."""
    return np.asarray(Image.open(io.BytesIO(page.locator("img.skywatch-map").screenshot())).convert("RGB"), dtype=int)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after the UI timeout."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_page_loads_locally_with_a_large_map_scenario_and_clock(live: tuple[Page, list[str]], server: tuple[str, Path]) -> None:
    page, outside = live
    box = page.locator("img.skywatch-map").bounding_box()
    assert box is not None and box["width"] >= 600, f"map {box} narrower than 600 px"
    for image in page.locator("img").all():
        other = image.bounding_box()
        if other is not None:
            assert other["width"] * other["height"] <= box["width"] * box["height"], "something is larger than the map"
    assert status(page) == f"0 d 00:00 elapsed · step 0 of {RUN_STEPS}"
    page.get_by_text("a small world for the tests").wait_for()
    page.get_by_text("drones.count: 4 drones").wait_for()
    page.get_by_text("drones.sensor_radius_km: 3 km").wait_for()
    for hidden in ("Page 0", "Use Threads", "Render Interval"):
        assert page.get_by_text(hidden).count() == 0, f"{hidden!r} is shown"
    assert outside == [], f"the page asked for resources off this machine: {outside[:3]}"
    log = server[1].read_text()
    assert "Warning" not in log and "warning" not in log, f"the server printed a warning on page load: {log[-500:]}"


def test_step_advances_clock_map_and_headline(live: tuple[Page, list[str]]) -> None:
    page, _ = live
    before = map_pixels(page)
    for _ in range(4):
        page.get_by_role("button", name="Step").click()
    page.get_by_text("0 d 01:00 elapsed · step 4 of").wait_for()  # 4 steps of 15 min
    wait_until(lambda: int(headline(page, "launched")) > 0, "launches in the headline")
    assert np.any(map_pixels(page) != before), "the map did not change after stepping"


def test_play_runs_off_the_event_thread_and_stops_at_run_steps(live: tuple[Page, list[str]]) -> None:
    page, _ = live
    page.get_by_role("button", name="Play").click()
    wait_until(lambda: "step 0 " not in status(page), "the first frame")
    page.get_by_role("button", name="Pause").click()  # answered while the model plays
    page.get_by_role("button", name="Play").wait_for()

    def settled() -> bool:  # frames sent before the click may still arrive; then nothing more
        before = status(page)
        time.sleep(1.0)
        return status(page) == before

    wait_until(settled, "the run to stop after Pause")
    paused = status(page)
    time.sleep(1.0)
    assert status(page) == paused, "the run went on after Pause"
    assert "complete" not in paused
    page.get_by_role("button", name="Play").click()
    page.get_by_text(f"Run complete: {RUN_STEPS} steps").wait_for()
    time.sleep(0.5)
    assert status(page).startswith(f"Run complete: {RUN_STEPS} steps, 0 d 10:00 simulated")
    assert page.get_by_role("button", name="Play").is_disabled()
    assert page.get_by_role("button", name="Step").is_disabled()


def test_control_and_reset_rebuild_the_model(live: tuple[Page, list[str]]) -> None:
    page, _ = live
    page.get_by_role("button", name="Step").click()
    page.get_by_text("step 1 of").wait_for()
    assert headline(page, "drones airborne").endswith(" of 4")
    slider = page.locator(".param-drones-count [role='slider']")
    slider.focus()
    page.keyboard.press("End")  # the slider's maximum, from the schema's bounds
    maximum = slider.get_attribute("aria-valuemax")
    assert maximum is not None and maximum != "4"
    page.get_by_text(f"drones.count: {int(maximum):,} drones (on Reset)").wait_for()
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("step 0 of").wait_for()
    wait_until(lambda: headline(page, "drones airborne").endswith(f" of {int(maximum):,}"), "the new fleet in the headline")
    assert page.get_by_text("(on Reset)").count() == 0


def test_seed_box_takes_effect_on_reset(live: tuple[Page, list[str]]) -> None:
    page, _ = live
    box = page.get_by_label("run.seed: 0")
    box.fill("12345")
    box.press("Enter")
    page.get_by_text("run.seed: 12,345 (on Reset)").wait_for()
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: page.get_by_text("(on Reset)").count() == 0, "the seed to be applied")
    page.get_by_text("run.seed: 12,345", exact=True).wait_for()


def test_layer_toggle_changes_the_map(live: tuple[Page, list[str]]) -> None:
    page, _ = live
    for _ in range(8):
        page.get_by_role("button", name="Step").click()
    page.get_by_text("step 8 of").wait_for()
    time.sleep(0.5)
    with_flow = map_pixels(page)
    toggle = page.get_by_text("flow (log colour scale)", exact=True)
    toggle.click()
    wait_until(lambda: np.any(map_pixels(page) != with_flow), "the map without flow")
    toggle.click()
    wait_until(lambda: np.array_equal(map_pixels(page), with_flow), "the map with flow again")


def test_screenshot_not_blank(live: tuple[Page, list[str]], tmp_path: Path) -> None:
    page, _ = live
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 20, "the screenshot is (nearly) one colour"
    assert np.unique(pixels).size > 64, "the screenshot has too few shades to hold the figures"


def _animate(tmp_path: Path) -> Path:
    """Run a 24-step scenario and animate it with ``skywatch plot --animate``; return the run folder."""
    scenario = tmp_path / "short.toml"
    scenario.write_text(SMALL + "[run]\nsteps = 24\n")
    run = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(run), "--quiet"]) == 0
    assert main(["plot", str(run), "--animate"]) == 0
    return run


def test_plot_animate_writes_mp4_with_ffmpeg(tmp_path: Path) -> None:
    require(FFMpegWriter.isAvailable(), "ffmpeg")
    run = _animate(tmp_path)
    assert not (run / "animation.gif").exists()
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_type,nb_read_frames", "-of", "csv=p=0", str(run / "animation.mp4")],
                           check=True, capture_output=True, text=True, timeout=60)
    kind, frames = probe.stdout.strip().split(",")
    assert kind == "video" and int(frames) == 25  # every step of 24, and the start


def test_plot_animate_writes_gif_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FFMpegWriter, "isAvailable", classmethod(lambda cls: False))
    run = _animate(tmp_path)
    assert not (run / "animation.mp4").exists()
    assert Image.open(run / "animation.gif").n_frames == 25


def test_viz_bad_scenario_exits_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sim", "viz", str(tmp_path / "missing.toml")],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "missing.toml" in result.stderr
