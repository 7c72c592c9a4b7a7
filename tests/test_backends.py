"""The compiled (numba) engine and the numpy reference give bit-identical episodes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core import kernels
from splitplace_env.core.engine import EdgeEngine
from test_invariants import CONFIGS, N_EXAMPLES, _action  # tests/ is on the path (rootdir-less tests)

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

ENGINE_ARRAYS = ("task_active", "task_new", "task_id", "task_app", "task_batch", "task_sla", "task_arrival",
                 "task_start", "task_finish", "task_split", "task_left", "frag_state", "frag_host", "frag_work",
                 "frag_work_total", "frag_delay", "frag_out_s", "frag_ram", "frag_disk", "frag_in_mb",
                 "frag_out_mb", "ram_used", "disk_used", "host_util", "host_net_util", "host_power_w")


def _paired_rollout(env_id: str, seed: int, n_steps: int, policy: str, tree_equal, masked_action,
                    **kwargs) -> int:
    """Steps a numba and a numpy env with the same actions; asserts equal outputs and state.

    Returns the number of tasks that finished (so callers can check the run did work).
    """
    fast = gym.make(env_id, backend="numba", **kwargs)
    ref = gym.make(env_id, backend="numpy", **kwargs)
    assert fast.unwrapped.engine.backend == "numba" and ref.unwrapped.engine.backend == "numpy"
    tree_equal(fast.reset(seed=seed), ref.reset(seed=seed))
    rng = np.random.default_rng(seed)
    finished = 0
    for step in range(n_steps):
        if policy == "masked":
            action = masked_action(ref, rng)
        elif policy == "sparse":
            action = masked_action(ref, rng, place_prob=0.3)
        elif policy == "mixed":  # the invariants' mix of masked, in-range and out-of-range actions
            action = _action(ref, rng, bool(rng.random() < 0.5), masked_action)
        else:  # unmasked: out-of-range, meaningless and infeasible entries included
            action = rng.integers(-1, ref.action_space.nvec + 1)
        a, b = fast.step(action), ref.step(action)
        tree_equal(a, b, f"step {step}")
        e, r = fast.unwrapped.engine, ref.unwrapped.engine
        for name in ENGINE_ARRAYS:
            tree_equal(getattr(e, name), getattr(r, name), f"step {step} engine.{name}")
        tree_equal(fast.unwrapped.action_masks(), ref.unwrapped.action_masks(), f"step {step} mask")
        finished += len(b[4]["finished"]["task_id"])
    return finished


@pytest.mark.parametrize("policy", ["masked", "sparse", "unmasked"])
def test_backends_identical_paper_preset(policy: str, tree_equal, masked_action) -> None:
    """Random masked (many migrations), sparse and unmasked actions on SplitPlace-v0."""
    finished = _paired_rollout("SplitPlace-v0", 3, 60, policy, tree_equal, masked_action)
    assert finished > 20, f"the {policy} run finished only {finished} tasks: nothing was compared"


@pytest.mark.parametrize("env_id,kwargs", [
    ("SplitPlace-small-v0", {}),
    ("SplitPlace-CIFAR100-v0", {"split_modes": ("layer", "semantic", "compressed", "layer2")}),
    ("SplitPlace-v0", {"n_hosts": 5, "max_tasks": 6, "arrival_rate": 9.0, "host_cores": 1}),
])
def test_backends_identical_variants(env_id: str, kwargs: dict, tree_equal, masked_action) -> None:
    """Other presets, more split modes, and a crowded cluster (backlog, admission refusals)."""
    _paired_rollout(env_id, 11, 40, "masked", tree_equal, masked_action, **kwargs)


@settings(max_examples=N_EXAMPLES)
@given(cfg=CONFIGS, seed=st.integers(0, 2**31 - 1))
def test_backends_identical_random_configs(cfg: dict, seed: int, tree_equal, masked_action) -> None:
    """Any configuration the invariants cover: both backends step alike for 30 intervals."""
    _paired_rollout("SplitPlace-v0", seed, 30, "mixed", tree_equal, masked_action, **cfg)


def test_backend_choice_and_errors(monkeypatch) -> None:
    """"auto" takes numba when present and numpy otherwise; bad names and a missing numba raise."""
    assert EdgeEngine(SplitPlaceConfig()).backend == "numba"
    assert EdgeEngine(SplitPlaceConfig(backend="numpy")).backend == "numpy"
    with pytest.raises(ValueError, match="backend must be one of"):
        SplitPlaceConfig(backend="cuda")
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    assert EdgeEngine(SplitPlaceConfig()).backend == "numpy"
    with pytest.raises(ValueError, match="needs the numba package"):
        EdgeEngine(SplitPlaceConfig(backend="numba"))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 64, 127, 128, 129, 300, 1000, 5000])
def test_pairwise_sum_rounds_like_numpy(n: int) -> None:
    """The kernels' sums (energy, Eq. 8 terms, mean utilisation) round exactly as np.sum."""
    rng = np.random.default_rng(n)
    for _ in range(20):
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert kernels.pairwise_sum(a, n) == np.sum(a)


def test_interp_matches_numpy_power_curve() -> None:
    """The kernels' power interpolation equals np.interp on and between the grid points and outside."""
    from splitplace_env.core import cluster

    grid = np.linspace(0.0, 1.0, cluster.PI4B_POWER_W.shape[0])
    x = np.concatenate([np.random.default_rng(0).random(20_000), grid, np.nextafter(grid, 2.0),
                        np.nextafter(grid, -1.0), [-0.5, 1.5]])
    got = np.array([kernels.interp(v, grid, cluster.PI4B_POWER_W) for v in x])
    np.testing.assert_array_equal(got, cluster.power_w(x))


def test_runs_without_numba() -> None:
    """Where numba cannot be imported, the env falls back to the numpy reference and still steps."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['numba'] = None\n"  # makes 'import numba' raise ImportError
        "import gymnasium as gym, splitplace_env\n"
        "from splitplace_env.core import kernels\n"
        "env = gym.make('SplitPlace-small-v0'); env.reset(seed=0)\n"
        "for _ in range(5): env.step(env.action_space.sample())\n"
        "print(kernels.AVAILABLE, env.unwrapped.engine.backend)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "numpy"]
