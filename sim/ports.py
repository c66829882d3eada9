"""Ports of entry and the open border: where shipments cross, and the chance that each crossing catches them.

Every sink is a port of entry. A shipment that reaches a port is inspected with the port's
probability (``ports.inspect``, or its own in ``ports.inspect_each``) and found unless concealment
hides it: it is seized there with probability inspect × (1 − ``ports.concealment``), one draw of
the stream ``port_inspection``; otherwise it is delivered.

With ``border.open_segments`` > 0, that many open crossing points lie along the border
(:attr:`sim.world.World.border`) between the ports, each at the border cell farthest (in a
straight line) from the ports and the crossings placed before it: the widest gaps are filled
first. They are further route ends the cartels plan to. Crossing there adds
``border.open_extra_hours`` to the route (to its planning cost and to the time to enter the
crossing cell), and the crossing is detected, and the shipment seized, with probability
``border.open_detect`` (stream ``open_border_detection``). ``ports.concealment`` does not apply
there: it hides goods from an inspection, not people on foot from a patrol.

Route shifting between the crossings needs nothing of its own: a seizure at a crossing is a
seizure (:class:`sim.seizures.Seizures`), remembered in its cartel's risk map at the crossing's
cell, so re-planning around the risk map moves flow away from a crossing that catches a lot (the
balloon effect on the border itself). The cartels are not told the inspection rates: their route
cost sees a crossing's risk only through the losses they learned there, as it sees checkpoints and
drones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.params import Params
from sim.routes import RouteTable, plan_routes
from sim.scenario import Scenario, ScenarioError
from sim.sites import FILE_FIELD, list_field
from sim.streams import RandomStreams
from sim.world import World, world_field

PORT_STREAM, OPEN_BORDER_STREAM = "port_inspection", "open_border_detection"
OPEN_BORDER = "open border"  # the open crossings together, in outputs
PORT_NAME = "port-{}"  # a port's name when ports.names is empty (numbered from 1 in the sinks' order)
SINKS = "sinks"  # the kind of site the ports are (sim.sites)


@dataclass(frozen=True)
class Crossings:
    """The route ends: the ports of entry, then the open crossings.

    Attributes:
        cells: (K + O,) int64 flat cells: the ports (``World.sinks``, in order), then the open crossings (west to east).
        ports: K, the number of ports; route ends from K on are open crossings.
        catch: (K + O,) float64 probability that a shipment arriving there is seized.
        extra_hours: (K + O,) float64 hours that crossing there adds to a route (0 at the ports).
        names: (K,) the ports' names.
    """

    cells: np.ndarray
    ports: int
    catch: np.ndarray
    extra_hours: np.ndarray
    names: tuple[str, ...]

    def plan(self, plan_cost: np.ndarray, sources: np.ndarray, world: World, coarse: bool = False) -> RouteTable:
        """Least-cost routes from ``sources`` (flat cells) to every crossing (:func:`sim.routes.plan_routes`).

        A route's ``sink`` indexes :attr:`cells`; its cost includes the hours its crossing adds.
        """
        table = plan_routes(plan_cost, sources, self.cells, world.corridor, len(world.corridor_names), coarse=coarse)
        table.cost = table.cost + self.extra_hours[table.sink]
        return table

    @property
    def open_cells(self) -> np.ndarray:
        """(O,) int64 flat cells of the open crossings, west to east."""
        return self.cells[self.ports:]

    def labels(self) -> tuple[str, ...]:
        """The name each crossing is counted under in outputs: its port's, or :data:`OPEN_BORDER`."""
        return self.names + (OPEN_BORDER,) * (self.cells.size - self.ports)


def crossings_of(params: Params, world: World) -> Crossings:
    """The ports (the world's sinks) and the open crossings of a scenario (see the module docstring)."""
    ports, border = params.ports, params.border
    k = world.sinks.size
    inspect = np.array(ports.inspect_each, dtype=np.float64) if ports.inspect_each else np.full(k, ports.inspect)
    opened = open_crossings(world.border, world.sinks, border.open_segments, world.shape[1])
    return Crossings(
        cells=np.concatenate([world.sinks, opened]).astype(np.int64),
        ports=k,
        catch=np.concatenate([inspect * (1.0 - ports.concealment), np.full(opened.size, border.open_detect)]),
        extra_hours=np.concatenate([np.zeros(k), np.full(opened.size, border.open_extra_hours)]),
        names=port_names(params, k),
    )


def port_names(params: Params, count: int) -> tuple[str, ...]:
    """The names of the ``count`` ports: ``ports.names``, or numbered (:data:`PORT_NAME`) when it is empty."""
    return tuple(params.ports.names) or tuple(PORT_NAME.format(i + 1) for i in range(count))


