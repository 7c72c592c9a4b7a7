"""Task arrivals: Poisson counts, application, batch, SLA deadline and accuracy draws.

Everything random about a task is drawn at its arrival from the workload and
accuracy streams alone (``core/rng.py``), so the same seed gives every agent the
same tasks (common random numbers) whatever the agent does. The accuracy of each
network is drawn up front, Binomial(batch, p) / batch (a batch is a sample of the
test set), for the same reason.

Arrived tasks wait in the engine's FIFO *backlog ring* until a task slot is free:
task ``i`` (ids count arrivals) sits in column ``i % capacity`` of the ring's
blocks (rows ``RING_INT``, ``RING_FLOAT``); the engine grows the ring before it
could overflow, so no task is ever dropped. The count of the *next* interval is
drawn one interval ahead, which tells the engine how much room it needs.
"""

from __future__ import annotations

import numpy as np

from splitplace_env.config import APPLICATIONS, NETWORKS, SplitPlaceConfig
from splitplace_env.core import rng
from splitplace_env.core.jit import kernel

#: Networks whose accuracy is drawn per task (``config.NETWORK_OF_SPLIT`` maps the
#: split modes onto them).
ACCURACY_MODES: tuple[str, ...] = NETWORKS
#: Random streams of an episode (entries of the engine's generator state).
WORKLOAD_STREAM, ACCURACY_STREAM, MOBILITY_STREAM, FAULT_STREAM = 0, 1, 2, 3
N_STREAMS = 4
#: Rows of the backlog ring: ints, then floats (one accuracy row per network).
RING_INT = ("app", "batch")
RING_FLOAT = ("sla", "arrival") + tuple(f"accuracy_{m}" for m in ACCURACY_MODES)


def workload_tables(cfg: SplitPlaceConfig, accuracy: np.ndarray,
                    batch_choices: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The arrival kernel's tables, one row per configured application.

    Args:
        cfg: the configuration (applications, weights, SLA rule).
        accuracy: (len(APPLICATIONS), len(ACCURACY_MODES)) held-out accuracies.
        batch_choices: per application (APPLICATIONS order), the batch sizes drawn uniformly.

    Returns:
        ``(ints, floats)``: ints row = (application index, number of batch choices,
        the choices...); floats row = (cumulative weight, exclusive SLA upper bound,
        accuracy per network).
    """
    apps = [APPLICATIONS.index(a) for a in cfg.applications]
    width = max(len(batch_choices[a]) for a in apps)
    ints = np.zeros((len(apps), 2 + width), dtype=np.int64)
    floats = np.zeros((len(apps), 2 + len(ACCURACY_MODES)))
    w = np.asarray(cfg.app_weights, dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0  # every uniform draw in (0, 1) falls in some application
    for c, a in enumerate(apps):
        b = batch_choices[a]
        ints[c, 0], ints[c, 1] = a, len(b)
        ints[c, 2:2 + len(b)] = b
        # sla ~ U{min_sla, .., 2L - 3}: the authors' randint(2, 2L - 2), L per application.
        floats[c, 0] = cum[c]
        floats[c, 1] = max(2 * cfg.layer_intervals[a] - 2, cfg.min_sla + 1)
        floats[c, 2:] = accuracy[a]
    return ints, floats


@kernel
def arrive(n, first_id, arrival, min_sla, noise, state, wl_int, wl_float, ring_int, ring_float):
    """Draws ``n`` tasks that arrived in interval ``arrival`` (ids from ``first_id``)
    into the backlog ring."""
    cap = ring_int.shape[1]
    n_apps = wl_int.shape[0]
    for m in range(n):
        r = (first_id + m) % cap
        u = rng.uniform(state, WORKLOAD_STREAM)
        c = 0
        while c < n_apps - 1 and u >= wl_float[c, 0]:
            c += 1
        batch = wl_int[c, 2 + rng.below(state, WORKLOAD_STREAM, wl_int[c, 1])]
        ring_int[0, r] = wl_int[c, 0]
        ring_int[1, r] = batch
        ring_float[0, r] = min_sla + rng.below(state, WORKLOAD_STREAM, int(wl_float[c, 1]) - min_sla)
        ring_float[1, r] = arrival
        for j in range(wl_float.shape[1] - 2):
            p = wl_float[c, 2 + j]
            ring_float[2 + j, r] = rng.binomial(state, ACCURACY_STREAM, batch, p) / batch if noise else p


def grown_ring(ring_int: np.ndarray, ring_float: np.ndarray, first: int, end: int,
               capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Copies of the backlog ring's blocks with ``capacity`` columns, keeping the
    waiting tasks ``first..end-1`` in their columns (``id % capacity``)."""
    cap = ring_int.shape[-1]
    ids = np.arange(first, end)
    new_int = np.zeros(ring_int.shape[:-1] + (capacity,), dtype=ring_int.dtype)
    new_float = np.zeros(ring_float.shape[:-1] + (capacity,), dtype=ring_float.dtype)
    new_int[..., ids % capacity] = ring_int[..., ids % cap]
    new_float[..., ids % capacity] = ring_float[..., ids % cap]
    return new_int, new_float
