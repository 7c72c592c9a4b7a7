"""Smoke tests of the environment benchmarks (benchmarks/env_speed.py, benchmarks/calibration.py)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from benchmarks import calibration, env_speed


def test_masked_random_action_uses_only_allowed_entries() -> None:
    """The benchmark's action samplers pick only mask-allowed entries, with or without a buffer."""
    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    codec = env.unwrapped.codec
    buf = env_speed.mask_buffer(env)
    assert buf.dtype == np.bool_ and buf.shape == env.unwrapped.action_masks().shape
    placed = 0
    for i in range(10):
        a = env_speed.masked_random_action(env, rng, out=buf if i % 2 else None)
        split_rows, host_rows = codec.split_masks(env.unwrapped.action_masks())
        assert a.shape == (codec.size,) and a.dtype == np.int64
        assert split_rows[np.arange(codec.n_tasks), a[:codec.n_tasks]].all()
        assert host_rows[np.arange(codec.n_fragments), a[codec.n_tasks:]].all()
        placed += int((a[codec.n_tasks:] > 0).sum())
        # the space's and Gymnasium's own masked samples, from the same mask
        for g in (env_speed.space_masked_action(env), env_speed.gymnasium_masked_action(env)):
            assert g.shape == (codec.size,)
            assert split_rows[np.arange(codec.n_tasks), g[:codec.n_tasks]].all()
            assert host_rows[np.arange(codec.n_fragments), g[codec.n_tasks:]].all()
        env.step(a)
    assert placed > 0  # not just the no-op


def test_draw_rows_is_uniform_over_allowed_columns() -> None:
    """draw_rows picks each allowed column of a row about equally often, never a masked one."""
    mask = np.array([[1, 0, 1, 1],    # three choices
                     [0, 0, 0, 0],    # none: dest keeps its value
                     [0, 1, 0, 0],    # one choice
                     [1, 1, 1, 1]], dtype=bool)
    rng = np.random.default_rng(1)
    counts = np.zeros((4, 4), dtype=int)
    for _ in range(3000):
        dest = np.full(4, -1, dtype=np.int64)
        env_speed.draw_rows(mask.ravel(), 4, rng, dest)
        assert dest[1] == -1 and dest[2] == 1
        for r in (0, 2, 3):
            counts[r, dest[r]] += 1
    assert (counts[~mask] == 0).all()
    assert np.allclose(counts[0, [0, 2, 3]], 1000, rtol=0.15)
    assert np.allclose(counts[3], 750, rtol=0.15)


