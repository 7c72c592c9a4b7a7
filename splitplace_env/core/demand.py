"""A fragment's demands, and how much of them the scheduler can know.

Used by the interval (``kernels``), the mask (``masks``) and the observation
(``observation``) alike, so all three agree on every figure.
"""

from __future__ import annotations

from splitplace_env.core.jit import kernel
from splitplace_env.core.layout import P_CHUNK, P_COMPRESSION, P_COMPUTE, P_FULL_BATCH, P_HIDE, P_OVERHEAD, P_PLACEHOLDER


@kernel
def fragment_demand(a, s, j, b, split_f, params):
    """(peak RAM MB, disk MB, input MB moved, output MB moved, single-core work s) of
    fragment j of application a under split s at batch b.

    RAM: the container's runtime and weights, plus, under the "full_batch" memory
    model, its whole decoded input batch and all its outputs (the authors' container
    loads the batch, runs one sample at a time and keeps every output until it writes
    them), or under "streaming" the activations of ``stream_chunk_samples`` samples.
    Disk: weights and data files. Data moved: bz2-compressed tensors
    (``transfer_compression``).
    """
    w = split_f[1, a, s, j]
    comp = b * params[P_COMPRESSION]
    in_mb = split_f[2, a, s, j] * comp
    out_mb = split_f[3, a, s, j] * comp
    if params[P_FULL_BATCH] > 0.5:
        ram = params[P_OVERHEAD] + w + b * (split_f[2, a, s, j] + split_f[3, a, s, j])
    else:
        ram = params[P_OVERHEAD] + w + min(b, params[P_CHUNK]) * split_f[4, a, s, j]
    return ram, w + in_mb + out_mb, in_mb, out_mb, split_f[0, a, s, j] * b * params[P_COMPUTE]


@kernel
def booked_ram(peak, measured, params):
    """RAM a fragment books on its host: its peak, or the placeholder while it has
    not run an interval (``placeholder_mb`` > 0, the authors' admission)."""
    if params[P_PLACEHOLDER] > 0.0 and not measured:
        return params[P_PLACEHOLDER]
    return peak


@kernel
def shown_ram(peak, measured, params):
    """A fragment's memory as the observation shows it: the placeholder for a
    never-run fragment under ``hide_unmeasured``, else its true peak."""
    if params[P_HIDE] > 0.5 and not measured:
        return params[P_PLACEHOLDER]
    return peak


@kernel
def ready_at_split(split_i, a, s):
    """Fragments of (app a, split s) ready as soon as the split is made: the first of
    a chain, every branch of a parallel split."""
    return 1 if split_i[1, a, s] else split_i[0, a, s]
