"""Simple split rules: a fixed split and a uniformly random one."""

from __future__ import annotations

import numpy as np

from agents.composed import Splitter


def pending_slots(info) -> np.ndarray:
    """Task slots of the new tasks awaiting a split."""
    return np.asarray(info.get("pending", {}).get("slot", np.zeros(0, np.int64)), dtype=np.int64)


class FixedSplitter(Splitter):
    """Always the same split (L+G: "layer", S+G: "semantic")."""

    def __init__(self, split_modes: tuple[str, ...], mode: str) -> None:
        if mode not in split_modes:
            raise ValueError(f"split {mode!r} is not among the env's split_modes {split_modes}")
        self.index = split_modes.index(mode)
        self.name = mode

    def decide(self, obs, info, rng) -> dict[int, int]:
        return {int(k): self.index for k in pending_slots(info)}


class RandomSplitter(Splitter):
    """A uniform choice among ``choices`` (paper's R+D: layer or semantic)."""

    name = "random"

    def __init__(self, split_modes: tuple[str, ...], choices: tuple[str, ...] = ("layer", "semantic")) -> None:
        self.indices = np.array([split_modes.index(c) for c in choices], dtype=np.int64)

    def decide(self, obs, info, rng) -> dict[int, int]:
        slots = pending_slots(info)
        picks = rng.choice(self.indices, size=slots.size)
        return dict(zip(slots.tolist(), picks.tolist()))
