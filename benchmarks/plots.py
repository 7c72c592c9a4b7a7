"""PNG figures of the benchmark summaries (matplotlib, headless)."""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence

import numpy as np

from benchmarks.paper import METRICS
from benchmarks.report import display_name


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _value(idx, key, field: str) -> float:
    row = idx.get(key)
    return float(row[field]) if row is not None else math.nan


def _errors(means: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Asymmetric error bar lengths (2, n); zero where unknown."""
    err = np.vstack([means - lows, highs - means])
    return np.nan_to_num(np.clip(err, 0.0, None))


def _title(spec) -> str:
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def table1_figure(summary: Sequence[Mapping[str, Any]], scenario: str, agents: Sequence[str],
                  paper: Mapping[str, Mapping[str, float]] | None, path: str) -> str:
    """Eight panels (one per Table 1 metric): our mean with its 95% CI per agent,
    the paper's value as a marker beside it."""
    plt = _pyplot()
    idx = {(r["agent"], r["metric"]): r for r in summary if r["scenario"] == scenario}
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5))
    x = np.arange(len(agents))
    for ax, spec in zip(axes.ravel(), METRICS):
        means = np.array([_value(idx, (a, spec.key), "mean") for a in agents])
        lows = np.array([_value(idx, (a, spec.key), "ci_low") for a in agents])
        highs = np.array([_value(idx, (a, spec.key), "ci_high") for a in agents])
        ax.bar(x - 0.18, np.nan_to_num(means), width=0.36, yerr=_errors(means, lows, highs), capsize=3,
               color="tab:blue", label="ours (95% CI)")
        if paper:
            published = np.array([paper.get(a, {}).get(spec.key, math.nan) for a in agents])
            ax.bar(x + 0.18, np.nan_to_num(published), width=0.36, color="tab:gray", alpha=0.6, label="paper")
        if spec.wall_clock:   # ours (ms on this machine) and the paper's (s) differ by orders of magnitude
            ax.set_yscale("log")
        ax.set_title(_title(spec), fontsize=10)
        ax.set_xticks(x)
        ax.set_xticklabels([display_name(a) for a in agents], rotation=45, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(f"Table 1 metrics on {scenario} (mean over seeds, 95% bootstrap CI)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def workloads_figure(summary: Sequence[Mapping[str, Any]], scenarios: Sequence[str], agents: Sequence[str],
                     path: str, labels: Sequence[str] | None = None) -> str:
    """Figure 4: per metric, bars grouped by workload, one bar per agent with CI."""
    plt = _pyplot()
    idx = {(r["scenario"], r["agent"], r["metric"]): r for r in summary}
    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5))
    groups = np.arange(len(scenarios))
    width = 0.8 / max(1, len(agents))
    colors = plt.get_cmap("tab10")
    for ax, spec in zip(axes.ravel(), METRICS):
        for i, agent in enumerate(agents):
            means = np.array([_value(idx, (s, agent, spec.key), "mean") for s in scenarios])
            lows = np.array([_value(idx, (s, agent, spec.key), "ci_low") for s in scenarios])
            highs = np.array([_value(idx, (s, agent, spec.key), "ci_high") for s in scenarios])
            ax.bar(groups - 0.4 + width * (i + 0.5), np.nan_to_num(means), width=width,
                   yerr=_errors(means, lows, highs), capsize=2, color=colors(i % 10), label=display_name(agent))
        ax.set_title(_title(spec), fontsize=10)
        ax.set_xticks(groups)
        ax.set_xticklabels(labels or scenarios, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(agents), fontsize=9)
    fig.suptitle("Per-application workloads (mean over seeds, 95% bootstrap CI)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
