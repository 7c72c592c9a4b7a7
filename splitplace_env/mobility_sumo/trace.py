"""Builds a vehicle position trace with SUMO: grid network, random trips, simulation.

Steps (all local; the SUMO binaries ship inside the ``eclipse-sumo`` wheel):

1. ``netgenerate --grid``: a square grid of streets.
2. ``randomTrips.py`` (SUMO's tools folder): one trip per vehicle, departing one
   second apart, seeded.
3. SUMO through ``libsumo`` (in-process) or ``traci`` (socket): every time a vehicle
   reaches the last edge of its route it gets a new random destination, so the
   fleet stays on the map for the whole trace; after a warm-up that lets every
   vehicle enter, positions (metres, network frame) are sampled every
   ``interval_s`` simulated seconds.
4. A CSV ``interval,vehicle,x,y`` (one row per vehicle per interval) with ``#``
   comment lines saying how it was made; ``splitplace_env.core.mobility.load_trace``
   reads it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Seconds between SUMO steps. One second is SUMO's default and ample for
#: positions sampled every few minutes.
STEP_S = 1.0
#: How often (simulated s) vehicles near the end of their route get a new target.
#: Grid streets are ``grid_length`` long (200 m), i.e. at least ~14 s at the
#: 13.9 m/s default speed, so checking every 5 s never misses a vehicle.
REROUTE_EVERY_S = 5
#: Simulated seconds before the first sample, so every vehicle has departed.
WARMUP_PER_VEHICLE_S = 2.0


class SumoNotFoundError(RuntimeError):
    """SUMO (the eclipse-sumo wheel or a SUMO_HOME install) or traci is missing."""


@dataclass(frozen=True)
class SumoTools:
    """Paths of the SUMO programs used here."""

    home: Path
    sumo: Path
    netgenerate: Path
    random_trips: Path


def find_sumo() -> SumoTools:
    """Locates SUMO: the ``sumo`` wheel's ``SUMO_HOME`` first, then ``$SUMO_HOME``/PATH.

    Raises:
        SumoNotFoundError: naming what is missing.
    """
    homes = []
    try:
        import sumo  # the eclipse-sumo wheel

        homes.append(Path(sumo.SUMO_HOME))
    except ImportError:
        pass
    if os.environ.get("SUMO_HOME"):
        homes.append(Path(os.environ["SUMO_HOME"]))
    for home in homes:
        tools = SumoTools(home, home / "bin" / "sumo", home / "bin" / "netgenerate", home / "tools" / "randomTrips.py")
        if tools.sumo.is_file() and tools.netgenerate.is_file() and tools.random_trips.is_file():
            return tools
    on_path = shutil.which("sumo"), shutil.which("netgenerate")
    if all(on_path) and homes:
        return SumoTools(homes[0], Path(on_path[0]), Path(on_path[1]), homes[0] / "tools" / "randomTrips.py")
    raise SumoNotFoundError(
        "SUMO not found: install the 'sumo' extra (pip install eclipse-sumo traci) or set SUMO_HOME"
    )


def sumo_version(tools: SumoTools) -> str:
    """First line of ``sumo --version`` (e.g. "Eclipse SUMO sumo v1.28.0")."""
    res = subprocess.run([str(tools.sumo), "--version"], capture_output=True, text=True, check=False)
    lines = res.stdout.strip().splitlines()
    return lines[0].strip() if lines else "SUMO (unknown version)"


def _sumo_api():
    """libsumo if available (in-process, faster), else traci; both share one API."""
    try:
        import libsumo

        return libsumo
    except ImportError:
        pass
    try:
        import traci

        return traci
    except ImportError:
        raise SumoNotFoundError("neither libsumo nor traci is installed (pip install traci)") from None


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    # cwd = the scratch folder, so no tool leaves files where the user stands
    res = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name if cmd[0] != sys.executable else cmd[1]} failed "
                           f"({res.returncode}): {res.stderr.strip()[-500:]}")


def build_scenario(tools: SumoTools, workdir: Path, vehicles: int, seed: int,
                   grid_number: int = 5, grid_length: float = 200.0) -> tuple[Path, Path]:
    """Writes the grid network and the trips into ``workdir``; returns their paths."""
    env = {**os.environ, "SUMO_HOME": str(tools.home)}
    net, trips = workdir / "grid.net.xml", workdir / "trips.xml"
    _run([str(tools.netgenerate), "--grid", "--grid.number", str(grid_number),
          "--grid.length", str(grid_length), "--no-turnarounds", "true", "--seed", str(seed),
          "--output-file", str(net)], env, workdir)
    # One departure per second: vehicle k departs at k s; the minimum distance
    # avoids trips that end at once. --validate routes the trips with duarouter,
    # whose route file must go to workdir (its default is the current directory).
    _run([sys.executable, str(tools.random_trips), "-n", str(net), "-o", str(trips),
          "-r", str(workdir / "routes.rou.xml"),
          "--seed", str(seed), "-b", "0", "-e", str(vehicles), "-p", "1",
          "--min-distance", str(2 * grid_length), "--prefix", "veh", "--validate"], env, workdir)
    return net, trips


def simulate(tools: SumoTools, net: Path, trips: Path, vehicles: int, intervals: int,
             interval_s: float, seed: int) -> list[tuple[int, str, float, float]]:
    """Runs SUMO and samples every vehicle's position once per interval."""
    api = _sumo_api()
    rng = np.random.default_rng(seed)
    cmd = [str(tools.sumo), "-n", str(net), "-r", str(trips), "--step-length", str(STEP_S),
           "--seed", str(seed), "--no-step-log", "true", "--no-warnings", "true",
           "--time-to-teleport", "-1"]  # no teleports: a jammed car waits, it does not jump
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):  # traci prints its connection retries
        api.start(cmd)
    if chatter.getvalue().strip():
        log.debug("SUMO start: %s", chatter.getvalue().strip())
    try:
        edges = [e for e in api.edge.getIDList() if not e.startswith(":")]  # ":" = junction internals
        warmup = int(np.ceil(WARMUP_PER_VEHICLE_S * vehicles + 10))
        t_end = warmup + (intervals - 1) * interval_s
        next_sample, k, rows, t = float(warmup), 0, [], 0.0
        while k < intervals:
            api.simulationStep()
            t = api.simulation.getTime()
            if int(round(t)) % REROUTE_EVERY_S == 0:
                _extend_routes(api, edges, rng)
            if t + 1e-9 >= next_sample:
                present = set(api.vehicle.getIDList())
                for vid in sorted(present):
                    x, y = api.vehicle.getPosition(vid)
                    rows.append((k, vid, float(x), float(y)))
                if len(present) < vehicles:
                    log.warning("interval %d: %d of %d vehicles on the map", k, len(present), vehicles)
                k += 1
                next_sample = warmup + k * interval_s
        log.info("simulated %.0f s (to %.0f s)", t, t_end)
    finally:
        api.close()
    return rows


