"""Evaluate a trained RL model with the Table 1 protocol, beside the paper's agents.

``python -m benchmarks.rl_evaluate --model PATH`` runs the model (``rl:PATH``)
and the comparison agents for the same seeds (0..4) x 100 intervals under common
random numbers, through the Table 1 runner (``benchmarks.table1``), and writes
``benchmarks/results/rl_table.{csv,md,png}`` and ``rl_table_runs.csv``. With
``--run-dir`` it also draws the learning curve (``rl_learning_curve.png``) with
the other agents' mean episode returns as reference lines.

This lives in ``benchmarks`` (it was ``agents.rl.evaluate``) because it drives
the Table 1 runner, and ``agents`` must not import ``benchmarks``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
from collections import defaultdict
from typing import Sequence

from benchmarks.table1 import run_table1

log = logging.getLogger(__name__)

#: Compared agents when the paper's are available (benchmarks' Table 1 rows) plus simple baselines.
DEFAULT_BASELINES = ("MC", "Gillis", "S+G", "L+G", "R+D", "M+G", "SplitPlace", "random", "least-loaded")
RESULTS_DIR = os.path.join("benchmarks", "results")


def mean_episode_returns(runs_csv: str) -> dict[str, float]:
    """Agent -> mean episode return (sum of Eq. 8) from a ``*_runs.csv`` of the benchmarks."""
    acc: dict[str, list[float]] = defaultdict(list)
    with open(runs_csv) as fh:
        for r in csv.DictReader(fh):
            acc[r["agent"]].append(float(r["reward_eq8"]) * float(r["n_intervals"]))
    return {a: sum(v) / len(v) for a, v in acc.items()}


def evaluate(model: str, agents: Sequence[str] = DEFAULT_BASELINES, seeds: Sequence[int] = range(5),
             n_intervals: int = 100, out_dir: str = RESULTS_DIR, name: str = "rl_table",
             workers: int | None = None) -> dict[str, str]:
    """Runs Table 1 with ``rl:model`` first; returns the files written."""
    rl = f"rl:{model}"
    result = run_table1([rl, *agents], list(seeds), n_intervals, out_dir=out_dir, name=name, workers=workers)
    return dict(result.files)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.rl_evaluate``: prints the mean Eq. 8 return per agent and the files."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.rl_evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model zip or run directory")
    p.add_argument("--agents", nargs="*", default=list(DEFAULT_BASELINES))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--intervals", type=int, default=100)
    p.add_argument("--out-dir", default=RESULTS_DIR)
    p.add_argument("--name", default="rl_table")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--run-dir", default=None, help="training run directory: also plot the learning curve")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    files = evaluate(args.model, args.agents, range(args.seeds), args.intervals, args.out_dir, args.name,
                     args.workers)
    returns = mean_episode_returns(files["runs"])
    for agent, value in sorted(returns.items(), key=lambda kv: -kv[1]):
        print(f"{agent:>40s}  mean episode return (Eq. 8) {value:8.2f}")
    if args.run_dir:
        from agents.rl.curves import plot_learning_curve

        rl = f"rl:{args.model}"
        refs = {k: v for k, v in returns.items() if k != rl and k in ("SplitPlace", "S+G", "random", "least-loaded")}
        files["curve"] = plot_learning_curve(args.run_dir, os.path.join(args.out_dir, "rl_learning_curve.png"),
                                             "MaskablePPO on SplitPlace-v0", references=refs)
    for path in files.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
