"""``python -m sim``: the same as the ``skywatch`` command."""

from sim.cli import main

raise SystemExit(main())
