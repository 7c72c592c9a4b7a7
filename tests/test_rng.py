"""The engine's random streams (``splitplace_env/core/rng.py``): determinism and distributions.

The samplers are checked against their exact moments and, for Poisson(6) (the
paper's arrival rate), against the exact probability mass function. Sample sizes
make the tolerances about 5 standard errors wide.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from splitplace_env.core import rng
from splitplace_env.core.jit import kernel


@kernel
def _draw(kind, state, out, a, b):  # fills ``out``: kernels cannot allocate (no NRT, ``core/jit.py``)
    for i in range(out.shape[0]):
        if kind == 0:
            out[i] = rng.uniform(state, 0)
        elif kind == 1:
            out[i] = rng.normal(state, 0)
        elif kind == 2:
            out[i] = rng.gamma(state, 0, a)
        elif kind == 3:
            out[i] = rng.binomial(state, 0, int(a), b)
        elif kind == 4:
            out[i] = rng.poisson(state, 0, a)
        else:
            out[i] = rng.below(state, 0, int(a))
    return out


def _sample(kind: int, n: int, a: float = 0.0, b: float = 0.0, seed: int = 0) -> np.ndarray:
    state = rng.seed_states(np.random.SeedSequence(seed), 1)
    out = np.empty(n)
    _draw(kind, state, out, a, b)
    return out


def _close(x: np.ndarray, mean: float, var: float) -> None:
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), (x.mean(), mean)
    assert abs(x.var() / var - 1) < 5 * math.sqrt(2 / n) + 0.01, (x.var(), var)


def test_streams_are_deterministic_and_independent() -> None:
    a, b = _sample(0, 1000, seed=7), _sample(0, 1000, seed=7)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, _sample(0, 1000, seed=8))
    two = rng.seed_states(np.random.SeedSequence(7), 2)
    assert two[0] != two[1]


def test_uniform_is_in_the_open_unit_interval() -> None:
    u = _sample(0, 200_000)
    assert u.min() > 0.0 and u.max() < 1.0
    _close(u, 0.5, 1 / 12)
    counts = np.bincount((u * 10).astype(int), minlength=10)
    assert np.all(np.abs(counts - 20_000) < 5 * math.sqrt(20_000))


def test_below_covers_its_range() -> None:
    x = _sample(5, 100_000, a=7)
    assert set(np.unique(x).tolist()) == set(range(7))
    _close(x, 3.0, (49 - 1) / 12)


def test_normal_and_gamma_moments() -> None:
    _close(_sample(1, 200_000), 0.0, 1.0)
    for shape in (1.0, 5.0, 2500.0):
        _close(_sample(2, 100_000, a=shape), shape, shape)


@pytest.mark.parametrize("n,p", [(7, 0.97), (16, 0.5), (20_000, 0.31), (10_000, 0.974), (20_000, 0.0)])
def test_binomial_moments(n: int, p: float) -> None:
    x = _sample(3, 40_000, a=n, b=p)
    assert x.min() >= 0 and x.max() <= n and np.all(x == np.round(x))
    if p == 0.0:
        assert x.max() == 0
    else:
        _close(x, n * p, n * p * (1 - p))


@pytest.mark.parametrize("mu", [0.0, 1.5, 6.0, 24.0, 2400.0])
def test_poisson_moments(mu: float) -> None:
    x = _sample(4, 40_000, a=mu)
    if mu == 0.0:
        assert x.max() == 0
    else:
        _close(x, mu, mu)


def test_poisson_six_matches_its_pmf() -> None:
    """Chi-square against the exact Poisson(6) pmf (k = 0..14, the tail pooled)."""
    n = 100_000
    x = _sample(4, n, a=6.0).astype(int)
    pmf = np.array([math.exp(-6) * 6 ** k / math.factorial(k) for k in range(15)])
    expected = np.append(pmf, 1 - pmf.sum()) * n
    observed = np.bincount(np.minimum(x, 15), minlength=16)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 45.0  # 15 degrees of freedom: P(chi2 > 45) < 1e-4
