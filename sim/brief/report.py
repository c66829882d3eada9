"""The policy brief put together: its sections from a comparison and the runs' folders, and the file written whole.

:func:`render_brief` turns a :class:`sim.compare.Comparison` made by the brief (its runs' folders
kept in ``keep_dir``) into the page's HTML: the question and the scenarios' differences in words,
the headline table, the displacement map, the cartels' adaptation and the effects on communities
over time, the calibration status and caveats, and the provenance. The page is a pure function of
its inputs and the date line. :func:`write_brief` writes it (and the PDF) to hidden files beside the
output and renames them into place only when all are complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sim import __version__
from sim.brief import page
from sim.brief.differences import differences
from sim.brief.figures import displacement_figure, series_figure
from sim.brief.pdf import print_pdf
from sim.brief.series import CORRIDOR_SPREAD, SPREAD_WINDOW_H, Band, bands, mean_flow, run_folders
from sim.compare import (
    DIFFERENCE_KEYS,
    MEAN_KEYS,
    RATIOS,
    SEIZURES,
    VALUE_SEIZED,
    Comparison,
    default_folder,
    describe,
    row_interval,
    run_days,
)
from sim.intervals import CONFIDENCE
from sim.outcomes import BY_NAME
from sim.outfolder import check_name_fits, hidden_name
from sim.preflight import preflight
from sim.reference import load_reference
from sim.scenario import Scenario, ScenarioError
from sim.viz.figures import travel_relief

BRIEFS_DIR = Path("briefs")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIX = ".pdf"
UNCALIBRATED = "uncalibrated"
CALIBRATION_FIELDS = ("calibration.config", "calibration.parameters", "calibration.targets")
ADAPTATION_SWITCHES = ("adaptation.route_shifting", "adaptation.encryption", "adaptation.counter_drone")
HEADLINE = (SEIZURES, "shipments_delivered", "seizure_rate", VALUE_SEIZED)  # the comparison's cost follows
ADAPTATION_OUTCOMES = ("encryption_level", "counter_drone_level", "drones_lost", "route_dispersion", "network_spread")
COMMUNITY_OUTCOMES = ("trust", "trust_lost_to_surveillance", "privacy_exposure", "violence_events", "civilian_harm_events")


@dataclass(frozen=True)
class Panel:
    """One time-series panel: its title and the per-step measure it draws (a metrics.csv column)."""

    title: str
    column: str


ADAPTATION_PANELS = (Panel("Encryption", "encryption_level"), Panel("Counter-drone measures", "counter_drone_level"),
                     Panel("Counter-drone zones fielded", "counter_zones"),
                     Panel("Route dispersion: corridors launched on", CORRIDOR_SPREAD))
COMMUNITY_PANELS = (Panel("Trust in the authorities", "trust"), Panel("Privacy exposure", "privacy_exposure"),
                    Panel("Cartel violence", "violence_events"), Panel("Civilian harm", "civilian_harm_events"))
SPREAD_LABEL = f"effective corridors (launches over the last {SPREAD_WINDOW_H:g} h)"
MODEL_CAVEATS = (
    "The intervals cover what varies between runs of one world over one horizon (launches, detections, responses); "
    "they do not cover uncertainty in the parameters, other worlds (sweep world.seed) or longer horizons.",
    "Costs are the model's accounting of each lever: every air platform's flight hours at their full hourly cost, "
    "ground unit-hours, checkpoint-days, intelligence and programme costs. Operators report lower flight costs "
    "(air_cost_reported in the run folders).",
    "The cost per extra seizure is the mean extra cost over the mean extra seizures of the replicate pairs, with a "
    "95 % interval (Fieller's) over the pairs; it is the price of one more seizure, not the average cost of a seizure. "
    "An upper bound of ∞ means the extra seizures' interval reaches zero.",
    "Seized shipments stop short of the border: less flow beyond a place can mean seizures there as well as routes "
    "moved elsewhere.",
    "Cartels adapt only through the mechanisms a scenario switches on (route shifting, encryption, counter-drone "
    "measures); a scenario without them shows no adaptation, which is an assumption, not a finding.",
)


@dataclass(frozen=True)
class BriefRequest:
    """What a brief is made of besides its runs.

    Attributes:
        scenarios: the scenarios by label, the reference first, as run (command-line overrides applied).
        arguments: each label's scenario argument as given on the command line.
        replications: runs per scenario asked for.
        command: the command that made the brief, as typed.
    """

    scenarios: dict[str, Scenario]
    arguments: dict[str, str]
    replications: int
    command: str


def default_brief_path(labels: list[str]) -> Path:
    """``briefs/FIRST-vs-OTHERS.html``: named as ``skywatch compare`` names its folder."""
    return BRIEFS_DIR / f"{default_folder(labels).name}{HTML_SUFFIXES[0]}"


def pdf_path(out: Path) -> Path:
    """The PDF written beside the HTML file ``out``."""
    return out.with_suffix(PDF_SUFFIX)


def check_brief_out(out: Path, force: bool, pdf: bool) -> None:
    """Refuse an output the brief could not write whole, before any run.

    Raises:
        ScenarioError: ``out`` does not end in .html, its folder is missing or not writable, or it (or the PDF
            beside it) is a folder or a link, or an existing file without ``force``.
    """
    if out.suffix.lower() not in HTML_SUFFIXES:
        raise ScenarioError(out, "--out", f"expected a file name ending in {HTML_SUFFIXES[0]}")
    for path in (out, pdf_path(out)) if pdf else (out,):
        check_name_fits(path, "file", path.suffix)  # staged under its hidden name with its suffix (_staged)
    folder = out.parent
    if not folder.is_dir():
        raise ScenarioError(out, "--out", f"expected a file in an existing folder; {folder} is not one")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ScenarioError(out, "--out", f"expected a folder you may write in; {folder} is not writable")
    for path in (out, pdf_path(out)) if pdf else (out,):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ScenarioError(path, "--out", "expected a file to write, found a folder or a link")
        if path.exists() and not force:
            raise ScenarioError(path, "--out", "the file exists: pass --force to replace it")


@contextmanager
def _staged(final: Path, suffix: str) -> Iterator[Path]:
    """A hidden path beside ``final`` to write to (``suffix`` tells Chromium the kind); removed unless renamed first."""
    staged = final.parent / f"{hidden_name(final.name)}{suffix}"
    try:
        yield staged
    finally:
        staged.unlink(missing_ok=True)


def write_brief(html: str, out: Path, chromium: str | None) -> list[Path]:
    """Write the page to ``out`` and, given ``chromium``, its PDF beside it; return the paths written.

    Each file is written to a hidden file beside its place and renamed into place only when every file is complete.
    """
    with _staged(out, out.suffix) as staged_html, _staged(pdf_path(out), PDF_SUFFIX) as staged_pdf:
        staged_html.write_text(html, encoding="utf-8")
        moves = [(staged_html, out)]
        if chromium is not None:
            print_pdf(chromium, staged_html, staged_pdf)
            moves.append((staged_pdf, pdf_path(out)))
        for staged, final in moves:
            os.replace(staged, final)
    return [final for _, final in moves]


def calibration_status(scenario: Scenario) -> str:
    """``uncalibrated``, or the calibration file and what it fitted against what (reference figure ids)."""
    config, parameters, targets = (scenario[name] for name in CALIBRATION_FIELDS)
    if not (config or parameters or targets):
        return UNCALIBRATED
    fitted = ", ".join(parameters) or "no parameter named"
    against = "; ".join(_describe_target(target) for target in targets) or "no reference figure named"
    return f"calibrated by {config or 'an unnamed calibration file'}: {fitted} fitted against {against}"


def _describe_target(target: str) -> str:
    """A reference figure's id with what it measures, where, when and its source (the id alone if not shipped)."""
    figure = load_reference().get(target)
    if figure is None:
        return f"{target} (not in the shipped reference figures)"
    flag = f", flagged: {figure.why}" if figure.status == "flagged" else ""
    return f"{target} ({figure.measures}, {figure.where}, {figure.when}; {figure.citation}{flag})"


