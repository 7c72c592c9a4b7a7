"""``splitplace verify FILE [FILE ...]``: re-simulate result files and check what they report.

Each file (written by ``splitplace record``) is verified from its own contents: its config
is rebuilt and checked against its env id, its actions are replayed (not its agent), and
every metric, return and digest must come out bit for bit (``benchmarks.verified``).
Exit codes: 0 every file verified (``verified: FILE (N episodes, M metrics)``); 1 a value
was not reproduced (the first mismatch is named); 2 a file missing, malformed, foreign, of
another format or package version, or with an action outside the action space.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from benchmarks.verified import ResultFileError, read_result, verify_result
from splitplace_env.cli_args import CommandParser


def build_parser(prog: str = "python -m benchmarks.verify") -> argparse.ArgumentParser:
    """The verify command's parser."""
    parser = CommandParser(prog=prog, description="Re-simulate result files of 'splitplace record' from their "
                                                  "recorded actions and accept each only if every reported "
                                                  "metric is reproduced exactly. Exit 0: all verified; 1: a "
                                                  "mismatch (named); 2: a bad file.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="result files (.json or .json.gz)")
    parser.add_argument("--any-version", action="store_true",
                        help="re-simulate files of another package version too (default: refuse them)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point: verifies each file, stops at the first one that fails."""
    parser = build_parser(prog or "python -m benchmarks.verify")
    args = parser.parse_args(argv)
    for path in args.files:
        try:
            result = verify_result(read_result(path), allow_other_version=args.any_version)
        except ResultFileError as e:
            print(f"{parser.prog}: error: {path}: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        if result.mismatch is not None:
            print(f"mismatch: {path}: {result.mismatch}", file=sys.stderr)
            return 1
        print(f"verified: {path} ({result.n_episodes} episodes, {result.n_values} metrics)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
