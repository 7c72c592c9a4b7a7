"""One scheduling interval of the emulated edge cluster: admit, place, migrate, run, complete.

The engine holds the state in flat numpy arrays indexed by *task slots* (``T``)
and *fragment slots* (``T x 5``: fragment j of the task in slot k is slot
``5k + j``). An interval (``EdgeEngine.step``) does, in order:

1. **Split** every new task (arrived during the previous interval): its fragments
   appear in its fragment slots; the first (chain) or all (parallel) are *ready*.
2. **Place** the fragments the action names, in slot order, each only if it fits
   the host's free RAM and disk at that moment (sequential admission as in the
   authors' code). A ready fragment is allocated; a running one is migrated, paying
   its memory image over both links (via the broker) before it progresses; its old
   host's memory is held until the copy is done, so it is not reused by other
   placements of the same interval. A placement that does not fit is not carried
   out: the fragment keeps waiting and is offered again next interval.
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

from dataclasses import dataclass

import numpy as np

from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK, NETWORK_OF_SPLIT, SplitPlaceConfig
from splitplace_env.core import cluster, kernels, metrics, network
from splitplace_env.core.mobility import make_mobility
from splitplace_env.core.profiles import fragment_tables, load_profile_document
from splitplace_env.core.workload import ACCURACY_MODES, Workload

# Fragment states.
EMPTY, BLOCKED, READY, RUNNING, DONE = 0, 1, 2, 3, 4
_EPS = 1e-9
F = MAX_FRAGMENTS_PER_TASK


def _nonzero(mask: np.ndarray) -> np.ndarray:
    """Indices of the true entries of a 1-D mask (cheaper than ``np.flatnonzero``)."""
    return mask.nonzero()[0]


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
        profile_doc: a profile document (default: the one ``cfg.profile`` names).
    """

    def __init__(self, cfg: SplitPlaceConfig, profile_doc: dict | None = None) -> None:
        self.cfg = cfg
        doc = profile_doc if profile_doc is not None else load_profile_document(cfg.profile)
        self.hosts = cluster.build_hosts(cfg)
        self.n_hosts = self.hosts.n
        self.n_tasks = cfg.max_tasks
        self.n_frags = cfg.max_tasks * F
        self.n_splits = cfg.n_splits

        # Per (application index, split index) fragment tables, padded to F (public,
        # read-only: the env shell and the per-decision view compute demands from them):
        # split_nfrag fragments, split_chain precedence, and per fragment split_work
        # (single-core s/sample), split_weights (MB), split_in / split_out / split_peak
        # (MB/sample).
        A, S = len(APPLICATIONS), self.n_splits
        tables = fragment_tables(doc, cfg.applications, cfg.split_modes)
        self.split_nfrag = np.zeros((A, S), dtype=np.int64)
        self.split_chain = np.zeros((A, S), dtype=bool)
        self._split_f = np.zeros((len(kernels.SPLIT_FLOAT), A, S, F))  # rows: kernels.SPLIT_FLOAT
        self._host_static = np.stack([getattr(self.hosts, k) for k in kernels.HOST_STATIC]).astype(np.float64)
        self._bind_static_views()
        for (app, mode), t in tables.items():
            a, s = APPLICATIONS.index(app), cfg.split_modes.index(mode)
            n = t.n_fragments
            self.split_nfrag[a, s], self.split_chain[a, s] = n, t.chain
            self.split_work[a, s, :n] = t.work_s_per_sample
            self.split_weights[a, s, :n] = t.weights_mb
            self.split_in[a, s, :n] = t.in_mb_per_sample
            self.split_out[a, s, :n] = t.out_mb_per_sample
            self.split_peak[a, s, :n] = t.peak_mb_per_sample
        # Which accuracy column each split mode reads.
        self._acc_col = np.array([ACCURACY_MODES.index(NETWORK_OF_SPLIT[m])
                                  for m in cfg.split_modes])
        acc = np.zeros((A, len(ACCURACY_MODES)))
        batches = [np.array([1], dtype=np.int64)] * A
        for app in cfg.applications:
            a = APPLICATIONS.index(app)
            e = doc["applications"][app]
            acc[a] = [e["accuracy"][m] for m in ACCURACY_MODES]
            batches[a] = np.array(e["batch_choices"], dtype=np.int64)
        self._acc_table, self.batch_choices = acc, batches

        self.max_energy_j = cluster.max_energy_j(self.n_hosts, cfg.interval_s)
        self.idle_energy_j = cluster.idle_energy_j(self.n_hosts, cfg.interval_s)
        # Largest single-fragment demands: the observation's scales.
        self.ram_scale = float(self.hosts.ram_mb.max())
        self.disk_scale = float(self.hosts.disk_mb.max())
        self.work_scale = float(self.split_work.max() * max(int(b.max()) for b in batches) * cfg.compute_scale)
        params = {"n_splits": self.n_splits, "interval_s": cfg.interval_s, "compute_scale": cfg.compute_scale,
                  "transfer_compression": cfg.transfer_compression,
                  "runtime_overhead_mb": cfg.runtime_overhead_mb,
                  "stream_chunk_samples": cfg.stream_chunk_samples, "max_energy_j": self.max_energy_j,
                  "alpha": cfg.alpha, "beta": cfg.beta, "response_norm": cfg.response_norm}
        #: The kernels' constant inputs: scalar parameters (``kernels.PARAMS``), fragment
        #: tables and host specs, in the order the kernels take them.
        self.kernel_tables = (np.array([params[k] for k in kernels.PARAMS], dtype=np.float64),
                              self.split_nfrag, self.split_chain, self._split_f, self._host_static)
        self._live = None
        self._seeded = False
        if cfg.backend == "numba" and not kernels.AVAILABLE:
            raise ValueError("backend='numba' needs the numba package (pip install numba); "
                             "use backend='auto' or 'numpy' without it")
        #: "numba" (compiled kernels, the default when numba is installed) or "numpy"
        #: (the vectorised reference implementation of the phases below).
        self.backend = "numba" if cfg.backend != "numpy" and kernels.AVAILABLE else "numpy"

    # ------------------------------------------------------------------ reset
    def reset(self, seed: int | None) -> None:
        """Starts a new episode; ``seed`` fixes every random stream."""
        ss = np.random.SeedSequence(seed)
        wl_ss, mob_ss, acc_ss, live_ss = ss.spawn(4)
        self.workload = Workload(self.cfg, self._acc_table, self.batch_choices,
                                 np.random.default_rng(wl_ss), np.random.default_rng(acc_ss))
        self.mobility = make_mobility(self.cfg.mobility, self.n_hosts, self.hosts.mobile,
                                      np.random.default_rng(mob_ss), self.cfg.interval_s)
        self._live_rng = np.random.default_rng(live_ss)
        if self.cfg.live_inference and self._live is None:
            from splitplace_env.nets.live import LiveInference  # torch only when asked for

            self._live = LiveInference()
        T, NF, H = self.n_tasks, self.n_frags, self.n_hosts
        self.t = 0
        self.next_task_id = 0      # tasks arrived so far (ids are 0..next_task_id-1)
        self.n_admitted = 0        # ids below this have had a slot; the rest are the backlog
        self.n_finished_total = 0
        # The state lives in a few packed blocks (rows named in ``kernels``); the named
        # arrays (``task_active``, ``frag_ram``...) are views of their rows, so the numpy
        # phases and the compiled kernels change the same memory.
        self._task_b = np.zeros((len(kernels.TASK_BOOL), T), dtype=bool)        # active, new
        self._task_i = np.zeros((len(kernels.TASK_INT), T), dtype=np.int64)     # id, app, batch, split, left
        self._task_f = np.zeros((len(kernels.TASK_FLOAT), T))                   # sla, arrival, start, finish
        self.task_acc = np.zeros((T, len(ACCURACY_MODES)))
        self.frag_state = np.zeros(NF, dtype=np.int8)
        self.frag_host = np.full(NF, -1, dtype=np.int64)
        self._frag_f = np.zeros((len(kernels.FRAG_FLOAT), NF))  # work, delay, transfers, sizes, finish
        self._host_used = np.zeros((len(kernels.HOST_USED), H))  # RAM, disk in use
        # Work arrays of the compiled kernels (contents never outlive a step).
        self._scratch_i = np.zeros((3, NF), dtype=np.int64)      # candidates, their hosts, done
        self._cand_ok = np.zeros(NF, dtype=bool)
        self._host_scratch = np.zeros((4, H))
        self._task_scratch = np.zeros(T)
        self._n_on = np.zeros(H, dtype=np.int64)
        self._fin_i = np.zeros((4, T), dtype=np.int64)
        self._fin_f = np.zeros((5, T))
        self._pend_i = np.zeros((4, T), dtype=np.int64)   # new tasks: slot, id, app, batch
        self._pend_f = np.zeros(T)                         # and SLA
        self._n_pending = 0
        self._ready_count = 0  # kept by the compiled kernel (no fragments yet)
        self._bind_state_views()
        self.task_id[:] = -1
        self.task_split[:] = -1
        self.task_start[:] = np.nan
        # Per-host outputs of the last interval; each step makes new ones (info keeps the old).
        self.host_util, self.host_net_util, self.host_power_w = np.zeros((len(kernels.HOST_OUT), H))
        self.host_power_w[:] = cluster.power_w(self.host_util)
        self._link_t0 = -1
        self._update_links()
        self._admit()
        self._seeded = True

    def _bind_static_views(self) -> None:
        """Names the rows of the packed fragment tables (``split_work`` ...)."""
        for name, row in zip(kernels.SPLIT_FLOAT, self._split_f):
            setattr(self, name, row)

    def _bind_state_views(self) -> None:
        """Names the rows of the packed state blocks and collects the kernels' arguments."""
        for names, block in ((kernels.TASK_BOOL, self._task_b), (kernels.TASK_INT, self._task_i),
                             (kernels.TASK_FLOAT, self._task_f), (kernels.FRAG_FLOAT, self._frag_f),
                             (kernels.HOST_USED, self._host_used)):
            for name, row in zip(names, block):
                setattr(self, name, row)
        #: The state blocks in the order the kernels take them (host RAM/disk in use,
        #: task bools, ints, floats, fragment states, hosts, floats).
        self.state_blocks = (self._host_used, self._task_b, self._task_i, self._task_f, self.frag_state,
                             self.frag_host, self._frag_f)
        # The interval kernel's arguments that stay the same objects all episode.
        self._interval_args = (
            *self.kernel_tables, self._acc_col, cluster.UTIL_GRID, cluster.PI4B_POWER_W, *self.state_blocks,
            self.task_acc, self._scratch_i, self._cand_ok, self._host_scratch, self._task_scratch, self._n_on,
            self._fin_i, self._fin_f, self._pend_i, self._pend_f)

    def __setstate__(self, state: dict) -> None:
        # Pickling copies each view on its own: name the rows of the restored blocks again.
        self.__dict__.update(state)
        self._bind_static_views()
        if self._seeded:
            self._bind_state_views()

    # ------------------------------------------------------------------ step
    def step(self, splits: np.ndarray, hosts: np.ndarray) -> StepResult:
        """Runs one interval with the given split and host entries.

        Args:
            splits: (T,) int, split index per task slot (used where the slot is new).
            hosts: (T*5,) int, 0 = leave as is, h in 1..H = host h-1, per fragment slot.
        """
        if not self._seeded:
            raise RuntimeError("call reset() before step()")
        if self.backend == "numba":
            return self._compiled_step(splits, hosts)
        ignored = self._apply_splits(splits)
        placements, migrations, infeasible, ign = self._apply_placements(hosts)
        ignored += ign
        util = self._run_interval()
        finished = self._complete()
        self.host_power_w = cluster.power_w(util)
        energy = float(self.host_power_w.sum() * self.cfg.interval_s)
        rewards = metrics.interval_reward(finished, energy, self.max_energy_j, self.cfg)
        self.t += 1
        self._update_links()
        n_new = self._admit()
        return StepResult(energy, util, finished, n_new, migrations, placements, infeasible, ignored, rewards)

    def _update_links(self) -> None:
        """Positions and links of interval ``t``; links computed once per mobility chunk."""
        t0, table = self.mobility.window(self.t)
        if t0 != self._link_t0:
            self._link_t0 = t0
            self._bw_table, self._lat_table = network.link_quality(table, self.hosts.mobile)
        i = self.t - t0
        self.positions = table[i]
        self.bandwidth, self.latency = self._bw_table[i], self._lat_table[i]

    # ------------------------------------------------------------------ phases
    def _compiled_step(self, splits: np.ndarray, hosts: np.ndarray) -> StepResult:
        """One interval by the compiled kernel (``core/kernels.py``): phases 1-4, the
        reward and the admission of phase 5, with the same results as the numpy phases
        below; the clock and the links advance here."""
        # One dtype and layout: anything else would compile another specialisation of the kernel.
        splits = np.ascontiguousarray(splits, dtype=np.int64)
        hosts = np.ascontiguousarray(hosts, dtype=np.int64)
        wl = self.workload
        arrived = wl.arrived_by_end_of(self.t + 1)  # tasks that arrive during this interval
        # Fresh per-host outputs: the previous step's info still holds the old ones.
        out = np.empty((len(kernels.HOST_OUT), self.n_hosts))
        self.host_util, self.host_net_util, self.host_power_w = out
        util = self.host_util
        (placements, migrations, infeasible, ignored, n_fin, energy, reward, qos, aec, art, admitted,
         self._ready_count) = kernels.interval(
            splits, hosts, self.t, self.bandwidth, self.latency, out, self.n_admitted, arrived - self.n_admitted,
            wl.base, wl.app, wl.batch, wl.sla, wl.created, wl.accuracy, *self._interval_args)
        self.t += 1
        n_new = self._book_arrivals(arrived, admitted)
        self._update_links()
        if n_fin == 0:
            finished = dict(_EMPTY_FINISHED)
        else:
            finished = self._finished_arrays(n_fin)
        if self._live is not None and n_fin:  # measured accuracies change QoS: the reference computes it
            rewards = metrics.interval_reward(finished, energy, self.max_energy_j, self.cfg)
        else:
            rewards = {"reward": reward, "qos": qos, "aec": aec, "art": art, "n_finished": float(n_fin)}
        return StepResult(energy, util, finished, n_new, migrations, placements, infeasible, ignored, rewards)

    def _finished_arrays(self, n_fin: int) -> dict[str, np.ndarray]:
        """The finished tasks the kernel wrote, as fresh arrays (``StepResult.finished``)."""
        self.n_finished_total += n_fin
        fi = self._fin_i[:, :n_fin].copy()
        ff = self._fin_f[:, :n_fin].copy()
        acc = ff[4]
        if self._live is not None:
            acc = self._live_accuracy(fi[1], fi[2], fi[3], acc)
        return {"task_id": fi[0], "app": fi[1], "split": fi[2], "response": ff[0], "wait": ff[1],
                "sla": ff[2], "sla_met": ff[3] > 0.5, "accuracy": acc}

    def _apply_splits(self, splits: np.ndarray) -> int:
        new = _nonzero(self.task_new)
        ignored = int(np.count_nonzero(splits[~self.task_new]))  # 0 is the no-op there
        if new.size == 0:
            return ignored
        s = splits[new]
        bad = (s < 0) | (s >= self.n_splits)
        if bad.any():  # out of range: ignored, counted, and the first split mode taken
            ignored += int(bad.sum())
            s = np.where(bad, 0, s)
        a, b = self.task_app[new], self.task_batch[new]
        n = self.split_nfrag[a, s]
        j = np.arange(F)
        exists = j[None, :] < n[:, None]
        state = np.where(self.split_chain[a, s][:, None] & (j[None, :] > 0), BLOCKED, READY)
        idx = (new[:, None] * F + j[None, :]).ravel()
        ram, disk, in_mb, out_mb, work = self.demands(a, s, b)
        self.frag_state[idx] = np.where(exists, state, EMPTY).ravel()
        self.frag_host[idx] = -1
        self.frag_work[idx] = work.ravel()
        self.frag_work_total[idx] = work.ravel()
        self.frag_ram[idx] = np.where(exists, ram, 0.0).ravel()
        self.frag_disk[idx] = np.where(exists, disk, 0.0).ravel()
        self.frag_in_mb[idx] = in_mb.ravel()
        self.frag_out_mb[idx] = out_mb.ravel()
        self.frag_delay[idx] = 0.0
        self.frag_out_s[idx] = 0.0
        self.task_split[new] = s
        self.task_left[new] = n
        self.task_new[new] = False
        return ignored

    def demands(self, a: np.ndarray, s: np.ndarray, b: np.ndarray):
        """RAM, disk, input and output MB and single-core compute seconds of the
        fragments of (app a, split s, batch b) (``kernels.fragment_demand`` per fragment).

        Arguments broadcast together to a shape X; results have shape X + (5,)
        (zeros past a split's last fragment, except RAM's constant overhead).
        """
        cfg = self.cfg
        b = np.asarray(b)[..., None]
        comp = b * cfg.transfer_compression
        w = self.split_weights[a, s]
        ram = cfg.runtime_overhead_mb + w + np.minimum(b, cfg.stream_chunk_samples) * self.split_peak[a, s]
        in_mb = self.split_in[a, s] * comp
        out_mb = self.split_out[a, s] * comp
        work = self.split_work[a, s] * (b * cfg.compute_scale)
        return ram, w + in_mb + out_mb, in_mb, out_mb, work

    def ready_at_split(self, a: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Fragments of (app a, split s) that are ready as soon as the split is made:
        the first of a chain, every branch of a parallel split."""
        return np.where(self.split_chain[a, s], 1, self.split_nfrag[a, s])

    def _apply_placements(self, hosts: np.ndarray) -> tuple[int, int, int, int]:
        H = self.n_hosts
        nz = _nonzero(hosts)
        if nz.size == 0:
            return 0, 0, 0, 0
        target = hosts[nz] - 1
        st = self.frag_state[nz]
        movable = ((st == READY) | (st == RUNNING)) & (target >= 0) & (target < H)
        ignored = int(nz.size - np.count_nonzero(movable))
        # A running fragment sent to its own host is a no-op, not an error.
        todo = movable & ~((st == RUNNING) & (self.frag_host[nz] == target))
        f, h = nz[todo], target[todo]
        if f.size == 0:
            return 0, 0, 0, ignored
        ram, disk = self.frag_ram[f], self.frag_disk[f]
        mig = self.frag_state[f] == RUNNING
        old = self.frag_host[f]
        accept = self._admission(h, ram, disk)
        n_acc = int(accept.sum())
        if n_acc == 0:
            return 0, 0, int(f.size), ignored
        fa, ha, ra, da = f[accept], h[accept], ram[accept], disk[accept]
        bw, lat = self.bandwidth, self.latency
        self.ram_used += np.bincount(ha, ra, minlength=H)
        self.disk_used += np.bincount(ha, da, minlength=H)
        ma = mig[accept]
        n_mig = int(ma.sum())
        if n_mig:  # the memory image goes old host -> broker -> new host
            fm, om, hm, rm = fa[ma], old[accept][ma], ha[ma], ra[ma]
            self.ram_used -= np.bincount(om, rm, minlength=H)
            self.disk_used -= np.bincount(om, da[ma], minlength=H)
            self.frag_delay[fm] += rm / bw[om] + lat[om] + rm / bw[hm] + lat[hm]
        pa = ~ma
        if n_acc > n_mig:  # new allocations move their input from the broker first
            fp, hp = fa[pa], ha[pa]
            self.frag_state[fp] = RUNNING
            self.frag_delay[fp] = self.frag_in_mb[fp] / bw[hp] + lat[hp]
            k = fp // F
            started = k[np.isnan(self.task_start[k])]
            self.task_start[started] = float(self.t)
        self.frag_host[fa] = ha
        self.frag_out_s[fa] = self.frag_out_mb[fa] / bw[ha] + lat[ha]
        return n_acc - n_mig, n_mig, int(f.size) - n_acc, ignored

    def _admission(self, h: np.ndarray, ram: np.ndarray, disk: np.ndarray) -> np.ndarray:
        """Which placements are carried out, as if admitted one by one in slot order.

        A migrating fragment holds its old host's memory until its image has been
        copied, so memory it frees is not available to other placements of the same
        interval; hosts are then independent and only a host whose candidates'
        total demand overflows its free capacity needs the sequential pass.
        """
        H = self.n_hosts
        free_ram = self.hosts.ram_mb - self.ram_used + _EPS
        free_disk = self.hosts.disk_mb - self.disk_used + _EPS
        ok_host = ((np.bincount(h, ram, minlength=H) <= free_ram)
                   & (np.bincount(h, disk, minlength=H) <= free_disk))
        accept = ok_host[h]
        seq = _nonzero(~accept)
        if seq.size:
            fr, fd = free_ram.tolist(), free_disk.tolist()
            for i, hh, r, d in zip(seq.tolist(), h[seq].tolist(), ram[seq].tolist(), disk[seq].tolist()):
                if r <= fr[hh] and d <= fd[hh]:
                    fr[hh] -= r
                    fd[hh] -= d
                    accept[i] = True
        return accept

    def _run_interval(self) -> np.ndarray:
        H, dt = self.n_hosts, self.cfg.interval_s
        run = _nonzero(self.frag_state == RUNNING)
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
            H = self.n_hosts
            self.ram_used -= np.bincount(h, self.frag_ram[done], minlength=H)
            self.disk_used -= np.bincount(h, self.frag_disk[done], minlength=H)
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
            # Latest finish per task: earlier intervals' finishes are all <= t, and with
            # duplicate indices the last assignment wins, so sort by finish time first.
            fin_t = self.frag_finish[done]
            order = np.argsort(fin_t, kind="stable")
            self.task_finish[k[order]] = fin_t[order]
            self.task_left -= np.bincount(k, minlength=self.n_tasks)
        fin = _nonzero(self.task_active & (self.task_left == 0) & (self.task_split >= 0))
        if fin.size == 0:
            return dict(_EMPTY_FINISHED)
        split = self.task_split[fin]
        acc = self.task_acc[fin, self._acc_col[split]]
        if self._live is not None:
            acc = self._live_accuracy(self.task_app[fin], split, self.task_batch[fin], acc)
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
        for arr in (self.frag_work, self.frag_work_total, self.frag_ram, self.frag_disk,
                    self.frag_in_mb, self.frag_out_mb):  # empty slots read as zeros
            arr[frag_idx] = 0.0
        self.n_finished_total += fin.size
        return out

    def _live_accuracy(self, app: np.ndarray, split: np.ndarray, batch: np.ndarray,
                       acc: np.ndarray) -> np.ndarray:
        """Accuracy of finished tasks measured by running the real split models."""
        acc = acc.copy()
        for i, (a, s, b) in enumerate(zip(app.tolist(), split.tolist(), batch.tolist())):
            measured = self._live.accuracy(APPLICATIONS[a], self.cfg.split_modes[s], int(b), self._live_rng)
            if measured is not None:
                acc[i] = measured
        return acc

    def _admit(self) -> int:
        """Adds the tasks that arrived during the last interval to the FIFO backlog
        (a range of ids), then moves backlog tasks into free slots in id order.

        Tasks created in workload interval ``t`` are seen at the start of interval
        ``t`` with arrival time ``t - 1`` (they arrived during the previous interval).
        """
        wl = self.workload
        arrived = wl.arrived_by_end_of(self.t)
        waiting = arrived - self.n_admitted
        m = 0
        if waiting and self.backend == "numba":
            m = kernels.admit(self.n_admitted, waiting, wl.base, wl.app, wl.batch, wl.sla, wl.created,
                              wl.accuracy, self._pend_i, self._pend_f, self._task_b, self._task_i, self._task_f,
                              self.task_acc)
        elif waiting:
            free = _nonzero(~self.task_active)[:waiting]
            m = free.size
            if m:
                ids = np.arange(self.n_admitted, self.n_admitted + m)
                rows = ids - wl.base
                self.task_active[free] = True
                self.task_new[free] = True
                self.task_id[free] = ids
                self.task_app[free] = wl.app[rows]
                self.task_batch[free] = wl.batch[rows]
                self.task_sla[free] = wl.sla[rows]
                self.task_arrival[free] = wl.created[rows] - 1.0
                self.task_start[free] = np.nan
                self.task_finish[free] = 0.0
                self.task_split[free] = -1
                self.task_left[free] = 0
                self.task_acc[free] = wl.accuracy[rows]
        return self._book_arrivals(arrived, m)

    def _book_arrivals(self, arrived: int, admitted: int) -> int:
        """Records ``arrived`` tasks so far and ``admitted`` new slot holders (who are the
        tasks awaiting a split); returns the tasks that arrived since the last call."""
        n_new = arrived - self.next_task_id
        self.next_task_id = arrived
        self._n_pending = admitted
        if admitted:
            self.n_admitted += admitted
            self.workload.release(self.n_admitted, self.t)
        return n_new

    @property
    def backlog(self) -> int:
        """Arrived tasks still waiting for a task slot."""
        return self.next_task_id - self.n_admitted

    # ------------------------------------------------------------------ views
    def task_counts(self) -> dict[str, int]:
        """Arrived tasks by status: waiting (backlog or no fragment running), running, finished."""
        running_tasks = np.zeros(self.n_tasks, dtype=bool)
        run = _nonzero(self.frag_state == RUNNING)
        running_tasks[run // F] = True
        active = int(self.task_active.sum())
        running = int((running_tasks & self.task_active).sum())
        return {
            "arrived": int(self.next_task_id),
            "waiting": self.backlog + active - running,
            "running": running,
            "finished": int(self.n_finished_total),
        }

    @property
    def n_ready(self) -> int:
        """Fragments ready to be placed (the compiled kernel counts them as the interval ends)."""
        if self.backend == "numba":
            return self._ready_count
        return int(np.count_nonzero(self.frag_state == READY))

    def queue_length(self) -> int:
        """Fragments ready but not placed, plus tasks without a slot."""
        return self.n_ready + self.backlog

    def pending(self) -> dict[str, np.ndarray]:
        """New tasks awaiting a split in the next step (fresh arrays, slot order):
        ``slot``, ``task_id``, ``app``, ``sla``, ``batch``."""
        if self.backend == "numba":  # exactly the tasks the last admission let in
            m = self._n_pending
            p = self._pend_i[:, :m].copy()
            return {"slot": p[0], "task_id": p[1], "app": p[2], "sla": self._pend_f[:m].copy(), "batch": p[3]}
        new = _nonzero(self.task_new)
        return {"slot": new, "task_id": self.task_id[new], "app": self.task_app[new],
                "sla": self.task_sla[new], "batch": self.task_batch[new]}


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
