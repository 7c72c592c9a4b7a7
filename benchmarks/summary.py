"""Aggregate per-episode rows into per-agent statistics with confidence intervals.

Input rows come from ``benchmarks.sweep.run_sweep`` (one per scenario x agent x
seed). Output rows are long-format: one per (scenario, agent, metric) with the
mean and its 95% bootstrap CI, the IQM and its stratified-bootstrap CI; and one
per (agent, metric) for the probability that a reference agent (SplitPlace)
improves on it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Sequence

import numpy as np

from benchmarks import stats
from benchmarks.paper import METRIC_KEYS, metric


def ordered_agents(rows: Iterable[dict[str, Any]], preferred: Sequence[str] = ()) -> list[str]:
    """Agents in ``preferred`` order first, then the others in first-seen order."""
    seen: list[str] = []
    for row in rows:
        if row["agent"] not in seen:
            seen.append(row["agent"])
    head = [a for a in preferred if a in seen]
    return head + [a for a in seen if a not in head]


def ordered_scenarios(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Scenarios in first-seen order."""
    out: list[str] = []
    for row in rows:
        if row["scenario"] not in out:
            out.append(row["scenario"])
    return out


def score_matrix(rows: Sequence[dict[str, Any]], agent: str, key: str,
                 scenarios: Sequence[str]) -> np.ndarray:
    """Scores of ``agent`` on ``key`` as ``(seeds, scenarios)``, rows sorted by seed.

    Seeds missing in a scenario are dropped for all scenarios (strata must
    have equal run counts for the stratified bootstrap).
    """
    by_scenario: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        if row["agent"] == agent and row["scenario"] in scenarios:
            by_scenario[row["scenario"]][row["seed"]] = float(row[key])
    seed_sets = [set(by_scenario[s]) for s in scenarios]
    seeds = sorted(set.intersection(*seed_sets)) if seed_sets else []
    return np.array([[by_scenario[s][seed] for s in scenarios] for seed in seeds], dtype=np.float64).reshape(
        len(seeds), len(scenarios))


def summarize(rows: Sequence[dict[str, Any]], *, metrics: Sequence[str] = METRIC_KEYS,
              agents: Sequence[str] = (), n_boot: int = 2000, confidence: float = 0.95,
              seed: int = 0) -> list[dict[str, Any]]:
    """Mean, IQM and their bootstrap CIs per (scenario, agent, metric).

    NaN scores (e.g. no finished task in a short episode) are left out of that
    metric's statistics; ``n`` counts the runs used.

    Returns:
        Long-format rows: scenario, agent, metric, n, mean, ci_low, ci_high,
        iqm, iqm_low, iqm_high.
    """
    out = []
    for scenario in ordered_scenarios(rows):
        scen_rows = [r for r in rows if r["scenario"] == scenario]
        for agent in ordered_agents(scen_rows, agents):
            for key in metrics:
                x = score_matrix(scen_rows, agent, key, [scenario]).ravel()
                x = x[np.isfinite(x)]
                lo, hi = stats.stratified_bootstrap_ci(x, stats.mean, n_boot=n_boot, confidence=confidence, seed=seed)
                ilo, ihi = stats.stratified_bootstrap_ci(x, stats.iqm, n_boot=n_boot, confidence=confidence, seed=seed)
                out.append({"scenario": scenario, "agent": agent, "metric": key, "n": int(x.size),
                            "mean": stats.mean(x), "ci_low": lo, "ci_high": hi,
                            "iqm": stats.iqm(x), "iqm_low": ilo, "iqm_high": ihi})
    return out


def improvement(rows: Sequence[dict[str, Any]], reference: str, *, metrics: Sequence[str] = METRIC_KEYS,
                agents: Sequence[str] = (), n_boot: int = 2000, confidence: float = 0.95,
                seed: int = 0) -> list[dict[str, Any]]:
    """Probability that ``reference`` improves on each other agent, per metric.

    "Improves" follows the metric's direction (lower energy, higher reward...).
    Scenarios are the strata (Agarwal et al. 2021: PoI averaged over tasks).

    Returns:
        Rows: agent, metric, poi, poi_low, poi_high, n_ref, n_other; empty when
        the reference agent is not in ``rows``.
    """
    names = ordered_agents(rows, agents)
    if reference not in names:
        return []
    scenarios = ordered_scenarios(rows)
    out = []
    for agent in names:
        if agent == reference:
            continue
        for key in metrics:
            sign = 1.0 if metric(key).higher_is_better else -1.0
            x = sign * score_matrix(rows, reference, key, scenarios)
            y = sign * score_matrix(rows, agent, key, scenarios)
            x = x[np.all(np.isfinite(x), axis=1)]
            y = y[np.all(np.isfinite(y), axis=1)]
            poi, lo, hi = stats.probability_of_improvement_ci(x, y, n_boot=n_boot, confidence=confidence, seed=seed)
            out.append({"agent": agent, "metric": key, "poi": poi, "poi_low": lo, "poi_high": hi,
                        "n_ref": int(x.shape[0]), "n_other": int(y.shape[0])})
    return out