def _rows(comparison: Comparison, outcome: str) -> list[dict]:
    table = comparison.table
    return table[table["outcome"] == outcome].to_dict("records")


def _estimate_cell(row: dict, reference: bool) -> page.Html:
    """A mean with its interval, and below it (not for the reference) the paired difference with its interval."""
    cell = page.text(describe(row_interval(row, MEAN_KEYS)))
    if not reference:
        cell += page.element("span", page.text("Δ " + describe(row_interval(row, DIFFERENCE_KEYS), signed=True)),
                             class_="delta")
    return cell


def _unit(row: dict) -> str:
    """`` (unit)`` after an outcome's name: none for a pure number, ``(per day)`` for one per day."""
    unit = row["unit"].removeprefix("-")
    return f" ({unit.replace('/', 'per ', 1) if unit.startswith('/') else unit})" if unit else ""


def outcome_table(comparison: Comparison, outcomes: tuple[str, ...], ratios: bool = False) -> page.Html:
    """Per scenario, each outcome's mean [interval] and its Δ vs the reference [paired interval].

    With ``ratios``, the cost-effectiveness ratios come last (or why there are none). Outcomes no run has are left out.
    """
    present = [outcome for outcome in outcomes if _rows(comparison, outcome)]
    columns = {outcome: _rows(comparison, outcome) for outcome in present}
    header = ["scenario", *(f"{outcome}{_unit(rows[0])}" for outcome, rows in columns.items())]
    ratio_rows = {spec.name: {row["scenario"]: row for row in _rows(comparison, spec.name)} for spec in RATIOS} if ratios else {}
    header += [f"extra cost per extra {spec.per} [{CONFIDENCE:.0%}]" for spec in RATIOS if spec.name in ratio_rows]
    body = []
    for k, group in enumerate(comparison.groups):
        cells = [page.text(group.label)]
        cells += [_estimate_cell(rows[k], reference=k == 0) for rows in columns.values()]
        for by_scenario in ratio_rows.values():
            row = by_scenario.get(group.label)
            if row is None:
                cells.append(page.text("reference"))
            elif math.isnan(row["mean"]):
                cells.append(page.text(row["note"].split(";")[0]))
            else:
                cells.append(page.text(describe(row_interval(row, MEAN_KEYS))))
        body.append(cells)
    return page.table(header, body)


