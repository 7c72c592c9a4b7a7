"""The compiled interval: split, place and migrate, run, complete, Eq. 8, advance.

These kernels are the one implementation of the model (``EdgeEngine`` holds the
state and calls them; ``core/engine.py`` documents the semantics). ``step`` runs a
whole interval and writes the next observation in one call; ``begin`` starts an
episode. They hold no state of their own: everything lives in the engine's packed
blocks, whose rows are named in ``core/layout.py`` (the engine names each row as a
view, so Python and the kernels see the same memory), and every random draw comes
from the engine's generator state (``core/rng.py``).
"""

from __future__ import annotations

import math

from splitplace_env.core import mobility, network, observation, workload
from splitplace_env.core.atomic import claim
from splitplace_env.core.cluster import power_at
from splitplace_env.core.demand import booked_ram, fragment_demand, ready_at_split
from splitplace_env.core.jit import inline_kernel, kernel
from splitplace_env.core.layout import (ARENA_FLOAT, ARENA_INT, BLOCKED, C_ADMITTED, C_ARRIVED, C_EVICTED,
                                        C_FAULT_RESTARTS, C_FIN_POS, C_FINISHED, C_IGNORED, C_INFEASIBLE,
                                        C_MIGRATIONS, C_N_FIN, C_N_PEND, C_NEW_TASKS, C_NEXT, C_PEND_POS,
                                        C_PLACEMENTS, C_READY, C_T, DONE, EMPTY, EPS, P_ALPHA,
                                        P_ARRIVAL_STD, P_BETA, P_CHUNK, P_COMPRESSION, P_COMPUTE, P_DT,
                                        P_FULL_BATCH, P_GAUSS, P_HIDE, P_MAX_CONTAINERS, P_MAX_ENERGY,
                                        P_MIGRATION, P_MIN_SLA, P_MOBILITY, P_NOISE, P_NSPLITS, P_OVERHEAD,
                                        P_PLACEHOLDER, P_RATE, P_RECOVERY_RATE, P_RNORM, P_SWAP, P_FAULT_RATE, READY,
                                        RUNNING)
from splitplace_env.core.masks import action_masks
from splitplace_env.core.metrics import eq8
from splitplace_env.core.rng import normal, poisson, uniform

#: Positions in the arena table of the blocks that hold an episode's state (zeroed
#: by ``clear_state``), and of the counters.
_STATE_F = tuple(ARENA_FLOAT.index(n) for n in ("host_state", "task_f", "frag_f", "stats"))
_STATE_I = tuple(len(ARENA_FLOAT) + ARENA_INT.index(n) for n in ("counters", "task_i", "frag_i", "scratch_i"))
_COUNTERS = len(ARENA_FLOAT) + ARENA_INT.index("counters")

@kernel
def apply_splits(action, params, split_i, split_f, task_b, task_i, frag_i, frag_f):
    """Phase 1: splits every new task; returns the ignored split entries (a split for
    a slot without a new task, other than the no-op 0, or an unknown split, which
    takes split 0)."""
    T = task_b.shape[1]
    F = frag_i.shape[1] // T
    n_splits = int(params[P_NSPLITS])
    task_new = task_b[1]
    ignored = 0
    for k in range(T):
        s = action[k]
        if not task_new[k]:
            ignored += s != 0
            continue
        if s < 0 or s >= n_splits:
            ignored += 1
            s = 0
        a, b = task_i[1, k], task_i[2, k]
        n = split_i[0, a, s]
        for j in range(F):
            i = k * F + j
            frag_i[1, i] = -1
            frag_i[2, i] = 0
            for r in range(frag_f.shape[0]):
                frag_f[r, i] = 0.0
            if j >= n:
                frag_i[0, i] = EMPTY
                continue
            ram, disk, in_mb, out_mb, work = fragment_demand(a, s, j, b, split_f, params)
            frag_i[0, i] = BLOCKED if (split_i[1, a, s] and j > 0) else READY
            frag_f[0, i] = work
            frag_f[1, i] = work
            frag_f[4, i] = ram
            frag_f[5, i] = disk
            frag_f[6, i] = in_mb
            frag_f[7, i] = out_mb
            frag_f[9, i] = ram
        task_i[3, k] = s
        task_i[4, k] = n
        task_new[k] = False
    return ignored


