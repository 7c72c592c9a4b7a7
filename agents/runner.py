"""Plays one episode of SplitPlace with an agent, timing every ``act`` call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

import splitplace_env  # noqa: F401  (registers the environment ids)
from agents.base import Agent
from agents.episode_metrics import episode_metrics
from splitplace_env import MaskObservation

#: Per-interval scalars copied from ``info`` into the records.
_INFO_KEYS = ("placements", "migrations", "infeasible_placements", "ignored_actions", "queue_length",
              "backlog", "new_tasks")
_FINISHED_KEYS = ("task_id", "app", "split", "response", "wait", "sla", "sla_met", "accuracy")


@dataclass
class EpisodeResult:
    """What one episode produced.

    Attributes:
        agent: the agent's name.
        env_id, seed, env_kwargs: what was played.
        records: one dict per interval: reward terms (reward, qos, aec, art,
            n_finished), energy_j, act_time_s and the info counters.
        finished: the finished tasks of the whole episode, concatenated.
        n_arrived: tasks that arrived during the episode.
    """

    agent: str
    env_id: str
    seed: int
    env_kwargs: dict
    records: list[dict[str, float]] = field(default_factory=list)
    finished: dict[str, np.ndarray] = field(default_factory=dict)
    n_arrived: int = 0

    def metrics(self) -> dict[str, float]:
        """The Table 1 metrics of the episode (``agents.episode_metrics``)."""
        return episode_metrics(self.records, self.finished, self.n_arrived)

    @property
    def act_times(self) -> np.ndarray:
        return np.array([r["act_time_s"] for r in self.records])


def make_env(env_id: str = "SplitPlace-v0", env_kwargs: Mapping[str, Any] | None = None) -> gym.Env:
    """``gym.make`` wrapped in ``MaskObservation`` (agents read ``obs["action_mask"]``)."""
    return MaskObservation(gym.make(env_id, **dict(env_kwargs or {})))


def run_episode(agent: Agent | str, env_id: str = "SplitPlace-v0", seed: int = 0, n_intervals: int | None = None,
                env_kwargs: Mapping[str, Any] | None = None, train: bool = False) -> EpisodeResult:
    """Plays one episode and records it.

    Args:
        agent: an agent built for this environment's codec, or a registry name.
        env_id: registered environment id.
        seed: seeds both the environment and the agent's random stream.
        n_intervals: stop after this many intervals (default: the episode's end).
        env_kwargs: environment kwargs (default: ``env_kwargs_for(agent name)``).
        train: put the agent in training mode (exploration) for this episode.

    Raises:
        ValueError: if the agent's codec does not match the environment.
    """
    from agents.registry import env_kwargs_for, make_agent

    name = agent if isinstance(agent, str) else agent.name
    kwargs = dict(env_kwargs_for(name) if env_kwargs is None else env_kwargs)
    env = make_env(env_id, kwargs)
    try:
        if isinstance(agent, str):
            agent = make_agent(agent, env)
        codec = env.unwrapped.codec
        if (agent.codec.n_tasks, agent.codec.n_hosts, tuple(agent.codec.split_modes)) != (
                codec.n_tasks, codec.n_hosts, tuple(codec.split_modes)):
            raise ValueError(f"agent {name!r} was built for T={agent.codec.n_tasks}, H={agent.codec.n_hosts}, "
                             f"splits={agent.codec.split_modes}, env has T={codec.n_tasks}, H={codec.n_hosts}, "
                             f"splits={codec.split_modes}; build it with make_agent(name, env)")
        agent.set_training(train)
        agent.reset(seed)
        obs, info = env.reset(seed=seed)
        result = EpisodeResult(agent=name, env_id=env_id, seed=seed, env_kwargs=kwargs)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in _FINISHED_KEYS}
        step = 0
        while n_intervals is None or step < n_intervals:
            t0 = time.perf_counter()
            action = agent.act(obs, info)
            dt = time.perf_counter() - t0
            obs, reward, terminated, truncated, info = env.step(action)
            agent.update(obs, reward, terminated, truncated, info)
            rec = {**{k: float(v) for k, v in info["rewards"].items()}, "energy_j": float(info["energy_j"]),
                   "act_time_s": dt, **{k: float(info[k]) for k in _INFO_KEYS if k in info}}
            result.records.append(rec)
            for k in _FINISHED_KEYS:
                parts[k].append(np.asarray(info["finished"][k]))
            step += 1
            if terminated or truncated:
                break
        result.finished = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        result.n_arrived = int(info.get("arrived_total", 0))
        return result
    finally:
        env.close()
