"""N emulated clusters of one configuration, stepped together by one compiled call.

``BatchEngine`` holds N copies of ``EdgeEngine``'s state stacked along a leading
axis (row i of every block is environment i) and steps them with
``kernels.step_batch``, which runs the very kernels that ``EdgeEngine.step`` runs
(``kernels.interval`` and ``kernels.observe_into``) on each row. Observations
land in preallocated (N, ...) arrays; the per-task records of a step (tasks that
finished, new tasks awaiting a split) in fixed (N, rows, T) arrays, at most T per
environment and step (one per task slot). Environment i seeded with s runs
exactly the episode of an ``EdgeEngine`` reset with s.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core import jit, kernels, layout, workload
from splitplace_env.core.engine import EdgeEngine, episode_streams
from splitplace_env.core.logs import held_only_by_caller

#: Fewest environments per stepping thread (``BatchEngine``). Measured here (2 cores,
#: threads given fixed ranges): a pooled thread starts stepping 80-130 us after it is
#: handed its work, and an interval costs about 11 us per environment; 2 threads made
#: 16 environments slower (20.6 -> 26.7 us per env-step) and 64 faster (0.70 ->
#: 0.50-0.58 ms a step).
MIN_ENVS_PER_THREAD = 32
#: Observation keys in the order the kernels take them.
OBS_KEYS = ("hosts", "tasks", "fragments", "globals")


class BatchEngine:
    """N environments of one configuration. Call ``reset_env(i, seed)`` for every i
    before the first ``step``.

    Args:
        cfg: validated configuration (``live_inference`` is not supported: it calls
            torch per finished task, outside the compiled step).
        n_envs: N.
        num_threads: threads that step disjoint ranges of environments at once
            (``step``); at most one per ``MIN_ENVS_PER_THREAD`` environments.
    """

    def __init__(self, cfg: SplitPlaceConfig, n_envs: int, num_threads: int = 1) -> None:
        if cfg.live_inference:
            raise ValueError("live_inference=True is not supported by the batched engine (it runs torch per "
                             "finished task); use gym.make_vec(..., vectorization_mode='sync')")
        self.template = tpl = EdgeEngine(cfg)  # the tables, scales and shapes every row shares
        self.cfg = cfg
        self.n_envs = N = int(n_envs)
        self.n_hosts, self.n_tasks, self.n_frags = H, T, _ = tpl.n_hosts, tpl.n_tasks, tpl.n_frags
        self.mask_size = tpl.mask_size
        self._table = tpl._table
        self._arena_f = np.ascontiguousarray(np.tile(tpl._arena_f, (N, 1)))
        self._arena_i = np.ascontiguousarray(np.tile(tpl._arena_i, (N, 1)))
        self._task_b = np.zeros((N, len(layout.TASK_BOOL), T), dtype=bool)
        self._rng_state = np.zeros((N, workload.N_STREAMS), dtype=np.uint64)
        self._ring_i = np.zeros((N, len(workload.RING_INT), 64), dtype=np.int64)
        self._ring_f = np.zeros((N, len(workload.RING_FLOAT), 64))
        self.host_out = np.zeros((N, len(layout.HOST_OUT), H))
        self.fin_i = np.zeros((N, len(layout.FIN_INT), T), dtype=np.int64)
        self.fin_f = np.zeros((N, len(layout.FIN_FLOAT), T))
        self.pend_i = np.zeros((N, len(layout.PEND_INT), T), dtype=np.int64)
        self.pend_f = np.zeros((N, len(layout.PEND_FLOAT), T))
        # Two slots of batched observation arrays (``next_obs_slot``); the kernels write the current one.
        self._obs_slots: list[tuple[np.ndarray, ...] | None] = [self._new_obs(), None]
        self._slot = 0
        self._obs_args = self._obs_slots[0]
        #: (N, len(STATS)) and (N, len(COUNTERS)) views of every environment's stats and counters.
        self.stats = self._block_view(self._arena_f, layout.ARENA_FLOAT.index("stats"))
        self.counters = self._block_view(self._arena_i, len(layout.ARENA_FLOAT) + layout.ARENA_INT.index("counters"))
        self._no_skip = np.zeros(N, dtype=bool)
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
        #: Threads that step at once: below MIN_ENVS_PER_THREAD per thread the hand-off costs more than it
        #: saves; one where the kernels run as plain Python (``atomic.claim`` is atomic only compiled).
        self.num_threads = max(1, min(int(num_threads), N // MIN_ENVS_PER_THREAD)) if jit.COMPILED else 1
        self._pool: ThreadPoolExecutor | None = None
        self._claim = np.zeros(2, dtype=np.int64)  # the next environment to take, deferred ones
        self._deferred = np.zeros(N, dtype=np.int64)

    def _new_obs(self) -> tuple[np.ndarray, ...]:
        return tuple(np.zeros((self.n_envs,) + self.template.obs_shapes[k], dtype=np.float32) for k in OBS_KEYS)

    @property
    def obs(self) -> dict[str, np.ndarray]:
        """The current (N, ...) observation arrays by key (the kernels write them)."""
        return dict(zip(OBS_KEYS, self._obs_args))

    def next_obs_slot(self, carry: bool = False) -> None:
        """Makes the other slot's arrays the current observation: the arrays of the
        observation before last if nothing but this engine refers to them any more,
        else fresh ones. So observations handed out are never written again and a
        loop that drops them allocates and copies nothing (the vector env's
        ``copy=True``). With ``carry`` the current rows are copied in first (a reset
        of some environments, which writes only theirs)."""
        previous = self._obs_args
        self._slot ^= 1
        arrays = self._obs_slots[self._slot]
        if not held_only_by_caller(arrays):
            arrays = self._obs_slots[self._slot] = self._new_obs()
        if carry:
            for dst, src in zip(arrays, previous):
                dst[...] = src
        self._obs_args = arrays

    def _block_view(self, arena: np.ndarray, k: int) -> np.ndarray:
        offset, size = int(self._table[k, 0]), int(self._table[k, 1])
        return arena[:, offset:offset + size]

    def reset_env(self, i: int, seed: int | None) -> None:
        """Starts a new episode in environment ``i`` (``EdgeEngine.reset``); its first
        observation is row i of ``obs``, its new tasks row i of ``pend_*``."""
        self._rng_state[i], _ = episode_streams(seed)
        args = (self._arena_f[i], self._arena_i[i], self._table)
        kernels.clear_state(*args, self._task_b[i], self.host_out[i], self._ring_i[i], self._ring_f[i])
        kernels.first_arrivals(*args, self._rng_state[i])
        self._make_ring_room(i)
        kernels.begin(*args, self._task_b[i], self._rng_state[i], self.host_out[i], self._ring_i[i],
                      self._ring_f[i], self.pend_i[i], self.pend_f[i], self.template.idle_energy_j,
                      *(o[i] for o in self._obs_args))

    def step(self, actions: np.ndarray, skip: np.ndarray | None = None) -> None:
        """Runs one interval in every environment not in ``skip`` with its row of
        ``actions`` ((N, T + 5T) C-contiguous int64).

        With ``num_threads`` > 1 this thread and the pool's step at once, each taking
        the next environment from a shared counter (``kernels.step_claimed``); the
        environments share nothing, so the result is the same as in one thread. An
        environment that needs more backlog-ring room is stepped after all have
        returned (growing the ring replaces the arrays the others step on)."""
        skip = self._no_skip if skip is None else skip
        if self.num_threads == 1:
            self._finish(actions, skip, 0, self.n_envs)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.num_threads - 1, thread_name_prefix="splitplace-step")
        self._claim[:] = 0  # next environment, deferred ones
        others = [self._pool.submit(self._step_claimed, actions, skip) for _ in range(self.num_threads - 1)]
        self._step_claimed(actions, skip)
        for f in others:
            f.result()
        for i in sorted(self._deferred[:self._claim[1]].tolist()):
            self._finish(actions, skip, i, i + 1)

    def _finish(self, actions: np.ndarray, skip: np.ndarray, start: int, stop: int) -> None:
        """Steps environments start..stop-1 in this thread, growing the ring when one needs it."""
        while start < stop:
            start = self._step_range(actions, skip, start, stop)
            if start < stop:  # rare: the ring doubles
                self._make_ring_room(start)

    def _state(self) -> tuple[np.ndarray, ...]:
        """The batch's arrays as the batched kernels take them after the actions (read
        at each call: growing the ring and the observation slots replace arrays)."""
        return (self._arena_f, self._arena_i, self._table, self._task_b, self._rng_state, self.host_out,
                self._ring_i, self._ring_f, self.fin_i, self.fin_f, self.pend_i, self.pend_f) + self._obs_args

    def _step_range(self, actions: np.ndarray, skip: np.ndarray, start: int, stop: int) -> int:
        return kernels.step_batch(actions, *self._state(), skip, start, stop)

    def _step_claimed(self, actions: np.ndarray, skip: np.ndarray) -> None:
        kernels.step_claimed(actions, *self._state(), skip, self._claim[0:1], self._deferred, self._claim[1:2])

    def close(self) -> None:
        """Stops the stepping threads (a later ``step`` starts them again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pool": None}  # threads do not pickle

    def _make_ring_room(self, i: int) -> None:
        """Grows every environment's backlog ring when environment i's waiting tasks
        and counted arrivals do not fit (rare: the ring doubles)."""
        c = self.counters
        need = int(c[i, layout.C_ARRIVED] + c[i, layout.C_NEXT] - c[i, layout.C_ADMITTED])
        cap = self._ring_i.shape[2]
        if need <= cap:
            return
        new_cap = max(2 * cap, need)
        ring_i = np.zeros(self._ring_i.shape[:2] + (new_cap,), dtype=np.int64)
        ring_f = np.zeros(self._ring_f.shape[:2] + (new_cap,))
        for e in range(self.n_envs):
            ring_i[e], ring_f[e] = workload.grown_ring(self._ring_i[e], self._ring_f[e], int(c[e, layout.C_ADMITTED]),
                                                       int(c[e, layout.C_ARRIVED]), new_cap)
        self._ring_i, self._ring_f = ring_i, ring_f

    def action_masks(self, out: np.ndarray) -> np.ndarray:
        """Fills ``out`` ((N, mask size) bool) with every environment's factored mask."""
        kernels.masks_batch(out, self._arena_f, self._arena_i, self._table, self._task_b)
        return out