def _question(request: BriefRequest) -> page.Html:
    labels = list(request.scenarios)
    reference = request.scenarios[labels[0]]
    run = reference.params.run
    content = page.paragraph(
        f"What does each policy below buy against {labels[0]}: how much more trafficking does it stop, where does the "
        "flow go instead, how do the cartels adapt, what does it cost, and what does it do to the communities underneath?")
    content += page.paragraph(
        f"Each scenario ran {request.replications} times; replicate r had the same run seed in every scenario (common "
        f"random numbers), so the differences are paired seed by seed. The reference, {labels[0]}, runs {run.steps:,} "
        f"steps of {run.step_hours:g} h ({run_days(reference):g} days) on world seed {reference['world.seed']}.")
    for k, (label, scenario) in enumerate(request.scenarios.items()):
        title = f"{label}{' (the reference)' if k == 0 else ''}: {scenario.description or 'no description'}"
        content += page.element("h3", page.text(title))
        if k == 0:
            continue
        changes = differences(reference, scenario)
        content += (page.bullets((page.text(line) for line in changes), class_="changes") if changes else
                    page.paragraph(f"The same parameters as {labels[0]}."))
    return page.section("question", "The question and the scenarios compared", content)


def _headline(comparison: Comparison) -> page.Html:
    per_day = " Totals are per day: the runs' lengths differ." if comparison.per_day else ""
    content = page.paragraph(
        f"Mean over the runs [{CONFIDENCE:.0%} interval]; Δ: the mean paired difference from {comparison.reference.label} "
        f"[paired {CONFIDENCE:.0%} interval]. An interval that excludes 0 is a difference the replications resolve. "
        f"The cost is {comparison.cost}.{per_day}")
    content += outcome_table(comparison, (*HEADLINE, comparison.cost), ratios=True)
    content += page.bullets(page.text(line) for line in comparison.ratios)
    return page.section("headline", "Headline", content)


