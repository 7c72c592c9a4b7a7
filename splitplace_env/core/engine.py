"""The emulated edge cluster: its state, and one scheduling interval at a time.

The state lives in a few packed numpy blocks indexed by *task slots* (``T``) and
*fragment slots* (``T x 5``: fragment j of the task in slot k is slot ``5k + j``);
``core/layout.py`` names their rows and the engine exposes each row as a view
(``task_active``, ``frag_ram``, ``ram_used``...). The compiled kernels of
``core/kernels.py`` are the one implementation of an interval
(``EdgeEngine.step``), which does, in order:

1. **Split** every new task (arrived during the previous interval): its fragments
   appear in its fragment slots; the first (chain) or all (parallel) are *ready*.
2. **Place** the fragments the action names, in slot order, each only if the RAM it
   books and its disk fit the host's free capacity at that moment (RAM up to RAM +
   ``swap_mb``; sequential admission as in the authors' code) and, for a new
   container, while fewer than ``max_containers`` run. A new container books its
   peak memory, or ``placeholder_mb`` until it has run an interval (then its peak;
   if that no longer fits, it is killed and waits again). A ready fragment is
   allocated and first moves its input, loads its checkpoint and decodes its input
   (``data/container_costs.json``); a running one is migrated (unless ``migration``
   is off), paying its memory image over both links (via the broker) before it
   progresses; its old host's memory is released once the interval's placements are
   decided (so it is not reused by other placements of the same interval, even if
   the copy outlasts the interval). A placement that does not fit is not carried
   out: the fragment keeps waiting and is offered again next interval.
3. **Run** all placed fragments for ``interval_s`` seconds: pending transfer, then
   compute, then the output back to the broker. A fragment uses one core; when a
   host has more fragments than cores they share the cores equally (processor
   sharing, shares fixed at the interval's start as in COSCO). **Memory**: a
   container holds its whole decoded input and its outputs as they accumulate
   (``memory_model="full_batch"``, the authors' loop) or a chunk of samples
   ("streaming"). **Swap**: what a host's running fragments hold beyond its RAM
   lives in network-attached swap; computing a share dp of its work, a fragment
   pages 2 x (excess share) x (input + output MB) x dp over the host's link, shared
   by the host's fragments, and advances only as its pages move
   (``kernels.run_fragments``).
4. **Complete**: finished fragments free their resources at the interval's end; a
   chain's next fragment becomes ready for the next interval (so a 4-fragment
   chain spans at least 4 intervals). A task finishes with its last fragment:
   response = finish - arrival, wait = first start - arrival, both in intervals.
   The interval's Eq. 8 reward (``metrics.eq8``) is computed from them.
5. **Advance**: hosts fail and recover (``fault_*`` fields, off by default:
   fragments on a host that goes down lose their progress and wait again, their
   memory freed; ``kernels.host_faults``), hosts move, links change, and the tasks that arrived during the
   interval join the FIFO backlog and take free task slots; beyond the slots they
   wait in the backlog (never dropped). The next observation is written.

The engine has no Gym in it; ``splitplace_env.env`` is the thin shell around it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK, NETWORK_OF_SPLIT, SplitPlaceConfig
from splitplace_env.core import cluster, demand, jit, kernels, layout, metrics, mobility, network, rng, workload
from splitplace_env.core.layout import BLOCKED, DONE, EMPTY, READY, RUNNING  # noqa: F401  (re-exported)
from splitplace_env.core.logs import HostLog, RecordLog, RecordView, held_only_by_caller
from splitplace_env.core.masks import action_masks
from splitplace_env.core.observation import FRAGMENT_FEATURES, GLOBAL_FEATURES, HOST_FEATURES, TASK_FEATURES_BASE
from splitplace_env.core.container_costs import load_container_costs
from splitplace_env.core.profiles import container_cost_rows, fragment_tables, load_profile_document
from splitplace_env.core.workload import ACCURACY_MODES

F = MAX_FRAGMENTS_PER_TASK
_INT64 = np.dtype(np.int64)
#: An accuracy measured for a finished task: (application, split mode, batch, rng) ->
#: fraction correct, or None to keep the drawn one (live inference, handed in by the env).
AccuracyFn = Callable[[str, str, int, np.random.Generator], "float | None"]


def episode_streams(seed: int | None) -> tuple[np.ndarray, np.random.Generator]:
    """The random streams of an episode from its seed: the kernels' generator
    states (``workload.N_STREAMS`` SplitMix64 streams) and the live-inference
    generator."""
    kernel_streams, live_stream = np.random.SeedSequence(seed).spawn(2)
    return rng.seed_states(kernel_streams, workload.N_STREAMS), np.random.default_rng(live_stream)


@dataclass(slots=True)
class StepResult:
    """What one interval produced: its energy (J), per-host CPU utilisation, the
    tasks that finished (a mapping of arrays), counts, and the Eq. 8 terms."""

    energy_j: float
    host_util: np.ndarray
    finished: Mapping[str, np.ndarray]
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
        accuracy_fn: optional measured accuracy of a finished task (``AccuracyFn``);
            where it returns a value, that value replaces the drawn accuracy and the
            interval's reward is recomputed with it.
    """

    def __init__(self, cfg: SplitPlaceConfig, profile_doc: dict | None = None,
                 accuracy_fn: AccuracyFn | None = None) -> None:
        self.cfg = cfg
        doc = profile_doc if profile_doc is not None else load_profile_document(cfg.profile)
        self.hosts = cluster.build_hosts(cfg)
        self.n_hosts = H = self.hosts.n
        self.n_tasks = T = cfg.max_tasks
        self.n_frags = T * F
        self._action_shape = (T + T * F,)
        self.n_splits = S = cfg.n_splits
        self.accuracy_fn = accuracy_fn

        # Fragment tables per (application, split, fragment), padded to F (public,
        # read-only): split_nfrag, split_chain, and per fragment split_work (single-core
        # s/sample), split_weights (MB), split_in / split_out / split_peak (MB/sample).
        A = len(APPLICATIONS)
        costs = load_container_costs() if cfg.container_costs else None
        self._split_i = np.zeros((len(layout.SPLIT_INT), A, S), dtype=np.int64)
        self._split_f = np.zeros((len(layout.SPLIT_FLOAT), A, S, F))
        for (app, mode), tab in fragment_tables(doc, cfg.applications, cfg.split_modes).items():
            a, s, n = APPLICATIONS.index(app), cfg.split_modes.index(mode), tab.n_fragments
            self._split_i[:, a, s] = n, tab.chain, ACCURACY_MODES.index(NETWORK_OF_SPLIT[mode])
            for row, values in enumerate((tab.work_s_per_sample, tab.weights_mb, tab.in_mb_per_sample,
                                          tab.out_mb_per_sample, tab.peak_mb_per_sample)):
                self._split_f[row, a, s, :n] = values
            if cfg.container_costs:
                load, per_mb, fixed = container_cost_rows(costs, app, mode)
                self._split_f[5, a, s, :n] = load
                self._split_f[6, a, s, :n] = per_mb
                self._split_f[7, a, s, :n] = fixed
        self._name_rows(self._split_i, layout.SPLIT_INT)
        self._name_rows(self._split_f, layout.SPLIT_FLOAT)
        # The workload's tables.
        acc = np.zeros((A, len(ACCURACY_MODES)))
        self.batch_choices = [np.array([1], dtype=np.int64)] * A
        for app in cfg.applications:
            a, e = APPLICATIONS.index(app), doc["applications"][app]
            acc[a] = [e["accuracy"][m] for m in ACCURACY_MODES]
            self.batch_choices[a] = np.array(e["batch_choices"], dtype=np.int64)
        self._wl_i, self._wl_f = workload.workload_tables(cfg, acc, self.batch_choices)
        self._host_spec = np.stack([np.asarray(getattr(self.hosts, k), dtype=np.float64)
                                    for k in layout.HOST_SPEC])
        self._trace = mobility.trace_table(cfg.mobility)

        self.max_energy_j = cluster.max_energy_j(self.hosts, cfg.interval_s)
        self.idle_energy_j = cluster.idle_energy_j(self.hosts, cfg.interval_s)
        # The observation's scales: the largest single-fragment demands and link figures.
        max_batch = float(max(int(b.max()) for b in self.batch_choices))
        self.scales = {
            "ram_mb": float(self.hosts.ram_mb.max()), "disk_mb": float(self.hosts.disk_mb.max()),
            "work_s": float(self.split_work.max() * max_batch * cfg.compute_scale),
            "data_mb": float(max_batch * max(self.split_in.max(), self.split_out.max())
                             * cfg.transfer_compression * 2),
            "response_intervals": cfg.response_norm, "batch": max_batch,
            "bandwidth_mbps": network.MAX_BANDWIDTH_MBPS, "latency_s": network.MAX_LATENCY_S,
            "energy_j": self.max_energy_j, "interval_s": cfg.interval_s, "power_w": float(self.hosts.power_w[:, -1].max()),
        }
        sc = self.scales
        params = {"n_splits": S, "interval_s": cfg.interval_s, "compute_scale": cfg.compute_scale,
                  "transfer_compression": cfg.transfer_compression, "runtime_overhead_mb": cfg.runtime_overhead_mb,
                  "stream_chunk_samples": cfg.stream_chunk_samples, "max_energy_j": self.max_energy_j,
                  "alpha": cfg.alpha, "beta": cfg.beta, "response_norm": cfg.response_norm,
                  "arrival_rate": cfg.arrival_rate, "min_sla": cfg.min_sla,
                  "accuracy_noise": float(cfg.accuracy_noise), "mobility_mode": mobility.mobility_mode(cfg.mobility),
                  "max_episode_steps": cfg.max_episode_steps,
                  "full_batch": float(cfg.memory_model == "full_batch"), "swap_mb": cfg.swap_mb,
                  "max_containers": cfg.max_containers, "placeholder_mb": cfg.placeholder_mb,
                  "hide_unmeasured": float(cfg.hide_unmeasured), "gauss_arrivals": float(cfg.arrival_process == "gauss"),
                  "arrival_std": cfg.arrival_std, "migration": float(cfg.migration),
                  "inv_response": 1 / sc["response_intervals"], "inv_batch": 1 / sc["batch"],
                  "inv_work": 1 / sc["work_s"], "inv_ram": 1 / sc["ram_mb"], "inv_disk": 1 / sc["disk_mb"],
                  "inv_data": 1 / sc["data_mb"], "inv_bandwidth": 1 / sc["bandwidth_mbps"],
                  "inv_latency": 1 / sc["latency_s"], "inv_power": 1 / sc["power_w"],
                  "fault_rate": cfg.fault_rate, "fault_recovery_rate": cfg.fault_recovery_rate}
        #: Scalar parameters of the kernels (rows ``layout.PARAMS``).
        self.params = np.array([params[k] for k in layout.PARAMS], dtype=np.float64)
        self.obs_shapes = {"hosts": (H, len(HOST_FEATURES)), "tasks": (T, len(TASK_FEATURES_BASE) + S),
                           "fragments": (self.n_frags, len(FRAGMENT_FEATURES)), "globals": (len(GLOBAL_FEATURES),)}
        # The arenas: the tables above copied in, the state blocks zeroed at each reset.
        # The fault trace: one column (interval, host, duration) per event; a column that
        # never fires when there is none (a block cannot be empty).
        events = np.array(cfg.fault_events, dtype=np.float64).reshape(-1, 3).T
        self._fault_events = events if events.shape[1] else np.array([[-1.0], [0.0], [0.0]])
        tables = {"params": self.params, "split_f": self._split_f, "host_spec": self._host_spec,
                  "trace": self._trace, "wl_f": self._wl_f, "power": self.hosts.power_w, "faults": self._fault_events,
                  "split_i": self._split_i, "wl_i": self._wl_i}
        shapes = {**{k: v.shape for k, v in tables.items()},
                  "host_state": (len(layout.HOST_STATE), H), "task_f": (len(layout.TASK_FLOAT), T),
                  "frag_f": (len(layout.FRAG_FLOAT), self.n_frags), "stats": (len(layout.STATS),),
                  "counters": (len(layout.COUNTERS),), "task_i": (len(layout.TASK_INT), T),
                  "frag_i": (len(layout.FRAG_INT), self.n_frags), "scratch_i": (H,)}
        rows_f = layout.arena_table(shapes, layout.ARENA_FLOAT)
        rows_i = layout.arena_table(shapes, layout.ARENA_INT)
        self._table = np.array(rows_f + rows_i, dtype=np.int64)
        self._arena_f = np.zeros(rows_f[-1][0] + rows_f[-1][1])
        self._arena_i = np.zeros(rows_i[-1][0] + rows_i[-1][1], dtype=np.int64)
        self._block_shapes = shapes
        self._bind_arena()
        for name, values in tables.items():
            getattr(self, _BLOCK_ATTR[name])[...] = values
        self._seeded = False
        self._ring_i = self._ring_f = None  # the backlog ring, made at the first reset
        self.fin_log = RecordLog(layout.FIN_INT, layout.FIN_FLOAT, T, flags=("sla_met",))
        self.pend_log = RecordLog(layout.PEND_INT, layout.PEND_FLOAT, T)
        self.host_log = HostLog(len(layout.HOST_OUT), H)
        self._obs_slots = [None, None]  # two observations' arrays, reused when nobody holds them
        self._obs_slot = 0
        self._step_args = [None, None]  # kernels.step's arguments after the action, per slot
        self._step_call = None  # kernels.step without numba's dispatch (``jit.direct_call``)
        #: Why the engine cannot step (before the first reset, or once its env is closed).
        self.not_ready_reason = "call reset() before step()"

    @property
    def mask_size(self) -> int:
        """Entries of the factored action mask: ``T*S + 5T*(H+1)``."""
        return self.n_tasks * self.n_splits + self.n_frags * (self.n_hosts + 1)

    # ------------------------------------------------------------------ reset
    def reset(self, seed: int | None) -> dict[str, np.ndarray]:
        """Starts a new episode; ``seed`` fixes every random stream. Returns the
        first observation."""
        T = self.n_tasks
        self._rng_state, self._live_rng = episode_streams(seed)
        self._task_b = np.zeros((len(layout.TASK_BOOL), T), dtype=bool)
        if self._ring_i is None:  # the ring keeps its grown size over episodes
            self._ring_i = np.zeros((len(workload.RING_INT), 64), dtype=np.int64)
            self._ring_f = np.zeros((len(workload.RING_FLOAT), 64))
        # The logs and the observation arrays outlive episodes: what no kept info or
        # observation refers to is written again, so a reset allocates nothing and
        # leaves the caches warm for the episode's first steps.
        self._step_args = [None, None]  # (they hold the logs' chunks: dropped before any restart)
        self.fin_log.restart()
        self.pend_log.restart()
        self._bind_state()
        host_out = self.host_log.next()
        kernels.clear_state(self._arena_f, self._arena_i, self._table, self._task_b, host_out,
                            self._ring_i, self._ring_f)
        kernels.first_arrivals(self._arena_f, self._arena_i, self._table, self._rng_state)
        self._make_room()
        self._obs_slot = 0
        h, tk, f, g = self.obs_arrays = self._observation_arrays(0)
        kernels.begin(self._arena_f, self._arena_i, self._table, self._task_b, self._rng_state, host_out,
                      self._ring_i, self._ring_f, self.pend_log.ints, self.pend_log.floats, self.idle_energy_j,
                      h, tk, f, g)
        self._read_result()
        self._seeded = True
        return self.obs

    def _bind_arena(self) -> None:
        """Names the arena's blocks (``_split_f``, ``counters``...) and their rows: numpy
        views at the offsets of ``self._table`` with the shapes of ``_block_shapes``, the
        blocks ``kernels.unpack`` sees."""
        names = layout.ARENA_FLOAT + layout.ARENA_INT
        for k, name in enumerate(names):
            arena = self._arena_f if k < len(layout.ARENA_FLOAT) else self._arena_i
            offset, size = int(self._table[k, 0]), int(self._table[k, 1])
            setattr(self, _BLOCK_ATTR[name], arena[offset:offset + size].reshape(self._block_shapes[name]))
        for block, names in ((self._split_i, layout.SPLIT_INT), (self._split_f, layout.SPLIT_FLOAT),
                             (self._task_i, layout.TASK_INT), (self._task_f, layout.TASK_FLOAT),
                             (self._frag_i, layout.FRAG_INT), (self._frag_f, layout.FRAG_FLOAT),
                             (self._host_state, layout.HOST_STATE)):
            self._name_rows(block, names)
        #: (T, networks) view: each task's drawn accuracy per network (``workload.ACCURACY_MODES``).
        self.task_acc = self._task_f[4:].T

    def _bind_state(self) -> None:
        """Names the rows of the per-episode blocks outside the arenas."""
        self._name_rows(self._task_b, layout.TASK_BOOL)

    def _name_rows(self, block: np.ndarray, names: tuple[str, ...]) -> None:
        for name, row in zip(names, block):
            setattr(self, name, row)

    @property
    def host_util(self) -> np.ndarray:
        """(H,) CPU utilisation of the hosts in the last interval (a view of its log row)."""
        return self.host_log.block[self.result[layout.R_HOST_ROW], 0]

    @property
    def host_net_util(self) -> np.ndarray:
        """(H,) share of the last interval each host's link was busy."""
        return self.host_log.block[self.result[layout.R_HOST_ROW], 1]

    @property
    def host_power_w(self) -> np.ndarray:
        """(H,) power (W) of the hosts in the last interval."""
        return self.host_log.block[self.result[layout.R_HOST_ROW], 2]

    @property
    def host_up(self) -> np.ndarray:
        """(H,) 1.0 for the hosts that are up now (the next interval's), 0.0 for those down."""
        return self.host_log.block[self.result[layout.R_HOST_ROW], 3]

    # The episode's counters as of the last step or reset (``result``, ``layout.COUNTERS``).
    t = property(lambda self: self.result[_R_T], doc="Intervals run in this episode.")
    next_task_id = property(lambda self: self.result[_R_ARRIVED], doc="Tasks arrived so far (the next task's id).")
    n_admitted = property(lambda self: self.result[_R_ADMITTED], doc="Tasks that have taken a task slot so far.")
    n_finished_total = property(lambda self: self.result[_R_FINISHED], doc="Tasks finished so far.")
    n_ready = property(lambda self: self.result[_R_READY], doc="Fragments ready but not placed.")

    @property
    def step_counts(self) -> tuple[int, ...]:
        """The last interval's ``layout.STEP_COUNTS``, ints."""
        return self.result[_R_STEP_COUNTS:layout.R_STATS]

    @property
    def finished(self) -> RecordView:
        """The tasks that finished in the last interval (a view of the log)."""
        r = self.result
        return self.fin_log.view(r[_R_FIN_POS] - r[_R_N_FIN], r[_R_FIN_POS])

    def pending(self) -> RecordView:
        """New tasks awaiting a split in the next step (slot order): ``slot``,
        ``task_id``, ``app``, ``batch``, ``sla``."""
        r = self.result
        return self.pend_log.view(r[_R_PEND_POS] - r[_R_N_PEND], r[_R_PEND_POS])

    @property
    def obs(self) -> dict[str, np.ndarray]:
        """The last observation: the four arrays of ``obs_arrays`` by key."""
        return dict(zip(_OBS_KEYS, self.obs_arrays))

    def _make_room(self) -> None:
        """Room for the next step's records in the logs and in the backlog ring for the
        arrivals already counted (the ring doubles, keeping every task); a new
        host-output chunk is the step's own business (``step_unchecked``: a reset's
        outputs sit in the row it just took). The step arguments hold the chunks and
        the ring: they are dropped and rebuilt at the next step."""
        self._step_args = [None, None]
        c, T = self.counters, self.n_tasks
        if c[layout.C_FIN_POS] + T > self.fin_log.capacity:
            c[layout.C_FIN_POS] = self.fin_log.room_at(int(c[layout.C_FIN_POS]))
        if c[layout.C_PEND_POS] + T > self.pend_log.capacity:
            c[layout.C_PEND_POS] = self.pend_log.room_at(int(c[layout.C_PEND_POS]))
        first, arrived = int(c[layout.C_ADMITTED]), int(c[layout.C_ARRIVED])
        end = arrived + int(c[layout.C_NEXT])
        cap = self._ring_i.shape[1]
        if end - first > cap:
            self._ring_i, self._ring_f = workload.grown_ring(self._ring_i, self._ring_f, first, arrived,
                                                             max(2 * cap, end - first))

    def _read_result(self) -> None:
        """``result`` from the blocks, as ``kernels.step`` returns it (after a reset)."""
        self.result = ((False, int(self.host_log.row[0])) + tuple(self.counters.tolist())
                       + tuple(self.stats.tolist()))

    # ------------------------------------------------------------------ step
    def step_flat(self, action: np.ndarray) -> tuple:
        """Runs one interval with a flat action: a 1-D int64 numpy array of T split
        entries, then 5T host entries (0 = leave as is, h + 1 = host h), any strides.
        Checks its type and length, then runs ``step_unchecked``."""
        if not (type(action) is np.ndarray and action.dtype is _INT64 and action.shape == self._action_shape):
            raise ValueError(f"action must be a 1-D int64 numpy array of shape {self._action_shape}, got "
                             + (f"{action.dtype} array of shape {action.shape}" if isinstance(action, np.ndarray)
                                else type(action).__name__))
        return self.step_unchecked(action)

    def step_unchecked(self, action: np.ndarray) -> tuple:
        """``step_flat`` for a caller that has checked the action itself (a 1-D int64
        ``np.ndarray`` of T + 5T entries, any strides: the compiled step is called
        without numba's type checks, ``jit.direct_call``). One compiled call
        (``kernels.step``) for the interval and the next observation. Returns
        the ``layout.RESULT`` tuple (also ``self.result``): the episode's counters
        and the interval's counts and ``layout.STATS``. The next observation (four
        float32 arrays no one else holds: ``_observation_arrays``) is
        ``self.obs_arrays``, the tasks that finished ``self.finished``.

        This runs on every step, after whatever the caller did since the last one,
        which may have evicted the step's code and data from the caches: it touches
        as few Python objects as it can (one list, one tuple of arguments, the
        compiled function called without numba's dispatch: ``jit.direct_call``)."""
        if not self._seeded:
            raise RuntimeError(self.not_ready_reason)
        self._obs_slot = slot = self._obs_slot ^ 1
        args = self._step_args[slot]
        refs = sys.getrefcount
        # ``logs.held_only_by_caller`` inline (a call less on every step), baseline 3: this
        # slot's arguments, its ``_obs_slots`` entry and getrefcount's argument
        if (args is None or refs(args[-4]) != 3 or refs(args[-3]) != 3 or refs(args[-2]) != 3
                or refs(args[-1]) != 3):
            args = self._new_step_args(slot)
        r = self._step_call(action, *args)
        if r[0]:  # the kernel stepped nothing: room first (every few hundred steps)
            args = None  # (it holds this slot's observation arrays: they are reused, not replaced)
            self._make_room()
            if self.host_log.row[0] + 1 >= self.host_log.steps:
                self.host_log.rotate()
            args = self._new_step_args(slot)
            r = self._step_call(action, *args)
            if r[0]:  # _make_room gives every log, the host chunk and the ring a step's room
                raise RuntimeError("the step found no room after making room (a bug: please report it)")
        self.obs_arrays = self._obs_slots[slot]
        self.result = r
        if self.accuracy_fn is not None and r[_R_N_FIN]:  # tasks finished
            self._measure_accuracy()
        return self.result

    def _new_step_args(self, slot: int) -> tuple:
        """``kernels.step``'s arguments after the action for observation slot ``slot``:
        the state's arrays, then that slot's observation arrays (fresh ones if anyone
        else holds the old)."""
        self._step_args[slot] = None
        arrays = self._observation_arrays(slot)
        fin, pend, host = self.fin_log, self.pend_log, self.host_log
        args = (self._arena_f, self._arena_i, self._table, self._task_b, self._rng_state, host.block, host.row,
                self._ring_i, self._ring_f, fin.ints, fin.floats, pend.ints, pend.floats) + arrays
        self._step_args[slot] = args
        if self._step_call is None:  # the types never change: resolved once per engine
            # the action typed as any-strides ("A" layout): a strided or C-contiguous array, read as given
            any_strides = np.zeros(2 * (self.n_tasks + self.n_frags), np.int64)[::2]
            self._step_call = jit.direct_call(kernels.step, (any_strides,) + args)
        return args

    def _observation_arrays(self, slot: int) -> tuple[np.ndarray, ...]:
        """Arrays for observation slot ``slot`` (the two slots alternate): those it held
        before (the observation before last) if nothing but this engine refers to them
        any more (the caller still holds the last one while it steps), else fresh ones.
        So an observation that anyone keeps (a replay buffer, a list, a view of one of
        its arrays) is never written again, and a loop that drops them allocates
        nothing per step. Call with the slot's step arguments dropped (they hold the
        arrays too)."""
        arrays = self._obs_slots[slot]
        if not held_only_by_caller(arrays):
            arrays = tuple(np.empty(self.obs_shapes[k], np.float32) for k in _OBS_KEYS)
            self._obs_slots[slot] = arrays
        return arrays

    def step(self, splits: np.ndarray, hosts: np.ndarray) -> StepResult:
        """Runs one interval (``step_flat``) from separate split and host entries.

        Args:
            splits: (T,) int, split index per task slot (used where the slot is new).
            hosts: (T*5,) int, 0 = leave as is, h in 1..H = host h-1, per fragment slot.
        """
        action = np.concatenate([np.asarray(splits, dtype=np.int64), np.asarray(hosts, dtype=np.int64)])
        s = dict(zip(layout.STATS, self.step_flat(action)[layout.R_STATS:]))
        c = dict(zip(layout.STEP_COUNTS, self.step_counts))
        rewards = {k: s[k] for k in ("reward", "qos", "aec", "art", "n_finished")}
        return StepResult(s["energy_j"], self.host_util, self.finished, c["new_tasks"], c["migrations"],
                          c["placements"], c["infeasible"], c["ignored"], rewards)

    def _measure_accuracy(self) -> None:
        """Replaces this step's drawn accuracies by measured ones and recomputes Eq. 8."""
        fin = self.finished
        acc = fin["accuracy"]  # a view of the log: writing it updates the record
        for i, (a, s, b) in enumerate(zip(fin["app"].tolist(), fin["split"].tolist(), fin["batch"].tolist())):
            measured = self.accuracy_fn(APPLICATIONS[a], self.cfg.split_modes[s], int(b), self._live_rng)
            if measured is not None:
                acc[i] = measured
        names = layout.STATS
        stats = list(self.result[layout.R_STATS:])
        r = metrics.interval_reward(fin, stats[names.index("energy_j")], self.max_energy_j, self.cfg)
        for k in ("reward", "qos", "aec", "art"):
            stats[names.index(k)] = r[k]
            self.stats[names.index(k)] = r[k]
        self.result = self.result[:layout.R_STATS] + tuple(stats)

    # ------------------------------------------------------------------ views
    def action_masks(self, out: np.ndarray) -> np.ndarray:
        """Fills ``out`` (bool, ``mask_size``) with the factored action mask (``core/masks.py``)."""
        if not self._seeded:
            raise RuntimeError(self.not_ready_reason.replace("step()", "action_masks()"))
        action_masks(out, self.params, self._split_i, self._split_f, self._host_spec, self._host_state,
                     self._task_b, self._task_i, self._frag_i, self._frag_f)
        return out

    def demands(self, a: int, s: int, b: int) -> np.ndarray:
        """(5, F) array: RAM MB, disk MB, input MB, output MB and single-core work (s)
        of each fragment of application a under split s at batch b (zeros past the
        split's last fragment)."""
        a, s, b = int(a), int(s), int(b)  # one kernel specialisation
        out = np.zeros((5, F))
        for j in range(int(self.split_nfrag[a, s])):
            out[:, j] = demand.fragment_demand(a, s, j, b, self._split_f, self.params)
        return out

    def ready_at_split(self, a: int, s: int) -> int:
        """Fragments of (app a, split s) that are ready as soon as the split is made."""
        return int(demand.ready_at_split(self._split_i, a, s))

    @property
    def positions(self) -> np.ndarray:
        """(H, 2) positions (m) of the hosts at the start of the current interval."""
        return self._host_state[4:6].T.copy()

    @property
    def backlog(self) -> int:
        """Arrived tasks still waiting for a task slot."""
        return self.next_task_id - self.n_admitted

    def queue_length(self) -> int:
        """Fragments ready but not placed, plus tasks without a slot."""
        return self.n_ready + self.backlog

    def task_counts(self) -> dict[str, int]:
        """Arrived tasks by status: waiting (backlog or no fragment running), running, finished."""
        running_tasks = np.zeros(self.n_tasks, dtype=bool)
        running_tasks[np.flatnonzero(self.frag_state == RUNNING) // F] = True
        active = int(self.task_active.sum())
        running = int((running_tasks & self.task_active).sum())
        return {"arrived": int(self.next_task_id), "waiting": self.backlog + active - running,
                "running": running, "finished": int(self.n_finished_total)}

    def __getstate__(self) -> dict:
        # Views of the arenas and row names are rebuilt from the arenas (pickling would
        # copy each on its own and cut it loose from the arena).
        derived = (set(_BLOCK_ATTR.values()) | set(layout.TASK_BOOL + layout.TASK_INT + layout.TASK_FLOAT
                   + layout.FRAG_INT + layout.FRAG_FLOAT + layout.HOST_STATE + layout.SPLIT_INT
                   + layout.SPLIT_FLOAT) | {"task_acc"})
        derived |= {"_step_args", "_step_call"}  # the compiled entry point does not pickle
        return {k: v for k, v in self.__dict__.items() if k not in derived}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._step_args, self._step_call = [None, None], None
        self._bind_arena()
        if self._seeded:
            self._bind_state()


#: Positions in ``layout.RESULT`` of what the engine's properties read.
(_R_T, _R_ARRIVED, _R_ADMITTED, _R_FINISHED, _R_READY, _R_FIN_POS, _R_N_FIN, _R_PEND_POS, _R_N_PEND,
 _R_STEP_COUNTS) = (layout.RESULT.index(k) for k in ("t", "arrived", "admitted", "finished_total", "ready", "fin_pos",
                                                     "n_fin", "pend_pos", "n_pend", layout.STEP_COUNTS[0]))
#: Observation keys in the order the kernels write them.
_OBS_KEYS = ("hosts", "tasks", "fragments", "globals")
#: Engine attribute of each arena block.
_BLOCK_ATTR = {"params": "params", "split_f": "_split_f", "host_spec": "_host_spec", "trace": "_trace",
               "wl_f": "_wl_f", "power": "_power", "host_state": "_host_state", "task_f": "_task_f", "frag_f": "_frag_f",
               "stats": "stats", "faults": "_faults", "counters": "counters", "split_i": "_split_i", "wl_i": "_wl_i",
               "task_i": "_task_i", "frag_i": "_frag_i", "scratch_i": "_scratch_i"}
