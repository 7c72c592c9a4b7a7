"""Stable-Baselines3 on the native vector env: a ``VecEnv`` adapter.

``SB3VectorEnv`` lets SB3 (PPO, A2C...) and sb3-contrib (MaskablePPO) train on
``SplitPlaceVectorEnv`` directly: one compiled call steps every environment, the
masks come batched from ``action_masks()`` (one (N, sum(nvec)) fill, no per-env
call), and nothing is deep-copied. SB3 wants a per-env list of info dicts; each
holds only what SB3 reads (``terminal_observation`` and ``TimeLimit.truncated``
at an episode's end); the batched info of the last step is ``last_info``.
"""

from __future__ import annotations

from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from splitplace_env.vector import SplitPlaceVectorEnv


class SB3VectorEnv(VecEnv):
    """SB3 ``VecEnv`` over a ``SplitPlaceVectorEnv`` (built with same-step autoreset,
    SB3's convention).

    Args:
        venv: the native vector env, or None to build one from ``env_id``.
        env_id: registered id for ``gym.make_vec`` (when ``venv`` is None).
        n_envs: number of environments (when ``venv`` is None).
        **kwargs: config fields for ``gym.make_vec``.
    """

    def __init__(self, venv: SplitPlaceVectorEnv | None = None, env_id: str = "SplitPlace-v0", n_envs: int = 1,
                 **kwargs: Any) -> None:
        if venv is None:
            venv = gym.make_vec(env_id, num_envs=n_envs, autoreset_mode=AutoresetMode.SAME_STEP, **kwargs)
        base = venv.unwrapped
        if not isinstance(base, SplitPlaceVectorEnv):
            raise TypeError(f"venv must be a SplitPlaceVectorEnv, got {type(base).__name__}")
        if base.autoreset_mode is not AutoresetMode.SAME_STEP:
            raise ValueError("SB3 resets an environment in the step that ends its episode: build the vector env "
                             "with autoreset_mode='same_step'")
        self.venv = base
        super().__init__(base.num_envs, base.single_observation_space, base.single_action_space)
        self._actions: np.ndarray | None = None
        self.last_info: dict[str, Any] = {}

    # ------------------------------------------------------------------ VecEnv
    def reset(self):
        seeds = self._seeds if any(s is not None for s in self._seeds) else None
        obs, info = self.venv.reset(seed=seeds)
        self._reset_seeds()
        self._reset_options()
        self.last_info = info
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs, -1)

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        self.last_info = info
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final = info["final_obs"]
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = {k: v[i] for k, v in final.items()}
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards.astype(np.float32), dones, infos

    def action_masks(self) -> np.ndarray:
        """(N, sum(nvec)) masks of every environment."""
        return self.venv.action_masks()

    def close(self) -> None:
        self.venv.close()

    def has_attr(self, attr_name: str) -> bool:
        return hasattr(self.venv, attr_name)

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.venv, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise AttributeError(f"the environments of a native vector env share their attributes; cannot set "
                             f"{attr_name!r} per environment")

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None,
                   **method_kwargs) -> list[Any]:
        rows = list(self._get_indices(indices))
        if method_name == "action_masks":  # one batched fill, then rows (what MaskablePPO stacks)
            masks = self.venv.action_masks()
            return [masks[i] for i in rows]
        raise AttributeError(f"the native vector env has no per-environment method {method_name!r}; "
                             "available: action_masks")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs
