"""The native vector env: registered for every id, and exactly N single environments."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import splitplace_env
from benchmarks.env_speed import action_from_mask
from splitplace_env.vector import SplitPlaceVectorEnv

ID = "SplitPlace-small-v0"  # 50-interval episodes: a test crosses episode boundaries quickly


def masked_actions(masks: np.ndarray, nvec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly drawn allowed choice per action entry, per row of ``masks``."""
    offsets = np.concatenate([[0], np.cumsum(nvec)])
    actions = np.zeros((masks.shape[0], len(nvec)), dtype=np.int64)
    for i in range(masks.shape[0]):
        for j in range(len(nvec)):
            actions[i, j] = rng.choice(np.flatnonzero(masks[i, offsets[j]:offsets[j + 1]]))
    return actions


@pytest.mark.parametrize("env_id", list(splitplace_env.ENV_IDS))
def test_every_id_makes_the_native_vector_env(env_id):
    envs = gym.make_vec(env_id, num_envs=2)
    assert isinstance(envs.unwrapped, SplitPlaceVectorEnv)
    assert envs.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    single = gym.make(env_id)
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    obs, info = envs.reset(seed=3)
    assert envs.observation_space.contains(obs)
    masks = envs.unwrapped.action_masks()
    assert masks.shape == (2, int(single.action_space.nvec.sum()))
    assert masks.dtype == np.bool_
    obs, rewards, terminated, truncated, info = envs.step(np.zeros(envs.action_space.shape, dtype=np.int64))
    assert rewards.shape == (2,) and terminated.shape == (2,) and truncated.shape == (2,)
    assert info["host_util"].shape == (2, single.unwrapped.engine.n_hosts)
    assert info["finished"]["response"].shape == (2, single.unwrapped.engine.n_tasks)


def _run_against_singles(mode: AutoresetMode, steps: int, n: int = 3, seed: int = 11):
    """Steps a vector env and n single envs (seeds seed + i) with the same masked
    random actions, asserting identical observations, rewards, flags, masks and infos."""
    envs = gym.make_vec(ID, num_envs=n, autoreset_mode=mode)
    singles = [gym.make(ID) for _ in range(n)]
    obs, _ = envs.reset(seed=seed)
    single_obs = [s.reset(seed=seed + i)[0] for i, s in enumerate(singles)]
    nvec = envs.single_action_space.nvec
    rng = np.random.default_rng(0)
    needs_reset = np.zeros(n, dtype=bool)  # next-step mode: single envs that reset on this step
    truncations_seen = 0
    for t in range(steps):
        masks = envs.unwrapped.action_masks()
        for i, s in enumerate(singles):
            k = {key: obs[key][i] for key in obs}
            for key in k:
                np.testing.assert_array_equal(k[key], single_obs[i][key], err_msg=f"obs {key} env {i} step {t}")
            if not needs_reset[i]:
                np.testing.assert_array_equal(masks[i], s.unwrapped.action_masks(), err_msg=f"mask env {i} step {t}")
        actions = masked_actions(masks, nvec, rng)
        obs, rewards, terminated, truncated, info = envs.step(actions)
        assert not terminated.any()
        for i, s in enumerate(singles):
            if needs_reset[i]:
                single_obs[i], s_info = s.reset()
                s_reward, s_trunc = 0.0, False
            else:
                single_obs[i], s_reward, _, s_trunc, s_info = s.step(actions[i])
            if mode is AutoresetMode.SAME_STEP and s_trunc:
                for key in single_obs[i]:
                    np.testing.assert_array_equal(info["final_obs"][key][i], single_obs[i][key])
                assert info["_final_obs"][i] and info["final_info"]["rewards"]["reward"][i] == s_reward
                assert rewards[i] == s_reward and truncated[i]
                assert info["final_info"]["finished_total"][i] == s_info["finished_total"]
                single_obs[i], s_info = s.reset()
            elif mode is AutoresetMode.SAME_STEP:
                assert rewards[i] == s_reward
            if mode is AutoresetMode.NEXT_STEP:
                assert rewards[i] == s_reward, (t, i)
                assert truncated[i] == s_trunc
            for key in ("placements", "migrations", "infeasible_placements", "ignored_actions", "new_tasks",
                        "backlog", "queue_length", "arrived_total", "finished_total", "interval"):
                assert info[key][i] == s_info[key], (key, t, i)
            assert info["energy_j"][i] == s_info["energy_j"]
            np.testing.assert_array_equal(info["host_util"][i], s_info["host_util"])
            nf = int(info["n_finished"][i])
            assert nf == len(s_info["finished"]["response"])
            for key in s_info["finished"]:
                np.testing.assert_array_equal(info["finished"][key][i, :nf], s_info["finished"][key])
            npend = int(info["n_pending"][i])
            for key in s_info["pending"]:
                np.testing.assert_array_equal(info["pending"][key][i, :npend], s_info["pending"][key])
        truncations_seen += int(truncated.sum())
        needs_reset = truncated.copy() if mode is AutoresetMode.NEXT_STEP else np.zeros(n, dtype=bool)
    return truncations_seen


