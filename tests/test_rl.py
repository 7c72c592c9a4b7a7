"""RL training on SplitPlace: every algorithm trains, saves, reloads and acts; masks hold."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest


import splitplace_env  # noqa: E402
from agents.rl.policy import detect_algo, load_rl_agent  # noqa: E402
from agents.rl.train import main, train  # noqa: E402

SMALL = "SplitPlace-small-v0"
PER_DECISION_SMALL = ("SplitPlace-PerDecision-v0", {"env_id": SMALL})
FAST = {"ppo": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        "a2c": {"n_steps": 8},
        "maskable_ppo": {"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        "dqn": {"learning_starts": 50, "buffer_size": 1000, "train_freq": 4}}


def _play(agent, env, n_intervals: int = 4, seed: int = 0) -> None:
    agent.reset(seed)
    obs, info = env.reset(seed=seed)
    offsets = np.concatenate([[0], np.cumsum(env.action_space.nvec)[:-1]])
    for _ in range(n_intervals):
        a = agent.act(obs, info)
        assert env.action_space.contains(a)
        if agent.algo == "maskable_ppo":  # every sub-action allowed by the factored mask
            assert obs["action_mask"][offsets + a].all()
        obs, r, term, trunc, info = env.step(a)
        agent.update(obs, r, term, trunc, info)
        if agent.algo == "dqn":  # per-decision planning: exact mask, only meaningful entries
            assert info["infeasible_placements"] == 0
            assert info["ignored_actions"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "a2c", "maskable_ppo", "dqn"])
def test_train_save_reload_act(algo: str, tmp_path) -> None:
    env_id, kw = PER_DECISION_SMALL if algo == "dqn" else (SMALL, {})
    _, summary = train(algo, env_id, kw, timesteps=200, n_envs=2, seed=0, out=str(tmp_path),
                       eval_freq=100, eval_episodes=1, checkpoint_freq=100, hparams=FAST[algo])
    assert summary["timesteps"] >= 200
    assert (tmp_path / "model.zip").is_file()
    assert (tmp_path / "eval" / "evaluations.npz").is_file()
    assert list((tmp_path / "checkpoints").glob("*.zip"))
    assert detect_algo(tmp_path / "model.zip") == algo
    env = splitplace_env.MaskObservation(gym.make(SMALL))  # the env the agent acts in
    agent = load_rl_agent(tmp_path, env)
    assert agent.name.startswith("rl:") and agent.algo == algo
    _play(agent, env)
    agent.save(tmp_path / "again.zip")
    agent.load(tmp_path / "again.zip")
    _play(agent, env)
    env.close()


@pytest.mark.slow
def test_load_replaces_the_algorithm_and_refuses_another_view(tmp_path) -> None:
    """RLAgent.load takes everything that follows from the new model (algorithm,
    masking), and refuses a per-decision model in an interval-view agent."""
    paths = {}
    for algo, (env_id, kw) in {"ppo": (SMALL, {}), "maskable_ppo": (SMALL, {}), "dqn": PER_DECISION_SMALL}.items():
        paths[algo] = tmp_path / algo
        train(algo, env_id, kw, timesteps=64, n_envs=1, seed=0, out=str(paths[algo]), eval_freq=0,
              checkpoint_freq=10**9, hparams=FAST[algo])
    env = splitplace_env.MaskObservation(gym.make(SMALL))
    agent = load_rl_agent(paths["ppo"], env)
    assert (agent.algo, agent.masked) == ("ppo", False)
    agent.load(paths["maskable_ppo"])
    assert (agent.algo, agent.masked) == ("maskable_ppo", True)
    _play(agent, env)
    with pytest.raises(ValueError, match="different view"):
        agent.load(paths["dqn"])
    assert agent.algo == "maskable_ppo"  # unchanged by the refused load
    env.close()


@pytest.mark.slow
def test_maskable_ppo_never_chooses_a_masked_action(tmp_path) -> None:
    from stable_baselines3.common.callbacks import BaseCallback

    class CheckMasks(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.checked = 0

        def _on_step(self) -> bool:
            masks, actions = self.locals["action_masks"], self.locals["actions"]
            nvec = self.training_env.action_space.nvec
            offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
            for m, a in zip(masks, actions):
                assert m[offsets + a].all(), "MaskablePPO chose a masked sub-action"
            self.checked += len(actions)
            return True

    from agents.rl.envs import make_vec_env
    from sb3_contrib import MaskablePPO

    from agents.rl.policies import GroupedMaskableMultiInputPolicy

    venv = make_vec_env(SMALL, 2, "dummy", seed=1)
    model = MaskablePPO(GroupedMaskableMultiInputPolicy, venv, n_steps=64, batch_size=64, n_epochs=1, seed=1)
    cb = CheckMasks()
    model.learn(256, callback=cb)
    assert cb.checked >= 256


def test_grouped_distribution_matches_sb3_contrib() -> None:
    import torch as th
    from sb3_contrib.common.maskable.distributions import MaskableMultiCategoricalDistribution

    from agents.rl.policies import GroupedMaskableMultiCategoricalDistribution

    dims = [2] * 3 + [5] * 4 + [3]
    g = th.Generator().manual_seed(0)
    logits = th.randn(6, sum(dims), generator=g)
    masks = th.rand(6, sum(dims), generator=g) > 0.4
    starts = np.concatenate([[0], np.cumsum(dims)[:-1]])
    masks[:, starts] = True
    ref = MaskableMultiCategoricalDistribution(dims).proba_distribution(logits)
    ref.apply_masking(masks)
    new = GroupedMaskableMultiCategoricalDistribution(dims).proba_distribution(logits)
    new.apply_masking(masks)
    acts = new.sample()
    assert masks[th.arange(6)[:, None], th.as_tensor(starts)[None, :] + acts].all()
    assert th.allclose(ref.log_prob(acts), new.log_prob(acts))
    assert th.allclose(ref.entropy(), new.entropy(), atol=1e-5)
    assert th.equal(ref.mode(), new.mode())


def test_grouped_distribution_matches_sb3_unmasked() -> None:
    """PPO's (unmasked) grouped distribution: its entropy takes exp of the log-probs,
    so check values and gradients against SB3's one-categorical-per-entry one."""
    import torch as th
    from stable_baselines3.common.distributions import MultiCategoricalDistribution

    from agents.rl.policies import GroupedMultiCategoricalDistribution

    dims = [2] * 3 + [5] * 4 + [3]
    logits = th.randn(6, sum(dims), generator=th.Generator().manual_seed(1))
    grads = []
    for dist in (MultiCategoricalDistribution(dims), GroupedMultiCategoricalDistribution(dims)):
        x = logits.clone().requires_grad_()
        d = dist.proba_distribution(x)
        acts = th.zeros(6, len(dims), dtype=th.long) + 1
        (d.entropy().sum() + d.log_prob(acts).sum()).backward()
        grads.append((d.entropy().detach(), d.log_prob(acts).detach(), x.grad))
    for ref, new in zip(*grads):
        assert th.allclose(ref, new, atol=1e-5)


