"""Scheduling time of every agent: median and 95th-percentile ``act`` time per interval.

``python -m benchmarks.agent_speed`` plays a short stretch of SplitPlace-v0 at
16 hosts (the paper), 64 hosts (Poisson 24, 256 task slots) and 256 hosts
(Poisson 96, 1024 slots) with each agent and times every ``act`` call
(``time.perf_counter``, as ``agents.runner`` does). Writes ``agent_speed.csv``
and ``.md`` into a new run directory ``runs/agent_speed-<timestamp>/``
(``--out-dir`` to choose the folder, ``--update-committed`` to refresh the
committed ``benchmarks/results/``). ``measure()`` returns the rows for
composition into ``splitplace bench speed``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import numpy as np

from agents.registry import TABLE1_AGENTS, env_kwargs_for
from agents.runner import run_episode
from benchmarks.experiment import check_agents, output_dir
from benchmarks.jobs import limit_threads
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import resolve_output_dir

#: Cluster sizes: hosts -> environment kwargs.
SIZES = {
    16: {},
    64: {"n_hosts": 64, "arrival_rate": 24.0, "max_tasks": 256},
    256: {"n_hosts": 256, "arrival_rate": 96.0, "max_tasks": 1024},
}
DEFAULT_AGENTS = TABLE1_AGENTS + ("random", "first-fit", "least-loaded")
#: Intervals timed per size (the first intervals are lighter: the cluster fills up).
DEFAULT_INTERVALS = {16: 40, 64: 20, 256: 10}
TARGETS_MS = {("SplitPlace", 16): 20.0, ("SplitPlace", 256): 200.0}


def measure(agents: Sequence[str] = DEFAULT_AGENTS, sizes: Sequence[int] = (16, 64, 256),
            intervals: dict[int, int] | None = None, seed: int = 0) -> list[dict]:
    """Times each agent at each size; one row per (agent, hosts).

    Returns:
        rows with agent, hosts, intervals, median_ms, p95_ms, mean_ms, max_ms and
        target_ms (the issue's target where there is one, else NaN).
    """
    limit_threads()        # the figures are single-threaded, whoever calls (main, bench speed)
    _single_thread_blas()
    intervals = {**DEFAULT_INTERVALS, **(intervals or {})}
    rows = []
    for n in sizes:
        for name in agents:
            res = run_episode(name, seed=seed, n_intervals=intervals[n],
                              env_kwargs={**SIZES[n], **env_kwargs_for(name)})
            ms = res.act_times * 1e3
            rows.append({"agent": name, "hosts": n, "intervals": len(ms),
                         "median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
                         "mean_ms": float(ms.mean()), "max_ms": float(ms.max()),
                         "target_ms": TARGETS_MS.get((name, n), float("nan"))})
    return rows


def write(rows: list[dict], out_dir: Path | None = None) -> tuple[Path, Path]:
    """Writes the rows as CSV and as a Markdown table (agents x sizes) into ``out_dir``
    (default: a new run directory)."""
    out_dir = Path(out_dir) if out_dir is not None else resolve_output_dir("agent_speed")
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "agent_speed.csv", out_dir / "agent_speed.md"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    sizes = sorted({r["hosts"] for r in rows})
    agents = list(dict.fromkeys(r["agent"] for r in rows))
    cell = {(r["agent"], r["hosts"]): r for r in rows}
    lines = ["# Agent scheduling time per interval (ms): median / p95", "",
             "| agent | " + " | ".join(f"{n} hosts" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for a in agents:
        vals = [f"{cell[a, n]['median_ms']:.1f} / {cell[a, n]['p95_ms']:.1f}" if (a, n) in cell else "-"
                for n in sizes]
        lines.append(f"| {a} | " + " | ".join(vals) + " |")
    lines += ["", "Targets: SplitPlace median < 20 ms at 16 hosts, < 200 ms at 256 hosts. "
              "Times include torch.set_num_threads(1); the machine may be shared, so compare "
              "agents within one run."]
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def _single_thread_blas() -> None:
    """One BLAS thread: the agents' small matrix products lose to thread contention
    on a shared machine (measured 13x slower with 2 OpenBLAS threads under load)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command line: measure and write the results; returns the exit code."""
    ap = CommandParser(prog=prog or "python -m benchmarks.agent_speed", description=__doc__.splitlines()[0])
    ap.add_argument("--agents", nargs="+", default=list(DEFAULT_AGENTS), help="agents to time")
    ap.add_argument("--sizes", nargs="+", type=int_arg(), choices=sorted(SIZES), default=sorted(SIZES),
                    help="cluster sizes (hosts)")
    ap.add_argument("--intervals", type=int_arg(1), default=None,
                    help=f"intervals timed at every size (default: {DEFAULT_INTERVALS})")
    ap.add_argument("--seed", type=int_arg(0), default=0, help="episode seed")
    add_output_arguments(ap, "benchmarks/results/")
    args = ap.parse_args(argv)
    try:
        check_agents(args.agents)
    except ValueError as exc:
        ap.error(f"--agents: {exc}")
    out_dir = Path(output_dir(ap, args, "agent_speed"))
    iv = {n: args.intervals for n in args.sizes} if args.intervals else None
    rows = measure(args.agents, list(dict.fromkeys(args.sizes)), iv, args.seed)
    csv_path, md_path = write(rows, out_dir)
    print(md_path.read_text())
    print(f"wrote {csv_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