@kernel
def start_cost_s(a, s, j, in_mb, split_f, params):
    """Fixed cost (s) of starting fragment j's container: its checkpoint load and the
    decode of its whole input (``data/container_costs.json``; zero when
    ``container_costs`` is off)."""
    raw_in = in_mb / params[P_COMPRESSION]
    return split_f[5, a, s, j] + split_f[7, a, s, j] + split_f[6, a, s, j] * raw_in


@kernel
def apply_placements(action, t, params, split_f, host_spec, host_state, task_i, task_f, frag_i, frag_f):
    """Phase 2: allocates ready fragments and migrates running ones.

    Host entries are taken in fragment-slot order; each is admitted if the RAM the
    fragment books and its disk fit what its host has left at that moment (RAM up to
    RAM + ``swap_mb``: the authors' sequential admission) and, for a new container,
    if fewer than ``max_containers`` run in the cluster; else it is not carried out
    and the fragment waits. A fragment that starts moves its input from the broker,
    loads its checkpoint and decodes its input first; a migration (unless
    ``migration`` is off) first moves the booked memory image old host -> broker ->
    new host, and the old host's memory stays held until the interval's placements
    are decided (the ``released_*`` rows of ``host_state``). Returns (placements,
    migrations, infeasible, ignored).
    """
    T = task_f.shape[1]
    NF = frag_i.shape[1]
    F = NF // T
    H = host_spec.shape[1]
    ram_mb, disk_mb = host_spec[0], host_spec[1]
    ram_used, disk_used, bandwidth, latency = host_state[0], host_state[1], host_state[2], host_state[3]
    state, host = frag_i[0], frag_i[1]
    released_ram, released_disk = host_state[9], host_state[10]
    released_ram[:] = 0.0
    released_disk[:] = 0.0
    swap = params[P_SWAP]
    cap = int(params[P_MAX_CONTAINERS])
    running = 0
    if cap > 0:
        for i in range(NF):
            running += state[i] == RUNNING
    placed = migrated = infeasible = ignored = 0
    for i in range(NF):
        v = action[T + i]
        if v == 0:
            continue
        h = v - 1
        st = state[i]
        if not ((st == READY or st == RUNNING) and 0 <= h < H):
            ignored += 1
            continue
        old = host[i]
        if st == RUNNING and old == h:  # sent to its own host: a no-op
            continue
        if st == RUNNING and params[P_MIGRATION] < 0.5:
            ignored += 1
            continue
        ram = frag_f[4, i] if st == RUNNING else booked_ram(frag_f[9, i], frag_i[2, i], params)
        disk = frag_f[5, i]
        if (ram_used[h] + ram > ram_mb[h] + swap + EPS or disk_used[h] + disk > disk_mb[h] + EPS
                or (st == READY and cap > 0 and running + placed >= cap) or host_state[12, h] > 0.5):
            infeasible += 1
            continue
        ram_used[h] += ram
        disk_used[h] += disk
        if st == RUNNING:
            released_ram[old] += ram
            released_disk[old] += disk
            frag_f[2, i] += ram / bandwidth[old] + latency[old] + ram / bandwidth[h] + latency[h]
            migrated += 1
        else:
            k = i // F
            state[i] = RUNNING
            frag_f[4, i] = ram
            frag_f[2, i] = (frag_f[6, i] / bandwidth[h] + latency[h]
                            + start_cost_s(task_i[1, k], task_i[3, k], i - k * F, frag_f[6, i], split_f, params))
            if math.isnan(task_f[2, k]):
                task_f[2, k] = t
            placed += 1
        host[i] = h
        frag_f[3, i] = frag_f[7, i] / bandwidth[h] + latency[h]
    for h in range(H):
        ram_used[h] = max(ram_used[h] - released_ram[h], 0.0)
        disk_used[h] = max(disk_used[h] - released_disk[h], 0.0)
    return placed, migrated, infeasible, ignored


@kernel
def resident_mb(i, params, frag_f):
    """Memory a running fragment holds now: its peak less the outputs it has not
    produced yet ("full_batch": outputs accumulate with progress), or its constant
    streaming footprint."""
    if params[P_FULL_BATCH] < 0.5:
        return frag_f[9, i]
    todo = frag_f[0, i] / max(frag_f[1, i], 1e-12)
    return frag_f[9, i] - todo * frag_f[7, i] / params[P_COMPRESSION]


