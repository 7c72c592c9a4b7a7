"""One kernel source, compiled or not: the same episodes either way.

The engine's kernels (``splitplace_env/core/kernels.py`` and the modules it calls)
are compiled by numba; with numba's ``NUMBA_DISABLE_JIT=1``, or where numba cannot
be imported, the same source runs as plain Python. These tests run one short
episode in a subprocess in each plain-Python mode and compare its golden digest
(observations, rewards, infos, actions) with the compiled run in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env.core import cluster, jit

TESTS = Path(__file__).parent
ENV_ID, SEED, STEPS = "SplitPlace-small-v0", 3, 12

_CHILD = (
    "import sys; sys.path.insert(0, {tests!r})\n"
    "{prelude}"
    "from golden import episode_digest\n"
    "from splitplace_env.core import jit\n"
    "print(jit.COMPILED, episode_digest({env_id!r}, {seed}, {steps}))\n"
)


def _child_digest(prelude: str, env: dict[str, str]) -> tuple[str, str]:
    code = _CHILD.format(tests=str(TESTS), prelude=prelude, env_id=ENV_ID, seed=SEED, steps=STEPS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr[-3000:]
    compiled, digest = out.stdout.split()
    return compiled, digest


@pytest.fixture(scope="module")
def compiled_digest() -> str:
    from golden import episode_digest

    assert jit.COMPILED, "numba is a dependency: this process runs the compiled kernels"
    return episode_digest(ENV_ID, SEED, STEPS)


@pytest.mark.slow
def test_disable_jit_gives_the_same_episode(compiled_digest: str) -> None:
    compiled, digest = _child_digest("", {"NUMBA_DISABLE_JIT": "1"})
    assert compiled == "False"
    assert digest == compiled_digest


@pytest.mark.slow
def test_without_numba_gives_the_same_episode(compiled_digest: str) -> None:
    # sys.modules['numba'] = None makes 'import numba' raise ImportError.
    compiled, digest = _child_digest("sys.modules['numba'] = None\n", {})
    assert compiled == "False"
    assert digest == compiled_digest


def test_backend_is_no_longer_a_field() -> None:
    with pytest.raises(ValueError, match=r"unknown config field\(s\) \['backend'\]"):
        gym.make("SplitPlace-v0", backend="numpy")


def test_power_interpolation_matches_np_interp() -> None:
    """``cluster.power_at`` is linear interpolation in the 11-point table, clamped outside [0, 1]."""
    grid = np.linspace(0.0, 1.0, cluster.PI4B_POWER_W.shape[0])
    x = np.concatenate([np.random.default_rng(0).random(2000), grid, [-0.5, 1.5]])
    np.testing.assert_allclose(cluster.power_w(x), np.interp(x, grid, cluster.PI4B_POWER_W), rtol=0, atol=1e-12)
