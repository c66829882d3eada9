"""An animation of a run: the live map every few steps, as MP4 where ffmpeg exists, else as GIF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.animation import FFMpegWriter, PillowWriter

from sim.model import SkywatchModel
from sim.outfolder import replace_file
from sim.viz.live_map import draw_live_map

FRAMES = 96  # frames of an animation when ``every`` is not given
FPS = 8
DPI = 90


def write_animation(model: SkywatchModel, out_path: Path, every: int | None = None,
                    on_step: Callable[[int], None] | None = None) -> Path:
    """Run a new model to its end, writing the map every ``every`` steps as an animation.

    Args:
        model: a model not yet stepped; it is left at the end of its run (``run.steps``), so its figures can be drawn.
        out_path: the file to write; its suffix becomes ``.mp4`` when ffmpeg is on the PATH, else ``.gif``.
        every: steps between frames (default: ``run.steps`` / 96, so about 96 frames).
        on_step: called after each step with the number of steps run so far (as :func:`sim.run.simulate` does).

    Returns:
        The path written.
    """
    steps = model.params.run.steps
    every = every or max(1, steps // FRAMES)
    mp4 = FFMpegWriter.isAvailable()
    writer = FFMpegWriter(fps=FPS) if mp4 else PillowWriter(fps=FPS)
    path = Path(out_path).with_suffix(".mp4" if mp4 else ".gif")
    fig = plt.figure(figsize=(10, 6.1))

    def record(temp: Path) -> None:
        with writer.saving(fig, str(temp), DPI):
            for step in range(steps + 1):
                if step % every == 0 or step == steps:
                    draw_live_map(fig, model)
                    writer.grab_frame()
                if step < steps:
                    model.step()
                    if on_step is not None:
                        on_step(model.steps)

    try:
        replace_file(path, record, suffix=path.suffix)  # an animation cut short leaves the old one whole
    finally:
        plt.close(fig)
    return path