@kernel
def run_fragments(t, params, host_spec, host_state, frag_i, frag_f, host_out, n_on):
    """Phase 3: every running fragment spends the interval on its pending transfer
    (input, start-up or migration), then its compute, then its output transfer.
    Returns the MB paged to and from swap.

    A fragment uses one core; a host with more fragments than cores shares them
    equally (processor sharing, shares fixed at the interval's start as in COSCO).
    **Swap**: when the running fragments of a host hold more memory than its RAM
    (resident at the interval's start), the excess share x = excess / resident of
    every fragment's streamed data lives in network-attached swap. Computing a
    share dp of its work touches dp of its input and produces dp of its output, so x
    of those bytes are paged out and in again (2 x (in + out) dp MB, decoded sizes)
    over the host's link, which the host's n running fragments share (bandwidth /
    n each); the fragment advances only as its pages move (compute and paging in
    series). A fragment's finish time is ``t`` plus the share of the interval it used.
    Writes the hosts' CPU and network utilisation into ``host_out``.
    """
    H = host_spec.shape[1]
    dt = params[P_DT]
    cores, speed = host_spec[2], host_spec[3]
    bandwidth, resident = host_state[2], host_state[11]
    state, host = frag_i[0], frag_i[1]
    util, net = host_out[0], host_out[1]
    n_on[:] = 0
    resident[:] = 0.0
    for i in range(state.shape[0]):
        if state[i] == RUNNING:
            n_on[host[i]] += 1
            resident[host[i]] += resident_mb(i, params, frag_f)
    util[:] = 0.0
    net[:] = 0.0
    paged = 0.0
    for i in range(state.shape[0]):
        if state[i] != RUNNING:
            continue
        h = host[i]
        share = min(1.0, cores[h] / n_on[h])        # cores per fragment
        rate = share * speed[h]                     # core-seconds of work per second
        excess = resident[h] - host_spec[0, h]
        page_s = 0.0                                # paging seconds per second of work
        page_mb = 0.0                               # MB paged per second of work
        if excess > 0.0:
            streamed = (frag_f[6, i] + frag_f[7, i]) / params[P_COMPRESSION]
            page_mb = 2.0 * (excess / resident[h]) * streamed / max(frag_f[1, i], 1e-12)
            page_s = page_mb * n_on[h] / bandwidth[h]
        budget = dt
        d = min(budget, frag_f[2, i])               # pending transfer first
        frag_f[2, i] -= d
        budget -= d
        per_work = 1.0 / rate + page_s              # wall seconds per second of work
        done = min(frag_f[0, i], budget / per_work)
        frag_f[0, i] = max(frag_f[0, i] - done, 0.0)
        c = done / rate                             # CPU time
        p = done * page_s                           # paging time
        budget -= c + p
        paged += done * page_mb
        o = 0.0
        if frag_f[0, i] <= EPS:                     # then the output, once computed
            o = min(budget, frag_f[3, i])
            frag_f[3, i] -= o
            budget -= o
        frag_f[8, i] = t + (dt - budget) / dt
        util[h] += c * share
        net[h] += d + p + o
    for h in range(H):
        util[h] = min(util[h] / (cores[h] * dt), 1.0)
        net[h] = min(net[h] / dt, 1.0)
    return paged


@kernel
def measure_new(params, host_spec, host_state, frag_i, frag_f):
    """After a fragment's first interval its demand is known (the authors measure it
    with docker stats): its placeholder booking becomes its peak. If that no longer
    fits its host's RAM + swap the container is killed (out of memory): it waits
    again from the start, its memory freed, its demand now known. Returns the
    containers killed."""
    ram_mb, ram_used, disk_used = host_spec[0], host_state[0], host_state[1]
    killed = 0
    for i in range(frag_i.shape[1]):
        if frag_i[0, i] != RUNNING or frag_i[2, i]:
            continue
        frag_i[2, i] = 1
        h = frag_i[1, i]
        done = frag_f[2, i] <= EPS and frag_f[0, i] <= EPS and frag_f[3, i] <= EPS
        if done or frag_f[4, i] == frag_f[9, i]:
            continue
        ram_used[h] += frag_f[9, i] - frag_f[4, i]
        frag_f[4, i] = frag_f[9, i]
        if ram_used[h] > ram_mb[h] + params[P_SWAP] + EPS:
            ram_used[h] = max(ram_used[h] - frag_f[4, i], 0.0)
            disk_used[h] = max(disk_used[h] - frag_f[5, i], 0.0)
            frag_i[0, i] = READY
            frag_i[1, i] = -1
            frag_f[0, i] = frag_f[1, i]
            frag_f[2, i] = 0.0
            frag_f[3, i] = 0.0
            killed += 1
    return killed


