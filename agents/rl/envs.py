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


#: Kinds of ``make_vec_env``.
VEC_KINDS = ("native", "dummy", "subproc")


def make_vec_env(env_id: str, n_envs: int = 1, vec: str = "native", seed: int | None = 0,
                 kwargs: dict[str, Any] | None = None, monitor_dir: str | None = None):
    """A seeded SB3 ``VecEnv`` of ``n_envs`` copies of ``env_id``.

    Env ``i`` gets seed ``seed + i`` at its first reset; later episodes draw their
    seeds from each env's generator, so a run is reproducible under ``seed`` (and
    the same under every ``vec`` kind: the native vector env steps exactly the
    single environments).

    Args:
        env_id: registered environment id.
        n_envs: number of environments.
        vec: "native" (the batched ``SplitPlaceVectorEnv`` through ``SB3VectorEnv``:
            one compiled call per step; ids without a native vector env, such as
            ``SplitPlace-PerDecision-v0``, fall back to "dummy"), "dummy" (SB3's
            ``DummyVecEnv``: same process, one env after the other) or "subproc"
            (one process each).
        seed: base seed (None: unseeded).
        kwargs: ``gym.make`` keyword arguments.
        monitor_dir: directory for per-env ``Monitor`` CSVs (None: no files).

    Raises:
        ValueError: on an unknown ``vec`` kind or ``n_envs < 1``.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecMonitor

    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    if vec not in VEC_KINDS:
        raise ValueError(f"vec must be one of {VEC_KINDS}, got {vec!r}")
    import splitplace_env  # noqa: F401  (registers the ids)

    if vec == "native" and gym.spec(env_id).vector_entry_point is not None:
        from gymnasium.vector import AutoresetMode

        from agents.rl.sb3_vec import SB3VectorEnv

        native = gym.make_vec(env_id, num_envs=n_envs, autoreset_mode=AutoresetMode.SAME_STEP, **(kwargs or {}))
        filename = None
        if monitor_dir is not None:
            import os

            os.makedirs(monitor_dir, exist_ok=True)
            filename = os.path.join(monitor_dir, "native")
        venv = VecMonitor(SB3VectorEnv(native), filename=filename)
        if seed is not None:
            venv.seed(seed)
        return venv
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
