"""Task arrivals: Poisson counts, application, batch, SLA deadline and accuracy draws.

Everything random about a task is drawn here, at its arrival, from the workload
streams alone, so the same seed gives every agent the same tasks (common random
numbers) whatever the agent does. The accuracy of each possible split is drawn up
front (Binomial(batch, p) / batch per split, from its own stream) for the same
reason. Arrivals are generated ahead in chunks of intervals, vectorised; task ids
are consecutive in arrival order, so the FIFO backlog is a range of ids.
"""

from __future__ import annotations

import numpy as np

from splitplace_env.config import APPLICATIONS, NETWORKS, SplitPlaceConfig

#: Networks whose accuracy is drawn per task (``config.NETWORK_OF_SPLIT`` maps the
#: split modes onto them).
ACCURACY_MODES: tuple[str, ...] = NETWORKS
_CHUNK = 64  # intervals generated at once


class Workload:
    """Poisson(lambda) tasks per interval of the configured applications.

    Task with id ``i`` (ids count arrivals) sits at row ``i - base`` of the arrays:
    ``app`` (index into APPLICATIONS), ``batch`` (samples), ``sla`` (deadline in
    intervals after arrival), ``created`` (the interval it arrived in) and
    ``accuracy`` (fraction correct per ``ACCURACY_MODES``). Rows are generated
    ahead and dropped once ``release`` says they were consumed, so memory stays
    flat over long runs.

    Args:
        cfg: the configuration (arrival rate, applications and weights, SLA rule).
        accuracy: (len(APPLICATIONS), len(ACCURACY_MODES)) held-out accuracies.
        batch_choices: per application, the batch sizes drawn uniformly.
        rng: the workload stream (counts, applications, batches, deadlines).
        accuracy_rng: the accuracy-noise stream.
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
        self._sla_hi = np.array([max(2 * L - 2, cfg.min_sla + 1) for L in cfg.layer_intervals])
        self._accuracy = accuracy
        width = max(len(b) for b in batch_choices)
        # A rectangular table of batch choices; the index is drawn within each row's own length.
        self._batch_table = np.array([np.resize(b, width) for b in batch_choices])
        self._batch_len = np.array([len(b) for b in batch_choices])
        self._noise = cfg.accuracy_noise
        self._rng = rng
        self._acc_rng = accuracy_rng
        self.n_intervals = 0                     # intervals generated so far
        self.base = 0                            # id of the first stored task
        self._t_base = 0                         # first interval in cum_count
        self._release_id = 0
        self._release_t = 0
        self.cum_count = np.zeros(1, dtype=np.int64)  # tasks arrived before interval t_base + j
        self.app = np.zeros(0, dtype=np.int64)
        self.batch = np.zeros(0, dtype=np.int64)
        self.sla = np.zeros(0)
        self.created = np.zeros(0)
        self.accuracy = np.zeros((0, len(ACCURACY_MODES)))

    def arrived_by_end_of(self, t: int) -> int:
        """Number of tasks that arrived in intervals 0..t (generating as needed)."""
        while self.n_intervals <= t:
            self._generate(_CHUNK)
        return int(self.cum_count[t + 1 - self._t_base])

    def release(self, task_id: int, t: int) -> None:
        """Allows dropping tasks with ids below ``task_id`` and intervals before ``t``."""
        self._release_id, self._release_t = task_id, t

    def _generate(self, k: int) -> None:
        rng = self._rng
        counts = rng.poisson(self._rate, size=k)
        n = int(counts.sum())
        app = self._apps[np.minimum(np.searchsorted(self._cum_w, rng.random(n), side="right"),
                                    self._apps.size - 1)]
        pick = (rng.random(n) * self._batch_len[app]).astype(np.int64)
        batch = self._batch_table[app, pick]
        sla = rng.integers(self._sla_lo, self._sla_hi[app]).astype(np.float64)
        p = self._accuracy[app]
        acc = self._acc_rng.binomial(batch[:, None], p) / batch[:, None] if self._noise else p.copy()
        self._compact()
        created = np.repeat(np.arange(self.n_intervals, self.n_intervals + k, dtype=np.float64), counts)
        self.app = np.concatenate([self.app, app])
        self.batch = np.concatenate([self.batch, batch])
        self.sla = np.concatenate([self.sla, sla])
        self.created = np.concatenate([self.created, created])
        self.accuracy = np.concatenate([self.accuracy, acc])
        self.cum_count = np.concatenate([self.cum_count, self.cum_count[-1] + np.cumsum(counts)])
        self.n_intervals += k

    def _compact(self) -> None:
        drop = self._release_id - self.base
        if drop > 0:
            self.app, self.batch, self.sla = self.app[drop:], self.batch[drop:], self.sla[drop:]
            self.created, self.accuracy = self.created[drop:], self.accuracy[drop:]
            self.base = self._release_id
        drop_t = self._release_t - self._t_base
        if drop_t > 0:
            self.cum_count = self.cum_count[drop_t:]
            self._t_base = self._release_t
