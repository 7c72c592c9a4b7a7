"""API conformance: Gymnasium's and Stable-Baselines3's environment checkers on every id."""

from __future__ import annotations

import re
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.wrappers import OrderEnforcing, PassiveEnvChecker, TimeLimit
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import splitplace_env  # noqa: F401  (registers the ids)

#: The only warning SB3's checker may raise: observation parts kept as entities x
#: features matrices (stable_baselines3/common/env_checker.py, ``_check_box_obs``).
SB3_TOLERATED = re.compile(
    r"^Your observation \S* ?has an unconventional shape \(neither an image, nor a 1D vector\)\. "
    r"We recommend you to flatten the observation to have only a 1D vector or use a custom policy "
    r"to properly process the data\.$"
)

#: Gymnasium's note when the object checked is a wrapper (tolerated only for ids whose
#: entry point itself returns a wrapper, e.g. a per-decision view).
WRAPPED_NOTE = "is different from the unwrapped version"


def _entry_point_env(env_id: str) -> gym.Env:
    """Makes ``env_id`` and strips only the wrappers that ``gym.make`` itself adds.

    Args:
        env_id: a registered id.

    Returns:
        The object the id's entry point created (an Env or, for views, a Wrapper).
    """
    env = gym.make(env_id, disable_env_checker=True)
    while isinstance(env, (TimeLimit, OrderEnforcing, PassiveEnvChecker)):
        env = env.env
    return env


def test_registry_lists_all_documented_ids() -> None:
    """Every id the API documents is registered with Gymnasium."""
    for env_id in ("SplitPlace-v0", "SplitPlace-small-v0", "SplitPlace-large-v0",
                   "SplitPlace-MNIST-v0", "SplitPlace-FashionMNIST-v0", "SplitPlace-CIFAR100-v0"):
        assert env_id in gym.registry, env_id
        assert env_id in splitplace_env.ENV_IDS


def test_gymnasium_check_env_without_warnings(splitplace_id: str) -> None:
    """``gymnasium.utils.env_checker.check_env`` passes with every warning turned into an error."""
    env = _entry_point_env(splitplace_id)
    is_view = env.unwrapped is not env
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if is_view:
            warnings.filterwarnings("ignore", message=f".*{WRAPPED_NOTE}.*")
        gym_check_env(env)
    env.close()


def test_gym_make_with_passive_checker_is_silent(splitplace_id: str) -> None:
    """``gym.make`` (passive checker on) reset and a few steps emit no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(splitplace_id)
        env.action_space.seed(3)
        env.reset(seed=3)
        for _ in range(5):
            env.step(env.action_space.sample())
        env.close()


def test_sb3_check_env_only_tolerated_warning(splitplace_id: str) -> None:
    """SB3's ``check_env`` passes; its only warnings are about the multi-dimensional obs parts."""
    env = gym.make(splitplace_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(env, warn=True)
    env.close()
    unexpected = [f"{w.category.__name__}: {w.message}" for w in caught
                  if not SB3_TOLERATED.match(str(w.message))]
    assert not unexpected, "SB3 check_env raised unexpected warnings:\n" + "\n".join(unexpected)


@pytest.mark.parametrize("env_id", ["SplitPlace-v0"])
def test_sb3_tolerated_warning_is_the_real_one(env_id: str) -> None:
    """The tolerated pattern matches what SB3 really says (guards against silent rewording)."""
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(env, warn=True)
    matched = {str(w.message).split(" has ")[0] for w in caught if SB3_TOLERATED.match(str(w.message))}
    assert matched == {"Your observation hosts", "Your observation tasks", "Your observation fragments"}


def test_mask_observation_wraps_the_per_decision_view() -> None:
    """MaskObservation sizes its mask from any discrete action space (Discrete too)."""
    env = splitplace_env.MaskObservation(gym.make("SplitPlace-PerDecision-v0"))
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].shape == (env.unwrapped.action_space.n,)
    assert obs in env.observation_space
    obs, *_ = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert obs in env.observation_space
