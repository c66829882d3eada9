"""The live map as pixels: the world and the model's state painted into an RGB array, frame by frame.

No plotting library is involved per frame. The terrain (water, impassable land, abroad and rough
land in shades of their own) and the scenario's basemap (coast and border lines, named ports and
towns, :mod:`sim.basemap`) are painted once per model; flow, shipments
in transit, counter-drone zones, drone footprints, sites, ground-unit posts and seizures are
painted over a copy of it each frame, each by a few vectorised numpy assignments. One map pixel
block shows ``stride`` × ``stride`` cells at ``scale`` × ``scale`` pixels, chosen so the map is at
least ``MAP_PX`` pixels across (``stride`` is 1 unless the world is wider than that).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps, font_manager
from PIL import Image, ImageDraw, ImageFont

from sim.basemap import Basemap, read_basemap
from sim.model import SkywatchModel
from sim.viz.figures import (
    BORDER_COLOUR,
    COAST_COLOUR,
    OKABE_ITO,
    TERRAIN_SHADES,
    UNAUTHORISED_ALPHA,
    UNAUTHORISED_COLOUR,
    terrain_masks,
)

RGB = tuple[int, int, int]


def hex_rgb(colour: str) -> RGB:
    """``#RRGGBB`` as an (r, g, b) triple."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


MAP_PX = 768  # pixels across the longer side of the map, at least (unless the world is wider)
PNG_COMPRESSION = 1  # zlib level: the fastest; a 768 x 768 frame is about 100 kB
FOOTPRINT_ALPHA = 0.35
FLOW_ALPHA = 0.85
TERRAIN_LIGHT, TERRAIN_DARK = 244.0, 150.0  # grey levels of the cheapest and the roughest passable land
UNAUTHORISED = hex_rgb(UNAUTHORISED_COLOUR)  # tint of airspace the partner may not fly

OKABE_ITO_RGB = {name: hex_rgb(code) for name, code in OKABE_ITO.items()}
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
LABEL_PX = 11  # font size of the basemap's names, pixels
LABEL_FONT_FAMILY = "DejaVu Sans"  # matplotlib's own font: it has the accented letters of place names (Culiacán)
PORT_LABEL_RISE_PX = (14, 26, 38)  # ports' names stand this far above them, in turn west to east, so neighbours do not overlap
TOWN_DOT_PX = 2  # radius of a town's dot
OPAQUE = 128  # a basemap pixel is drawn where its line or letter covers at least half of it (alpha of 255)


@dataclass(frozen=True)
class Layers:
    """Which optional layers the map shows (shipments, sites and drones are always shown)."""

    flow: bool = True  # shipment-steps per cell so far, log colour scale
    footprints: bool = True  # airborne drones' sensor footprints
    zones: bool = True  # counter-drone zones
    seizures: bool = True  # where shipments were seized, so far


LAYER_NAMES = tuple(Layers.__dataclass_fields__)


@dataclass(frozen=True)
class Symbol:
    """A map symbol: its shape, fill colour and what it stands for (the page's legend reads these)."""

    shape: str
    colour: str
    label: str


SYMBOLS = {
    "source": Symbol("square", "orange", "source (production, landing)"),
    "sink": Symbol("triangle", "orange", "port of entry (sink)"),
    "open_crossing": Symbol("triangle", "black", "open border crossing"),
    "hidden_site": Symbol("ring", "purple", "infrastructure, hidden"),
    "found_site": Symbol("disk", "purple", "infrastructure, found"),
    "base": Symbol("star", "blue", "drone base"),
    "post_idle": Symbol("plus", "green", "ground unit at its post"),
    "post_busy": Symbol("plus", "yellow", "ground unit out (its post)"),
    "checkpoint": Symbol("diamond", "yellow", "road checkpoint"),
    "seizure": Symbol("cross", "black", "seizure"),
    "drone": Symbol("disk", "blue", "drone airborne"),
    "shipment": Symbol("cell", "vermillion", "shipment in transit"),
}


