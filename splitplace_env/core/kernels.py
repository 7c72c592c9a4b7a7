"""Compiled (numba) kernels of the engine's interval and of the observation.

``EdgeEngine`` keeps a plain-numpy implementation of every phase: it is the
readable reference and the fallback where numba is not installed. These kernels do
the same arithmetic in scalar loops compiled once (``cache=True``) and called once
per interval, which removes the two hundred small numpy calls a vectorised step
costs at the paper's scale (16 hosts, 64 task slots). Each kernel mirrors the
reference's floating-point operations in the same order -- per-host sums are
accumulated into a zeroed array before they are added, as ``np.bincount`` does --
so both backends produce bit-identical episodes (``tests/test_backends.py``).

Only numba-supported numpy is used; the kernels hold no state and draw no random
numbers (all randomness is pre-drawn by the workload and mobility models).
"""

from __future__ import annotations

import numpy as np

try:  # numba is a dependency, but the engine must still run where it has no wheel yet
    import numba

    AVAILABLE = True
    _jit = numba.njit(cache=True, nogil=True)
except ImportError:  # pragma: no cover - exercised only on machines without numba
    numba = None
    AVAILABLE = False

    def _jit(fn):
        return fn

# Fragment states and the engine's tolerance (the same values as engine.py's).
EMPTY, BLOCKED, READY, RUNNING, DONE = 0, 1, 2, 3, 4
EPS = 1e-9

# Rows of the engine's packed state blocks (``EdgeEngine`` names each row as a view).
TASK_BOOL = ("task_active", "task_new")
TASK_INT = ("task_id", "task_app", "task_batch", "task_split", "task_left")
TASK_FLOAT = ("task_sla", "task_arrival", "task_start", "task_finish")
FRAG_FLOAT = ("frag_work", "frag_work_total", "frag_delay", "frag_out_s", "frag_ram", "frag_disk",
              "frag_in_mb", "frag_out_mb", "frag_finish")
HOST_USED = ("ram_used", "disk_used")
HOST_OUT = ("host_util", "host_net_util", "host_power_w")
SPLIT_FLOAT = ("split_work", "split_weights", "split_in", "split_out", "split_peak")
HOST_STATIC = ("ram_mb", "disk_mb", "cores", "speed")
OBS_PARAMS = ("inv_response", "inv_batch", "inv_work", "inv_ram", "inv_disk", "inv_data", "inv_bandwidth",
              "inv_latency", "inv_power", "inv_hosts")
OBS_HOST_CONST = ("ram_mb", "inv_ram_cap", "inv_disk_cap", "ram_cap_n", "mobile", "inv_slots")
PARAMS = ("n_splits", "interval_s", "compute_scale", "transfer_compression", "runtime_overhead_mb",
          "stream_chunk_samples", "max_energy_j", "alpha", "beta", "response_norm")


