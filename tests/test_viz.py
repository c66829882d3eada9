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
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib.animation import FFMpegWriter
from PIL import Image
from playwright.sync_api import Page, Route, sync_playwright

from sim.cli import main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SMALL = 'description = "a small world for the tests"\n[world]\nheight = 96\nwidth = 96\n[drones]\ncount = 4\n'
SERVER_START_S = 90
SERVER_STOP_S = 20
UI_TIMEOUT_MS = 30_000


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``skywatch viz`` on a small scenario and a free port; yields the page's address.

    It runs in a session of its own, so that the teardown ends its ``solara run`` server too. Only
    the browser tests use it, so it is not started without the browser.
    """
    require(os.access(CHROMIUM, os.X_OK), "chromium")
    scenario = tmp_path_factory.mktemp("viz") / "small.toml"
    scenario.write_text(SMALL)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sim", "viz", str(scenario), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
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
        yield url
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page on the live page, and the list of requests it tried to send off this machine."""
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.set_default_timeout(UI_TIMEOUT_MS)

        def local_only(route: Route) -> None:
            if route.request.url.startswith(server):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", local_only)
        page.goto(server)
        page.get_by_text("step 0 ").wait_for()
        yield page, outside
        browser.close()


def status(page: Page) -> str:
    """The line of model state above the map."""
    return page.locator(".skywatch-status").inner_text()


def figure_pixels(page: Page) -> list[np.ndarray]:
    """Every figure on the page as drawn (the map first, then the time series), grey levels."""
    return [np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("L"), dtype=float) for img in page.locator("img").all()]


def changed(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether two drawings of a figure differ."""
    return before.shape != after.shape or bool(np.any(before != after))


def test_page_steps_and_plots_change(browser_page: tuple[Page, list[str]]) -> None:
    page, outside = browser_page
    before = figure_pixels(page)
    assert len(before) >= 6, "expected the map and five time-series figures"
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
    page.get_by_text("step 3 ").wait_for()
    page.get_by_text("Time: 3.0").wait_for()
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while not changed(before[1], (after := figure_pixels(page))[1]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert changed(before[1], after[1]), "the shipments time series did not change after stepping"
    assert changed(before[0], after[0]), "the map did not change after stepping"
    assert outside == [], f"the page asked for resources off this machine: {outside[:3]}"


def test_control_rebuilds_model(browser_page: tuple[Page, list[str]]) -> None:
    page, _ = browser_page
    assert "drones in fleet 4 " in status(page)
    slider = page.locator(".v-input", has_text="drones.count").locator("[role='slider']")
    slider.focus()
    page.keyboard.press("End")  # the slider's maximum, from the schema's bounds
    maximum = slider.get_attribute("aria-valuemax")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("step 0 ").wait_for()
    assert f"drones in fleet {maximum} " in status(page)
    assert maximum != "4"


def test_screenshot_not_blank(browser_page: tuple[Page, list[str]], tmp_path: Path) -> None:
    page, _ = browser_page
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
