"""The overview figure of ``skywatch run``, drawn by a forked child whose imports overlap the run.

Matplotlib's imports cost about 0.35 s and the figure about 0.5 s, as much as the run itself
(world, routes, a week of steps). :func:`overview_in_child` forks before the model is built: the
child imports the plotting stack while the parent builds and runs the model, then receives the
finished run's state (:func:`finished_run`: the parts of the model the figure reads, pickled
through a pipe), draws the overview and saves it into the run's staging folder while the parent
writes the other files. The figure is the same as one drawn in the parent from the model.

The child writes ``overview.png`` under a hidden name and renames it once complete, so no
half-written figure ever bears the name; the staging folder is swapped into place only after the
child reported success (:func:`sim.run.write_run_folder`). The child reports an error back (an
``OSError`` as itself, anything else as a :class:`RuntimeError` carrying its traceback) and the
parent raises it, so errors read as they did. When the parent stops early (an error, Ctrl-C), it
kills and reaps the child before the staging folder is removed; when the parent dies, the child
reads the end of its pipe and exits. Where ``os.fork`` is missing, the figure is drawn in-process.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

from sim.basemap import Basemap
from sim.model import SkywatchModel
from sim.run import OVERVIEW_FILE, FolderWriter
from sim.scenario import Scenario

PARTIAL_PREFIX = ".partial-"  # the figure's name while it is written
PLOTTING = "sim.viz.figures"  # the child imports it (and matplotlib) while the parent runs the model


def finished_run(model: SkywatchModel) -> SimpleNamespace:
    """The parts of a finished ``model`` the overview figure reads, by the same attribute names, picklable.

    The metrics recorder comes without its reporters (closures). The scenario and its parameters are left
    out (not picklable): the child has them from before the fork.
    """
    recorder = copy(model.datacollector)
    recorder.reporters, recorder.read = {}, ()  # the figure reads the columns alone
    return SimpleNamespace(
        world=model.world, units=model.units, steps=model.steps, flow=model.flow, counter_zones=model.counter_zones,
        air=SimpleNamespace(track=model.air.track, bases=model.air.bases), fleet=SimpleNamespace(x=model.fleet.x),
        crossings=SimpleNamespace(open_cells=model.crossings.open_cells),
        infrastructure=SimpleNamespace(discovered=model.infrastructure.discovered),
        ground=SimpleNamespace(units=[SimpleNamespace(post=unit.post) for unit in model.ground.units],
                               checkpoints=model.ground.checkpoints),
        seizures=SimpleNamespace(cells=model.seizures.cells), datacollector=recorder,
    )


def _write_overview(run: Any, basemap: Basemap | None, folder: Path) -> None:
    """Draw the overview of ``run`` and write it to ``folder``, under a hidden name until complete."""
    from sim.viz.figures import overview_with, save_overview

    hidden = folder / f"{PARTIAL_PREFIX}{OVERVIEW_FILE}"
    save_overview(overview_with(run, basemap), hidden)
    os.replace(hidden, folder / OVERVIEW_FILE)


def _child(scenario: Scenario, basemap: Basemap | None, requests: int, replies: int) -> NoReturn:
    """The child's life: import the plotting stack, wait for the finished run, write its overview, reply, exit.

    Whatever happens, the child exits here: it never returns into the parent's code.
    """
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills this child
        reply = _draw_requested(scenario, basemap, requests)
        with os.fdopen(replies, "wb") as pipe:
            pickle.dump(reply, pipe)
    finally:
        os._exit(0)


def _draw_requested(scenario: Scenario, basemap: Basemap | None, requests: int) -> Exception | None:
    """Read the finished run from ``requests`` and write its overview; the error to report (None: written)."""
    try:
        importlib.import_module(PLOTTING)
        with os.fdopen(requests, "rb") as pipe:
            folder, run = pickle.load(pipe)
        run.scenario, run.params = scenario, scenario.params
        _write_overview(run, basemap, folder)
    except EOFError:  # the parent stopped before sending the run: nothing to draw
        os._exit(0)
    except OSError as err:
        return err
    except BaseException as err:  # a bug: its traceback goes to the parent, which reports it
        reply = RuntimeError(f"{type(err).__name__}: {err}")
        reply.add_note("in the process drawing the overview figure:\n" + "".join(traceback.format_exception(err)).rstrip())
        return reply
    return None


class OverviewChild:
    """The forked child drawing a run's overview; :meth:`write` is the run folder's figure writer."""

    def __init__(self, scenario: Scenario, basemap: Basemap | None) -> None:
        request_read, self._requests = os.pipe()
        self._replies, reply_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is printed twice
            stream.flush()
        with warnings.catch_warnings():  # numpy's BLAS threads (and idle kernel-pool workers) are never used in the child
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            self.pid = os.fork()
        if self.pid == 0:
            os.close(self._requests)
            os.close(self._replies)
            _child(scenario, basemap, request_read, reply_write)
        os.close(request_read)
        os.close(reply_write)
        self._sender: threading.Thread | None = None

    def write(self, model: SkywatchModel, folder: Path) -> OverviewChild:
        """Send the finished run to the child, which writes ``folder/overview.png``; return it (:class:`sim.run.Pending`).

        The run is sent from a thread (the child reads it once its imports are done), so the caller
        writes the other files meanwhile.
        """
        payload = pickle.dumps((folder, finished_run(model)), protocol=pickle.HIGHEST_PROTOCOL)
        requests = self._requests

        def send() -> None:
            with contextlib.suppress(OSError), os.fdopen(requests, "wb") as pipe:  # a dead child: wait() says so
                pipe.write(payload)

        self._requests = -1  # the thread's to close
        self._sender = threading.Thread(target=send, daemon=True)
        self._sender.start()
        return self

    def wait(self) -> None:
        """Wait for the child's reply and exit; raise the error it reported.

        Raises:
            OSError: the child could not write the figure (disk full, permissions).
            RuntimeError: the child failed otherwise (a bug; its traceback in the notes), or died.
        """
        replies, self._replies = self._replies, -1
        try:
            with os.fdopen(replies, "rb") as pipe:
                data = pipe.read()
            self._reap()
        except BaseException:
            self.stop()
            raise
        if self._sender is not None:
            self._sender.join()
        if not data:
            raise RuntimeError("the process drawing the overview figure ended without a reply")
        reply = pickle.loads(data)
        if reply is not None:
            raise reply

    def _reap(self) -> None:
        if self.pid:
            os.waitpid(self.pid, 0)
            self.pid = 0

    def stop(self) -> None:
        """Kill the child unless it is reaped already, and reap it: it writes nothing after this returns."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        for fd in (self._requests, self._replies):
            if fd >= 0:
                os.close(fd)
        self._requests = self._replies = -1


def _write_in_process(basemap: Basemap | None) -> FolderWriter:
    """The figure writer that draws the overview here (where there is no ``os.fork``)."""

    def write(model: SkywatchModel, folder: Path) -> None:
        _write_overview(model, basemap, folder)

    return write


@contextmanager
def overview_in_child(scenario: Scenario, basemap: Basemap | None) -> Iterator[FolderWriter]:
    """Fork the child that will draw the overview of the run of ``scenario``; yield the run folder's figure writer.

    Enter before building the model. On leaving, the child is killed and reaped if it is still
    there (the block stopped before the figure was written).
    """
    if not hasattr(os, "fork"):
        yield _write_in_process(basemap)
        return
    child = OverviewChild(scenario, basemap)
    try:
        yield child.write
    finally:
        child.stop()
