"""Reading a small text input file (a sites CSV, a GeoJSON file) with a size cap, and a GeoJSON FeatureCollection's features.

Every problem becomes the caller's one-line error: ``refused(expected)`` makes the
:class:`sim.scenario.ScenarioError` raised, naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario import SHOWN_CHARS, ScenarioError, one_line

Refused = Callable[[str], ScenarioError]


def read_text(path: Path, refused: Refused, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path`` (a ``what``: "sites file", "basemap"), refused beyond ``max_bytes``."""
    if not path.is_file():
        raise refused("file not found" if not path.exists() else f"expected a regular file for the {what}")
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as err:
        raise refused(f"cannot read it ({err.strerror or type(err).__name__})") from None
    if len(data) > max_bytes:
        raise refused(f"expected a {what} of at most {max_bytes:,} bytes, got a larger one")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused("expected a UTF-8 text file") from None


def features(text: str, refused: Refused) -> list[Any]:
    """The features of the GeoJSON FeatureCollection (RFC 7946) in ``text``, each still to be checked by the caller."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise refused(f"expected GeoJSON (JSON text: {one_line(str(err), SHOWN_CHARS)})") from None
    found = doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None
    if not isinstance(found, list):
        raise refused("expected a GeoJSON FeatureCollection (RFC 7946) with a list of features")
    return found
