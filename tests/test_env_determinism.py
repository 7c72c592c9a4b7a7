"""Determinism, common random numbers, pickling, spawn subprocesses and vector envs."""

from __future__ import annotations

import copy
import multiprocessing as mp
import pickle

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)


def _rollout(env: gym.Env, seed: int, n_steps: int, action_seed: int) -> list[tuple]:
    """Runs ``n_steps`` with actions drawn from the (seeded) action space.

    Args:
        env: the environment.
        seed: the reset seed.
        n_steps: steps to take (stops early at the episode's end).
        action_seed: seed of the action-space sampler.

    Returns:
        ``[(obs, info)] + [(obs, reward, terminated, truncated, info), ...]``.
    """
    env.action_space.seed(action_seed)
    out: list[tuple] = [env.reset(seed=seed)]
    for _ in range(n_steps):
        step = env.step(env.action_space.sample())
        out.append(step)
        if step[2] or step[3]:
            break
    return out


def _deep_snapshot(x):
    """A deep copy of nested dicts/tuples/arrays (detaches from later in-place writes)."""
    return copy.deepcopy(x)


def test_same_seed_same_actions_identical(splitplace_id: str, tree_equal) -> None:
    """Two same-seed rollouts with the same action sequence match in obs, reward and full info."""
    a = _rollout(gym.make(splitplace_id), seed=7, n_steps=25, action_seed=11)
    b = _rollout(gym.make(splitplace_id), seed=7, n_steps=25, action_seed=11)
    tree_equal(a, b)


def test_different_seeds_differ(splitplace_id: str) -> None:
    """Different seeds give different episodes (arrivals and observations)."""
    a = _rollout(gym.make(splitplace_id), seed=1, n_steps=10, action_seed=5)
    b = _rollout(gym.make(splitplace_id), seed=2, n_steps=10, action_seed=5)
    same = True
    for x, y in zip(a, b):
        for key in x[0]:
            if not np.array_equal(x[0][key], y[0][key]):
                same = False
    assert not same, "seeds 1 and 2 produced identical observation sequences"


def test_reseeding_same_env_repeats_episode(tree_equal) -> None:
    """``reset(seed=s)`` on a used env replays the episode of a fresh env with seed s."""
    used = gym.make("SplitPlace-small-v0")
    _rollout(used, seed=99, n_steps=13, action_seed=1)
    tree_equal(_rollout(used, seed=4, n_steps=20, action_seed=2),
               _rollout(gym.make("SplitPlace-small-v0"), seed=4, n_steps=20, action_seed=2))


def test_unseeded_reset_after_seeded_reset_is_reproducible(tree_equal) -> None:
    """After ``reset(seed=s)``, a later ``reset()`` (no seed) is determined by s (Gymnasium rule)."""
    runs = []
    for _ in range(2):
        env = gym.make("SplitPlace-small-v0")
        env.reset(seed=21)
        env.action_space.seed(0)
        runs.append([env.reset()] + [env.step(env.action_space.sample()) for _ in range(5)])
    tree_equal(runs[0], runs[1])


def test_returned_data_not_mutated_by_later_steps(tree_equal, masked_action) -> None:
    """Obs and info returned by a step stay unchanged after further steps (no aliasing)."""
    env = gym.make("SplitPlace-v0")
    rng = np.random.default_rng(0)
    kept = [env.reset(seed=3)]
    snaps = [_deep_snapshot(kept[0])]
    for _ in range(15):
        step = env.step(masked_action(env, rng))
        kept.append(step)
        snaps.append(_deep_snapshot(step))
    tree_equal(kept, snaps)


def test_common_random_numbers_across_agents(masked_action) -> None:
    """Same seed -> the same tasks whatever the agent does (noop vs random masked actions)."""
    seen: list[dict[int, tuple]] = []
    arrived: list[list[int]] = []
    for agent in ("noop", "random"):
        env = gym.make("SplitPlace-v0")
        rng = np.random.default_rng(123)
        obs, info = env.reset(seed=2024)
        tasks: dict[int, tuple] = {}
        totals = [info["arrived_total"]]

        def record(info: dict) -> None:
            p = info["pending"]
            for tid, app, sla, batch in zip(p["task_id"].tolist(), p["app"].tolist(),
                                            p["sla"].tolist(), p["batch"].tolist()):
                assert tasks.setdefault(tid, (app, sla, batch)) == (app, sla, batch)

        record(info)
        for _ in range(60):
            if agent == "noop":
                action = env.unwrapped.codec.noop()
            else:
                action = masked_action(env, rng)
            obs, _, _, _, info = env.step(action)
            record(info)
            totals.append(info["arrived_total"])
        seen.append(tasks)
        arrived.append(totals)
    assert arrived[0] == arrived[1], "arrival counts depend on the agent"
    common = set(seen[0]) & set(seen[1])
    assert len(common) >= 50, f"too few tasks seen by both agents to compare ({len(common)})"
    for tid in common:
        assert seen[0][tid] == seen[1][tid], f"task {tid} differs between agents"
    # The active agent sees many more tasks than the slots hold; ids are consecutive.
    assert sorted(seen[1]) == list(range(len(seen[1])))


