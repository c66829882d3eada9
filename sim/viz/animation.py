"""An animation of a run: the live map every few steps, as MP4 where ffmpeg exists, else as GIF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.animation import FFMpegWriter, PillowWriter

from sim.model import SkywatchModel
from sim.scenario import Scenario
from sim.viz.live_map import draw_live_map

FRAMES = 96  # frames of an animation when ``every`` is not given
FPS = 8
DPI = 90


def write_animation(source: Scenario | Callable[[], SkywatchModel], out_path: Path, every: int | None = None) -> Path:
    """Run a model and write the map every ``every`` steps as an animation.

    Args:
        source: the scenario to run, or a function building the model to run.
        out_path: the file to write; its suffix becomes ``.mp4`` when ffmpeg is on the PATH, else ``.gif``.
        every: steps between frames (default: ``run.steps`` / 96, so about 96 frames).

    Returns:
        The path written.
    """
    model = SkywatchModel(source) if isinstance(source, Scenario) else source()
    steps = model.params.run.steps
    every = every or max(1, steps // FRAMES)
    mp4 = FFMpegWriter.isAvailable()
    writer = FFMpegWriter(fps=FPS) if mp4 else PillowWriter(fps=FPS)
    path = Path(out_path).with_suffix(".mp4" if mp4 else ".gif")
    fig = plt.figure(figsize=(10, 6.1))
    try:
        with writer.saving(fig, str(path), DPI):
            for step in range(steps + 1):
                if step % every == 0 or step == steps:
                    draw_live_map(fig, model)
                    writer.grab_frame()
                if step < steps:
                    model.step()
    finally:
        plt.close(fig)
    return path
