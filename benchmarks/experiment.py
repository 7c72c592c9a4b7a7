"""Shared plumbing of the sweep commands (Table 1, Figure 4): options, agent list,
run + summarise, file names."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from benchmarks.jobs import RL_PREFIX, Job, Runner, make_jobs
from benchmarks.paper import RESULTS_DIR
from benchmarks.summary import improvement, ordered_agents, summarize
from benchmarks.sweep import MAX_INTERVALS, MAX_SEEDS, add_sweep_arguments, run_sweep
from splitplace_env.cli_args import add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

REFERENCE_AGENT = "SplitPlace"
#: Upper bound of --n-boot (beyond it the bootstrap would not fit in memory or in a day); the seed and
#: interval bounds come from benchmarks.sweep, shared with its command.
MAX_BOOT = 100_000


def default_agents() -> list[str]:
    """The Table 1 agents (``agents.registry.TABLE1_AGENTS``)."""
    from agents.registry import TABLE1_AGENTS

    return list(TABLE1_AGENTS)


def agent_list(extra: Sequence[str] | None, only: Sequence[str] | None) -> list[str]:
    """``only`` (if given, else the default agents) plus ``extra``, deduplicated, in order."""
    names = (list(only) if only else default_agents()) + list(extra or [])
    return list(dict.fromkeys(names))


def check_agents(names: Sequence[str], env_id: str | None = None) -> None:
    """Fails early, in the parent process, on unknown agent names and unusable RL models.

    An ``rl:PATH`` agent must name an existing Stable-Baselines3 zip (or a run
    directory holding ``model.zip``) that loads and fits ``env_id``'s observation.

    Raises:
        ValueError: naming the agent and saying what was expected.
    """
    try:
        from agents import registry
    except ImportError as exc:
        raise ValueError(f"the agents package is not available ({exc}); cannot run real agents") from exc
    known = registry.AGENT_NAMES
    for name in names:
        if name.startswith(RL_PREFIX):
            check_rl_model(name[len(RL_PREFIX):], env_id)
        elif name not in known:
            raise ValueError(f"unknown agent {name!r}; expected one of {', '.join(sorted(known))} or rl:PATH")


def check_rl_model(path: str, env_id: str | None = None) -> None:
    """Raises ``ValueError`` unless ``path`` is a loadable SB3 model (zip or run directory) for ``env_id``."""
    import zipfile

    from agents.rl.policy import resolve_model_path

    try:
        zip_path = resolve_model_path(path)
    except FileNotFoundError:
        raise ValueError(f"rl:{path}: no such model; expected a Stable-Baselines3 .zip "
                         "or a run directory holding model.zip") from None
    if not zipfile.is_zipfile(zip_path):
        raise ValueError(f"rl:{path}: {zip_path} is not a Stable-Baselines3 model (not a zip file)")
    with zipfile.ZipFile(zip_path) as zf:
        missing = {"data", "policy.pth"} - set(zf.namelist())
    if missing:
        raise ValueError(f"rl:{path}: {zip_path} is a zip but not a Stable-Baselines3 model "
                         f"(no {', '.join(sorted(missing))} inside)")
    if env_id is None:
        return
    import gymnasium as gym

    from agents.rl.policy import load_rl_agent

    env = gym.make(env_id)
    try:
        load_rl_agent(path, env)
    except Exception as exc:  # a model that will not load or act here: say so before any job runs
        raise ValueError(f"rl:{path}: the model does not load for {env_id}: {exc}") from exc
    finally:
        env.close()


def check_env_id(env_id: str, option: str = "--env") -> None:
    """Raises ``ValueError`` naming ``option`` unless ``env_id`` is a registered SplitPlace id."""
    import gymnasium as gym

    import splitplace_env  # noqa: F401  (registers the ids)

    if env_id not in gym.registry:
        known = sorted(e for e in gym.registry if e.startswith("SplitPlace"))
        raise ValueError(f"{option}: unregistered environment id {env_id!r}; expected one of {', '.join(known)}")


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


def resolve_run(parser: argparse.ArgumentParser, args: argparse.Namespace, d: RunDefaults,
                env_ids: Sequence[str] = ()) -> tuple[list[str], list[int], int, str]:
    """Agents, seeds, intervals and output name from the common options, all checked.

    ``--quick`` replaces the seed and interval counts the user left at their
    defaults and writes ``<base_name>_quick.*``. Every problem (unknown agent or
    environment, unusable RL model, no Ray for ``--ray``, bad worker count) ends in
    ``parser.error``: one line naming the option, exit code 2.
    """
    seeds_n = d.quick_seeds if args.quick and args.seeds == d.seeds else args.seeds
    intervals = d.quick_intervals if args.quick and args.intervals == d.intervals else args.intervals
    name = args.name or (f"{d.base_name}_quick" if args.quick else d.base_name)
    agents = agent_list(args.agents, args.only)
    try:
        check_sweep_options(args)
        for env_id in env_ids:
            check_env_id(env_id)
        check_agents(agents, env_ids[0] if env_ids else None)
    except ValueError as exc:
        parser.error(str(exc))
    return agents, list(range(args.seed_offset, args.seed_offset + seeds_n)), intervals, name


def check_sweep_options(args: argparse.Namespace) -> None:
    """Raises ``ValueError`` on a bad ``--workers`` or on ``--ray`` without Ray installed."""
    import importlib.util

    if args.workers is not None and args.workers < 1:  # for Namespaces not made by add_sweep_arguments
        raise ValueError(f"--workers: expected an integer >= 1, got {args.workers}")
    if (args.ray or args.ray_address) and importlib.util.find_spec("ray") is None:
        raise ValueError(f"{'--ray-address' if args.ray_address else '--ray'} needs Ray: "
                         "pip install 'splitplace-env[ray]'")


def output_dir(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> str:
    """The folder the command writes (``splitplace_env.outputs`` rules; errors via ``parser.error``)."""
    try:
        return str(resolve_output_dir(command, args.out_dir, update_committed=args.update_committed,
                                      committed=RESULTS_DIR))
    except OutputPathError as exc:
        parser.error(str(exc))


def file_name(text: str) -> str:
    """``--name``: a plain base name for the output files (no folders, no leading dot or dash)."""
    if (not 0 < len(text) <= 100 or text[0] in ".-"
            or any(not (c.isalnum() or c in "-_.") for c in text)):
        raise argparse.ArgumentTypeError(f"expected a file base name of 1-100 letters, digits, '-', '_' or '.' "
                                         f"(not starting with '.' or '-'), got {text!r}")
    return text


def add_experiment_arguments(parser: argparse.ArgumentParser, d: RunDefaults) -> None:
    """Options common to Table 1 and Figure 4."""
    parser.add_argument("--agents", nargs="+", default=[], metavar="NAME",
                        help="extra agents to run beside the Table 1 agents (registry names or rl:PATH "
                             "for a saved RL model)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="run these agents instead of the Table 1 set (--agents adds to them)")
    parser.add_argument("--seeds", type=int_arg(1, MAX_SEEDS), default=d.seeds, help="number of seeds")
    parser.add_argument("--seed-offset", type=int_arg(0), default=0, help="first seed")
    parser.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=d.intervals,
                        help="scheduling intervals per episode")
    parser.add_argument("--quick", action="store_true",
                        help=f"{d.quick_seeds} seeds x {d.quick_intervals} intervals{d.quick_note} unless given; "
                             f"writes {d.base_name}_quick.*")
    add_output_arguments(parser, "benchmarks/results/")
    parser.add_argument("--name", type=file_name, default=None,
                        help=f"base name of the output files (default: {d.base_name}, or {d.base_name}_quick "
                             "with --quick)")
    parser.add_argument("--n-boot", type=int_arg(1, MAX_BOOT), default=2000, help="bootstrap replicates")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG figure")
    add_sweep_arguments(parser)


def print_files(result: "ExperimentResult") -> None:
    """The closing lines of a command: the sweep's wall time and the files written."""
    print()
    print(f"sweep wall time: {format_duration(result.elapsed_s)}")
    for path in result.files.values():
        print(f"wrote {path}")
    folders = sorted({os.path.dirname(p) for p in result.files.values()})
    print(f"outputs in {', '.join(folders)}")


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
