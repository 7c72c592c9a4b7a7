"""The per-decision view (``SplitPlace-PerDecision-v0``): rewards, replay, exact masks."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env.sequential import PerDecisionEnv


def _random_episode(env_id: str, seed: int, n_steps: int | None = None, skip_forced: bool = True):
    """Plays random masked decisions; returns per-step rewards and the completed intervals."""
    env = gym.make("SplitPlace-PerDecision-v0", env_id=env_id, skip_forced=skip_forced)
    rng = np.random.default_rng(seed + 100)
    env.reset(seed=seed)
    steps, intervals, done = [], [], False
    while not done and (n_steps is None or len(steps) < n_steps):
        mask = env.unwrapped.action_masks()
        a = int(rng.choice(np.flatnonzero(mask)))
        obs, r, terminated, truncated, info = env.step(a)
        assert env.observation_space.contains(obs)
        steps.append(r)
        if not info["interval_done"]:
            assert r == 0.0
            assert not info["interval_actions"]
        for ra, act in zip(info["interval_rewards"], info["interval_actions"]):
            intervals.append((ra, act, info))
        assert np.isclose(r, sum(info["interval_rewards"]))
        done = terminated or truncated
    env.close()
    return steps, intervals, done


@pytest.mark.parametrize("env_id", ["SplitPlace-small-v0"])
def test_rewards_sum_to_interval_rewards_and_replay(env_id: str) -> None:
    steps, intervals, done = _random_episode(env_id, seed=4)
    assert done
    ref = gym.make(env_id)
    ref.reset(seed=4)
    assert len(intervals) == ref.spec.max_episode_steps
    for r, action, _ in intervals:
        _, r_ref, _, _, info = ref.step(action)
        assert r == pytest.approx(r_ref, abs=1e-12)
        assert info["infeasible_placements"] == 0
        assert info["ignored_actions"] == 0
    assert sum(steps) == pytest.approx(sum(r for r, _, _ in intervals), abs=1e-9)


@pytest.mark.parametrize("env_id", ["SplitPlace-small-v0", "SplitPlace-v0"])
def test_mask_is_exact(env_id: str) -> None:
    """Every allowed placement is carried out: no infeasible placements, all hosts taken."""
    _, intervals, _ = _random_episode(env_id, seed=1, n_steps=1500)
    assert len(intervals) > 5
    n_placed = 0
    env = gym.make(env_id)
    env.reset(seed=1)
    T = env.unwrapped.codec.n_tasks
    for _, action, _ in intervals:
        _, _, _, _, info = env.step(action)
        assert info["infeasible_placements"] == 0
        assert info["placements"] == np.count_nonzero(action[T:])  # no migrations offered
        n_placed += info["placements"]
    assert n_placed > 0


def test_decision_part_and_masks() -> None:
    env = PerDecisionEnv(env_id="SplitPlace-small-v0")
    obs, info = env.reset(seed=0)
    S, H = env.S, env.H
    seen = set()
    for _ in range(200):
        kind = info["decision"]["kind"]
        m = env.action_masks()
        d = obs["decision"]
        if kind == "split":
            assert d[0] == 1 and d[1] == 0
            assert m[:S].all() and not m[S:].any()
        elif kind == "placement":
            assert d[0] == 0 and d[1] == 1
            assert m[0] and m[1:].any()  # forced decisions are skipped
            assert not m[H + 1:].any()
        seen.add(kind)
        obs, _, term, trunc, info = env.step(int(np.flatnonzero(m)[-1]))
        if term or trunc:
            break
    assert {"split", "placement"} <= seen


def test_masked_actions_are_counted_not_errors() -> None:
    env = PerDecisionEnv(env_id="SplitPlace-small-v0")
    env.reset(seed=2)
    masked = 0
    for _ in range(100):
        bad = np.flatnonzero(~env.action_masks())
        a = int(bad[0]) if bad.size else 0
        _, _, _, trunc, info = env.step(a)
        masked += info["masked_actions"] if info["interval_done"] else 0
        if trunc:
            break
    assert masked > 0


def test_plan_matches_stepping() -> None:
    """``plan`` (used by agents in the interval view) builds the action stepping would send."""
    a_env = PerDecisionEnv(env_id="SplitPlace-small-v0")
    b_env = gym.make("SplitPlace-small-v0")
    a_env.reset(seed=5)
    obs_b, _ = b_env.reset(seed=5)
    planner = PerDecisionEnv(env=b_env)
    choose = lambda obs, mask: int(np.flatnonzero(mask)[-1])  # noqa: E731
    stepped: list[np.ndarray] = []
    for _ in range(8):
        planned = planner.plan(obs_b, choose)
        while not stepped:  # an interval without decisions is run in the same step as the previous one
            _, _, _, _, info = a_env.step(choose(None, a_env.action_masks()))
            stepped.extend(info["interval_actions"])
        assert np.array_equal(stepped.pop(0), planned)
        obs_b, *_ = b_env.step(planned)


def test_deterministic_under_seed() -> None:
    a = _random_episode("SplitPlace-small-v0", seed=7, n_steps=300)
    b = _random_episode("SplitPlace-small-v0", seed=7, n_steps=300)
    assert a[0] == b[0]
    assert a[1] and len(a[1]) == len(b[1])  # the same completed intervals, action for action
    for (ra, act_a, _), (rb, act_b, _) in zip(a[1], b[1]):
        assert ra == rb and np.array_equal(act_a, act_b)
    assert a[2] == b[2]
