"""The agent protocol shared by every scheduler in ``agents``."""

from __future__ import annotations

import copy
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
        """Reads the learned state written by ``save``; returns ``self``.

        On any error the agent keeps the state it had.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: naming the file, if it is empty, truncated, not a torch file,
                holds another agent's state, or a state this agent refuses (e.g.
                non-finite weights).
        """
        blob = load_torch_file(path, f"{self.name!r} agent")
        if not isinstance(blob, Mapping) or not isinstance(blob.get("state"), Mapping):
            raise ValueError(f"agent file {str(path)!r} does not hold an agent's saved state "
                             f"({{'name': ..., 'state': {{...}}}} as Agent.save writes it)")
        if blob.get("name") != self.name:
            raise ValueError(f"agent file {str(path)!r} holds the state of agent {blob.get('name')!r}, "
                             f"not of {self.name!r}")
        backup = copy.deepcopy(self.state_dict())
        try:
            self.load_state_dict(blob["state"])
        except (ValueError, KeyError, TypeError, IndexError, RuntimeError) as e:
            self.load_state_dict(backup)
            raise ValueError(f"agent file {str(path)!r} does not hold a valid {self.name!r} state: "
                             f"{type(e).__name__}: {e}") from e
        return self


def load_torch_file(path: str | Path, what: str) -> Any:
    """``torch.load(path, weights_only=True)`` with errors that name the file.

    Args:
        path: the file.
        what: what the file should hold, for the messages (e.g. "MAB weights").

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is empty, or torch cannot read it (truncated, not written
            by ``torch.save``, or holding objects a weights-only load refuses).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {str(path)!r}")
    if path.stat().st_size == 0:
        raise ValueError(f"{what} file {str(path)!r} is empty")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 -- any failure to unpickle means a bad file; say which
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
        raise ValueError(f"{what} file {str(path)!r} is not a readable torch file (truncated, or not "
                         f"written by torch.save?): {type(e).__name__}: {first}") from e


#: The observation keys agents read (``obs["action_mask"]`` comes from ``MaskObservation``).
OBS_KEYS = ("hosts", "tasks", "fragments", "globals", "action_mask")


def check_act_inputs(obs: Any, info: Any) -> None:
    """Raises a clear error unless ``act`` got the env's observation and info.

    Raises:
        TypeError: ``obs`` or ``info`` is not a mapping (e.g. None).
        ValueError: ``obs`` lacks a key agents read (``OBS_KEYS``).
    """
    if not isinstance(obs, Mapping):
        raise TypeError(f"obs must be the observation dict the env returned, got {type(obs).__name__}")
    missing = [k for k in OBS_KEYS if k not in obs]
    if missing:
        raise ValueError(f"obs lacks {missing}: agents read {OBS_KEYS} (wrap the env in "
                         "splitplace_env.MaskObservation for 'action_mask')")
    if not isinstance(info, Mapping):
        raise TypeError(f"info must be the info dict env.reset / env.step returned, got {type(info).__name__}")