@kernel
def complete(counters, split_i, host_state, task_b, task_i, task_f, frag_i, frag_f, fin_i, fin_f):
    """Phase 4: fragments that finished free their resources; a chain's next
    fragment becomes ready (for the next interval); a task whose fragments are all
    done leaves, its record appended to the finished log at ``counters[C_FIN_POS]``.
    Returns the number of tasks that left."""
    T = task_b.shape[1]
    NF = frag_i.shape[1]
    F = NF // T
    state, host = frag_i[0], frag_i[1]
    ram_used, disk_used = host_state[0], host_state[1]
    task_active = task_b[0]
    for i in range(NF):
        if state[i] != RUNNING or frag_f[2, i] > EPS or frag_f[0, i] > EPS or frag_f[3, i] > EPS:
            continue
        h = host[i]
        ram_used[h] = max(ram_used[h] - frag_f[4, i], 0.0)
        disk_used[h] = max(disk_used[h] - frag_f[5, i], 0.0)
        state[i] = DONE
        k = i // F
        # Earlier fragments finished in earlier intervals (finish <= t): the latest is the max.
        task_f[3, k] = max(task_f[3, k], frag_f[8, i])
        task_i[4, k] -= 1
    for i in range(NF):  # after every finish: a successor that finished this interval stays READY
        if state[i] == DONE and (i + 1) % F != 0 and state[i + 1] == BLOCKED:
            state[i + 1] = READY
    pos = counters[C_FIN_POS]
    n = 0
    for k in range(T):
        if not (task_active[k] and task_i[3, k] >= 0 and task_i[4, k] == 0):
            continue
        s = task_i[3, k]
        response = task_f[3, k] - task_f[1, k]
        c = pos + n
        fin_i[0, c] = task_i[0, k]
        fin_i[1, c] = task_i[1, k]
        fin_i[2, c] = s
        fin_i[3, c] = task_i[2, k]
        fin_f[0, c] = response
        fin_f[1, c] = task_f[2, k] - task_f[1, k]
        fin_f[2, c] = task_f[0, k]
        fin_f[3, c] = 1.0 if response <= task_f[0, k] else 0.0
        fin_f[4, c] = task_f[4 + split_i[2, task_i[1, k], s], k]  # the accuracy of the split's network
        n += 1
        task_active[k] = False       # free the slot: its fragment slots read as empty
        task_i[0, k] = -1
        task_i[3, k] = -1
        for i in range(k * F, (k + 1) * F):
            state[i] = EMPTY
            host[i] = -1
            for r in range(frag_f.shape[0]):
                frag_f[r, i] = 0.0
    counters[C_FIN_POS] = pos + n
    counters[C_N_FIN] = n
    counters[C_FINISHED] += n
    return n


@kernel
def admit(counters, task_b, task_i, task_f, ring_i, ring_f, pend_i, pend_f):
    """Moves backlog tasks, oldest first, into free task slots in slot order; each
    admitted task awaits its split and is appended to the new-task log at
    ``counters[C_PEND_POS]``."""
    cap = ring_i.shape[1]
    task_active, task_new = task_b[0], task_b[1]
    pos = counters[C_PEND_POS]
    m = 0
    for k in range(task_active.shape[0]):
        if counters[C_ADMITTED] == counters[C_ARRIVED]:
            break
        if task_active[k]:
            continue
        tid = counters[C_ADMITTED]
        r = tid % cap
        task_active[k] = True
        task_new[k] = True
        task_i[0, k] = tid
        task_i[1, k] = ring_i[0, r]
        task_i[2, k] = ring_i[1, r]
        task_i[3, k] = -1
        task_i[4, k] = 0
        task_f[0, k] = ring_f[0, r]
        task_f[1, k] = ring_f[1, r]
        task_f[2, k] = math.nan
        task_f[3, k] = 0.0
        for j in range(ring_f.shape[0] - 2):  # accuracy of each network
            task_f[4 + j, k] = ring_f[2 + j, r]
        c = pos + m
        pend_i[0, c] = k
        pend_i[1, c] = tid
        pend_i[2, c] = ring_i[0, r]
        pend_i[3, c] = ring_i[1, r]
        pend_f[0, c] = ring_f[0, r]
        m += 1
        counters[C_ADMITTED] += 1
    counters[C_PEND_POS] = pos + m
    counters[C_N_PEND] = m