def shape_mask(shape: str, size: int) -> np.ndarray:
    """(size, size) bool: the pixels of symbol ``shape`` (``square``, ``triangle``, ``diamond``, ...)."""
    axis = np.linspace(-1.0, 1.0, size)
    y, x = np.meshgrid(axis, axis, indexing="ij")
    r = np.hypot(x, y)
    bar = 0.34
    masks = {
        "square": (np.abs(x) <= 0.75) & (np.abs(y) <= 0.75),
        "triangle": (y <= 0.8) & (np.abs(x) <= (y + 1.0) / 2.0),
        "diamond": np.abs(x) + np.abs(y) <= 1.0,
        "plus": ((np.abs(x) <= bar) | (np.abs(y) <= bar)),
        "cross": np.abs(np.abs(x) - np.abs(y)) <= bar * 1.2,
        "disk": r <= 0.8,
        "ring": (r <= 1.0) & (r >= 0.55),
        "star": (r <= 0.4) | ((np.abs(x) <= 0.2) | (np.abs(y) <= 0.2)) & (r <= 1.0)
        | (np.abs(np.abs(x) - np.abs(y)) <= 0.2) & (r <= 0.85),
    }
    return masks[shape]


def outline(mask: np.ndarray) -> np.ndarray:
    """The pixels just outside ``mask`` (8-neighbours), within its bounds."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    return grown & ~mask


def offsets(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of the pixels of ``mask`` from its centre."""
    rows, cols = np.nonzero(mask)
    return rows - mask.shape[0] // 2, cols - mask.shape[1] // 2