def open_crossings(border: np.ndarray, ports: np.ndarray, count: int, width: int) -> np.ndarray:
    """Flat cells of ``count`` open crossings along ``border`` (fewer if it has fewer free cells), west to east.

    Farthest-point placement: each at the border cell farthest in a straight line from the ports and
    the crossings already placed (the first such cell in flat order on a tie), never on a port.
    """
    candidates = np.setdiff1d(border, ports)
    count = min(count, candidates.size)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    rows, cols = np.divmod(candidates, width)
    port_rows, port_cols = np.divmod(ports, width)
    nearest = ((rows[:, None] - port_rows[None, :]) ** 2 + (cols[:, None] - port_cols[None, :]) ** 2).min(axis=1)
    chosen = np.empty(count, dtype=np.int64)
    for i in range(count):
        far = int(np.argmax(nearest))
        chosen[i] = far
        nearest = np.minimum(nearest, (rows - rows[far]) ** 2 + (cols - cols[far]) ** 2)
    return candidates[chosen[np.lexsort((rows[chosen], cols[chosen]))]]


def check_ports(scenario: Scenario, world: World, reached: np.ndarray) -> None:
    """What the ports need: one inspection probability and one name per port, if any, and a route to every port.

    Args:
        scenario: the scenario.
        world: its world.
        reached: (K,) bool, whether some source reaches each sink over passable cells.

    Raises:
        ScenarioError: ``ports.inspect_each`` or ``ports.names`` of another length than the sinks, a name
            given twice (or the open border's), or a port no source reaches.
    """
    ports, k = scenario.params.ports, world.sinks.size
    for name, given in (("ports.inspect_each", ports.inspect_each), ("ports.names", ports.names)):
        if given and len(given) != k:
            raise ScenarioError(scenario.source, name, f"expected {k} values, one per port of entry (world.sinks = {k}), "
                                                       f"or [] for none; got {len(given)}")
    taken = (*ports.names, OPEN_BORDER)
    repeated = next((name for i, name in enumerate(taken) if name in taken[:i]), None)
    if repeated is not None:  # two crossings under one name would add their counts together in the outputs
        raise ScenarioError(scenario.source, "ports.names", f"expected names that differ from each other and from "
                                                            f"{OPEN_BORDER!r}; got {repeated!r} twice")
    unreached = np.flatnonzero(~reached)
    if unreached.size:
        index = int(unreached[0])
        row, col = divmod(int(world.sinks[index]), world.shape[1])
        cell_km = scenario.params.world.cell_km
        name = port_names(scenario.params, k)[index]
        raise ScenarioError(scenario.source, _port_field(scenario, index),
                            f"expected a passable path from a source to every port of entry; port {name!r} at "
                            f"x {(col + 0.5) * cell_km:g}, y {(row + 0.5) * cell_km:g} km has none")


def _port_field(scenario: Scenario, index: int) -> str:
    """The field that put port ``index`` where it is: its entry in a sinks list (km, then lon/lat), the sites file, or world."""
    for unit in ("km", "lonlat"):
        name = list_field(SINKS, unit)
        listed = len(scenario.values[name])
        if index < listed:
            return f"{name}[{index}]"
        index -= listed
    return FILE_FIELD if scenario.params.sites.file else world_field(scenario)


class BorderControl:
    """Inspections at the ports and detection on the open border, and what reached and was seized at each crossing.

    Args:
        crossings: the route ends.
        streams: the run's random streams (:data:`PORT_STREAM`, :data:`OPEN_BORDER_STREAM`).
        tally: the run's totals (seizures and deliveries at the ports and on the open border).

    Attributes:
        arrived: (K + O,) int64 shipments that reached each crossing so far, seized there or not.
        seized: (K + O,) int64 of them, those seized there.
    """

    def __init__(self, crossings: Crossings, streams: RandomStreams, tally: Any) -> None:
        self.crossings, self.streams, self.tally = crossings, streams, tally
        self.arrived = np.zeros(crossings.cells.size, dtype=np.int64)
        self.seized = np.zeros_like(self.arrived)
        self._inspects = bool(np.any(crossings.catch > 0.0))

    def cross(self, uid: np.ndarray, ends: np.ndarray, now: int) -> np.ndarray:
        """(n,) bool: which of the shipments ``uid`` arriving at crossings ``ends`` at step ``now`` are seized there."""
        port = ends < self.crossings.ports
        caught = np.zeros(uid.size, dtype=bool)
        if self._inspects and uid.size:
            draws = np.empty(uid.size)
            draws[port] = self.streams.uniforms(PORT_STREAM, uid[port], now)
            draws[~port] = self.streams.uniforms(OPEN_BORDER_STREAM, uid[~port], now)
            caught = draws < self.crossings.catch[ends]
        size = self.arrived.size
        self.arrived += np.bincount(ends, minlength=size)
        ports, seized_at_ports, seized = int(np.count_nonzero(port)), 0, 0
        if caught.any():
            self.seized += np.bincount(ends[caught], minlength=size)
            seized, seized_at_ports = int(np.count_nonzero(caught)), int(np.count_nonzero(caught & port))
        t = self.tally
        t.seized_at_ports += seized_at_ports
        t.seized_open_border += seized - seized_at_ports
        t.delivered_via_ports += ports - seized_at_ports
        t.delivered_open_border += uid.size - ports - (seized - seized_at_ports)
        return caught

    def by_label(self, counts: np.ndarray) -> dict[str, int]:
        """``counts`` (per crossing) summed under each crossing's label (:meth:`Crossings.labels`), ports first."""
        summed: dict[str, int] = {}
        for label, n in zip(self.crossings.labels(), counts.tolist(), strict=True):
            summed[label] = summed.get(label, 0) + n
        return summed
