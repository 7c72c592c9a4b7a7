"""Table 1 of the paper: every agent on SplitPlace-v0 under common random numbers.

``python -m benchmarks.table1`` (or ``splitplace bench table1``) runs the
Table 1 agents (MC, Gillis, S+G, L+G, R+D, M+G, SplitPlace, plus ``--agents``)
for N seeds x 100 intervals, the same seeds for every agent, and writes into a
new run directory ``runs/table1-<timestamp>/`` (``--out-dir`` to choose the
folder; ``--update-committed`` to refresh the committed ``benchmarks/results/``):

* ``table1.csv``: per agent and metric, mean and IQM with 95% bootstrap CIs and
  the paper's number;
* ``table1_runs.csv``: one row per episode;
* ``table1.md``: the tables (ours beside the paper's), IQM and probability of
  improvement of SplitPlace;
* ``table1.png``: one panel per metric.

``--quick`` runs fewer seeds and intervals (``make run``) and writes
``table1_quick.*``.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any, Sequence

from benchmarks import plots, report
from benchmarks.experiment import (ExperimentResult, RunDefaults, add_experiment_arguments, format_duration,
                                   output_dir, print_files, resolve_run, run_experiment)
from benchmarks.sweep import sweep_options
from benchmarks.jobs import Runner
from benchmarks.paper import PAPER_TABLE1
from splitplace_env.cli_args import CommandParser
from splitplace_env.outputs import resolve_output_dir

RUN = RunDefaults("table1", seeds=5, intervals=100, quick_seeds=2, quick_intervals=50, quick_note=", every agent")


def write_outputs(result: ExperimentResult, scenario: str, out_dir: str, name: str,
                  settings: dict[str, Any], plot: bool = True) -> dict[str, str]:
    """Writes the CSVs, Markdown and PNG of a Table 1 run; returns the paths."""
    files = {"runs": os.path.join(out_dir, f"{name}_runs.csv"), "csv": os.path.join(out_dir, f"{name}.csv"),
             "md": os.path.join(out_dir, f"{name}.md")}
    report.write_rows_csv(result.rows, files["runs"])
    report.write_csv(report.summary_csv_rows(result.summary, PAPER_TABLE1), files["csv"], report.SUMMARY_COLUMNS)
    figure = None
    if plot:
        files["png"] = os.path.join(out_dir, f"{name}.png")
        plots.table1_figure(result.summary, scenario, result.agents, PAPER_TABLE1, files["png"])
        figure = os.path.basename(files["png"])
    text = report.table1_markdown(result.summary, result.poi, scenario, result.agents, settings, figure)
    report.write_text(text, files["md"])
    result.files.update(files)
    return files


def run_table1(agents: Sequence[str], seeds: Sequence[int], n_intervals: int, *, scenario: str = "SplitPlace-v0",
               out_dir: str | None = None, name: str = "table1", runner: Runner | None = None,
               workers: int | None = None, use_ray: bool = False, ray_address: str | None = None,
               progress: bool = False, n_boot: int = 2000, plot: bool = True) -> ExperimentResult:
    """Runs Table 1 and writes its files (library entry point; tests pass a runner).

    ``out_dir`` defaults to a new run directory (``splitplace_env.outputs``).
    """
    result = run_experiment(agents, seeds, [scenario], n_intervals, runner=runner, workers=workers,
                            use_ray=use_ray, ray_address=ray_address, progress=progress, desc="Table 1",
                            n_boot=n_boot)
    settings = {"environment": scenario, "seeds": f"{len(seeds)} ({min(seeds)}..{max(seeds)})",
                "intervals": n_intervals, "agents": len(result.agents),
                "backend": "ray" if (use_ray or ray_address) else f"processes (workers={workers or 'auto'})",
                "sweep wall time": format_duration(result.elapsed_s)}
    write_outputs(result, scenario, str(out_dir or resolve_output_dir(name)), name, settings, plot)
    return result


def build_parser(prog: str = "python -m benchmarks.table1") -> argparse.ArgumentParser:
    """The Table 1 command's parser."""
    parser = CommandParser(
        prog=prog, description="Reproduce the paper's Table 1: every agent on SplitPlace-v0, same seeds for all, "
                               "mean and 95% bootstrap CI of the eight metrics beside the published values.")
    add_experiment_arguments(parser, RUN)
    parser.add_argument("--env", default="SplitPlace-v0", help="environment id (a registered SplitPlace id)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; prints the table and the files written."""
    parser = build_parser(prog or "python -m benchmarks.table1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    agents, seeds, intervals, name = resolve_run(parser, args, RUN, [args.env])
    out_dir = output_dir(parser, args, RUN.base_name)
    print(f"Table 1: {len(agents)} agents x {len(seeds)} seeds x {intervals} intervals on {args.env}")
    result = run_table1(agents, seeds, intervals, scenario=args.env, out_dir=out_dir, name=name,
                        n_boot=args.n_boot, plot=not args.no_plot, **sweep_options(args))
    print()
    print(report.terminal_summary(result.summary, args.env, result.agents, PAPER_TABLE1))
    print_files(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
