"""The intelligence cell: intercepts of the cartels' planning traffic, and the cues every source makes.

Drone detections and intercepts are the surveillance partner's: they reach the partner's ground
units with a sharing fraction and after a sharing latency (shortened by joint task forces).
Tips go to the ground units directly. With ``intel.fusion`` reports about one shipment join one
cue (:mod:`sim.fusion`).
"""

from __future__ import annotations

import numpy as np

from sim.cues import CUE_INTERCEPT, CUE_SOURCES, CueQueue
from sim.fusion import fuse
from sim.kernels.matching import end_cues
from sim.shipments import ShipmentPool
from sim.streams import RandomStreams
from sim.units import Units


class IntelCell:
    """Turns what is seen into cues waiting for a ground unit.

    Args:
        params: the scenario's typed parameters (``intel``, ``ground``).
        units: the run's unit conversions.
        pool: the shipments.
        tally: the run's totals (``intercepts`` and ``cues_fused`` are counted here).
        streams: the run's random streams (``intercept``, by shipment; ``sharing``, by shipment, cue source and step).
    """

    def __init__(self, params, units: Units, pool: ShipmentPool, tally, streams: RandomStreams) -> None:
        self.intel = params.intel
        self.units = units
        self.pool = pool
        self.tally = tally
        self.streams = streams
        self.expiry_steps = units.steps(params.ground.cue_expiry_h)
        self.sharing_h = self.intel.sharing_latency_h * (self.intel.jtf_latency_factor if self.intel.joint_task_force else 1.0)
        self.cues = CueQueue()

    def intercept(self, slots: np.ndarray, cells: np.ndarray, encryption: float, now: int) -> None:
        """Intercept the planning traffic of some new shipments (at ``slots``, starting at ``cells``) and cue units.

        Each shipment's draw is its own (counter = its uid), whatever else was launched.
        """
        draws = self.streams.uniforms("intercept", self.pool.uid[slots])
        hit = draws < self.intel.intercept_prob * (1.0 - encryption)
        if not hit.any():
            return
        self.tally.intercepts += int(hit.sum())
        self.cue(slots[hit], cells[hit], self.intel.latency_h, CUE_INTERCEPT, shared=True, now=now, into_h=0.0)

    def cue(self, slots: np.ndarray, cells: np.ndarray, delay_h: float, source: int, shared: bool, now: int,
            into_h: float | None = None) -> None:
        """Queue cues at shipments ``slots`` seen at ``cells``, ready for the ground units after ``delay_h``.

        The reports were made ``into_h`` hours into step ``now`` (an intercept at launch, as the step
        begins; by default the step's middle, as a sighting or a tip made on the way): the units may
        answer them at the step end nearest ``delay_h`` later (:meth:`sim.units.Units.ready_step`).

        A cue from the surveillance partner (``shared``) reaches the ground partner with the
        sharing fraction and after the sharing latency. Whether it does is a draw of its own (counter:
        the shipment's uid and the cue's source, keyed by the step), so no other cue, intercept or
        lever moves it.
        """
        if shared:
            if self.intel.sharing_fraction < 1.0:
                counters = self.pool.uid[slots] * CUE_SOURCES + source
                kept = self.streams.uniforms("sharing", counters, step=now) < self.intel.sharing_fraction
                if not self.intel.fusion:  # without fusion the movement kernel marked every reported shipment as cued
                    self.pool.cued[slots[~kept]] = False
                slots, cells = slots[kept], cells[kept]
            delay_h += self.sharing_h
        self.pool.cued[slots] = True
        u = self.units
        ready = u.ready_step(now, 0.5 * u.step_hours if into_h is None else into_h, delay_h)
        uids = self.pool.uid[slots]
        if self.intel.fusion:
            self.tally.cues_fused += fuse(self.cues, slots, uids, cells, ready, ready + self.expiry_steps, source, now)
        else:
            self.cues.append(slot=slots, uid=uids, cell=cells, ready_step=ready, expiry_step=ready + self.expiry_steps,
                             source=source, sources=1 << source, reported_step=now)

    def ended(self, slots: np.ndarray) -> None:
        """The shipments at ``slots`` have ended (their slots not yet freed): the dispatch drops their cues."""
        q = self.cues
        end_cues(q.table, len(q), q.row_of, slots, self.pool.uid[slots])
