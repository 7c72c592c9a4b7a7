"""The scenario suite benchmark: agents on the held-out test scenarios.

``splitplace bench suite`` (or ``python -m benchmarks.suite``) runs every agent
(default: the Table 1 agents and the committed RL model) on every test scenario
of ``splitplace_env.scenarios`` for N seeds of ``scenarios.TEST_SEEDS``, the same
seeds for every agent (common random numbers), and writes into a new
``runs/suite-<timestamp>/`` (``--out-dir`` to choose; ``--update-committed`` for
``benchmarks/results/``):

* ``suite_runs.csv``: one row per (scenario, agent, seed) episode;
* ``suite.csv``: per scenario (mean and IQM with 95% bootstrap CIs) and in
  aggregate over all (scenario, seed) runs (``scenario = "all"``: IQM and mean
  with stratified-bootstrap 95% CIs, strata = scenarios) of the reward %,
  response time, SLA violation rate and energy;
* ``suite.md``: the scenarios, the aggregate and per-scenario tables, the
  probability that SplitPlace improves on each agent, the command that ran;
* ``suite.png``: per-scenario reward with CIs and the aggregate IQM panels.

Statistics follow Agarwal et al. (2021), "Deep Reinforcement Learning at the
Edge of the Statistical Precipice" (``benchmarks.stats``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shlex
import sys
import time
from typing import Any, Mapping, Sequence

import numpy as np

from benchmarks import report, stats
from benchmarks.experiment import MAX_BOOT, check_agents, check_sweep_options, format_duration, output_dir
from benchmarks.jobs import Job, Runner, episode_runner
from benchmarks.paper import metric
from benchmarks.summary import improvement, ordered_agents, score_matrix, summarize
from benchmarks.sweep import add_sweep_arguments, run_sweep, sweep_options
from splitplace_env import scenarios
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import resolve_output_dir

#: The committed RL model (``splitplace train maskable_ppo`` on SplitPlace-v0: its
#: ``rl_maskable_ppo_train.json`` beside it).
RL_AGENT = "rl:benchmarks/results/rl_maskable_ppo.zip"
#: The agent the probability of improvement is measured from.
REFERENCE_AGENT = "SplitPlace"
#: The metrics the suite reports (``benchmarks.paper.METRICS`` keys); the first is the score.
SUITE_METRICS: tuple[str, ...] = ("reward", "response_time", "sla_violation", "energy")
#: Every scenario's episode length (SplitPlace-v0: 100 intervals).
MAX_INTERVALS = 100
#: The aggregate rows' scenario name.
ALL = "all"


def default_agents() -> list[str]:
    """The Table 1 agents and the committed RL model."""
    from agents.registry import TABLE1_AGENTS

    return [*TABLE1_AGENTS, RL_AGENT]


def make_suite_jobs(agents: Sequence[str], scenario_names: Sequence[str], n_seeds: int,
                    n_intervals: int) -> list[Job]:
    """One job per (scenario, agent, seed): the first ``n_seeds`` seeds of each scenario.

    A job's ``scenario`` is the scenario name and its ``env_kwargs`` the
    scenario's overrides; ``suite_runner`` plays it on SplitPlace-v0.
    """
    jobs = []
    for name in scenario_names:
        sc = scenarios.get(name)
        kw = tuple(sorted(sc.env_kwargs().items()))
        jobs += [Job(agent=a, seed=int(seed), scenario=name, n_intervals=int(n_intervals), env_kwargs=kw)
                 for a in agents for seed in sc.seeds[:n_seeds]]
    return sorted(jobs, key=lambda j: j.key)


def suite_runner(job: Job) -> dict[str, float]:
    """Plays a suite job (scenario name -> SplitPlace-v0 with its overrides) with ``episode_runner``."""
    return episode_runner(dataclasses.replace(job, scenario=scenarios.BASE_ENV_ID))


def aggregate(rows: Sequence[Mapping[str, Any]], agents: Sequence[str], scenario_names: Sequence[str], *,
              metrics: Sequence[str] = SUITE_METRICS, n_boot: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """IQM and mean over all (scenario, seed) runs, with stratified-bootstrap 95% CIs.

    The runs of each agent form a ``(seeds, scenarios)`` matrix; the bootstrap
    resamples seeds within each scenario column (Agarwal et al. 2021). Seeds with
    a NaN score in any scenario are left out of that metric.

    Returns:
        Rows: scenario ("all"), agent, metric, n, mean, ci_low, ci_high, iqm, iqm_low, iqm_high.
    """
    out = []
    for agent in agents:
        for key in metrics:
            x = score_matrix(list(rows), agent, key, list(scenario_names))
            x = x[np.all(np.isfinite(x), axis=1)]
            lo, hi = stats.stratified_bootstrap_ci(x, stats.mean, n_boot=n_boot, seed=seed)
            ilo, ihi = stats.stratified_bootstrap_ci(x, stats.iqm, n_boot=n_boot, seed=seed)
            out.append({"scenario": ALL, "agent": agent, "metric": key, "n": int(x.size), "mean": stats.mean(x),
                        "ci_low": lo, "ci_high": hi, "iqm": stats.iqm(x), "iqm_low": ilo, "iqm_high": ihi})
    return out


@dataclasses.dataclass
class SuiteResult:
    """What a suite run produced: episode rows, statistics and the files written."""

    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    aggregate: list[dict[str, Any]]
    poi: list[dict[str, Any]]
    agents: list[str]
    scenarios: list[str]
    elapsed_s: float
    files: dict[str, str] = dataclasses.field(default_factory=dict)


def run_suite(agents: Sequence[str], scenario_names: Sequence[str], n_seeds: int, n_intervals: int, *,
              out_dir: str | None = None, runner: Runner | None = None, n_boot: int = 2000,
              command: str = "", workers: int | None = None, use_ray: bool = False,
              ray_address: str | None = None, progress: bool = False) -> SuiteResult:
    """Runs the suite and writes its files (library entry point; tests pass a runner).

    Args:
        agents: registry names or ``rl:PATH``.
        scenario_names: test scenario names (``scenarios.TEST``).
        n_seeds: seeds per scenario (the first of ``scenarios.TEST_SEEDS``).
        n_intervals: intervals per episode (at most 100).
        out_dir: output folder (default: a new ``runs/suite-<timestamp>/``).
        runner: ``Job -> metrics``; default ``suite_runner`` (real episodes).
        n_boot: bootstrap replicates.
        command: the command line, written into ``suite.md``.
        workers, use_ray, ray_address, progress: ``benchmarks.sweep.run_sweep`` options.
    """
    jobs = make_suite_jobs(agents, scenario_names, n_seeds, n_intervals)
    start = time.perf_counter()
    rows = run_sweep(jobs, runner=runner or suite_runner, workers=workers, use_ray=use_ray,
                     ray_address=ray_address, progress=progress, desc="suite")
    elapsed = time.perf_counter() - start
    order = ordered_agents(rows, agents)
    names = [n for n in scenario_names if any(r["scenario"] == n for r in rows)]
    summary = summarize(rows, metrics=SUITE_METRICS, agents=order, n_boot=n_boot)
    agg = aggregate(rows, order, names, n_boot=n_boot)
    poi = improvement(rows, REFERENCE_AGENT, metrics=SUITE_METRICS, agents=order, n_boot=n_boot)
    result = SuiteResult(rows, summary, agg, poi, order, names, elapsed)
    folder = str(out_dir or resolve_output_dir("suite"))
    settings = {"scenarios": f"{len(names)} test scenarios", "seeds per scenario":
                f"{n_seeds} ({scenarios.TEST_SEEDS[0]}..{scenarios.TEST_SEEDS[n_seeds - 1]})",
                "intervals": n_intervals, "agents": len(order), "episodes": len(rows),
                "bootstrap replicates": n_boot, "sweep wall time": format_duration(elapsed),
                "wall time per episode (mean, in a worker)": f"{np.mean([r['wall_s'] for r in rows]):.2f} s"}
    write_outputs(result, folder, settings, command)
    return result


SUITE_COLUMNS = ("scenario", "agent", "metric", "unit", "n", "mean", "ci_low", "ci_high", "iqm", "iqm_low",
                 "iqm_high")


def write_outputs(result: SuiteResult, out_dir: str, settings: Mapping[str, Any], command: str) -> dict[str, str]:
    """Writes ``suite_runs.csv``, ``suite.csv``, ``suite.md`` and ``suite.png``; returns the paths."""
    files = {"runs": os.path.join(out_dir, "suite_runs.csv"), "csv": os.path.join(out_dir, "suite.csv"),
             "md": os.path.join(out_dir, "suite.md"), "png": os.path.join(out_dir, "suite.png")}
    report.write_rows_csv(result.rows, files["runs"])
    table = [{**r, "unit": metric(r["metric"]).unit} for r in result.summary + result.aggregate]
    report.write_csv(table, files["csv"], SUITE_COLUMNS)
    suite_figure(result.summary, result.aggregate, result.scenarios, result.agents, files["png"])
    report.write_text(suite_markdown(result, settings, command, os.path.basename(files["png"])), files["md"])
    result.files.update(files)
    return files


def suite_figure(summary: Sequence[Mapping[str, Any]], agg: Sequence[Mapping[str, Any]],
                 scenario_names: Sequence[str], agents: Sequence[str], path: str) -> str:
    """Top: reward % per scenario (mean, 95% CI), one bar per agent, and the aggregate IQM
    of the reward; bottom: the aggregate IQM of the other metrics; the legend in its own panel."""
    from benchmarks.plots import _errors, _pyplot

    plt = _pyplot()
    per = {(r["scenario"], r["agent"], r["metric"]): r for r in summary}
    tot = {(r["agent"], r["metric"]): r for r in agg}
    colors = plt.get_cmap("tab10")
    fig = plt.figure(figsize=(17, 9))
    grid = fig.add_gridspec(2, 4, height_ratios=(1.15, 1.0))
    ax = fig.add_subplot(grid[0, :3])
    groups = np.arange(len(scenario_names))
    width = 0.84 / max(1, len(agents))
    key = SUITE_METRICS[0]

    def values(get, field_names):
        return [np.array([float(get(a)[f]) if get(a) is not None else np.nan for a in agents])
                for f in field_names]

    for i, agent in enumerate(agents):
        rows = [per.get((s, agent, key)) for s in scenario_names]
        means, lows, highs = (np.array([float(r[f]) if r is not None else np.nan for r in rows])
                              for f in ("mean", "ci_low", "ci_high"))
        ax.bar(groups - 0.42 + width * (i + 0.5), np.nan_to_num(means), width=width,
               yerr=_errors(means, lows, highs), capsize=2, color=colors(i % 10), label=report.display_name(agent))
    finite = [float(r["ci_low"]) for r in summary if r["metric"] == key and np.isfinite(r["ci_low"])]
    if finite:  # the differences sit near the top of a 0-100 scale: start the axis below the lowest CI
        ax.set_ylim(max(0.0, min(finite) - 5.0), None)
    ax.set_xticks(groups)
    ax.set_xticklabels(scenario_names, fontsize=9)
    ax.set_title(f"{_label(key)} per test scenario (mean over seeds, 95% bootstrap CI)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    panels = [(fig.add_subplot(grid[0, 3]), key)] + [(fig.add_subplot(grid[1, j]), k)
                                                     for j, k in enumerate(SUITE_METRICS[1:])]
    y = np.arange(len(agents))[::-1]
    for pax, k in panels:
        iqms, lows, highs = values(lambda a: tot.get((a, k)), ("iqm", "iqm_low", "iqm_high"))
        for i in range(len(agents)):
            pax.errorbar(iqms[i], y[i], xerr=_errors(iqms[i:i + 1], lows[i:i + 1], highs[i:i + 1]),
                         fmt="o", color=colors(i % 10), capsize=3)
        pax.set_yticks(y)
        pax.set_yticklabels([report.display_name(a) for a in agents], fontsize=8)
        pax.set_title(f"aggregate IQM: {_label(k)}", fontsize=10)
        pax.grid(axis="x", alpha=0.3)
    legend_ax = fig.add_subplot(grid[1, 3])
    legend_ax.axis("off")
    handles, names = ax.get_legend_handles_labels()
    legend_ax.legend(handles, names, loc="center", fontsize=9, title="agent")
    fig.suptitle("Scenario suite (held-out test scenarios); aggregate = IQM over all (scenario, seed) runs, "
                 "stratified-bootstrap 95% CI", fontsize=11)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cell(row: Mapping[str, Any] | None, value: str) -> str:
    if row is None:
        return "-"
    lo, hi = ("ci_low", "ci_high") if value == "mean" else ("iqm_low", "iqm_high")
    return f"{report.fmt(row[value])} [{report.fmt(row[lo])}, {report.fmt(row[hi])}]"


def _label(key: str) -> str:
    spec = metric(key)
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def suite_markdown(result: SuiteResult, settings: Mapping[str, Any], command: str, figure: str | None) -> str:
    """The Markdown report of a suite run."""
    agg = {(r["agent"], r["metric"]): r for r in result.aggregate}
    per = {(r["scenario"], r["agent"], r["metric"]): r for r in result.summary}
    lines = ["# Scenario suite: agents on the held-out test scenarios", ""]
    if command:
        lines += ["Produced by:", "", "```", command, "```", ""]
    lines += ["| setting | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in settings.items()] + [""]
    lines += ["## Test scenarios", "",
              "SplitPlace-v0 (16 hosts, 64 task slots, layer/semantic splits, 300 s intervals) with these "
              f"overrides (`splitplace_env/scenarios.py`); seeds from {scenarios.TEST_SEEDS[0]} on, disjoint "
              f"from the training scenarios' {scenarios.TRAIN_SEEDS[0]}..{scenarios.TRAIN_SEEDS[-1]}. "
              "Rates, mixes and fault traces are stress conditions chosen by the suite, not measured figures.", "",
              "| scenario | description | overrides | held-out conditions (in no training scenario) |",
              "|---|---|---|---|"]
    for name in result.scenarios:
        sc = scenarios.get(name)
        over = ", ".join(f"`{k}={v!r}`" for k, v in sc.overrides.items()) or "none"
        held = ", ".join(sorted(k for k, _ in scenarios.held_out_conditions(sc))) or "none (held-out seeds)"
        lines.append(f"| {name} | {sc.description} | {over} | {held} |")
    lines += ["", "Training scenarios (seeds 0..999, for training; not run here): "
              + "; ".join(f"{s.name}: {s.description}" for s in scenarios.TRAIN) + ".", ""]
    lines += ["## Aggregate over all (scenario, seed) runs", "",
              "Interquartile mean (IQM) and mean of the per-run values with stratified-bootstrap 95% CIs "
              "(seeds resampled within each scenario; Agarwal et al. 2021). The score is the reward % "
              "(the paper's Table 1 \"Avg. Reward\": 100 x mean over finished tasks of "
              "(1[SLA met] + accuracy) / 2).", ""]
    header = ["agent"] + [f"IQM {_label(k)}" for k in SUITE_METRICS] + [f"mean {_label(SUITE_METRICS[0])}"]
    body = [[report.display_name(a)] + [_cell(agg.get((a, k)), "iqm") for k in SUITE_METRICS]
            + [_cell(agg.get((a, SUITE_METRICS[0])), "mean")] for a in result.agents]
    lines += [report.markdown_table(header, body), ""]
    for key in SUITE_METRICS:
        lines += [f"## Per scenario: {_label(key)}", "", "Mean over seeds [95% bootstrap CI].", ""]
        body = [[report.display_name(a)] + [_cell(per.get((s, a, key)), "mean") for s in result.scenarios]
                for a in result.agents]
        lines += [report.markdown_table(["agent", *result.scenarios], body), ""]
    poi = [r for r in result.poi if r["metric"] in SUITE_METRICS]
    if poi:
        lines += [f"## Probability that {REFERENCE_AGENT} improves on each agent", "",
                  "P(a random run of SplitPlace beats one of the other agent on the same scenario), averaged over "
                  "scenarios, with a stratified-bootstrap 95% CI; \"beats\" follows each metric's direction (higher reward, "
                  "lower response time, SLA violation rate and energy).", ""]
        idx = {(r["agent"], r["metric"]): r for r in poi}
        body = [[report.display_name(a)] + [
            "-" if (a, k) not in idx else
            f"{idx[(a, k)]['poi']:.2f} [{idx[(a, k)]['poi_low']:.2f}, {idx[(a, k)]['poi_high']:.2f}]"
            for k in SUITE_METRICS] for a in result.agents if a != REFERENCE_AGENT]
        lines += [report.markdown_table(["agent", *(_label(k) for k in SUITE_METRICS)], body), ""]
    if RL_AGENT in result.agents:
        lines += [f"`{report.display_name(RL_AGENT)}` is `{RL_AGENT[3:]}`: MaskablePPO trained on SplitPlace-v0 "
                  "only (seed 100; `rl_maskable_ppo_train.json`), so every test condition but the paper's is new "
                  "to it.", ""]
    if figure:
        lines += [f"![suite]({figure})", ""]
    lines += [report.units_note(), ""]
    return "\n".join(lines)


def build_parser(prog: str = "python -m benchmarks.suite") -> argparse.ArgumentParser:
    """The suite command's parser."""
    test_names = [s.name for s in scenarios.TEST]
    parser = CommandParser(
        prog=prog, description="Run agents on the held-out test scenarios of splitplace_env.scenarios (same "
                               "seeds for every agent) and report per-scenario means and the aggregate IQM "
                               "with stratified-bootstrap 95% CIs.")
    parser.add_argument("--agents", nargs="+", default=None, metavar="NAME",
                        help="agents (registry names or rl:PATH); default: the Table 1 agents and "
                             f"{RL_AGENT}")
    parser.add_argument("--scenarios", nargs="+", default=None, metavar="NAME", choices=test_names,
                        help=f"test scenarios to run (default: all: {', '.join(test_names)})")
    parser.add_argument("--seeds", type=int_arg(1, len(scenarios.TEST_SEEDS)), default=10,
                        help=f"seeds per scenario, the first of {scenarios.TEST_SEEDS[0]}..")
    parser.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=MAX_INTERVALS,
                        help="scheduling intervals per episode")
    parser.add_argument("--n-boot", type=int_arg(1, MAX_BOOT), default=2000, help="bootstrap replicates")
    add_output_arguments(parser, "benchmarks/results/")
    add_sweep_arguments(parser)
    parser._option_string_actions["--workers"].type = int_arg(1)  # as benchmarks.experiment does
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; prints the aggregate table and the files written."""
    prog = prog or "python -m benchmarks.suite"
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    agents = list(dict.fromkeys(args.agents or default_agents()))
    names = list(dict.fromkeys(args.scenarios or [s.name for s in scenarios.TEST]))
    try:
        check_sweep_options(args)
        check_agents(agents, scenarios.BASE_ENV_ID)  # every scenario has SplitPlace-v0's spaces
    except ValueError as exc:
        parser.error(str(exc))
    out = output_dir(parser, args, "suite")
    print(f"suite: {len(agents)} agents x {len(names)} scenarios x {args.seeds} seeds x {args.intervals} intervals")
    result = run_suite(agents, names, args.seeds, args.intervals, out_dir=out, n_boot=args.n_boot,
                       command=" ".join([prog, *map(shlex.quote, argv)]), **sweep_options(args))
    body = [[report.display_name(r["agent"]), _cell(r, "iqm"), _cell(r, "mean")]
            for r in result.aggregate if r["metric"] == SUITE_METRICS[0]]
    print()
    print(report.text_table(["agent", "IQM reward % [95% CI]", "mean reward % [95% CI]"], body))
    print()
    print(f"sweep wall time: {format_duration(result.elapsed_s)}")
    for path in result.files.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
