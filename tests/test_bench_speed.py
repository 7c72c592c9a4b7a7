"""Tests of the speed report's own measurements (tiny sizes)."""

from __future__ import annotations

import math

import pytest

from benchmarks import speed


def test_run_speed_env_part_is_a_positive_finite_ratio():
    """run_speed's env row comes from env_speed.compare_with_cartpole (PPO skipped, no agents)."""
    res = speed.run_speed([], blocks=2, block_steps=10, agent_intervals=1, ppo_steps=0, ppo_envs=[])
    env = res["env"][0]
    assert env["splitplace_steps_per_s"] > 0 and env["cartpole_steps_per_s"] > 0
    for key in ("ratio_means", "ratio_medians", "p99_over_median", "block_means_ratio"):
        assert math.isfinite(env[key]) and env[key] > 0, key
    assert env["ratio_means"] == pytest.approx(env["cartpole_steps_per_s"] / env["splitplace_steps_per_s"])
    assert env["p99_over_median"] >= 1.0
    assert env["all_targets_met"] is (env["met_ratio_medians"] and env["met_ratio_means"]
                                      and env["met_p99_over_median"])
    assert set(env) == set(speed.ENV_KEYS) and res["agents"] == [] and res["ppo"] == []
    assert not any("backend" in k for k in env)
    assert res["source"] == {"env": "benchmarks.env_speed.compare_with_cartpole",
                             "agents": "benchmarks.agent_speed.measure",
                             "ppo": "not available (skipped with --no-ppo)"}


def test_speed_markdown_lists_every_section():
    result = {"env": [{"ratio_medians": 0.5}], "agents": [], "ppo": [],
              "source": {"env": "here", "agents": "there", "ppo": "not available (no rl)"}}
    text = speed.speed_markdown(result, {"blocks": 1})
    assert "CartPole-v1" in text and "Agent decision time" in text and "not available (no rl)." in text
    rows = speed._flat_rows(result)
    assert rows == [{"section": "env", "name": "", "metric": "ratio_medians", "value": 0.5}]


def test_ppo_rows_from_rl_speed_result():
    res = {"env_id": "SplitPlace-v0", "vec": "subproc", "timesteps": 64,
           "steps_per_s": {1: 50.0, 2: 80.0, 4: 100.0}, "cartpole_steps_per_s": 1000.0}
    rows = speed.ppo_rows(res)
    assert [r["n_envs"] for r in rows] == [1, 2, 4]
    assert rows[0]["vec"] == "dummy" and rows[2]["vec"] == "subproc"
    assert [r["speedup_vs_1"] for r in rows] == [1.0, 1.6, 2.0]
    assert rows[1]["ratio_to_cartpole_ppo"] == 0.08
