"""Fixtures shared by the test modules."""

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.cli import main


@pytest.fixture
def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    """A check that ``skywatch run SCENARIO`` is refused: exit 2, one error line holding every fragment, nothing written."""
    def check(scenario: Path, *fragments: str) -> None:
        out = tmp_path / "refused-out"
        assert main(["run", str(scenario), "--quiet", "--out", str(out)]) == 2
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("skywatch: error: "), captured.err
        assert all(fragment in lines[0] for fragment in fragments), lines[0]
        assert not out.exists(), "nothing written"
    return check
