"""Smoke tests of the environment benchmarks (benchmarks/env_speed.py, benchmarks/calibration.py)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from benchmarks import calibration, env_speed


def test_masked_random_action_uses_only_allowed_entries() -> None:
    """The benchmark's action sampler picks only mask-allowed entries."""
    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    codec = env.unwrapped.codec
    for _ in range(10):
        mask = env.unwrapped.action_masks()
        split_rows, host_rows = codec.split_masks(mask)
        a = env_speed.masked_random_action(env, rng)
        assert split_rows[np.arange(codec.n_tasks), a[:codec.n_tasks]].all()
        assert host_rows[np.arange(codec.n_fragments), a[codec.n_tasks:]].all()
        env.step(a)


def test_env_speed_measure_and_write(tmp_path: Path) -> None:
    """measure() composes both measurements; write_results writes the CSV and Markdown."""
    result = env_speed.measure(blocks=1, steps_per_block=5, hosts=(4, 8), scale_warmup=2, scale_steps=3)
    c = result["cartpole"]
    assert c["splitplace_step_s"] > 0 and c["cartpole_step_s"] > 0
    assert c["ratio"] == pytest.approx(c["splitplace_step_s"] / c["cartpole_step_s"])
    assert [r["hosts"] for r in result["scaling"]["rows"]] == [4, 8]
    assert isinstance(result["scaling"]["at_most_linear"], bool)
    assert [b["backend"] for b in result["backends"]] == ["numba", "numpy"]  # numba is a dependency
    assert result["backends"][0] is c
    csv_path, md_path = env_speed.write_results(result, tmp_path)
    assert csv_path.read_text().count("\n") == 1 + 2 + 1 + 2  # header, backends, CartPole, sizes
    assert "CartPole-v1" in md_path.read_text() and "| numpy |" in md_path.read_text()


def test_calibration_policy_is_feasible_and_runs(tmp_path: Path) -> None:
    """The least-loaded policy never makes an infeasible placement; results are written."""
    result = calibration.measure(seeds=(0,), intervals=15)
    for r in result["runs"]:
        assert r["infeasible"] == 0 and r["finished"] > 0 and r["placements"] > 0
    assert result["summary"]["layer"]["response"] > result["summary"]["semantic"]["response"]
    csv_path, md_path = calibration.write_results(result, tmp_path)
    assert "always-layer" in md_path.read_text() and csv_path.exists()
