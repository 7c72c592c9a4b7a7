"""Property-based invariants of SplitPlace-v0 (Hypothesis) over configurations and long runs.

After every step of random (unmasked or masked) action sequences:

* every arrived task is exactly one of waiting, running, finished
  (``engine.task_counts()``), no task id is lost or finishes twice;
* no host books more than its RAM + swap or its disk, and the engine's RAM/disk
  books match the fragments it runs; a fragment that has run an interval books its
  true peak (a placeholder is always released); at most ``max_containers`` run;
* the interval's energy is between the idle floor and the full-load maximum;
* the reward is finite and in ``REWARD_RANGE``; QoS/AEC/ART are in [0, 1];
* the mask allows only feasible choices: an allowed host placement applied
  alone (on a deep copy) is carried out;
* the observation lies in the observation space;
* under host faults: a down host runs and books nothing and the mask never offers
  it (and every task above still holds).
"""

from __future__ import annotations

import copy
import math
import os

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from splitplace_env.config import APPLICATIONS, SPLIT_MODES
from splitplace_env.core.engine import RUNNING
from splitplace_env.core.metrics import REWARD_RANGE

#: Examples per property test; raise it for a deeper local run (150 passed on 2026-11-28).
N_EXAMPLES = int(os.environ.get("SPLITPLACE_HYPOTHESIS_EXAMPLES", "15"))

F = 5