@kernel
def arrival_count(rng_state, params, at_least):
    """Tasks arriving in one interval: Poisson(``arrival_rate``), or the authors'
    max(m, int(gauss(arrival_rate, arrival_std))) with m = ``at_least`` (int()
    truncates towards zero, as in Python)."""
    if params[P_GAUSS] > 0.5:
        x = params[P_RATE] + params[P_ARRIVAL_STD] * normal(rng_state, workload.WORKLOAD_STREAM)
        return max(at_least, int(x))
    return poisson(rng_state, workload.WORKLOAD_STREAM, params[P_RATE])


@kernel
def arrivals_and_links(counters, params, rng_state, host_spec, host_state, trace, wl_i, wl_f, ring_i, ring_f,
                       pend_i, pend_f, task_b, task_i, task_f, frag_i):
    """Phase 5, at the start of interval ``t = counters[C_T]``: the hosts' positions
    and links, then the tasks that arrived during interval t - 1 (already counted in
    ``counters[C_NEXT]``) join the backlog, the next interval's count is drawn, and
    the backlog fills free slots. Returns the tasks that arrived."""
    t = counters[C_T]
    mode = int(params[P_MOBILITY])
    if t > 0 or mode == mobility.TRACE:
        mobility.move_hosts(t, mode, params[P_DT], rng_state, workload.MOBILITY_STREAM, host_spec[4],
                            host_state[4], host_state[5], host_state[6], host_state[7], host_state[8], trace)
    for h in range(host_spec.shape[1]):
        host_state[2, h], host_state[3, h] = network.link(host_state[4, h], host_state[5, h], host_spec[4, h] > 0.5)
    n = counters[C_NEXT]
    workload.arrive(n, counters[C_ARRIVED], float(t - 1), int(params[P_MIN_SLA]), params[P_NOISE] > 0.5,
                    rng_state, wl_i, wl_f, ring_i, ring_f)
    counters[C_ARRIVED] += n
    counters[C_NEXT] = arrival_count(rng_state, params, 0)
    admit(counters, task_b, task_i, task_f, ring_i, ring_f, pend_i, pend_f)
    return n


@kernel
def host_faults(t, params, rng_state, host_state, faults, frag_i, frag_f, host_up):
    """Phase 5a, at the start of interval ``t``: hosts fail and recover; returns the
    fragments that lost their progress.

    Two sources, either or both (``SplitPlaceConfig`` ``fault_*`` fields): a random
    process in which every up host fails with probability ``fault_rate`` and every
    failed host recovers with probability ``fault_recovery_rate`` per interval
    (geometric up and down times, drawn from the fault stream alone, so faults never
    change the tasks), and a trace of (interval, host, duration) events that hold a
    host down for intervals t0 .. t0 + duration - 1. A host is down while either
    holds it. Every fragment running on a host that is down loses its progress: it
    waits again (READY, no host, all its work and its start-up costs ahead, its
    container to be measured anew) and its memory and disk are freed, so no task is
    ever lost. A down host takes no placement (masks and admission refuse it) and
    still draws idle power: a rebooting Pi, or a mobile host out of the broker's
    coverage, is powered but unusable. Writes ``host_up`` (1.0 up, 0.0 down).
    """
    H = host_state.shape[1]
    down, failed, until = host_state[12], host_state[13], host_state[14]
    rate, recovery = params[P_FAULT_RATE], params[P_RECOVERY_RATE]
    for e in range(faults.shape[1]):
        if faults[0, e] == t:
            h = int(faults[1, e])
            until[h] = max(until[h], t + faults[2, e])
    any_down = False
    for h in range(H):
        if rate > 0.0 or failed[h] > 0.5:  # no draws at all while faults are off
            u = uniform(rng_state, workload.FAULT_STREAM)
            if failed[h] > 0.5:
                if u < recovery:
                    failed[h] = 0.0
            elif u < rate:
                failed[h] = 1.0
        down[h] = 1.0 if (failed[h] > 0.5 or t < until[h]) else 0.0
        host_up[h] = 1.0 - down[h]
        any_down = any_down or down[h] > 0.5
    if not any_down:
        return 0
    lost = 0
    state, host = frag_i[0], frag_i[1]
    for i in range(state.shape[0]):
        if state[i] != RUNNING or down[host[i]] < 0.5:
            continue
        state[i] = READY
        host[i] = -1
        frag_i[2, i] = 0
        frag_f[0, i] = frag_f[1, i]
        frag_f[2, i] = 0.0
        frag_f[3, i] = 0.0
        frag_f[8, i] = 0.0
        lost += 1
    for h in range(H):
        if down[h] > 0.5:  # everything on it was just evicted
            host_state[0, h] = 0.0
            host_state[1, h] = 0.0
    return lost


