"""RLlib support: env creator and seeds (always), a few PPO iterations (when RLlib is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.rl.rllib import derive_seed, env_creator


def _rllib_missing() -> str | None:
    try:
        import ray.rllib  # noqa: F401
    except Exception as exc:  # ImportError, or a broken optional dependency
        return (f"Ray RLlib not importable ({type(exc).__name__}: {exc}); "
                "pip install 'ray[rllib]' (pins gymnasium 1.2.x)")
    return None


class _Ctx(dict):
    """Stands in for RLlib's EnvContext: a dict with worker/vector indices as attributes."""

    def __init__(self, cfg: dict, worker_index: int, vector_index: int) -> None:
        super().__init__(cfg)
        self.worker_index, self.vector_index = worker_index, vector_index


def test_derived_seeds_are_distinct() -> None:
    seeds = {derive_seed(7, w, v) for w in range(8) for v in range(4)}
    assert len(seeds) == 32


def test_env_creator_flattens_and_seeds_from_indices() -> None:
    cfg = {"env_id": "SplitPlace-small-v0", "seed": 3}
    a, b, c = (env_creator(_Ctx(cfg, w, v)) for w, v in [(1, 0), (1, 0), (2, 0)])
    oa, _ = a.reset(seed=999)  # RLlib's seed is overridden by the derived one on the first reset
    ob, _ = b.reset()
    oc, _ = c.reset()
    assert oa.ndim == 1 and a.observation_space.contains(oa)
    assert np.array_equal(oa, ob)
    assert not np.array_equal(oa, oc)  # another runner: another episode


@pytest.mark.slow
@pytest.mark.skipif(_rllib_missing() is not None, reason=_rllib_missing() or "")
def test_rllib_ppo_runs_a_few_iterations() -> None:
    from agents.rl.rllib import train_ppo

    results = train_ppo(2, env_id="SplitPlace-small-v0", seed=0, runners=0, train_batch_size=200,
                        minibatch_size=100, num_epochs=1)
    assert len(results) == 2
    assert results[-1]["env_runners"]["num_env_steps_sampled_lifetime"] >= 400