@pytest.mark.slow
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_seeded_vector_env_equals_single_envs_across_autoreset(mode):
    # 50-interval episodes: 110 steps cross two truncations per environment
    assert _run_against_singles(mode, steps=110) == 3 * 2


def test_seed_sequence_and_reset_mask():
    envs = gym.make_vec(ID, num_envs=3)
    obs_a, _ = envs.reset(seed=[5, 6, 7])
    obs_b, _ = envs.reset(seed=5)  # an int seeds env i with seed + i
    for k in obs_a:
        np.testing.assert_array_equal(obs_a[k], obs_b[k])
    envs.step(np.zeros(envs.action_space.shape, dtype=np.int64))
    stepped = {k: v.copy() for k, v in envs.unwrapped.engine.obs.items()}
    obs_c, _ = envs.reset(seed=[None, 6, None], options={"reset_mask": np.array([False, True, False])})
    for k in obs_c:
        np.testing.assert_array_equal(obs_c[k][1], obs_a[k][1])  # reset with the same seed
        np.testing.assert_array_equal(obs_c[k][0], stepped[k][0])  # left alone


def test_bad_input_raises_clear_errors():
    envs = gym.make_vec(ID, num_envs=2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.zeros(envs.action_space.shape, dtype=np.int64))
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        envs.step(np.zeros(envs.single_action_space.shape, dtype=np.int64))
    with pytest.raises(ValueError, match="integers"):
        envs.step(np.full(envs.action_space.shape, 0.5))
    with pytest.raises(ValueError, match="seed"):
        envs.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": [1, 0]})
    with pytest.raises(ValueError, match="autoreset_mode"):
        gym.make_vec(ID, num_envs=2, autoreset_mode="disabled")
    with pytest.raises(ValueError, match="num_envs"):
        SplitPlaceVectorEnv(num_envs=0)
    with pytest.raises(ValueError, match="out"):
        envs.unwrapped.action_masks(out=np.zeros(3, dtype=bool))


def test_copy_false_returns_the_buffers_and_copy_true_fresh_arrays():
    fresh = gym.make_vec(ID, num_envs=2)
    obs, _ = fresh.reset(seed=0)
    obs2, *_ = fresh.step(np.zeros(fresh.action_space.shape, dtype=np.int64))
    assert not np.shares_memory(obs["fragments"], obs2["fragments"])
    shared = gym.make_vec(ID, num_envs=2, copy=False)
    obs, _ = shared.reset(seed=0)
    obs2, *_ = shared.step(np.zeros(shared.action_space.shape, dtype=np.int64))
    assert obs["fragments"] is obs2["fragments"]


def test_backlog_ring_grows_without_losing_tasks():
    # 2 task slots, 12 arrivals per interval and no placements: the backlog outgrows the
    # initial 64-column ring within a few intervals in every environment
    envs = gym.make_vec(ID, num_envs=2, max_tasks=2, arrival_rate=12.0)
    singles = [gym.make(ID, max_tasks=2, arrival_rate=12.0) for _ in range(2)]
    obs, _ = envs.reset(seed=1)
    for i, s in enumerate(singles):
        s.reset(seed=1 + i)
    for _ in range(12):
        obs, _, _, _, info = envs.step(np.zeros(envs.action_space.shape, dtype=np.int64))
        for i, s in enumerate(singles):
            s_obs, *_, s_info = s.step(np.zeros(s.action_space.shape, dtype=np.int64))
            assert info["backlog"][i] == s_info["backlog"]
            np.testing.assert_array_equal(obs["tasks"][i], s_obs["tasks"])
    assert envs.unwrapped.engine._ring_i.shape[2] > 64
    assert (info["backlog"] > 64).all()