@_jit
def pairwise_sum(a, n):
    """Sum of ``a[:n]`` rounded exactly as ``np.sum`` rounds it (numpy's pairwise
    summation: eight interleaved partial sums per block of up to 128 values), so
    sums taken here match the numpy reference bit for bit."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
        r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
        i = 8
        while i < n - (n % 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, n2) + pairwise_sum(a[n2:], n - n2)


@_jit
def interp(x, xp, fp):
    """``np.interp(x, xp, fp)`` for one value, computed as numpy computes it (numba's
    own ``np.interp`` allocates on every call)."""
    n = xp.shape[0]
    if x < xp[0]:
        return fp[0]
    if x >= xp[n - 1]:
        return fp[n - 1]
    j = 0
    while xp[j + 1] <= x:  # the last grid point at or below x
        j += 1
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[j]


@_jit
def sum_per_host(slots, n, hosts, by_slot, frag_ram, frag_disk, sum_ram, sum_disk):
    """RAM and disk of the fragments ``slots[:n]`` summed per host, in slot-list order
    as ``np.bincount`` sums them. The host of ``slots[c]`` is ``hosts[slots[c]]`` if
    ``by_slot`` (``hosts`` is the fragments' host array), else ``hosts[c]``."""
    sum_ram[:] = 0.0
    sum_disk[:] = 0.0
    for c in range(n):
        i = slots[c]
        h = hosts[i] if by_slot else hosts[c]
        sum_ram[h] += frag_ram[i]
        sum_disk[h] += frag_disk[i]


@_jit
def fragment_demand(a, s, j, b, split_f, compute_scale, transfer_compression, runtime_overhead_mb,
                    stream_chunk):
    """(RAM, disk, input MB, output MB, single-core work s) of fragment j of application
    a under split s at batch b, as ``EdgeEngine.demands`` computes them."""
    w = split_f[1, a, s, j]
    comp = b * transfer_compression
    in_mb = split_f[2, a, s, j] * comp
    out_mb = split_f[3, a, s, j] * comp
    ram = runtime_overhead_mb + w + min(b, stream_chunk) * split_f[4, a, s, j]
    return ram, w + in_mb + out_mb, in_mb, out_mb, split_f[0, a, s, j] * (b * compute_scale)


@_jit
def apply_splits(splits, n_splits, task_new, task_app, task_batch, task_split, task_left,
                 split_nfrag, split_chain, split_f, compute_scale, transfer_compression,
                 runtime_overhead_mb, stream_chunk, frag_state, frag_host, frag_work, frag_work_total,
                 frag_delay, frag_out_s, frag_ram, frag_disk, frag_in_mb, frag_out_mb):
    """Splits every new task (phase 1); returns the number of ignored split entries."""
    F = split_f.shape[3]
    ignored = 0
    for k in range(task_new.shape[0]):
        s = splits[k]
        if not task_new[k]:
            if s != 0:  # 0 is the no-op of a slot without a new task
                ignored += 1
            continue
        if s < 0 or s >= n_splits:
            ignored += 1
            s = 0
        a = task_app[k]
        n = split_nfrag[a, s]
        chain = split_chain[a, s]
        for j in range(F):
            i = k * F + j
            ram, disk, in_mb, out_mb, work = fragment_demand(a, s, j, task_batch[k], split_f, compute_scale,
                                                             transfer_compression, runtime_overhead_mb,
                                                             stream_chunk)
            if j < n:
                frag_state[i] = BLOCKED if (chain and j > 0) else READY
                frag_ram[i] = ram
                frag_disk[i] = disk
            else:
                frag_state[i] = EMPTY
                frag_ram[i] = 0.0
                frag_disk[i] = 0.0
            frag_host[i] = -1
            frag_work[i] = work
            frag_work_total[i] = work
            frag_in_mb[i] = in_mb
            frag_out_mb[i] = out_mb
            frag_delay[i] = 0.0
            frag_out_s[i] = 0.0
        task_split[k] = s
        task_left[k] = n
        task_new[k] = False
    return ignored


@_jit
def apply_placements(hosts, t, ram_mb, disk_mb, ram_used, disk_used, bandwidth, latency, task_start,
                     frag_state, frag_host, frag_delay, frag_out_s, frag_ram, frag_disk, frag_in_mb,
                     frag_out_mb, scratch_i, scratch_h, scratch_acc, scratch_f):
    """Places and migrates fragments (phase 2) with sequential admission in slot order.

    Returns (placements, migrations, infeasible, ignored). ``scratch_*`` are work
    arrays of the engine (fragment-slot sized ints / bools, host-sized floats (4, H)).
    """
    H = ram_mb.shape[0]
    F5 = frag_state.shape[0] // task_start.shape[0]
    # Candidates in slot order (the reference's ``f``, ``h``).
    n_cand = 0
    ignored = 0
    for i in range(hosts.shape[0]):
        v = hosts[i]
        if v == 0:
            continue
        target = v - 1
        st = frag_state[i]
        if not ((st == READY or st == RUNNING) and target >= 0 and target < H):
            ignored += 1
            continue
        if st == RUNNING and frag_host[i] == target:  # sent to its own host: a no-op
            continue
        scratch_i[n_cand] = i
        scratch_h[n_cand] = target
        n_cand += 1
    if n_cand == 0:
        return 0, 0, 0, ignored
    # Admission: a host whose candidates fit together takes them all; on the others
    # each candidate is admitted in slot order if it fits what is left.
    free_ram = scratch_f[0]
    free_disk = scratch_f[1]
    sum_ram = scratch_f[2]
    sum_disk = scratch_f[3]
    for h in range(H):
        free_ram[h] = ram_mb[h] - ram_used[h] + EPS
        free_disk[h] = disk_mb[h] - disk_used[h] + EPS
    sum_per_host(scratch_i, n_cand, scratch_h, False, frag_ram, frag_disk, sum_ram, sum_disk)
    n_acc = 0
    for c in range(n_cand):
        h = scratch_h[c]
        ok = sum_ram[h] <= free_ram[h] and sum_disk[h] <= free_disk[h]
        scratch_acc[c] = ok
        n_acc += ok
    for c in range(n_cand):
        if scratch_acc[c]:  # its host takes all its candidates
            continue
        h = scratch_h[c]
        i = scratch_i[c]
        r = frag_ram[i]
        d = frag_disk[i]
        if r <= free_ram[h] and d <= free_disk[h]:
            free_ram[h] -= r
            free_disk[h] -= d
            scratch_acc[c] = True
            n_acc += 1
    if n_acc == 0:
        return 0, 0, n_cand, ignored
    # Memory moves to the new hosts, then leaves the old hosts of migrations.
    for h in range(H):
        sum_ram[h] = 0.0
        sum_disk[h] = 0.0
    for c in range(n_cand):
        if scratch_acc[c]:
            i = scratch_i[c]
            h = scratch_h[c]
            sum_ram[h] += frag_ram[i]
            sum_disk[h] += frag_disk[i]
    for h in range(H):
        ram_used[h] += sum_ram[h]
        disk_used[h] += sum_disk[h]
        sum_ram[h] = 0.0
        sum_disk[h] = 0.0
    n_mig = 0
    for c in range(n_cand):
        if scratch_acc[c] and frag_state[scratch_i[c]] == RUNNING:
            i = scratch_i[c]
            old = frag_host[i]
            h = scratch_h[c]
            r = frag_ram[i]
            sum_ram[old] += r
            sum_disk[old] += frag_disk[i]
            # The memory image goes old host -> broker -> new host.
            frag_delay[i] += r / bandwidth[old] + latency[old] + r / bandwidth[h] + latency[h]
            n_mig += 1
    if n_mig:
        for h in range(H):
            ram_used[h] -= sum_ram[h]
            disk_used[h] -= sum_disk[h]
    for c in range(n_cand):
        if not scratch_acc[c]:
            continue
        i = scratch_i[c]
        h = scratch_h[c]
        if frag_state[i] != RUNNING:  # a new allocation moves its input from the broker first
            frag_state[i] = RUNNING
            frag_delay[i] = frag_in_mb[i] / bandwidth[h] + latency[h]
            k = i // F5
            if np.isnan(task_start[k]):
                task_start[k] = t
        frag_host[i] = h
        frag_out_s[i] = frag_out_mb[i] / bandwidth[h] + latency[h]
    return n_acc - n_mig, n_mig, n_cand - n_acc, ignored


@_jit
def run_interval(t, dt, cores, speed, frag_state, frag_host, frag_work, frag_delay, frag_out_s,
                 frag_finish, host_util, host_net_util, n_on, done_out):
    """Runs every placed fragment for one interval (phase 3) with processor sharing.

    Writes the hosts' CPU and network utilisation and the finished fragment slots
    (``done_out``, in slot order); returns how many finished.
    """
    H = cores.shape[0]
    for h in range(H):
        n_on[h] = 0
        host_util[h] = 0.0
        host_net_util[h] = 0.0
    for i in range(frag_state.shape[0]):
        if frag_state[i] == RUNNING:
            n_on[frag_host[i]] += 1
    n_done = 0
    for i in range(frag_state.shape[0]):
        if frag_state[i] != RUNNING:
            continue
        h = frag_host[i]
        share = min(1.0, cores[h] / n_on[h])      # cores per fragment
        rate = share * speed[h]                   # core-seconds of work per second
        budget = dt
        delay = frag_delay[i]
        d = min(budget, delay)
        budget -= d
        delay -= d
        work = frag_work[i]
        c = min(budget, work / rate)
        work = max(work - c * rate, 0.0)
        budget -= c
        out_s = frag_out_s[i]
        o = min(budget, out_s) if work <= EPS else 0.0
        out_s = out_s - o
        budget -= o
        frag_delay[i] = delay
        frag_work[i] = work
        frag_out_s[i] = out_s
        frag_finish[i] = t + (dt - budget) / dt
        host_util[h] += c * share
        host_net_util[h] += d + o
        if delay <= EPS and work <= EPS and out_s <= EPS:
            done_out[n_done] = i
            n_done += 1
    for h in range(H):
        host_util[h] = min(host_util[h] / (cores[h] * dt), 1.0)
        host_net_util[h] = min(host_net_util[h] / dt, 1.0)
    return n_done


@_jit
def complete(done, n_done, frag_state, frag_host, frag_ram, frag_disk, frag_finish, frag_work,
             frag_work_total, frag_in_mb, frag_out_mb, ram_used, disk_used, scratch_f, touched,
             task_active, task_split, task_left, task_id, task_app, task_batch, task_sla,
             task_arrival, task_start, task_finish, task_acc, acc_col, fin_i, fin_f):
    """Frees finished fragments and finished tasks (phase 4).

    Writes one column per finished task (slot order) into ``fin_i`` (task_id, app,
    split, batch) and ``fin_f`` (response, wait, sla, sla_met, accuracy); returns
    how many tasks finished. ``scratch_f`` is a (>= 2, H) and ``touched`` a (T,)
    float work array.
    """
    H = ram_used.shape[0]
    T = task_active.shape[0]
    F5 = frag_state.shape[0] // T
    if n_done:
        sum_ram = scratch_f[0]
        sum_disk = scratch_f[1]
        sum_per_host(done, n_done, frag_host, True, frag_ram, frag_disk, sum_ram, sum_disk)
        for h in range(H):
            ram_used[h] = max(ram_used[h] - sum_ram[h], 0.0)
            disk_used[h] = max(disk_used[h] - sum_disk[h], 0.0)
        for c in range(n_done):
            frag_state[done[c]] = DONE
        for c in range(n_done):
            nxt = done[c] + 1
            if nxt % F5 != 0 and frag_state[nxt] == BLOCKED:  # a chain's next fragment
                frag_state[nxt] = READY
        for c in range(n_done):  # per task: a finish already seen this interval
            touched[done[c] // F5] = 0.0
        for c in range(n_done):
            i = done[c]
            k = i // F5
            # This interval's latest finish: every earlier finish of the task is <= t.
            if touched[k] == 0.0 or frag_finish[i] > task_finish[k]:
                task_finish[k] = frag_finish[i]
            touched[k] = 1.0
            task_left[k] -= 1
    n_fin = 0
    for k in range(T):
        if not (task_active[k] and task_left[k] == 0 and task_split[k] >= 0):
            continue
        s = task_split[k]
        arrival = task_arrival[k]
        response = task_finish[k] - arrival
        fin_i[0, n_fin] = task_id[k]
        fin_i[1, n_fin] = task_app[k]
        fin_i[2, n_fin] = s
        fin_i[3, n_fin] = task_batch[k]
        fin_f[0, n_fin] = response
        fin_f[1, n_fin] = task_start[k] - arrival
        fin_f[2, n_fin] = task_sla[k]
        fin_f[3, n_fin] = 1.0 if response <= task_sla[k] else 0.0
        fin_f[4, n_fin] = task_acc[k, acc_col[s]]
        n_fin += 1
        # Free the slot; empty fragment slots read as zeros.
        task_active[k] = False
        task_split[k] = -1
        task_id[k] = -1
        for i in range(k * F5, (k + 1) * F5):
            frag_state[i] = EMPTY
            frag_host[i] = -1
            frag_work[i] = 0.0
            frag_work_total[i] = 0.0
            frag_ram[i] = 0.0
            frag_disk[i] = 0.0
            frag_in_mb[i] = 0.0
            frag_out_mb[i] = 0.0
    return n_fin


@_jit
def interval(splits, hosts, t, bandwidth, latency, host_out, first_id, waiting, base, wl_app, wl_batch,
             wl_sla, wl_created, wl_accuracy, params, split_nfrag, split_chain, split_f, host_static,
             acc_col, power_grid, power_table, host_used, task_b, task_i, task_f, frag_state, frag_host,
             frag_f, task_acc, scratch_i, cand_ok, host_scratch, task_scratch, n_on, fin_i, fin_f,
             pend_i, pend_f):
    """Phases 1-4 of an interval, its Eq. 8 reward, and the admission of the next
    interval's tasks (``admit``; the caller advances the clock and the links), in one call.

    The state comes in the packed blocks of ``EdgeEngine`` (rows named by ``TASK_BOOL``,
    ``TASK_INT``, ``TASK_FLOAT``, ``FRAG_FLOAT``, ``SPLIT_FLOAT``, ``HOST_STATIC``,
    ``PARAMS``): a few large arguments cost less to pass than many small ones. Writes
    the hosts' CPU, network utilisation and power into the rows of ``host_out``.
    Returns (placements, migrations, infeasible, ignored, finished tasks, energy J,
    reward, QoS, AEC, ART, admitted tasks, ready fragments), the reward terms computed
    as ``metrics.interval_reward`` computes them.
    """
    n_splits, dt, compute_scale, transfer_compression = int(params[0]), params[1], params[2], params[3]
    runtime_overhead_mb, stream_chunk, max_energy_j = params[4], int(params[5]), params[6]
    alpha, beta, response_norm = params[7], params[8], params[9]
    ram_mb, disk_mb, cores, speed = host_static[0], host_static[1], host_static[2], host_static[3]
    host_util, host_net_util, host_power_w = host_out[0], host_out[1], host_out[2]
    task_active, task_new = task_b[0], task_b[1]
    task_id, task_app, task_batch, task_split, task_left = task_i[0], task_i[1], task_i[2], task_i[3], task_i[4]
    task_sla, task_arrival, task_start, task_finish = task_f[0], task_f[1], task_f[2], task_f[3]
    frag_work, frag_work_total, frag_delay, frag_out_s = frag_f[0], frag_f[1], frag_f[2], frag_f[3]
    frag_ram, frag_disk, frag_in_mb, frag_out_mb, frag_finish = (frag_f[4], frag_f[5], frag_f[6], frag_f[7],
                                                                 frag_f[8])
    ram_used, disk_used = host_used[0], host_used[1]
    cand_frag, cand_host, done_buf = scratch_i[0], scratch_i[1], scratch_i[2]
    ignored = apply_splits(splits, n_splits, task_new, task_app, task_batch, task_split, task_left,
                           split_nfrag, split_chain, split_f, compute_scale, transfer_compression,
                           runtime_overhead_mb, stream_chunk, frag_state, frag_host, frag_work, frag_work_total,
                           frag_delay, frag_out_s, frag_ram, frag_disk, frag_in_mb, frag_out_mb)
    placed, migrated, infeasible, ign = apply_placements(
        hosts, float(t), ram_mb, disk_mb, ram_used, disk_used, bandwidth, latency, task_start,
        frag_state, frag_host, frag_delay, frag_out_s, frag_ram, frag_disk, frag_in_mb, frag_out_mb,
        cand_frag, cand_host, cand_ok, host_scratch)
    n_done = run_interval(t, dt, cores, speed, frag_state, frag_host, frag_work, frag_delay, frag_out_s,
                          frag_finish, host_util, host_net_util, n_on, done_buf)
    n_fin = complete(done_buf, n_done, frag_state, frag_host, frag_ram, frag_disk, frag_finish, frag_work,
                     frag_work_total, frag_in_mb, frag_out_mb, ram_used, disk_used, host_scratch,
                     task_scratch, task_active, task_split, task_left, task_id, task_app, task_batch,
                     task_sla, task_arrival, task_start, task_finish, task_acc, acc_col, fin_i, fin_f)
    H = host_util.shape[0]
    for h in range(H):
        host_power_w[h] = interp(host_util[h], power_grid, power_table)
    energy = pairwise_sum(host_power_w, H) * dt
    aec = energy / max_energy_j
    qos = 0.0
    art = 0.0
    if n_fin:
        terms = task_scratch  # free again after ``complete``
        for c in range(n_fin):
            terms[c] = fin_f[3, c] + fin_f[4, c]          # 1[r <= sla] + accuracy
        qos = pairwise_sum(terms, n_fin) * 0.5 / n_fin
        for c in range(n_fin):
            terms[c] = min(fin_f[0, c], response_norm)
        art = pairwise_sum(terms, n_fin) / (n_fin * response_norm)
    reward = qos - alpha * aec - beta * art
    admitted = 0
    if waiting:
        admitted = admit(first_id, waiting, base, wl_app, wl_batch, wl_sla, wl_created, wl_accuracy, pend_i,
                         pend_f, task_b, task_i, task_f, task_acc)
    n_ready = 0
    for i in range(frag_state.shape[0]):
        n_ready += frag_state[i] == READY
    return (placed, migrated, infeasible, ignored + ign, n_fin, energy, reward, qos, aec, art, admitted,
            n_ready)


@_jit
def admit(first_id, waiting, base, wl_app, wl_batch, wl_sla, wl_created, wl_accuracy, pend_i, pend_f,
          task_b, task_i, task_f, task_acc):
    """Moves up to ``waiting`` backlog tasks (ids from ``first_id``) into free slots in
    slot order (phase 5); returns how many were admitted.

    The admitted tasks are the new tasks awaiting a split (every earlier one was
    split this interval); their slot, id, application and batch go to the columns
    of ``pend_i``, their SLA to ``pend_f``. ``task_b``, ``task_i``, ``task_f``: the
    engine's packed task blocks.
    """
    task_active, task_new = task_b[0], task_b[1]
    task_id, task_app, task_batch, task_split, task_left = task_i[0], task_i[1], task_i[2], task_i[3], task_i[4]
    task_sla, task_arrival, task_start, task_finish = task_f[0], task_f[1], task_f[2], task_f[3]
    m = 0
    for k in range(task_active.shape[0]):
        if m == waiting:
            break
        if task_active[k]:
            continue
        row = first_id + m - base
        task_active[k] = True
        task_new[k] = True
        task_id[k] = first_id + m
        task_app[k] = wl_app[row]
        task_batch[k] = wl_batch[row]
        task_sla[k] = wl_sla[row]
        task_arrival[k] = wl_created[row] - 1.0
        task_start[k] = np.nan
        task_finish[k] = 0.0
        task_split[k] = -1
        task_left[k] = 0
        for j in range(task_acc.shape[1]):
            task_acc[k, j] = wl_accuracy[row, j]
        pend_i[0, m] = k
        pend_i[1, m] = first_id + m
        pend_i[2, m] = wl_app[row]
        pend_i[3, m] = wl_batch[row]
        pend_f[m] = wl_sla[row]
        m += 1
    return m


@_jit
def observation(t, t_frac, backlog_frac, energy_frac, n_ready, host_util, host_net_util, host_power_w,
                bandwidth, latency, out_hosts,
                out_tasks, out_frags, out_globals, obs_params, host_const, nfrag_pad, n_on, host_used, task_b,
                task_i, task_f, frag_state, frag_host, frag_f):
    """Writes the observation (``SplitPlaceEnv`` docstring) into float32 arrays.

    Each feature is computed in float64 with the operations of the env's numpy
    reference (``SplitPlaceEnv._observation_numpy``), then clipped where that one
    clips and rounded to float32. ``obs_params`` holds the inverse scales named by
    ``OBS_PARAMS``, ``host_const`` the per-host constants named by ``OBS_HOST_CONST``;
    the state comes in the engine's packed blocks, with its count of ready fragments
    (``n_ready``). ``n_on`` is an (H,) int work array.
    """
    inv_response, inv_batch, inv_work, inv_ram = obs_params[0], obs_params[1], obs_params[2], obs_params[3]
    inv_disk, inv_data, inv_bandwidth, inv_latency = obs_params[4], obs_params[5], obs_params[6], obs_params[7]
    inv_power, inv_hosts = obs_params[8], obs_params[9]
    ram_mb, inv_ram_cap, inv_disk_cap = host_const[0], host_const[1], host_const[2]
    ram_cap_n, mobile, inv_slots = host_const[3], host_const[4], host_const[5]
    ram_used, disk_used = host_used[0], host_used[1]
    task_active, task_new = task_b[0], task_b[1]
    task_app, task_batch, task_split, task_left = task_i[1], task_i[2], task_i[3], task_i[4]
    task_sla, task_arrival = task_f[0], task_f[1]
    frag_work, frag_work_total, frag_ram, frag_disk = frag_f[0], frag_f[1], frag_f[4], frag_f[5]
    frag_in_mb, frag_out_mb = frag_f[6], frag_f[7]
    H = ram_mb.shape[0]
    T = task_active.shape[0]
    NF = frag_state.shape[0]
    S = out_tasks.shape[1] - 10  # split one-hot columns after 10 fixed ones
    for h in range(H):
        n_on[h] = 0
    for i in range(NF):
        if frag_state[i] == RUNNING:
            n_on[frag_host[i]] += 1
    for h in range(H):
        row = out_hosts[h]
        row[0] = _unit(host_util[h])
        row[1] = _unit(ram_used[h] * inv_ram_cap[h])
        row[2] = _unit(disk_used[h] * inv_disk_cap[h])
        row[3] = _unit(host_net_util[h])
        row[4] = _unit((ram_mb[h] - ram_used[h]) * inv_ram)
        row[5] = _unit(ram_cap_n[h])
        row[6] = _unit(bandwidth[h] * inv_bandwidth)
        row[7] = _unit(latency[h] * inv_latency)
        row[8] = _unit(host_power_w[h] * inv_power)
        row[9] = _unit(mobile[h])
        row[10] = _unit(n_on[h] * inv_slots[h])
    for k in range(T):
        row = out_tasks[k]
        if not task_active[k]:
            row[0] = 0.0
            row[1] = 1.0 if task_new[k] else 0.0
            for c in range(2, 10 + S):
                row[c] = 0.0
            continue
        row[0] = 1.0
        row[1] = 1.0 if task_new[k] else 0.0
        for c in range(3):  # application one-hot (MNIST, FashionMNIST, CIFAR100)
            row[2 + c] = 1.0 if task_app[k] == c else 0.0
        sla = task_sla[k] * inv_response
        age = (t - task_arrival[k]) * inv_response
        row[5] = _unit(sla)
        row[6] = _unit(age)
        row[7] = _unit(sla - age)
        row[8] = task_batch[k] * inv_batch
        s = task_split[k]
        nfr = nfrag_pad[task_app[k], s]  # s = -1 (not split yet) reads the zero column
        row[9] = (nfr - task_left[k]) / max(nfr, 1.0)
        for c in range(S):
            row[10 + c] = 1.0 if s == c else 0.0
    for i in range(NF):
        row = out_frags[i]
        st = frag_state[i]
        row[0] = 1.0 if st != EMPTY else 0.0
        row[1] = 1.0 if st == BLOCKED else 0.0
        row[2] = 1.0 if st == READY else 0.0
        row[3] = 1.0 if st == RUNNING else 0.0
        row[4] = 1.0 if st == DONE else 0.0
        row[5] = (frag_host[i] + 1.0) * inv_hosts
        row[6] = frag_work_total[i] * inv_work
        row[7] = frag_work[i] / max(frag_work_total[i], 1e-12)
        row[8] = min(frag_ram[i] * inv_ram, 1.0)
        row[9] = min(frag_disk[i] * inv_disk, 1.0)
        row[10] = (frag_in_mb[i] + frag_out_mb[i]) * inv_data
    out_globals[0] = min(t_frac, 1.0)
    out_globals[1] = min(backlog_frac, 1.0)
    out_globals[2] = min(n_ready / NF, 1.0)
    out_globals[3] = min(pairwise_sum(host_util, H) / H, 1.0)
    out_globals[4] = min(energy_frac, 1.0)


@_jit
def action_masks(out, n_splits, params, split_nfrag, split_chain, split_f, host_static, host_used, task_b,
                 task_i, task_f, frag_state, frag_host, frag_f):
    """Fills the factored action mask (``SplitPlaceEnv.action_masks``) into the zeroed
    bool array ``out``: ``T*S`` split entries, then ``5T*(H+1)`` host entries.

    For a new task, fragment j counts as movable if some split makes it ready at
    once, with the largest RAM and disk demand over those splits (as the reference
    ``SplitPlaceEnv._placement_demands``).
    """
    S = n_splits
    T = task_b.shape[1]
    NF = frag_state.shape[0]
    F5 = NF // T
    H = host_static.shape[1]
    compute_scale, transfer_compression = params[2], params[3]
    runtime_overhead_mb, stream_chunk = params[4], int(params[5])
    ram_mb, disk_mb = host_static[0], host_static[1]
    task_new, task_app, task_batch = task_b[1], task_i[1], task_i[2]
    frag_ram, frag_disk = frag_f[4], frag_f[5]
    free_ram = np.empty(H)
    free_disk = np.empty(H)
    for h in range(H):
        free_ram[h] = ram_mb[h] - host_used[0, h] + 1e-9
        free_disk[h] = disk_mb[h] - host_used[1, h] + 1e-9
    for k in range(T):
        out[k * S] = True
        if task_new[k]:
            for s in range(1, S):
                out[k * S + s] = True
    base = T * S
    for i in range(NF):
        row = base + i * (H + 1)
        out[row] = True
        k = i // F5
        if task_new[k]:
            j = i - k * F5
            a = task_app[k]
            b = task_batch[k]
            movable = False
            ram = 0.0
            disk = 0.0
            for s in range(S):
                first = 1 if split_chain[a, s] else split_nfrag[a, s]
                if j < first:
                    r, d, _, _, _ = fragment_demand(a, s, j, b, split_f, compute_scale, transfer_compression,
                                                    runtime_overhead_mb, stream_chunk)
                    movable = True
                    ram = max(ram, r)
                    disk = max(disk, d)
        else:
            st = frag_state[i]
            movable = st == READY or st == RUNNING
            ram = frag_ram[i]
            disk = frag_disk[i]
        if not movable:
            continue
        here = frag_host[i]
        for h in range(H):
            out[row + 1 + h] = ram <= free_ram[h] and disk <= free_disk[h] and here != h


@_jit
def _unit(x):
    """Clips to [0, 1]."""
    return min(max(x, 0.0), 1.0)
