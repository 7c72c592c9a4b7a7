"""An agent made of a split rule and a placer (SplitPlace, ablations, baselines)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from agents.base import Agent, check_act_inputs
from agents.observation import DemandTable
from agents.placement import PlacementProblem, build_problem


class Splitter:
    """Decides the split of every new task (``info["pending"]``)."""

    name = "splitter"
    training = False

    def reset(self) -> None:
        """Forgets per-episode bookkeeping (learned state stays)."""

    def decide(self, obs: Mapping[str, np.ndarray], info: Mapping[str, Any],
               rng: np.random.Generator) -> dict[int, int]:
        """Returns task slot -> split index for the pending tasks."""
        raise NotImplementedError

    def observe(self, info: Mapping[str, Any]) -> None:
        """Learns from the tasks that finished in the last interval."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        """Restores ``state_dict``."""


class Placer:
    """Places the candidates of a ``PlacementProblem``."""

    name = "placer"

    def reset(self) -> None:
        """Forgets per-episode bookkeeping (learned state stays)."""

    def place(self, obs: Mapping[str, np.ndarray], info: Mapping[str, Any], problem: PlacementProblem,
              splits: Mapping[int, int], rng: np.random.Generator) -> dict[int, int]:
        """Returns fragment slot -> host for a feasible subset of the candidates."""
        raise NotImplementedError

    def observe(self, obs: Mapping[str, np.ndarray], reward: float, info: Mapping[str, Any]) -> None:
        """Learns from the reward of the last interval."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        """Restores ``state_dict``."""


class ComposedAgent(Agent):
    """Split new tasks with ``splitter``, then place ready fragments with ``placer``.

    Args:
        codec: the environment's action codec.
        splitter: the split rule.
        placer: the placement rule.
        name: the registry name.
        seed: seed of the agent's random stream (``reset`` reseeds it).
    """

    def __init__(self, codec, splitter: Splitter, placer: Placer, name: str, seed: int | None = None) -> None:
        super().__init__(codec, seed)
        self.splitter = splitter
        self.placer = placer
        self.name = name
        self.demands = DemandTable(len(codec.split_modes))

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.splitter.reset()
        self.placer.reset()

    def set_training(self, flag: bool) -> None:
        super().set_training(flag)
        self.splitter.training = self.training
        self.placer.training = self.training

    def act(self, obs, info) -> np.ndarray:
        check_act_inputs(obs, info)
        self.demands.observe(obs, self.codec.scales.get("batch", 1.0))
        splits = self.splitter.decide(obs, info, self.rng)
        pending = info.get("pending", {})
        batches = dict(zip(np.asarray(pending.get("slot", [])).tolist(),
                           np.asarray(pending.get("batch", [])).tolist()))
        problem = build_problem(obs, self.codec, splits, self.demands, batches)
        placements = self.placer.place(obs, info, problem, splits, self.rng) if problem.n else {}
        return self.codec.encode(splits=splits, placements=placements)

    def update(self, obs, reward, terminated, truncated, info) -> None:
        self.splitter.observe(info)
        self.placer.observe(obs, reward, info)

    def state_dict(self) -> dict:
        return {"splitter": self.splitter.state_dict(), "placer": self.placer.state_dict(),
                "demands": self.demands.state_dict()}

    def load_state_dict(self, state) -> None:
        self.splitter.load_state_dict(state.get("splitter", {}))
        self.placer.load_state_dict(state.get("placer", {}))
        if "demands" in state:
            self.demands.load_state_dict(state["demands"])