def test_threads_step_the_same_trajectories_as_one_thread():
    # 64 environments, 2 threads claiming them one by one (MIN_ENVS_PER_THREAD = 32);
    # random masked actions and a backlog that outgrows the ring (2 slots, 12 arrivals
    # per interval), so some environments are deferred and stepped after the others
    from splitplace_env.core.batch_engine import MIN_ENVS_PER_THREAD

    n = 2 * MIN_ENVS_PER_THREAD
    kw = dict(num_envs=n, max_tasks=2, arrival_rate=12.0)
    one, two = gym.make_vec(ID, num_threads=1, **kw), gym.make_vec(ID, num_threads=2, **kw)
    assert one.unwrapped.engine.num_threads == 1 and two.unwrapped.engine.num_threads == 2
    assert gym.make_vec(ID, num_envs=n - 1, num_threads=2).unwrapped.engine.num_threads == 1
    o1, _ = one.reset(seed=3)
    o2, _ = two.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(15):
        masks = one.unwrapped.action_masks()
        np.testing.assert_array_equal(masks, two.unwrapped.action_masks())
        codec = one.unwrapped.codec
        actions = np.stack([action_from_mask(codec, m, rng) for m in masks])
        o1, r1, _, _, i1 = one.step(actions)
        o2, r2, _, _, i2 = two.step(actions)
        np.testing.assert_array_equal(r1, r2)
        for k in o1:
            np.testing.assert_array_equal(o1[k], o2[k])
        np.testing.assert_array_equal(i1["backlog"], i2["backlog"])
    assert two.unwrapped.engine._ring_i.shape[2] > 64  # the ring grew while two threads stepped
    two.close()
    assert two.unwrapped.engine._pool is None
    with pytest.raises(ValueError, match="num_threads"):
        gym.make_vec(ID, num_envs=2, num_threads=0)


def test_copy_true_reuses_observation_arrays_only_when_nobody_holds_them():
    envs = gym.make_vec(ID, num_envs=2)
    e = envs.unwrapped.engine
    envs.reset(seed=0)
    a = np.zeros(envs.action_space.shape, dtype=np.int64)
    for _ in range(2):
        obs, *_ = envs.step(a)
    del obs
    slots = list(e._obs_slots)
    for _ in range(4):  # a loop that drops each observation: the two slots' arrays come back
        obs, *_ = envs.step(a)
        assert any(obs["fragments"] is s[2] for s in slots)
    kept = [envs.step(a)[0] for _ in range(3)]  # kept observations are never written again
    frozen = [o["fragments"].copy() for o in kept]
    for _ in range(3):
        envs.step(a)
    for o, f in zip(kept, frozen):
        np.testing.assert_array_equal(o["fragments"], f)
    assert len({id(o["fragments"]) for o in kept}) == 3


def test_partial_reset_keeps_the_other_rows_observation():
    envs = gym.make_vec(ID, num_envs=2)
    envs.reset(seed=0)
    a = np.zeros(envs.action_space.shape, dtype=np.int64)
    for _ in range(3):
        obs, *_ = envs.step(a)
    before = {k: v.copy() for k, v in obs.items()}
    obs2, _ = envs.reset(seed=5, options={"reset_mask": np.array([True, False])})
    for k in obs2:
        np.testing.assert_array_equal(obs2[k][1], before[k][1])  # not reset: its last observation
    fresh = gym.make(ID)
    first, _ = fresh.reset(seed=5)
    for k in obs2:
        np.testing.assert_array_equal(obs2[k][0], first[k])  # reset with seed 5 + 0
    assert obs["fragments"] is not obs2["fragments"]


def test_claim_hands_each_index_to_exactly_one_thread():
    import threading

    from splitplace_env.core import jit
    from splitplace_env.core.atomic import claim

    @jit.kernel
    def take_all(counter, counts):
        while True:
            i = claim(counter)
            if i >= counts.shape[0]:
                return 0
            counts[i] += 1

    counter, counts = np.zeros(1, np.int64), np.zeros(200_000, np.int64)
    threads = [threading.Thread(target=take_all, args=(counter, counts)) for _ in range(2 if jit.COMPILED else 0)]
    for t in threads:
        t.start()
    take_all(counter, counts)
    for t in threads:
        t.join()
    assert (counts == 1).all() and counter[0] == counts.shape[0] + len(threads) + 1
