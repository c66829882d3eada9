"""The parameter schema: the one source of truth for every parameter.

Each parameter has a dotted name (``section.key``), a default, a unit, bounds (or a set of
allowed values) and a one-line meaning. The scenario loader, ``--set`` overrides, the
``skywatch params`` listing and the run folder's resolved ``scenario.toml`` all read this table.
Parameters are in physical units (km, km/h, hours, currency); :mod:`sim.units` converts them to
cells and steps at one boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from typing import Any

PATH_UNIT = "path"  # the unit of a parameter whose value names a file
Polygons = tuple[tuple[tuple[float, float], ...], ...]  # a polygon-list parameter's value: polygons of (x, y) points
Points = tuple[tuple[float, float], ...]  # a point-list parameter's value: (x, y) points
Numbers = tuple[float, ...]  # a fixed-length number-list parameter's value (or () for none)
Items = tuple[float, ...] | tuple[str, ...]  # an item-list parameter's value: numbers or names, any number of them
MAX_ITEM_CHARS = 64  # longest name in an item-list parameter of names


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        name: dotted name, ``section.key``.
        default: value used when a scenario does not set it.
        unit: physical unit, or ``"-"`` for dimensionless values.
        meaning: one line saying what it does.
        low: inclusive lower bound for numbers, or ``None``.
        high: inclusive upper bound for numbers, or ``None``.
        choices: allowed values for a string parameter, or ``None``.
        points: whether a tuple-valued parameter is a list of points rather than of polygons.
        numbers: when positive, a tuple-valued parameter is a list of exactly this many numbers (or [] for none).
        items: for a tuple-valued parameter that is a list of any length of plain items (:data:`Items`), their
            type: ``float`` (numbers within ``low`` and ``high``) or ``str`` (names); None otherwise.

    A parameter whose default is a tuple is a list of polygons (:data:`Polygons`): each polygon a
    list of ``[x, y]`` points, every coordinate within ``low`` and ``high``; with ``points`` set it
    is a list of such points (:data:`Points`); with ``numbers`` set, a list of that many numbers (:data:`Numbers`);
    with ``items`` set, a list of any length of numbers or names.
    """

    name: str
    default: Any
    unit: str
    meaning: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    points: bool = False
    numbers: int = 0
    items: type | None = None

    @property
    def section(self) -> str:
        """The section the parameter belongs to (``drones`` of ``drones.count``)."""
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        """The parameter's name within its section (``count`` of ``drones.count``)."""
        return self.name.split(".", 1)[1]

    @property
    def kind(self) -> type:
        """The Python type values of this parameter must have."""
        return type(self.default)

    @property
    def is_polygons(self) -> bool:
        """Whether the value is a list of polygons (:data:`Polygons`)."""
        return self.kind is tuple and not self.points and not self.numbers and self.items is None

    @property
    def is_points(self) -> bool:
        """Whether the value is a list of points (:data:`Points`)."""
        return self.kind is tuple and self.points

    @property
    def is_numbers(self) -> bool:
        """Whether the value is a list of :attr:`numbers` numbers, or empty (:data:`Numbers`)."""
        return self.kind is tuple and self.numbers > 0

    @property
    def is_items(self) -> bool:
        """Whether the value is a list of plain numbers or names (:data:`Items`)."""
        return self.kind is tuple and self.items is not None

    @property
    def is_path(self) -> bool:
        """Whether the value names a file (resolved relative to the scenario file)."""
        return self.unit == PATH_UNIT

    def describe_bounds(self) -> str:
        """Human-readable bounds or choices, e.g. ``[0, 100]`` or ``random|lawnmower``."""
        if self.choices is not None:
            return "|".join(self.choices)
        if self.low is None and self.high is None:
            return ""
        low = "-inf" if self.low is None else _bound_text(self.low)
        high = "inf" if self.high is None else _bound_text(self.high)
        return f"[{low}, {high}]"


def _bound_text(bound: float) -> str:
    """A bound as written in messages: integers in full (2**63 - 1 is not 9.22337e+18), floats short."""
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


PATROL_POLICIES = ("random", "lawnmower", "hotspot", "intel", "stackelberg")
STACKELBERG_LEARNING = ("observed", "informed")

