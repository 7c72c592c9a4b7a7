"""SB3 and sb3-contrib train on the native vector env through ``SB3VectorEnv``."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401
from agents.rl.envs import make_vec_env
from agents.rl.sb3_vec import SB3VectorEnv

SMALL = "SplitPlace-small-v0"
KW = {"n_steps": 32, "batch_size": 32, "n_epochs": 1, "seed": 0, "device": "cpu"}


def _base(venv) -> SB3VectorEnv:
    while not isinstance(venv, SB3VectorEnv):
        venv = venv.venv
    return venv


def test_native_is_the_default_and_steps_like_dummy_vec_env():
    native = make_vec_env(SMALL, 3, seed=4)
    dummy = make_vec_env(SMALL, 3, "dummy", seed=4)
    assert isinstance(_base(native), SB3VectorEnv)
    obs_n, obs_d = native.reset(), dummy.reset()
    rng = np.random.default_rng(0)
    ends = 0
    for t in range(60):  # 50-interval episodes: crosses one autoreset
        for k in obs_n:
            np.testing.assert_array_equal(obs_n[k], obs_d[k], err_msg=f"{k} at step {t}")
        masks = np.stack(native.env_method("action_masks"))
        np.testing.assert_array_equal(masks, np.stack(dummy.env_method("action_masks")))
        from benchmarks.rl_throughput import masked_random_actions

        e = _base(native).venv.engine
        actions = masked_random_actions(masks, e.n_tasks, e.template.n_splits, e.n_hosts, rng)
        obs_n, r_n, d_n, i_n = native.step(actions)
        obs_d, r_d, d_d, i_d = dummy.step(actions)
        np.testing.assert_array_equal(r_n, r_d)
        np.testing.assert_array_equal(d_n, d_d)
        for i in np.flatnonzero(d_n):
            ends += 1
            assert i_n[i]["TimeLimit.truncated"] == i_d[i]["TimeLimit.truncated"] is True
            for k in obs_n:
                np.testing.assert_array_equal(i_n[i]["terminal_observation"][k], i_d[i]["terminal_observation"][k])
            assert i_n[i]["episode"]["l"] == i_d[i]["episode"]["l"] == 50
            # Monitor rounds the return to 6 decimals, VecMonitor keeps float32
            assert i_n[i]["episode"]["r"] == pytest.approx(i_d[i]["episode"]["r"], abs=2e-6)
    assert ends == 3


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "a2c", "maskable_ppo"])
def test_algorithms_train_on_the_native_vector_env(algo):
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import A2C, PPO

    from agents.rl.policies import GroupedMaskableMultiInputPolicy, GroupedMultiInputPolicy

    venv = make_vec_env(SMALL, 2, "native", seed=1)
    if algo == "ppo":
        model = PPO(GroupedMultiInputPolicy, venv, **KW)
    elif algo == "a2c":
        model = A2C(GroupedMultiInputPolicy, venv, n_steps=8, seed=0, device="cpu")
    else:
        model = MaskablePPO(GroupedMaskableMultiInputPolicy, venv, **KW)
    model.learn(128)
    assert model.num_timesteps >= 128
    obs = venv.reset()
    if algo == "maskable_ppo":  # the trained policy only picks allowed entries
        masks = np.stack(venv.env_method("action_masks"))
        actions, _ = model.predict(obs, action_masks=masks)
        nvec = venv.action_space.nvec
        offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
        assert masks[np.arange(2)[:, None], offsets[None, :] + actions].all()
    else:
        actions, _ = model.predict(obs)
        assert actions.shape == (2, len(venv.action_space.nvec))


def test_adapter_refuses_next_step_autoreset_and_unknown_methods():
    with pytest.raises(ValueError, match="same_step"):
        SB3VectorEnv(gym.make_vec(SMALL, num_envs=2))
    with pytest.raises(TypeError, match="SplitPlaceVectorEnv"):
        SB3VectorEnv(gym.make_vec("CartPole-v1", num_envs=2))
    venv = SB3VectorEnv(env_id=SMALL, n_envs=2)
    venv.reset()
    with pytest.raises(AttributeError, match="action_masks"):
        venv.env_method("render")
    assert venv.has_attr("action_masks") and venv.get_attr("num_envs") == [2, 2]


def test_per_decision_id_falls_back_to_dummy():
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = make_vec_env("SplitPlace-PerDecision-v0", 1, "native", seed=0, kwargs={"n_hosts": 4, "max_tasks": 4})
    assert isinstance(venv, DummyVecEnv)
