"""The brief as a PDF: the HTML page printed by Debian's Chromium, headless (``--print-to-pdf``).

Chromium lays the page out as the browser shows it (the print rules of its CSS apply) and keeps
the figures as vectors. It runs with a throw-away profile and with background networking off; the
page itself allows no request (its Content-Security-Policy), so nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sim.scenario import ScenarioError

CHROMIUM = "chromium"  # Debian's package and command
PRINT_TIMEOUT_S = 120
PDF_MAGIC = b"%PDF-"
CHROMIUM_ARGS = ("--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-pdf-header-footer")
ROOT_ARGS = ("--no-sandbox",)  # Chromium refuses to run as root with its sandbox


def find_chromium() -> str:
    """The path of Debian's Chromium on the PATH.

    Raises:
        ScenarioError: there is none.
    """
    found = shutil.which(CHROMIUM)
    if found is None:
        raise ScenarioError("--pdf", CHROMIUM, "expected Debian's Chromium to print the PDF (apt-get install chromium); "
                                               "not found on the PATH")
    return found


def print_pdf(chromium: str, page: Path, out: Path) -> None:
    """Print the HTML file ``page`` to the PDF ``out`` with the Chromium at ``chromium``.

    Raises:
        ScenarioError: Chromium failed, timed out or wrote no PDF.
    """
    root = ROOT_ARGS if hasattr(os, "geteuid") and os.geteuid() == 0 else ()
    with tempfile.TemporaryDirectory(prefix="skywatch-chromium-") as profile:
        command = [chromium, *CHROMIUM_ARGS, *root, f"--user-data-dir={profile}", f"--print-to-pdf={out}",
                   page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise ScenarioError("--pdf", chromium, f"expected Chromium to print the PDF within {PRINT_TIMEOUT_S} s") from None
    complete = out.is_file() and out.read_bytes()[:len(PDF_MAGIC)] == PDF_MAGIC
    if done.returncode != 0 or not complete:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ScenarioError("--pdf", chromium, f"Chromium printed no PDF (exit {done.returncode}: {last})")
