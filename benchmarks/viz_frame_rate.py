"""Steps per second the live page shows in a browser, at 10^3 and 10^4 shipments in transit.

Run from the repository root (Chromium from Debian: ``scripts/system-deps.sh``)::

    python benchmarks/viz_frame_rate.py                    # 10^3 and 10^4 in transit, 15 s each
    python benchmarks/viz_frame_rate.py --live 10000 --seconds 30

For each target, a scenario is written: ``drone_surge`` (default 256 x 256 world, 24 drones)
with the cartels launching enough shipments per day to keep about that many in transit, and a
run long enough not to end during the measurement. ``skywatch viz`` serves it; headless Chromium
(driven by Playwright) opens the page, presses Play at one step per frame (render interval 1),
waits until the headline shows the target in transit, then counts for ``--seconds`` the map
images the browser received (changes of the map's ``src``, seen by a MutationObserver) and the
steps the status line advanced. Both are printed per second, with the shipments in transit, the
CPU model and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LAUNCHES_PER_LIVE = 3.3  # shipments per cartel per day per shipment kept in transit, on the default world (measured)
RUN_STEPS = 100_000  # long enough not to end while measured
TARGET = 10.0  # steps per second the page must show at 10^4 in transit
SERVER_START_S = 120
COUNT_MAP_UPDATES = """() => {
  window.skywatchMapUpdates = 0;
  const counter = new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.target.classList && change.target.classList.contains('skywatch-map')) window.skywatchMapUpdates++;
    }
  });
  counter.observe(document.body, {attributes: true, attributeFilter: ['src'], subtree: true});
}"""


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def headline_number(page: Page, label: str) -> int:
    """The headline's value for ``label`` (a count)."""
    row = page.locator(".skywatch-headline tr", has_text=label).first
    return int(row.locator("td.value").inner_text().replace(",", ""))


def status_step(page: Page) -> int:
    """The step the status line shows."""
    text = page.locator(".skywatch-status").inner_text()
    return int(text.split("step ", 1)[1].split(" ", 1)[0].replace(",", ""))


def measure(live: int, seconds: float, folder: Path) -> tuple[float, float, int]:
    """Serve a scenario keeping about ``live`` shipments in transit; return (map updates/s, steps/s, in transit)."""
    scenario = folder / f"live_{live}.toml"
    scenario.write_text(f'description = "about {live:,} shipments in transit"\n'
                        f'[drones]\ncount = 24\npatrol = "random"\n'
                        f"[cartels]\nshipments_per_day = {LAUNCHES_PER_LIVE * live:.1f}\nbudget = 1e12\n"
                        f"[run]\nsteps = {RUN_STEPS}\n")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sim", "viz", str(scenario), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"skywatch viz did not answer within {SERVER_START_S} s") from None
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(SERVER_START_S * 1000)
            page.goto(url)
            page.locator("img.skywatch-map").wait_for()
            page.evaluate(COUNT_MAP_UPDATES)
            page.get_by_role("button", name="Play").click()
            while headline_number(page, "in transit") < 0.9 * live:
                time.sleep(0.5)
            updates_before, step_before = page.evaluate("window.skywatchMapUpdates"), status_step(page)
            start = time.monotonic()
            time.sleep(seconds)
            updates, step = page.evaluate("window.skywatchMapUpdates"), status_step(page)
            elapsed = time.monotonic() - start
            in_transit = headline_number(page, "in transit")
            browser.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    return (updates - updates_before) / elapsed, (step - step_before) / elapsed, in_transit


def main() -> None:
    """Measure and print the page's rate at each target of shipments in transit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, nargs="+", default=[1_000, 10_000], help="shipments in transit (default 10^3 10^4)")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds counted per target (default 15)")
    args = parser.parse_args()
    print(f"{cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before")
    with tempfile.TemporaryDirectory() as folder:
        for live in args.live:
            updates, steps, in_transit = measure(live, args.seconds, Path(folder))
            met = "met" if steps >= TARGET else "NOT met"
            verdict = f"; target >= {TARGET:g} steps/s at 10^4: {met}" if live >= 10_000 else ""
            print(f"{in_transit:>7,} in transit: {updates:5.1f} map updates/s received, {steps:5.1f} steps/s shown{verdict}")
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