def test_env_speed_measure_and_write(tmp_path: Path) -> None:
    """measure() composes both measurements; write_results writes the CSV and Markdown."""
    result = env_speed.measure(blocks=2, steps_per_block=20, hosts=(4, 8), scale_warmup=2, scale_steps=4,
                               warmup=5, fresh_mask_calls=2)
    c = result["cartpole"]
    assert "backend" not in c and "backends" not in result
    for env in ("splitplace", "cartpole"):
        mean, med, p99 = (c[f"{env}_{k}_step_s"] for k in ("mean", "median", "p99"))
        assert 0 < med <= p99 and mean > 0 and math.isfinite(p99)
        assert c[f"{env}_steps_per_s"] == pytest.approx(1.0 / mean)
    assert c["timed_steps"] == 40 and len(c["splitplace_block_mean_s"]) == len(c["cartpole_block_mean_s"]) == 2
    for key in ("ratio_means", "ratio_medians", "p99_over_median", "block_means_ratio"):
        assert math.isfinite(c[key]) and c[key] > 0, key
    assert c["ratio_means"] == pytest.approx(c["splitplace_mean_step_s"] / c["cartpole_mean_step_s"])
    assert c["ratio_medians"] == pytest.approx(c["splitplace_median_step_s"] / c["cartpole_median_step_s"])
    assert c["p99_over_median"] >= 1.0
    assert env_speed.TARGETS == {"ratio_medians": 3.0, "ratio_means": 4.0, "p99_over_median": 3.0}
    for key, limit in env_speed.TARGETS.items():
        assert c[f"target_{key}"] == limit and c[f"met_{key}"] is (c[key] <= limit)
    assert c["all_targets_met"] is all(c[f"met_{k}"] for k in env_speed.TARGETS)

    rows = result["scaling"]["rows"]
    assert [r["hosts"] for r in rows] == [4, 8] and [r["max_tasks"] for r in rows] == [16, 32]
    assert [r["arrival_rate"] for r in rows] == [1.5, 3.0]
    for r in rows:
        assert 0 < r["step_s"] <= r["p99_step_s"] and r["mean_step_s"] > 0 and r["steps"] == 4
        assert r["mask_out_s"] > 0 and r["mask_fresh_s"] > 0
        T, H = r["max_tasks"], r["hosts"]
        assert r["mask_size"] == T * 2 + 5 * T * (H + 1)  # layer, semantic
    assert isinstance(result["scaling"]["at_most_linear"], bool)
    for draw, key in env_speed.DRAW_KEYS.items():  # the same comparison after the heavier draws
        gd = result[key]
        assert gd["draw"] == draw and c["draw"] == "mask" and gd["timed_steps"] == 20
        for key, limit in env_speed.TARGETS.items():
            assert gd[key] > 0 and gd[f"met_{key}"] is (gd[key] <= limit)
        assert gd["splitplace_median_draw_s"] > 0
    gd = result["gymnasium_draw"]
    ref = result["reference"]  # the machine's own tail: a memory loop as long as the median step
    assert ref["n"] == c["timed_steps"] and ref["repeats"] >= 1
    assert 0 < ref["median_s"] <= ref["p99_s"] and ref["p99_over_median"] == pytest.approx(ref["p99_s"] / ref["median_s"])

    csv_path, md_path = env_speed.write_results(result, tmp_path / "out")
    with csv_path.open() as fh:
        table = list(csv.DictReader(fh))
    assert [(r["measurement"], r["name"]) for r in table] == [
        ("vs_cartpole", "SplitPlace-v0"), ("vs_cartpole", "CartPole-v1"),
        ("ratio", "ratio_medians"), ("ratio", "ratio_means"), ("ratio", "p99_over_median"),
        ("ratio", "block_means_ratio"), ("ratio_space_draw", "ratio_medians"),
        ("ratio_space_draw", "ratio_means"), ("ratio_space_draw", "p99_over_median"),
        ("ratio_gymnasium_draw", "ratio_medians"),
        ("ratio_gymnasium_draw", "ratio_means"), ("ratio_gymnasium_draw", "p99_over_median"),
        ("reference", "memory_loop_64kb"), ("scaling", "SplitPlace-v0"), ("scaling", "SplitPlace-v0")]
    assert float(table[6]["value"]) == pytest.approx(result["space_draw"]["ratio_medians"], rel=1e-3)
    assert float(table[9]["value"]) == pytest.approx(gd["ratio_medians"], rel=1e-3)
    assert table[9]["met"] == str(gd["met_ratio_medians"]) and table[11]["target"] == "3"
    table = table[:6] + table[12:]  # the rows below keep their positions
    assert float(table[6]["value"]) == pytest.approx(ref["p99_over_median"], rel=1e-3)
    assert float(table[2]["value"]) == pytest.approx(c["ratio_medians"], rel=1e-3)
    assert table[2]["target"] == "3" and table[3]["target"] == "4" and table[4]["target"] == "3"
    assert table[2]["met"] == str(c["met_ratio_medians"]) and table[5]["target"] == ""
    assert [int(r["hosts"]) for r in table[7:]] == [4, 8] and int(table[8]["mask_size"]) == rows[1]["mask_size"]
    md = md_path.read_text()
    assert "CartPole-v1" in md and "perf_counter_ns" in md and "backend" not in md
    assert "<= 3" in md and "<= 4" in md and "p99" in md and "action_masks(out=buf)" in md
    assert md.count(" met |") + md.count("NOT met") >= 3 and "All targets met" in md
    assert "After Gymnasium's own per-entry masked sample" in md and "action_space.sample(mask=...)" in md
    assert "After the action space's masked sample" in md and "The draw itself:" in md
    assert "The benchmark's draw before each SplitPlace step:" in md
    assert "The machine's own tail" in md and f"p99 / median {ref['p99_over_median']:.2f}" in md


def test_env_speed_quick_cli_writes_into_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The command line writes both files into --out-dir; --backends no longer exists."""
    assert env_speed.main(["--blocks", "1", "--steps", "5", "--warmup", "2", "--hosts", "4",
                           "--scale-warmup", "1", "--scale-steps", "2", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "env_speed.csv").exists() and (tmp_path / "env_speed.md").exists()
    assert "ratio_medians" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        env_speed.main(["--backends", "numpy", "--out-dir", str(tmp_path)])


def test_calibration_policy_is_feasible_and_runs(tmp_path: Path) -> None:
    """The least-loaded policy never makes an infeasible placement; results are written."""
    result = calibration.measure(seeds=(0,), intervals=15)
    for r in result["runs"]:
        assert r["infeasible"] == 0 and r["finished"] > 0 and r["placements"] > 0
    assert result["summary"]["layer"]["response"] > result["summary"]["semantic"]["response"]
    csv_path, md_path = calibration.write_results(result, tmp_path)
    assert "always-layer" in md_path.read_text() and csv_path.exists()
