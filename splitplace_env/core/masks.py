"""The factored action mask (``SplitPlaceEnv.action_masks``), compiled."""

from __future__ import annotations

from splitplace_env.core.jit import kernel
from splitplace_env.core.kernels import fragment_demand, ready_at_split
from splitplace_env.core.layout import EPS, P_NSPLITS, READY, RUNNING


@kernel
def action_masks(out, params, split_i, split_f, host_spec, host_state, task_b, task_i, frag_i, frag_f):
    """Fills ``out`` (``T*S + 5T*(H+1)`` booleans, any prior content) with the mask:
    for each slot, the split rows (every split for a new task, else only the no-op
    0), then for each fragment slot its host row (0 always; host h where the
    fragment could be placed or migrated now and its RAM and disk fit h's free
    capacity). A new task's fragment j counts as placeable if some split makes it
    ready at once, with the largest RAM and disk demand over those splits."""
    S = int(params[P_NSPLITS])
    T = task_b.shape[1]
    NF = frag_i.shape[1]
    F = NF // T
    H = host_spec.shape[1]
    ram_mb, disk_mb, ram_used, disk_used = host_spec[0], host_spec[1], host_state[0], host_state[1]
    task_new = task_b[1]
    for k in range(T):
        out[k * S] = True
        for s in range(1, S):
            out[k * S + s] = task_new[k]
    base = T * S
    for i in range(NF):
        row = base + i * (H + 1)
        out[row] = True
        k = i // F
        movable = False
        ram = 0.0
        disk = 0.0
        if task_new[k]:
            a, b = task_i[1, k], task_i[2, k]
            for s in range(S):
                if i - k * F < ready_at_split(split_i, a, s):
                    r, d, _, _, _ = fragment_demand(a, s, i - k * F, b, split_f, params)
                    movable = True
                    ram = max(ram, r)
                    disk = max(disk, d)
        else:
            st = frag_i[0, i]
            movable = st == READY or st == RUNNING
            ram, disk = frag_f[4, i], frag_f[5, i]
        here = frag_i[1, i]
        for h in range(H):
            out[row + 1 + h] = (movable and here != h and ram_used[h] + ram <= ram_mb[h] + EPS
                                and disk_used[h] + disk <= disk_mb[h] + EPS)
