"""Fixtures shared by the test modules."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sim.cli import main
from sim.world_store import STORE_ENV


@pytest.fixture(autouse=True, scope="session")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tests' own store of worlds (:mod:`sim.world_store`), empty at the start: none is read from the user's."""
    folder = tmp_path_factory.mktemp("world-store")
    before = os.environ.get(STORE_ENV)
    os.environ[STORE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(STORE_ENV, None)
    else:
        os.environ[STORE_ENV] = before


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