def _displacement(request: BriefRequest, keep_dir: Path) -> page.Html:
    labels = list(request.scenarios)
    flows = {}
    for label, scenario in request.scenarios.items():
        flows[label] = mean_flow(run_folders(keep_dir, label, request.replications), scenario.params.run.step_hours,
                                 run_days(scenario))
    reference = flows[labels[0]]
    if reference is None:
        return page.section("displacement", "Displacement map", page.paragraph(f"No run of {labels[0]} finished: no map."))
    others = [(label, flow if flow is not None and flow.shape == reference.shape else None) for label, flow in
              list(flows.items())[1:]]
    scenario = request.scenarios[labels[0]]
    uri = displacement_figure(labels[0], reference, others, scenario.params.world.cell_km, travel_relief(preflight(scenario)))
    caption = (f"First: {labels[0]}'s flow, the hours shipments spent in each cell per day (flow.npy, the mean over its "
               f"runs). Then each scenario's flow minus {labels[0]}'s: red where shipments spent more time, blue where "
               "less. Terrain (travel time) in grey beneath.")
    moved = [f"{label}: world seed {request.scenarios[label]['world.seed']}" for label in labels[1:]
             if request.scenarios[label]["world.seed"] != scenario["world.seed"]]
    note = page.paragraph("Other worlds than the reference's, so the differences mix worlds: " + "; ".join(moved)) \
        if moved else ""
    content = page.figure(uri, "maps of the reference's flow and of each scenario's difference in flow", caption,
                          "displacement") + note
    return page.section("displacement", "Displacement map: where the flow goes", content)


def _panel_bands(request: BriefRequest, keep_dir: Path, panels: tuple[Panel, ...]) -> list[tuple[str, str, dict[str, Band]]]:
    """Each panel's title, y label and each scenario's band."""
    found: dict[str, dict[str, Band]] = {}
    for label, scenario in request.scenarios.items():
        folders = run_folders(keep_dir, label, request.replications)
        found[label] = bands(folders, [panel.column for panel in panels], scenario.params.run.step_hours)
    drawn = []
    for panel in panels:
        outcome = BY_NAME.get(panel.column)
        if outcome is None:
            ylabel = SPREAD_LABEL
        else:
            ylabel = outcome.unit if outcome.unit != "-" else "level (0–1)"
            ylabel += ", so far" if outcome.aggregation == "total" else ""
        drawn.append((panel.title, ylabel, {label: by[panel.column] for label, by in found.items() if panel.column in by}))
    return drawn


def _over_time(request: BriefRequest, comparison: Comparison, keep_dir: Path) -> page.Html:
    band_text = (f"Lines: the mean over each scenario's runs at every step; bands: the {CONFIDENCE:.0%} interval of "
                 "that mean (Student t over the replications).")
    switches = []
    for label, scenario in request.scenarios.items():
        on = [name.split(".", 1)[1].replace("_", " ") for name in ADAPTATION_SWITCHES if scenario[name]]
        switches.append(f"{label}: {', '.join(on) if on else 'none'}")
    adaptation = page.paragraph("Adaptation switched on: " + "; ".join(switches) + ".")
    adaptation += page.figure(series_figure(_panel_bands(request, keep_dir, ADAPTATION_PANELS)),
                              "the cartels' encryption, counter-drone level and zones, and route dispersion over time",
                              f"{band_text} Route dispersion: exp(entropy) of the launches per corridor over the last "
                              f"{SPREAD_WINDOW_H:g} h, from 1 (one corridor) to the number of corridors.", "adaptation")
    adaptation += page.paragraph("At the end of the runs:") + outcome_table(comparison, ADAPTATION_OUTCOMES)
    communities = page.figure(series_figure(_panel_bands(request, keep_dir, COMMUNITY_PANELS)),
                              "trust, privacy exposure, violence and civilian harm over time",
                              f"{band_text} Privacy exposure, violence and harm are totals so far.", "communities")
    communities += page.paragraph("At the end of the runs:") + outcome_table(comparison, COMMUNITY_OUTCOMES)
    return (page.section("adaptation", "The cartels' adaptation over time", adaptation)
            + page.section("communities", "Effects on communities", communities))


