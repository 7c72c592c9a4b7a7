"""Command line of the SUMO trace generator.

Writes ``sumo_grid.csv`` into a new run directory ``runs/sumo-trace-<timestamp>/``
(``--out PATH`` to choose the file, ``--update-committed`` to replace the shipped
``splitplace_env/data/traces/sumo_grid.csv``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from splitplace_env.cli_args import CommandParser, add_output_arguments, fail, float_arg, int_arg
from splitplace_env.mobility_sumo.trace import SumoNotFoundError, find_sumo, generate_trace
from splitplace_env.outputs import OutputPathError, resolve_output_file

PROG = "python -m splitplace_env.mobility_sumo"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "traces" / "sumo_grid.csv"


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Generates a trace; returns 0 on success, 2 on bad options or when SUMO is missing."""
    prog = prog or PROG
    parser = CommandParser(prog=prog, description="Writes a vehicle trace CSV (interval,vehicle,x,y) "
                           "from a SUMO simulation of a grid road network.")
    add_output_arguments(parser, "splitplace_env/data/traces/sumo_grid.csv", option="--out", what="CSV to write")
    parser.add_argument("--vehicles", type=int_arg(1), default=8, help="vehicles (mobile hosts) in the trace")
    parser.add_argument("--intervals", type=int_arg(1), default=100, help="samples (scheduling intervals)")
    parser.add_argument("--interval-s", type=float_arg(0.0), default=300.0, help="seconds between samples")
    parser.add_argument("--seed", type=int_arg(0), default=0, help="SUMO's random seed")
    parser.add_argument("--grid-number", type=int_arg(2), default=5, help="junctions per side of the grid")
    parser.add_argument("--grid-length", type=float_arg(0.0), default=200.0, help="street length (m)")
    args = parser.parse_args(argv)
    try:
        find_sumo()  # before a run directory is made for nothing
    except SumoNotFoundError as exc:
        return fail(prog, str(exc))
    try:
        out_path = resolve_output_file("sumo-trace", DEFAULT_OUT.name, args.out,
                                       update_committed=args.update_committed, committed=DEFAULT_OUT)
    except OutputPathError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    flags = [f"--vehicles {args.vehicles}", f"--intervals {args.intervals}", f"--interval-s {args.interval_s:g}",
             f"--seed {args.seed}"]
    if (args.grid_number, args.grid_length) != (5, 200.0):
        flags += [f"--grid-number {args.grid_number}", f"--grid-length {args.grid_length:g}"]
    try:
        out = generate_trace(str(out_path), args.vehicles, args.intervals, args.interval_s, args.seed,
                             args.grid_number, args.grid_length, command=" ".join([PROG, *flags]))
    except SumoNotFoundError as exc:
        return fail(prog, str(exc))
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {out}")
    return 0
