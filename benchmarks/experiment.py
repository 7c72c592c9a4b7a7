"""Shared plumbing of the sweep commands (Table 1, Figure 4): options, agent list,
run + summarise, file names."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from benchmarks.jobs import RL_PREFIX, Job, Runner, make_jobs
from benchmarks.paper import RESULTS_DIR
from benchmarks.summary import improvement, ordered_agents, summarize
from benchmarks.sweep import add_sweep_arguments, run_sweep

REFERENCE_AGENT = "SplitPlace"


def default_agents() -> list[str]:
    """The Table 1 agents (``agents.registry.TABLE1_AGENTS``)."""
    from agents.registry import TABLE1_AGENTS

    return list(TABLE1_AGENTS)


def agent_list(extra: Sequence[str] | None, only: Sequence[str] | None) -> list[str]:
    """``only`` if given, else the default agents plus ``extra`` (deduplicated, in order)."""
    names = list(only) if only else default_agents() + list(extra or [])
    return list(dict.fromkeys(names))


def check_agents(names: Sequence[str]) -> None:
    """Fails early, in the parent process, on unknown agent names or missing RL models.

    Raises:
        SystemExit: with a message naming the problem.
    """
    import os

    try:
        from agents import registry
    except ImportError as exc:
        raise SystemExit(f"the agents package is not available ({exc}); cannot run real agents") from exc
    known = registry.AGENT_NAMES
    for name in names:
        if name.startswith(RL_PREFIX):
            path = name[len(RL_PREFIX):]
            if not os.path.exists(path) and not os.path.exists(path + ".zip"):
                raise SystemExit(f"RL model not found: {path}")
        elif name not in known:
            raise SystemExit(f"unknown agent {name!r}; known: {', '.join(sorted(known))}")


@dataclass(frozen=True)
class RunDefaults:
    """A command's seed and interval counts, plain and with ``--quick``, and the base
    name of its output files."""

    base_name: str
    seeds: int
    intervals: int
    quick_seeds: int
    quick_intervals: int
    quick_note: str = ""  # appended to the --quick help, e.g. ", every agent"


def resolve_run(args: argparse.Namespace, d: RunDefaults) -> tuple[list[str], list[int], int, str]:
    """Agents, seeds, intervals and output name from the common options.

    ``--quick`` replaces the seed and interval counts the user left at their
    defaults and writes ``<base_name>_quick.*``.
    """
    seeds_n = d.quick_seeds if args.quick and args.seeds == d.seeds else args.seeds
    intervals = d.quick_intervals if args.quick and args.intervals == d.intervals else args.intervals
    name = args.name or (f"{d.base_name}_quick" if args.quick else d.base_name)
    agents = agent_list(args.agents, args.only)
    check_agents(agents)
    return agents, list(range(args.seed_offset, args.seed_offset + seeds_n)), intervals, name


def add_experiment_arguments(parser: argparse.ArgumentParser, d: RunDefaults) -> None:
    """Options common to Table 1 and Figure 4."""
    parser.add_argument("--agents", nargs="+", default=[], metavar="NAME",
                        help="extra agents to run beside the Table 1 agents (registry names or rl:PATH "
                             "for a saved RL model)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="run exactly these agents instead of the Table 1 set")
    parser.add_argument("--seeds", type=int, default=d.seeds, help=f"number of seeds (default: {d.seeds})")
    parser.add_argument("--seed-offset", type=int, default=0, help="first seed (default: 0)")
    parser.add_argument("--intervals", type=int, default=d.intervals,
                        help=f"scheduling intervals per episode (default: {d.intervals})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{d.quick_seeds} seeds x {d.quick_intervals} intervals{d.quick_note}; "
                             f"writes {d.base_name}_quick.*")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="output folder (default: benchmarks/results in the package)")
    parser.add_argument("--name", default=None, help="base name of the output files")
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap replicates (default: 2000)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG figure")
    add_sweep_arguments(parser)


def print_files(result: "ExperimentResult") -> None:
    """The closing lines of a command: the sweep's wall time and the files written."""
    print()
    print(f"sweep wall time: {format_duration(result.elapsed_s)}")
    for path in result.files.values():
        print(f"wrote {path}")


@dataclass
class ExperimentResult:
    """Everything an experiment produced.

    Attributes:
        rows: one per (scenario, agent, seed), sorted by that key.
        summary: per (scenario, agent, metric) statistics.
        poi: probability of improvement of the reference agent.
        agents: the agents in report order.
        elapsed_s: wall time of the sweep.
        files: paths written, by kind.
    """

    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    poi: list[dict[str, Any]]
    agents: list[str]
    elapsed_s: float
    files: dict[str, str] = field(default_factory=dict)


def run_experiment(agents: Sequence[str], seeds: Sequence[int], scenarios: Sequence[str], n_intervals: int, *,
                   runner: Runner | None = None, workers: int | None = None, use_ray: bool = False,
                   ray_address: str | None = None, progress: bool = False, desc: str = "episodes",
                   n_boot: int = 2000, env_kwargs: dict[str, Any] | None = None) -> ExperimentResult:
    """Runs every (scenario, agent, seed) episode and summarises the results."""
    jobs: list[Job] = make_jobs(agents, seeds, scenarios, n_intervals, env_kwargs)
    start = time.perf_counter()
    rows = run_sweep(jobs, runner=runner, workers=workers, use_ray=use_ray, ray_address=ray_address,
                     progress=progress, desc=desc)
    elapsed = time.perf_counter() - start
    order = ordered_agents(rows, agents)
    summary = summarize(rows, agents=order, n_boot=n_boot)
    poi = improvement(rows, REFERENCE_AGENT, agents=order, n_boot=n_boot)
    return ExperimentResult(rows=rows, summary=summary, poi=poi, agents=order, elapsed_s=elapsed)


def format_duration(seconds: float) -> str:
    """``1234.5`` -> ``'20 min 34 s'``."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if minutes else f"{seconds:.1f} s"
