"""A trained SB3 / sb3-contrib model as an agent of the agent protocol.

``load_rl_agent(path, env)`` is what ``agents.registry.make_agent("rl:PATH", env)``
calls, so a trained model takes part in ``splitplace bench table1 --agents rl:PATH``.

* Models trained on the interval view (``SplitPlace-v0``: PPO, A2C, MaskablePPO)
  act directly on the observation; MaskablePPO uses ``obs["action_mask"]``
  (added by ``splitplace_env.MaskObservation``, as the benchmark runner does).
* Models trained on the per-decision view (``SplitPlace-PerDecision-v0``, e.g.
  DQN) take the interval's decisions one by one through
  ``PerDecisionEnv.plan`` over the environment given at load time, with the exact
  per-decision mask, and return the interval's ``MultiDiscrete`` action. That
  environment must be the one the agent then acts in.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from agents.rl.algos import get_spec

from agents.base import Agent

log = logging.getLogger(__name__)


def resolve_model_path(path: str | Path) -> Path:
    """``model.zip`` inside a run directory, or the path itself (``.zip`` optional).

    Raises:
        FileNotFoundError: when no model file is there.
    """
    p = Path(path)
    for cand in (p / "model.zip", p, p.with_suffix(".zip")):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"no trained model at {str(path)!r} (expected a .zip or a run directory with model.zip)")


def detect_algo(path: str | Path) -> str:
    """The algorithm of a saved model: ``train.json`` beside it, else the zip's own data."""
    p = Path(path)
    meta = p.parent / "train.json"
    if meta.is_file():
        try:
            return get_spec(json.loads(meta.read_text())["algo"]).name
        except (KeyError, ValueError, json.JSONDecodeError):
            pass
    with zipfile.ZipFile(p) as zf:
        data = json.loads(zf.read("data"))
    policy = json.dumps(data.get("policy_class", ""))
    if "Maskable" in policy or "maskable" in policy:
        return "maskable_ppo"
    if "exploration_rate" in data or "target_update_interval" in data:
        return "dqn"
    return "ppo" if "clip_range" in data else "a2c"


class RLAgent(Agent):
    """A trained SB3 model behind the agent protocol.

    Args:
        model: the SB3 model.
        algo: canonical algorithm name (``agents.rl.algos``).
        env: the environment the agent will act in (for its codec and, for
            per-decision models, the planner).
        name: the agent's name (default ``"rl:<algo>"``).
        deterministic: act greedily (test time) rather than sampling.
    """

    def __init__(self, model, algo: str, env: gym.Env, name: str | None = None, deterministic: bool = True) -> None:
        super().__init__(env.unwrapped.codec)
        self.name = name or f"rl:{algo}"
        self.deterministic = deterministic
        self._space = env.observation_space
        self._set_model(model, algo)
        self._planner = None
        if self.per_decision:
            from splitplace_env.sequential import PerDecisionEnv

            self._planner = PerDecisionEnv(env=env)

    def _set_model(self, model, algo: str) -> None:
        """Takes ``model`` (of algorithm ``algo``) and what follows from it, after
        checking that it fits the environment's observation."""
        keys = tuple(model.observation_space.spaces)
        if getattr(self, "_keys", None) is not None and ("decision" in keys) != self.per_decision:
            raise ValueError("the model acts in a different view (per-decision vs interval) than this agent "
                             "was built for; make a new agent with load_rl_agent")
        self._check_spaces(model, keys)
        self.model, self.algo, self._keys = model, algo, keys
        self.masked = get_spec(algo).masked
        self.per_decision = "decision" in keys

    # ------------------------------------------------------------------ protocol
    def reset(self, seed: int | None = None) -> None:
        """Starts an episode (the policy itself keeps no per-episode state)."""
        super().reset(seed)
        if seed is not None:
            self.model.set_random_seed(seed)

    def act(self, obs: Mapping[str, np.ndarray], info: Mapping[str, Any]) -> np.ndarray:
        """The interval's ``MultiDiscrete`` action."""
        if self.per_decision:
            inner = {k: v for k, v in obs.items() if k != "action_mask"}
            return self._planner.plan(inner, self._choose)
        x = {k: obs[k] for k in self._keys}
        if self.masked:
            mask = obs.get("action_mask")
            if mask is None:
                raise ValueError("a MaskablePPO agent needs obs['action_mask']: "
                                 "wrap the env in splitplace_env.MaskObservation")
            a, _ = self.model.predict(x, deterministic=self.deterministic, action_masks=np.asarray(mask, bool))
        else:
            a, _ = self.model.predict(x, deterministic=self.deterministic)
        return np.asarray(a, dtype=np.int64).reshape(-1)

    def update(self, obs, reward, terminated, truncated, info) -> None:
        """No online learning: training happens in ``agents.rl.train``."""

    def set_training(self, flag: bool) -> None:
        """Training mode samples actions; test mode acts greedily."""
        self.training = bool(flag)
        self.deterministic = not flag

    def save(self, path: str | Path) -> None:
        """Saves the model (SB3 zip)."""
        self.model.save(str(path))

    def load(self, path: str | Path) -> "RLAgent":
        """Replaces the model by the one saved at ``path``; returns ``self``."""
        self._set_model(*_load_model(path))
        return self

    # ------------------------------------------------------------------ helpers
    def _choose(self, obs: Mapping[str, np.ndarray], mask: np.ndarray) -> int:
        """One per-decision action, restricted to the mask."""
        x = {k: obs[k] for k in self._keys}
        if self.algo == "dqn":
            import torch as th

            obs_t, _ = self.model.policy.obs_to_tensor(x)
            with th.no_grad():
                q = self.model.q_net(obs_t)[0].cpu().numpy()
            q = np.where(mask, q, -np.inf)
            return int(np.argmax(q))
        if self.masked:
            a, _ = self.model.predict(x, deterministic=self.deterministic, action_masks=mask)
        else:
            a, _ = self.model.predict(x, deterministic=self.deterministic)
        return int(np.asarray(a).reshape(-1)[0])

    def _check_spaces(self, model, keys: tuple[str, ...]) -> None:
        space = self._space
        for k in keys:
            if k == "decision":
                continue
            if k not in space.spaces or space.spaces[k].shape != model.observation_space.spaces[k].shape:
                got = space.spaces[k].shape if k in space.spaces else None
                raise ValueError(f"model expects observation {k!r} of shape "
                                 f"{model.observation_space.spaces[k].shape}, env gives {got}: "
                                 "train on the same environment id and kwargs")


def _load_model(path: str | Path):
    """(model, algorithm) of the SB3 model saved at ``path`` (a zip or a run directory)."""
    p = resolve_model_path(path)
    algo = detect_algo(p)
    model = get_spec(algo).cls().load(str(p), device="cpu")
    log.info("loaded %s model from %s", algo, p)
    return model, algo


def load_rl_agent(path: str | Path, env: gym.Env, deterministic: bool = True) -> RLAgent:
    """Loads a model trained by ``agents.rl.train`` as an agent for ``env``.

    Args:
        path: a ``model.zip`` (or a run directory holding one).
        env: the environment the agent will act in (interval view).
        deterministic: greedy actions (as in evaluation).

    Raises:
        FileNotFoundError: no model at ``path``.
        ValueError: the model does not fit ``env``'s observation.
    """
    import torch

    torch.set_num_threads(1)
    model, algo = _load_model(path)
    return RLAgent(model, algo, env, name=f"rl:{path}", deterministic=deterministic)