@inline_kernel
def _block(arena, table, k):
    """Block ``k`` of an arena as a flat view (``layout.arena_table``)."""
    return arena[table[k, 0]:table[k, 0] + table[k, 1]]


# Views of the arenas exist only inside a compiled call (``jit``: no NRT), so these
# helpers and ``unpack`` are inlined into the kernels that call them.
@inline_kernel
def _block2(arena, table, k):
    """Block ``k`` as a C-ordered (d0, d1) view."""
    return _block(arena, table, k).reshape((table[k, 2], table[k, 3]))


@inline_kernel
def _block3(arena, table, k):
    """Block ``k`` as a C-ordered (d0, d1, d2) view."""
    return _block(arena, table, k).reshape((table[k, 2], table[k, 3], table[k, 4]))


@inline_kernel
def _block4(arena, table, k):
    """Block ``k`` as a C-ordered (d0, d1, d2, d3) view."""
    return _block(arena, table, k).reshape((table[k, 2], table[k, 3], table[k, 4], table[k, 5]))


@inline_kernel
def unpack(arena_f, arena_i, table):
    """The fixed-size blocks of the two arenas with their shapes, in
    ``layout.ARENA_FLOAT`` then ``layout.ARENA_INT`` order except the fault trace,
    added last, which comes last (so the positions of the others stayed put).
    Compiled callers only (``jit``); Python has ``EdgeEngine``'s named views of the
    same memory."""
    t = table
    params = _block(arena_f, t, 0)
    split_f = _block4(arena_f, t, 1)
    host_spec = _block2(arena_f, t, 2)
    trace = _block3(arena_f, t, 3)
    wl_f = _block2(arena_f, t, 4)
    host_state = _block2(arena_f, t, 5)
    task_f = _block2(arena_f, t, 6)
    frag_f = _block2(arena_f, t, 7)
    stats = _block(arena_f, t, 8)
    power = _block2(arena_f, t, 9)
    faults = _block2(arena_f, t, 10)
    counters = _block(arena_i, t, 11)
    split_i = _block3(arena_i, t, 12)
    wl_i = _block2(arena_i, t, 13)
    task_i = _block2(arena_i, t, 14)
    frag_i = _block2(arena_i, t, 15)
    scratch_i = _block(arena_i, t, 16)
    return (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
            wl_i, task_i, frag_i, scratch_i, faults)


@kernel
def interval(action, blocks, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f, pend_i, pend_f):
    """One interval (phases 1-5) of one environment; returns its energy (J).

    ``action`` is the flat action (T split entries, then 5T host entries);
    ``blocks`` the environment's arena blocks (``unpack``). Writes ``stats``
    (rows ``STATS``), the interval's counts (the ``STEP_COUNTS`` rows of
    ``counters``), the hosts' outputs (``host_out``, rows ``HOST_OUT``) and the
    finished and new-task logs.
    """
    (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
     wl_i, task_i, frag_i, scratch_i, faults) = blocks
    t = counters[C_T]
    dt = params[P_DT]
    ignored = apply_splits(action, params, split_i, split_f, task_b, task_i, frag_i, frag_f)
    placed, migrated, infeasible, ign = apply_placements(action, float(t), params, split_f, host_spec,
                                                         host_state, task_i, task_f, frag_i, frag_f)
    paged = run_fragments(float(t), params, host_spec, host_state, frag_i, frag_f, host_out, scratch_i)
    killed = measure_new(params, host_spec, host_state, frag_i, frag_f)
    n_fin = complete(counters, split_i, host_state, task_b, task_i, task_f, frag_i, frag_f, fin_i, fin_f)
    energy = 0.0
    for h in range(host_spec.shape[1]):
        host_out[2, h] = power_at(host_out[0, h], power[h])
        energy += host_out[2, h] * dt
    lo = counters[C_FIN_POS] - n_fin
    reward, qos, aec, art = eq8(fin_f[3, lo:lo + n_fin], fin_f[4, lo:lo + n_fin], fin_f[0, lo:lo + n_fin],
                                energy, params[P_MAX_ENERGY], params[P_ALPHA], params[P_BETA], params[P_RNORM])
    counters[C_T] = t + 1
    lost = host_faults(t + 1, params, rng_state, host_state, faults, frag_i, frag_f, host_out[3])
    n_new = arrivals_and_links(counters, params, rng_state, host_spec, host_state, trace, wl_i, wl_f, ring_i,
                               ring_f, pend_i, pend_f, task_b, task_i, task_f, frag_i)
    counters[C_PLACEMENTS], counters[C_MIGRATIONS], counters[C_INFEASIBLE] = placed, migrated, infeasible
    counters[C_IGNORED], counters[C_NEW_TASKS], counters[C_EVICTED] = ignored + ign, n_new, killed
    counters[C_FAULT_RESTARTS] = lost
    stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[6] = n_fin, energy, reward, qos, aec, art, paged
    return energy


