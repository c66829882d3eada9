"""Reading a user's ``.npy`` raster: its header is checked before any of its data are read.

A ``.npy`` file declares its dtype and shape in a short header. :func:`read_raster` reads that
header first and refuses the file unless it declares a real numeric array (integers or floating
point) of the expected shape whose data fill the rest of the file exactly. So an empty file, a
``.npz`` archive named ``.npy``, an object (pickled) array or a declared shape of 10¹² cells is
refused before anything is allocated, and loading never takes more memory than the raster itself.
"""

from __future__ import annotations

import os
import tokenize
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from sim.scenario import SHOWN_CHARS, SOURCE_CHARS, ScenarioError, one_line, shown

NUMERIC_KINDS = "iuf"  # signed and unsigned integers, floating point: not bool, complex, dates, objects or records
_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
# What numpy's header parser raises on a malformed header (it evaluates a Python literal).
_MALFORMED = (ValueError, TypeError, OverflowError, SyntaxError, RecursionError, EOFError, tokenize.TokenError)


def read_raster(path: Path, shape: tuple[int, int], source: str, field_name: str, kinds: str = NUMERIC_KINDS) -> np.ndarray:
    """The numeric array of ``shape`` in the ``.npy`` file ``path``, as stored (dtype unchanged).

    Args:
        path: the ``.npy`` file.
        shape: the (rows, columns) the array must have.
        source: the scenario file naming it, for messages.
        field_name: the parameter naming it, for messages.
        kinds: the numpy dtype kinds accepted (:data:`NUMERIC_KINDS`; add ``b`` to accept bool).

    Raises:
        ScenarioError: the file is missing, unreadable, not a ``.npy`` array, not numeric, of
            another shape, or longer or shorter than its header says.
    """
    def refused(expected: str) -> ScenarioError:
        return ScenarioError(source, field_name, f"{expected}: {one_line(str(path), SOURCE_CHARS)}")

    if path.is_dir():
        raise refused("expected a .npy file, got a folder")
    if path.exists() and not path.is_file():
        raise refused("expected a regular .npy file, got a device, pipe or socket")
    try:
        with path.open("rb") as file:
            try:
                version = npy_format.read_magic(file)
                read_header = _HEADER_READERS.get(version)
                if read_header is None:
                    raise refused(f"expected .npy format version 1.0 or 2.0, got {shown(version)}")
                declared, _, dtype = read_header(file)
            except ScenarioError:
                raise
            except _MALFORMED as err:
                raise refused(f"expected a .npy array file ({one_line(str(err), SHOWN_CHARS)})") from None
            if declared != shape or dtype.kind not in kinds or dtype.hasobject:
                kind = "bool or numeric" if "b" in kinds else "numeric"
                raise refused(f"expected a {kind} array of shape {shape} (world.height, world.width), "
                              f"got {one_line(str(dtype), SHOWN_CHARS)} {shown(declared)}")
            size = file.tell() + shape[0] * shape[1] * dtype.itemsize
            actual = os.fstat(file.fileno()).st_size
            if actual != size:
                raise refused(f"expected {size:,} bytes (header and {dtype} {shape} data), the file holds {actual:,}")
            file.seek(0)
            return npy_format.read_array(file, allow_pickle=False)
    except FileNotFoundError:
        raise refused("file not found") from None
    except OSError as err:
        raise refused(f"cannot read it ({err.strerror or type(err).__name__})") from None
