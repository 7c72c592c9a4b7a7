"""Which split the baselines choose: Gillis's partitions and MC's compression, per setting.

Run ``python -m benchmarks.baseline_choices``. Gillis picks the coarsest layer
partition whose largest fragment fits the best host (``agents/baselines.py``); MC
compresses when the cluster's free RAM is short or the queue is long. For each id
(default ``SplitPlace-v0`` and ``SplitPlace-AuthorsCode-v0``) and seed it plays
both over full episodes and counts the split of every finished task, then prints
and writes ``baseline_choices.md`` / ``.csv`` into a new run directory
``runs/baseline_choices-<timestamp>/`` (``--out-dir`` to choose the folder,
``--update-committed`` to refresh the committed ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path
from typing import Sequence

import splitplace_env  # noqa: F401  (registers the ids)
from agents.registry import env_kwargs_for
from agents.runner import run_episode
from benchmarks.experiment import MAX_INTERVALS, MAX_SEEDS, check_env_id, output_dir
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg

AGENTS = ("Gillis", "MC")
ENVS = ("SplitPlace-v0", "SplitPlace-AuthorsCode-v0")


def choices(env_id: str, agent: str, seeds: Sequence[int], n_intervals: int) -> Counter:
    """Split mode -> finished tasks of ``agent`` on ``env_id`` over ``seeds``."""
    modes = env_kwargs_for(agent).get("split_modes", ("layer", "semantic"))
    counts: Counter = Counter()
    for seed in seeds:
        result = run_episode(agent, env_id, seed=seed, n_intervals=n_intervals)
        counts.update(modes[int(s)] for s in result.finished["split"])
    return counts


def build_parser(prog: str = "python -m benchmarks.baseline_choices") -> argparse.ArgumentParser:
    """The command's parser."""
    p = CommandParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--envs", nargs="+", default=list(ENVS), help="environment ids (default: both settings)")
    p.add_argument("--seeds", type=int_arg(1, MAX_SEEDS), default=5, help="seeds 0..N-1")
    p.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=100, help="intervals per episode")
    add_output_arguments(p, "benchmarks/results/")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command line: count, print and write the choices; returns the exit code."""
    parser = build_parser(prog or "python -m benchmarks.baseline_choices")
    args = parser.parse_args(argv)
    try:
        for env_id in args.envs:
            check_env_id(env_id, "--envs")
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(output_dir(parser, args, "baseline_choices"))
    rows = []
    for env_id in args.envs:
        for agent in AGENTS:
            counts = choices(env_id, agent, range(args.seeds), args.intervals)
            total = sum(counts.values()) or 1
            for mode, n in sorted(counts.items()):
                rows.append((env_id, agent, mode, n, n / total))
    lines = [f"# Baselines' split choices ({args.seeds} seeds x {args.intervals} intervals; finished tasks)", "",
             "Written by `python -m benchmarks.baseline_choices`.", "",
             "| env | agent | split | tasks | share |", "|---|---|---|---:|---:|"]
    lines += [f"| {e} | {a} | {m} | {n} | {s:.3f} |" for e, a, m, n, s in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    (out / "baseline_choices.md").write_text(text)
    with open(out / "baseline_choices.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["env", "agent", "split", "tasks", "share"])
        w.writerows(rows)
    print(f"wrote {out / 'baseline_choices.md'} and {out / 'baseline_choices.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