PARAMS: tuple[Param, ...] = (
    # --- run -------------------------------------------------------------------------------
    Param("run.seed", 0, "-", "seed of what happens in the run (launches, detections, ...): one stream per mechanism",
          0, 2**63 - 1),
    Param("run.steps", 672, "steps", "number of steps to simulate (672 × 15 min = one week)", 1, 10**7),
    Param("run.step_hours", 0.25, "h", "simulated time per step", 0.01, 24.0),
    Param("run.validate", False, "-", "check the model's invariants after every step (slower)"),
    # --- calibration: what a scenario's values were fitted to (written by `skywatch calibrate`) ---------------
    Param("calibration.config", "", "-", "the calibration file whose posterior set this scenario's values (\"\" = uncalibrated)"),
    Param("calibration.parameters", (), "-", "the parameters the calibration fitted, by dotted name", items=str),
    Param("calibration.targets", (), "-", "the reference figures (sim/data/reference_figures.toml ids) fitted against",
          items=str),
    # --- world -----------------------------------------------------------------------------
    Param("world.seed", 0, "-", "seed of the world: terrain, people, sites, air bases, posts, checkpoints", 0, 2**63 - 1),
    Param("world.height", 256, "cells", "rows of the raster", 64, 2048),
    Param("world.width", 256, "cells", "columns of the raster", 64, 2048),
    Param("world.cell_km", 1.0, "km", "side of one cell", 0.05, 50.0),
    Param("world.roughness", 0.5, "-", "share of rough land (forest, mountain) in the procedural terrain", 0.0, 1.0),
    Param("world.roads", 6, "roads", "procedural roads running from the south to the border", 0, 64),
    Param("world.towns", 12, "towns", "procedural towns holding most of the population", 0, 500),
    Param("world.population", 400_000.0, "people", "total population of the procedural world", 0.0, 1e9),
    Param("world.sources", 4, "sites", "production and landing sites where shipments start (south)", 1, 256),
    Param("world.sinks", 3, "sites", "border crossings and ports where shipments end (north)", 1, 256),
    Param("world.corridors", 3, "corridors", "named corridors (equal west-to-east bands) flow is reported by", 2, 8),
    Param("world.infrastructure", 24, "sites", "cartel labs, stash houses and airstrips to be discovered", 0, 10_000),
    # Rasters: .npy (H × W, as is) or GeoTIFF (.tif, .tiff: reprojected onto a georeferenced world, sim.raster_input).
    Param("world.cost_file", "", PATH_UNIT, "optional travel-cost raster, hours per cell; inf or nodata = impassable "
          "(overrides elevation and land cover)"),
    Param("world.population_file", "", PATH_UNIT, "optional population raster, people per cell (nodata = 0)"),
    Param("world.elevation_file", "", PATH_UNIT, "optional elevation raster, metres: slope slows travel (Tobler)"),
    Param("world.landcover_file", "", PATH_UNIT,
          "optional land-cover raster of codes 0 open, 1 rough, 2 road, 3 town, 4 water, 5 barrier, 6 abroad (4-6 impassable)"),
    Param("world.roads_file", "", PATH_UNIT, "optional roads raster: cells > 0 are roads"),
    Param("world.basemap_file", "", PATH_UNIT, "optional GeoJSON (lon/lat) drawn on the maps: coast and border lines, "
          "ports and towns named (needs world.crs)"),
    Param("world.crs", "", "-", "projected CRS in metres of a georeferenced world, e.g. EPSG:32612 (\"\" = abstract km grid)"),
    Param("world.bbox", (), "degrees", "[west, south, east, north] WGS 84 lon/lat the georeferenced world covers; sets "
          "world.height and width ([] = the first GeoTIFF raster's own grid)", -180.0, 180.0, numbers=4),
    # --- terrain speeds ----------------------------------------------------------------------
    Param("terrain.road_kmh", 60.0, "km/h", "overland speed on roads", 1.0, 200.0),
    Param("terrain.open_kmh", 20.0, "km/h", "overland speed on open land", 0.5, 200.0),
    Param("terrain.rough_kmh", 5.0, "km/h", "overland speed in forest and mountain", 0.1, 200.0),
    # --- cartels -----------------------------------------------------------------------------
    Param("cartels.count", 2, "cartels", "trafficking organisations; sources are shared out among them", 1, 64),
    Param("cartels.budget", 2_000_000.0, "currency", "starting budget of each cartel", 0.0, 1e12),
    Param("cartels.shipments_per_day", 48.0, "1/day", "shipments each cartel launches per day while it can pay", 0.0, 1e7),
    Param("cartels.launch_cost", 10_000.0, "currency", "cost to the cartel of launching one shipment", 0.0, 1e9),
    Param("cartels.planning_hours", 24.0, "h", "planning period: how often a cartel re-plans its routes", 0.25, 8760.0),
    Param("cartels.route_spread", 0.1, "-",
          "route choice noise: logit scale as a share of the cheapest route's cost", 0.001, 10.0),
    Param("cartels.risk_aversion", 1.0, "h", "route shifting: extra planning hours per cell of full perceived risk", 0.0, 1000.0),
    Param("cartels.risk_memory_h", 72.0, "h",
          "route shifting: time constant of the decay of a loss or sighting in the risk map", 0.25, 87600.0),
    Param("cartels.risk_radius_km", 5.0, "km",
          "route shifting: spread (Gaussian sigma) of a loss or sighting over the risk map", 0.05, 500.0),
    Param("cartels.sighting_weight", 0.3, "-",
          "route shifting: weight of a drone sighting in the risk map (a seizure weighs 1)", 0.0, 10.0),
    # --- adaptation switches and the shared level rule -------------------------------------------
    Param("adaptation.route_shifting", False, "-", "cartels re-plan routes around their risk map every planning period"),
    Param("adaptation.encryption", False, "-", "cartels raise encryption when losses traced to intercepts outweigh its cost"),
    Param("adaptation.counter_drone", False, "-", "cartels field counter-drone zones under sustained drone pressure"),
    Param("adaptation.steepness", 4.0, "-",
          "steepness of the logistic rule target = max × σ(k (pressure / threshold − 1))", 0.1, 100.0),
    Param("adaptation.rate", 0.5, "-", "share of the gap to its target a level closes each planning period", 0.0, 1.0),
    Param("adaptation.memory_periods", 3.0, "periods", "time constant of the moving average of losses and pressure", 1.0, 1000.0),
    # --- intelligence: intercepts of cartel communications -----------------------------------------
    Param("intel.intercept_prob", 0.05, "-",
          "probability that a shipment's planning traffic is intercepted, unencrypted", 0.0, 1.0),
    Param("intel.latency_h", 2.0, "h", "time from an intercept to a cue a ground unit can act on", 0.0, 240.0),
    Param("intel.sharing_latency_h", 1.0, "h",
          "delay before a drone detection or intercept reaches the partner's ground units", 0.0, 240.0),
    Param("intel.sharing_fraction", 1.0, "-",
          "share of drone detections and intercepts the partner's ground units receive", 0.0, 1.0),
    Param("intel.joint_task_force", False, "-",
          "joint task forces: analysts sit with the field units, cutting the sharing latency"),
    Param("intel.jtf_latency_factor", 0.25, "-", "share of the sharing latency left with joint task forces", 0.0, 1.0),
    Param("intel.fusion", True, "-",
          "fusion: reports about one shipment from drones, intercepts and tips join one cue, answered by corroboration"),
    Param("intel.fusion_priority_h", 2.0, "h",
          "fusion: each distinct source beyond a cue's first puts it ahead of cues first reported less than this long before it",
          0.0, 240.0),
    # An intelligence cell reading a twentieth of the traffic (the default intercept probability) at 20,000 a day:
    # a few dozen analysts, linguists and intercept contracts; it scales with the share of traffic it reads.
    Param("intel.cost_per_day", 400_000.0, "currency/day",
          "cost of the intelligence cell at intercept probability 1; it costs this × intel.intercept_prob", 0.0, 1e12),
    # Analysts seated with the field units, liaison officers and secure links.
    Param("intel.jtf_cost_per_day", 15_000.0, "currency/day", "cost of joint task forces while they sit", 0.0, 1e12),
    # --- communities ---------------------------------------------------------------------------------
    Param("community.trust", 0.4, "-", "initial trust in the authorities, in every cell", 0.0, 1.0),
    Param("community.tip_rate_per_h", 0.5, "1/h",
          "hazard that a crowd who fully trust the authorities report a shipment passing", 0.0, 100.0),
    Param("community.people_ref_per_km2", 20.0, "people/km²",
          "population density at which tips reach half their full rate", 0.01, 1e6),
    Param("community.awareness", 0.0, "-", "intensity of public awareness campaigns (0 none, 1 full)", 0.0, 1.0),
    Param("community.awareness_effect", 2.0, "-", "extra tip rate at full awareness, as a multiple of the base rate", 0.0, 100.0),
    Param("community.programs", 0.0, "-", "intensity of community engagement programs (0 none, 1 full)", 0.0, 1.0),
    Param("community.program_trust_per_day", 0.02, "1/day",
          "rate at which full programs close the gap between trust and 1", 0.0, 10.0),
    Param("community.program_recruit_cut", 0.6, "-", "share of cartel recruitment full programs prevent", 0.0, 1.0),
    Param("community.courier_turnover_per_day", 0.1, "1/day",
          "share of a cartel's couriers who leave per day (recruits replace them)", 0.0, 10.0),
    Param("community.violence_per_day", 0.3, "1/day", "cartel violence events per cartel per day without pressure", 0.0, 1000.0),
    Param("community.escalation", 3.0, "-", "extra violence per unit of pressure (share of its shipments seized)", 0.0, 1000.0),
    Param("community.violence_trust_loss", 0.15, "-", "trust lost at the centre of a violence event", 0.0, 1.0),
    Param("community.civilian_harm_prob", 0.03, "-",
          "probability that an interdiction by a ground unit harms civilians", 0.0, 1.0),
    Param("community.harm_trust_loss", 0.1, "-", "trust lost at the centre of a civilian-harm event", 0.0, 1.0),
    Param("community.harm_radius_km", 10.0, "km", "spread (Gaussian sigma) of the trust lost to a harmful event", 0.05, 500.0),
    # Resentment of being watched: every hour a cell lies under a sensing drone's footprint, its trust is multiplied
    # by exp(−rate × hours); the same in any step length. No public figure sets it: off unless a scenario asks.
    Param("community.privacy_trust_loss", 0.0, "1/h",
          "rate at which trust decays in a cell while it is under drone sensors (0 = surveillance costs no trust)",
          0.0, 100.0),
    Param("community.crisis_teams", 0.0, "-", "coverage of crisis-response teams (0 none, 1 full)", 0.0, 1.0),
    Param("community.crisis_effect", 0.6, "-",
          "share of the trust lost to a harmful event that full crisis teams prevent", 0.0, 1.0),
    # Standing costs at full intensity (1); a lever at intensity x costs x times as much. Programs (youth work,
    # jobs, outreach in every town) run to tens of millions a year; campaigns are media time and a hotline;
    # crisis teams are staff on call with transport across the territory.
    Param("community.programs_cost_per_day", 60_000.0, "currency/day",
          "cost of community engagement programs at full intensity; it costs this × community.programs", 0.0, 1e12),
    Param("community.awareness_cost_per_day", 10_000.0, "currency/day",
          "cost of public awareness campaigns at full intensity; it costs this × community.awareness", 0.0, 1e12),
    Param("community.crisis_cost_per_day", 20_000.0, "currency/day",
          "cost of crisis-response teams at full coverage; it costs this × community.crisis_teams", 0.0, 1e12),
    # --- encryption --------------------------------------------------------------------------------
    Param("encryption.cost_per_day", 200_000.0, "currency/day", "cost to a cartel of fully encrypted communications", 0.0, 1e12),
    Param("encryption.max_level", 0.95, "-", "highest encrypted share of a cartel's traffic", 0.0, 1.0),
    Param("encryption.slowdown", 0.3, "-", "share of launches lost to slower coordination at full encryption", 0.0, 1.0),
    # --- counter-drone measures ----------------------------------------------------------------------
    Param("counter.threshold_per_day", 6.0, "1/day",
          "drone sightings of its shipments per day a cartel calls sustained pressure", 0.01, 1e6),
    Param("counter.initial_level", 0.0, "-", "counter-drone level each cartel starts with", 0.0, 1.0),
    Param("counter.max_zones", 6, "zones", "counter-drone zones a cartel fields at full level", 0, 1000),
    Param("counter.radius_km", 8.0, "km", "radius of a counter-drone zone", 0.05, 5000.0),
    Param("counter.cost_per_day", 50_000.0, "currency/day",
          "cost to a cartel of counter-drone measures at full level", 0.0, 1e12),
    Param("counter.jam_rate_per_h", 0.5, "1/h", "hazard of a drone inside a zone being jammed", 0.0, 100.0),
    Param("counter.jam_hours", 1.0, "h", "time a jammed drone's sensor stays blind", 0.0, 240.0),
    Param("counter.loss_hazard_per_h", 0.05, "1/h", "hazard of a drone inside a zone being shot down or captured", 0.0, 100.0),
    # --- shipments ----------------------------------------------------------------------------
    Param("shipments.value", 50_000.0, "currency", "mean value of one shipment at its sink", 0.0, 1e12),
    Param("shipments.concealment", 0.3, "-", "mean concealment; detection probability is scaled by 1 - concealment", 0.0, 0.99),
    # Drug weight per shipment: it only converts counts to kilograms (weight_seized_kg, weight_delivered_kg). 3 kg at the
    # default value puts a kilogram at the sink near cocaine's wholesale price in northern Mexico's border towns
    # (about $16,000 in 2013: sim/data/reference_figures.toml, cocaine_price_northern_mexico).
    Param("shipments.weight_kg", 3.0, "kg", "drug weight of one shipment", 0.001, 1e6),
    # --- ports of entry and the open border (sim.ports) --------------------------------------------
    # Every sink is a port of entry that inspects arriving shipments; open crossings between the ports are further
    # route ends with their own detection. No public figure sets these: off unless a scenario asks.
    Param("ports.inspect", 0.0, "-",
          "probability that a port of entry inspects a shipment arriving there, seizing it unless concealment hides it",
          0.0, 1.0),
    Param("ports.inspect_each", (), "-",
          "inspection probability of each port, in the sinks' order ([] = ports.inspect for every port)", 0.0, 1.0,
          items=float),
    Param("ports.concealment", 0.0, "-", "share by which concealment cuts a port inspection's chance of finding a shipment",
          0.0, 1.0),
    Param("ports.names", (), "-", "names of the ports of entry, in the sinks' order, for outputs ([] = port-1, port-2, ...)",
          items=str),
    Param("border.open_segments", 0, "crossings",
          "open crossing points spread along the border between the ports (0 = none: every route ends at a port)", 0, 256),
    Param("border.open_detect", 0.0, "-", "probability that a crossing of the open border is detected and the shipment seized",
          0.0, 1.0),
    Param("border.open_extra_hours", 0.0, "h", "hours a crossing of the open border adds (on foot, through the barrier)",
          0.0, 1000.0),
    # --- airspace: where the host government lets the partner's aircraft sense ------------------------------
    Param("airspace.zones_km", (), "km",
          "authorised zones: polygons of [x, y] points, x west to east, y north to south from the north-west corner "
          "([] and no mask file = everywhere)", 0.0, 1e6),
    Param("airspace.mask_file", "", PATH_UNIT,
          "optional .npy authorised-airspace raster (H × W), bool or 0/1; authorised = its cells or the zones'"),
    # --- sites where the user puts them (x west to east, y north to south from the north-west corner) ----------
    # A kind's sites are those of its list, then those of sites.file; given sites replace the kind's random placement,
    # and the kind's count parameter must equal their number. Each lies in the cell holding it (at the cell's
    # centre); a ground site on an impassable cell moves to the nearest passable one.
    *(Param(f"sites.{kind}_km", (), "km",
            f"{what} where the user puts them: [x, y] points ([] and none in sites.file = random; {count} = their number)",
            0.0, 1e6, points=True)
      for kind, what, count in (
          ("sources", "sources (production and landing sites)", "world.sources"),
          ("sinks", "sinks (border crossings and ports)", "world.sinks"),
          ("bases", "air bases", "drones.bases"),
          ("checkpoints", "road checkpoints", "ground.checkpoints"),
          ("posts", "ground units' posts", "ground.units"),
          ("infrastructure", "cartel sites (lab, stash house, airstrip in turn)", "world.infrastructure"))),
    *(Param(f"sites.{kind}_lonlat", (), "degrees",
            f"{kind} where the user puts them on a georeferenced world: [lon, lat] WGS 84 points, after the km ones",
            -180.0, 180.0, points=True)
      for kind in ("sources", "sinks", "bases", "checkpoints", "posts", "infrastructure")),
    Param("sites.file", "", PATH_UNIT,
          "optional CSV (header kind,x_km,y_km or kind,lon,lat; other columns ignored) or GeoJSON FeatureCollection of "
          "Points (lon/lat, properties.kind) of sites: kind sources|sinks|bases|checkpoints|posts|infrastructure"),
    # --- drones -------------------------------------------------------------------------------
    Param("drones.count", 0, "drones", "surveillance drones in the fleet", 0, 100_000),
    Param("drones.bases", 2, "bases", "air bases the drones fly from", 1, 64),
    Param("drones.patrol", "random", "-", "patrol policy", choices=PATROL_POLICIES),
    Param("patrol.grid_km", 16.0, "km", "hotspot, intel and stackelberg patrols: side of the blocks they weight", 1.0, 1000.0),
    Param("patrol.memory_h", 48.0, "h",
          "hotspot patrol: time constant of the decay of past detections and seizures", 0.25, 87600.0),
    Param("patrol.explore", 0.2, "-", "hotspot and intel patrols: share of waypoints drawn uniformly (exploration)", 0.0, 1.0),
    Param("patrol.avoid_zones", False, "-",
          "hotspot, intel and stackelberg patrols: never aim at blocks inside known counter-drone zones"),
    Param("patrol.plan_hours", 24.0, "h", "stackelberg patrol: planning period (a new coverage solved each period)",
          0.25, 8760.0),
    Param("patrol.learning", "observed", "-",
          "stackelberg patrol: fit the cartels' SUQR weights from its own detections and seizures (observed) or from "
          "their true route choices (informed, an upper bound)", choices=STACKELBERG_LEARNING),
    Param("patrol.memory_periods", 7, "periods", "stackelberg patrol: planning periods of choices the fit uses", 1, 10_000),
    Param("patrol.segments", 0, "-",
          "stackelberg patrol: pieces of the solver's piecewise-linear interpolation (0 = enough for 0.1 % error)", 0, 1024),
    Param("drones.focus_corridor", 0, "-", "corridor the drones patrol, numbered west to east from 1 (0 = everywhere)", 0, 8),
    Param("drones.speed_kmh", 120.0, "km/h", "cruise speed", 1.0, 1000.0),
    Param("drones.endurance_h", 14.0, "h", "flight time on one sortie, reserve included", 0.25, 100.0),
    Param("drones.turnaround_h", 4.0, "h", "time on the ground between sorties (refuel, maintenance)", 0.0, 240.0),
    Param("drones.sensor_radius_km", 3.0, "km", "radius of the sensor footprint", 0.05, 100.0),
    Param("drones.detect_prob", 0.6, "-", "detection probability of a pass right over a target (its track's centre)", 0.0, 1.0),
    Param("drones.range_falloff", 0.5, "-", "fall of detection probability at the footprint's edge (0 = none)", 0.0, 1.0),
    # A medium-altitude, long-endurance drone's flight hour: crew, fuel, maintenance, satellite link
    # (close to the ~$3,500 per Guardian hour told to Congress; see PLATFORM_KINDS for the full figures).
    Param("drones.cost_per_hour", 3_000.0, "currency/h", "full cost of one drone flight hour", 0.0, 1e9),
    Param("drones.reported_cost_per_hour", 3_000.0, "currency/h",
          "cost of one drone flight hour as the operator reports it (often operating costs only)", 0.0, 1e9),
    Param("drones.availability", 1.0, "-", "share of scheduled sorties actually flown (weather, maintenance, crews)", 0.0, 1.0),
    Param("drones.conspicuousness", 1.0, "-",
          "how much traffickers notice a drone: weight of its detections in their counter-drone pressure", 0.0, 10.0),
    Param("drones.operator", "partner", "-", "who flies the drones: the partner asked for flights, or the host",
          choices=("partner", "host")),
    Param("drones.hour_cap", 0.0, "h", "flight hours the drones may fly per cap period (caps.period_days; 0 = no cap)",
          0.0, 1e9),
    # --- flight-hour caps (the host government's limits) -----------------------------------------
    Param("caps.period_days", 7.0, "days", "period of every flight-hour cap (7 = weekly)", 0.01, 3660.0),
    Param("caps.partner_hours", 0.0, "h", "flight hours the partner's platforms may fly per period, together (0 = no cap)",
          0.0, 1e9),
    Param("caps.host_hours", 0.0, "h", "flight hours the host's own platforms may fly per period, together (0 = no cap)",
          0.0, 1e9),
    Param("drones.infra_detect_prob", 0.05, "-",
          "probability per step that an infrastructure site under full drone cover is discovered: a site is found with "
          "the drone cover there (p0 at a track) times this", 0.0, 1.0),
    # --- raids on discovered infrastructure ----------------------------------------------------
    # A discovered site is raided at once and is out for raid_days; then the cartel rebuilds it in place and it can be
    # discovered and raided again. Each site feeds its nearest source (a source of the cartel owning the site). No
    # public figure sets these: off unless a scenario asks.
    Param("infrastructure.raid_days", 0.0, "days",
          "time a raided site stays out of operation (0 = no raids: discoveries change nothing)", 0.0, 3650.0),
    Param("infrastructure.raid_launch_cut", 0.0, "-",
          "share of its source's launches each raided site takes away while it is out", 0.0, 1.0),
    # --- ground units ---------------------------------------------------------------------------
    Param("ground.units", 12, "units", "mobile field units of the partner's forces that answer drone cues", 0, 10_000),
    Param("ground.speed_kmh", 40.0, "km/h", "road speed of a responding unit; slower over rough terrain", 1.0, 500.0),
    Param("ground.offroad_slowdown", 3.0, "-",
          "factor by which rough terrain slows a responding unit (drones fly over it)", 1.0, 100.0),
    Param("ground.response_delay_h", 0.5, "h", "delay between a drone detection and a unit setting off", 0.0, 240.0),
    Param("ground.interdict_prob", 0.7, "-", "probability that a unit reaching a shipment seizes it", 0.0, 1.0),
    Param("ground.max_response_km", 120.0, "km", "farthest a unit is sent to answer a cue", 0.0, 10_000.0),
    Param("ground.checkpoints", 10, "posts", "road checkpoints that watch passing traffic all the time", 0, 10_000),
    Param("ground.checkpoint_radius_km", 1.5, "km", "radius a checkpoint watches", 0.05, 50.0),
    Param("ground.checkpoint_detect_prob", 0.25, "-",
          "probability that a checkpoint detects a shipment passing through its radius (once per passage)", 0.0, 1.0),
    # A mobile unit of four officers with its vehicle, paid around the clock whether it answers a cue or waits.
    Param("ground.cost_per_hour", 400.0, "currency/h", "cost of one unit-hour in the field", 0.0, 1e9),
    # A road post staffed around the clock: about a dozen officers in shifts, a vehicle, shelter and lights.
    Param("ground.checkpoint_cost_per_day", 5_000.0, "currency/day", "cost of one checkpoint per day", 0.0, 1e9),
    Param("ground.cue_expiry_h", 2.0, "h", "time an unanswered cue waits for a free unit before it lapses", 0.0, 240.0),
)

