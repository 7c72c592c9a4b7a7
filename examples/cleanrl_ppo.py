"""Masked PPO on SplitPlace in one file, in the style of CleanRL's ``ppo.py``.

The action is SplitPlace's ``MultiDiscrete`` vector (a split per task slot, a host
per fragment slot); the policy has one categorical per entry, and the env's
factored ``action_masks()`` (``sum(nvec)`` booleans per env) sets the logits of
forbidden choices to a large negative number, so they are never sampled and carry
no probability in the loss or the entropy.

Environments come from ``gym.make_vec(ENV_ID, num_envs=N)``: the native batched
vector env where the id registers one, else Gymnasium's sync vector env. Masks
come from the vector env's own ``action_masks()`` (shape ``(N, sum(nvec))``) when
it has one, else from ``envs.call("action_masks")``.

Autoreset: with Gymnasium's default ``NEXT_STEP`` mode the step after an episode
ends only resets that env (its action is ignored, its reward 0); such steps are
left out of the advantages and the loss. As in CleanRL, a truncated episode is not
bootstrapped.

All randomness comes from generators seeded by ``--seed`` (the networks'
initialisation and the sampling use a ``torch.Generator``), not from global state.

Run::

    python examples/cleanrl_ppo.py --env-id SplitPlace-small-v0 --total-timesteps 20000
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from torch import nn

import splitplace_env  # noqa: F401  (registers the SplitPlace ids)

#: Logit of a masked-out choice: exp() of it is exactly 0 in float32.
MASKED_LOGIT = -1e9


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (CleanRL's PPO hyperparameters, scaled down for SplitPlace-small-v0)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--env-id", default="SplitPlace-small-v0")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--num-steps", type=int, default=64, help="steps per env per rollout")
    p.add_argument("--total-timesteps", type=int, default=20_000)
    p.add_argument("--vectorization-mode", choices=("auto", "sync"), default="auto",
                   help="auto: the id's native vector env if it has one; sync: Gymnasium's SyncVectorEnv")
    p.add_argument("--learning-rate", type=float, default=2.5e-4)
    p.add_argument("--no-anneal-lr", dest="anneal_lr", action="store_false")
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--summary-json", type=Path, default=None, help="write the training summary here")
    args = p.parse_args(argv)
    for name in ("num_envs", "num_steps", "total_timesteps", "num_minibatches", "update_epochs", "hidden",
                 "torch_threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.total_timesteps < args.num_envs * args.num_steps:
        p.error(f"--total-timesteps must be at least --num-envs x --num-steps = {args.num_envs * args.num_steps}")
    return args


def flatten_obs(obs: dict[str, np.ndarray], keys: Sequence[str]) -> torch.Tensor:
    """Batched Dict observation -> (N, D) float tensor (parts in ``keys`` order)."""
    n = next(iter(obs.values())).shape[0]
    return torch.as_tensor(np.concatenate([obs[k].reshape(n, -1) for k in keys], axis=1), dtype=torch.float32)


def mask_getter(envs: gym.vector.VectorEnv) -> tuple[Callable[[], np.ndarray], str]:
    """A function returning the (N, sum(nvec)) masks, and where they come from."""
    own = getattr(envs.unwrapped, "action_masks", None)
    if callable(own):
        return own, "action_masks()"
    return (lambda: np.stack(envs.call("action_masks"))), "call('action_masks')"


class MaskedMultiCategorical:
    """One categorical per ``MultiDiscrete`` entry, over flat logits and a flat factored mask.

    Entries are grouped into runs of equal size (SplitPlace: T split entries, then 5T
    host entries), so each run is one (B, count, size) tensor.
    """

    def __init__(self, logits: torch.Tensor, mask: torch.Tensor, nvec: Sequence[int]) -> None:
        self.blocks: list[tuple[torch.Tensor, torch.Tensor]] = []  # (log-probs, mask), each (B, count, size)
        start = 0
        for size, count in _runs(nvec):
            end = start + size * count
            block_mask = mask[:, start:end].reshape(-1, count, size)
            block_logits = logits[:, start:end].reshape(-1, count, size).masked_fill(~block_mask, MASKED_LOGIT)
            self.blocks.append((torch.log_softmax(block_logits, dim=-1), block_mask))
            start = end

    def sample(self, generator: torch.Generator) -> torch.Tensor:
        """(B, len(nvec)) actions by the Gumbel-max trick (masked choices are never drawn)."""
        parts = []
        for logp, _ in self.blocks:
            u = torch.rand(logp.shape, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
            parts.append(torch.argmax(logp - torch.log(-torch.log(u)), dim=-1))
        return torch.cat(parts, dim=1)

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """(B,) log-probability of whole actions: the sum over entries."""
        total, col = 0.0, 0
        for logp, _ in self.blocks:
            count = logp.shape[1]
            chosen = actions[:, col:col + count].long().unsqueeze(-1)
            total = total + logp.gather(-1, chosen).squeeze(-1).sum(dim=1)
            col += count
        return total

    def entropy(self) -> torch.Tensor:
        """(B,) entropy summed over entries; masked choices contribute nothing."""
        total = 0.0
        for logp, mask in self.blocks:
            total = total + torch.where(mask, -logp.exp() * logp, torch.zeros_like(logp)).sum(dim=(1, 2))
        return total


def _runs(nvec: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of equal consecutive sizes: [(size, count), ...]."""
    runs: list[tuple[int, int]] = []
    for n in map(int, nvec):
        if runs and runs[-1][0] == n:
            runs[-1] = (n, runs[-1][1] + 1)
        else:
            runs.append((n, 1))
    return runs