def _calibration(request: BriefRequest, comparison: Comparison) -> page.Html:
    statuses = {label: calibration_status(scenario) for label, scenario in request.scenarios.items()}
    rows = [[page.text(label), page.element("span", page.text(status), class_=f"status-{UNCALIBRATED}")
             if status == UNCALIBRATED else page.text(status)] for label, status in statuses.items()]
    content = page.table(["scenario", "calibration"], rows)
    if all(status == UNCALIBRATED for status in statuses.values()):
        content += page.paragraph(
            "Uncalibrated: no parameter of these scenarios has been fitted to published figures. The numbers above "
            "follow from the parameters' documented defaults and the scenario files; read them as what the model "
            "implies under those assumptions, not as estimates of the world.", class_=f"status-{UNCALIBRATED}")
    caveats = [*MODEL_CAVEATS, *(note[:1].upper() + note[1:] for note in comparison.notes)]
    if any(not scenario["world.crs"] for scenario in request.scenarios.values()):
        caveats.append("A world without world.crs is procedural: its terrain, sites and people are stand-ins, not a place.")
    content += page.element("h3", page.text("Caveats")) + page.bullets(page.text(line) for line in caveats)
    return page.section("calibration", "Calibration status and caveats", content)


def _provenance(request: BriefRequest, comparison: Comparison) -> page.Html:
    rows = [[page.text(group.label), page.element("code", page.text(request.arguments[group.label])),
             page.element("code", page.text(group.digest)), page.text(group.world_seed),
             page.element("code", page.text(" ".join(map(str, group.runs.index))))] for group in comparison.groups]
    content = page.paragraph(f"Skywatch {__version__}. Comparison seed {comparison.seed}: replicate r's run seed derives "
                             "from it as a sweep's does.")
    content += page.table(["scenario", "file", "scenario sha256 (without its run seed)", "world seed", "run seeds"], rows)
    content += page.paragraph("Made by:") + page.element("pre", page.element("code", page.text(request.command)))
    content += page.paragraph("The same command makes the same page, but for the date line at the top.")
    return page.section("provenance", "Provenance", content)


def render_brief(request: BriefRequest, comparison: Comparison, keep_dir: Path, made: datetime) -> str:
    """The brief's HTML page.

    Args:
        request: the scenarios, their arguments, the replications and the command.
        comparison: the comparison of the scenarios' runs (the reference first).
        keep_dir: the folder holding the runs' folders (:func:`sim.compare.run_groups`).
        made: when the brief was made (its only line that changes between two runs of one command).
    """
    labels = list(request.scenarios)
    title = f"Skywatch policy brief: {', '.join(labels[1:]) or labels[0]} against {labels[0]}"
    lede = (f"{len(labels)} scenarios, {request.replications} replications each; "
            f"every number with its {CONFIDENCE:.0%} interval.")
    sections = [_question(request), _headline(comparison), _displacement(request, keep_dir),
                _over_time(request, comparison, keep_dir), _calibration(request, comparison),
                _provenance(request, comparison)]
    return page.document(title, f"Made {made:%Y-%m-%d %H:%M} UTC.", lede, sections)

