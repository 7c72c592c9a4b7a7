"""Figure 4 of the paper: every Table 1 agent on each one-application workload.

``splitplace bench workloads`` (or ``python -m benchmarks.workloads``) runs the
agents on ``SplitPlace-MNIST-v0``, ``SplitPlace-FashionMNIST-v0`` and
``SplitPlace-CIFAR100-v0`` (``--env SplitPlace-AuthorsCode-v0``: the authors'
setting's workloads) with the same seeds, and writes ``workloads.csv``
(summary), ``workloads_runs.csv`` (episodes), ``workloads.md`` and
``workloads.png`` (grouped bars with 95% CIs) into a new run directory
``runs/workloads-<timestamp>/`` (``--out-dir`` to choose the folder,
``--update-committed`` to refresh the committed ``benchmarks/results/``).
The probability of improvement of SplitPlace is stratified over the three
workloads (Agarwal et al. 2021).
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Sequence

from benchmarks import plots, report
from benchmarks.experiment import (ExperimentResult, RunDefaults, add_experiment_arguments, format_duration,
                                   output_dir, print_files, resolve_run, run_experiment)
from benchmarks.sweep import sweep_options
from benchmarks.jobs import Runner
from benchmarks.paper import WORKLOAD_ENVS, WORKLOAD_FAMILIES
from splitplace_env.cli_args import CommandParser
from splitplace_env.outputs import resolve_output_dir

RUN = RunDefaults("workloads", seeds=5, intervals=100, quick_seeds=2, quick_intervals=30)


def run_workloads(agents: Sequence[str], seeds: Sequence[int], n_intervals: int, *,
                  scenarios: Sequence[str] = tuple(WORKLOAD_ENVS.values()), out_dir: str | None = None,
                  name: str = "workloads", runner: Runner | None = None, workers: int | None = None,
                  use_ray: bool = False, ray_address: str | None = None, progress: bool = False,
                  n_boot: int = 2000, plot: bool = True) -> ExperimentResult:
    """Runs the per-workload sweep and writes its files (library entry point).

    ``out_dir`` defaults to a new run directory (``splitplace_env.outputs``).
    """
    result = run_experiment(agents, seeds, scenarios, n_intervals, runner=runner, workers=workers,
                            use_ray=use_ray, ray_address=ray_address, progress=progress, desc="Figure 4",
                            n_boot=n_boot)
    out_dir = str(out_dir or resolve_output_dir(name))
    files = {"runs": os.path.join(out_dir, f"{name}_runs.csv"), "csv": os.path.join(out_dir, f"{name}.csv"),
             "md": os.path.join(out_dir, f"{name}.md")}
    report.write_rows_csv(result.rows, files["runs"])
    report.write_csv(report.summary_csv_rows(result.summary, None), files["csv"], report.SUMMARY_COLUMNS)
    figure = None
    names = {v: k for family in WORKLOAD_FAMILIES.values() for k, v in family.items()}
    labels = [names.get(s, s) for s in scenarios]
    if plot:
        files["png"] = os.path.join(out_dir, f"{name}.png")
        plots.workloads_figure(result.summary, list(scenarios), result.agents, files["png"], labels)
        figure = os.path.basename(files["png"])
    settings = {"workloads": ", ".join(scenarios), "seeds": f"{len(seeds)} ({min(seeds)}..{max(seeds)})",
                "intervals": n_intervals, "agents": len(result.agents),
                "sweep wall time": format_duration(result.elapsed_s)}
    text = report.workloads_markdown(result.summary, result.poi, list(scenarios), result.agents, settings, figure)
    report.write_text(text, files["md"])
    result.files.update(files)
    return result


def build_parser(prog: str = "python -m benchmarks.workloads") -> argparse.ArgumentParser:
    """The Figure 4 command's parser."""
    parser = CommandParser(
        prog=prog, description="Reproduce the paper's Figure 4: every agent on the MNIST, FashionMNIST and "
                               "CIFAR100 workloads, same seeds for all; grouped bars with 95% CIs.")
    add_experiment_arguments(parser, RUN)
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOAD_ENVS), choices=list(WORKLOAD_ENVS),
                        help="applications to run (default: all three)")
    parser.add_argument("--env", default="SplitPlace-v0", choices=list(WORKLOAD_FAMILIES),
                        help="the setting whose one-application workloads to run")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; prints one table per workload."""
    parser = build_parser(prog or "python -m benchmarks.workloads")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    scenarios = [WORKLOAD_FAMILIES[args.env][w] for w in dict.fromkeys(args.workloads)]
    agents, seeds, intervals, name = resolve_run(parser, args, RUN, scenarios)
    out_dir = output_dir(parser, args, RUN.base_name)
    print(f"Figure 4: {len(agents)} agents x {len(seeds)} seeds x {intervals} intervals x {len(scenarios)} workloads")
    result = run_workloads(agents, seeds, intervals, scenarios=scenarios, out_dir=out_dir, name=name,
                           n_boot=args.n_boot, plot=not args.no_plot, **sweep_options(args))
    for scenario in scenarios:
        print()
        print(report.terminal_summary(result.summary, scenario, result.agents, None))
    print_files(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
