"""Mobility models: where each host is at the start of every interval.

All models place hosts in a square area of ``AREA_M`` metres with four access
points (``ACCESS_POINTS``); only mobile hosts move. ``make_mobility`` selects:

* ``"random_waypoint"``: each mobile host walks at its own speed towards a random
  waypoint and picks a new one on arrival (no pause).
* ``"static"``: hosts stay where they start.
* ``"sumo:PATH"``: positions replayed from a trace CSV (``interval,vehicle,x,y``),
  e.g. one written by ``splitplace sumo-trace``; mobile host j follows vehicle
  j mod V, the trace loops when the episode is longer, and coordinates are rescaled
  from the trace's bounding box into the area. ``PATH`` may be
  ``package:traces/NAME.csv`` for a trace shipped in ``splitplace_env/data``.

Positions are generated ahead in chunks of intervals (vectorised), so the
environment's step only indexes a table.
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
_CHUNK = 64


class StaticMobility:
    """Hosts stay at their start positions.

    Args:
        n_hosts: hosts.
        mobile: (n_hosts,) bool, which hosts move.
        rng: the mobility stream.
        interval_s: interval length (s).
    """

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator, interval_s: float) -> None:
        self.interval_s = interval_s
        self._rng = rng
        self._idx = np.flatnonzero(mobile)
        self._start = rng.uniform(0.0, AREA_M, size=(n_hosts, 2))
        self._t0 = 0  # first interval of the current chunk
        self._table = np.zeros((0, n_hosts, 2))

    def window(self, t: int) -> tuple[int, np.ndarray]:
        """The chunk holding interval ``t``: (first interval, (k, n_hosts, 2) positions).

        ``t`` never decreases; one chunk is kept, so memory stays flat.
        """
        while t >= self._t0 + self._table.shape[0]:
            self._t0 += self._table.shape[0]
            self._table = self._chunk(self._t0, _CHUNK)
        return self._t0, self._table

    def _chunk(self, t0: int, k: int) -> np.ndarray:
        return np.broadcast_to(self._start, (k,) + self._start.shape).copy()


class RandomWaypointMobility(StaticMobility):
    """Random-waypoint walk of the mobile hosts."""

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator, interval_s: float) -> None:
        super().__init__(n_hosts, mobile, rng, interval_s)
        m = self._idx.size
        self._pos = self._start[self._idx].copy()
        self._target = rng.uniform(0.0, AREA_M, size=(m, 2))
        self._speed = rng.uniform(*SPEED_RANGE, size=m)

    def _chunk(self, t0: int, k: int) -> np.ndarray:
        out = super()._chunk(t0, k)
        if t0 == 0:  # interval 0 starts at the start positions
            out[0, self._idx] = self._pos
            out[1:, self._idx] = self._walk(k - 1)
        else:
            out[:, self._idx] = self._walk(k)
        return out

    def _walk(self, k: int) -> np.ndarray:
        """(k, m, 2) positions of the m mobile hosts after 1..k intervals; advances their state.

        All hosts at once: waypoints are drawn in blocks until every host's path is
        long enough, then each host's position at distance ``speed * interval * j``
        is read off its piecewise-linear path.
        """
        m = self._idx.size
        if m == 0 or k == 0:
            return np.zeros((k, m, 2))
        need = self._speed * self.interval_s * k
        pts = np.concatenate([self._pos[:, None], self._target[:, None]], axis=1)     # (m, 2, 2)
        while True:
            cum = np.concatenate([np.zeros((m, 1)), np.cumsum(np.hypot(*np.moveaxis(np.diff(pts, axis=1), 2, 0)), axis=1)], axis=1)
            if np.all(cum[:, -1] >= need):
                break
            pts = np.concatenate([pts, self._rng.uniform(0.0, AREA_M, size=(m, 16, 2))], axis=1)
        s = self._speed[:, None] * self.interval_s * np.arange(1, k + 1)[None, :]       # (m, k)
        leg = np.minimum((cum[:, None, :] <= s[:, :, None]).sum(axis=2) - 1, pts.shape[1] - 2)
        rows = np.arange(m)[:, None]
        start, end = pts[rows, leg], pts[rows, leg + 1]                                 # (m, k, 2)
        c0, c1 = cum[rows, leg], cum[rows, leg + 1]
        frac = (s - c0) / np.maximum(c1 - c0, 1e-12)
        path = start + (end - start) * frac[..., None]
        self._pos = path[:, -1].copy()
        self._target = end[:, -1].copy()
        return np.swapaxes(path, 0, 1)


class TraceMobility(StaticMobility):
    """Replays a position trace for the mobile hosts (fixed hosts stay put)."""

    def __init__(self, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator, interval_s: float,
                 trace: np.ndarray) -> None:
        super().__init__(n_hosts, mobile, rng, interval_s)
        self._trace = trace  # (n_intervals, n_vehicles, 2), already in the area frame

    def _chunk(self, t0: int, k: int) -> np.ndarray:
        out = super()._chunk(t0, k)
        tt = (t0 + np.arange(k)) % self._trace.shape[0]
        veh = np.arange(self._idx.size) % self._trace.shape[1]
        out[:, self._idx] = self._trace[tt][:, veh]
        return out


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


def make_mobility(spec: str, n_hosts: int, mobile: np.ndarray, rng: np.random.Generator,
                  interval_s: float):
    """Builds the mobility model named by ``spec`` (see the module docstring)."""
    if spec == "static":
        return StaticMobility(n_hosts, mobile, rng, interval_s)
    if spec == "random_waypoint":
        return RandomWaypointMobility(n_hosts, mobile, rng, interval_s)
    if spec.startswith("sumo:"):
        return TraceMobility(n_hosts, mobile, rng, interval_s, load_trace(spec[len("sumo:"):]))
    raise ValueError(f"mobility must be 'random_waypoint', 'static' or 'sumo:PATH', got {spec!r}")
