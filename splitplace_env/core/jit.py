"""The decorators the engine's kernels are compiled with.

``kernel`` compiles a function with numba (``nopython``, cached on disk, GIL
released). Where numba cannot be imported, or when numba's own
``NUMBA_DISABLE_JIT=1`` is set, the same source runs as plain Python on numpy
scalars: slower, but the same operations in the same order, so episodes are
identical both ways (``tests/test_engine_modes.py``).

numba keys a cached kernel on its own file only: a kernel whose callee in
another module changed would load stale machine code. So on import, if the
sources of ``splitplace_env/core`` differ from those the cache was built from
(a fingerprint kept beside it), the cached kernels are dropped and recompiled.
Kernels defined elsewhere with these decorators (the tests' own) are cached beside
their files and not covered: after changing the flags below, delete their ``*.nbi``
and ``*.nbc`` files too (a stale cache once hid a test kernel that no longer
compiled).

Kernels are compiled without numba's reference-counted runtime (NRT, ``_nrt=False``):
with it, every array view a kernel makes or passes on (a row of a block, a block of
an arena) costs a call to ``NRT_incref`` and one to ``NRT_decref``, about 280 call
sites in the step, and the step's compiled time was 21.5k cycles with them against
16.9k without (measured with the cycle counter on recorded masked random actions).
The price: a kernel can neither allocate an array nor return one. Views are made
inside a compiled call only; ``inline_kernel`` marks the helpers that make them
(``kernels.unpack``), which numba inlines into their callers so nothing returns a
view. A kernel must never hand a view back to Python: numba refuses a returned
array that is not an argument, but a tuple of views slips through and reaches
Python as garbage, so Python names the arena's blocks with numpy views of its own
(``EdgeEngine._bind_arena``).

``direct_call`` hands back numba's compiled wrapper of one specialisation, which
Python then calls without numba's per-call type dispatch (the step's hot path).

``wrapping_kernel`` is ``kernel`` for the random generator's unsigned 64-bit
arithmetic, which wraps modulo 2**64 by design: compiled it wraps silently as in
C; as plain Python numpy would warn on every wrap, so there the function runs
with numpy's overflow warnings off.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

_CORE = Path(__file__).parent
_CACHE = _CORE / "__pycache__"
_FINGERPRINT = _CACHE / "kernel_sources.sha256"


def _drop_stale_kernel_cache() -> None:
    """Removes numba's cached kernels of this package when any core source changed."""
    digest = hashlib.sha256()
    for path in sorted(_CORE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    now = digest.hexdigest()
    try:
        if _FINGERPRINT.read_text() == now:
            return
    except OSError:
        pass
    try:
        for stale in list(_CACHE.glob("*.nbi")) + list(_CACHE.glob("*.nbc")):
            stale.unlink()
        _CACHE.mkdir(exist_ok=True)
        _FINGERPRINT.write_text(now)
    except OSError:  # a read-only install: numba caches elsewhere, keyed on unchanged files
        pass


try:  # numba is a dependency, but the engine must still run where it has no wheel
    import numba
    from numba.core import config as _numba_config

    #: True when the kernels are compiled (numba importable and JIT not disabled).
    COMPILED = not _numba_config.DISABLE_JIT
    if COMPILED:
        _drop_stale_kernel_cache()
    # error_model="numpy": no zero-divisor check (and exception path) around every
    # division; the model never divides by zero (the tests would raise in plain-Python
    # mode). Measured: 19.4 -> 12.8 us per env-step of the batched step at 64 envs.
    kernel = numba.njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
    #: ``kernel`` for helpers that return views: inlined into every caller (numba IR inlining).
    inline_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", _nrt=False, inline="always")
except ImportError:  # pragma: no cover - exercised by a test in a subprocess without numba
    COMPILED = False

    def kernel(fn):
        return fn

    inline_kernel = kernel


def direct_call(dispatcher, args: tuple):
    """``dispatcher`` as a function of arguments of the types of ``args``, called
    without numba's per-call dispatch.

    numba's dispatcher works out the numba type of every argument on each call to
    pick the machine code. For the step's 18 arrays that cost 0.8 us with warm caches
    and about 15 us when the work between two steps has evicted them (a 32 MB write
    before each call: 23.6 us against 8.6 us for the compiled function alone, medians
    of 300). The function returned here is numba's compiled wrapper itself: it
    unboxes each argument as the type it was compiled for **without checking it**,
    so every later call must pass arrays of exactly the types (dtype, dimensions,
    layout) of ``args``; a caller that builds its arguments itself can promise that
    (``EdgeEngine.step_unchecked``). For a kernel that returns a tuple of scalars.
    Not compiled (plain Python): the function itself, with the numpy scalars of its
    returned tuple made plain Python numbers, as the compiled wrapper returns them.
    """
    if not COMPILED:
        @functools.wraps(dispatcher)
        def plain(*call_args):
            return tuple(v.item() if isinstance(v, np.generic) else v for v in dispatcher(*call_args))

        return plain
    signature = tuple(numba.typeof(a) for a in args)
    if signature not in dispatcher.overloads:
        dispatcher.compile(signature)
    return dispatcher.overloads[signature].entry_point


def wrapping_kernel(fn):
    """``kernel`` for functions whose uint64 arithmetic wraps modulo 2**64 by design."""
    if COMPILED:
        return kernel(fn)

    @functools.wraps(fn)
    def plain(*args):
        with np.errstate(over="ignore"):
            return fn(*args)

    return plain
