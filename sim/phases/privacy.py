"""Phase 3: the people under the drones lose trust in the authorities where the sensors fall.

Every cell under a sensing drone's footprint this step loses trust at ``community.privacy_trust_loss``
per hour it lay there (``AirSurveillance.dwell_h``, :meth:`sim.community.Community.expose`). Tips read
trust along the routes at the next planning period, so surveillance then costs tips. Off (nothing changes) while the rate is 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.community import Community
from sim.params import Params
from sim.phases import InvariantError
from sim.phases.air import AirSurveillance


class PrivacyBacklash:
    """Trust lost to surveillance.

    Args:
        params: the scenario's typed parameters (``community.privacy_trust_loss``).
        air: the air surveillance (this step's covered cells).
        community: the people (their trust).
        tally: the run's totals.
    """

    name = "privacy"

    def __init__(self, params: Params, air: AirSurveillance, community: Community, tally: Any) -> None:
        self.on = params.community.privacy_trust_loss > 0.0
        self.air, self.community, self.tally = air, community, tally

    def step(self, now: int) -> None:
        """Lower trust in the cells the sensing drones covered this step."""
        if not self.on or self.air.n_touched == 0:
            return
        cells = self.air.touched[:self.air.n_touched]
        self.tally.trust_lost_to_surveillance += self.community.expose(cells, self.air.dwell_h.reshape(-1)[cells])

    def check(self, now: int) -> None:
        """Trust stays in [0, 1]; the trust lost is never negative."""
        trust = self.community.trust
        if not (np.all(np.isfinite(trust)) and trust.min() >= 0.0 and trust.max() <= 1.0):
            raise InvariantError(f"step {now}: trust outside [0, 1]")
        if self.tally.trust_lost_to_surveillance < 0.0:
            raise InvariantError(f"step {now}: negative trust lost to surveillance")
