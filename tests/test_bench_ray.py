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
def test_ray_sweep_matches_local_sweep():
    ray = pytest.importorskip("ray", reason="ray is not installed (optional extra: pip install 'splitplace-env[ray]')")
    jobs = make_jobs(["Gillis", "MC"], [0, 1], [SMALL], 5)
    local = sweep.run_sweep(jobs, workers=1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = sweep.run_sweep(list(reversed(jobs)), use_ray=True, workers=2)
    finally:
        ray.shutdown()
    assert [(r["agent"], r["seed"]) for r in remote] == [("Gillis", 0), ("Gillis", 1), ("MC", 0), ("MC", 1)]
    _equal(_comparable(local), _comparable(remote))
    keys = [m.key for m in METRICS if not m.wall_clock]
    _equal(summarize(local, metrics=keys, n_boot=200), summarize(remote, metrics=keys, n_boot=200))
