"""RLlib support: env creator and seeds (here), a few PPO iterations (in the RLlib venv).

``ray[rllib]`` pins gymnasium 1.2.x and needs dm-tree, so it lives in a venv of its
own (``make rllib-venv``: ``.venv-rllib``); the training test drives that venv's
interpreter through a subprocess. ``make test`` builds the venv and names it in
``SPLITPLACE_RLLIB_PYTHON``; there (and under ``CI``) a missing venv fails the test
instead of skipping it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from agents.rl.rllib import derive_seed, env_creator

ROOT = Path(__file__).resolve().parents[1]
RLLIB_PYTHON_VAR = "SPLITPLACE_RLLIB_PYTHON"

#: Runs in the RLlib venv: two PPO iterations, then the figures the test checks, as JSON.
TRAIN_SCRIPT = """
import json
from agents.rl.rllib import episode_return, train_ppo

results = train_ppo(2, env_id="SplitPlace-small-v0", seed=0, runners=0, train_batch_size=200,
                    minibatch_size=100, num_epochs=1)
import gymnasium, ray
rows = []
for r in results:
    learner = r["learners"]["default_policy"]
    ret = episode_return(r)
    rows.append({"sampled_lifetime": int(r["env_runners"]["num_env_steps_sampled_lifetime"]),
                 "trained": int(r["learners"]["__all_modules__"]["num_env_steps_trained"]),
                 "episodes": int(r["env_runners"].get("num_episodes_lifetime", 0)),
                 "return": None if ret is None else float(ret),
                 **{k: float(learner[k]) for k in ("total_loss", "policy_loss", "vf_loss", "entropy")}})
print(json.dumps({"ray": ray.__version__, "gymnasium": gymnasium.__version__, "iterations": rows}))
"""


def rllib_python() -> Path | None:
    """The RLlib venv's interpreter: ``$SPLITPLACE_RLLIB_PYTHON``, else ``.venv-rllib`` here, if it exists."""
    path = Path(os.environ.get(RLLIB_PYTHON_VAR) or ROOT / ".venv-rllib" / "bin" / "python")
    return path if path.is_file() else None


class _Ctx(dict):
    """Stands in for RLlib's EnvContext: a dict with worker/vector indices as attributes."""

    def __init__(self, cfg: dict, worker_index: int, vector_index: int) -> None:
        super().__init__(cfg)
        self.worker_index, self.vector_index = worker_index, vector_index


def test_derived_seeds_are_distinct() -> None:
    seeds = {derive_seed(7, w, v) for w in range(8) for v in range(4)}
    assert len(seeds) == 32


def test_env_creator_flattens_and_seeds_from_indices() -> None:
    cfg = {"env_id": "SplitPlace-small-v0", "seed": 3}
    a, b, c = (env_creator(_Ctx(cfg, w, v)) for w, v in [(1, 0), (1, 0), (2, 0)])
    oa, _ = a.reset(seed=999)  # RLlib's seed is overridden by the derived one on the first reset
    ob, _ = b.reset()
    oc, _ = c.reset()
    assert oa.ndim == 1 and a.observation_space.contains(oa)
    assert np.array_equal(oa, ob)
    assert not np.array_equal(oa, oc)  # another runner: another episode


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one Ray cluster at a time on the machine
def test_rllib_ppo_trains_in_its_own_venv(ray_tmpdir) -> None:
    """Two PPO iterations on SplitPlace-small-v0 in the RLlib venv: steps sampled and trained, finite losses."""
    python = rllib_python()
    if python is None:
        message = (f"no RLlib venv ({RLLIB_PYTHON_VAR} or .venv-rllib/bin/python); build it with "
                   "`make rllib-venv`")
        if os.environ.get(RLLIB_PYTHON_VAR) or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run([str(python), "-c", TRAIN_SCRIPT], capture_output=True, text=True, timeout=600,
                          cwd=ROOT, env=dict(os.environ))  # RAY_TMPDIR: the fixture's folder
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["gymnasium"].startswith("1.2."), report  # RLlib's pin, not the main venv's gymnasium
    first, second = report["iterations"]
    assert (first["sampled_lifetime"], second["sampled_lifetime"]) == (200, 400)
    assert first["trained"] > 0 and second["trained"] > 0
    assert second["episodes"] >= 8  # 50-step episodes: 400 steps end eight of them
    for row in (first, second):
        assert all(math.isfinite(row[k]) for k in ("total_loss", "policy_loss", "vf_loss", "entropy")), row
        assert row["return"] is not None and math.isfinite(row["return"])
