"""The surveillance side learns, intelligence is shared between partners, communities respond."""

import numpy as np
import pytest

from sim.community import Community
from sim.outcomes import summarize
from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.units import Units

SEEDS = range(3)


def run(name: str, seed: int, **overrides) -> dict:
    values = {"run.seed": seed, **{k.replace("__", "."): v for k, v in overrides.items()}}
    return summarize(simulate(load_scenario(name).with_overrides(values, "test")))


def mean_of(key: str, name: str, **overrides) -> float:
    return float(np.mean([run(name, seed, **overrides)[key] for seed in SEEDS]))


def cued_seizures(summary: dict) -> int:
    return summary["seized_by_drone_cue"] + summary["seized_by_intercept"]


def test_seizures_fall_as_sharing_latency_grows():
    seized = [np.mean([cued_seizures(run("drone_surge", seed, intel__sharing_latency_h=latency, intel__intercept_prob=0.2))
                       for seed in SEEDS]) for latency in (0.0, 2.0, 6.0)]
    assert seized[0] > seized[1] > seized[2], seized


def test_joint_task_forces_and_sharing_fraction():
    slow = {"intel__sharing_latency_h": 4.0, "intel__intercept_prob": 0.2}
    without = np.mean([cued_seizures(run("drone_surge", seed, **slow)) for seed in SEEDS])
    joint = np.mean([cued_seizures(run("drone_surge", seed, intel__joint_task_force=True, **slow)) for seed in SEEDS])
    assert joint > without
    assert mean_of("seized_by_drone_cue", "drone_surge", intel__sharing_fraction=0.0) == 0.0
    # with units enough to answer the cues: drone_surge's 12 are saturated, and answer 30 % of the cues about as well as all
    assert mean_of("seized_by_drone_cue", "drone_surge", intel__sharing_fraction=0.3, ground__units=48) < mean_of(
        "seized_by_drone_cue", "drone_surge", ground__units=48
    )


def test_seizures_are_recorded_by_source():
    s = run("intel_sharing", 1, community__awareness=1.0)
    by_source = s["seized_by_drone_cue"] + s["seized_at_checkpoint"] + s["seized_by_intercept"] + s["seized_by_tip"]
    assert s["shipments_seized"] == by_source
    assert min(s["seized_by_drone_cue"], s["seized_by_intercept"], s["seized_by_tip"], s["seized_at_checkpoint"]) > 0


def test_tips_grow_with_trust_and_awareness():
    base = mean_of("tips", "baseline")
    assert mean_of("tips", "baseline", community__awareness=1.0) > 1.5 * base
    assert mean_of("tips", "baseline", community__trust=0.9) > 1.5 * base
    assert mean_of("tips", "baseline", community__trust=0.0) == 0


def test_community_programs_cut_recruitment_and_raise_trust():
    plain = [run("baseline", seed) for seed in SEEDS]
    programs = [run("baseline", seed, community__programs=1.0) for seed in SEEDS]
    assert np.mean([p["shipments_launched"] for p in programs]) < 0.9 * np.mean([p["shipments_launched"] for p in plain])
    assert np.mean([p["trust"] for p in programs]) > np.mean([p["trust"] for p in plain])


def test_violence_lowers_trust_and_crisis_teams_soften_it():
    units = Units(1.0, 0.25)
    scenario = Scenario().with_overrides({"world.height": 64, "world.width": 64}, "test")
    population = np.ones((64, 64), np.float32)
    plain = Community(scenario.params.community, population, units)
    helped = Community(scenario.with_overrides({"community.crisis_teams": 1.0}, "t").params.community, population, units)
    for community in (plain, helped):
        community.harm(np.array([32 * 64 + 32]), 0.2)
    assert plain.trust[32, 32] == pytest.approx(scenario["community.trust"] - 0.2, abs=1e-6)
    assert plain.trust[0, 0] == pytest.approx(scenario["community.trust"], abs=1e-3), "harm is local"
    assert plain.mean_trust() < helped.mean_trust() < scenario["community.trust"]
    escalated = mean_of("violence_events", "drone_surge", community__escalation=50.0)
    assert escalated > mean_of("violence_events", "drone_surge", community__escalation=0.0)


def test_civilian_harm_follows_ground_interdictions():
    s = run("drone_surge", 0, community__civilian_harm_prob=1.0)
    ground = s["seized_by_drone_cue"] + s["seized_by_intercept"] + s["seized_by_tip"]
    assert s["civilian_harm_events"] == ground > 0
    assert s["trust"] < run("drone_surge", 0)["trust"]


def test_privacy_exposure_needs_drones():
    assert run("baseline", 0)["privacy_exposure"] == 0.0
    assert run("drone_surge", 0)["privacy_exposure"] > 0.0


def test_intel_patrol_without_cues_is_random_search():
    quiet = {"intel__intercept_prob": 0.0, "community__trust": 0.0}
    assert run("drone_surge", 2, drones__patrol="intel", **quiet) == run("drone_surge", 2, drones__patrol="random", **quiet) | {
        "scenario_sha256": run("drone_surge", 2, drones__patrol="intel", **quiet)["scenario_sha256"]}


def test_hotspot_patrol_finds_more_where_the_flow_is():
    steps = {"run__steps": 1344}
    hotspot = mean_of("detections", "drone_surge", drones__patrol="hotspot", **steps)
    random = mean_of("detections", "drone_surge", drones__patrol="random", **steps)
    assert hotspot > 1.1 * random, (hotspot, random)


def test_avoiding_counter_drone_zones_saves_drones():
    zones = {"counter__initial_level": 1.0, "counter__loss_hazard_per_h": 0.2, "drones__patrol": "hotspot", "run__steps": 1344}
    exposed = mean_of("drones_lost", "drone_surge", **zones)
    avoiding = mean_of("drones_lost", "drone_surge", patrol__avoid_zones=True, **zones)
    assert avoiding < exposed, (avoiding, exposed)
