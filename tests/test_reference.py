from pathlib import Path

import pytest

from sim.calibration.statistics import BY_NAME
from sim.reference import REFERENCE_FILE, load_reference, read_reference
from sim.scenario import ScenarioError

NAMED_BY_THE_ISSUE = (
    "oig_drone_seizure_share", "oig_flown_hours_share", "oig_cost_per_flight_hour", "oig_reported_cost_per_flight_hour",
    "cbp_fentanyl_port_share", "cbp_cocaine_port_share", *(f"cbp_fentanyl_fy{year}" for year in range(2019, 2024)),
    "cocaine_price_colombia", "cocaine_price_central_america", "cocaine_price_northern_mexico", "cocaine_price_united_states",
)


def test_reference_file_parses_and_every_entry_has_a_source():
    figures = load_reference()
    assert set(NAMED_BY_THE_ISSUE) <= set(figures)
    for figure in figures.values():
        assert figure.citation and figure.url.startswith("https://"), figure.id
        assert figure.checked, figure.id
        assert figure.low <= figure.target <= figure.high
        assert figure.uncertainty > 0
        assert figure.status in ("confirmed", "flagged")
        assert figure.status == "confirmed" or figure.why, figure.id


def test_each_target_figure_names_a_statistic_the_calibration_knows():
    usable = [f for f in load_reference().values() if f.statistic]
    assert {f.id for f in usable} >= {"oig_flown_hours_share", "oig_cost_per_flight_hour", "cbp_hard_drug_port_share"}
    assert all(f.statistic in BY_NAME for f in usable)


def test_figures_as_published():
    figures = load_reference()
    assert figures["oig_cost_per_flight_hour"].value == 12_255
    assert figures["oig_reported_cost_per_flight_hour"].value == 2_468
    assert figures["oig_flown_hours_share"].value == pytest.approx(0.22)
    assert (figures["oig_drone_seizure_share"].low, figures["oig_drone_seizure_share"].high) == (0.0, 0.03)
    assert [figures[f"cbp_fentanyl_fy{y}"].target for y in range(2019, 2023)] == [2_800, 4_776, 11_200, 14_700]
    assert figures["cbp_fentanyl_fy2023"].low >= 27_000


def test_an_entry_without_a_source_is_refused(tmp_path: Path):
    text = REFERENCE_FILE.read_text().replace('citation = "DHS OIG, OIG-15-17, 24 Dec 2014"', 'citation = ""', 1)
    bad = tmp_path / "figures.toml"
    bad.write_text(text)
    with pytest.raises(ScenarioError, match="citation"):
        read_reference(bad)


def test_a_flagged_entry_must_say_why(tmp_path: Path):
    text = REFERENCE_FILE.read_text()
    start = text.index('why = "the report')
    bad = tmp_path / "figures.toml"
    bad.write_text(text[:start] + text[text.index("\n", start) + 1:])
    with pytest.raises(ScenarioError, match="why"):
        read_reference(bad)