def test_pickle_round_trip_mid_episode(tree_equal, masked_action) -> None:
    """A pickled and restored env continues exactly like the original (to truncation)."""
    env = gym.make("SplitPlace-small-v0")
    rng = np.random.default_rng(5)
    env.reset(seed=8)
    for _ in range(30):
        env.step(masked_action(env, rng))
    clone = pickle.loads(pickle.dumps(env))
    tree_equal(clone.unwrapped.action_masks(), env.unwrapped.action_masks())
    for _ in range(25):
        action = masked_action(env, rng)
        a, b = env.step(action), clone.step(action.copy())
        tree_equal(a, b)
        if a[3]:
            break
    assert a[3], "SplitPlace-small-v0 should truncate after 50 intervals"


def test_deepcopy_mid_episode_is_independent(tree_equal, masked_action) -> None:
    """``copy.deepcopy`` gives an independent env: stepping the copy leaves the original alone."""
    env = gym.make("SplitPlace-v0")
    rng = np.random.default_rng(6)
    env.reset(seed=9)
    for _ in range(10):
        env.step(masked_action(env, rng))
    twin = copy.deepcopy(env)
    action = masked_action(env, rng)
    other = copy.deepcopy(twin)
    for _ in range(5):  # perturb `other` only
        other.step(masked_action(other, rng))
    tree_equal(env.step(action), twin.step(action.copy()))


def _spawn_child(env_id: str, seed: int, n_steps: int) -> tuple[float, int, int]:
    """Runs in a spawned process: creates ``env_id`` and steps it with the noop action."""
    import gymnasium as gym_

    import splitplace_env as _  # noqa: F401

    env = gym_.make(env_id)
    env.reset(seed=seed)
    total = 0.0
    info = {}
    for _ in range(n_steps):
        _, reward, _, _, info = env.step(env.unwrapped.codec.noop())
        total += reward
    return total, int(info["arrived_total"]), int(info["interval"])


@pytest.mark.slow
def test_create_and_step_in_spawn_subprocess() -> None:
    """The env can be created and stepped in a ``spawn`` subprocess, with the parent's results."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        child = pool.apply(_spawn_child, ("SplitPlace-v0", 17, 12))
    assert child == _spawn_child("SplitPlace-v0", 17, 12)


def test_sync_vector_env_reset_and_step() -> None:
    """``gym.make_vec(..., vectorization_mode="sync")`` resets and steps (infos are batched)."""
    venv = gym.make_vec("SplitPlace-v0", num_envs=2, vectorization_mode="sync")
    try:
        obs, info = venv.reset(seed=[1, 2])
        assert obs in venv.observation_space
        for _ in range(3):
            obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample())
        assert reward.shape == (2,) and np.all(np.isfinite(reward))
        assert info["interval"].tolist() == [3, 3]
    finally:
        venv.close()


@pytest.mark.slow
def test_async_vector_env_reset_and_step() -> None:
    """``gym.make_vec(..., vectorization_mode="async")`` resets and steps (bounded waits)."""
    venv = gym.make_vec("SplitPlace-v0", num_envs=2, vectorization_mode="async")
    try:
        venv.reset_async(seed=[1, 2])
        obs, info = venv.reset_wait(timeout=60)
        assert obs["hosts"].shape == (2,) + venv.single_observation_space["hosts"].shape
        assert obs in venv.observation_space
        for _ in range(3):
            venv.step_async(venv.action_space.sample())
            obs, reward, terminated, truncated, info = venv.step_wait(timeout=60)
        assert reward.shape == (2,) and np.all(np.isfinite(reward))
        assert not terminated.any()
        assert obs in venv.observation_space
    finally:
        venv.close(terminate=True)  # never blocks, even after a failed call