SCHEMA: dict[str, Param] = {p.name: p for p in PARAMS}

# --- platforms ------------------------------------------------------------------------------------
# Further platform types are declared as tables ``[platforms.NAME]`` (NAME: lower-case letters,
# digits and ``_``); the ``drones.*`` parameters stay the default platform, named ``drones``.
PLATFORM_SECTION = "platforms"
DEFAULT_PLATFORM = "drones"
PLATFORM_NAME_PATTERN = r"[a-z][a-z0-9_]{0,31}"
PLATFORM_FIELDS: tuple[Param, ...] = (
    Param("platforms.*.kind", "uncrewed", "-", "uncrewed (a drone) or crewed (an aircraft with a crew on board)",
          choices=("uncrewed", "crewed")),
    Param("platforms.*.operator", "partner", "-", "who flies it: the partner asked for flights, or the host",
          choices=("partner", "host")),
    Param("platforms.*.count", 0, "platforms", "platforms of this type in the fleet", 0, 100_000),
    Param("platforms.*.bases", 2, "bases", "flies from the first N of the world's air bases (drones.bases of them)", 1, 64),
    Param("platforms.*.patrol", "random", "-", "patrol policy", choices=PATROL_POLICIES),
    Param("platforms.*.speed_kmh", 120.0, "km/h", "patrol speed", 1.0, 1000.0),
    Param("platforms.*.endurance_h", 14.0, "h", "flight time on one sortie, reserve included", 0.25, 100.0),
    Param("platforms.*.turnaround_h", 4.0, "h", "time on the ground between sorties", 0.0, 240.0),
    Param("platforms.*.sensor_radius_km", 3.0, "km", "radius of the sensor footprint", 0.05, 100.0),
    Param("platforms.*.detect_prob", 0.6, "-", "detection probability of a pass right over a target (its track's centre)",
          0.0, 1.0),
    Param("platforms.*.range_falloff", 0.5, "-", "fall of detection probability at the footprint's edge", 0.0, 1.0),
    Param("platforms.*.cost_per_hour", 3_000.0, "currency/h", "full cost of one flight hour", 0.0, 1e9),
    Param("platforms.*.reported_cost_per_hour", 3_000.0, "currency/h", "cost of one flight hour as the operator reports it",
          0.0, 1e9),
    Param("platforms.*.availability", 1.0, "-", "share of scheduled sorties actually flown", 0.0, 1.0),
    Param("platforms.*.conspicuousness", 1.0, "-", "how much traffickers notice it (weight of its detections as sightings)",
          0.0, 10.0),
    Param("platforms.*.hour_cap", 0.0, "h", "flight hours this type may fly per cap period (caps.period_days; 0 = no cap)",
          0.0, 1e9),
)
PLATFORM_SCHEMA: dict[str, Param] = {p.key.split(".", 1)[1]: p for p in PLATFORM_FIELDS}