def layer_init(layer: nn.Linear, generator: torch.Generator, std: float = math.sqrt(2)) -> nn.Linear:
    """CleanRL's orthogonal initialisation, from ``generator``."""
    nn.init.orthogonal_(layer.weight, std, generator=generator)
    nn.init.zeros_(layer.bias)
    return layer


class Agent(nn.Module):
    """Separate actor and critic MLPs on the flattened observation."""

    def __init__(self, obs_dim: int, nvec: Sequence[int], hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.nvec = [int(n) for n in nvec]

        def mlp(out: int, std: float) -> nn.Sequential:
            return nn.Sequential(layer_init(nn.Linear(obs_dim, hidden), generator), nn.Tanh(),
                                 layer_init(nn.Linear(hidden, hidden), generator), nn.Tanh(),
                                 layer_init(nn.Linear(hidden, out), generator, std))

        self.critic = mlp(1, 1.0)
        self.actor = mlp(sum(self.nvec), 0.01)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, mask: torch.Tensor, action: torch.Tensor | None = None,
                             generator: torch.Generator | None = None):
        """(action, log-prob, entropy, value); samples an action when none is given."""
        dist = MaskedMultiCategorical(self.actor(x), mask, self.nvec)
        if action is None:
            action = dist.sample(generator)
        return action, dist.log_prob(action), dist.entropy(), self.get_value(x)


def advantages_and_returns(rewards, values, ended, valid, next_value, gamma: float, lam: float):
    """GAE over a (T, N) rollout; invalid (reset-only) steps get 0 and break the chain."""
    T = rewards.shape[0]
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(T)):
        nxt = next_value if t == T - 1 else values[t + 1]
        nonterminal = 1.0 - ended[t]
        delta = rewards[t] + gamma * nxt * nonterminal - values[t]
        last = (delta + gamma * lam * nonterminal * last) * valid[t]
        adv[t] = last
    return adv, adv + values


def train(args: argparse.Namespace) -> dict:
    """Runs PPO as configured; returns a summary (per-update losses, steps, episodes)."""
    torch.set_num_threads(args.torch_threads)
    generator = torch.Generator().manual_seed(args.seed)
    mode = {} if args.vectorization_mode == "auto" else {"vectorization_mode": "sync"}
    envs = gym.make_vec(args.env_id, num_envs=args.num_envs, **mode)
    try:
        return _train(args, envs, generator)
    finally:
        envs.close()


