"""The ``splitplace`` console script: one entry point for benchmarks and tools.

Commands (each module is imported only when its command runs; a missing one
gives a clear error instead of a traceback)::

    splitplace bench table1       Table 1 (benchmarks.table1)
    splitplace bench workloads    Figure 4 (benchmarks.workloads)
    splitplace bench speed        speed report (benchmarks.speed)
    splitplace bench env-speed    step cost vs CartPole-v1, scaling (benchmarks.env_speed)
    splitplace bench calibration  calibration report (benchmarks.calibration)
    splitplace bench rl-throughput  vector env and PPO rates (benchmarks.rl_throughput)
    splitplace bench suite        agents on the held-out test scenarios (benchmarks.suite)
    splitplace train ...          RL training (agents.rl.train)
    splitplace train-models ...   split DNN training (splitplace_env.nets.train)
    splitplace profile ...        fragment profiling (splitplace_env.profiling.profiler)
    splitplace profile-costs ...  per-container fixed costs (splitplace_env.profiling.container_costs)
    splitplace sumo-trace ...     SUMO mobility trace (splitplace_env.mobility_sumo)
    splitplace datasets ...       agents' episodes as Minari datasets (benchmarks.datasets)
    splitplace record ...         save a run with every action (benchmarks.record)
    splitplace verify FILE ...    re-simulate saved runs, check every metric (benchmarks.verify)

Arguments after the command go to that module's ``main(argv)``, so
``splitplace bench table1 --help`` shows the Table 1 options. Every command
writes into a new ``runs/<command>-<timestamp>/`` unless given an output path,
and refreshes committed results or shipped data only with
``--update-committed`` (``splitplace_env.outputs``).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Sequence

#: bench subcommand -> (module, one-line description).
BENCH_COMMANDS: dict[str, tuple[str, str]] = {
    "table1": ("benchmarks.table1", "Table 1: every agent on SplitPlace-v0, CIs beside the paper's numbers"),
    "workloads": ("benchmarks.workloads", "Figure 4: every agent on the MNIST/FashionMNIST/CIFAR100 workloads"),
    "speed": ("benchmarks.speed", "env step rate vs CartPole-v1, agent decision times, PPO steps/s"),
    "env-speed": ("benchmarks.env_speed", "per-step cost against CartPole-v1 and scaling with the cluster size"),
    "calibration": ("benchmarks.calibration", "where the default preset stands against the paper's targets"),
    "rl-throughput": ("benchmarks.rl_throughput", "native vector env-steps/s and PPO training rates beside CartPole-v1"),
    "suite": ("benchmarks.suite", "agents on the held-out test scenarios: per scenario and aggregate IQM"),
}

#: top-level command -> (module, one-line description).
TOOL_COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("agents.rl.train", "train a Stable-Baselines3 agent on SplitPlace-v0"),
    "train-models": ("splitplace_env.nets.train", "train the split DNN models"),
    "profile": ("splitplace_env.profiling.profiler", "profile split fragments (compute, memory, data)"),
    "profile-costs": ("splitplace_env.profiling.container_costs",
                      "measure per-container fixed costs (checkpoint load, input decode)"),
    "sumo-trace": ("splitplace_env.mobility_sumo", "make a mobility trace with SUMO"),
    "datasets": ("benchmarks.datasets", "record agents' episodes as Minari datasets"),
    "record": ("benchmarks.record", "play an agent and save a verifiable result file (every action, metrics)"),
    "verify": ("benchmarks.verify", "re-simulate result files and accept them only if every metric matches"),
}


class CommandUnavailable(RuntimeError):
    """The module behind a command is not installed or not written yet."""


def load_main(module_name: str):
    """Imports ``module_name`` and returns its ``main`` function.

    Raises:
        CommandUnavailable: if the module (or its ``main``) does not exist, or an
            optional dependency it needs is missing.
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        if module_name == missing or module_name.startswith(missing + "."):
            raise CommandUnavailable(f"{module_name} is not available in this installation") from exc
        raise CommandUnavailable(f"{module_name} needs the missing package {missing!r} "
                                 f"(pip install it or an extra of splitplace-env)") from exc
    main = getattr(module, "main", None)
    if not callable(main):
        raise CommandUnavailable(f"{module_name} has no main(argv) function")
    return main


def _call(main, argv: list[str], prog: str) -> int:
    """Calls ``main(argv)`` (passing ``prog`` when it accepts one); returns an exit code."""
    try:
        params = inspect.signature(main).parameters
    except (TypeError, ValueError):
        params = {}
    result = main(argv, prog=prog) if "prog" in params else main(argv)
    return int(result or 0)


def _usage(commands: dict[str, tuple[str, str]], prefix: str, title: str) -> str:
    width = max(len(c) for c in commands)
    lines = [f"usage: {prefix} <command> [args...]", "", title, ""]
    lines += [f"  {name.ljust(width)}  {desc}" for name, (_, desc) in commands.items()]
    lines += ["", f"Run '{prefix} <command> --help' for the options of a command."]
    return "\n".join(lines)


def top_usage() -> str:
    """Help text of ``splitplace``."""
    cmds = {"bench": ("", "benchmarks: " + ", ".join(BENCH_COMMANDS)), **TOOL_COMMANDS}
    return _usage(cmds, "splitplace", "SplitPlace-v0 command line.")


def bench_usage() -> str:
    """Help text of ``splitplace bench``."""
    return _usage(BENCH_COMMANDS, "splitplace bench",
                  "Benchmarks (outputs in a new runs/<command>-<timestamp>/ unless --out-dir is given; "
                  "--update-committed refreshes benchmarks/results/).")


def _dispatch(table: dict[str, tuple[str, str]], name: str, argv: list[str], prog: str) -> int:
    module_name = table[name][0]
    try:
        main = load_main(module_name)
    except CommandUnavailable as exc:
        print(f"{prog}: unavailable: {exc}", file=sys.stderr)
        return 2
    return _call(main, argv, prog)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``splitplace`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(top_usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "bench":
        if not rest or rest[0] in ("-h", "--help", "help"):
            print(bench_usage())
            return 0 if rest else 2
        if rest[0] not in BENCH_COMMANDS:
            print(f"splitplace bench: unknown benchmark {rest[0]!r}\n\n{bench_usage()}", file=sys.stderr)
            return 2
        return _dispatch(BENCH_COMMANDS, rest[0], rest[1:], f"splitplace bench {rest[0]}")
    if command in TOOL_COMMANDS:
        return _dispatch(TOOL_COMMANDS, command, rest, f"splitplace {command}")
    print(f"splitplace: unknown command {command!r}\n\n{top_usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
