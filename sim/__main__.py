"""``python -m sim``: the same as the ``skywatch`` command."""

from sim.cli import launch

launch()
