"""The agent protocol shared by every scheduler in ``agents``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from splitplace_env.codec import ActionCodec

logger = logging.getLogger(__name__)


class Agent:
    """Base class of all agents: split new tasks and place fragments each interval.

    An agent is built from the environment's ``ActionCodec`` and sees, at act
    time, only the observation (with ``obs["action_mask"]``, added by
    ``splitplace_env.MaskObservation``) and ``info``. Learned state survives
    ``reset``; only per-episode state (random stream, task bookkeeping) is reset.

    Attributes:
        name: the registry name of the agent.
        codec: the environment's action codec.
        training: whether the agent explores (e.g. epsilon-greedy MAB) instead of
            acting as at test time.
    """

    name = "agent"

    def __init__(self, codec: ActionCodec, seed: int | None = None) -> None:
        self.codec = codec
        self.training = False
        self.rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ protocol
    def reset(self, seed: int | None = None) -> None:
        """Starts a new episode: reseeds the agent's own random stream."""
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Mapping[str, np.ndarray], info: Mapping[str, Any]) -> np.ndarray:
        """Returns the flat action (``codec.size`` int64) for the next interval."""
        raise NotImplementedError

    def update(self, obs: Mapping[str, np.ndarray], reward: float, terminated: bool,
               truncated: bool, info: Mapping[str, Any]) -> None:
        """Learns online from the outcome of the last action (default: nothing)."""

    def set_training(self, flag: bool) -> None:
        """Switches between training (exploration) and test behaviour."""
        self.training = bool(flag)

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Learned state as tensors and plain Python values (``torch.load`` safe)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores what ``state_dict`` returned."""

    def save(self, path: str | Path) -> None:
        """Writes the learned state to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"name": self.name, "state": self.state_dict()}, path)
        logger.info("saved %s to %s", self.name, path)

    def load(self, path: str | Path) -> "Agent":
        """Reads the learned state written by ``save``; returns ``self``."""
        blob = torch.load(Path(path), weights_only=True)
        self.load_state_dict(blob["state"])
        return self
