"""A first comparison of agents on common seeds (the paper's Table 1 columns).

``python -m agents.compare --agents SplitPlace Gillis MC --seeds 5 --intervals 100``
plays every agent on seeds 0..n-1 (the same tasks for every agent) with a fresh
agent per seed (shipped weights, fine-tuned online within the episode) and
prints a Markdown table of means (± standard deviation over seeds).
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np
import torch

from agents.registry import TABLE1_AGENTS
from agents.runner import run_episode

COLUMNS = (("reward_eq8", "Eq.8 reward", 3), ("reward_paper_pct", "Avg. reward (paper, %)", 2),
           ("sla_violation_rate", "SLA viol.", 3), ("response_intervals", "Resp. (int.)", 2),
           ("wait_intervals", "Wait (int.)", 2), ("accuracy_pct", "Acc. (%)", 2),
           ("energy_kwh", "Energy (kWh)", 3), ("jain", "Jain", 3), ("sched_time_s", "Sched. (ms)", 1),
           ("n_finished", "Finished", 0))


def compare(agents: Sequence[str], seeds: Sequence[int], intervals: int | None = 100,
            env_id: str = "SplitPlace-v0") -> dict[str, list[dict[str, float]]]:
    """Per agent, the metrics of each seed's episode."""
    return {a: [run_episode(a, env_id, seed=s, n_intervals=intervals).metrics() for s in seeds] for a in agents}


def table(results: dict[str, list[dict[str, float]]]) -> str:
    """Markdown table: mean ± std over seeds per metric."""
    lines = ["| agent | " + " | ".join(c[1] for c in COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for a, runs in results.items():
        cells = []
        for key, _, d in COLUMNS:
            v = np.array([r[key] for r in runs], dtype=np.float64) * (1e3 if key == "sched_time_s" else 1.0)
            cells.append(f"{np.nanmean(v):.{d}f} ± {np.nanstd(v):.{d}f}")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    """Command line: run the comparison and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", nargs="*", default=list(TABLE1_AGENTS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--intervals", type=int, default=100)
    ap.add_argument("--env-id", default="SplitPlace-v0")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    out = table(compare(args.agents, range(args.seeds), args.intervals, args.env_id))
    print(out)
    return out


if __name__ == "__main__":
    main()
