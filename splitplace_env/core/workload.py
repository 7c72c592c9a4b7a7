"""Task arrivals: Poisson counts, application, batch, SLA deadline and accuracy draws.

Everything random about a task is drawn here, at its arrival, from the workload
stream alone, so the same seed gives every agent the same tasks (common random
numbers) whatever the agent does. The accuracy of each possible split is drawn up
front (Binomial(batch, p) / batch per split, from its own stream) for the same
reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from splitplace_env.config import APPLICATIONS, SplitPlaceConfig

#: Splits whose accuracy is drawn per task; merged layer modes reuse "layer".
ACCURACY_MODES: tuple[str, ...] = ("layer", "semantic", "compressed")


@dataclass
class Arrivals:
    """A batch of new tasks (arrays of equal length)."""

    app: np.ndarray        # index into APPLICATIONS
    batch: np.ndarray      # samples
    sla: np.ndarray        # deadline in intervals after arrival
    accuracy: np.ndarray   # (n, len(ACCURACY_MODES)) fraction correct per split

    def __len__(self) -> int:
        return int(self.app.shape[0])


class Workload:
    """Poisson(lambda) tasks per interval of the configured applications.

    Args:
        cfg: the configuration (arrival rate, applications and weights, SLA rule).
        accuracy: (len(APPLICATIONS), len(ACCURACY_MODES)) held-out accuracies.
        batch_choices: per application, the batch sizes drawn uniformly.
        rng: the workload stream (counts, applications, batches, deadlines).
        accuracy_rng: the accuracy-noise stream, also drawn at arrival.
    """

    def __init__(self, cfg: SplitPlaceConfig, accuracy: np.ndarray,
                 batch_choices: list[np.ndarray], rng: np.random.Generator,
                 accuracy_rng: np.random.Generator) -> None:
        self._rate = cfg.arrival_rate
        self._apps = np.array([APPLICATIONS.index(a) for a in cfg.applications])
        w = np.asarray(cfg.app_weights, dtype=np.float64)
        self._cum_w = np.cumsum(w / w.sum())
        # sla ~ U{min_sla, .., 2L - 3}: the authors' randint(2, 2L - 2).
        self._sla_lo = cfg.min_sla
        self._sla_hi = np.array([2 * L - 2 for L in cfg.layer_intervals])  # exclusive
        self._accuracy = accuracy
        self._batch_choices = batch_choices
        self._noise = cfg.accuracy_noise
        self._rng = rng
        self._acc_rng = accuracy_rng

    def sample(self) -> Arrivals:
        """Draws the tasks that arrive during one interval."""
        rng = self._rng
        n = int(rng.poisson(self._rate))
        app = self._apps[np.searchsorted(self._cum_w, rng.random(n), side="right").clip(max=self._apps.size - 1)]
        pick = rng.random(n)
        batch = np.array(
            [self._batch_choices[a][int(u * len(self._batch_choices[a]))] for a, u in zip(app, pick)],
            dtype=np.int64,
        )
        sla = rng.integers(self._sla_lo, np.maximum(self._sla_hi[app], self._sla_lo + 1)).astype(np.float64)
        p = self._accuracy[app]
        acc = self._acc_rng.binomial(batch[:, None], p) / batch[:, None] if self._noise else p.copy()
        return Arrivals(app=app, batch=batch, sla=sla, accuracy=acc)
