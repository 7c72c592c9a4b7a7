"""``splitplace record``: play an agent and save a verifiable result file.

``splitplace record --agent SplitPlace --env SplitPlace-v0 --seeds 0 1 2 3 4`` plays one
episode per seed (the env and the agent seeded alike, the agent in test mode with its
shipped weights) and writes every action with the metrics it reports
(``benchmarks.verified``). The file goes into a new ``runs/record-<timestamp>/`` unless
``--out`` names it (``.json.gz`` compresses it); ``--update-committed`` writes
``benchmarks/results/verified/<env id>_<agent>.json``. Check it with ``splitplace verify``.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import splitplace_env
from agents.registry import AGENT_NAMES
from benchmarks.verified import COMMITTED_DIR, default_filename, record_result, write_result
from splitplace_env.cli_args import CommandParser, add_output_arguments, fail, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_file


def build_parser(prog: str = "python -m benchmarks.record") -> argparse.ArgumentParser:
    """The record command's parser."""
    parser = CommandParser(prog=prog, description="Play an agent for some seeds and save a result file holding "
                                                  "the env id and config, the seeds, the package version, every "
                                                  "action and the metrics it reports (check it with "
                                                  "'splitplace verify FILE').")
    parser.add_argument("--agent", required=True, choices=AGENT_NAMES, metavar="NAME",
                        help=f"agent (agents.registry): one of {', '.join(AGENT_NAMES)}")
    parser.add_argument("--env", default="SplitPlace-v0", choices=sorted(splitplace_env.ENV_IDS), metavar="ID",
                        help="environment id (a registered SplitPlace interval view)")
    parser.add_argument("--seeds", type=int_arg(0), nargs="+", default=[0, 1, 2, 3, 4], metavar="SEED",
                        help="episode seeds (env.reset and the agent)")
    parser.add_argument("--intervals", type=int_arg(1), default=None, metavar="N",
                        help="stop each episode after N intervals (default: the whole episode)")
    add_output_arguments(parser, "benchmarks/results/verified/<env id>_<agent>.json",
                         option="--out", what="result file (.json, or .json.gz to compress)",
                         default="a new runs/record-<timestamp>/<env id>_<agent>.json")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; prints where the result file went."""
    parser = build_parser(prog or "python -m benchmarks.record")
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"argument --seeds: expected distinct seeds, got {args.seeds}")
    name = default_filename(args.agent, args.env)
    try:
        path = resolve_output_file("record", name, args.out, update_committed=args.update_committed,
                                   committed=COMMITTED_DIR / name)
    except OutputPathError as e:
        return fail(parser.prog, str(e))
    doc = record_result(args.agent, args.env, args.seeds, args.intervals)
    write_result(doc, path)
    steps = sum(e["n_steps"] for e in doc["episodes"])
    print(f"recorded: {args.agent} on {args.env}, {len(args.seeds)} episodes, {steps} steps -> {path} "
          f"({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
