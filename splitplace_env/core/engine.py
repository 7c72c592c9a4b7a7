"""One scheduling interval of the emulated edge cluster: admit, place, migrate, run, complete.

The engine holds the state in flat numpy arrays indexed by *task slots* (``T``)
and *fragment slots* (``T x 5``: fragment j of the task in slot k is slot
``5k + j``). An interval (``EdgeEngine.step``) does, in order:

1. **Split** every new task (arrived during the previous interval): its fragments
   appear in its fragment slots; the first (chain) or all (parallel) are *ready*.
2. **Place** the fragments the action names, in slot order, each only if it fits
   the host's free RAM and disk at that moment (sequential admission as in the
   authors' code). A ready fragment is allocated; a running one is migrated, paying
   its memory image over both links (via the broker) before it progresses. A
   placement that does not fit is not carried out: the fragment keeps waiting and
   is offered again next interval.
3. **Run** all placed fragments for ``interval_s`` seconds. A fragment first moves
   its input from the broker, then computes, then moves its output back. A fragment
   uses one core; when a host has more fragments than cores they share the cores
   equally (processor sharing, shares fixed at the interval's start as in COSCO).
4. **Complete**: finished fragments free their resources at the interval's end; a
   chain's next fragment becomes ready for the next interval (so a 4-fragment
   chain spans at least 4 intervals). A task finishes with its last fragment:
   response = finish - arrival, wait = first start - arrival, both in intervals.
5. **Advance**: hosts move, links change, and the tasks that arrived during the
   interval join the FIFO backlog and take free task slots; beyond the slots they
   wait in the backlog (never dropped).

The engine has no Gym in it; ``splitplace_env.env`` is the thin shell around it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK, SplitPlaceConfig
from splitplace_env.core import cluster, metrics, network
from splitplace_env.core.mobility import make_mobility
from splitplace_env.core.profiles import fragment_tables, load_profile_document
from splitplace_env.core.workload import ACCURACY_MODES, Workload

# Fragment states.
EMPTY, BLOCKED, READY, RUNNING, DONE = 0, 1, 2, 3, 4
_EPS = 1e-9
F = MAX_FRAGMENTS_PER_TASK


@dataclass
class StepResult:
    """What one interval produced (all plain numbers / arrays)."""

    energy_j: float
    host_util: np.ndarray
    finished: dict[str, np.ndarray]
    n_new: int
    migrations: int
    placements: int
    infeasible: int
    ignored: int
    rewards: dict[str, float]


class EdgeEngine:
    """The emulated cluster. Call ``reset(seed)`` before the first ``step``.

    Args:
        cfg: validated configuration.
        profile_doc: a profile document (default: the shipped ``profiles.json``).
    """

    def __init__(self, cfg: SplitPlaceConfig, profile_doc: dict | None = None) -> None:
        self.cfg = cfg
        doc = profile_doc if profile_doc is not None else load_profile_document()
        self.hosts = cluster.build_hosts(cfg)
        self.n_hosts = self.hosts.n
        self.n_tasks = cfg.max_tasks
        self.n_frags = cfg.max_tasks * F
        self.n_splits = cfg.n_splits

        # Per (application index, split index) fragment tables, padded to F.
        A, S = len(APPLICATIONS), self.n_splits
        tables = fragment_tables(doc, cfg.applications, cfg.split_modes)
        self._nfrag = np.zeros((A, S), dtype=np.int64)
        self._chain = np.zeros((A, S), dtype=bool)
        self._work = np.zeros((A, S, F))
        self._weights = np.zeros((A, S, F))
        self._in = np.zeros((A, S, F))
        self._out = np.zeros((A, S, F))
        self._peak = np.zeros((A, S, F))
        for (app, mode), t in tables.items():
            a, s = APPLICATIONS.index(app), cfg.split_modes.index(mode)
            n = t.n_fragments
            self._nfrag[a, s], self._chain[a, s] = n, t.chain
            self._work[a, s, :n] = t.work_s_per_sample
            self._weights[a, s, :n] = t.weights_mb
            self._in[a, s, :n] = t.in_mb_per_sample
            self._out[a, s, :n] = t.out_mb_per_sample
            self._peak[a, s, :n] = t.peak_mb_per_sample
        # Which accuracy column each split mode reads.
        self._acc_col = np.array([ACCURACY_MODES.index(m if m in ACCURACY_MODES else "layer")
                                  for m in cfg.split_modes])
        acc = np.zeros((A, len(ACCURACY_MODES)))
        batches = [np.array([1], dtype=np.int64)] * A
        for app in cfg.applications:
            a = APPLICATIONS.index(app)
            e = doc["applications"][app]
            acc[a] = [e["accuracy"][m] for m in ACCURACY_MODES]
            batches[a] = np.array(e["batch_choices"], dtype=np.int64)
        self._acc_table, self._batch_choices = acc, batches

        self.max_energy_j = cluster.max_energy_j(self.n_hosts, cfg.interval_s)
        self.idle_energy_j = cluster.idle_energy_j(self.n_hosts, cfg.interval_s)
        # Largest single-fragment demands: the observation's scales.
        self.ram_scale = float(self.hosts.ram_mb.max())
        self.disk_scale = float(self.hosts.disk_mb.max())
        self.work_scale = float(self._work.max() * max(int(b.max()) for b in batches))
        self._live = None
        self._seeded = False

    # ------------------------------------------------------------------ reset
    def reset(self, seed: int | None) -> None:
        """Starts a new episode; ``seed`` fixes every random stream."""
        ss = np.random.SeedSequence(seed)
        wl_ss, mob_ss, acc_ss, live_ss = ss.spawn(4)
        self.workload = Workload(self.cfg, self._acc_table, self._batch_choices,
                                 np.random.default_rng(wl_ss), np.random.default_rng(acc_ss))
        self.mobility = make_mobility(self.cfg.mobility, self.n_hosts, self.hosts.mobile,
                                      np.random.default_rng(mob_ss))
        self._live_rng = np.random.default_rng(live_ss)
        if self.cfg.live_inference and self._live is None:
            from splitplace_env.nets.live import LiveInference  # torch only when asked for

            self._live = LiveInference()
        T, NF, H = self.n_tasks, self.n_frags, self.n_hosts
        self.t = 0
        self.next_task_id = 0
        self.n_finished_total = 0
        # Tasks.
        self.task_active = np.zeros(T, dtype=bool)
        self.task_new = np.zeros(T, dtype=bool)
        self.task_id = np.full(T, -1, dtype=np.int64)
        self.task_app = np.zeros(T, dtype=np.int64)
        self.task_batch = np.zeros(T, dtype=np.int64)
        self.task_sla = np.zeros(T)
        self.task_arrival = np.zeros(T)
        self.task_start = np.full(T, np.nan)
        self.task_finish = np.zeros(T)
        self.task_split = np.full(T, -1, dtype=np.int64)
        self.task_left = np.zeros(T, dtype=np.int64)
        self.task_acc = np.zeros((T, len(ACCURACY_MODES)))
        # Fragments.
        self.frag_state = np.zeros(NF, dtype=np.int8)
        self.frag_host = np.full(NF, -1, dtype=np.int64)
        self.frag_work = np.zeros(NF)       # remaining single-core seconds
        self.frag_work_total = np.zeros(NF)
        self.frag_delay = np.zeros(NF)      # remaining input-transfer / migration seconds
        self.frag_out_s = np.zeros(NF)      # remaining output-transfer seconds
        self.frag_ram = np.zeros(NF)
        self.frag_disk = np.zeros(NF)
        self.frag_in_mb = np.zeros(NF)
        self.frag_out_mb = np.zeros(NF)
        self.frag_finish = np.zeros(NF)
        # Hosts.
        self.ram_used = np.zeros(H)
        self.disk_used = np.zeros(H)
        self.host_util = np.zeros(H)
        self.host_net_util = np.zeros(H)
        self.positions = self.mobility.positions
        self.bandwidth, self.latency = network.link_quality(self.positions, self.hosts.mobile)
        # Backlog of arrived tasks without a slot: (id, app, batch, sla, arrival, acc).
        self.backlog: deque[tuple] = deque()
        self._admit(self.workload.sample(), arrival=-1.0)
        self._seeded = True

    # ------------------------------------------------------------------ step
    def step(self, splits: np.ndarray, hosts: np.ndarray) -> StepResult:
        """Runs one interval with the given split and host entries.

        Args:
            splits: (T,) int, split index per task slot (used where the slot is new).
            hosts: (T*5,) int, 0 = leave as is, h in 1..H = host h-1, per fragment slot.
        """
        if not self._seeded:
            raise RuntimeError("call reset() before step()")
        ignored = self._apply_splits(splits)
        placements, migrations, infeasible, ign = self._apply_placements(hosts)
        ignored += ign
        util = self._run_interval()
        finished = self._complete()
        energy = float(np.sum(cluster.power_w(util)) * self.cfg.interval_s)
        rewards = metrics.interval_reward(finished, energy, self.max_energy_j, self.cfg)
        self.t += 1
        self.positions = self.mobility.advance(self.cfg.interval_s)
        self.bandwidth, self.latency = network.link_quality(self.positions, self.hosts.mobile)
        arrivals = self.workload.sample()
        n_new = self._admit(arrivals, arrival=float(self.t - 1))
        return StepResult(energy, util, finished, n_new, migrations, placements, infeasible, ignored, rewards)

    # ------------------------------------------------------------------ phases
    def _apply_splits(self, splits: np.ndarray) -> int:
        new = np.flatnonzero(self.task_new)
        ignored = int(np.count_nonzero(splits[~self.task_new]))  # 0 is the no-op there
        for k in new:
            s = int(splits[k])
            if not 0 <= s < self.n_splits:
                ignored += 1
                s = 0
            self._create_fragments(k, s)
        self.task_new[new] = False
        return ignored

    def _create_fragments(self, k: int, s: int) -> None:
        a, b = self.task_app[k], self.task_batch[k]
        n = self._nfrag[a, s]
        sl = slice(k * F, k * F + n)
        cfg = self.cfg
        comp = cfg.transfer_compression
        self.task_split[k] = s
        self.task_left[k] = n
        state = np.full(n, BLOCKED if self._chain[a, s] else READY, dtype=np.int8)
        state[0] = READY
        self.frag_state[sl] = state
        self.frag_host[sl] = -1
        work = self._work[a, s, :n] * b * cfg.compute_scale
        self.frag_work[sl] = work
        self.frag_work_total[sl] = work
        self.frag_ram[sl] = (cfg.runtime_overhead_mb + self._weights[a, s, :n]
                             + min(b, cfg.stream_chunk_samples) * self._peak[a, s, :n])
        self.frag_in_mb[sl] = self._in[a, s, :n] * b * comp
        self.frag_out_mb[sl] = self._out[a, s, :n] * b * comp
        self.frag_disk[sl] = self._weights[a, s, :n] + self.frag_in_mb[sl] + self.frag_out_mb[sl]
        self.frag_delay[sl] = 0.0
        self.frag_out_s[sl] = 0.0

    def _apply_placements(self, hosts: np.ndarray) -> tuple[int, int, int, int]:
        H = self.n_hosts
        nz = np.flatnonzero(hosts)
        if nz.size == 0:
            return 0, 0, 0, 0
        target = hosts[nz] - 1
        st = self.frag_state[nz]
        movable = ((st == READY) | (st == RUNNING)) & (target >= 0) & (target < H)
        ignored = int(nz.size - np.count_nonzero(movable))
        # A running fragment sent to its own host is a no-op, not an error.
        same = movable & (st == RUNNING) & (self.frag_host[nz] == target)
        todo = movable & ~same
        placements = migrations = infeasible = 0
        ram_cap, disk_cap = self.hosts.ram_mb, self.hosts.disk_mb
        ram_used, disk_used = self.ram_used, self.disk_used
        bw, lat = self.bandwidth, self.latency
        for f, h in zip(nz[todo].tolist(), target[todo].tolist()):
            ram, disk = self.frag_ram[f], self.frag_disk[f]
            if ram_used[h] + ram > ram_cap[h] + _EPS or disk_used[h] + disk > disk_cap[h] + _EPS:
                infeasible += 1
                continue
            ram_used[h] += ram
            disk_used[h] += disk
            if self.frag_state[f] == READY:
                self.frag_state[f] = RUNNING
                self.frag_delay[f] = self.frag_in_mb[f] / bw[h] + lat[h]
                k = f // F
                if np.isnan(self.task_start[k]):
                    self.task_start[k] = float(self.t)
                placements += 1
            else:  # migrate: the memory image goes old host -> broker -> new host
                old = self.frag_host[f]
                ram_used[old] -= ram
                disk_used[old] -= disk
                self.frag_delay[f] += ram / bw[old] + lat[old] + ram / bw[h] + lat[h]
                migrations += 1
            self.frag_host[f] = h
            self.frag_out_s[f] = self.frag_out_mb[f] / bw[h] + lat[h]
        return placements, migrations, infeasible, ignored

    def _run_interval(self) -> np.ndarray:
        H, dt = self.n_hosts, self.cfg.interval_s
        run = np.flatnonzero(self.frag_state == RUNNING)
        if run.size == 0:
            self.host_util = np.zeros(H)
            self.host_net_util = np.zeros(H)
            self._done = run
            return self.host_util
        h = self.frag_host[run]
        n_on = np.bincount(h, minlength=H)
        cores = self.hosts.cores
        share = np.minimum(1.0, cores[h] / n_on[h])        # cores per fragment
        rate = share * self.hosts.speed[h]                # core-seconds of work per second
        budget = np.full(run.size, dt)
        delay = self.frag_delay[run]
        d = np.minimum(budget, delay)
        budget -= d
        delay -= d
        work = self.frag_work[run]
        c = np.minimum(budget, work / rate)
        work = np.maximum(work - c * rate, 0.0)
        budget -= c
        out_s = self.frag_out_s[run]
        o = np.where(work <= _EPS, np.minimum(budget, out_s), 0.0)
        out_s = out_s - o
        budget -= o
        self.frag_delay[run] = delay
        self.frag_work[run] = work
        self.frag_out_s[run] = out_s
        done = (delay <= _EPS) & (work <= _EPS) & (out_s <= _EPS)
        self.frag_finish[run] = self.t + (dt - budget) / dt
        self.host_util = np.minimum(np.bincount(h, c * share, minlength=H) / (cores * dt), 1.0)
        self.host_net_util = np.minimum(np.bincount(h, d + o, minlength=H) / dt, 1.0)
        self._done = run[done]
        return self.host_util

    def _complete(self) -> dict[str, np.ndarray]:
        done = self._done
        if done.size:
            h = self.frag_host[done]
            np.subtract.at(self.ram_used, h, self.frag_ram[done])
            np.subtract.at(self.disk_used, h, self.frag_disk[done])
            np.maximum(self.ram_used, 0.0, out=self.ram_used)
            np.maximum(self.disk_used, 0.0, out=self.disk_used)
            self.frag_state[done] = DONE
            # A chain's next fragment becomes ready for the next interval.
            nxt = done + 1
            ok = (nxt % F != 0)
            nxt = nxt[ok]
            nxt = nxt[self.frag_state[nxt] == BLOCKED]
            self.frag_state[nxt] = READY
            k = done // F
            np.maximum.at(self.task_finish, k, self.frag_finish[done])
            np.subtract.at(self.task_left, k, 1)
        fin = np.flatnonzero(self.task_active & (self.task_left == 0) & (self.task_split >= 0))
        if fin.size == 0:
            return dict(_EMPTY_FINISHED)
        split = self.task_split[fin]
        acc = self.task_acc[fin, self._acc_col[split]]
        if self._live is not None:
            acc = self._live_accuracy(fin, split, acc)
        arrival = self.task_arrival[fin]
        response = self.task_finish[fin] - arrival
        out = {
            "task_id": self.task_id[fin].copy(),
            "app": self.task_app[fin].copy(),
            "split": split.copy(),
            "response": response,
            "wait": self.task_start[fin] - arrival,
            "sla": self.task_sla[fin].copy(),
            "sla_met": response <= self.task_sla[fin],
            "accuracy": acc,
        }
        # Free the slots.
        self.task_active[fin] = False
        self.task_split[fin] = -1
        self.task_id[fin] = -1
        frag_idx = (fin[:, None] * F + np.arange(F)[None, :]).ravel()
        self.frag_state[frag_idx] = EMPTY
        self.frag_host[frag_idx] = -1
        self.n_finished_total += fin.size
        return out

    def _live_accuracy(self, fin: np.ndarray, split: np.ndarray, acc: np.ndarray) -> np.ndarray:
        acc = acc.copy()
        for i, (k, s) in enumerate(zip(fin.tolist(), split.tolist())):
            measured = self._live.accuracy(APPLICATIONS[self.task_app[k]], self.cfg.split_modes[s],
                                           int(self.task_batch[k]), self._live_rng)
            if measured is not None:
                acc[i] = measured
        return acc

    def _admit(self, arrivals, arrival: float) -> int:
        """Queues new arrivals behind the backlog, then fills free slots FIFO."""
        n = len(arrivals)
        for i in range(n):
            self.backlog.append((self.next_task_id + i, int(arrivals.app[i]), int(arrivals.batch[i]),
                                 float(arrivals.sla[i]), arrival, arrivals.accuracy[i]))
        self.next_task_id += n
        if self.backlog:
            free = np.flatnonzero(~self.task_active)
            for k in free[: len(self.backlog)].tolist():
                tid, app, batch, sla, arr, acc = self.backlog.popleft()
                self.task_active[k] = True
                self.task_new[k] = True
                self.task_id[k] = tid
                self.task_app[k] = app
                self.task_batch[k] = batch
                self.task_sla[k] = sla
                self.task_arrival[k] = arr
                self.task_start[k] = np.nan
                self.task_finish[k] = 0.0
                self.task_split[k] = -1
                self.task_acc[k] = acc
        return n

    # ------------------------------------------------------------------ views
    def task_counts(self) -> dict[str, int]:
        """Arrived tasks by status: waiting (backlog or no fragment running), running, finished."""
        running_tasks = np.zeros(self.n_tasks, dtype=bool)
        run = np.flatnonzero(self.frag_state == RUNNING)
        running_tasks[run // F] = True
        active = int(self.task_active.sum())
        running = int((running_tasks & self.task_active).sum())
        return {
            "arrived": int(self.next_task_id),
            "waiting": len(self.backlog) + active - running,
            "running": running,
            "finished": int(self.n_finished_total),
        }

    def queue_length(self) -> int:
        """Fragments ready but not placed, plus tasks without a slot."""
        return int(np.count_nonzero(self.frag_state == READY)) + len(self.backlog)


# Read-only, handed out as a fresh dict: an empty interval allocates nothing new.
_EMPTY_FINISHED: dict[str, np.ndarray] = {
    "task_id": np.zeros(0, dtype=np.int64),
    "app": np.zeros(0, dtype=np.int64),
    "split": np.zeros(0, dtype=np.int64),
    "response": np.zeros(0),
    "wait": np.zeros(0),
    "sla": np.zeros(0),
    "sla_met": np.zeros(0, dtype=bool),
    "accuracy": np.zeros(0),
}
for _arr in _EMPTY_FINISHED.values():
    _arr.flags.writeable = False
