"""Wrappers: the action mask inside the observation (RLlib / TorchRL convention)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class MaskObservation(gym.ObservationWrapper):
    """Adds ``obs["action_mask"]``: the factored mask of ``action_masks()`` as int8.

    The mask describes the actions allowed in the state of the returned
    observation, i.e. for the next ``step``.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        n = spaces.flatdim(env.action_space)  # MultiDiscrete (interval view) or Discrete (per decision)
        self.observation_space = spaces.Dict({
            **env.observation_space.spaces,
            "action_mask": spaces.Box(0, 1, shape=(n,), dtype=np.int8),
        })

    def observation(self, observation: dict) -> dict:
        return {**observation, "action_mask": self.env.unwrapped.action_masks().astype(np.int8)}

    def action_masks(self) -> np.ndarray:
        return self.env.unwrapped.action_masks()