def test_grouped_policies_use_fused_adam_only_for_the_default_optimizer() -> None:
    import torch as th
    from stable_baselines3 import A2C, PPO

    from agents.rl.policies import GroupedMultiInputPolicy, fused_adam_available

    env = gym.make(SMALL)
    adam = PPO(GroupedMultiInputPolicy, env, n_steps=64).policy.optimizer
    assert isinstance(adam, th.optim.Adam)
    assert adam.defaults["fused"] is (True if fused_adam_available() else None)
    assert adam.defaults["eps"] == 1e-5  # SB3's default Adam epsilon is kept
    chosen = PPO(GroupedMultiInputPolicy, env, n_steps=64,
                 policy_kwargs={"optimizer_kwargs": {"foreach": True, "eps": 1e-7}}).policy.optimizer
    assert chosen.defaults["fused"] is None and chosen.defaults["foreach"] is True
    assert chosen.defaults["eps"] == 1e-7  # the caller's choices stand
    assert isinstance(A2C(GroupedMultiInputPolicy, env, n_steps=8).policy.optimizer, th.optim.RMSprop)


def test_cli_rejects_unknown_algorithm(capsys) -> None:
    assert main(["sac"]) == 2
    assert "unknown algorithm" in capsys.readouterr().out


def test_dqn_needs_the_per_decision_view(tmp_path) -> None:
    with pytest.raises(ValueError, match="PerDecision"):
        train("dqn", SMALL, timesteps=10, out=str(tmp_path), eval_freq=0, checkpoint_freq=0)


@pytest.mark.slow
def test_cli_trains_with_subproc_envs(tmp_path) -> None:
    rc = main(["ppo", "--env", SMALL, "--timesteps", "128", "--n-envs", "2", "--vec", "subproc", "--out",
               str(tmp_path), "--eval-freq", "0", "--checkpoint-freq", "0", "--no-progress",
               "--tensorboard", str(tmp_path / "tb"), "--hparams", '{"n_steps": 64, "batch_size": 64, "n_epochs": 1}'])
    assert rc == 0
    assert (tmp_path / "train.json").is_file()
    assert list((tmp_path / "tb").iterdir())


@pytest.mark.slow
def test_speed_measures_and_writes(tmp_path) -> None:
    from agents.rl.speed import ppo_steps_per_second, write_results

    res = ppo_steps_per_second((1, 2), env_id=SMALL, timesteps=128, vec="dummy", reference=False)
    assert set(res["steps_per_s"]) == {1, 2}
    assert all(v > 0 for v in res["steps_per_s"].values())
    csv_path, md_path = write_results(res, str(tmp_path))
    assert "steps/s" in open(md_path).read()
    assert open(csv_path).read().count("\n") == 3


def test_grouped_samples_follow_the_masked_probabilities() -> None:
    # Gumbel-max sampling: frequencies of 20k draws match softmax(masked logits)
    import torch as th

    from agents.rl.policies import GroupedMaskableMultiCategoricalDistribution

    th.manual_seed(0)
    logits = th.tensor([[0.0, 1.0, 2.0, -1.0]]).repeat(20_000, 1)
    masks = th.tensor([[True, True, True, False]]).repeat(20_000, 1)
    d = GroupedMaskableMultiCategoricalDistribution([4]).proba_distribution(logits)
    d.apply_masking(masks)
    counts = th.bincount(d.sample()[:, 0], minlength=4).double() / 20_000
    expected = th.softmax(th.tensor([0.0, 1.0, 2.0]), 0).double()
    assert counts[3] == 0
    assert th.allclose(counts[:3], expected, atol=0.01)
    unmasked = GroupedMaskableMultiCategoricalDistribution([4]).proba_distribution(logits[:1])
    unmasked.apply_masking(None)
    assert th.allclose(unmasked.log_prob(th.tensor([[3]])), th.log_softmax(logits[0], 0)[3:])
