"""Picklable environment factories and vectorised environments for training.

The factories are module-level classes (not closures) so that ``SubprocVecEnv``
can send them to ``spawn``/``forkserver`` workers; each worker imports
``splitplace_env`` itself, which registers the ids there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym


@dataclass
class EnvFactory:
    """Builds one environment: ``gym.make(env_id, **kwargs)`` (+ ``Monitor``).

    Attributes:
        env_id: a registered id (``SplitPlace-v0``, ``SplitPlace-PerDecision-v0``...).
        kwargs: keyword arguments of ``gym.make`` (config fields).
        monitor_file: CSV prefix for SB3's ``Monitor`` (None: monitor without file).
        mask_obs: add ``obs["action_mask"]`` (``MaskObservation``).
    """

    env_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    monitor_file: str | None = None
    mask_obs: bool = False

    def __call__(self) -> gym.Env:
        import splitplace_env  # noqa: F401  (registers the ids in this process)
        from stable_baselines3.common.monitor import Monitor

        env = gym.make(self.env_id, **self.kwargs)
        if self.mask_obs:
            env = splitplace_env.MaskObservation(env)
        return Monitor(env, filename=self.monitor_file)


def make_vec_env(env_id: str, n_envs: int = 1, vec: str = "dummy", seed: int | None = 0,
                 kwargs: dict[str, Any] | None = None, monitor_dir: str | None = None):
    """A seeded SB3 ``VecEnv`` of ``n_envs`` copies of ``env_id``.

    Env ``i`` gets seed ``seed + i`` at its first reset; later episodes draw their
    seeds from each env's generator, so a run is reproducible under ``seed``.

    Args:
        env_id: registered environment id.
        n_envs: number of environments.
        vec: "dummy" (same process, sequential) or "subproc" (one process each).
        seed: base seed (None: unseeded).
        kwargs: ``gym.make`` keyword arguments.
        monitor_dir: directory for per-env ``Monitor`` CSVs (None: no files).

    Raises:
        ValueError: on an unknown ``vec`` kind or ``n_envs < 1``.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    if vec not in ("dummy", "subproc"):
        raise ValueError(f"vec must be 'dummy' or 'subproc', got {vec!r}")
    fns = []
    for i in range(n_envs):
        mon = None
        if monitor_dir is not None:
            import os

            os.makedirs(monitor_dir, exist_ok=True)
            mon = os.path.join(monitor_dir, str(i))
        fns.append(EnvFactory(env_id, dict(kwargs or {}), mon))
    venv = SubprocVecEnv(fns) if vec == "subproc" else DummyVecEnv(fns)
    if seed is not None:
        venv.seed(seed)
    return venv
