"""``SplitPlaceVectorEnv``: N SplitPlace environments stepped by one compiled call."""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from splitplace_env import rewards as rewards_module
from splitplace_env.codec import ActionCodec
from splitplace_env.spaces import FactoredMultiDiscrete
from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core import layout
from splitplace_env.core.batch_engine import OBS_KEYS, BatchEngine

_INT64 = np.dtype(np.int64)


class SplitPlaceVectorEnv(VectorEnv):
    """A native batched vector env of SplitPlace (``gym.make_vec`` of any registered id).

    ## Description

    N independent copies of ``SplitPlaceEnv`` (same configuration, own seeds) held
    as stacked arrays and stepped by one compiled call per ``step``: the same
    kernels as the single environment, so environment i seeded with s follows
    exactly the trajectory of ``gym.make(id)`` reset with s (the tests check it).

    ## Spaces

    ``single_observation_space`` / ``single_action_space`` are the single env's
    (see ``SplitPlaceEnv``); ``observation_space`` is a ``Dict`` of (N, ...) boxes
    and ``action_space`` a ``MultiDiscrete`` of shape (N, T + 5T).
    ``action_masks()`` returns (N, T*S + 5T*(H+1)) booleans (sb3-contrib's
    factored convention, one row per environment). With ``reward="vector"`` the
    rewards are (N, 3) float32 rows ``[QoS, -AEC, -ART]`` and ``reward_space`` is
    the single env's (``splitplace_env.rewards``).

    ## Info

    Fixed-shape batched arrays, no per-environment dicts: ``rewards`` (a dict of
    (N,) arrays ``reward``, ``qos``, ``aec``, ``art``), every count of the single
    env's info as an (N,) int array (``placements``, ``migrations``,
    ``infeasible_placements``, ``ignored_actions``, ``new_tasks``, ``evicted``,
    ``fault_restarts``), ``energy_j``, ``paged_mb``, ``interval``, ``backlog``,
    ``queue_length``, ``arrived_total``, ``finished_total`` (N,), ``host_util`` and
    ``host_up`` (N, H), and the
    step's per-task records padded to the T task slots: ``finished`` (a dict of
    (N, T) arrays ``task_id``, ``app``, ``split``, ``batch``, ``response``,
    ``wait``, ``sla``, ``sla_met``, ``accuracy``; the first ``n_finished[i]``
    columns of row i are valid) and ``pending`` (``slot``, ``task_id``, ``app``,
    ``batch``, ``sla``; the first ``n_pending[i]``). Each top-level key ``k``
    has Gymnasium's all-True mask ``_k``.

    ## Episode End and Autoreset

    Episodes are truncated after ``max_episode_steps`` intervals (``terminated``
    is always False). ``metadata["autoreset_mode"]`` is ``NEXT_STEP`` by default
    (the step after a truncation resets that environment, ignores its action and
    returns its first observation with reward 0); ``autoreset_mode="same_step"``
    resets in the same step and puts the last observation and info in
    ``info["final_obs"]`` / ``info["final_info"]`` (masks ``_final_obs`` /
    ``_final_info``). An environment reset without a seed draws one from its own
    generator, as ``SplitPlaceEnv.reset`` does.

    ## Arguments

    ``gym.make_vec("SplitPlace-v0", num_envs=N, **kwargs)``: kwargs are fields of
    ``SplitPlaceConfig`` or ``config=``, as for ``gym.make``; also
    ``autoreset_mode`` ("next_step" or "same_step") and ``copy`` (default True:
    ``step`` and ``reset`` return observation arrays that are never written again
    while anyone holds them: the arrays of the observation before last when nobody
    does, else fresh ones, so a loop that drops them copies nothing; False returns
    the preallocated buffers, overwritten by the next call) and ``num_threads``
    (default: the CPUs this process may use): threads that step disjoint ranges
    of the environments at once, at least ``MIN_ENVS_PER_THREAD`` (32) each; the
    trajectories do not depend on it.
    """

    def __init__(self, num_envs: int = 1, config: SplitPlaceConfig | None = None,
                 autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP, copy: bool = True,
                 render_mode: str | None = None, num_threads: int | None = None, **kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        if config is not None and not isinstance(config, SplitPlaceConfig):
            raise ValueError(f"config must be a SplitPlaceConfig, got {type(config).__name__}")
        if render_mode is not None:
            raise ValueError("the native vector env does not render; use gym.make_vec(..., "
                             "vectorization_mode='sync') for render_mode")
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            mode = None
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode must be 'next_step' or 'same_step', got {autoreset_mode!r}")
        if not isinstance(copy, bool):
            raise ValueError(f"copy must be a bool, got {copy!r}")
        self.config = cfg = SplitPlaceConfig.resolve(config, None, **kwargs)
        self.metadata = {"autoreset_mode": mode, "render_modes": []}
        self.autoreset_mode = mode
        self.num_envs = N = int(num_envs)
        if num_threads is None:  # every CPU this process may run on
            num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.engine = e = BatchEngine(cfg, N, num_threads)
        self.codec = ActionCodec(e.n_tasks, e.n_hosts, cfg.split_modes, scales=dict(e.template.scales))
        box = lambda shape: spaces.Box(0.0, 1.0, shape=shape, dtype=np.float32)  # noqa: E731
        self.single_observation_space = spaces.Dict({k: box(e.template.obs_shapes[k]) for k in OBS_KEYS})
        self.single_action_space = FactoredMultiDiscrete(self.codec.nvec)
        self.observation_space = batch_space(self.single_observation_space, N)
        self.action_space = batch_space(self.single_action_space, N)
        self.render_mode = None
        self._copy = copy
        self._action_shape = (N, self.codec.size)
        self._max_steps = cfg.max_episode_steps
        self._vector_reward = cfg.reward == "vector"
        if self._vector_reward:
            self.reward_space = rewards_module.reward_space()
            self.reward_dim = len(rewards_module.OBJECTIVES)
        self._np_randoms: list[np.random.Generator] = [seeding.np_random()[0] for _ in range(N)]
        self._autoreset = np.zeros(N, dtype=bool)
        self._terminated = np.zeros(N, dtype=bool)
        self._all = np.ones(N, dtype=bool)
        self._started = False
        self._closed = False

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None):
        """Resets every environment (or those in ``options["reset_mask"]``).

        ``seed``: an int s seeds environment i with s + i; a sequence gives one
        seed (or None) per environment.
        """
        self._check_open()
        seeds = self._seeds(seed)
        mask = self._reset_mask(options)
        if self._copy:  # the rows not reset keep their last observation
            self.engine.next_obs_slot(carry=not mask.all())
        for i in np.flatnonzero(mask):
            self._reset_env(int(i), seeds[i])
        self._autoreset[mask] = False
        self._started = True
        return self._observations(), self._info()

    def step(self, actions):
        """Steps every environment; returns batched (obs, rewards, terminations,
        truncations, info)."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = self._validate(actions)
        e = self.engine
        if self._copy:  # every row is written below (stepped, or reset): nothing to carry
            e.next_obs_slot()
        resetting = self._autoreset if self._autoreset.any() else None
        e.step(actions, resetting)
        if resetting is not None:  # next-step autoreset: these start anew instead of stepping
            for i in np.flatnonzero(resetting):
                self._reset_env(int(i), None)
        info = self._info()
        if self._vector_reward:  # (N, 3): MO-Gymnasium's convention (``splitplace_env.rewards``)
            r = info["rewards"]
            rewards = np.stack([r["qos"], -r["aec"], -r["art"]], axis=1).astype(np.float32)
        else:
            rewards = info["rewards"]["reward"].copy()
        truncated = info["interval"] >= self._max_steps
        if self.autoreset_mode is AutoresetMode.SAME_STEP and truncated.any():
            final_obs = {k: v.copy() for k, v in e.obs.items()}
            for i in np.flatnonzero(truncated):
                self._reset_env(int(i), None)
            final_info, info = info, self._info()
            info.update(final_obs=final_obs, _final_obs=truncated, final_info=final_info, _final_info=truncated)
        else:
            self._autoreset = truncated
        return self._observations(), rewards, self._terminated.copy(), truncated, info

    def action_masks(self, out: np.ndarray | None = None) -> np.ndarray:
        """(N, T*S + 5T*(H+1)) factored masks, one row per environment
        (``SplitPlaceEnv.action_masks``); ``out`` an optional bool buffer to fill."""
        if not self._started:
            raise RuntimeError("call reset() before action_masks()")
        shape = (self.num_envs, self.engine.mask_size)
        if out is None:
            out = np.empty(shape, dtype=bool)
        elif not (isinstance(out, np.ndarray) and out.dtype == np.bool_ and out.shape == shape
                  and out.flags.c_contiguous):
            raise ValueError(f"out must be a C-contiguous bool array of shape {shape}")
        return self.engine.action_masks(out)

    def close_extras(self, **kwargs: Any) -> None:
        self._closed = True
        self.engine.close()

    # ------------------------------------------------------------------ helpers
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the vector env is closed")

    def _seeds(self, seed) -> list[int | None]:
        N = self.num_envs
        if seed is None:
            return [None] * N
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            if seed < 0:
                raise ValueError(f"seed must be a non-negative int, got {seed}")
            return [int(seed) + i for i in range(N)]
        seeds = list(seed)
        if len(seeds) != N:
            raise ValueError(f"seed must be an int, None or a sequence of {N} seeds, got {len(seeds)} seeds")
        return seeds

    def _reset_mask(self, options: dict | None) -> np.ndarray:
        if not options or "reset_mask" not in options:
            return self._all
        mask = np.asarray(options["reset_mask"])
        if mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must be a bool array of shape ({self.num_envs},), "
                             f"got {mask.dtype} of shape {mask.shape}")
        return mask

    def _reset_env(self, i: int, seed: int | None) -> None:
        if seed is not None:
            self._np_randoms[i], _ = seeding.np_random(seed)
        else:  # as SplitPlaceEnv.reset: an episode seed from the env's own generator
            seed = int(self._np_randoms[i].integers(2**63 - 1))
        self.engine.reset_env(i, seed)

    def _validate(self, actions) -> np.ndarray:
        if (type(actions) is np.ndarray and actions.dtype == _INT64 and actions.shape == self._action_shape
                and actions.flags.c_contiguous):
            return actions
        a = np.asarray(actions)
        if a.shape != self._action_shape:
            raise ValueError(f"actions must have shape {self._action_shape} (num_envs x action size), "
                             f"got shape {a.shape}")
        if a.dtype.kind not in "iu":
            if a.dtype.kind != "f" or not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
                raise ValueError(f"actions must hold integers (see env.codec), got dtype {a.dtype}")
        return np.ascontiguousarray(a, dtype=np.int64)

    def _observations(self) -> dict[str, np.ndarray]:
        # copy=True: the engine's current slot, which it never writes again while anyone
        # holds it (``BatchEngine.next_obs_slot``); copy=False: the same buffers every call
        return self.engine.obs

    def _info(self) -> dict[str, Any]:
        """The batched info of the engine's current state (a reset row reports zero
        stats and its first new tasks, as ``SplitPlaceEnv.reset``'s info does)."""
        e, S, C = self.engine, layout.STATS, layout.COUNTERS
        stats, counters = e.stats.copy(), e.counters.copy()
        col = lambda name: stats[:, S.index(name)]  # noqa: E731
        count = lambda name: counters[:, C.index(name)]  # noqa: E731  (the interval's int counts)
        arrived, admitted = counters[:, layout.C_ARRIVED], counters[:, layout.C_ADMITTED]
        backlog = arrived - admitted
        fin_i, fin_f = e.fin_i.copy(), e.fin_f.copy()
        pend_i, pend_f = e.pend_i.copy(), e.pend_f.copy()
        finished = {n: fin_i[:, r] for r, n in enumerate(layout.FIN_INT)}
        finished.update({n: (fin_f[:, r] > 0.5 if n == "sla_met" else fin_f[:, r])
                         for r, n in enumerate(layout.FIN_FLOAT)})
        pending = {n: pend_i[:, r] for r, n in enumerate(layout.PEND_INT)}
        pending.update({n: pend_f[:, r] for r, n in enumerate(layout.PEND_FLOAT)})
        info = {
            "interval": counters[:, layout.C_T],
            "rewards": {k: col(k) for k in ("reward", "qos", "aec", "art")},
            "finished": finished,
            "n_finished": counters[:, layout.C_N_FIN],
            "new_tasks": count("new_tasks"),
            "pending": pending,
            "n_pending": counters[:, layout.C_N_PEND],
            "energy_j": col("energy_j"),
            "host_util": e.host_out[:, 0].copy(),
            "queue_length": counters[:, layout.C_READY] + backlog,
            "backlog": backlog,
            "placements": count("placements"),
            "migrations": count("migrations"),
            "infeasible_placements": count("infeasible"),
            "ignored_actions": count("ignored"),
            "evicted": count("evicted"),
            "paged_mb": col("paged_mb"),
            "fault_restarts": count("fault_restarts"),
            "host_up": e.host_out[:, 3].copy(),
            "arrived_total": arrived,
            "finished_total": counters[:, layout.C_FINISHED],
        }
        for k in list(info):
            info["_" + k] = self._all
        return info
