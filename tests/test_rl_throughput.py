"""The RL throughput benchmark measures and writes its tables (tiny sizes)."""

from __future__ import annotations

import numpy as np

from benchmarks import rl_throughput


def test_masked_random_actions_pick_allowed_entries():
    import gymnasium as gym

    import splitplace_env  # noqa: F401

    envs = gym.make_vec("SplitPlace-small-v0", num_envs=3)
    envs.reset(seed=0)
    e = envs.unwrapped.engine
    masks = envs.unwrapped.action_masks()
    rng = np.random.default_rng(0)
    nvec = envs.single_action_space.nvec
    offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    for _ in range(20):
        a = rl_throughput.masked_random_actions(masks, e.n_tasks, e.template.n_splits, e.n_hosts, rng)
        assert a.shape == (3, len(nvec))
        assert masks[np.arange(3)[:, None], offsets[None, :] + a].all()


def test_vector_part_writes_tables(tmp_path):
    rc = rl_throughput.main(["--skip-ppo", "--num-envs", "1", "2", "--vec-steps", "4", "--blocks", "2",
                             "--out-dir", str(tmp_path)])
    assert rc == 0
    md = (tmp_path / "rl_throughput.md").read_text()
    assert "| 2 |" in md and "CartPole env-steps/s" in md
    rows = (tmp_path / "rl_throughput.csv").read_text().strip().splitlines()
    assert rows[0].split(",")[3:5] == ["torch_threads", "splitplace_rate"]
    assert len(rows) == 3 and all(float(r.split(",")[4]) > 0 for r in rows[1:])
    assert rows[0].split(",")[-1] == "engine_us_per_env_step" and all(float(r.split(",")[-1]) > 0 for r in rows[1:])
    assert "of which the compiled interval" in md


def test_ppo_table_names_the_torch_threads_of_each_row(tmp_path):
    import argparse

    ppo = [{"case": "plain script: PPO + gym.make", "n_envs": 1, "torch_threads": t, "splitplace_steps_per_s": 400.0,
            "cartpole_steps_per_s": 1000.0, "ratio_medians": 0.4, "ratio_means": 0.41} for t in (1, 2)]
    args = argparse.Namespace(argv=[], timesteps=1024, repeats=3, vec_steps=200, blocks=10)
    rl_throughput.write_results([], ppo, str(tmp_path), args)
    md = (tmp_path / "rl_throughput.md").read_text()
    assert "| case | envs | torch threads |" in md
    assert "| plain script: PPO + gym.make | 1 | 1 | 400 | 1000 | 0.400 | 0.410 |" in md
    assert "| plain script: PPO + gym.make | 1 | 2 | 400 | 1000 | 0.400 | 0.410 |" in md
    rows = (tmp_path / "rl_throughput.csv").read_text().strip().splitlines()
    assert [r.split(",")[3] for r in rows[1:]] == ["1", "2"]
    assert all(len(r.split(",")) == len(rows[0].split(",")) for r in rows[1:])
