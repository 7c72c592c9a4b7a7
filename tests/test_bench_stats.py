"""Tests of benchmarks.stats (IQM, stratified bootstrap, probability of improvement)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import stats


def test_iqm_of_known_array():
    # 8 values: cut 2 from each end -> mean of 3..6.
    assert stats.iqm([1, 2, 3, 4, 5, 6, 100, -50]) == pytest.approx(np.mean([2, 3, 4, 5]))
    assert stats.iqm(np.arange(10.0)) == pytest.approx(4.5)   # cuts 2 each side -> 2..7
    assert stats.iqm([7.0]) == 7.0


def test_iqm_ignores_outliers_and_matches_trim_mean_convention():
    x = np.array([0.0, 1.0, 2.0, 3.0, 1e9])
    assert stats.iqm(x) == pytest.approx(2.0)   # n=5: cut 1 each side
    assert np.isnan(stats.iqm([]))


def test_bootstrap_ci_contains_mean_and_is_deterministic():
    rng = np.random.default_rng(3)
    x = rng.normal(10.0, 2.0, size=20)
    lo, hi = stats.stratified_bootstrap_ci(x, n_boot=1000, seed=1)
    assert lo < x.mean() < hi
    assert (lo, hi) == stats.stratified_bootstrap_ci(x, n_boot=1000, seed=1)
    ilo, ihi = stats.stratified_bootstrap_ci(x, stats.iqm, n_boot=1000, seed=1)
    assert ilo <= stats.iqm(x) <= ihi


def test_bootstrap_ci_edge_cases():
    assert stats.stratified_bootstrap_ci([5.0, 5.0, 5.0]) == (5.0, 5.0)
    assert stats.stratified_bootstrap_ci([2.0]) == (2.0, 2.0)
    lo, hi = stats.stratified_bootstrap_ci([])
    assert np.isnan(lo) and np.isnan(hi)
    with pytest.raises(ValueError):
        stats.stratified_bootstrap_ci([1.0, 2.0], confidence=1.5)


def test_stratified_bootstrap_keeps_strata():
    # Column 0 is constant 0, column 1 constant 10: any stratified resample has mean 5 exactly.
    scores = np.column_stack([np.zeros(6), np.full(6, 10.0)])
    assert stats.stratified_bootstrap_ci(scores) == (5.0, 5.0)


def test_custom_statistic_path():
    # Skewed: the median (5.5) and the mean (~83,000) differ, so ignoring statistic= fails.
    x = np.r_[np.arange(11.0), 1e6]
    lo, hi = stats.stratified_bootstrap_ci(x, statistic=lambda s: float(np.median(s)), n_boot=300)
    assert lo <= np.median(x) <= hi
    assert hi < 11


def test_probability_of_improvement():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert stats.probability_of_improvement(x, x) == 0.5
    assert stats.probability_of_improvement(x + 10, x) == 1.0
    assert stats.probability_of_improvement(x, x + 10) == 0.0
    # 1 beats 0, ties at 1: P = (1 [x=1>0] + 0.5 [1=1]) / 2 pairs... over 1x2 pairs
    assert stats.probability_of_improvement([1.0], [0.0, 1.0]) == pytest.approx(0.75)


def test_probability_of_improvement_averages_over_tasks():
    x = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert stats.probability_of_improvement(x, y) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        stats.probability_of_improvement(np.zeros((2, 2)), np.zeros((2, 3)))


def test_probability_of_improvement_ci():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 1.0, 30)
    y = rng.normal(0.0, 1.0, 30)
    p, lo, hi = stats.probability_of_improvement_ci(x, y, n_boot=500)
    assert lo <= p <= hi
    assert 0.5 < p < 1.0
    same = stats.probability_of_improvement_ci(x, x, n_boot=200)
    assert same[0] == 0.5


def test_display_name_shortens_rl_models():
    from benchmarks.report import display_name

    assert display_name("rl:benchmarks/results/rl_maskable_ppo.zip") == "rl:rl_maskable_ppo"
    assert display_name("rl:runs/ppo/") == "rl:ppo"
    assert display_name("SplitPlace") == "SplitPlace"