@kernel
def observe_into(blocks, task_b, host_out, energy, obs_hosts, obs_tasks, obs_frags, obs_globals):
    """Writes the observation of one environment's state (``observation.observe``)."""
    (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
     wl_i, task_i, frag_i, scratch_i, faults) = blocks
    observation.observe(counters, params, energy, split_i, host_spec, host_state, host_out, task_b, task_i,
                        task_f, frag_i, frag_f, scratch_i, obs_hosts, obs_tasks, obs_frags, obs_globals)


@kernel
def step(action, arena_f, arena_i, table, task_b, rng_state, host_chunk, host_row, ring_i, ring_f, fin_i, fin_f,
         pend_i, pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals):
    """One interval (``interval``) and the observation of the next, written into
    the four observation arrays, in one call; returns the ``layout.RESULT`` tuple
    (plain ints and floats).

    First it checks that the step's output has room: a row left in the host-output
    chunk (``host_chunk``, the last row used in ``host_row[0]``), a step's worth of
    columns in both record logs and the backlog ring's room for the counted
    arrivals. If any is missing nothing is stepped and ``RESULT[0]`` is true; the
    caller makes room and calls again. (Checked here rather than in Python: the
    step then costs one call and reads its counters from the tuple it returns.
    Arrays come from the caller: a kernel compiled without NRT cannot allocate.)
    """
    blocks = unpack(arena_f, arena_i, table)
    counters, stats = blocks[10], blocks[8]
    most = task_b.shape[1]  # records one step can add to either log
    row = host_row[0] + 1
    fits = (row < host_chunk.shape[0] and counters[C_FIN_POS] + most <= fin_i.shape[1]
            and counters[C_PEND_POS] + most <= pend_i.shape[1] and ring_room(arena_i, table, ring_i.shape[1]))
    if fits:
        host_row[0] = row
        host_out = host_chunk[row]
        energy = interval(action, blocks, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f, pend_i, pend_f)
        observe_into(blocks, task_b, host_out, energy, obs_hosts, obs_tasks, obs_frags, obs_globals)
    c, s = counters, stats
    return (not fits, host_row[0], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12],
            c[13], c[14], c[15], c[16], s[0], s[1], s[2], s[3], s[4], s[5], s[6])


@kernel
def ring_room(arena_i, table, cap):
    """Whether the backlog ring (``cap`` columns) holds the waiting tasks and the
    arrivals already counted for the next interval."""
    counters = _block(arena_i, table, _COUNTERS)
    return counters[C_ARRIVED] + counters[C_NEXT] - counters[C_ADMITTED] <= cap


@kernel
def step_batch(actions, arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f, pend_i,
               pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals, skip, start, stop):
    """Steps environments ``start..stop-1`` of a batch (row i of every argument is
    environment i), each with its own state, writing its observation into row i.

    Environments with ``skip[i]`` are left alone (they are being reset). Each
    environment's logs hold only this step's records (written from column 0).
    Returns ``stop``, or the first environment whose backlog ring must grow before
    it can step (the caller grows it and calls again from there). Environments
    share nothing, so disjoint ranges may run in parallel threads (the GIL is
    released).
    """
    cap = ring_i.shape[2]
    for i in range(start, stop):
        if skip[i]:
            continue
        if not ring_room(arena_i[i], table, cap):
            return i
        step_env(i, actions, arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f,
                 pend_i, pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals)
    return stop