def _extend_routes(api, edges: list[str], rng: np.random.Generator) -> None:
    """Gives a new random destination to every vehicle on its route's last edge."""
    for vid in api.vehicle.getIDList():
        route = api.vehicle.getRoute(vid)
        if api.vehicle.getRouteIndex(vid) < len(route) - 1:
            continue
        for _ in range(10):  # a few tries: the drawn edge may be unreachable or current
            target = edges[int(rng.integers(len(edges)))]
            if target == route[-1]:
                continue
            try:
                api.vehicle.changeTarget(vid, target)
                break
            except Exception:  # traci and libsumo raise different types for "no route"
                continue


def write_trace(rows: list[tuple[int, str, float, float]], path: Path, comments: list[str]) -> None:
    """Writes the CSV with ``#`` comment lines first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {c}" for c in comments] + ["interval,vehicle,x,y"]
    lines += [f"{k},{vid},{x:.2f},{y:.2f}" for k, vid, x, y in rows]
    path.write_text("\n".join(lines) + "\n")


def generate_trace(out: str | Path, vehicles: int = 8, intervals: int = 100, interval_s: float = 300.0,
                   seed: int = 0, grid_number: int = 5, grid_length: float = 200.0,
                   command: str = "python -m splitplace_env.mobility_sumo") -> Path:
    """Builds the scenario, runs SUMO and writes the trace; returns its path.

    Raises:
        SumoNotFoundError: without SUMO or traci.
        ValueError: for non-positive sizes.
    """
    for name, v in (("vehicles", vehicles), ("intervals", intervals), ("interval_s", interval_s),
                    ("grid_number", grid_number - 1), ("grid_length", grid_length)):
        if v <= 0:
            raise ValueError(f"{name} must be positive, got {v}")
    tools = find_sumo()
    with tempfile.TemporaryDirectory(prefix="splitplace_sumo_") as tmp:
        net, trips = build_scenario(tools, Path(tmp), vehicles, seed, grid_number, grid_length)
        rows = simulate(tools, net, trips, vehicles, intervals, interval_s, seed)
    out = Path(out)
    write_trace(rows, out, [
        f"Generated by `{command}` with {sumo_version(tools)}:",
        f"netgenerate --grid (grid.number {grid_number}, grid.length {grid_length:g} m); "
        f"randomTrips.py --seed {seed}, {vehicles} vehicles rerouted to random edges on arrival;",
        f"positions (m, network frame) of every vehicle sampled every {interval_s:g} s, {intervals} intervals.",
    ])
    return out
