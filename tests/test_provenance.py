"""Provenance: the version, the scenario's digest and the seeds, in captions (sweep tables: tests/test_sweep.py)."""

from matplotlib.text import Text

from sim import __version__
from sim.provenance import caption, provenance
from sim.run import simulate
from sim.scenario import Scenario
from sim.viz.figures import draw_overview


def test_provenance_names_version_digest_seeds_and_a_world_seed_when_the_scenario_has_one():
    scenario = Scenario()
    fields = provenance(scenario, run_seed=7)
    assert fields == {"version": __version__, "scenario_sha256": scenario.sha256(), "run_seed": "7"} | (
        {"world_seed": str(scenario["world.seed"])} if "world.seed" in scenario.values else {})
    with_world = Scenario({**scenario.values, "world.seed": 5})
    assert provenance(with_world, sweep_seed=1)["world_seed"] == "5"
    assert caption(provenance(with_world, sweep_seed=1)) == (
        f"skywatch {__version__} · scenario sha256 {with_world.sha256()[:12]} · sweep seed 1 · world seed 5")


def test_the_run_overview_caption_gives_version_digest_and_seed():
    scenario = Scenario().with_overrides({"world.height": 64, "world.width": 64, "run.steps": 8, "run.seed": 4}, "test")
    figure = draw_overview(simulate(scenario))
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert any(t.startswith(f"skywatch {__version__} · scenario sha256 {scenario.sha256()[:12]} · run seed 4") for t in texts)
