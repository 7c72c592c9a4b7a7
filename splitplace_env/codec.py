"""The action codec: flat ``MultiDiscrete`` vector <-> readable structure, both ways.

Layout of the flat action (length ``T + 5T``):

* ``action[k]`` for task slot ``k`` in ``[0, T)``: the split index
  (``split_modes[i]``) of the new task in slot ``k``; ignored where the slot
  holds no new task (0 there is the no-op).
* ``action[T + 5k + j]``: the host of fragment ``j`` of the task in slot ``k``:
  0 = leave as is (keep waiting, or keep running where it is), ``h + 1`` = host ``h``.

The codec also carries the scales the observation is normalised with, so agents
can turn observation features back into physical units without reading the
environment's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from splitplace_env.config import MAX_FRAGMENTS_PER_TASK


@dataclass(frozen=True)
class ActionCodec:
    """Encodes and decodes SplitPlace-v0 actions.

    Attributes:
        n_tasks: task slots T.
        n_hosts: hosts H.
        split_modes: split names, in action-index order.
        scales: observation feature scales (e.g. "ram_mb", "response_intervals").
    """

    n_tasks: int
    n_hosts: int
    split_modes: tuple[str, ...]
    scales: Mapping[str, float] = field(default_factory=dict)

    @property
    def n_fragments(self) -> int:
        return self.n_tasks * MAX_FRAGMENTS_PER_TASK

    @property
    def size(self) -> int:
        return self.n_tasks + self.n_fragments

    @property
    def nvec(self) -> np.ndarray:
        """The ``MultiDiscrete`` sizes: splits then hosts (+1 for "leave as is")."""
        return np.concatenate([
            np.full(self.n_tasks, len(self.split_modes), dtype=np.int64),
            np.full(self.n_fragments, self.n_hosts + 1, dtype=np.int64),
        ])

    @staticmethod
    def fragment_slot(task_slot: int, fragment: int) -> int:
        """Index (among fragment slots) of fragment ``fragment`` of task slot ``task_slot``."""
        return task_slot * MAX_FRAGMENTS_PER_TASK + fragment

    def noop(self) -> np.ndarray:
        """The action that splits new tasks by ``split_modes[0]`` and moves nothing."""
        return np.zeros(self.size, dtype=np.int64)

    def encode(self, splits: Mapping[int, str | int] | Sequence[str | int] | None = None,
               placements: Mapping[int | tuple[int, int], int | None] | None = None) -> np.ndarray:
        """Builds a flat action.

        Args:
            splits: per task slot, a split name or index (a mapping of slots, or a
                sequence over all slots). Unmentioned slots get index 0.
            placements: fragment slot (or ``(task_slot, fragment)``) -> host index
                (0-based), or None for "leave as is".

        Raises:
            ValueError: on an unknown split name, a slot or host out of range.
        """
        a = self.noop()
        items = splits.items() if isinstance(splits, Mapping) else enumerate(splits or ())
        for k, s in items:
            if not 0 <= int(k) < self.n_tasks:
                raise ValueError(f"task slot must be in [0, {self.n_tasks}), got {k!r}")
            if isinstance(s, str):
                if s not in self.split_modes:
                    raise ValueError(f"split must be one of {self.split_modes}, got {s!r}")
                s = self.split_modes.index(s)
            if not 0 <= int(s) < len(self.split_modes):
                raise ValueError(f"split index must be in [0, {len(self.split_modes)}), got {s!r}")
            a[int(k)] = int(s)
        for key, h in (placements or {}).items():
            f = self.fragment_slot(*key) if isinstance(key, tuple) else int(key)
            if not 0 <= f < self.n_fragments:
                raise ValueError(f"fragment slot must be in [0, {self.n_fragments}), got {key!r}")
            if h is None:
                continue
            if not 0 <= int(h) < self.n_hosts:
                raise ValueError(f"host must be in [0, {self.n_hosts}) or None, got {h!r}")
            a[self.n_tasks + f] = int(h) + 1
        return a

    def decode(self, action: np.ndarray) -> dict:
        """Reads a flat action into ``{"splits": [...names], "placements": {frag_slot: host}}``.

        Entries out of range decode to ``None`` (splits) or are left out (placements),
        as the environment ignores them.
        """
        action = np.asarray(action)
        if action.shape != (self.size,):
            raise ValueError(f"action must have shape ({self.size},), got {action.shape}")
        S = len(self.split_modes)
        splits = [self.split_modes[s] if 0 <= s < S else None for s in action[: self.n_tasks].tolist()]
        hosts = action[self.n_tasks:]
        placements = {int(f): int(hosts[f]) - 1 for f in np.flatnonzero((hosts > 0) & (hosts <= self.n_hosts))}
        return {"splits": splits, "placements": placements}

    def split_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Splits a flat factored mask into (T, S) split rows and (5T, H+1) host rows."""
        S = len(self.split_modes)
        cut = self.n_tasks * S
        return mask[:cut].reshape(self.n_tasks, S), mask[cut:].reshape(self.n_fragments, self.n_hosts + 1)
