"""A small, readable reference of ONE scheduling interval of the emulated edge cluster.

This module restates, in plain Python over a handful of explicit objects, what one
interval of ``splitplace_env.core.engine.EdgeEngine.step`` does. It is written for
a reader, not for speed: loops over hosts, tasks and fragments, one rule per line,
and comments that say why. It imports nothing from the engine; the per-sample
fragment demands and the configuration numbers it needs come in ``Params`` (the
tests fill them from the engine's public fragment tables and its config, or by
hand), and the Pi 4B power table is restated below.

One interval, in order (``reference_interval``):

1. **Split** every new task with the split its action names: the fragments of that
   split appear. In a chain (layer-style split) only the first fragment is READY,
   the others are BLOCKED until their predecessor is done; the branches of a
   parallel (semantic) split are all READY at once.
2. **Place** the fragments the action names, one by one in fragment-slot order
   (task slot, then fragment index), each only if its RAM and disk fit the host's
   free capacity at that moment. A READY fragment placed starts RUNNING after it
   has moved its input from the broker; a RUNNING fragment sent to another host
   migrates and first pays for copying its memory image over both links. The old
   host's memory of a migration is held until every admission of the interval is
   decided, so no other placement of the same interval can use it.
3. **Run** every RUNNING fragment for ``interval_s`` seconds: first its pending
   transfers (``delay``), then its compute, then (only once the compute is done)
   its output transfer. A fragment uses one core; when a host runs more fragments
   than it has cores, they share the cores equally, with the shares fixed at the
   interval's start (processor sharing, as in COSCO).
4. **Complete**: fragments that are done free their RAM and disk and become DONE;
   a chain's next fragment becomes READY, which takes effect from the next interval
   (its placement this interval was decided in step 2, when it was still BLOCKED).
   A task whose fragments are all done leaves: response = finish - arrival and
   wait = start - arrival, both in intervals.
5. **Score** the interval with the paper's Eq. 8:
   ``reward = QoS - alpha * AEC - beta * ART``.

Arrivals, mobility and link changes (the engine's phase 5) are not modelled: the
reference ends with the clock advanced by one interval and the links unchanged.

Units: RAM, disk and data in MB; bandwidth in MB/s; latency, work, delay and
transfer times in seconds; ``t``, arrival, start, finish, response, wait and SLA in
intervals.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

# Fragment states (the same numbering as the engine's EMPTY, BLOCKED, ... constants).
EMPTY, BLOCKED, READY, RUNNING, DONE = 0, 1, 2, 3, 4

#: Tolerance below which remaining work / delay / transfer counts as nothing, and the
#: slack added to a host's free capacity in admission (both as in the engine).
EPS = 1e-9

#: Raspberry Pi 4B power (W) at CPU utilisation 0 %, 10 %, ..., 100 % (the cluster
#: model's 11-point table); power in between is interpolated linearly.
PI4B_POWER_W = (2.70, 3.15, 3.57, 3.96, 4.33, 4.68, 5.01, 5.32, 5.62, 5.97, 6.40)


# ---------------------------------------------------------------------- state


@dataclass
class Host:
    """One edge host and its link to the broker during the interval.

    Attributes:
        ram_mb: RAM capacity available to fragment containers (MB).
        disk_mb: disk capacity (MB).
        cores: CPU cores; one fragment uses one core.
        speed: compute speed relative to a Pi 4B core.
        bandwidth: link bandwidth to the broker (MB/s).
        latency: link latency to the broker (s).
        ram_used: RAM held by the fragments placed here (MB).
        disk_used: disk held by the fragments placed here (MB).
    """

    ram_mb: float
    disk_mb: float
    cores: float
    speed: float
    bandwidth: float
    latency: float
    ram_used: float = 0.0
    disk_used: float = 0.0


@dataclass
class Fragment:
    """One fragment (container) of a split task.

    Attributes:
        state: EMPTY, BLOCKED, READY, RUNNING or DONE.
        host: index of the host it runs on, -1 if never placed.
        work: single-core compute seconds still to do.
        work_total: single-core compute seconds of the whole fragment.
        delay: transfer seconds still to pay before computing (input, migrations).
        out_s: output transfer seconds still to pay after computing.
        ram: RAM it holds while placed (MB).
        disk: disk it holds while placed (MB).
        in_mb: input moved from the broker when it is first placed (MB).
        out_mb: output moved back to the broker (MB).
        finish: when its last activity of the latest interval it ran ended (intervals).
    """

    state: int
    host: int = -1
    work: float = 0.0
    work_total: float = 0.0
    delay: float = 0.0
    out_s: float = 0.0
    ram: float = 0.0
    disk: float = 0.0
    in_mb: float = 0.0
    out_mb: float = 0.0
    finish: float = 0.0


@dataclass
class Task:
    """One inference task (a batch of samples for one application).

    Attributes:
        task_id: the task's id.
        app: application index.
        batch: samples in the batch.
        sla: deadline, in intervals after arrival.
        arrival: arrival time (intervals).
        accuracy: fraction of the batch classified correctly by each network
            (layer, semantic, compressed); the split decides which one counts.
        split: split index, or None while the task is new (not split yet).
        start: when its first fragment was placed (intervals), None before that.
        finish: latest finish time of its fragments so far (intervals).
        fragments: its fragments, in fragment order (empty while new).
    """

    task_id: int
    app: int
    batch: int
    sla: float
    arrival: float
    accuracy: tuple[float, float, float]
    split: int | None = None
    start: float | None = None
    finish: float = 0.0
    fragments: list[Fragment] = field(default_factory=list)


@dataclass
class State:
    """The cluster at the start of an interval.

    Attributes:
        t: the interval's index.
        hosts: the hosts.
        tasks: one entry per task slot: a Task, or None for a free slot.
    """

    t: int
    hosts: list[Host]
    tasks: list[Task | None]


# ---------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class FragmentProfile:
    """Per-sample demands of one fragment of a split (from the profile tables).

    Attributes:
        work_s: single-core seconds per sample.
        weights_mb: model weights (MB, independent of the batch).
        in_mb: input per sample (MB, before transfer compression).
        out_mb: output per sample (MB, before transfer compression).
        peak_mb: peak activation memory per sample held at once (MB).
    """

    work_s: float
    weights_mb: float
    in_mb: float
    out_mb: float
    peak_mb: float


@dataclass(frozen=True)
class SplitProfile:
    """The fragments one split of one application creates.

    Attributes:
        chain: True if fragment j needs fragment j - 1 done first (layer-style).
        fragments: per-sample demands of each fragment, in order.
    """

    chain: bool
    fragments: tuple[FragmentProfile, ...]


@dataclass(frozen=True)
class Params:
    """Constants of the interval (the configuration's numbers).

    Attributes:
        interval_s: interval length (s).
        compute_scale: multiplies every fragment's compute time.
        transfer_compression: size ratio of compressed tensors on the network.
        runtime_overhead_mb: resident RAM of one fragment container's runtime.
        stream_chunk_samples: samples a fragment holds in memory at once.
        alpha: weight of the energy term of Eq. 8.
        beta: weight of the response-time term of Eq. 8.
        response_norm: response time (intervals) that maps to ART = 1.
        network_of_split: per split index, which accuracy column (layer, semantic,
            compressed network) a task split that way scores.
        splits: (app, split) -> the fragments that split creates.
    """

    interval_s: float
    compute_scale: float
    transfer_compression: float
    runtime_overhead_mb: float
    stream_chunk_samples: int
    alpha: float
    beta: float
    response_norm: float
    network_of_split: tuple[int, ...]
    splits: dict[tuple[int, int], SplitProfile]


@dataclass
class Action:
    """What the scheduler decides for one interval.

    Attributes:
        splits: task slot -> split index, for new tasks (a new task without an
            entry takes split 0; a non-zero entry for any other slot is ignored).
        hosts: (task slot, fragment index) -> host index to place or move that
            fragment on; fragments without an entry are left as they are.
    """

    splits: dict[int, int] = field(default_factory=dict)
    hosts: dict[tuple[int, int], int] = field(default_factory=dict)


# ---------------------------------------------------------------------- outputs


@dataclass
class FinishedTask:
    """A task that left during the interval.

    Attributes:
        task_id, app, split, sla: the task's.
        response: finish - arrival (intervals).
        wait: start - arrival (intervals).
        sla_met: response <= sla.
        accuracy: the accuracy of the network its split runs.
    """

    task_id: int
    app: int
    split: int
    response: float
    wait: float
    sla: float
    sla_met: bool
    accuracy: float


@dataclass
class IntervalResult:
    """What one interval produced.

    Attributes:
        finished: the tasks that left, in task-slot order.
        host_util: CPU utilisation of each host over the interval, in [0, 1].
        host_power_w: power of each host (W) at that utilisation.
        energy_j: the cluster's energy over the interval (J).
        max_energy_j: the cluster's energy at full load over one interval (J).
        qos, aec, art, reward: the terms of Eq. 8 and the reward.
        placements: READY fragments allocated on a host.
        migrations: RUNNING fragments moved to another host.
        infeasible: placements or migrations refused for RAM or disk.
        ignored: action entries that name nothing movable (a BLOCKED, DONE or
            missing fragment, a host out of range, a split for a task not new).
    """

    finished: list[FinishedTask]
    host_util: list[float]
    host_power_w: list[float]
    energy_j: float
    max_energy_j: float
    qos: float
    aec: float
    art: float
    reward: float
    placements: int
    migrations: int
    infeasible: int
    ignored: int


# ---------------------------------------------------------------------- helpers


def fragment_demands(profile: FragmentProfile, batch: int, params: Params) -> Fragment:
    """A new fragment's demands for a batch (its state is set by the caller).

    Args:
        profile: the fragment's per-sample demands.
        batch: samples in the task's batch.
        params: the interval's constants.

    Returns:
        A Fragment with work, RAM, disk and transfer sizes filled in (state EMPTY).
    """
    # Tensors travel compressed, and the whole batch travels.
    in_mb = profile.in_mb * batch * params.transfer_compression
    out_mb = profile.out_mb * batch * params.transfer_compression
    # The container holds its runtime, the weights and the activations of one chunk
    # of samples at a time (the batch is streamed through in chunks).
    samples_in_memory = min(batch, params.stream_chunk_samples)
    ram = params.runtime_overhead_mb + profile.weights_mb + samples_in_memory * profile.peak_mb
    # On disk: the weights plus the input and output files.
    disk = profile.weights_mb + in_mb + out_mb
    work = profile.work_s * batch * params.compute_scale
    return Fragment(state=EMPTY, work=work, work_total=work, ram=ram, disk=disk, in_mb=in_mb, out_mb=out_mb)


def transfer_s(size_mb: float, host: Host) -> float:
    """Seconds to move ``size_mb`` between the broker and ``host``."""
    return size_mb / host.bandwidth + host.latency


def power_w(util: float) -> float:
    """Pi 4B power (W) at CPU utilisation ``util``, linear between the table's points."""
    steps = len(PI4B_POWER_W) - 1             # 10 steps of 10 % each
    x = min(max(util, 0.0), 1.0) * steps      # position on the table
    i = min(int(x), steps - 1)                # the point at or below it
    return PI4B_POWER_W[i] + (PI4B_POWER_W[i + 1] - PI4B_POWER_W[i]) * (x - i)


# ---------------------------------------------------------------------- the interval


def reference_interval(state: State, action: Action, params: Params) -> tuple[State, IntervalResult]:
    """Runs one interval from ``state`` under ``action``.

    Args:
        state: the cluster at the interval's start (not modified).
        action: the splits and placements of the interval.
        params: the interval's constants and the split profiles.

    Returns:
        The state at the interval's end (clock advanced, links unchanged) and the
        interval's results.
    """
    state = copy.deepcopy(state)  # the caller's state stays as it was
    hosts, tasks, t, dt = state.hosts, state.tasks, state.t, params.interval_s
    ignored = 0

    # 1. Split the new tasks. ------------------------------------------------------
    n_splits = 1 + max(s for (_, s) in params.splits)
    for slot, value in action.splits.items():
        task = tasks[slot] if 0 <= slot < len(tasks) else None
        if (task is None or task.split is not None) and value != 0:
            ignored += 1  # nothing to split there (0 is the "no split" entry)
    for slot, task in enumerate(tasks):
        if task is None or task.split is not None:
            continue
        split = action.splits.get(slot, 0)
        if not 0 <= split < n_splits:
            ignored += 1  # an out-of-range split is counted and the first mode taken
            split = 0
        profile = params.splits[(task.app, split)]
        task.split = split
        for j, fragment_profile in enumerate(profile.fragments):
            fragment = fragment_demands(fragment_profile, task.batch, params)
            # A chain's later fragments need their predecessor's output first.
            fragment.state = BLOCKED if profile.chain and j > 0 else READY
            task.fragments.append(fragment)

    # 2. Place and migrate, admitting one by one in fragment-slot order. -----------
    # What each host can still take, frozen at the interval's start: memory a
    # migration will free stays held until all admissions are decided.
    free_ram = [h.ram_mb - h.ram_used + EPS for h in hosts]
    free_disk = [h.disk_mb - h.disk_used + EPS for h in hosts]
    accepted: list[tuple[Fragment, int, int]] = []  # (fragment, its slot, target host)
    infeasible = 0
    for (slot, j), target in sorted(action.hosts.items()):
        task = tasks[slot] if 0 <= slot < len(tasks) else None
        fragment = task.fragments[j] if task is not None and 0 <= j < len(task.fragments) else None
        if fragment is None or fragment.state not in (READY, RUNNING) or not 0 <= target < len(hosts):
            ignored += 1  # only waiting or running fragments can be placed
            continue
        if fragment.state == RUNNING and fragment.host == target:
            continue  # already there: nothing to do, and not an error
        if fragment.ram <= free_ram[target] and fragment.disk <= free_disk[target]:
            free_ram[target] -= fragment.ram
            free_disk[target] -= fragment.disk
            accepted.append((fragment, slot, target))
        else:
            infeasible += 1  # not carried out: it keeps waiting (or running where it is)

    placements = migrations = 0
    for fragment, slot, target in accepted:
        new_host = hosts[target]
        new_host.ram_used += fragment.ram
        new_host.disk_used += fragment.disk
        if fragment.state == RUNNING:
            # Migration: the memory image goes old host -> broker -> new host before
            # the fragment can progress again; then the old host lets go of it.
            old_host = hosts[fragment.host]
            fragment.delay += transfer_s(fragment.ram, old_host) + transfer_s(fragment.ram, new_host)
            old_host.ram_used -= fragment.ram
            old_host.disk_used -= fragment.disk
            migrations += 1
        else:
            # A new allocation first moves its input from the broker.
            fragment.state = RUNNING
            fragment.delay = transfer_s(fragment.in_mb, new_host)
            if tasks[slot].start is None:
                tasks[slot].start = float(t)
            placements += 1
        fragment.host = target
        # Its output will go back to the broker over the link of the host it ends on.
        fragment.out_s = transfer_s(fragment.out_mb, new_host)

    # 3. Run every placed fragment for one interval. -------------------------------
    running = [(slot, j) for slot, task in enumerate(tasks) if task is not None
               for j, f in enumerate(task.fragments) if f.state == RUNNING]
    n_on_host = [0] * len(hosts)
    for slot, j in running:
        n_on_host[tasks[slot].fragments[j].host] += 1
    busy_core_s = [0.0] * len(hosts)  # core-seconds of compute done on each host
    done: list[tuple[int, int]] = []   # (task slot, fragment index) of finished fragments
    for slot, j in running:
        fragment = tasks[slot].fragments[j]
        host = hosts[fragment.host]
        # Processor sharing: at most one core each, fewer when crowded; the share
        # does not grow when a neighbour finishes mid-interval.
        share = min(1.0, host.cores / n_on_host[fragment.host])
        rate = share * host.speed  # single-core seconds of work done per second
        budget = dt
        # (a) pending transfers: input, or a migration's memory image;
        transfer = min(budget, fragment.delay)
        fragment.delay -= transfer
        budget -= transfer
        # (b) compute;
        compute = min(budget, fragment.work / rate)
        fragment.work = max(fragment.work - compute * rate, 0.0)
        budget -= compute
        # (c) the output transfer, which can only start once the compute is done.
        if fragment.work <= EPS:
            output = min(budget, fragment.out_s)
            fragment.out_s -= output
            budget -= output
        fragment.finish = t + (dt - budget) / dt
        busy_core_s[fragment.host] += compute * share
        if fragment.delay <= EPS and fragment.work <= EPS and fragment.out_s <= EPS:
            done.append((slot, j))
    host_util = [min(busy_core_s[h] / (hosts[h].cores * dt), 1.0) for h in range(len(hosts))]

    # 4. Complete: free what finished, unblock chains, let whole tasks leave. ------
    for slot, j in done:
        fragment = tasks[slot].fragments[j]
        host = hosts[fragment.host]
        host.ram_used = max(host.ram_used - fragment.ram, 0.0)
        host.disk_used = max(host.disk_used - fragment.disk, 0.0)
        fragment.state = DONE
    for slot, j in done:
        task = tasks[slot]
        # A chain's next fragment may be placed from the next interval on.
        if j + 1 < len(task.fragments) and task.fragments[j + 1].state == BLOCKED:
            task.fragments[j + 1].state = READY
        # The task ends with its latest fragment (earlier intervals' finishes are <= t).
        task.finish = max(task.finish, task.fragments[j].finish)
    finished: list[FinishedTask] = []
    for slot, task in enumerate(tasks):
        if task is None or task.split is None or not all(f.state == DONE for f in task.fragments):
            continue
        response = task.finish - task.arrival
        finished.append(FinishedTask(
            task_id=task.task_id, app=task.app, split=task.split, response=response,
            wait=task.start - task.arrival, sla=task.sla, sla_met=response <= task.sla,
            accuracy=task.accuracy[params.network_of_split[task.split]]))
        tasks[slot] = None  # the slot is free for the next arrival

    # 5. Score the interval (Eq. 8). -----------------------------------------------
    host_power = [power_w(u) for u in host_util]
    energy = sum(host_power) * dt
    max_energy = len(hosts) * PI4B_POWER_W[-1] * dt
    aec = energy / max_energy
    if finished:
        n = len(finished)
        qos = sum((float(f.sla_met) + f.accuracy) / 2 for f in finished) / n
        art = sum(min(f.response, params.response_norm) / params.response_norm for f in finished) / n
    else:
        qos = art = 0.0  # nobody left: the sums of Eq. 3/4 are empty
    reward = qos - params.alpha * aec - params.beta * art

    state.t = t + 1
    result = IntervalResult(
        finished=finished, host_util=host_util, host_power_w=host_power, energy_j=energy,
        max_energy_j=max_energy, qos=qos, aec=aec, art=art, reward=reward, placements=placements,
        migrations=migrations, infeasible=infeasible, ignored=ignored)
    return state, result