def disk_offsets(radius_px: float, ring: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the pixels within ``radius_px`` of a centre (only the outer ``ring`` pixels when ring > 0)."""
    reach = max(1, math.ceil(radius_px))
    axis = np.arange(-reach, reach + 1)
    dy, dx = np.meshgrid(axis, axis, indexing="ij")
    r = np.hypot(dx, dy)
    keep = (r <= radius_px) & (r > radius_px - ring) if ring > 0 else r <= radius_px
    return dy[keep], dx[keep]


def spread(shape: tuple[int, int], ys: np.ndarray, xs: np.ndarray,
           around: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of every pixel at an offset in ``around`` from a centre (``ys``, ``xs``), within ``shape``."""
    rows = (np.asarray(ys)[:, None] + around[0][None, :]).ravel()
    cols = (np.asarray(xs)[:, None] + around[1][None, :]).ravel()
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return rows[inside], cols[inside]


class RasterMap:
    """Paints one model's map; build one per model (it holds the painted terrain)."""

    def __init__(self, model: SkywatchModel, map_px: int = MAP_PX) -> None:
        """Paint the terrain and place the fixed sites.

        Args:
            model: the model whose world this map shows.
            map_px: pixels across the longer side of the map, at least (unless the world is wider).
        """
        self.model = model
        world = model.world
        h, w = world.shape
        longest = max(h, w)
        self.stride = max(1, math.ceil(longest / map_px)) if longest > map_px else 1
        self.scale = max(1, math.ceil(map_px / longest)) if longest <= map_px else 1
        self.grid = (math.ceil(h / self.stride), math.ceil(w / self.stride))
        self.shape = (self.grid[0] * self.scale, self.grid[1] * self.scale)
        shades = terrain_masks(world)
        self.shades = tuple(shades)  # names of the terrain shades shown (the legend lists these)
        self.terrain = self._terrain(shades)
        basemap = read_basemap(model.scenario)
        self.basemap_kinds = frozenset(kind for kind, *_ in (*basemap.lines, *basemap.points)) if basemap else frozenset()
        self.basemap = self._basemap(basemap)
        self.flow_colours = (colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)
        size = int(np.clip(4 * self.scale + 1, 9, 15))
        self.symbols = {name: (offsets(shape_mask(s.shape, size)), offsets(outline(shape_mask(s.shape, size))))
                        for name, s in SYMBOLS.items() if s.shape != "cell"}
        footprints = [sq.radius * self.scale / self.stride for sq in model.air.squadrons]  # each platform type's, pixels
        self.footprints = [(disk_offsets(r), disk_offsets(r, ring=1.0)) for r in footprints]
        self.zone_edge = disk_offsets(model.air.counter_radius * self.scale / self.stride, ring=2.0)

    # --- coordinates -----------------------------------------------------------------------------

    def cell_pixels(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel row and column of the centre of flat ``cells``."""
        w = self.model.world.shape[1]
        cells = np.asarray(cells, dtype=np.int64)
        return self.xy_pixels(cells % w + 0.5, cells // w + 0.5)

    def grid_cells(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of flat ``cells`` on the map's grid (one entry per ``stride`` × ``stride`` cells)."""
        w = self.model.world.shape[1]
        cells = np.asarray(cells, dtype=np.int64)
        return cells // w // self.stride, cells % w // self.stride

    def xy_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel row and column of points at ``x`` (columns) and ``y`` (rows), cell units."""
        factor = self.scale / self.stride
        return ((np.asarray(y, dtype=float) * factor).astype(np.int64),
                (np.asarray(x, dtype=float) * factor).astype(np.int64))

    def block_sum(self, values: np.ndarray) -> np.ndarray:
        """(grid) sums of an (H, W) array over ``stride`` × ``stride`` blocks."""
        if self.stride == 1:
            return values
        gh, gw = self.grid
        padded = np.zeros((gh * self.stride, gw * self.stride), dtype=values.dtype)
        padded[: values.shape[0], : values.shape[1]] = values
        return padded.reshape(gh, self.stride, gw, self.stride).sum(axis=(1, 3))

    def upscale(self, image: np.ndarray) -> np.ndarray:
        """A (grid, ...) array with each entry repeated ``scale`` × ``scale`` times."""
        return image.repeat(self.scale, axis=0).repeat(self.scale, axis=1) if self.scale > 1 else image

    # --- layers ----------------------------------------------------------------------------------

    def _terrain(self, shades: dict[str, np.ndarray]) -> np.ndarray:
        """(grid, 3) uint8: grey by log travel cost (lighter = faster), :data:`TERRAIN_SHADES` over it, corridor borders."""
        hours = self.model.world.cell_hours
        passable = np.isfinite(hours)
        log_hours = np.log(np.where(passable, hours, 1.0))
        low, high = (log_hours[passable].min(), log_hours[passable].max()) if passable.any() else (0.0, 1.0)
        share = (log_hours - low) / (high - low) if high > low else np.zeros_like(log_hours)
        grey = self.block_sum(TERRAIN_LIGHT - (TERRAIN_LIGHT - TERRAIN_DARK) * share) / self.stride**2
        image = np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)
        for name, mask in shades.items():  # a block takes the shade of most of its cells
            shade = TERRAIN_SHADES[name]
            shaded = self.block_sum(mask.astype(np.int64)) * 2 > self.stride**2
            colour = np.asarray(hex_rgb(shade.colour), dtype=float)
            image[shaded] = np.rint(shade.alpha * colour + (1 - shade.alpha) * image[shaded]).astype(np.uint8)
        airspace = self.model.world.airspace
        if airspace.size:  # outside the authorised airspace: tinted
            outside = self.block_sum((~airspace).astype(np.int64)) * 2 > self.stride**2
            tint = UNAUTHORISED_ALPHA * np.asarray(UNAUTHORISED, dtype=float)
            image[outside] = (tint + (1 - UNAUTHORISED_ALPHA) * image[outside]).astype(np.uint8)
        corridors = len(self.model.world.corridor_names)
        for k in range(1, corridors):
            column = int(k * self.grid[1] / corridors)
            image[::3, column] = 60  # a dotted line between corridors
        return image

    def _basemap(self, basemap: Basemap | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(mask, colours) of the map's pixels the basemap's lines and names cover, or None without a basemap."""
        if basemap is None:
            return None
        canvas = Image.new("RGBA", (self.shape[1], self.shape[0]), (0, 0, 0, 0))
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.truetype(font_manager.findfont(LABEL_FONT_FAMILY), LABEL_PX)
        factor = self.scale / self.stride
        for kind, xy in basemap.lines:
            coast = kind == "coast"
            draw.line([tuple(point) for point in (xy * factor).tolist()], width=1 if coast else 2,
                      fill=(*hex_rgb(COAST_COLOUR if coast else BORDER_COLOUR), 255))
        ports = sorted((x, name) for kind, name, x, _ in basemap.points if kind == "port")
        rise = {name: PORT_LABEL_RISE_PX[i % len(PORT_LABEL_RISE_PX)] for i, (_, name) in enumerate(ports)}
        for kind, name, x, y in basemap.points:
            px, py = x * factor, y * factor
            if kind == "town":
                draw.ellipse([px - TOWN_DOT_PX, py - TOWN_DOT_PX, px + TOWN_DOT_PX, py + TOWN_DOT_PX], fill=(*BLACK, 255))
            at = (px - 4, py - rise[name]) if kind == "port" else (px + 4, py - LABEL_PX // 2)
            draw.text(at, name, font=font, fill=(*BLACK, 255), stroke_width=1, stroke_fill=(*WHITE, 255))
        pixels = np.asarray(canvas)
        return pixels[:, :, 3] >= OPAQUE, pixels[:, :, :3].copy()

    def _flow(self, image: np.ndarray) -> None:
        """Blend flow (shipment-steps per cell so far) over ``image`` (grid resolution), viridis on a log scale."""
        h, w = self.model.world.shape
        flow = self.block_sum(self.model.flow.reshape(h, w))
        top = flow.max()
        if top <= 0:
            return
        carried = flow > 0
        level = np.log1p(flow[carried]) / np.log1p(top)
        colour = self.flow_colours[np.minimum((level * 255).astype(np.int64), 255)]
        image[carried] = (FLOW_ALPHA * colour + (1 - FLOW_ALPHA) * image[carried]).astype(np.uint8)

    def _stamp(self, image: np.ndarray, name: str, rows: np.ndarray, cols: np.ndarray) -> None:
        """Draw symbol ``name`` (white-edged) centred on each pixel (``rows``, ``cols``)."""
        body, edge = self.symbols[name]
        image[spread(image.shape[:2], rows, cols, edge)] = WHITE
        image[spread(image.shape[:2], rows, cols, body)] = OKABE_ITO_RGB[SYMBOLS[name].colour]

    def _sites(self, image: np.ndarray) -> None:
        """Sources, ports, open crossings, infrastructure, drone bases, checkpoints and ground-unit posts (busy or idle)."""
        model, world = self.model, self.model.world
        self._stamp(image, "source", *self.cell_pixels(world.sources))
        self._stamp(image, "sink", *self.cell_pixels(world.sinks))
        self._stamp(image, "open_crossing", *self.cell_pixels(model.crossings.open_cells))
        found = model.infrastructure.discovered
        self._stamp(image, "hidden_site", *self.cell_pixels(world.infra_cells[~found]))
        self._stamp(image, "found_site", *self.cell_pixels(world.infra_cells[found]))
        if model.air.bases.size and model.fleet.x.size:
            self._stamp(image, "base", *self.xy_pixels(model.air.bases[:, 0], model.air.bases[:, 1]))
        checkpoints = model.ground.checkpoints.reshape(-1, 2)
        self._stamp(image, "checkpoint", *self.xy_pixels(checkpoints[:, 0], checkpoints[:, 1]))
        now = model.steps
        units = model.ground.units
        for name, busy in (("post_idle", False), ("post_busy", True)):
            posts = np.array([u.post for u in units if (not u.idle(now)) == busy], dtype=float).reshape(-1, 2)
            self._stamp(image, name, *self.xy_pixels(posts[:, 0], posts[:, 1]))

    def _circles(self, image: np.ndarray, xy: np.ndarray, around: tuple[np.ndarray, np.ndarray], colour: RGB,
                 alpha: float = 1.0) -> None:
        """Paint the pixels at ``around`` each point of ``xy`` ((n, 2) x, y cell units) in ``colour``."""
        rows, cols = self.xy_pixels(xy[:, 0], xy[:, 1])
        pixels = spread(image.shape[:2], rows, cols, around)
        if alpha >= 1.0:
            image[pixels] = colour
        else:
            image[pixels] = (alpha * np.asarray(colour, dtype=float) + (1 - alpha) * image[pixels]).astype(np.uint8)

    def paint(self, layers: Layers = Layers()) -> np.ndarray:
        """(H px, W px, 3) uint8: the map of the model now, with the optional ``layers`` asked for."""
        model = self.model
        grid_image = self.terrain.copy()
        if layers.flow:
            self._flow(grid_image)
        rows, cols = self.grid_cells(model.live_cells())
        grid_image[rows, cols] = OKABE_ITO_RGB["vermillion"]
        image = self.upscale(grid_image)
        if layers.zones and len(model.counter_zones):
            self._circles(image, model.counter_zones, self.zone_edge, OKABE_ITO_RGB["vermillion"])
        up = np.asarray(model.fleet.airborne, dtype=bool)
        drones = np.column_stack([model.fleet.x[up], model.fleet.y[up]])
        if layers.footprints:
            for sq, (disk, edge) in zip(model.air.squadrons, self.footprints, strict=True):
                mine = np.column_stack([sq.fleet.x, sq.fleet.y])[np.asarray(sq.fleet.airborne, dtype=bool)]
                self._circles(image, mine, disk, OKABE_ITO_RGB["sky"], FOOTPRINT_ALPHA)
                self._circles(image, mine, edge, OKABE_ITO_RGB["blue"])
        if self.basemap is not None:
            covered, colours = self.basemap
            image[covered] = colours[covered]
        self._sites(image)
        if layers.seizures and model.seizures.cells:
            self._stamp(image, "seizure", *self.cell_pixels(np.unique(np.asarray(model.seizures.cells))))
        self._stamp(image, "drone", *self.xy_pixels(drones[:, 0], drones[:, 1]))
        return image


def encode_png(image: np.ndarray) -> bytes:
    """``image`` (H, W, 3) uint8 as PNG bytes, compressed for speed rather than size."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()
