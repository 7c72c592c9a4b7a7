"""Command line of the SUMO trace generator."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from splitplace_env.mobility_sumo.trace import SumoNotFoundError, generate_trace

PROG = "python -m splitplace_env.mobility_sumo"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "traces" / "sumo_grid.csv"


def main(argv: list[str] | None = None) -> int:
    """Generates a trace; returns 0 on success, 2 when SUMO is missing."""
    parser = argparse.ArgumentParser(prog=PROG, description="Writes a vehicle trace CSV (interval,vehicle,x,y) "
                                     "from a SUMO simulation of a grid road network.")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="CSV to write (default: the shipped trace)")
    parser.add_argument("--vehicles", type=int, default=8)
    parser.add_argument("--intervals", type=int, default=100)
    parser.add_argument("--interval-s", type=float, default=300.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid-number", type=int, default=5, help="junctions per side of the grid")
    parser.add_argument("--grid-length", type=float, default=200.0, help="street length (m)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    flags = [f"--vehicles {args.vehicles}", f"--intervals {args.intervals}", f"--interval-s {args.interval_s:g}",
             f"--seed {args.seed}"]
    if (args.grid_number, args.grid_length) != (5, 200.0):
        flags += [f"--grid-number {args.grid_number}", f"--grid-length {args.grid_length:g}"]
    try:
        out = generate_trace(args.out, args.vehicles, args.intervals, args.interval_s, args.seed,
                             args.grid_number, args.grid_length, command=" ".join([PROG, *flags]))
    except SumoNotFoundError as exc:
        print(f"error: {exc}")
        return 2
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {out}")
    return 0
