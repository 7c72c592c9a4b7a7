"""Mobility models: where each mobile host is at the start of every interval.

All models place hosts in a square area of ``AREA_M`` metres with four access
points (``ACCESS_POINTS``); only mobile hosts move. ``make_mobility`` selects:

* ``"random_waypoint"``: each mobile host walks at its own speed towards a random
  waypoint and picks a new one on arrival (no pause).
* ``"static"``: hosts stay where they start.
* ``"sumo:PATH"``: positions replayed from a trace CSV (``interval,vehicle,x,y``),
  e.g. one written by ``splitplace sumo-trace``; mobile host j follows vehicle
  j mod V, the trace loops when the episode is longer, and coordinates are rescaled
  from the trace's bounding box into the area.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np

AREA_M = 1000.0
ACCESS_POINTS = np.array([[250.0, 250.0], [750.0, 250.0], [250.0, 750.0], [750.0, 750.0]])
#: Walking-speed range of mobile hosts (m/s): people or robots carrying the device.
SPEED_RANGE = (0.5, 2.0)


class StaticMobility:
    """Hosts stay at their start positions."""

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator) -> None:
        self.mobile = mobile
        self.positions = rng.uniform(0.0, AREA_M, size=(n_hosts, 2))

    def advance(self, interval_s: float) -> np.ndarray:
        """Moves hosts by one interval; returns positions (n_hosts, 2) in metres."""
        return self.positions


class RandomWaypointMobility(StaticMobility):
    """Random-waypoint walk of the mobile hosts."""

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator) -> None:
        super().__init__(n_hosts, mobile, rng)
        self._rng = rng
        self._idx = np.flatnonzero(mobile)
        k = self._idx.size
        self._target = rng.uniform(0.0, AREA_M, size=(k, 2))
        self._speed = rng.uniform(*SPEED_RANGE, size=k)

    def advance(self, interval_s: float) -> np.ndarray:
        if self._idx.size == 0:
            return self.positions
        pos = self.positions[self._idx]
        left = self._speed * interval_s
        for _ in range(64):  # a few waypoints per interval at most; bounded for safety
            delta = self._target - pos
            dist = np.hypot(delta[:, 0], delta[:, 1])
            reach = dist <= left
            step = np.where(reach, 1.0, left / np.maximum(dist, 1e-9))
            pos = pos + delta * step[:, None]
            left = np.where(reach, left - dist, 0.0)
            if not reach.any():
                break
            self._target[reach] = self._rng.uniform(0.0, AREA_M, size=(int(reach.sum()), 2))
        self.positions[self._idx] = pos
        return self.positions


class TraceMobility(StaticMobility):
    """Replays a position trace (``interval,vehicle,x,y`` CSV) for the mobile hosts."""

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator, trace: np.ndarray) -> None:
        super().__init__(n_hosts, mobile, rng)
        self._idx = np.flatnonzero(mobile)
        self._trace = trace  # (n_intervals, n_vehicles, 2), already in the area frame
        self._t = 0
        self.positions[self._idx] = self._frame(0)

    def _frame(self, t: int) -> np.ndarray:
        frame = self._trace[t % self._trace.shape[0]]
        return frame[np.arange(self._idx.size) % frame.shape[0]]

    def advance(self, interval_s: float) -> np.ndarray:
        self._t += 1
        if self._idx.size:
            self.positions[self._idx] = self._frame(self._t)
        return self.positions


def load_trace(path: str | Path) -> np.ndarray:
    """Reads a trace CSV into an (intervals, vehicles, 2) array in the area frame.

    A vehicle missing from an interval (it left the map) keeps its last position.

    Raises:
        ValueError: if the file is empty or lacks the ``interval,vehicle,x,y`` columns.
    """
    text = _read_trace_text(str(path))
    rows = [r for r in csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))]
    if not rows or not {"interval", "vehicle", "x", "y"} <= set(rows[0]):
        raise ValueError(f"trace {path!r} must be a CSV with columns interval,vehicle,x,y and at least one row")
    ts = np.array([int(r["interval"]) for r in rows])
    vehicles = sorted({r["vehicle"] for r in rows})
    vid = {v: i for i, v in enumerate(vehicles)}
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    t0, t1 = ts.min(), ts.max()
    out = np.full((t1 - t0 + 1, len(vehicles), 2), np.nan)
    out[ts - t0, [vid[r["vehicle"]] for r in rows]] = xy
    for t in range(out.shape[0]):  # carry positions forward (and the first seen backward)
        missing = np.isnan(out[t, :, 0])
        if t and missing.any():
            out[t, missing] = out[t - 1, missing]
    first = np.argmax(~np.isnan(out[:, :, 0]), axis=0)
    for v in range(out.shape[1]):
        out[: first[v], v] = out[first[v], v]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return (out - lo) / np.maximum(hi - lo, 1e-9) * AREA_M


def _read_trace_text(path: str) -> str:
    if path.startswith("package:"):  # a trace shipped in splitplace_env/data
        return resources.files("splitplace_env.data").joinpath(path[len("package:"):]).read_text()
    return Path(path).read_text()


def make_mobility(spec: str, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator):
    """Builds the mobility model named by ``spec`` (see the module docstring)."""
    if spec == "static":
        return StaticMobility(n_hosts, mobile, rng)
    if spec == "random_waypoint":
        return RandomWaypointMobility(n_hosts, mobile, rng)
    if spec.startswith("sumo:"):
        return TraceMobility(n_hosts, mobile, rng, load_trace(spec[len("sumo:"):]))
    raise ValueError(f"mobility must be 'random_waypoint', 'static' or 'sumo:PATH', got {spec!r}")
