"""``skywatch brief``: one self-contained HTML policy brief, every section and figure in it, nothing fetched, bad input refused.

One brief of two small scenarios (a 64² world, a day of 15-min steps, 2 replications) is made once
for the module; the browser test opens it in Debian's Chromium through Playwright and records every
request the page makes.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright
from test_viz import CHROMIUM, CHROMIUM_ARGS, require

from sim.brief import pdf, report
from sim.brief.differences import differences
from sim.brief.series import corridor_spread, mean_flow
from sim.cli import main
from sim.compare import replicate_seeds, scenario_digest
from sim.scenario import ScenarioError, load_scenario

SMALL = 'description = "{description}"\n[world]\nheight = 64\nwidth = 64\n[run]\nsteps = 96\n'
REFERENCE = SMALL.format(description="ground forces only")
DRONES = SMALL.format(description="drones, cartels adapting") + (
    "[drones]\ncount = 4\n[adaptation]\nroute_shifting = true\nencryption = true\ncounter_drone = true\n")
SECTIONS = ("question", "headline", "displacement", "adaptation", "communities", "calibration", "provenance")
FIGURES = ("displacement", "adaptation", "communities")
REPLICATIONS = 2
DATE_LINE = re.compile(r'<p class="date" id="date">[^<]*</p>')
LOCAL_SCHEMES = ("file:", "data:")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """The command (its arguments) and the brief it wrote, of two small scenarios run twice each."""
    folder = tmp_path_factory.mktemp("brief")
    (folder / "ground.toml").write_text(REFERENCE)
    (folder / "drones.toml").write_text(DRONES)
    out = folder / "brief.html"
    argv = ["brief", str(folder / "ground.toml"), str(folder / "drones.toml"), "--replications", str(REPLICATIONS),
            "--out", str(out), "--workers", "2", "--force", "--quiet"]
    assert main(argv) == 0
    return argv, out


def _page(made: tuple[list[str], Path]) -> str:
    return made[1].read_text(encoding="utf-8")


def test_brief_has_every_section_and_every_figure_embedded(made: tuple[list[str], Path]) -> None:
    html = _page(made)
    for name in SECTIONS:
        assert f'<section id="{name}">' in html, name
    for name in FIGURES:
        found = re.search(rf'<figure data-figure="{name}"><img src="data:image/svg\+xml;base64,([^"]+)"', html)
        assert found, name
        svg = base64.b64decode(found.group(1)).decode()
        assert "<svg" in svg and "<path" in svg, f"{name}: an empty figure"
        assert not re.search(r'(href|src)="(?!data:|#)', svg), f"{name}: the figure links to something outside itself"
    assert "<script" not in html and "http://" not in html and "https://" not in html.replace("http://www.w3.org", "")
    assert "Content-Security-Policy" in html


def test_brief_renders_in_chromium_with_every_section_and_figure_and_no_external_request(
        made: tuple[list[str], Path]) -> None:
    require(os.access(CHROMIUM, os.X_OK), "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL_SCHEMES)
                       else route.abort())
            page.goto(made[1].resolve().as_uri())
            page.wait_for_load_state("load")
            for name in SECTIONS:
                assert page.locator(f"section#{name} h2").is_visible(), name
            for name in FIGURES:
                image = page.locator(f'figure[data-figure="{name}"] img')
                assert image.evaluate("img => img.complete && img.naturalWidth > 100 && img.naturalHeight > 100"), name
            assert requested and all(url.startswith(LOCAL_SCHEMES) for url in requested), requested
            # The recorder sees a request that leaves the machine (so the check above could fail).
            probe = browser.new_page()
            seen: list[str] = []
            probe.on("request", lambda request: seen.append(request.url))
            probe.route("**/*", lambda route: route.abort())
            probe.set_content('<img src="http://192.0.2.1/pixel.png">')
            assert any(url.startswith("http://192.0.2.1") for url in seen), seen
        finally:
            browser.close()


def test_the_differences_from_the_reference_are_stated_in_words(made: tuple[list[str], Path]) -> None:
    html = _page(made)
    assert "drones.count: 0 → 4 drones (surveillance drones in the fleet)" in html
    assert "adaptation.route_shifting: off → on" in html and "adaptation.counter_drone: off → on" in html
    assert "world.height" not in html, "a parameter both scenarios share is not a difference"


def test_differences_name_only_the_changed_parameters_platforms_in_one_line() -> None:
    baseline = load_scenario("baseline")
    assert differences(baseline, load_scenario("drone_surge")) == [
        "drones.count: 0 → 24 drones (surveillance drones in the fleet)"]
    assert differences(baseline, baseline.with_overrides({"run.seed": 7}, "test")) == [], "the comparison sets the seeds"
    mix = differences(baseline, load_scenario("manned_vs_drone_mix"))
    assert mix == ["platforms.guardian: none → 4 uncrewed platforms (platforms of this type in the fleet)",
                   "platforms.p3: none → 4 crewed platforms (platforms of this type in the fleet)"]
    slower = load_scenario("manned_vs_drone_mix").with_overrides({"platforms.p3.speed_kmh": 300.0}, "test")
    assert differences(baseline, slower)[-1] == "platforms.p3.speed_kmh: none → 300 km/h (patrol speed)"


def test_headline_holds_intervals_and_the_cost_per_extra_seizure(made: tuple[list[str], Path]) -> None:
    html = _page(made)
    headline = html[html.index('<section id="headline">'):html.index('<section id="displacement">')]
    for outcome in ("shipments_seized", "shipments_delivered", "seizure_rate", "total_cost"):
        assert outcome in headline, outcome
    assert "extra cost per extra seizure [95%]" in headline
    assert re.search(r"Δ [+-]?[\d.,kM]+ \[", headline), "paired differences with their intervals"


def test_calibration_status_says_uncalibrated_plainly_or_names_what_was_fitted(made: tuple[list[str], Path]) -> None:
    assert 'class="status-uncalibrated">uncalibrated<' in _page(made)
    scenario = load_scenario("baseline")
    assert report.calibration_status(scenario) == "uncalibrated"
    fitted = scenario.with_overrides({"calibration.config": "calibrations/default.toml",
                                      "calibration.parameters": ["drones.detect_prob", "ground.interdict_prob"],
                                      "calibration.targets": ["oig_flown_hours_share", "not_a_figure"]}, "test")
    status = report.calibration_status(fitted)
    assert "calibrations/default.toml" in status and "drones.detect_prob, ground.interdict_prob" in status
    assert "oig_flown_hours_share (drone flight hours flown as a share of those planned" in status, "what the target measures"
    assert "OIG-15-17" in status, "the target's source"
    assert "not_a_figure (not in the shipped reference figures)" in status


def test_provenance_holds_version_digests_seeds_and_the_exact_command(made: tuple[list[str], Path]) -> None:
    argv, _ = made
    html = _page(made)
    provenance = html[html.index('<section id="provenance">'):]
    assert "skywatch " + " ".join(argv) in provenance.replace("&#x27;", "'")
    for path in argv[1:3]:
        assert scenario_digest(load_scenario(path)) in provenance
    assert " ".join(map(str, replicate_seeds(0, REPLICATIONS))) in provenance
    assert "Skywatch 0." in provenance


def test_the_same_command_gives_the_same_page_but_for_the_date_line(made: tuple[list[str], Path]) -> None:
    argv, out = made
    first = _page(made)
    assert main(argv) == 0
    second = out.read_text(encoding="utf-8")
    assert len(DATE_LINE.findall(first)) == 1
    assert DATE_LINE.sub("", first) == DATE_LINE.sub("", second)


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> None:
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skywatch: error: "), lines
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(REFERENCE)
    out = tmp_path / "b.html"
    base = ["brief", str(scenario), "baseline", "--out", str(out), "--quiet"]
    _refused(capsys, ["brief", str(tmp_path / "missing.toml"), "--replications", "2", "--out", str(out)],
             "missing.toml", "no such scenario file")
    _refused(capsys, [*base, "--replications", "1"], "--replications", "≥ 2")
    _refused(capsys, [*base[:3], "--out", str(tmp_path / "nowhere" / "b.html"), "--replications", "2"], "nowhere")
    (tmp_path / "a-file").write_text("")
    _refused(capsys, [*base[:3], "--out", str(tmp_path / "a-file" / "b.html"), "--replications", "2"], "a-file")
    _refused(capsys, [*base[:3], "--out", str(tmp_path / "b.txt"), "--replications", "2"], ".html")
    (tmp_path / "folder.html").mkdir()
    _refused(capsys, [*base[:3], "--out", str(tmp_path / "folder.html"), "--replications", "2", "--force"], "folder")
    out.write_text("mine")
    _refused(capsys, [*base, "--replications", "2"], "--force")
    assert out.read_text() == "mine", "an existing file is left alone"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    _refused(capsys, [*base, "--replications", "2", "--pdf", "--force"], "Chromium")
    assert out.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "b.html", "folder.html", "s.toml"]


def test_a_failed_pdf_leaves_neither_file_nor_a_partial_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(chromium: str, page: Path, out: Path) -> None:
        raise OSError(28, "No space left on device", str(out))

    monkeypatch.setattr(report, "print_pdf", fail)
    out = tmp_path / "b.html"
    with pytest.raises(OSError):
        report.write_brief("<!DOCTYPE html>", out, "chromium")
    assert list(tmp_path.iterdir()) == []
    assert report.write_brief("<!DOCTYPE html>", out, None) == [out]
    assert out.read_text() == "<!DOCTYPE html>" and list(tmp_path.iterdir()) == [out]


def test_chromium_prints_the_brief_to_pdf(made: tuple[list[str], Path], tmp_path: Path) -> None:
    require(os.access(CHROMIUM, os.X_OK), "chromium")
    out = tmp_path / "brief.pdf"
    pdf.print_pdf(pdf.find_chromium(), made[1], out)
    assert out.read_bytes().startswith(b"%PDF-") and out.stat().st_size > 10_000


def test_corridor_spread_counts_the_corridors_in_use_over_the_last_day() -> None:
    steps = 8
    frame = pd.DataFrame({"launched_west": [0, 2, 2, 0, 0, 0, 0, 0], "launched_east": [0, 0, 0, 0, 0, 0, 0, 2],
                          "launched_central": [0] * steps})
    spread = corridor_spread(frame, step_hours=6.0)  # a day is 4 steps
    assert np.isnan(spread[0])
    np.testing.assert_allclose(spread[1:6], 1.0)  # only west in the window
    assert np.isnan(spread[6]), "nothing launched in the last day"
    np.testing.assert_allclose(spread[7], 1.0)
    even = corridor_spread(pd.DataFrame({"launched_a": [1, 1], "launched_b": [1, 1], "launched_c": [1, 1]}), 0.25)
    np.testing.assert_allclose(even, 3.0)


def test_mean_flow_is_shipment_hours_per_cell_per_day_over_the_runs(tmp_path: Path) -> None:
    folders = []
    for k, flow in enumerate((np.array([[4, 0], [0, 8]]), np.array([[0, 0], [0, 16]]))):
        folder = tmp_path / f"r{k}"
        folder.mkdir()
        np.save(folder / "flow.npy", flow)
        folders.append(folder)
    np.testing.assert_allclose(mean_flow(folders, step_hours=0.5, days=2.0), [[0.5, 0.0], [0.0, 3.0]])
    assert mean_flow([], 0.5, 2.0) is None


def test_a_chromium_that_writes_no_file_is_one_error_line_not_a_traceback(tmp_path: Path) -> None:
    """Chromium exits 0 without writing the PDF: the print is refused with a ScenarioError, not a FileNotFoundError."""
    quiet = tmp_path / "chromium"
    quiet.write_text("#!/bin/sh\nexit 0\n")
    quiet.chmod(0o755)
    page = tmp_path / "brief.html"
    page.write_text("<!DOCTYPE html>")
    with pytest.raises(ScenarioError, match="printed no PDF"):
        pdf.print_pdf(str(quiet), page, tmp_path / "brief.pdf")


def test_a_brief_stopped_by_sigterm_removes_its_runs_and_writes_nothing(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    scratch, out = tmp_path / "tmp", tmp_path / "brief.html"
    scratch.mkdir()
    command = [sys.executable, "-m", "sim", "brief", "baseline", "drone_surge", "--replications", "10", "--steps", "200",
               "--out", str(out), "--workers", "1", "--quiet"]
    child = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(scratch.glob("skywatch-brief-*/*")) and time.monotonic() < deadline:  # a run folder is written
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130 and "interrupted" in err
    assert not list(scratch.glob("skywatch-brief-*")) and not out.exists()
