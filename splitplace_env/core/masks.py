"""The factored action mask (``SplitPlaceEnv.action_masks``), compiled."""

from __future__ import annotations

from splitplace_env.core.jit import kernel
from splitplace_env.core.demand import booked_ram, fragment_demand, ready_at_split
from splitplace_env.core.layout import EPS, P_MAX_CONTAINERS, P_MIGRATION, P_NSPLITS, P_SWAP, READY, RUNNING


@kernel
def action_masks(out, params, split_i, split_f, host_spec, host_state, task_b, task_i, frag_i, frag_f):
    """Fills ``out`` (``T*S + 5T*(H+1)`` booleans, any prior content) with the mask:
    for each slot, the split rows (every split for a new task, else only the no-op
    0), then for each fragment slot its host row (0 always; host h where the
    fragment could be placed or migrated now and the RAM it would book and its disk
    fit h's free capacity, RAM + swap; never a host that is down). A new task's fragment j counts as placeable if
    some split makes it ready at once, with the largest demand over those splits.
    New containers are offered only while fewer than ``max_containers`` run;
    running ones only if ``migration`` is on."""
    S = int(params[P_NSPLITS])
    T = task_b.shape[1]
    NF = frag_i.shape[1]
    F = NF // T
    H = host_spec.shape[1]
    ram_mb, disk_mb, ram_used, disk_used = host_spec[0], host_spec[1], host_state[0], host_state[1]
    task_new = task_b[1]
    swap = params[P_SWAP]
    cap = int(params[P_MAX_CONTAINERS])
    may_start = True
    if cap > 0:
        running = 0
        for i in range(NF):
            running += frag_i[0, i] == RUNNING
        may_start = running < cap
    may_migrate = params[P_MIGRATION] > 0.5
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
                    movable = may_start
                    ram = max(ram, booked_ram(r, 0, params))
                    disk = max(disk, d)
        else:
            st = frag_i[0, i]
            if st == READY:
                movable = may_start
                ram = booked_ram(frag_f[9, i], frag_i[2, i], params)
            elif st == RUNNING:
                movable = may_migrate
                ram = frag_f[4, i]
            disk = frag_f[5, i]
        here = frag_i[1, i]
        for h in range(H):
            out[row + 1 + h] = (movable and here != h and ram_used[h] + ram <= ram_mb[h] + swap + EPS
                                and disk_used[h] + disk <= disk_mb[h] + EPS and host_state[12, h] < 0.5)
