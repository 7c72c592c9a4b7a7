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

import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from splitplace_env.config import MAX_FRAGMENTS_PER_TASK
from splitplace_env.config import show_value as _show


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

    def __post_init__(self) -> None:
        for name in ("n_tasks", "n_hosts"):
            n = _index(getattr(self, name), 2**31)
            if n is None or n < 1:
                raise ValueError(f"{name} must be a positive integer, got {_show(getattr(self, name))}")
            object.__setattr__(self, name, n)
        modes = self.split_modes
        if not isinstance(modes, (tuple, list)) or not modes or not all(isinstance(m, str) for m in modes):
            raise ValueError(f"split_modes must be a non-empty tuple of names, got {_show(modes)}")
        object.__setattr__(self, "split_modes", tuple(str(m) for m in modes))

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

    def encode(self, splits: Mapping[int, str | int | None] | Sequence[str | int | None] | None = None,
               placements: Mapping[int | tuple[int, int], int | None] | None = None) -> np.ndarray:
        """Builds a flat action.

        Slots, fragments, split indices and hosts are integers (Python or numpy, not
        bools): a float is refused, never truncated.

        Args:
            splits: per task slot, a split name or index, or None for "not given" (a
                mapping of slots, or a sequence over the first slots). Slots not given
                get index 0.
            placements: fragment slot (or ``(task_slot, fragment)``, fragment in
                [0, 5)) -> host index (0-based), or None for "leave as is".

        Raises:
            ValueError: on a value of the wrong kind, an unknown split name, or a slot,
                fragment or host out of range; the message names which.
        """
        a = self.noop()
        if isinstance(splits, Mapping):
            items = splits.items()
        elif splits is None:
            items = ()
        elif isinstance(splits, (list, tuple)) or (isinstance(splits, np.ndarray) and splits.ndim == 1):
            if len(splits) > self.n_tasks:
                raise ValueError(f"splits: a sequence gives one split per task slot, at most {self.n_tasks}, "
                                 f"got {len(splits)}")
            items = enumerate(splits.tolist() if isinstance(splits, np.ndarray) else splits)
        else:
            raise ValueError("splits must be a mapping task slot -> split, a sequence over the task slots "
                             f"or None, got {_show(splits)}")
        for k, s in items:
            slot = _index(k, self.n_tasks)
            if slot is None:
                raise ValueError(f"splits: task slot must be an integer in [0, {self.n_tasks}), got {_show(k)}")
            if s is None:
                continue
            if isinstance(s, str):
                if s not in self.split_modes:
                    raise ValueError(f"splits[{slot}]: split must be one of {self.split_modes}, got {s!r}")
                a[slot] = self.split_modes.index(s)
                continue
            index = _index(s, len(self.split_modes))
            if index is None:
                raise ValueError(f"splits[{slot}]: split must be a name in {self.split_modes} or an integer index "
                                 f"in [0, {len(self.split_modes)}), got {_show(s)}")
            a[slot] = index
        if placements is None:
            return a
        if not isinstance(placements, Mapping):
            raise ValueError(f"placements must be a mapping fragment slot -> host, got {_show(placements)}")
        for key, h in placements.items():
            f = self._fragment_of(key)
            if h is None:
                continue
            host = _index(h, self.n_hosts)
            if host is None:
                raise ValueError(f"placements[{key!r}]: host must be an integer in [0, {self.n_hosts}) or None, "
                                 f"got {_show(h)}")
            a[self.n_tasks + f] = host + 1
        return a

    def _fragment_of(self, key: Any) -> int:
        """The fragment slot a ``placements`` key names (a slot or a (task_slot, fragment) pair)."""
        if isinstance(key, tuple):
            if len(key) != 2:
                raise ValueError(f"placements: a key pair is (task_slot, fragment), got {_show(key)}")
            slot, fragment = _index(key[0], self.n_tasks), _index(key[1], MAX_FRAGMENTS_PER_TASK)
            if slot is None or fragment is None:
                raise ValueError(f"placements: key (task_slot, fragment) needs an integer task slot in "
                                 f"[0, {self.n_tasks}) and fragment in [0, {MAX_FRAGMENTS_PER_TASK}), "
                                 f"got {_show(key)}")
            return self.fragment_slot(slot, fragment)
        f = _index(key, self.n_fragments)
        if f is None:
            raise ValueError(f"placements: fragment slot must be an integer in [0, {self.n_fragments}) or a "
                             f"(task_slot, fragment) pair, got {_show(key)}")
        return f

    def decode(self, action: np.ndarray) -> dict:
        """Reads a flat action into ``{"splits": [...names], "placements": {frag_slot: host}}``.

        ``action`` is read as the environment reads it: integers, or floats holding
        integers. Entries out of range decode to ``None`` (splits) or are left out
        (placements), as the environment ignores them.

        Raises:
            ValueError: if ``action`` has the wrong shape or is not integer-valued.
        """
        try:
            action = np.asarray(action)
        except (ValueError, TypeError, OverflowError) as e:  # ragged nesting, say
            raise ValueError(f"action must be an array of shape ({self.size},), got {_show(action)}: {e}") from e
        if action.shape != (self.size,):
            raise ValueError(f"action must have shape ({self.size},), got shape {action.shape}")
        if action.dtype.kind == "f":
            # Like SplitPlaceEnv._validate: finite integral floats within int64 read as ints.
            if not (np.all(np.abs(action) < 2**62) and np.all(action == np.round(action))):
                raise ValueError("action must hold integers (see the codec), got NaN, infinite, "
                                 f"non-integral or out-of-range floats of dtype {action.dtype}")
        elif action.dtype.kind not in "iu":
            raise ValueError(f"action must be an integer array, got dtype {action.dtype}")
        S = len(self.split_modes)
        split_part = action[: self.n_tasks]
        valid = (split_part >= 0) & (split_part < S)
        splits = [self.split_modes[int(s)] if ok else None for s, ok in zip(split_part.tolist(), valid.tolist())]
        hosts = action[self.n_tasks:]
        placements = {int(f): int(hosts[f]) - 1 for f in np.flatnonzero((hosts > 0) & (hosts <= self.n_hosts))}
        return {"splits": splits, "placements": placements}

    def split_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Splits a flat factored mask into (T, S) split rows and (5T, H+1) host rows.

        Raises:
            ValueError: if ``mask`` is not a 1-d array of ``T*S + 5T*(H+1)`` entries.
        """
        S = len(self.split_modes)
        cut = self.n_tasks * S
        size = cut + self.n_fragments * (self.n_hosts + 1)
        if getattr(mask, "shape", None) != (size,):
            raise ValueError(f"mask must be an array of shape ({size},) (T*S + 5T*(H+1)), "
                             f"got {_show(mask) if getattr(mask, 'shape', None) is None else mask.shape}")
        return mask[:cut].reshape(self.n_tasks, S), mask[cut:].reshape(self.n_fragments, self.n_hosts + 1)


def _index(v: Any, n: int) -> int | None:
    """``v`` as an int if it is an integer (Python or numpy, not a bool) in [0, n), else None."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):  # np.bool_ is not Integral
        return None
    v = int(v)
    return v if 0 <= v < n else None

