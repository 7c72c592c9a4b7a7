"""``SplitPlaceEnv``: the Gymnasium shell around the emulated edge cluster."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from splitplace_env.codec import ActionCodec
from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK, SplitPlaceConfig
from splitplace_env.core import cluster, kernels, network
from splitplace_env.core.engine import _EMPTY_FINISHED, BLOCKED, DONE, READY, RUNNING, EdgeEngine, _nonzero
from splitplace_env.core.metrics import reward_bounds
from splitplace_env.records import Records

F = MAX_FRAGMENTS_PER_TASK
HOST_FEATURES = ("cpu_util", "ram_util", "disk_util", "net_util", "ram_free", "ram_capacity",
                 "bandwidth", "latency", "power", "mobile", "fragments")
TASK_FEATURES_BASE = ("occupied", "new", "app_mnist", "app_fashionmnist", "app_cifar100",
                      "sla", "age", "time_left", "batch", "progress")
FRAGMENT_FEATURES = ("exists", "blocked", "ready", "running", "done", "host", "compute",
                     "remaining", "ram", "disk", "data")
GLOBAL_FEATURES = ("time", "backlog", "ready_share", "mean_util", "energy")


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
    fragments, migration of running ones), within each host's RAM and disk. The
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
    ``info["rewards"]`` holds every term.

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
    ``backend`` picks the implementation of the step, the observation and the
    mask: "numba" (compiled kernels, ``core/kernels.py``; the default when numba
    is installed) or "numpy" (the vectorised reference). Both give bit-identical
    episodes; the first step of a new process loads the compiled kernels from
    numba's cache (about 10 s to compile them once per machine).
    Registered variants: ``SplitPlace-small-v0``, ``SplitPlace-large-v0``,
    ``SplitPlace-MNIST-v0``, ``SplitPlace-FashionMNIST-v0``, ``SplitPlace-CIFAR100-v0``.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, config: SplitPlaceConfig | None = None, render_mode: str | None = None,
                 **kwargs: Any) -> None:
        if config is not None and not isinstance(config, SplitPlaceConfig):
            raise ValueError(f"config must be a SplitPlaceConfig, got {type(config).__name__}")
        self.config = SplitPlaceConfig.from_kwargs(config, **kwargs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.engine = EdgeEngine(self.config)
        e, cfg = self.engine, self.config
        T, H, S = e.n_tasks, e.n_hosts, e.n_splits
        self._max_batch = float(max(int(b.max()) for b in e.batch_choices))
        self._data_scale = float(self._max_batch * max(e.split_in.max(), e.split_out.max()) * cfg.transfer_compression * 2)
        self.codec = ActionCodec(T, H, cfg.split_modes, scales={
            "ram_mb": e.ram_scale, "disk_mb": e.disk_scale, "work_s": e.work_scale,
            "data_mb": self._data_scale, "response_intervals": cfg.response_norm,
            "batch": self._max_batch, "bandwidth_mbps": network.MAX_BANDWIDTH_MBPS,
            "latency_s": network.MAX_LATENCY_S, "energy_j": e.max_energy_j,
            "interval_s": cfg.interval_s,
        })
        self.task_features = TASK_FEATURES_BASE + tuple(f"split_{m}" for m in cfg.split_modes)
        box = lambda *shape: spaces.Box(0.0, 1.0, shape=shape, dtype=np.float32)  # noqa: E731
        self.observation_space = spaces.Dict({
            "hosts": box(H, len(HOST_FEATURES)),
            "tasks": box(T, len(self.task_features)),
            "fragments": box(T * F, len(FRAGMENT_FEATURES)),
            "globals": box(len(GLOBAL_FEATURES)),
        })
        self.action_space = spaces.MultiDiscrete(self.codec.nvec)
        self.reward_range = reward_bounds(cfg.alpha, cfg.beta)
        # Constant parts of the observation and the mask.
        self._ram_cap_n = (e.hosts.ram_mb / e.ram_scale).astype(np.float32)
        self._max_power = float(cluster.PI4B_POWER_W[-1])
        self._host_ids = np.arange(H)
        # Feature-major buffers of the observation (rows = features); constant rows set once.
        # float64 like the engine's arrays: mixed-dtype ufuncs with out= are 2-3x slower.
        self._host_buf = np.zeros((len(HOST_FEATURES), H))
        self._host_buf[5] = self._ram_cap_n
        self._host_buf[9] = e.hosts.mobile
        self._task_buf = np.zeros((len(self.task_features), T))
        self._frag_buf = np.zeros((len(FRAGMENT_FEATURES), T * F))
        self._app_onehot_t = np.eye(len(APPLICATIONS))
        self._split_onehot_t = np.hstack([np.eye(S), np.zeros((S, 1))])
        # Fragments per (app, split) with a zero column last: split -1 (unsplit) reads 0.
        self._nfrag_pad = np.hstack([e.split_nfrag, np.zeros((e.split_nfrag.shape[0], 1))]).astype(np.float64)
        self._inv_scales = {k: 1.0 / v for k, v in self.codec.scales.items()}
        self._inv_hosts = 1.0 / H
        self._inv_ram_cap = 1.0 / e.hosts.ram_mb
        self._inv_disk_cap = 1.0 / e.hosts.disk_mb
        self._inv_slots = 1.0 / (4.0 * e.hosts.cores)
        # The compiled observation's constant inputs (kernels.OBS_PARAMS, OBS_HOST_CONST) and work array.
        sc = self._inv_scales
        params = {"inv_response": sc["response_intervals"], "inv_batch": sc["batch"], "inv_work": sc["work_s"],
                  "inv_ram": sc["ram_mb"], "inv_disk": sc["disk_mb"], "inv_data": sc["data_mb"],
                  "inv_bandwidth": sc["bandwidth_mbps"], "inv_latency": sc["latency_s"],
                  "inv_power": 1.0 / self._max_power, "inv_hosts": self._inv_hosts}
        host_const = {"ram_mb": e.hosts.ram_mb, "inv_ram_cap": self._inv_ram_cap,
                      "inv_disk_cap": self._inv_disk_cap, "ram_cap_n": self._ram_cap_n,
                      "mobile": e.hosts.mobile, "inv_slots": self._inv_slots}
        self._obs_const = (
            np.array([params[k] for k in kernels.OBS_PARAMS], dtype=np.float64),
            np.stack([np.asarray(host_const[k], dtype=np.float64) for k in kernels.OBS_HOST_CONST]),
            self._nfrag_pad, np.zeros(H, dtype=np.int64))
        self._last_energy = 0.0
        self._last_step = None

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is None:  # draw an episode seed from the env's own generator
            seed = int(self.np_random.integers(2**63 - 1))
        self.engine.reset(seed)
        self._last_energy = self.engine.idle_energy_j
        self._last_step = None
        return self._observation(), self._info(None)

    def step(self, action):
        flat = self._validate(action)
        e = self.engine
        res = e.step(flat[: e.n_tasks], flat[e.n_tasks:])
        self._last_energy = res.energy_j
        self._last_step = res
        truncated = False  # TimeLimit (max_episode_steps) truncates; direct use runs on
        return self._observation(), res.rewards["reward"], False, truncated, self._info(res)

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
        e = self.engine
        T, H, S = e.n_tasks, e.n_hosts, e.n_splits
        size = T * S + e.n_frags * (H + 1)
        if out is None:
            out = np.zeros(size, dtype=bool)
        else:
            if not (isinstance(out, np.ndarray) and out.dtype == np.bool_ and out.shape == (size,)):
                raise ValueError(f"out must be a bool array of shape ({size},)")
            out[:] = False
        if e.backend == "numba":
            kernels.action_masks(out, S, *e.kernel_tables, *e.state_blocks)
            return out
        split_mask = out[: T * S].reshape(T, S)
        split_mask[:, 0] = True
        split_mask[e.task_new, :] = True
        host_mask = out[T * S:].reshape(e.n_frags, H + 1)
        host_mask[:, 0] = True
        ram, disk, movable = self._placement_demands()
        rows = _nonzero(movable)
        if rows.size:
            fits = ((ram[rows, None] <= (e.hosts.ram_mb - e.ram_used + 1e-9)[None, :])
                    & (disk[rows, None] <= (e.hosts.disk_mb - e.disk_used + 1e-9)[None, :]))
            fits &= e.frag_host[rows, None] != self._host_ids[None, :]
            host_mask[rows, 1:] = fits
        return out

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'rgb_array'.")
            return None
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
                raise ValueError("action contains NaN; expected integers (see env.codec)")
            if not np.all(np.abs(a) < 2**62) or not np.all(a == np.round(a)):
                raise ValueError("action must hold finite integer values (see env.codec), "
                                 f"got non-integral or out-of-range floats of dtype {a.dtype}")
        return a.astype(np.int64, copy=False)

    def _placement_demands(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RAM and disk demand of every fragment slot and whether it can move now.

        For a new task (not yet split) fragment j counts if any split makes it ready
        at once, with the largest demand over those splits.
        """
        e = self.engine
        st = e.frag_state
        movable = (st == READY) | (st == RUNNING)
        ram, disk = e.frag_ram, e.frag_disk
        new = _nonzero(e.task_new)
        if new.size:
            a, b = e.task_app[new][:, None], e.task_batch[new][:, None]
            s = np.arange(e.n_splits)[None, :]
            r, d, _, _, _ = e.demands(a, s, b)                                  # (m, S, F)
            ready = np.arange(F) < e.ready_at_split(a, s)[..., None]                # (m, S, F)
            idx = (new[:, None] * F + np.arange(F)).ravel()
            ram, disk, movable = ram.copy(), disk.copy(), movable.copy()
            ram[idx] = np.where(ready, r, 0.0).max(axis=1).ravel()
            disk[idx] = np.where(ready, d, 0.0).max(axis=1).ravel()
            movable[idx] = ready.any(axis=1).ravel()
        return ram, disk, movable

    def _observation(self) -> dict[str, np.ndarray]:
        e = self.engine
        if e.backend == "numpy":
            return self._observation_numpy()
        T, H = e.n_tasks, e.n_hosts
        obs = {"hosts": np.empty((H, len(HOST_FEATURES)), dtype=np.float32),
               "tasks": np.empty((T, len(self.task_features)), dtype=np.float32),
               "fragments": np.empty((e.n_frags, len(FRAGMENT_FEATURES)), dtype=np.float32),
               "globals": np.empty(len(GLOBAL_FEATURES), dtype=np.float32)}
        kernels.observation(
            e.t, e.t / self.config.max_episode_steps, e.backlog / T, self._last_energy / e.max_energy_j,
            e.n_ready, e.host_util, e.host_net_util, e.host_power_w, e.bandwidth, e.latency, obs["hosts"], obs["tasks"], obs["fragments"],
            obs["globals"], *self._obs_const, *e.state_blocks)
        return obs

    def _observation_numpy(self) -> dict[str, np.ndarray]:
        # The reference (and numba-less) path: features are written row by row into float64 feature-major buffers
        # with ``out=`` ufuncs (contiguous, same dtype, no temporaries), then transposed
        # into fresh C-ordered float32 arrays. Empty fragment slots need no masking: the
        # engine zeroes a slot's sizes when it frees it. Only features that can leave
        # [0, 1] by construction are clipped.
        e = self.engine
        hb, tb, fb = self._host_buf, self._task_buf, self._frag_buf
        sc = self._inv_scales

        util = e.host_util
        hb[0] = util
        np.multiply(e.ram_used, self._inv_ram_cap, out=hb[1])
        np.multiply(e.disk_used, self._inv_disk_cap, out=hb[2])
        hb[3] = e.host_net_util
        np.subtract(e.hosts.ram_mb, e.ram_used, out=hb[4])
        hb[4] *= sc["ram_mb"]
        np.multiply(e.bandwidth, sc["bandwidth_mbps"], out=hb[6])
        np.multiply(e.latency, sc["latency_s"], out=hb[7])
        np.multiply(e.host_power_w, 1.0 / self._max_power, out=hb[8])
        st = e.frag_state
        running = st == RUNNING
        np.multiply(np.bincount(e.frag_host[running], minlength=e.n_hosts), self._inv_slots, out=hb[10])

        act = e.task_active
        tb[0] = act
        tb[1] = e.task_new
        self._app_onehot_t.take(e.task_app, axis=1, out=tb[2:5])
        invR = sc["response_intervals"]
        np.multiply(e.task_sla, invR, out=tb[5])
        np.subtract(e.t, e.task_arrival, out=tb[6])
        tb[6] *= invR
        np.subtract(tb[5], tb[6], out=tb[7])
        np.multiply(e.task_batch, sc["batch"], out=tb[8])
        nfr = self._nfrag_pad[e.task_app, e.task_split]
        np.subtract(nfr, e.task_left, out=tb[9])
        tb[9] /= np.maximum(nfr, 1.0)
        self._split_onehot_t.take(e.task_split, axis=1, out=tb[10:])
        tb[2:, ~act] = 0.0
        np.maximum(tb[5:8], 0.0, out=tb[5:8])  # the only task rows that can leave [0, 1]
        np.minimum(tb[5:8], 1.0, out=tb[5:8])

        fb[0] = st != 0
        fb[1] = st == BLOCKED
        fb[2] = st == READY
        fb[3] = running
        fb[4] = st == DONE
        np.add(e.frag_host, 1, out=fb[5])
        fb[5] *= self._inv_hosts
        np.multiply(e.frag_work_total, sc["work_s"], out=fb[6])
        np.divide(e.frag_work, np.maximum(e.frag_work_total, 1e-12), out=fb[7])
        np.multiply(e.frag_ram, sc["ram_mb"], out=fb[8])
        np.multiply(e.frag_disk, sc["disk_mb"], out=fb[9])
        np.add(e.frag_in_mb, e.frag_out_mb, out=fb[10])
        fb[10] *= sc["data_mb"]
        np.minimum(fb[8:10], 1.0, out=fb[8:10])  # a fragment larger than every host (odd configs)

        glob = np.array([
            e.t / self.config.max_episode_steps,
            e.backlog / e.n_tasks,
            fb[2].sum() / e.n_frags,
            util.sum() / e.n_hosts,
            self._last_energy / e.max_energy_j,
        ])
        np.maximum(hb, 0.0, out=hb)
        np.minimum(hb, 1.0, out=hb)
        np.minimum(glob, 1.0, out=glob)
        f32 = np.float32
        return {"hosts": np.ascontiguousarray(hb.T, dtype=f32), "tasks": np.ascontiguousarray(tb.T, dtype=f32),
                "fragments": np.ascontiguousarray(fb.T, dtype=f32), "globals": glob.astype(f32)}

    def _info(self, res) -> dict[str, Any]:
        e = self.engine
        if res is None:
            rewards = {"reward": 0.0, "qos": 0.0, "aec": 0.0, "art": 0.0, "n_finished": 0.0}
            finished, energy, counts = _EMPTY_FINISHED, 0.0, (0, 0, 0, 0, 0)
            util = e.host_util
        else:
            rewards, finished, energy = res.rewards, res.finished, res.energy_j
            counts = (res.n_new, res.placements, res.migrations, res.infeasible, res.ignored)
            util = res.host_util
        return {
            "interval": e.t,
            "rewards": rewards,
            "finished": Records(finished),
            "new_tasks": counts[0],
            "pending": Records(e.pending()),  # new tasks awaiting a split in the next action
            "energy_j": energy,
            "host_util": util,
            "queue_length": e.queue_length(),
            "backlog": e.backlog,
            "placements": counts[1],
            "migrations": counts[2],
            "infeasible_placements": counts[3],
            "ignored_actions": counts[4],
            "arrived_total": e.next_task_id,
            "finished_total": e.n_finished_total,
        }
