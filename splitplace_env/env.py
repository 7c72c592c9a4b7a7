"""``SplitPlaceEnv``: the Gymnasium shell around the emulated edge cluster."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from splitplace_env import rewards
from splitplace_env.codec import ActionCodec
from splitplace_env.spaces import FactoredMultiDiscrete
from splitplace_env.config import MAX_FRAGMENTS_PER_TASK, SplitPlaceConfig
from splitplace_env.core import layout
from splitplace_env.core.engine import EdgeEngine
from splitplace_env.core.metrics import reward_bounds
from splitplace_env.info import StepInfo
from splitplace_env.core.observation import FRAGMENT_FEATURES, GLOBAL_FEATURES, HOST_FEATURES, TASK_FEATURES_BASE

F = MAX_FRAGMENTS_PER_TASK
_INT64 = np.dtype(np.int64)
#: Positions in ``layout.RESULT`` of the reward and its terms.
_R_REWARD, _R_QOS, _R_AEC, _R_ART = (layout.RESULT.index(k) for k in ("reward", "qos", "aec", "art"))


class SplitPlaceEnv(gym.Env):
    """Splitting and placing DNN inference tasks on a mobile edge cluster (SplitPlace).

    ## Description

    An emulation of the SplitPlace paper (Tuli, SIGMETRICS'22 / IEEE TMC): a broker
    runs 16 Raspberry Pi 4B hosts (eight 4 GB, eight 8 GB; half of them mobile on
    Wi-Fi) that serve image-classification tasks (MNIST, FashionMNIST, CIFAR100),
    Poisson(6) new tasks per 5-minute interval. Every interval the agent
    (1) **splits** each new task: *layer* split (4 fragments in a chain: more
    accurate, slower) or *semantic* split (5 parallel branches: faster, less
    accurate), and (2) **places** fragment containers on hosts (allocation of ready
    fragments, migration of running ones), within each host's RAM + network swap and
    disk. A container holds its whole input batch and outputs (layer fragments
    1.9-12.3 GB, semantic branches under 0.5 GB); memory beyond a host's RAM pages
    over its link, which slows every fragment on it. The
    model of the cluster is in ``splitplace_env.core`` (see ``core/engine.py``).

    ## Action Space

    ``MultiDiscrete([S]*T + [H+1]*5T)`` with T task slots (``max_tasks``), S split
    modes (``split_modes``, default ``("layer", "semantic")``) and H hosts:
    ``a[k]`` is the split of the new task in slot k (ignored if the slot holds no new
    task); ``a[T + 5k + j]`` is the host of fragment j of that task, 0 = leave as is,
    ``h+1`` = host h. ``self.codec`` (an ``ActionCodec``) converts both ways between
    this vector and ``{"splits": [...], "placements": {fragment_slot: host}}``.
    Entries that mean nothing (a host for an empty slot) or name something that is
    not there are ignored and counted in ``info["ignored_actions"]``; placements that
    do not fit are not carried out (``info["infeasible_placements"]``). Malformed
    actions (wrong shape, non-integer dtype, NaN) raise ``ValueError``.
    ``action_masks()`` gives the factored mask (sb3-contrib convention):
    ``T*S + 5T*(H+1)`` booleans; ``MaskObservation`` puts it in ``obs["action_mask"]``.

    With Stable-Baselines3, use ``agents.rl.policies.GroupedMultiInputPolicy``
    (PPO, A2C) or ``GroupedMaskableMultiInputPolicy`` (MaskablePPO), not the stock
    ``"MultiInputPolicy"``: for a ``MultiDiscrete`` action SB3 builds one torch
    ``Categorical`` per entry, 384 here, at every forward pass and loops over them
    in Python, which makes PPO about 30x slower (19 against 576 steps/s in
    ``benchmarks/results/rl_throughput.md``). The grouped policies compute the same
    distribution as one batched categorical per run of equal-sized entries.
    ``action_space`` is a ``MultiDiscrete`` (``splitplace_env.spaces.FactoredMultiDiscrete``)
    whose masked ``sample(mask=...)`` is vectorised where Gymnasium's loops over the
    384 entries in Python (``benchmarks/results/env_speed.md`` times both); it also
    takes the flat ``action_masks()`` array. ``info`` is a ``dict`` (``splitplace_env.info.StepInfo``)
    with a fast ``deepcopy``.

    ## Observation Space

    ``Dict`` of float32 ``Box``es in [0, 1]:

    | key | shape | features (in order) |
    |-----|-------|---------------------|
    | ``hosts`` | (H, 11) | CPU utilisation, RAM used/capacity, disk used/capacity, network busy share of the interval, free RAM / ``ram_mb``, RAM capacity / ``ram_mb``, bandwidth / ``bandwidth_mbps``, latency / ``latency_s``, power / max power, mobile flag, fragments on host / (4 x cores) |
    | ``tasks`` | (T, 10 + S) | occupied, new (awaits a split), application one-hot (MNIST, FashionMNIST, CIFAR100), SLA / ``response_intervals``, age / ``response_intervals``, time left to the deadline / ``response_intervals``, batch / ``batch``, fragments done / fragments, split one-hot (S) |
    | ``fragments`` | (5T, 11) | exists, blocked (waits for its predecessor), ready (may be placed), running, done, (host + 1) / H, compute / ``work_s``, remaining compute share, RAM / ``ram_mb``, disk / ``disk_mb``, data moved / ``data_mb`` |
    | ``globals`` | (5,) | interval / episode length, backlog / T, ready fragments / 5T, mean CPU utilisation, last energy / max energy |

    Fragment j of the task in slot k is row ``5k + j``. Ratios above 1 are clipped.
    The scales (``ram_mb``, ``response_intervals``...) are in ``codec.scales``. The
    entity x feature matrices are kept (not flattened) so that per-host and per-slot
    structure stays visible to set- and attention-based policies; SB3 flattens them
    with a warning that ``check_env`` allows.

    ## Rewards

    The paper's Eq. 8, ``O_t = QoS_t - alpha AEC_t - beta ART_t`` (alpha = beta =
    0.5): QoS is the mean of ``(1[r <= sla] + accuracy) / 2`` over tasks finishing in
    the interval, AEC the interval's energy over the cluster's full-load energy, ART
    the mean of ``min(r, R)/R`` (R = ``response_norm`` = 30 intervals). With no task
    finishing, QoS = ART = 0. The reward lies in [-(alpha + beta), 1] = [-1, 1];
    ``info["rewards"]`` holds every term. With ``reward="vector"`` the step returns
    the terms as objectives to maximise, ``float32 [QoS, -AEC, -ART]``, and the env
    has ``reward_space`` and ``reward_dim = 3`` (MO-Gymnasium's convention):
    weights ``(1, alpha, beta)`` scalarise it back to Eq. 8.

    ## Host Faults

    Off by default. ``fault_rate`` / ``fault_recovery_rate`` (per-interval
    probabilities) and ``fault_events`` (a trace of (interval, host, duration))
    take hosts down: the fragments running on a host that goes down lose their
    progress and wait again, their memory freed, and no task is lost. A down host
    reads 0 in ``ram_free``, ``ram_capacity`` and ``bandwidth`` (so ``ram_capacity
    == 0`` is its flag: every real host has RAM), the mask never offers it and
    placements on it are refused; ``info["host_up"]`` (H,) and
    ``info["fault_restarts"]`` report them.

    ## Starting State

    An empty cluster; the first Poisson batch of tasks waits for its split. Mobile
    hosts start at random positions. All randomness comes from ``reset(seed=...)``
    through independent streams (workload, mobility, accuracy noise), so a seed
    fixes the tasks every agent sees.

    ## Episode End

    The task is continuing: ``terminated`` is always False; episodes are truncated
    after ``max_episode_steps`` intervals (100, the paper's run).

    ## Arguments

    ``gym.make("SplitPlace-v0", **kwargs)`` where kwargs are fields of
    ``SplitPlaceConfig`` (e.g. ``n_hosts=64, arrival_rate=24``) or
    ``config=SplitPlaceConfig(...)``; ``render_mode`` in {"ansi", "rgb_array"}.
    Each id passes its preset (``preset=NAME``); ``config=`` replaces it whole and
    field keywords override both (``SplitPlaceConfig.resolve``).
    ``gym.make(id, max_episode_steps=N)`` sets the episode length the observation's
    time feature counts, as well as the time limit. Numpy scalars and 1-d arrays are
    accepted wherever numbers and tuples are; bad values raise a ``ValueError``
    naming the field.
    The step, the observation and the mask are compiled kernels
    (``core/kernels.py``): one compiled call per step. The first step on a machine
    compiles them into numba's cache (about 10 s); later processes load them.
    Without numba the same kernels run as plain Python, identically but slower.
    ``gym.make_vec(id, num_envs=N)`` builds the native batched vector env
    (``splitplace_env.vector.SplitPlaceVectorEnv``: one compiled call steps all N).
    Registered variants: ``SplitPlace-small-v0``, ``SplitPlace-large-v0``,
    ``SplitPlace-MNIST-v0``, ``SplitPlace-FashionMNIST-v0``, ``SplitPlace-CIFAR100-v0``,
    ``SplitPlace-SUMO-v0``, ``SplitPlace-AuthorsCode-v0`` (the authors' released setting:
    10 Azure VMs, their arrivals, a container cap and placeholder admission) and its
    one-application workloads.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, config: SplitPlaceConfig | None = None, render_mode: str | None = None,
                 **kwargs: Any) -> None:
        """Builds the env from ``SplitPlaceConfig.resolve`` (preset, then ``config=``, then
        field kwargs); under ``gym.make`` its episode length is the ``TimeLimit`` make applies."""
        from splitplace_env.time_limit import time_limit_of_make

        self.config = SplitPlaceConfig.resolve(config, time_limit_of_make(self), **kwargs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        accuracy_fn = None
        if self.config.live_inference:  # torch only when asked for
            from splitplace_env.nets.live import LiveInference

            accuracy_fn = LiveInference().accuracy
        self.engine = e = EdgeEngine(self.config, accuracy_fn=accuracy_fn)
        cfg = self.config
        self.codec = ActionCodec(e.n_tasks, e.n_hosts, cfg.split_modes, scales=dict(e.scales))
        self.task_features = TASK_FEATURES_BASE + tuple(f"split_{m}" for m in cfg.split_modes)
        box = lambda shape: spaces.Box(0.0, 1.0, shape=shape, dtype=np.float32)  # noqa: E731
        self.observation_space = spaces.Dict({k: box(shape) for k, shape in e.obs_shapes.items()})
        self.action_space = FactoredMultiDiscrete(self.codec.nvec)
        self._action_shape = (self.codec.size,)
        self.reward_range = reward_bounds(cfg.alpha, cfg.beta)
        self._vector_reward = cfg.reward == "vector"
        if self._vector_reward:  # MO-Gymnasium's convention (``splitplace_env.rewards``)
            self.reward_space = rewards.reward_space()
            self.reward_dim = len(rewards.OBJECTIVES)

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if getattr(self, "_closed", False):
            raise RuntimeError(self.engine.not_ready_reason)
        super().reset(seed=seed)
        if seed is None:  # draw an episode seed from the env's own generator
            seed = int(self.np_random.integers(2**63 - 1))
        obs = self.engine.reset(seed)
        return obs, self._info(self.engine.result)

    def step(self, action):
        # The hot path: a few attribute reads around one compiled call (``step_unchecked``:
        # any 1-D int64 array of the action's length, whatever its strides).
        if not (type(action) is np.ndarray and action.dtype is _INT64 and action.shape == self._action_shape):
            action = self._validate(action)
        e = self.engine
        r = e.step_unchecked(action)
        h, tk, f, g = e.obs_arrays
        # TimeLimit (max_episode_steps) truncates; direct use runs on.
        reward = rewards.vector_reward(r[_R_QOS], r[_R_AEC], r[_R_ART]) if self._vector_reward else r[_R_REWARD]
        return {"hosts": h, "tasks": tk, "fragments": f, "globals": g}, reward, False, False, self._info(r)

    def action_masks(self, out: np.ndarray | None = None) -> np.ndarray:
        """Factored mask, ``T*S + 5T*(H+1)`` booleans: split rows then host rows.

        ``out``: optional bool array of that shape to fill and return (no allocation,
        for large clusters); by default a fresh array is returned.

        A split row allows every mode for a new task and only index 0 (the no-op)
        elsewhere. A host row always allows 0 ("leave as is") and allows host h when
        the fragment may be placed or migrated there now: it is ready (or is a
        fragment that a split of a new task makes ready) or running elsewhere, and
        its RAM and disk fit the host's free capacity. Decisions of the same
        interval share capacity, so a set of individually allowed placements can
        still exceed a host; those beyond capacity wait (see the per-decision view
        for an exact sequential mask).
        """
        size = self.engine.mask_size
        if out is None:
            out = np.empty(size, dtype=bool)
        elif not (isinstance(out, np.ndarray) and out.dtype == np.bool_ and out.shape == (size,)
                  and out.flags.c_contiguous):
            raise ValueError(f"out must be a C-contiguous bool array of shape ({size},)")
        return self.engine.action_masks(out)

    def close(self) -> None:
        """Releases nothing external; afterwards ``step``, ``reset`` and ``action_masks`` raise."""
        self._closed = True
        self.engine._seeded = False
        self.engine.not_ready_reason = "the environment is closed; make a new one with gym.make"
        super().close()

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'rgb_array'.")
            return None
        if not self.engine._seeded:
            raise RuntimeError(self.engine.not_ready_reason.replace("step()", "render()"))
        from splitplace_env import render as _render

        if self.render_mode == "ansi":
            return _render.ansi(self)
        return _render.rgb_array(self)

    # ------------------------------------------------------------------ helpers
    def _validate(self, action) -> np.ndarray:
        a = np.asarray(action)
        n = self.codec.size
        if a.shape != (n,):
            raise ValueError(f"action must have shape ({n},) (T={self.engine.n_tasks} splits + "
                             f"{self.codec.n_fragments} hosts), got shape {a.shape}")
        if a.dtype.kind not in "iu":
            if a.dtype.kind != "f":
                raise ValueError(f"action must be an integer array, got dtype {a.dtype}")
            if np.isnan(a).any():
                raise ValueError("action contains NaN; expected integers (see env.unwrapped.codec)")
            if not np.all(np.abs(a) < 2**62) or not np.all(a == np.round(a)):
                raise ValueError("action must hold finite integer values (see env.unwrapped.codec), "
                                 f"got non-integral or out-of-range floats of dtype {a.dtype}")
        return np.ascontiguousarray(a, dtype=np.int64)

    def _info(self, r: tuple) -> dict[str, Any]:
        # Runs on every step: one unpacking of the engine's ``layout.RESULT`` tuple (in its
        # order: tests/test_core_engine.py checks the names) and one dict literal.
        (_, row, t, arrived, admitted, finished_total, ready, _, fin_pos, n_fin, pend_pos, n_pend, placements,
         migrations, infeasible, ignored, new_tasks, evicted, restarts, n_finished, energy, reward, qos, aec, art,
         paged) = r
        e = self.engine
        fin, pend = e.fin_log, e.pend_log
        host_block = e.host_log.block
        backlog = arrived - admitted
        return StepInfo({  # (a dict; its deepcopy, which SB3's DummyVecEnv runs every step, is fast)
            "interval": t,
            "rewards": {"reward": reward, "qos": qos, "aec": aec, "art": art, "n_finished": n_finished},
            "finished": fin.view(fin_pos - n_fin, fin_pos),
            "new_tasks": new_tasks,
            "pending": pend.view(pend_pos - n_pend, pend_pos),  # new tasks awaiting a split in the next action
            "energy_j": energy,
            "host_util": host_block[row, 0],
            "queue_length": ready + backlog,
            "backlog": backlog,
            "placements": placements,
            "migrations": migrations,
            "infeasible_placements": infeasible,
            "ignored_actions": ignored,
            "evicted": evicted,
            "paged_mb": paged,
            "fault_restarts": restarts,
            "host_up": host_block[row, 3],
            "arrived_total": arrived,
            "finished_total": finished_total,
        })
