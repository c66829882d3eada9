"""Fusion of intelligence: reports about one shipment join one cue, ranked by corroboration; no unit is sent twice."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.cues import CUE_DRONE, CUE_INTERCEPT, CUE_TIP, ENDED, UID, CueQueue
from sim.fusion import CORROBORATION, fuse
from sim.kernels.dispatch import QUEUE_ORDER, triage_cues
from sim.kernels.matching import end_cues
from sim.model import SkywatchModel
from sim.outcomes import summarize
from sim.phases import InvariantError
from sim.run import simulate
from sim.scenario import load_scenario

# Outcomes of this run before fusion existed (written by the model without it; refresh like tests/test_baseline.py).
STORED = Path(__file__).parent / "baselines" / "intel_sharing_no_fusion_seed3.json"
SMALL = {"run.seed": 3, "run.steps": 400, "world.height": 96, "world.width": 96, "world.cell_km": 2.0,
         "community.awareness": 1.0}
NEW_OUTCOMES = ("cues_fused", "corroborated_seizures")
UNLABELLED = ("version", "scenario_sha256")  # the code's version and the scenario's digest (it now holds intel.fusion)


def reports(queue: CueQueue, uids: list[int], source: int, now: int, ready: int, expiry: int) -> int:
    uids = np.array(uids, np.int64)
    return fuse(queue, uids % 7, uids, 100 + uids, ready, expiry, source, now)


def test_reports_about_one_shipment_join_one_cue_whose_corroboration_counts_distinct_sources():
    queue = CueQueue()
    assert reports(queue, [10, 11], CUE_DRONE, now=0, ready=2, expiry=10) == 0
    assert reports(queue, [11, 12], CUE_TIP, now=1, ready=1, expiry=9) == 1
    assert reports(queue, [11], CUE_INTERCEPT, now=2, ready=5, expiry=14) == 1
    assert reports(queue, [11, 10], CUE_DRONE, now=3, ready=5, expiry=13) == 2
    assert len(queue) == 3 and sorted(queue.uid) == [10, 11, 12]
    cue = dict(zip(queue.uid.tolist(), range(3), strict=True))
    np.testing.assert_array_equal(CORROBORATION[queue.sources[[cue[10], cue[11], cue[12]]]], [1, 3, 1])
    eleven = cue[11]
    assert queue.source[eleven] == CUE_DRONE and queue.reported_step[eleven] == 0, "the first report's source and step"
    assert queue.ready_step[eleven] == 1 and queue.expiry_step[eleven] == 14, "the earliest ready, the latest expiry"
    assert queue.cell[eleven] == 111, "the first report's cell"


def test_a_report_joins_the_waiting_cue_with_its_slot_and_uid_wherever_the_dispatch_moved_it():
    """Slot and uid both match (a reused slot is another shipment); the queue's rows move when the dispatch drops cues."""
    queue = CueQueue()
    assert reports(queue, [4, 2, 12, 3], CUE_DRONE, now=0, ready=5, expiry=9) == 0  # slot = uid % 7: 4, 2, 5, 3
    end_cues(queue.table, len(queue), queue.row_of, np.array([4, 6]), np.array([4, 6]))  # 4 has ended (and 6, with no cue)
    assert reports(queue, [11, 2, 12], CUE_TIP, now=1, ready=5, expiry=9) == 2  # 11 reuses slot 4
    assert queue.uid.tolist() == [ENDED, 2, 12, 3, 11]
    assert CORROBORATION[queue.sources].tolist() == [1, 2, 2, 1, 1]
    end_cues(queue.table, len(queue), queue.row_of, np.array([3]), np.array([3]))
    _, _, _, kept = triage_cues(queue.table, len(queue), QUEUE_ORDER, 0, 10, np.zeros((0, 2)), 1.0, queue.spare, queue.row_of)
    queue.take_spare(kept)
    assert queue.uid.tolist() == [2, 12, 11]
    assert reports(queue, [11, 2, 20], CUE_INTERCEPT, now=2, ready=5, expiry=9) == 2, "20 is new, in slot 6"
    assert queue.uid.tolist() == [2, 12, 11, 20] and CORROBORATION[queue.sources].tolist() == [3, 2, 2, 1]


def test_corroboration_moves_a_cue_ahead_of_cues_reported_within_the_priority_window():
    queue = CueQueue()
    for uid, step in ((1, 0), (2, 4), (3, 6)):
        reports(queue, [uid], CUE_DRONE, now=step, ready=step, expiry=step + 8)
    reports(queue, [3], CUE_TIP, now=7, ready=7, expiry=15)  # shipment 3: two sources, first reported at step 6

    def order(steps_per_source: int) -> list[int]:
        """The order the dispatch answers the queue in (no unit free, nothing ready: every cue waits, in that order)."""
        _, _, _, kept = triage_cues(queue.table, len(queue), steps_per_source, 0, 10, np.zeros((0, 2)), 1.0, queue.spare,
                                    queue.row_of)
        return queue.spare[:kept, UID].tolist()

    assert order(0) == [1, 2, 3], "no weight: first come, first served"
    assert order(3) == [1, 3, 2], "ahead of cues reported less than 3 steps before it"
    assert order(6) == [1, 3, 2], "a tie keeps the first come first"
    assert order(7) == [3, 1, 2]


def small_model(**overrides) -> SkywatchModel:
    values = {**SMALL, "run.validate": True, **{k.replace("__", "."): v for k, v in overrides.items()}}
    return SkywatchModel(load_scenario("intel_sharing").with_overrides(values, "test"))


def test_fused_runs_keep_one_cue_and_one_unit_per_shipment_in_validating_mode():
    model = small_model()
    for _ in range(SMALL["run.steps"]):
        model.step()  # every step's ground check: no two units or live cues for one shipment, none cued while pursued
    t = model.tally
    assert t.cues_fused > 0 and 0 < t.corroborated_seizures < t.shipments_seized


def test_the_ground_check_catches_a_shipment_pursued_twice():
    model = small_model(ground__units=30)
    while not any(unit.target for unit in model.ground.units):
        model.step()
    pursuing = next(unit for unit in model.ground.units if unit.target)
    idle = next(unit for unit in model.ground.units if unit.target is None)
    idle.dispatch(*pursuing.target, travel_steps=5, back_steps=10, now=model.steps)
    with pytest.raises(InvariantError, match="two units"):
        model.check_invariants()


def test_fusion_off_reproduces_the_model_without_fusion():
    values = {**SMALL, "intel.fusion": False}
    summary = summarize(simulate(load_scenario("intel_sharing").with_overrides(values, "test")))
    for name in UNLABELLED:
        summary.pop(name)
    assert all(summary.pop(name) == 0 for name in NEW_OUTCOMES)
    if os.environ.get("SKYWATCH_REFRESH_BASELINE"):
        STORED.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        pytest.skip(f"stored outcomes refreshed: {STORED}")
    stored = json.loads(STORED.read_text())
    assert {name: summary.get(name) for name in stored} == stored  # outcomes added since are not compared


@pytest.mark.parametrize(("assignment", "expected"), [("intel.fusion=1", "true or false"),
                                                       ("intel.fusion_priority_h=-1", "[0, 240]")])
def test_bad_fusion_parameters_get_one_line_and_exit_2(assignment, expected, capsys, tmp_path):
    assert main(["run", "intel_sharing", "--set", assignment, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skywatch: error: ") and expected in lines[0], captured.err
    assert assignment.split("=")[0] in lines[0] and not (tmp_path / "out").exists()
