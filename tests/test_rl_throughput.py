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
    assert len(rows) == 3 and all(float(r.split(",")[3]) > 0 for r in rows[1:])