class EpisodeChecker:
    """Accumulates per-episode state and checks the invariants after each step.

    Args:
        env: a ``gym.make``-created SplitPlace env (already reset).
        rng: random generator for the mask-feasibility samples.
        mask_samples: allowed placements tried alone per checked step.
        mask_every: check the mask's feasibility every this many steps (deep copies
            of long-backlog episodes are the slow part).
    """

    def __init__(self, env: gym.Env, rng: np.random.Generator, mask_samples: int = 2,
                 mask_every: int = 1) -> None:
        self.env = env
        self.base = env.unwrapped
        self.engine = self.base.engine
        self.rng = rng
        self.mask_samples = mask_samples
        self.mask_every = mask_every
        self.n_checks = 0
        self.finished_ids: set[int] = set()

    # ------------------------------------------------------------------ per step
    def check(self, obs: dict, reward: float | None, info: dict) -> None:
        """Checks every invariant for the state after a step (or reset).

        Args:
            obs: the step's observation.
            reward: the step's reward; None after reset (no interval has run,
                so there is no energy or reward to check).
            info: the step's info.
        """
        self._check_tasks(info)
        self._check_capacity()
        if reward is not None:
            self._check_energy_reward(reward, info)
        assert obs in self.base.observation_space, "observation outside the observation space"
        for key, v in obs.items():
            assert np.all(np.isfinite(v)), key
        if self.n_checks % self.mask_every == 0:
            self.check_mask_feasibility(obs)
        self.n_checks += 1

    def _check_tasks(self, info: dict) -> None:
        e = self.engine
        counts = e.task_counts()
        assert counts["arrived"] == counts["waiting"] + counts["running"] + counts["finished"], counts
        assert min(counts.values()) >= 0, counts
        assert counts["arrived"] == info["arrived_total"]
        assert counts["finished"] == info["finished_total"]
        new = info["finished"]["task_id"].tolist()
        assert len(set(new)) == len(new) and self.finished_ids.isdisjoint(new), "a task finished twice"
        self.finished_ids.update(new)
        assert len(self.finished_ids) == counts["finished"]
        active = set(e.task_id[e.task_active].tolist())
        assert active.isdisjoint(self.finished_ids), "a finished task still holds a slot"
        admitted = set(range(info["arrived_total"] - info["backlog"]))
        assert active | self.finished_ids == admitted, "an admitted task vanished"
        assert counts["running"] <= len(active)

    def _check_capacity(self) -> None:
        e = self.engine
        cfg = e.cfg
        assert np.all(e.ram_used <= e.hosts.ram_mb + cfg.swap_mb + 1e-6), (e.ram_used, e.hosts.ram_mb)
        assert np.all(e.disk_used <= e.hosts.disk_mb + 1e-6), (e.disk_used, e.hosts.disk_mb)
        assert np.all(e.ram_used >= -1e-6) and np.all(e.disk_used >= -1e-6)
        # The books match the running fragments.
        run = e.frag_state == RUNNING
        ram = np.bincount(e.frag_host[run], e.frag_ram[run], minlength=e.n_hosts)
        disk = np.bincount(e.frag_host[run], e.frag_disk[run], minlength=e.n_hosts)
        assert np.allclose(e.ram_used, ram, atol=1e-6), (e.ram_used, ram)
        assert np.allclose(e.disk_used, disk, atol=1e-6), (e.disk_used, disk)
        if cfg.max_containers:
            assert run.sum() <= cfg.max_containers, (run.sum(), cfg.max_containers)
        measured = run & (e.frag_measured == 1)
        assert np.array_equal(e.frag_ram[measured], e.frag_peak[measured]), "a placeholder was not released"
        if cfg.placeholder_mb:
            assert np.all(e.frag_ram[run & (e.frag_measured == 0)] == cfg.placeholder_mb)
        # A host that is down runs nothing, books nothing, and the mask never offers it.
        down = e.host_up == 0.0
        assert not np.isin(e.frag_host[run], np.flatnonzero(down)).any(), "a fragment runs on a down host"
        assert np.all(e.ram_used[down] == 0.0) and np.all(e.disk_used[down] == 0.0)
        _, host_rows = self.base.codec.split_masks(self.base.action_masks())
        assert not host_rows[:, 1:][:, down].any(), "the mask offers a down host"

    def _check_energy_reward(self, reward: float, info: dict) -> None:
        e = self.engine
        energy = info["energy_j"]
        assert e.idle_energy_j - 1e-6 <= energy <= e.max_energy_j + 1e-6, (energy, e.idle_energy_j)
        assert math.isfinite(reward)
        assert REWARD_RANGE[0] - 1e-9 <= reward <= REWARD_RANGE[1] + 1e-9, reward
        lo, hi = getattr(self.base, "reward_range", REWARD_RANGE)  # tight bounds for this alpha, beta
        assert lo - 1e-9 <= reward <= hi + 1e-9, (reward, lo, hi)
        r = info["rewards"]
        assert r["reward"] == reward
        for term in ("qos", "aec", "art"):
            assert 0.0 <= r[term] <= 1.0, (term, r[term])
        assert r["n_finished"] == len(info["finished"]["task_id"])
        assert np.all((info["host_util"] >= 0.0) & (info["host_util"] <= 1.0))

    # ------------------------------------------------------------------ masks
    def check_mask_feasibility(self, obs: dict) -> None:
        """Tries a few individually allowed placements alone on deep copies; each must be carried out.

        Args:
            obs: the current observation (to find new tasks).
        """
        base = self.base
        codec = base.codec
        _, host_rows = codec.split_masks(base.action_masks())
        pairs = np.argwhere(host_rows[:, 1:])
        if pairs.size == 0:
            return
        pick = self.rng.choice(len(pairs), size=min(self.mask_samples, len(pairs)), replace=False)
        new = obs["tasks"][:, 1] == 1.0
        modes = codec.split_modes
        for f, h in pairs[pick].tolist():
            k, j = divmod(f, F)
            a = codec.noop()
            if new[k] and j > 0:  # fragment j > 0 of a new task is ready at once only if semantic
                assert "semantic" in modes, f"mask allows fragment {j} of a new task without a parallel split"
                a[k] = modes.index("semantic")
            a[codec.n_tasks + f] = h + 1
            twin = copy.deepcopy(base)
            _, _, _, _, info = twin.step(a)
            assert info["placements"] + info["migrations"] == 1, (f, h, info["placements"], info["migrations"])
            assert info["infeasible_placements"] == 0 and info["ignored_actions"] == 0, (f, h)


# --------------------------------------------------------------------------- strategies
def _with_weights(cfg: dict) -> dict:
    cfg["app_weights"] = tuple(1.0 for _ in cfg["applications"])
    cfg["hide_unmeasured"] = cfg["hide_unmeasured"] and cfg["placeholder_mb"] > 0
    return cfg


CONFIGS = st.fixed_dictionaries({
    "n_hosts": st.integers(1, 20),
    "arrival_rate": st.floats(0.0, 12.0, allow_nan=False),
    "max_tasks": st.integers(1, 24),
    "mobility": st.sampled_from(["static", "random_waypoint"]),
    "split_modes": st.lists(st.sampled_from(SPLIT_MODES), min_size=1, max_size=5, unique=True).map(tuple),
    "applications": st.lists(st.sampled_from(APPLICATIONS), min_size=1, max_size=3, unique=True).map(tuple),
    "host_ram_gb": st.sampled_from([(4.0, 8.0), (2.0,), (8.0, 4.0, 1.0)]),
    "host_cores": st.integers(1, 4),
    "alpha": st.sampled_from([0.0, 0.5, 1.0]),
    "beta": st.sampled_from([0.0, 0.5, 1.0]),
    "memory_model": st.sampled_from(["full_batch", "streaming"]),
    "swap_mb": st.sampled_from([0.0, 2000.0, 40960.0]),
    "max_containers": st.integers(0, 6),
    "placeholder_mb": st.sampled_from([0.0, 500.0, 5000.0]),
    "hide_unmeasured": st.booleans(),
    "migration": st.booleans(),
    "container_costs": st.booleans(),
    "arrival_process": st.sampled_from(["poisson", "gauss"]),
    # host faults: off, occasional, frequent; recovery never, sometimes, at once
    "fault_rate": st.sampled_from([0.0, 0.1, 0.5]),
    "fault_recovery_rate": st.sampled_from([0.0, 0.3, 1.0]),
}).map(_with_weights)


