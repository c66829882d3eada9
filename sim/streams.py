"""Named random streams: the world's from ``world.seed``, what happens from ``run.seed``, one stream per mechanism.

The world (terrain, people, sites, bases, posts, checkpoints) is drawn from ``world.seed`` and
the world's own parameters only, so it is the same whatever the run seed and the levers are.
Everything that happens during a run is drawn from ``run.seed``, each mechanism from a stream of
its own, so that a lever of one mechanism moves no other mechanism's draws: in a comparison of two
scenarios with the same seeds, every difference comes from the levers (common random numbers).

A stream is named, not numbered: its seed sequence is the seed's child at the spawn key
(domain tag, name tag[, index]), tags being hashes of the names, so adding a stream moves no
other. A stream gives a NumPy generator for draws made in Python (one per index where a
mechanism has one stream per agent, e.g. per cartel), or a 64-bit key for counter-based draws:
a uniform draw is then a pure hash of (key, step, counter), so results depend neither on the
order of the draws nor on the thread count, and an entity's draw (a shipment's, a drone's, a
site's) stays the same however many other entities there are.

World streams (``world.seed``; :func:`world_streams`):

- ``terrain``: the fractal noise that makes rough land.
- ``roads``: the meanders of the procedural roads.
- ``towns``: the towns' centres and sizes.
- ``sinks``: sinks beyond the road ends on the northern edge.
- ``sources``: the sources in the southern band.
- ``infrastructure``: the cartels' labs, stash houses and airstrips.
- ``bases``: the air bases.
- ``posts``: the ground units' posts on the roads.
- ``checkpoints``: the road checkpoints.

Run streams (``run.seed``; :func:`run_streams`):

- ``launch`` (generator per cartel): how many shipments a cartel launches each step.
- ``route_choice`` (generator per cartel): the route each launched shipment takes.
- ``violence`` (generator per cartel): a cartel's violence events each planning period: how many, where.
- ``intercept`` (key; counter = shipment uid): whether a shipment's planning traffic is intercepted.
- ``sharing`` (counter-based: shipment uid × cue source, keyed by the step): which drone detections and
  intercepts the partner passes on.
- ``takeoff`` (generator): each drone's first take-off delay (the sorties' stagger).
- ``flight`` (key per step; counters by drone): the drones' patrol waypoints (in the flight kernel).
- ``zone_hazard`` (key per step; counters 2d, 2d + 1 for drone d): loss and jamming in counter-drone zones.
- ``availability`` (key per step; counter = drone): whether a scheduled sortie is flown.

The air streams (``takeoff``, ``flight``, ``zone_hazard``, ``availability``) have one member per
declared platform type, indexed by the tag of its name; the default ``drones`` platform uses the
streams themselves, so a scenario without declared platforms draws what it always drew.
- ``discovery`` (key per step; counter = site): infrastructure discovery under the drones' coverage.
- ``drone_detection`` (key per step; counter = shipment uid): drone sensors detect a shipment.
- ``checkpoint_search`` (key per step; counter = shipment uid): the checkpoints it passed seize a shipment.
- ``tip`` (key per step; counter = shipment uid): people along the way report a shipment.
- ``port_inspection`` (key per step; counter = shipment uid): a port of entry inspects an arriving shipment and finds it.
- ``open_border_detection`` (key per step; counter = shipment uid): a crossing of the open border is detected.
- ``interdiction`` (generator): whether a responding unit that reaches its shipment seizes it.
- ``civilian_harm`` (generator): whether an interdiction harms civilians.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sim.kernels.counter_rng import step_key, uniforms

WORLD = "world"
RUN = "run"
WORLD_STREAMS = ("terrain", "roads", "towns", "sinks", "sources", "infrastructure", "bases", "posts", "checkpoints")
RUN_STREAMS = ("launch", "route_choice", "violence", "intercept", "sharing", "takeoff", "flight", "zone_hazard", "availability",
               "discovery",
               "drone_detection", "checkpoint_search", "tip", "interdiction", "civilian_harm", "port_inspection",
               "open_border_detection")
TAG_BYTES = 4  # a name's tag: the first bytes of its SHA-256, as a spawn-key word


def tag(name: str) -> int:
    """A name's word in a spawn key: fixed by the name alone, whatever other streams exist."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:TAG_BYTES], "little")


class RandomStreams:
    """The named streams of one seed, in one domain (the world's, or the run's).

    Args:
        seed: the seed (``world.seed`` or ``run.seed``).
        domain: :data:`WORLD` or :data:`RUN`; the same seed gives unrelated streams in the two.
        names: the streams this domain has; asking for another is a bug (KeyError).
    """

    def __init__(self, seed: int, domain: str, names: tuple[str, ...]) -> None:
        self.seed, self.domain, self.names = seed, domain, names
        self._generators: dict[tuple, np.random.Generator] = {}
        self._keys: dict[tuple, np.uint64] = {}

    def _sequence(self, name: str, *index: int) -> np.random.SeedSequence:
        if name not in self.names:
            raise KeyError(f"no {self.domain} stream named {name!r}")
        return np.random.SeedSequence(self.seed, spawn_key=(tag(self.domain), tag(name), *index))

    def generator(self, name: str, *index: int) -> np.random.Generator:
        """The generator of stream ``name`` (of its member ``index``, e.g. a cartel's); the same object every call."""
        found = self._generators.get((name, *index))
        if found is None:
            found = self._generators[(name, *index)] = np.random.default_rng(self._sequence(name, *index))
        return found

    def key(self, name: str, *index: int) -> np.uint64:
        """The 64-bit key of stream ``name``'s counter-based draws (of its member ``index``, e.g. a platform type's)."""
        found = self._keys.get((name, *index))
        if found is None:
            found = self._keys[(name, *index)] = np.uint64(self._sequence(name, *index).generate_state(1, np.uint64)[0])
        return found

    def step_key(self, name: str, step: int, *index: int) -> np.uint64:
        """The key of step ``step``'s counter-based draws in stream ``name`` (of its member ``index``)."""
        return np.uint64(step_key(self.key(name, *index), step))

    def uniforms(self, name: str, counters: np.ndarray, step: int | None = None) -> np.ndarray:
        """(n,) float64 counter-based uniform draws in [0, 1) of stream ``name``, one per counter (of step ``step``'s key)."""
        key = self.key(name) if step is None else self.step_key(name, step)
        return uniforms(key, np.asarray(counters, dtype=np.int64))


def world_streams(seed: int) -> RandomStreams:
    """The world's streams, from ``world.seed``."""
    return RandomStreams(seed, WORLD, WORLD_STREAMS)


def run_streams(seed: int) -> RandomStreams:
    """The run's streams, from ``run.seed``."""
    return RandomStreams(seed, RUN, RUN_STREAMS)