# Defaults of a declared platform by its kind (fields it does not set). Figures are public ones where
# a source is named; the rest are stated assumptions.
PLATFORM_KINDS: dict[str, dict[str, Any]] = {
    # A Predator B / MQ-9 "Guardian" as flown for border surveillance.
    "uncrewed": {
        # DHS Office of Inspector General, OIG-15-17 (Dec. 2014), fiscal year 2013: full cost about
        # $12,255 per flight hour against the $2,468 the program reported (operating costs only).
        "cost_per_hour": 12_255.0,
        "reported_cost_per_hour": 2_468.0,
        # OIG-15-17: 5,102 of 23,296 planned flight hours flown in FY 2013, about 22 %.
        "availability": 0.22,
        "speed_kmh": 310.0,  # about 170 kn, a typical MQ-9 cruise (assumption within the maker's published envelope)
        "endurance_h": 20.0,  # assumption: missions shorter than the airframe's 24+ h
        "turnaround_h": 4.0,  # assumption
        "sensor_radius_km": 3.0,  # assumption: the default drone's
        "conspicuousness": 0.3,  # assumption: high and quiet, rarely seen or heard from the ground
    },
    # A crewed maritime patrol aircraft (P-3 Orion) as flown for counter-drug surveillance.
    "crewed": {
        # Testimony to Congress: about $7,000 per P-3 flight hour against about $3,500 for a Guardian
        # drone; no separate operator-reported figure, so both costs are the same.
        "cost_per_hour": 7_000.0,
        "reported_cost_per_hour": 7_000.0,
        "availability": 0.6,  # assumption: no public figure found
        "speed_kmh": 450.0,  # assumption: patrol below its ~600 km/h (328 kn) cruise (U.S. Navy P-3C fact file)
        "endurance_h": 10.0,  # assumption: missions of 8 to 12 hours
        "turnaround_h": 8.0,  # assumption: crew rest and maintenance
        "sensor_radius_km": 5.0,  # assumption: radar and eyes from a lower altitude
        "conspicuousness": 1.0,  # assumption: loud and low, heard and seen from the ground
    },
}


