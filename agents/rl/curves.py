"""Learning curves of a training run: training-episode returns and periodic evaluations."""

from __future__ import annotations

import csv
import glob
import os
from typing import Mapping

import numpy as np


def monitor_returns(run_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """Training episodes of all envs merged by wall time: (cumulative steps, return)."""
    rows = []
    for path in glob.glob(os.path.join(run_dir, "monitor", "*.monitor.csv")):
        with open(path) as fh:
            fh.readline()  # JSON header
            rows += [(float(r["t"]), float(r["r"]), int(r["l"])) for r in csv.DictReader(fh)]
    rows.sort()
    if not rows:
        return np.zeros(0), np.zeros(0)
    t, r, n = map(np.asarray, zip(*rows))
    return np.cumsum(n), r


def eval_results(run_dir: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periodic evaluations: (timesteps, mean return, std of returns); empty without any."""
    path = os.path.join(run_dir, "eval", "evaluations.npz")
    if not os.path.isfile(path):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    d = np.load(path)
    return d["timesteps"], d["results"].mean(axis=1), d["results"].std(axis=1)


def plot_learning_curve(run_dir: str, out_png: str, title: str = "", window: int = 20,
                        references: Mapping[str, float] | None = None) -> str:
    """Plots training returns (moving average) and evaluations; returns ``out_png``.

    Args:
        run_dir: a directory written by ``agents.rl.train``.
        out_png: the figure's path.
        title: figure title.
        window: moving-average window over training episodes.
        references: name -> episode return of other agents (horizontal lines).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, ret = monitor_returns(run_dir)
    fig, ax = plt.subplots(figsize=(9, 4))
    if ret.size:
        ax.plot(steps, ret, color="tab:blue", alpha=0.2, lw=0.8)
        if ret.size >= window:
            ma = np.convolve(ret, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1:], ma, color="tab:blue", label=f"training episodes ({window}-ep. mean, sampled)")
    ts, mean, std = eval_results(run_dir)
    if ts.size:
        ax.errorbar(ts, mean, yerr=std, color="black", marker="o", ms=3, capsize=2,
                    label="evaluation (greedy, masked)")
    # reference colours: none of the curves' (blue training, black evaluation), all distinct
    palette = ("tab:green", "tab:red", "tab:purple", "tab:brown", "tab:orange", "tab:pink", "tab:olive",
               "tab:cyan", "tab:gray")
    styles = ("--", "-.", ":")
    for i, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, ls=styles[i // len(palette) % len(styles)], lw=1.2, color=palette[i % len(palette)],
                   label=f"{name} ({value:.1f})")
    ax.set_xlabel("environment steps (intervals)")
    ax.set_ylabel("episode return (sum of Eq. 8 over 100 intervals)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)  # clear of the data
    fig.tight_layout()
    os.makedirs(os.path.dirname(out_png) or ".", exist_ok=True)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    return out_png
