"""The SplitPlace MAB splitter (paper Eq. 2-7).

Constants and where they come from:

* ``phi = 0.9``: EMA weight of the newest layer response (paper, Sec. 4; the
  authors' code used 0.1 -- the paper is followed).
* initial ``R^a`` = {MNIST: 5, FashionMNIST: 8, CIFAR100: 15} intervals (authors'
  code, ``average_layer_intervals``; the paper gives none).
* ``c = 0.5``: UCB exploration factor (paper; the code has no UCB).
* ``epsilon_0 = 1.0`` (paper: "starting from 1"; code 0.95).
* ``k = 0.02``: epsilon <- (1 - k) epsilon, rho <- (1 + k) rho (paper's form);
  the value is the code's epsilon decay 0.98 (the paper leaves k open).
  ``rho_0 = k`` (paper: "initialised as k"). The cap rho <= 1 is the code's
  (its threshold growth was 1.05; the paper ties the growth to k, followed here).
* ``gamma``: the paper leaves the step of Eq. 5 open; the code keeps the
  sample mean, i.e. ``gamma = 1 / m`` for the m-th update of (c, d). That is
  the default (``gamma=None``); a constant can be given instead.
* ``O^MAB`` averages Eq. 3/4 over the (c, d) pairs that had finished tasks in the
  interval (an empty pair has no defined O); with none, nothing decays (as in
  the code, where the average of nothing is 0).
"""

from __future__ import annotations

import logging
import math
import numbers
from pathlib import Path
from typing import Mapping

import numpy as np
from agents.base import load_torch_file
from agents.composed import Splitter
from splitplace_env.config import APPLICATIONS

logger = logging.getLogger(__name__)

HIGH, LOW = 0, 1
CONTEXTS = ("high", "low")
ARMS = ("layer", "semantic")
INITIAL_LAYER_RESPONSE = {"MNIST": 5.0, "FashionMNIST": 8.0, "CIFAR100": 15.0}
WEIGHTS = Path(__file__).resolve().parent / "weights" / "mab.pt"


def ema(estimate: float, observation: float, phi: float) -> float:
    """Eq. 2: ``R <- phi * r + (1 - phi) * R``."""
    return phi * observation + (1.0 - phi) * estimate


def context_of(sla: float, layer_estimate: float) -> int:
    """HIGH if ``sla >= R^a`` (a layer split likely meets the deadline), else LOW."""
    return HIGH if sla >= layer_estimate else LOW


def context_rewards(contexts: np.ndarray, arms: np.ndarray, sla_met: np.ndarray,
                    accuracy: np.ndarray) -> np.ndarray:
    """Eq. 3/4: per (context, arm) mean of ``(1[r <= sla] + p) / 2``; NaN where no task.

    Args:
        contexts, arms: per finished task, its decision context and arm index.
        sla_met: per finished task, ``r_i <= sla_i``.
        accuracy: per finished task, ``p_i`` in [0, 1].
    """
    out = np.full((2, 2), np.nan)
    score = (sla_met.astype(np.float64) + accuracy) / 2.0
    for c in (HIGH, LOW):
        for d in (0, 1):
            sel = (contexts == c) & (arms == d)
            if sel.any():
                out[c, d] = float(score[sel].mean())
    return out


def ucb_choice(q: np.ndarray, n: np.ndarray, t: int, c: float) -> int:
    """Eq. 7: ``argmax_d Q_d + c sqrt(log t / N_d)``; an untried arm (N = 0) first."""
    untried = np.flatnonzero(n == 0)
    if untried.size:
        return int(untried[0])
    bonus = c * np.sqrt(math.log(max(t, 1)) / n)
    return int(np.argmax(q + bonus))