def platform_default(kind: str, field: str) -> Any:
    """The default of platform field ``field`` for a platform of ``kind``."""
    return PLATFORM_KINDS.get(kind, {}).get(field, PLATFORM_SCHEMA[field].default)


def defaults() -> dict[str, Any]:
    """Every parameter's default, keyed by dotted name."""
    return {p.name: p.default for p in PARAMS}


def _section_types() -> dict[str, type]:
    """One frozen dataclass per section, its fields typed from the schema (no second list of names)."""
    keys: dict[str, list[Param]] = {}
    for p in PARAMS:
        keys.setdefault(p.section, []).append(p)
    return {section: make_dataclass(f"{section.title()}Params", [(p.key, p.kind) for p in members], frozen=True)
            for section, members in keys.items()}


SECTION_TYPES: dict[str, type] = _section_types()
Params = make_dataclass("Params", [(section, kind) for section, kind in SECTION_TYPES.items()], frozen=True)
Params.__doc__ = """Every parameter of a scenario as typed sections: ``params.drones.sensor_radius_km``.

Values are in the schema's physical units; each phase converts what it uses to cells and steps
once, with :class:`sim.units.Units`, when the model is built.
"""


def typed_params(values: dict[str, Any]) -> Any:
    """The typed sections (:data:`Params`) of a resolved scenario's values, keyed by dotted name."""
    sections: dict[str, dict[str, Any]] = {section: {} for section in SECTION_TYPES}
    for name, value in values.items():
        section, key = name.split(".", 1)
        if section != PLATFORM_SECTION:
            sections[section][key] = value
    return Params(**{section: SECTION_TYPES[section](**fields) for section, fields in sections.items()})
