"""Tests of the speed report's own measurements (tiny sizes)."""

from __future__ import annotations

import math

from benchmarks import speed


def test_env_ratio_is_a_positive_finite_ratio():
    res = speed.measure_env_ratio(blocks=2, block_steps=10, cartpole_steps=200)
    assert res["splitplace_steps_per_s"] > 0 and res["cartpole_steps_per_s"] > 0
    assert math.isfinite(res["ratio"]) and res["ratio"] > 0
    assert res["ratio"] == res["cartpole_steps_per_s"] / res["splitplace_steps_per_s"]


def test_table_rows_normalises_results():
    assert speed._table_rows(None) == []
    assert speed._table_rows({"a": 1.0}) == [{"a": 1.0}]
    assert speed._table_rows({"x": {"v": 1}, "y": {"v": 2}}) == [{"name": "x", "v": 1}, {"name": "y", "v": 2}]
    assert speed._table_rows([{"v": 1}]) == [{"v": 1}]


def test_speed_markdown_lists_every_section():
    result = {"env": [{"ratio": 0.5}], "agents": [], "ppo": [],
              "source": {"env": "here", "agents": "there", "ppo": "not available (no rl)"}}
    text = speed.speed_markdown(result, {"blocks": 1})
    assert "CartPole-v1" in text and "Agent decision time" in text and "not available (no rl)." in text
    rows = speed._flat_rows(result)
    assert rows == [{"section": "env", "name": "", "metric": "ratio", "value": 0.5}]


def test_ppo_rows_from_rl_speed_result():
    res = {"env_id": "SplitPlace-v0", "vec": "subproc", "timesteps": 64,
           "steps_per_s": {1: 50.0, 2: 80.0, 4: 100.0}, "cartpole_steps_per_s": 1000.0}
    rows = speed.ppo_rows(res)
    assert [r["n_envs"] for r in rows] == [1, 2, 4]
    assert rows[0]["vec"] == "dummy" and rows[2]["vec"] == "subproc"
    assert [r["speedup_vs_1"] for r in rows] == [1.0, 1.6, 2.0]
    assert rows[1]["ratio_to_cartpole_ppo"] == 0.08
