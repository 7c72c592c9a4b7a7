"""examples/cleanrl_ppo.py: its masked distribution is right, and a short training runs on either vector env."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "cleanrl_ppo.py"
LOSSES = ("policy_loss", "value_loss", "entropy", "approx_kl")


@pytest.fixture(scope="module")
def cleanrl_ppo():
    """The example script as a module (its ``main`` does not run on import)."""
    spec = importlib.util.spec_from_file_location("cleanrl_ppo_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _random_mask(rng: np.random.Generator, batch: int, nvec: list[int]) -> torch.Tensor:
    rows = []
    for n in nvec:
        row = rng.random((batch, n)) < 0.5
        row[np.arange(batch), rng.integers(0, n, batch)] = True  # every entry keeps one choice
        rows.append(row)
    return torch.as_tensor(np.concatenate(rows, axis=1))


def test_masked_distribution_matches_per_entry_categoricals(cleanrl_ppo) -> None:
    rng = np.random.default_rng(0)
    nvec = [3, 3, 2, 5, 5, 5]  # runs of equal sizes, as SplitPlace's splits then hosts
    batch = 7
    logits = torch.as_tensor(rng.normal(size=(batch, sum(nvec))), dtype=torch.float32)
    mask = _random_mask(rng, batch, nvec)
    dist = cleanrl_ppo.MaskedMultiCategorical(logits, mask, nvec)
    gen = torch.Generator().manual_seed(0)
    actions = torch.stack([dist.sample(gen) for _ in range(300)])  # (300, batch, len(nvec))

    bounds = np.cumsum([0, *nvec])
    ref_logp = torch.zeros(batch)
    ref_entropy = torch.zeros(batch)
    action = actions[0]
    for j, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        m = mask[:, lo:hi]
        chosen = actions[..., j]
        assert bool(m.gather(1, chosen.T).all()), f"entry {j}: a masked-out choice was sampled"
        assert len(torch.unique(chosen)) > 1 or int(m.sum(1).max()) == 1  # sampling is not stuck
        cat = torch.distributions.Categorical(logits=logits[:, lo:hi].masked_fill(~m, -float("inf")))
        ref_logp += cat.log_prob(action[:, j])
        p = cat.probs
        ref_entropy += -(p * torch.where(m, p.log(), torch.zeros_like(p))).sum(1)
    assert torch.allclose(dist.log_prob(action), ref_logp, atol=1e-5)
    assert torch.allclose(dist.entropy(), ref_entropy, atol=1e-5)


def test_gae_skips_reset_steps_and_stops_at_episode_ends(cleanrl_ppo) -> None:
    rewards = torch.tensor([[1.0], [1.0], [0.0], [1.0]])
    values = torch.tensor([[0.5], [0.5], [9.0], [0.5]])
    ended = torch.tensor([[0.0], [1.0], [0.0], [0.0]])  # the episode ends at step 1
    valid = torch.tensor([[1.0], [1.0], [0.0], [1.0]])  # step 2 only resets the env
    adv, ret = cleanrl_ppo.advantages_and_returns(rewards, values, ended, valid, torch.tensor([0.25]), 1.0, 1.0)
    assert adv[:, 0].tolist() == pytest.approx([1.0 + 1.0 - 0.5, 0.5, 0.0, 1.0 + 0.25 - 0.5])
    assert torch.allclose(ret, adv + values)


def _run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--env-id", "SplitPlace-small-v0", "--num-envs", "4",
                           "--num-steps", "64", "--update-epochs", "2", "--summary-json", str(out), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def _check_training(summary: dict, updates: int) -> None:
    assert summary["global_step"] == updates * 4 * 64
    assert [u["update"] for u in summary["updates"]] == list(range(1, updates + 1))
    for u in summary["updates"]:
        assert all(math.isfinite(u[k]) for k in LOSSES), u
        # 50-step episodes, next-step autoreset: one reset-only step per env per 64 is left out.
        assert u["samples"] == 4 * (64 - 1), u
    assert summary["parameter_change"] > 0
    assert summary["episodes"] == 4 * (updates * 64 // 50)
    assert math.isfinite(summary["mean_episode_return"])


@pytest.mark.slow
def test_short_training_on_the_native_vector_env(tmp_path) -> None:
    summary = _run(tmp_path, "--total-timesteps", "512")
    assert summary["vector_env"] == "SplitPlaceVectorEnv" and summary["mask_source"] == "action_masks()"
    _check_training(summary, updates=2)


@pytest.mark.slow
def test_short_training_on_gymnasiums_sync_vector_env(tmp_path) -> None:
    summary = _run(tmp_path, "--total-timesteps", "256", "--vectorization-mode", "sync")
    assert summary["vector_env"] == "SyncVectorEnv" and summary["mask_source"] == "call('action_masks')"
    _check_training(summary, updates=1)


def test_bad_arguments_are_usage_errors() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--num-envs", "0"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 2
    assert "--num-envs must be at least 1, got 0" in done.stderr.strip().splitlines()[-1]
