"""The info dict ``SplitPlaceEnv.step`` and ``reset`` return: a plain ``dict`` whose
``copy.deepcopy`` knows its own values.

Stable-Baselines3's ``DummyVecEnv`` (what SB3 wraps a single ``gym.make`` env in)
deep-copies every info on every step. The generic ``deepcopy`` visits each of the
info's values and those of its ``rewards`` dict through the memo machinery: 61
calls and 0.22 ms a step, 8% of a plain-script MaskablePPO run (cProfile, the
``benchmarks.rl_throughput`` settings). ``StepInfo.__deepcopy__`` copies the values
the env puts there by their known types and hands anything else (a wrapper's
``episode`` dict, a user's key) to ``deepcopy``: the same result, an independent copy.
"""

from __future__ import annotations

import copy

import numpy as np

from splitplace_env.core.logs import RecordView

_ATOMIC = (int, float, bool, str, type(None))


class StepInfo(dict):
    """A ``dict`` (``isinstance(info, dict)`` holds) with a fast ``deepcopy``."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> "StepInfo":
        out = StepInfo()
        memo[id(self)] = out
        for key, value in self.items():
            kind = type(value)
            if kind in _ATOMIC:
                out[key] = value
            elif kind is np.ndarray:
                out[key] = value.copy()
            elif kind is RecordView:
                out[key] = value._own_rows()
            elif kind is dict and all(type(v) in _ATOMIC for v in value.values()):
                out[key] = dict(value)  # the reward terms
            else:
                out[key] = copy.deepcopy(value, memo)
        return out