class MABSplitter(Splitter):
    """Two contextual two-armed bandits choosing layer vs semantic per new task.

    Args:
        split_modes: the env's split modes (must contain "layer" and "semantic").
        phi, c, k, epsilon, gamma: see the module docstring.
    """

    name = "mab"

    def __init__(self, split_modes: tuple[str, ...], phi: float = 0.9, c: float = 0.5, k: float = 0.02,
                 epsilon: float = 1.0, gamma: float | None = None) -> None:
        missing = [a for a in ARMS if a not in split_modes]
        if missing:
            raise ValueError(f"the MAB needs split modes {ARMS}; env has {split_modes}")
        self.arm_split = np.array([split_modes.index(a) for a in ARMS], dtype=np.int64)
        self.split_arm = {int(s): d for d, s in enumerate(self.arm_split)}
        self.phi, self.c, self.k, self.gamma = phi, c, k, gamma
        self.R = np.array([INITIAL_LAYER_RESPONSE[a] for a in APPLICATIONS])
        self.Q = np.zeros((2, 2))
        self.N = np.zeros((2, 2), dtype=np.int64)   # decisions taken (UCB)
        self.M = np.zeros((2, 2), dtype=np.int64)   # Q updates (gamma = 1/M)
        self.epsilon = epsilon
        self.rho = k
        self.t = 0
        self.training = False
        self._decided: dict[int, tuple[int, int]] = {}

    @classmethod
    def pretrained(cls, split_modes: tuple[str, ...], path: str | Path = WEIGHTS) -> "MABSplitter":
        """The MAB with the shipped weights (``python -m agents.train_mab``); untrained
        if there is no file.

        Raises:
            ValueError: naming the file, if it is empty, unreadable, not a MAB's saved
                state or holds values the MAB refuses (``load_state_dict``).
        """
        mab = cls(split_modes)
        if not Path(path).exists():
            logger.warning("no MAB weights at %s; starting untrained", path)
            return mab
        blob = load_torch_file(path, "MAB weights")
        try:
            if not isinstance(blob, Mapping) or blob.get("name") != cls.name or "state" not in blob:
                raise ValueError(f"expected {{'name': 'mab', 'state': {{...}}}} as agents.train_mab writes it, "
                                 f"got {type(blob).__name__} {sorted(blob)[:4] if isinstance(blob, Mapping) else ''}")
            mab.load_state_dict(blob["state"])
        except ValueError as e:
            raise ValueError(f"MAB weights file {str(path)!r}: {e}") from e
        return mab

    def reset(self) -> None:
        self._decided = {}

    # ------------------------------------------------------------------ acting
    def choose(self, context: int, rng: np.random.Generator) -> int:
        """Eq. 6 (training, epsilon-greedy) or Eq. 7 (test, UCB): an arm index."""
        if self.training:
            if rng.random() < self.epsilon:
                return int(rng.integers(2))
            return int(np.argmax(self.Q[context]))
        return ucb_choice(self.Q[context], self.N[context], self.t, self.c)

    def decide(self, obs, info, rng) -> dict[int, int]:
        p = info.get("pending", {})
        slots = np.asarray(p.get("slot", []), dtype=np.int64)
        out: dict[int, int] = {}
        for k, tid, app, sla in zip(slots.tolist(), np.asarray(p.get("task_id", [])).tolist(),
                                    np.asarray(p.get("app", [])).tolist(), np.asarray(p.get("sla", [])).tolist()):
            ctx = context_of(sla, self.R[app])
            d = self.choose(ctx, rng)
            self.N[ctx, d] += 1
            self._decided[int(tid)] = (ctx, d)
            out[k] = int(self.arm_split[d])
        return out

    # ------------------------------------------------------------------ learning
    def observe(self, info) -> None:
        fin = info.get("finished", {})
        tids = np.asarray(fin.get("task_id", []), dtype=np.int64)
        self.t += 1
        if tids.size == 0:
            return
        split = np.asarray(fin["split"], dtype=np.int64)
        arms = np.array([self.split_arm.get(int(s), -1) for s in split], dtype=np.int64)
        apps = np.asarray(fin["app"], dtype=np.int64)
        sla = np.asarray(fin["sla"], dtype=np.float64)
        # A task decided before this agent existed gets its context from the current R.
        ctx = np.array([self._decided.pop(int(t), (context_of(s, self.R[a]), -1))[0]
                        for t, s, a in zip(tids.tolist(), sla.tolist(), apps.tolist())], dtype=np.int64)
        sla_met = np.asarray(fin.get("sla_met", np.asarray(fin["response"]) <= sla), dtype=bool)
        O = context_rewards(ctx, arms, sla_met, np.asarray(fin["accuracy"], dtype=np.float64))
        has = ~np.isnan(O)
        self.M[has] += 1
        gamma = (1.0 / self.M[has]) if self.gamma is None else self.gamma
        self.Q[has] += gamma * (O[has] - self.Q[has])                        # Eq. 5
        layer = arms == 0
        for a, r in zip(apps[layer].tolist(), np.asarray(fin["response"])[layer].tolist()):
            self.R[a] = ema(self.R[a], r, self.phi)                            # Eq. 2
        if self.training and has.any():
            self.decay(float(O[has].mean()))

    def decay(self, o_mab: float) -> None:
        """epsilon <- (1-k) epsilon and rho <- (1+k) rho (capped at 1) when O^MAB > rho."""
        if o_mab > self.rho:
            self.epsilon *= 1.0 - self.k
            self.rho = min(1.0, self.rho * (1.0 + self.k))

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {"R": self.R.tolist(), "Q": self.Q.tolist(), "N": self.N.tolist(), "M": self.M.tolist(),
                "epsilon": self.epsilon, "rho": self.rho, "t": self.t,
                "phi": self.phi, "c": self.c, "k": self.k, "gamma": self.gamma}

    def load_state_dict(self, state: Mapping) -> None:
        """Restores ``state_dict``; checks every value first and changes nothing on error.

        Raises:
            ValueError: a missing key, a wrong shape, a non-finite value, negative
                counts, or epsilon / rho / phi outside [0, 1].
        """
        if not isinstance(state, Mapping):
            raise ValueError(f"a MAB state is a mapping, got {type(state).__name__}")
        missing = [k for k in _STATE_KEYS if k not in state]
        if missing:
            raise ValueError(f"the MAB state lacks {missing}")
        R = _finite_array(state, "R", (len(APPLICATIONS),))
        Q = _finite_array(state, "Q", (2, 2))
        N, M = _count_array(state, "N"), _count_array(state, "M")
        epsilon, rho, phi = (_finite_number(state, k, 0.0, 1.0) for k in ("epsilon", "rho", "phi"))
        c, k = _finite_number(state, "c", 0.0, math.inf), _finite_number(state, "k", 0.0, math.inf)
        t = state["t"]
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
            raise ValueError(f"the MAB state's t must be a non-negative integer, got {t!r}")
        gamma = None if state["gamma"] is None else _finite_number(state, "gamma", 0.0, 1.0)
        self.R, self.Q, self.N, self.M = R, Q, N, M
        self.epsilon, self.rho, self.t = epsilon, rho, int(t)
        self.phi, self.c, self.k, self.gamma = phi, c, k, gamma


#: Keys of ``MABSplitter.state_dict``.
_STATE_KEYS = ("R", "Q", "N", "M", "epsilon", "rho", "t", "phi", "c", "k", "gamma")


def _finite_array(state: Mapping, key: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        a = np.asarray(state[key], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the MAB state's {key} must be numbers of shape {shape}: {e}") from e
    if a.shape != shape or not np.isfinite(a).all():
        raise ValueError(f"the MAB state's {key} must be finite numbers of shape {shape}, got {state[key]!r}")
    return a


def _count_array(state: Mapping, key: str) -> np.ndarray:
    a = _finite_array(state, key, (2, 2))
    if (a < 0).any() or (a != np.round(a)).any():
        raise ValueError(f"the MAB state's {key} must be non-negative integer counts, got {state[key]!r}")
    return a.astype(np.int64)


def _finite_number(state: Mapping, key: str, lo: float, hi: float) -> float:
    v = state[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"the MAB state's {key} must be a finite number in [{lo}, {hi}], got {v!r}")
    return float(v)
