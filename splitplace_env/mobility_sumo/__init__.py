"""SUMO mobility traces for the emulator (optional ``sumo`` extra).

``python -m splitplace_env.mobility_sumo [--out PATH] [--vehicles N] [--intervals T]
[--interval-s S] [--seed K]`` builds a grid road network, drives vehicles on it
with SUMO and writes an ``interval,vehicle,x,y`` trace for
``mobility="sumo:PATH"``. A trace made this way ships as
``package:traces/sumo_grid.csv``, so using it needs no SUMO install. SUMO and
traci are imported only when a trace is generated.
"""

from splitplace_env.mobility_sumo.cli import main
from splitplace_env.mobility_sumo.trace import SumoNotFoundError, find_sumo, generate_trace

__all__ = ["SumoNotFoundError", "find_sumo", "generate_trace", "main"]
