"""Ray without traps: a dead cluster address fails within seconds, and the tests leave no Ray files.

The trap: ``ray start --head`` records its address in ``$RAY_TMPDIR/ray/ray_current_cluster``
and only ``ray stop`` removes it, so a cluster that ended otherwise (a killed
``ray start --block``, as the tests do) leaves a pointer that ``ray.init(address="auto")``
retries for minutes (reproduced: over 2 minutes of "Failed to connect to GCS" before it
was stopped). ``--address auto`` / ``--ray-address auto`` now check the address first.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.rl import rllib
from agents.rl.rllib import ray_address_file, resolve_ray_address

ROOT = Path(__file__).resolve().parents[1]
FAIL_WITHIN_S = 10.0


@pytest.fixture
def dead_port():
    """A loopback port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _write_pointer(address: str) -> Path:
    pointer = ray_address_file()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(address)
    return pointer


def _table1_args(out_dir: Path) -> list[str]:
    return ["--only", "Gillis", "--seeds", "1", "--intervals", "5", "--env", "SplitPlace-small-v0",
            "--out-dir", str(out_dir), "--name", "t", "--no-plot", "--no-progress", "--ray-address", "auto"]


def test_auto_with_a_stale_pointer_fails_fast_in_the_table1_command(ray_tmpdir, dead_port, tmp_path, capsys):
    """``--ray-address auto`` through the sweep options: exit 2 within 10 s, saying how to start a cluster."""
    from benchmarks import table1

    pointer = _write_pointer(f"127.0.0.1:{dead_port}")
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        table1.main(_table1_args(tmp_path))
    assert exit_info.value.code == 2
    assert time.monotonic() - t0 < FAIL_WITHIN_S
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--ray-address" in error and f"127.0.0.1:{dead_port}" in error and str(pointer) in error
    assert "ray start --head" in error
    assert not (tmp_path / "t_runs.csv").exists()


def test_auto_with_a_stale_pointer_fails_in_a_fresh_process(ray_tmpdir, dead_port, tmp_path):
    """The same as a user runs it: exit 2 with the one-line error, no minutes of retries (the
    bound allows for interpreter start-up and imports on a loaded machine; Ray retried for minutes)."""
    _write_pointer(f"127.0.0.1:{dead_port}")
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "benchmarks.table1", *_table1_args(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=dict(os.environ))
    elapsed = time.monotonic() - t0
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert elapsed < 60.0, f"took {elapsed:.1f} s"
    assert "ray start --head" in done.stderr.strip().splitlines()[-1]


def test_auto_with_a_stale_pointer_fails_fast_in_the_rllib_command(ray_tmpdir, dead_port, capsys):
    _write_pointer(f"127.0.0.1:{dead_port}")
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        rllib.main(["--address", "auto", "--iterations", "1"])
    assert exit_info.value.code == 2
    assert time.monotonic() - t0 < FAIL_WITHIN_S
    err = capsys.readouterr().err
    assert "--address" in err and "ray start --head" in err and "ray stop" in err


def test_auto_without_any_cluster_says_how_to_start_one(ray_tmpdir):
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match=r"does not exist; start one with `ray start --head`"):
        resolve_ray_address("auto")
    assert time.monotonic() - t0 < FAIL_WITHIN_S


def test_ray_address_variable_wins_and_is_checked(ray_tmpdir, dead_port, monkeypatch):
    """As in ``ray.init``, a non-empty ``RAY_ADDRESS`` overrides the address given."""
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{dead_port}")
    with pytest.raises(ConnectionError, match=rf"127\.0\.0\.1:{dead_port} \(from RAY_ADDRESS"):
        resolve_ray_address("auto")


def test_a_live_address_is_returned(ray_tmpdir):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        _write_pointer(address)
        assert resolve_ray_address("auto") == address
        assert resolve_ray_address(address) == address
    assert resolve_ray_address("ray://127.0.0.1:10001") == "ray://127.0.0.1:10001"  # Ray Client: not probed


@pytest.mark.parametrize("address", ["nohost", "host:port", ":6379"])
def test_malformed_address_is_a_value_error(ray_tmpdir, address):
    with pytest.raises(ValueError, match="must be auto, HOST:PORT or ray://HOST:PORT"):
        resolve_ray_address(address)


def test_run_sweep_checks_the_address_before_joining(ray_tmpdir, dead_port):
    pytest.importorskip("ray", reason="ray is not installed (optional extra: pip install 'splitplace-env[ray]')")
    from benchmarks import sweep
    from benchmarks.jobs import make_jobs

    _write_pointer(f"127.0.0.1:{dead_port}")
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match="ray start --head"):
        sweep.run_sweep(make_jobs(["MC"], [0], ["SplitPlace-small-v0"], 2), ray_address="auto")
    assert time.monotonic() - t0 < FAIL_WITHIN_S


INNER_TEST = '''
import json, os, subprocess, sys, time
from pathlib import Path

from agents.rl.rllib import ray_address_file


def test_leaves_ray_files(ray_session_tmpdir, ray_tmpdir):
    Path(os.environ["HYGIENE_RECORD"]).write_text(json.dumps([str(ray_session_tmpdir), str(ray_tmpdir)]))
    head = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
                             "--port=" + os.environ["HYGIENE_PORT"], "--num-cpus=1",
                             "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not ray_address_file().is_file():
        assert head.poll() is None and time.monotonic() < deadline, "ray start --head did not come up"
        time.sleep(0.2)
    time.sleep(1.0)
    head.terminate()
    head.wait(timeout=60)
    assert ray_address_file().is_file()  # the cluster has ended; Ray leaves its pointer
    assert (ray_tmpdir / "ray" / "session_latest").is_symlink()  # and its session, dead too
'''


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one Ray cluster at a time on the machine
def test_ray_fixtures_remove_what_a_test_session_leaves(tmp_path):
    """A session using the suite's conftest starts a ``ray start --head`` that ends without
    ``ray stop``; afterwards none of its files (the pointer, the sessions) remain."""
    pytest.importorskip("ray", reason="ray is not installed (optional extra: pip install 'splitplace-env[ray]')")
    if not (Path(sys.executable).parent / "ray").exists():
        pytest.skip("the ray command is not installed next to this interpreter")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (inner / "test_inner.py").write_text(INNER_TEST)
    (inner / "pytest.ini").write_text("[pytest]\n")
    record = tmp_path / "record.json"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "RAY_TMPDIR", "RAY_ADDRESS"))}
    with socket.socket() as s:  # a free port for the head
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.update(HYGIENE_RECORD=str(record), HYGIENE_PORT=str(port))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                           str(inner / "pytest.ini"), "--rootdir", str(inner), str(inner / "test_inner.py")],
                          capture_output=True, text=True, timeout=300, cwd=inner, env=env)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    session_root, test_root = map(Path, json.loads(record.read_text()))
    assert not test_root.exists(), sorted(map(str, test_root.rglob("*")))[:20]
    assert not session_root.exists(), sorted(map(str, session_root.rglob("*")))[:20]
