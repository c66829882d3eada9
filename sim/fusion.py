"""Fusion of intelligence: reports about one shipment from several sources make one cue, ranked by corroboration.

Every report in the model names the shipment it is about (a drone saw it, its planning traffic
was intercepted, people watched it pass), so reports are matched by shipment (its uid), not by
place and time: a radius and window would merge reports about different shipments travelling
together and lose one of them, and would split reports about one shipment that moved on.
With ``intel.fusion`` on:

- A report about a shipment whose cue is waiting joins that cue instead of making one of its own
  (it is *fused*): the cue gains the report's source (a bit of ``sources``), the earlier ready
  step and the later expiry step. It keeps its first source, to which its seizure is credited,
  and its first cell: the unit meets the shipment wherever it is on arrival, the cell only sets
  the unit's travel time, and moving it with each report would send units ever further along the
  route (towards the sinks, away from the posts), an artefact rather than intelligence.
- A cue's corroboration is the number of distinct sources in it (1 to :data:`sim.cues.CUE_SOURCES`).
- Units answer waiting cues by priority (:func:`sim.kernels.dispatch.triage_cues` orders them):
  each distinct source beyond the first moves a cue ahead of the cues first reported less than
  ``intel.fusion_priority_h`` hours before it; ties are answered first come, first served.
- A shipment a unit is on its way to is not sensed until the unit arrives (no report, no cue):
  no two units ever go for one shipment, and no cue waits for a shipment a unit is going for.

With it off, a shipment with a cue (waiting or answered) is not sensed again until the cue is
resolved, so every cue has one source, and cues are answered first come, first served.

Fusion draws no random numbers: which reports exist is drawn per shipment by counter
(:mod:`sim.streams`), so sensing a shipment that has a cue moves no other shipment's draws.
"""

from __future__ import annotations

import numpy as np

from sim.cues import CUE_SOURCES, CueQueue
from sim.kernels.matching import fuse_reports

CORROBORATED = 2  # distinct sources from which a cue counts as corroborated
# Distinct sources in a ``sources`` bitmask, by its value (a popcount table of CUE_SOURCES bits).
CORROBORATION = np.array([bin(mask).count("1") for mask in range(1 << CUE_SOURCES)], dtype=np.int64)


def fuse(cues: CueQueue, slots: np.ndarray, uids: np.ndarray, cells: np.ndarray, ready_step: int, expiry_step: int,
         source: int, now: int) -> int:
    """Add reports from ``source`` (shipments ``slots`` with ``uids``, seen at flat ``cells``) to the queue.

    A report about a shipment with a cue in the queue joins it (see the module docstring); the
    others become cues of their own. ``uids`` are distinct (one report per shipment and source).

    Returns:
        The number of reports fused into a cue already waiting.
    """
    cues.make_room(slots)
    cues.size, fused = fuse_reports(cues.table, cues.size, cues.row_of, slots, uids, cells, ready_step, expiry_step, source, now)
    return fused
