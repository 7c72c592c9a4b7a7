"""The observation (feature tables documented in ``SplitPlaceEnv``), written by the
compiled step into four float32 arrays.

Every feature is a ratio to a scale of the configuration (``EdgeEngine.scales``);
ratios that can leave [0, 1] by construction are clipped. A host that is down
(``kernels.host_faults``) reads 0 in ``ram_free``, ``ram_capacity`` and
``bandwidth``: every real host has RAM, so ``ram_capacity == 0`` is the down flag
(kept in the existing features so that spaces, and trained policies, stay valid
whether faults are on or off).
"""

from __future__ import annotations

import numpy as np

from splitplace_env.core.jit import kernel
from splitplace_env.core.demand import shown_ram
from splitplace_env.core.layout import (BLOCKED, C_ARRIVED, C_ADMITTED, C_READY, C_T, DONE, EMPTY, P_INV_BANDWIDTH,
                                        P_INV_BATCH, P_INV_DATA, P_INV_DISK, P_INV_LATENCY, P_INV_POWER,
                                        P_INV_RAM, P_INV_RESPONSE, P_INV_WORK, P_MAX_ENERGY, P_STEPS, READY,
                                        RUNNING)

HOST_FEATURES = ("cpu_util", "ram_util", "disk_util", "net_util", "ram_free", "ram_capacity",
                 "bandwidth", "latency", "power", "mobile", "fragments")
TASK_FEATURES_BASE = ("occupied", "new", "app_mnist", "app_fashionmnist", "app_cifar100",
                      "sla", "age", "time_left", "batch", "progress")
FRAGMENT_FEATURES = ("exists", "blocked", "ready", "running", "done", "host", "compute",
                     "remaining", "ram", "disk", "data")
GLOBAL_FEATURES = ("time", "backlog", "ready_share", "mean_util", "energy")
N_HOST, N_TASK_BASE, N_FRAGMENT, N_GLOBAL = (len(HOST_FEATURES), len(TASK_FEATURES_BASE), len(FRAGMENT_FEATURES),
                                             len(GLOBAL_FEATURES))
#: Fragment containers per core at which the "fragments" host feature reads 1.
SLOTS_PER_CORE = 4.0


@kernel
def _unit(x):
    """Clips to [0, 1]."""
    return min(max(x, 0.0), 1.0)


@kernel
def observe(counters, params, last_energy_j, split_i, host_spec, host_state, host_out, task_b, task_i, task_f,
            frag_i, frag_f, n_on, obs_hosts, obs_tasks, obs_frags, obs_globals):
    """Writes the observation of the engine's state into the four arrays, and the
    count of ready fragments into ``counters[C_READY]``.

    ``last_energy_j`` is the energy of the interval that just ran; ``n_on`` an (H,)
    int work array.
    """
    H = host_spec.shape[1]
    T = task_b.shape[1]
    NF = frag_i.shape[1]
    S = obs_tasks.shape[1] - 10  # split one-hot columns after 10 fixed ones
    t = counters[C_T]
    inv_ram, inv_response = params[P_INV_RAM], params[P_INV_RESPONSE]
    state, host = frag_i[0], frag_i[1]
    inv_hosts, inv_work, inv_disk, inv_data = 1.0 / H, params[P_INV_WORK], params[P_INV_DISK], params[P_INV_DATA]
    n_on[:] = 0
    ready = 0
    for i in range(NF):  # fragments first: they give the hosts' fragment counts
        st = state[i]
        if st == EMPTY:  # every feature of an empty slot is 0 (its sizes were zeroed when freed)
            for c in range(obs_frags.shape[1]):
                obs_frags[i, c] = 0.0
            continue
        if st == RUNNING:
            n_on[host[i]] += 1
        ready += st == READY
        obs_frags[i, 0] = 1.0
        obs_frags[i, 1] = 1.0 if st == BLOCKED else 0.0
        obs_frags[i, 2] = 1.0 if st == READY else 0.0
        obs_frags[i, 3] = 1.0 if st == RUNNING else 0.0
        obs_frags[i, 4] = 1.0 if st == DONE else 0.0
        obs_frags[i, 5] = (host[i] + 1.0) * inv_hosts
        obs_frags[i, 6] = frag_f[1, i] * inv_work
        obs_frags[i, 7] = frag_f[0, i] / max(frag_f[1, i], 1e-12)
        obs_frags[i, 8] = min(shown_ram(frag_f[9, i], frag_i[2, i], params) * inv_ram, 1.0)
        obs_frags[i, 9] = min(frag_f[5, i] * inv_disk, 1.0)
        obs_frags[i, 10] = (frag_f[6, i] + frag_f[7, i]) * inv_data
    counters[C_READY] = ready
    util_sum = 0.0
    for h in range(H):
        ram_mb, ram_used = host_spec[0, h], host_state[0, h]
        obs_hosts[h, 0] = _unit(host_out[0, h])
        obs_hosts[h, 1] = _unit(ram_used / ram_mb)
        obs_hosts[h, 2] = _unit(host_state[1, h] / host_spec[1, h])
        obs_hosts[h, 3] = _unit(host_out[1, h])
        up = host_state[12, h] < 0.5  # a host that is down offers no capacity and no link
        obs_hosts[h, 4] = _unit((ram_mb - ram_used) * inv_ram) if up else 0.0
        obs_hosts[h, 5] = _unit(ram_mb * inv_ram) if up else 0.0
        obs_hosts[h, 6] = _unit(host_state[2, h] * params[P_INV_BANDWIDTH]) if up else 0.0
        obs_hosts[h, 7] = _unit(host_state[3, h] * params[P_INV_LATENCY])
        obs_hosts[h, 8] = _unit(host_out[2, h] * params[P_INV_POWER])
        obs_hosts[h, 9] = host_spec[4, h]
        obs_hosts[h, 10] = _unit(n_on[h] / (SLOTS_PER_CORE * host_spec[2, h]))
        util_sum += host_out[0, h]
    for k in range(T):
        for c in range(obs_tasks.shape[1]):
            obs_tasks[k, c] = 0.0
        obs_tasks[k, 1] = 1.0 if task_b[1, k] else 0.0
        if not task_b[0, k]:
            continue
        obs_tasks[k, 0] = 1.0
        a, s = task_i[1, k], task_i[3, k]
        obs_tasks[k, 2 + a] = 1.0  # application one-hot (MNIST, FashionMNIST, CIFAR100)
        sla = task_f[0, k] * inv_response
        age = (t - task_f[1, k]) * inv_response
        obs_tasks[k, 5] = _unit(sla)
        obs_tasks[k, 6] = _unit(age)
        obs_tasks[k, 7] = _unit(sla - age)
        obs_tasks[k, 8] = task_i[2, k] * params[P_INV_BATCH]
        if s >= 0:  # split: progress and the split's one-hot
            nfr = split_i[0, a, s]
            obs_tasks[k, 9] = (nfr - task_i[4, k]) / max(nfr, 1)
            obs_tasks[k, 10 + s] = 1.0
    obs_globals[0] = min(t / params[P_STEPS], 1.0)
    obs_globals[1] = min((counters[C_ARRIVED] - counters[C_ADMITTED]) / T, 1.0)
    obs_globals[2] = min(counters[C_READY] / NF, 1.0)
    obs_globals[3] = min(util_sum / H, 1.0)
    obs_globals[4] = min(last_energy_j / params[P_MAX_ENERGY], 1.0)
