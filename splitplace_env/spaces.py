"""The action space: Gymnasium's ``MultiDiscrete`` with a masked ``sample`` that is fast
for SplitPlace's wide action.

Gymnasium's ``MultiDiscrete.sample(mask=...)`` draws entry by entry in Python: for
SplitPlace-v0's 384 entries (5,824 mask values) that costs hundreds of steps' worth of
time per action, and the work evicts the step's code and data from the caches
(``benchmarks/env_speed.py`` times both draws and the step after each).
``FactoredMultiDiscrete.sample`` takes the same arguments, checks them the same way
and draws from the same distribution (each entry uniform over the values its mask
allows, ``start`` where it allows none) with a handful of numpy calls over the
concatenated mask. The sequence of samples for a seed differs from Gymnasium's
(it consumes the generator differently), and is fixed by ``seed`` as there.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np
from gymnasium import spaces

_NDARRAY, _INT8 = {np.ndarray}, {np.dtype(np.int8)}
_DTYPE, _SHAPE = attrgetter("dtype"), attrgetter("shape")


class FactoredMultiDiscrete(spaces.MultiDiscrete):
    """``MultiDiscrete`` (flat ``nvec``) whose masked ``sample`` is vectorised.

    Everything else, including ``sample()`` without a mask and with
    ``probability=``, is Gymnasium's. ``isinstance(space, MultiDiscrete)`` holds, so
    every library that handles a ``MultiDiscrete`` handles this one.
    """

    def __init__(self, nvec: Any, dtype: Any = np.int64, seed: Any = None, start: Any = None) -> None:
        super().__init__(nvec, dtype=dtype, seed=seed, start=start)
        if self.nvec.ndim != 1:
            raise ValueError(f"FactoredMultiDiscrete needs a flat nvec, got shape {self.nvec.shape}")
        self._sizes = self.nvec.astype(np.int64).tolist()
        self._shapes = [(n,) for n in self._sizes]
        self._total = int(sum(self._sizes))
        self._offsets = np.concatenate([[0], np.cumsum(self.nvec[:-1], dtype=np.int64)])

    def sample(self, mask: tuple | None = None, probability: tuple | None = None) -> np.ndarray:
        """A random action; with ``mask`` each entry is drawn uniformly from the values
        its mask allows, or is ``start`` if it allows none. ``mask`` is a tuple of one
        int8 0/1 array per entry, as Gymnasium's ``MultiDiscrete.sample`` takes it, or
        the flat mask of all entries in one bool array of ``sum(nvec)`` values, as
        ``env.action_masks()`` returns it (sb3-contrib's convention):
        ``env.action_space.sample(mask=env.unwrapped.action_masks())``."""
        if mask is None or probability is not None:
            return super().sample(mask=mask, probability=probability)
        if isinstance(mask, np.ndarray):  # the flat mask, as ``env.action_masks()`` returns it
            return self.sample_flat(self._checked_flat(mask))
        if not isinstance(mask, tuple) or len(mask) != len(self._sizes):
            raise ValueError(f"mask must be a tuple of {len(self._sizes)} int8 arrays (one per entry of nvec) or "
                             f"one bool array of shape ({self._total},), got {type(mask).__name__}"
                             + (f" of length {len(mask)}" if isinstance(mask, tuple) else ""))
        # the common case in a few C-level passes; the loop below only names the culprit
        if not (set(map(type, mask)) == _NDARRAY and set(map(_DTYPE, mask)) == _INT8
                and list(map(_SHAPE, mask)) == self._shapes):
            for i, (m, n) in enumerate(zip(mask, self._sizes)):
                if type(m) is not np.ndarray or m.dtype != np.int8 or m.shape != (n,):
                    raise ValueError(f"mask[{i}] must be an int8 array of shape ({n},), got "
                                     + (f"{m.dtype} array of shape {m.shape}" if isinstance(m, np.ndarray)
                                        else type(m).__name__))
        flat = np.concatenate(mask)
        if not np.all((flat == 0) | (flat == 1)):
            raise ValueError("mask values must be 0 or 1")
        return self.sample_flat(flat)

    def _checked_flat(self, mask: np.ndarray) -> np.ndarray:
        if mask.shape != (self._total,) or mask.dtype not in (np.bool_, np.int8):
            raise ValueError(f"a flat mask must be a bool (or int8 0/1) array of shape ({self._total},) "
                             f"(sum of nvec), got {mask.dtype} array of shape {mask.shape}")
        if mask.dtype == np.int8 and not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask values must be 0 or 1")
        return mask

    def sample_flat(self, flat_mask: np.ndarray) -> np.ndarray:
        """``sample`` from the concatenated mask (``sum(nvec)`` values, nonzero = allowed)
        without checking it."""
        allowed = np.cumsum(flat_mask, dtype=np.int64)  # allowed values up to and including each position
        offsets = self._offsets
        before = allowed[offsets] - flat_mask[offsets]  # allowed values before each entry
        counts = np.append(before[1:], allowed[-1]) - before
        pick = (self.np_random.random(len(counts)) * counts).astype(np.int64)  # the pick-th allowed value
        pick = np.minimum(pick, np.maximum(counts - 1, 0))  # (never needed in exact arithmetic)
        position = np.searchsorted(allowed, before + pick + 1)  # where the running count first reaches it
        value = np.where(counts > 0, position - offsets, 0)
        return (value + self.start).astype(self.dtype)