@kernel
def step_env(i, actions, arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f, pend_i,
             pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals):
    """Steps environment ``i`` of a batch (row i of every argument), its logs written
    from column 0, and writes its observation into row i."""
    blocks = unpack(arena_f[i], arena_i[i], table)
    counters = blocks[10]
    counters[C_FIN_POS] = 0
    counters[C_PEND_POS] = 0
    energy = interval(actions[i], blocks, task_b[i], rng_state[i], host_out[i], ring_i[i], ring_f[i], fin_i[i],
                      fin_f[i], pend_i[i], pend_f[i])
    observe_into(blocks, task_b[i], host_out[i], energy, obs_hosts[i], obs_tasks[i], obs_frags[i], obs_globals[i])


@kernel
def step_claimed(actions, arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f,
                 pend_i, pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals, skip, next_env, deferred, n_deferred):
    """``step_batch`` for several threads at once: each takes the next environment from
    the shared counter ``next_env[0]`` (``atomic.claim``) until all are taken. An
    environment whose backlog ring must grow is left for the caller: its index goes
    to ``deferred[claim(n_deferred)]``."""
    cap = ring_i.shape[2]
    n = actions.shape[0]
    while True:
        i = claim(next_env)
        if i >= n:
            return 0
        if skip[i]:
            continue
        if not ring_room(arena_i[i], table, cap):
            deferred[claim(n_deferred)] = i
            continue
        step_env(i, actions, arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, fin_i, fin_f,
                 pend_i, pend_f, obs_hosts, obs_tasks, obs_frags, obs_globals)


@kernel
def clear_state(arena_f, arena_i, table, task_b, host_out, ring_i, ring_f):
    """Zeroes an episode's state (the arenas' state blocks, the task flags, the
    backlog ring and the host outputs) and writes its sentinels: no task id, no
    split, no start time, no host; hosts draw idle power."""
    for k in _STATE_F:
        _block(arena_f, table, k)[:] = 0.0
    for k in _STATE_I:
        _block(arena_i, table, k)[:] = 0
    task_b[:] = False
    ring_i[:] = 0
    ring_f[:] = 0.0
    (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
     wl_i, task_i, frag_i, scratch_i, faults) = unpack(arena_f, arena_i, table)
    task_i[0] = -1
    task_i[3] = -1
    task_f[2] = math.nan
    frag_i[1] = -1
    host_out[:2] = 0.0
    host_out[3] = 1.0
    for h in range(power.shape[0]):
        host_out[2, h] = power[h, 0]


@kernel
def first_arrivals(arena_f, arena_i, table, rng_state):
    """Starts an episode on cleared state: every host's start position and the
    count of the first batch of tasks (arrived during interval -1, at least one).
    The caller then makes room in the backlog ring and calls ``begin``."""
    (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
     wl_i, task_i, frag_i, scratch_i, faults) = unpack(arena_f, arena_i, table)
    mobility.place_hosts(int(params[P_MOBILITY]), rng_state, workload.MOBILITY_STREAM, host_spec[4],
                         host_state[4], host_state[5], host_state[6], host_state[7], host_state[8])
    counters[C_NEXT] = arrival_count(rng_state, params, 1)


@kernel
def begin(arena_f, arena_i, table, task_b, rng_state, host_out, ring_i, ring_f, pend_i, pend_f, idle_energy,
          obs_hosts, obs_tasks, obs_frags, obs_globals):
    """After ``first_arrivals``: the first tasks join the backlog and take task
    slots; writes the first observation."""
    (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
     wl_i, task_i, frag_i, scratch_i, faults) = unpack(arena_f, arena_i, table)
    host_faults(counters[C_T], params, rng_state, host_state, faults, frag_i, frag_f, host_out[3])
    arrivals_and_links(counters, params, rng_state, host_spec, host_state, trace, wl_i, wl_f, ring_i, ring_f,
                       pend_i, pend_f, task_b, task_i, task_f, frag_i)
    observe_into(unpack(arena_f, arena_i, table), task_b, host_out, idle_energy, obs_hosts, obs_tasks, obs_frags,
                 obs_globals)


@kernel
def masks_batch(out, arena_f, arena_i, table, task_b):
    """Fills row i of ``out`` (N, mask size) with environment i's factored action
    mask (``masks.action_masks``)."""
    for i in range(out.shape[0]):
        (params, split_f, host_spec, trace, wl_f, host_state, task_f, frag_f, stats, power, counters, split_i,
         wl_i, task_i, frag_i, scratch_i, faults) = unpack(arena_f[i], arena_i[i], table)
        action_masks(out[i], params, split_i, split_f, host_spec, host_state, task_b[i], task_i, frag_i, frag_f)
