"""How many steps per second the live page keeps up with at 10^4 shipments in transit.

Run from the repository root::

    python benchmarks/viz_frame_rate.py               # 10^4 shipments, 40 frames
    python benchmarks/viz_frame_rate.py --live 50000 --frames 20

One frame is what the page does per step with a render interval of 1: ``model.step()``, then the
map component's figure built (``live_map_figure``) and rendered to PNG at the page's resolution,
as ``solara.FigureMatplotlib`` does. The model is the default scenario (256 x 256 world) with 24
drones; the shipment pool is topped up to the target count after every step (not timed), as in
``run_scale.py``. A few frames are drawn first and not timed (numba compilation, font cache).
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from run_scale import POOL_HEADROOM, top_up

from sim.model import SkywatchModel
from sim.scenario import Scenario
from sim.shipments import ShipmentPool
from sim.viz.live_map import live_cells, live_map_figure

WARMUP_FRAMES = 3
DRONES = 24
PAGE_DPI = 80  # the map component's FigureMatplotlib resolution
TARGET = 5.0  # steps per second the page must keep up with


def main() -> None:
    """Time step + map redraw per frame and print frames per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, default=10_000, help="shipments kept in transit (default 10^4)")
    parser.add_argument("--frames", type=int, default=40, help="frames timed (default 40)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    model = SkywatchModel(Scenario().with_overrides({"drones.count": DRONES}, "benchmark"))
    model.pool = ShipmentPool(args.live + POOL_HEADROOM)
    top_up(model, args.live, rng)
    step_s = draw_s = 0.0
    shown = 0
    for frame in range(WARMUP_FRAMES + args.frames):
        start = time.perf_counter()
        model.step()
        middle = time.perf_counter()
        shown = live_cells(model).size
        live_map_figure(model).savefig(io.BytesIO(), format="png", dpi=PAGE_DPI)
        end = time.perf_counter()
        if frame >= WARMUP_FRAMES:
            step_s += middle - start
            draw_s += end - middle
        top_up(model, args.live, rng)
    total = step_s + draw_s
    rate = args.frames / total
    h, w = model.world.shape
    print(f"{h}x{w} world, {model.fleet.x.size} drones, {shown:,} shipments drawn in the last frame, {args.frames} frames timed")
    print(f"model.step(): {1e3 * step_s / args.frames:.1f} ms/frame; map figure + PNG: {1e3 * draw_s / args.frames:.1f} ms/frame")
    print(f"{rate:.1f} frames (steps) per second; target >= {TARGET:g}: {'met' if rate >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
