"""The Ray backend of benchmarks.sweep gives the same table as local processes."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import sweep
from benchmarks.jobs import make_jobs
from benchmarks.paper import METRICS
from benchmarks.summary import summarize

WALL_CLOCK = {m.key for m in METRICS if m.wall_clock} | {"wall_s"}
SMALL = "SplitPlace-small-v0"


def _comparable(rows):
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]


def _equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for k in x:
            both_nan = isinstance(x[k], float) and np.isnan(x[k]) and np.isnan(y[k])
            assert both_nan or x[k] == y[k], (k, x, y)


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one Ray cluster at a time on the machine
def test_ray_sweep_matches_local_sweep(ray_tmpdir):
    ray = pytest.importorskip("ray", reason="ray is not installed (optional extra: pip install 'splitplace-env[ray]')")
    jobs = make_jobs(["Gillis", "MC"], [0, 1], [SMALL], 5)
    local = sweep.run_sweep(jobs, workers=1)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = sweep.run_sweep(list(reversed(jobs)), use_ray=True, workers=2)
    finally:
        ray.shutdown()
    assert [(r["agent"], r["seed"]) for r in remote] == [("Gillis", 0), ("Gillis", 1), ("MC", 0), ("MC", 1)]
    _equal(_comparable(local), _comparable(remote))
    keys = [m.key for m in METRICS if not m.wall_clock]
    _equal(summarize(local, metrics=keys, n_boot=200), summarize(remote, metrics=keys, n_boot=200))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc, timeout_s: float) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ray head exited early: {proc.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"ray head did not listen on {port} within {timeout_s} s")


def _wait_for_file(path, proc, timeout_s: float) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not path.is_file():
        if proc.poll() is not None:
            raise RuntimeError(f"ray head exited early: {proc.stdout.read()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.2)


def _table1_rows(out_dir, *extra: str, env: dict | None = None) -> list[dict]:
    """Runs the Table 1 command on a tiny sweep; returns its run rows without wall-clock columns."""
    import csv
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "benchmarks.table1", "--only", "Gillis", "MC", "--seeds", "2", "--intervals", "5",
           "--env", SMALL, "--out-dir", str(out_dir), "--name", "t", "--no-plot", "--no-progress", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    with open(out_dir / "t_runs.csv", newline="") as fh:
        return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in csv.DictReader(fh)]


@pytest.mark.slow
@pytest.mark.xdist_group("ray")
def test_ray_address_runs_on_a_separately_started_cluster(tmp_path, ray_tmpdir):
    """``--ray-address``: the Table 1 command runs its jobs on a cluster started apart with
    ``ray start --head`` (token authentication on, Ray's default) and writes the local rows.

    ``auto`` finds that cluster through the ``ray_current_cluster`` that ``ray start``
    writes; once the cluster has ended without ``ray stop``, the pointer stays behind
    (the trap ``ray.init(address="auto")`` retries for minutes) and ``auto`` fails at once.
    """
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from agents.rl.rllib import ray_address_file, resolve_ray_address

    pytest.importorskip("ray", reason="ray is not installed (optional extra: pip install 'splitplace-env[ray]')")
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        pytest.skip("the ray command is not installed next to this interpreter")
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token"}  # as the --ray-address help says
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        _wait_for_port(port, head, 120.0)
        _wait_for_file(ray_address_file(), head, 60.0)  # written once the head is up
        assert ray_address_file().is_relative_to(ray_tmpdir)
        assert resolve_ray_address("auto").endswith(f":{port}")
        (tmp_path / "remote").mkdir()
        remote = _table1_rows(tmp_path / "remote", "--ray-address", f"127.0.0.1:{port}", env=env)
        assert head.poll() is None, "the cluster must outlive the sweep (the command only disconnects)"
    finally:
        head.terminate()  # --block: stopping the command stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
    assert ray_address_file().read_text().strip().endswith(f":{port}")  # left behind by the ended cluster
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match=r"ray start --head"):
        resolve_ray_address("auto")
    assert time.monotonic() - t0 < 10.0
    (tmp_path / "local").mkdir()
    local = _table1_rows(tmp_path / "local", "--workers", "1")
    assert len(local) == 4 and remote == local
