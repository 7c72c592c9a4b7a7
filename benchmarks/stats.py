"""Robust aggregate statistics across seeds (numpy only).

Follows Agarwal et al. (2021), "Deep Reinforcement Learning at the Edge of the
Statistical Precipice": with few runs per agent, report the interquartile mean
(IQM) beside the mean, give percentile confidence intervals from a *stratified*
bootstrap (runs are resampled with replacement inside each task/scenario, so
every bootstrap sample keeps the design of the experiment), and compare two
agents with the probability of improvement P(X > Y).

Score arrays are shaped ``(runs,)`` for one task or ``(runs, tasks)`` for
several; each column is a stratum.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Statistic = Callable[[np.ndarray], float]


def _as_2d(scores) -> np.ndarray:
    """Returns ``scores`` as a float ``(runs, tasks)`` array."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"scores must be 1-D (runs,) or 2-D (runs, tasks), got shape {arr.shape}")
    return arr


def iqm(scores) -> float:
    """Interquartile mean: the mean of the middle 50% of all scores.

    Cuts ``floor(0.25 * n)`` values from each end of the sorted, flattened
    scores (the convention of ``scipy.stats.trim_mean(x, 0.25)`` used by
    rliable).

    Args:
        scores: any array of scores; it is flattened.

    Returns:
        The interquartile mean, or NaN for an empty array.
    """
    x = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    if x.size == 0:
        return float("nan")
    cut = int(0.25 * x.size)
    return float(np.mean(x[cut:x.size - cut]))


def mean(scores) -> float:
    """The plain mean of all scores (NaN when empty)."""
    x = np.asarray(scores, dtype=np.float64).ravel()
    return float(np.mean(x)) if x.size else float("nan")


def stratified_bootstrap_ci(scores, statistic: Statistic = mean, *, n_boot: int = 2000,
                            confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile confidence interval of ``statistic`` by stratified bootstrap.

    Args:
        scores: ``(runs,)`` or ``(runs, tasks)``; runs are resampled within
            each task column.
        statistic: maps the flattened resampled scores to a number (e.g.
            ``mean``, ``iqm``; these two are vectorised).
        n_boot: bootstrap replicates.
        confidence: two-sided coverage, e.g. 0.95.
        seed: seed of the resampling generator (results are deterministic).

    Returns:
        ``(low, high)``; ``(nan, nan)`` for no runs, a point interval for one run.
    """
    arr = _as_2d(scores)
    n_runs, n_tasks = arr.shape
    if n_runs == 0:
        return float("nan"), float("nan")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_runs, size=(n_boot, n_runs, n_tasks))
    samples = arr[idx, np.arange(n_tasks)].reshape(n_boot, -1)
    reps = _batched(statistic, samples)
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(reps, [tail, 100.0 - tail])
    return float(low), float(high)


def _batched(statistic: Statistic, samples: np.ndarray) -> np.ndarray:
    """``statistic`` of every row of ``samples`` (vectorised for mean and IQM)."""
    if statistic is mean:
        return samples.mean(axis=1)
    if statistic is iqm:
        ordered = np.sort(samples, axis=1)
        cut = int(0.25 * ordered.shape[1])
        return ordered[:, cut:ordered.shape[1] - cut].mean(axis=1)
    return np.array([statistic(row) for row in samples], dtype=np.float64)


def probability_of_improvement(x, y) -> float:
    """P(X > Y): chance that a random run of X scores higher than one of Y.

    The Mann-Whitney U statistic normalised to [0, 1], ties counting one half,
    computed per task and averaged over tasks (Agarwal et al. 2021, Eq. 3).

    Args:
        x: scores of agent X, ``(runs_x,)`` or ``(runs_x, tasks)``.
        y: scores of agent Y with the same number of tasks.

    Returns:
        A probability in [0, 1]; 0.5 for identically distributed samples.
    """
    ax, ay = _as_2d(x), _as_2d(y)
    if ax.shape[1] != ay.shape[1]:
        raise ValueError(f"x and y need the same number of tasks, got {ax.shape[1]} and {ay.shape[1]}")
    if ax.shape[0] == 0 or ay.shape[0] == 0:
        return float("nan")
    gt = (ax[:, None, :] > ay[None, :, :]).mean(axis=(0, 1))
    eq = (ax[:, None, :] == ay[None, :, :]).mean(axis=(0, 1))
    return float(np.mean(gt + 0.5 * eq))


def probability_of_improvement_ci(x, y, *, n_boot: int = 2000, confidence: float = 0.95,
                                  seed: int = 0) -> tuple[float, float, float]:
    """P(X > Y) with a stratified-bootstrap percentile interval.

    X and Y are resampled independently, each within every task column.

    Returns:
        ``(point, low, high)``.
    """
    ax, ay = _as_2d(x), _as_2d(y)
    point = probability_of_improvement(ax, ay)
    if ax.shape[0] == 0 or ay.shape[0] == 0:
        return point, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    cols = np.arange(ax.shape[1])
    rx = ax[rng.integers(0, ax.shape[0], size=(n_boot, *ax.shape)), cols]
    ry = ay[rng.integers(0, ay.shape[0], size=(n_boot, *ay.shape)), cols]
    gt = (rx[:, :, None, :] > ry[:, None, :, :]).mean(axis=(1, 2))
    eq = (rx[:, :, None, :] == ry[:, None, :, :]).mean(axis=(1, 2))
    reps = (gt + 0.5 * eq).mean(axis=1)
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(reps, [tail, 100.0 - tail])
    return point, float(low), float(high)