def _action(env: gym.Env, rng: np.random.Generator, masked: bool, masked_action) -> np.ndarray:
    """A random action: from the mask, or uniform (sometimes beyond the ranges) when unmasked."""
    if masked:
        return masked_action(env, rng, place_prob=float(rng.uniform(0.2, 1.0)))
    nvec = env.action_space.nvec
    if rng.random() < 0.2:
        return rng.integers(-2, nvec + 3)
    return rng.integers(0, nvec)


def _run(cfg: dict, seed: int, masked: bool, n_steps: int, masked_action, mask_samples: int = 2,
         mask_every: int = 1) -> EpisodeChecker:
    """Runs one checked episode of ``SplitPlace-v0`` with ``cfg`` overrides; returns the checker."""
    env = gym.make("SplitPlace-v0", **cfg)
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    checker = EpisodeChecker(env, rng, mask_samples, mask_every)
    checker.check(obs, None, info)
    for _ in range(n_steps):
        obs, reward, terminated, truncated, info = env.step(_action(env, rng, masked, masked_action))
        assert terminated is False
        checker.check(obs, reward, info)
        if truncated:
            break
    return checker


# --------------------------------------------------------------------------- properties
@settings(max_examples=N_EXAMPLES)
@given(cfg=CONFIGS, seed=st.integers(0, 2**31 - 1))
def test_invariants_random_configs_unmasked(cfg: dict, seed: int, masked_action) -> None:
    """Invariants hold under random unmasked actions for random configurations."""
    _run(cfg, seed, masked=False, n_steps=30, masked_action=masked_action)


@settings(max_examples=N_EXAMPLES)
@given(cfg=CONFIGS, seed=st.integers(0, 2**31 - 1))
def test_invariants_random_configs_masked(cfg: dict, seed: int, masked_action) -> None:
    """Invariants hold under random masked actions for random configurations."""
    _run(cfg, seed, masked=True, n_steps=30, masked_action=masked_action)


@pytest.mark.slow
@settings(max_examples=4)
@given(seed=st.integers(0, 2**31 - 1), masked=st.booleans())
def test_invariants_long_runs_paper_setting(seed: int, masked: bool, masked_action) -> None:
    """A full 100-interval episode of the paper setting keeps every invariant."""
    checker = _run({}, seed, masked=masked, n_steps=100, masked_action=masked_action, mask_samples=1)
    assert checker.engine.t == 100


@pytest.mark.slow
@settings(max_examples=3)
@given(seed=st.integers(0, 2**31 - 1), masked=st.booleans())
def test_invariants_long_runs_authors_code_setting(seed: int, masked: bool, masked_action) -> None:
    """A full episode of the authors' released setting (cap, placeholder, no migration) keeps every invariant."""
    env = gym.make("SplitPlace-AuthorsCode-v0")
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    checker = EpisodeChecker(env, rng, mask_samples=1)
    checker.check(obs, None, info)
    for _ in range(100):
        obs, reward, _, truncated, info = env.step(_action(env, rng, masked, masked_action))
        checker.check(obs, reward, info)
        if truncated:
            break
    assert checker.engine.t == 100


@pytest.mark.slow
@pytest.mark.parametrize("masked", [False, True])
def test_invariants_long_run_overloaded_small_slots(masked: bool, masked_action) -> None:
    """250 intervals of Poisson(6) into 4 slots on 3 hosts: the backlog grows, nothing is lost."""
    cfg = {"n_hosts": 3, "max_tasks": 4, "arrival_rate": 6.0, "max_episode_steps": 250,
           "split_modes": SPLIT_MODES}
    checker = _run(cfg, 77, masked=masked, n_steps=250, masked_action=masked_action, mask_samples=1,
                   mask_every=10)
    counts = checker.engine.task_counts()
    assert counts["arrived"] > 1000 and counts["finished"] > 0 and checker.engine.t == 250
