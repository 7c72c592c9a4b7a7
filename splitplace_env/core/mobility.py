"""Mobility models: where each host is at the start of every interval.

All models place hosts in a square area of ``AREA_M`` metres with four access
points (``ACCESS_POINTS``); only mobile hosts move. ``mobility_mode`` maps the
config's ``mobility`` onto a mode:

* ``RANDOM_WAYPOINT`` ("random_waypoint"): each mobile host walks at its own
  speed towards a random waypoint and picks a new one on arrival (no pause).
* ``STATIC`` ("static"): hosts stay where they start.
* ``TRACE`` ("sumo:PATH"): positions replayed from a trace CSV
  (``interval,vehicle,x,y``), e.g. one written by ``splitplace sumo-trace``;
  mobile host j follows vehicle j mod V, the trace loops when the episode is
  longer, and coordinates are rescaled from the trace's bounding box into the
  area. ``PATH`` may be ``package:traces/NAME.csv`` for a trace shipped in
  ``splitplace_env/data``.

Positions advance one interval at a time inside the compiled step
(``move_hosts``), drawing waypoints from the engine's mobility stream; every host
draws its start position at reset (``place_hosts``), fixed hosts included.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import numpy as np

from splitplace_env.core import rng
from splitplace_env.core.jit import kernel

AREA_M = 1000.0
ACCESS_POINTS = np.array([[250.0, 250.0], [750.0, 250.0], [250.0, 750.0], [750.0, 750.0]])
#: Walking-speed range of mobile hosts (m/s): people or robots carrying the device.
SPEED_RANGE = (0.5, 2.0)
STATIC, RANDOM_WAYPOINT, TRACE = 0, 1, 2
_SPEED_LO, _SPEED_HI = SPEED_RANGE


def mobility_mode(spec: str) -> int:
    """The mode of a config's ``mobility`` string (see the module docstring)."""
    if spec == "static":
        return STATIC
    if spec == "random_waypoint":
        return RANDOM_WAYPOINT
    if spec.startswith("sumo:"):
        return TRACE
    raise ValueError(f"mobility must be 'random_waypoint', 'static' or 'sumo:PATH', got {spec!r}")


def trace_table(spec: str) -> np.ndarray:
    """The (intervals, vehicles, 2) positions a ``sumo:PATH`` spec replays; a
    one-entry placeholder for the other modes (the kernels take an array always)."""
    if spec.startswith("sumo:"):
        return load_trace(spec[len("sumo:"):])
    return np.zeros((1, 1, 2))


@kernel
def place_hosts(mode, state, stream, mobile, x, y, target_x, target_y, walk_speed):
    """Start positions of every host (uniform in the area); a random-waypoint host
    also draws its first waypoint and its walking speed."""
    for h in range(x.shape[0]):
        x[h] = rng.uniform(state, stream) * AREA_M
        y[h] = rng.uniform(state, stream) * AREA_M
    if mode == RANDOM_WAYPOINT:
        for h in range(x.shape[0]):
            if mobile[h]:
                target_x[h] = rng.uniform(state, stream) * AREA_M
                target_y[h] = rng.uniform(state, stream) * AREA_M
                walk_speed[h] = _SPEED_LO + (_SPEED_HI - _SPEED_LO) * rng.uniform(state, stream)


@kernel
def move_hosts(t, mode, interval_s, state, stream, mobile, x, y, target_x, target_y, walk_speed, trace):
    """Moves the mobile hosts to where they are at the start of interval ``t``:
    one interval's walk (random waypoint) or the trace's row ``t`` (trace)."""
    if mode == TRACE:
        j = 0
        row = t % trace.shape[0]
        for h in range(x.shape[0]):
            if mobile[h]:
                v = j % trace.shape[1]
                x[h] = trace[row, v, 0]
                y[h] = trace[row, v, 1]
                j += 1
    elif mode == RANDOM_WAYPOINT:
        for h in range(x.shape[0]):
            if not mobile[h]:
                continue
            left = walk_speed[h] * interval_s
            while left > 0.0:
                dx = target_x[h] - x[h]
                dy = target_y[h] - y[h]
                d = math.sqrt(dx * dx + dy * dy)
                if d <= left:  # reach the waypoint, pick the next one
                    x[h] = target_x[h]
                    y[h] = target_y[h]
                    left -= d
                    target_x[h] = rng.uniform(state, stream) * AREA_M
                    target_y[h] = rng.uniform(state, stream) * AREA_M
                else:
                    x[h] += dx * (left / d)
                    y[h] += dy * (left / d)
                    left = 0.0


def load_trace(path: str | Path) -> np.ndarray:
    """Reads a trace CSV into an (intervals, vehicles, 2) array in the area frame.

    A vehicle missing from an interval keeps its last (or first known) position.

    Raises:
        ValueError: if the file is empty or lacks the ``interval,vehicle,x,y`` columns.
    """
    text = _read_trace_text(str(path))
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    if not rows or not {"interval", "vehicle", "x", "y"} <= set(rows[0]):
        raise ValueError(f"trace {path!r} must be a CSV with columns interval,vehicle,x,y and at least one row")
    ts = np.array([int(r["interval"]) for r in rows])
    vehicles = sorted({r["vehicle"] for r in rows})
    vid = {v: i for i, v in enumerate(vehicles)}
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    t0 = ts.min()
    out = np.full((ts.max() - t0 + 1, len(vehicles), 2), np.nan)
    out[ts - t0, [vid[r["vehicle"]] for r in rows]] = xy
    for t in range(1, out.shape[0]):  # carry positions forward
        missing = np.isnan(out[t, :, 0])
        out[t, missing] = out[t - 1, missing]
    first = np.argmax(~np.isnan(out[:, :, 0]), axis=0)
    for v in range(out.shape[1]):  # and the first known one backward
        out[: first[v], v] = out[first[v], v]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return (out - lo) / np.maximum(hi - lo, 1e-9) * AREA_M


def _read_trace_text(path: str) -> str:
    if path.startswith("package:"):
        return resources.files("splitplace_env.data").joinpath(path[len("package:"):]).read_text()
    return Path(path).read_text()
