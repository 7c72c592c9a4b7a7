"""``claim``: an atomic fetch-and-increment, so that threads stepping one batch of
environments take the next environment from a shared counter (``kernels.step_claimed``).

A thread handed a fixed range starts 80-130 us late here (a pool thread's wake-up)
and the other then waits for it; claiming one environment at a time lets whoever is
running take the work. Compiled, ``claim(counter)`` is one ``lock xadd`` on
``counter[0]`` (an LLVM ``atomicrmw add``, sequentially consistent) and returns the
value before the increment. As plain Python (no numba, or ``NUMBA_DISABLE_JIT``)
it is the same read and write without the atomicity, which is why ``BatchEngine``
steps in one thread there.
"""

from __future__ import annotations

from splitplace_env.core.jit import COMPILED

if COMPILED:
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def claim(typingctx, counter):
        """``counter[0]`` before an atomic ``counter[0] += 1`` (``counter``: int64 array)."""
        if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
            return None
        signature = types.int64(counter)

        def codegen(context, builder, sig, args):
            array_type = sig.args[0]
            array = context.make_array(array_type)(context, builder, args[0])
            first = cgutils.get_item_pointer(context, builder, array_type, array,
                                             [context.get_constant(types.intp, 0)])
            return builder.atomic_rmw("add", first, context.get_constant(types.int64, 1), "seq_cst")

        return signature, codegen
else:  # pragma: no cover - exercised by the plain-Python mode test in a subprocess

    def claim(counter):
        """``counter[0]`` before ``counter[0] += 1`` (not atomic: one thread only)."""
        value = int(counter[0])
        counter[0] = value + 1
        return value