def _train(args: argparse.Namespace, envs: gym.vector.VectorEnv, generator: torch.Generator) -> dict:
    keys = sorted(envs.single_observation_space.spaces)
    nvec = envs.single_action_space.nvec
    get_masks, mask_source = mask_getter(envs)
    next_step_reset = AutoresetMode(envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)) \
        is AutoresetMode.NEXT_STEP
    N, T = args.num_envs, args.num_steps
    batch_size = N * T
    num_updates = args.total_timesteps // batch_size

    obs_np, _ = envs.reset(seed=args.seed)
    next_obs = flatten_obs(obs_np, keys)
    agent = Agent(next_obs.shape[1], nvec, args.hidden, generator)
    start_params = torch.cat([p.detach().flatten().clone() for p in agent.parameters()])
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    obs = torch.zeros((T, N, next_obs.shape[1]))
    masks = torch.zeros((T, N, int(np.sum(nvec))), dtype=torch.bool)
    actions = torch.zeros((T, N, len(nvec)), dtype=torch.long)
    logprobs, rewards, ended, valid, values = (torch.zeros((T, N)) for _ in range(5))
    resetting = np.zeros(N, dtype=bool)  # NEXT_STEP: the coming step of these envs only resets them
    episode_return, finished_returns = np.zeros(N), []
    global_step, updates, started = 0, [], time.time()

    for update in range(1, num_updates + 1):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = (1.0 - (update - 1.0) / num_updates) * args.learning_rate
        for step in range(T):
            global_step += N
            obs[step], valid[step] = next_obs, torch.as_tensor(~resetting, dtype=torch.float32)
            masks[step] = torch.as_tensor(get_masks())
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs, masks[step], generator=generator)
            actions[step], logprobs[step], values[step] = action, logprob, value
            obs_np, reward, terminated, truncated, _ = envs.step(action.numpy())
            done = np.logical_or(terminated, truncated)
            rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            ended[step] = torch.as_tensor(done, dtype=torch.float32)
            episode_return += np.where(resetting, 0.0, reward)
            finished_returns += episode_return[done].tolist()
            episode_return[done] = 0.0
            resetting = done if next_step_reset else np.zeros(N, dtype=bool)
            next_obs = flatten_obs(obs_np, keys)

        with torch.no_grad():
            advantages, returns = advantages_and_returns(rewards, values, ended, valid, agent.get_value(next_obs),
                                                         args.gamma, args.gae_lambda)
        keep = valid.reshape(-1).bool()  # reset-only steps teach nothing
        b_obs, b_masks = obs.reshape(batch_size, -1)[keep], masks.reshape(batch_size, -1)[keep]
        b_actions = actions.reshape(batch_size, -1)[keep]
        b_logprobs, b_adv = logprobs.reshape(-1)[keep], advantages.reshape(-1)[keep]
        b_returns, b_values = returns.reshape(-1)[keep], values.reshape(-1)[keep]
        n = b_obs.shape[0]
        minibatch = max(1, n // args.num_minibatches)
        clipfracs = []
        for _ in range(args.update_epochs):
            order = torch.randperm(n, generator=generator)
            for lo in range(0, n, minibatch):
                mb = order[lo:lo + minibatch]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_masks[mb], b_actions[mb])
                logratio = newlogprob - b_logprobs[mb]
                ratio = logratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean().item())
                mb_adv = b_adv[mb]
                if mb.numel() > 1:
                    mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = torch.max(-mb_adv * ratio,
                                    -mb_adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_clipped = b_values[mb] + torch.clamp(newvalue - b_values[mb], -args.clip_coef, args.clip_coef)
                v_loss = 0.5 * torch.max((newvalue - b_returns[mb]) ** 2, (v_clipped - b_returns[mb]) ** 2).mean()
                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + args.vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        var_y = b_returns.var().item()
        explained = float("nan") if var_y == 0 else 1 - (b_returns - b_values).var().item() / var_y
        row = {"update": update, "global_step": global_step, "samples": n, "policy_loss": pg_loss.item(),
               "value_loss": v_loss.item(), "entropy": entropy_loss.item(), "approx_kl": approx_kl.item(),
               "clipfrac": float(np.mean(clipfracs)), "explained_variance": explained,
               "sps": int(global_step / (time.time() - started))}
        updates.append(row)
        print(f"update {update}/{num_updates} step {global_step}: policy_loss {row['policy_loss']:.4f} "
              f"value_loss {row['value_loss']:.4f} entropy {row['entropy']:.2f} approx_kl {row['approx_kl']:.4f} "
              f"episodes {len(finished_returns)} SPS {row['sps']}")

    end_params = torch.cat([p.detach().flatten() for p in agent.parameters()])
    return {"env_id": args.env_id, "vector_env": type(envs.unwrapped).__name__, "mask_source": mask_source,
            "global_step": global_step, "updates": updates, "episodes": len(finished_returns),
            "mean_episode_return": float(np.mean(finished_returns)) if finished_returns else None,
            "parameter_change": float(torch.linalg.vector_norm(end_params - start_params))}


def main(argv: Sequence[str] | None = None) -> int:
    """Trains, prints one line per update, and writes the summary if asked."""
    args = parse_args(argv)
    summary = train(args)
    if args.summary_json is not None:
        args.summary_json.write_text(json.dumps(summary, indent=2))
    print(f"{summary['global_step']} steps, {summary['episodes']} episodes, "
          f"mean episode return {summary['mean_episode_return']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
