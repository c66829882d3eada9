"""The policy brief (``skywatch brief``): one self-contained HTML file comparing scenarios, optionally also a PDF.

:mod:`sim.brief.differences` states a scenario's differences from the reference in words,
:mod:`sim.brief.series` reads the replications' run folders (flow, per-step metrics),
:mod:`sim.brief.figures` draws the embedded figures, :mod:`sim.brief.page` writes the HTML,
:mod:`sim.brief.pdf` prints it with Chromium, and :mod:`sim.brief.report` puts them together.
"""
