"""Drawing above the model: run, sweep and comparison figures, the animation and the live page."""
