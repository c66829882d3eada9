"""Work claimed inside compiled code: an atomic ticket counter the threads share.

Threads running the same ``nogil`` kernel take the next lane by an atomic fetch-and-add on one
int64 counter, so a thread claims lanes as fast as it finishes them, with one call into compiled
code per thread and step instead of one per lane.
"""

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _fetch_add(typingctx, counter, value):
    """Atomically add ``value`` (int64) to ``counter[0]`` (a C-contiguous int64 array); the value it had before."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64 and counter.layout == "C"
            and isinstance(value, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array, amount = args
        array_type, amount_type = signature.args
        first = cgutils.get_item_pointer(context, builder, array_type, context.make_array(array_type)(context, builder, array),
                                         [context.get_constant(types.intp, 0)])
        amount = context.cast(builder, amount, amount_type, types.int64)
        return builder.atomic_rmw("add", first, amount, "seq_cst")

    return types.int64(counter, value), codegen


@njit(cache=True, inline="always")
def take_ticket(counter: np.ndarray) -> int:
    """The next ticket of ``counter`` ((1,) int64): tickets 0, 1, 2, ... each go to exactly one caller, across threads."""
    return _fetch_add(counter, 1)
