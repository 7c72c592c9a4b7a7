"""Vector env-steps/s and PPO training rates beside CartPole-v1, measured in one process.

``python -m benchmarks.rl_throughput`` measures:

1. **Native vector env**: ``gym.make_vec("SplitPlace-v0", num_envs=N)`` at N = 1, 4,
   16, 64, 256 against CartPole-v1's native vector env (``vector_entry_point``) at
   the same N. Before every SplitPlace step, fresh masks come from
   ``action_masks()`` and one allowed choice per entry is drawn (outside the timed
   call); the two are timed in alternating blocks, so machine load hits both.
2. **PPO training**: environment steps per second of ``learn`` (rollouts and
   updates) for the README's plain script (``gym.make`` + the project's grouped
   policy, PPO and MaskablePPO) and for ``splitplace train``'s environment
   (``agents.rl.envs.make_vec_env``: the native vector env behind SB3's
   ``VecEnv`` adapter), each beside PPO on CartPole-v1 with the same number of
   environments, ``n_steps``, batch, epochs and network (SB3's default 64 x 64),
   run in alternation.

Ratios are medians over the alternating pairs (means beside them). Writes
``rl_throughput.csv`` and ``rl_throughput.md`` into a new run directory, or
``--out-dir``, or ``benchmarks/results/`` with ``--update-committed``.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from typing import Callable, Sequence

import numpy as np

from benchmarks.paper import RESULTS_DIR
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

#: PPO settings of every timed run (SplitPlace and CartPole alike).
PPO_KW = {"n_steps": 256, "batch_size": 64, "n_epochs": 4}
#: The committed results folder ``--update-committed`` refreshes (absolute, not relative to the cwd).
COMMITTED_DIR = RESULTS_DIR


def masked_random_actions(masks: np.ndarray, n_tasks: int, n_splits: int, n_hosts: int,
                          rng: np.random.Generator) -> np.ndarray:
    """One uniformly drawn allowed choice per entry of every row of (N, mask) ``masks``."""
    n = masks.shape[0]
    split_part = masks[:, :n_tasks * n_splits].reshape(n, n_tasks, n_splits)
    host_part = masks[:, n_tasks * n_splits:].reshape(n, 5 * n_tasks, n_hosts + 1)
    splits = (rng.random(split_part.shape) * split_part).argmax(axis=2)
    hosts = (rng.random(host_part.shape) * host_part).argmax(axis=2)
    return np.ascontiguousarray(np.concatenate([splits, hosts], axis=1), dtype=np.int64)


def vector_rates(num_envs: Sequence[int], env_id: str = "SplitPlace-v0", steps: int = 200, blocks: int = 10,
                 seed: int = 0) -> list[dict]:
    """Env-steps/s of the native vector env and of CartPole-v1's, per N (alternating blocks)."""
    import gymnasium as gym

    import splitplace_env  # noqa: F401  (registers the ids)

    rows = []
    for n in num_envs:
        sp = gym.make_vec(env_id, num_envs=n)
        cp = gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
        e = sp.unwrapped.engine
        rng = np.random.default_rng(seed)
        sp.reset(seed=seed)
        cp.reset(seed=seed)
        masks = np.empty((n, e.mask_size), dtype=bool)
        cp_actions = rng.integers(0, 2, size=(steps, n))
        per_block = max(1, steps // blocks)
        sp_times, cp_times = [], []

        def next_actions() -> np.ndarray:  # fresh masks, one allowed choice per entry
            return masked_random_actions(sp.unwrapped.action_masks(out=masks), e.n_tasks, e.template.n_splits,
                                         e.n_hosts, rng)

        def timed(step: Callable[[np.ndarray], object], n_calls: int, out: list) -> None:
            for _ in range(n_calls):
                a = next_actions()
                t0 = time.perf_counter()
                step(a)
                out.append(time.perf_counter() - t0)

        for _ in range(3):  # warm-up (compiled kernels loaded, caches hot)
            sp.step(next_actions())
        for b in range(blocks):
            timed(sp.step, per_block, sp_times)
            for k in range(per_block):
                a = cp_actions[(b * per_block + k) % steps]
                t0 = time.perf_counter()
                cp.step(a)
                cp_times.append(time.perf_counter() - t0)
        # The compiled batched interval alone (``BatchEngine.step``: no info, no copies),
        # after the timed blocks (it steps the engine past the wrapper's bookkeeping).
        engine_times: list[float] = []
        timed(e.step, steps, engine_times)
        sp.close()
        cp.close()
        sp_t, cp_t = np.array(sp_times), np.array(cp_times)
        rows.append({"num_envs": n, "splitplace_env_steps_per_s": n / np.median(sp_t),
                     "cartpole_env_steps_per_s": n / np.median(cp_t),
                     "ratio_medians": float(np.median(cp_t) / np.median(sp_t)),
                     "ratio_means": float(cp_t.mean() / sp_t.mean()),
                     "splitplace_us_per_env_step": float(np.median(sp_t) / n * 1e6),
                     "engine_us_per_env_step": float(np.median(engine_times) / n * 1e6)})
    return rows


def _ppo_rate(build: Callable[[], object], timesteps: int) -> float:
    """Steps per second of ``learn(timesteps)`` after a one-rollout warm-up
    (``timesteps``: a multiple of a rollout, ``n_steps`` x envs)."""
    model = build()
    model.learn(PPO_KW["n_steps"] * model.n_envs)
    t0 = time.perf_counter()
    model.learn(timesteps, reset_num_timesteps=False)
    rate = timesteps / (time.perf_counter() - t0)
    model.get_env().close()
    return rate


def ppo_rates(timesteps: int = 1024, repeats: int = 5, n_envs_train: int = 4, seed: int = 0,
              stock_timesteps: int = 256) -> list[dict]:
    """PPO rates of the plain script and of ``splitplace train``'s env, each beside CartPole PPO
    (and one short run of the stock ``MultiInputPolicy``, ``stock_timesteps`` timed steps).

    Every case runs with torch pinned to 1 thread; the plain-script cases run again
    with torch's default thread count (what the README's script gets, as it sets
    none), CartPole with the same count in each pair.
    """
    import gymnasium as gym
    import torch
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import PPO

    import splitplace_env  # noqa: F401
    from agents.rl.envs import make_vec_env
    from agents.rl.policies import GroupedMaskableMultiInputPolicy, GroupedMultiInputPolicy

    default_threads = torch.get_num_threads()
    kw = dict(PPO_KW, device="cpu", seed=seed)
    plain_ppo = lambda: PPO(GroupedMultiInputPolicy, gym.make("SplitPlace-v0"), **kw)  # noqa: E731
    plain_maskable = lambda: MaskablePPO(GroupedMaskableMultiInputPolicy, gym.make("SplitPlace-v0"), **kw)  # noqa: E731
    cases = {
        ("plain script: PPO + gym.make", 1, 1): plain_ppo,
        ("plain script: MaskablePPO + gym.make", 1, 1): plain_maskable,
        ("splitplace train: MaskablePPO, native vector env", n_envs_train, 1):
            lambda: MaskablePPO(GroupedMaskableMultiInputPolicy,
                                make_vec_env("SplitPlace-v0", n_envs_train, "native", seed), **kw),
        ("splitplace train: PPO, native vector env", n_envs_train, 1):
            lambda: PPO(GroupedMultiInputPolicy, make_vec_env("SplitPlace-v0", n_envs_train, "native", seed), **kw),
    }
    if default_threads != 1:
        cases[("plain script: PPO + gym.make", 1, default_threads)] = plain_ppo
        cases[("plain script: MaskablePPO + gym.make", 1, default_threads)] = plain_maskable
    # SB3's stock policy, for the record: one Categorical per action entry (slow: one short run)
    stock = ("plain script: PPO + stock MultiInputPolicy", 1, 1)
    cases[stock] = lambda: PPO("MultiInputPolicy", gym.make("SplitPlace-v0"), **kw)
    rows = []
    try:
        for (name, n, threads), build in cases.items():
            torch.set_num_threads(threads)
            sp, cp = [], []
            steps, runs = (stock_timesteps, 1) if (name, n, threads) == stock else (timesteps, repeats)
            for _ in range(runs):  # alternate, so that load drifts hit both
                cp.append(_ppo_rate(lambda: PPO("MlpPolicy", make_vec_env("CartPole-v1", n, "dummy", seed), **kw),
                                    timesteps))
                sp.append(_ppo_rate(build, steps))
            sp_a, cp_a = np.array(sp), np.array(cp)
            rows.append({"case": name, "n_envs": n, "torch_threads": threads,
                         "splitplace_steps_per_s": float(np.median(sp_a)),
                         "cartpole_steps_per_s": float(np.median(cp_a)),
                         "ratio_medians": float(np.median(sp_a / cp_a)), "ratio_means": float(np.mean(sp_a / cp_a))})
    finally:
        torch.set_num_threads(default_threads)
    return rows


def write_results(vec_rows: list[dict], ppo_rows: list[dict], out_dir: str, args: argparse.Namespace) -> list[str]:
    """Writes ``rl_throughput.csv`` and ``rl_throughput.md``; returns their paths."""
    csv_path = os.path.join(out_dir, "rl_throughput.csv")
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["part", "case", "n_envs", "torch_threads", "splitplace_rate", "cartpole_rate", "ratio_medians",
                    "ratio_means", "engine_us_per_env_step"])
        for r in vec_rows:
            w.writerow(["vector_env", "env steps/s", r["num_envs"], "", round(r["splitplace_env_steps_per_s"], 1),
                        round(r["cartpole_env_steps_per_s"], 1), round(r["ratio_medians"], 4),
                        round(r["ratio_means"], 4), round(r["engine_us_per_env_step"], 2)])
        for r in ppo_rows:
            w.writerow(["ppo", r["case"], r["n_envs"], r["torch_threads"], round(r["splitplace_steps_per_s"], 1),
                        round(r["cartpole_steps_per_s"], 1), round(r["ratio_medians"], 4), round(r["ratio_means"], 4),
                        ""])
    md = ["# RL throughput: the native vector env and PPO training, beside CartPole-v1", "",
          f"Command: `python -m benchmarks.rl_throughput{' ' + ' '.join(args.argv) if args.argv else ''}`. "
          "One process, SplitPlace and CartPole timed in alternation; ratios are medians over the pairs "
          "(means beside them).", ""]
    if vec_rows:
        md += ["## Native vector env (`gym.make_vec`, one compiled call per step)", "",
               "Fresh masks and one allowed choice per entry are drawn before every SplitPlace step, outside the "
               f"timed call; CartPole-v1's native vector env (`vector_entry_point`) takes random actions. "
               f"{args.vec_steps} steps per N in {args.blocks} alternating blocks.", "",
               "| envs | SplitPlace env-steps/s | CartPole env-steps/s | ratio (medians) | ratio (means) | "
               "SplitPlace us per env-step | of which the compiled interval |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for r in vec_rows:
            md.append(f"| {r['num_envs']} | {r['splitplace_env_steps_per_s']:,.0f} | "
                      f"{r['cartpole_env_steps_per_s']:,.0f} | {r['ratio_medians']:.3f} | {r['ratio_means']:.3f} | "
                      f"{r['splitplace_us_per_env_step']:.1f} | {r['engine_us_per_env_step']:.1f} |")
        md += ["", "The last column times `BatchEngine.step` alone (the compiled interval and observation of "
               "every environment, without the Gymnasium shell: no info arrays, no copies), in a separate "
               f"run of {args.vec_steps} steps after the blocks; medians."]
        md.append("")
    if ppo_rows:
        md += ["## PPO training (environment steps per second of `learn`)", "",
               f"n_steps={PPO_KW['n_steps']} per env, batch {PPO_KW['batch_size']}, {PPO_KW['n_epochs']} epochs, "
               "SB3's default 64 x 64 network, for SplitPlace and CartPole alike, torch pinned to 1 thread or, for "
               "the plain script again, at torch's default thread count (the README's script sets none); "
               f"{args.timesteps} timed steps after a one-rollout warm-up, {args.repeats} alternating repeats. "
               "SplitPlace uses the project's grouped policies (`agents.rl.policies`); CartPole SB3's MlpPolicy "
               "on a DummyVecEnv of as many envs.", "",
               "| case | envs | torch threads | SplitPlace steps/s | CartPole PPO steps/s | ratio (medians) | "
               "ratio (means) |",
               "|---|---:|---:|---:|---:|---:|---:|"]
        for r in ppo_rows:
            md.append(f"| {r['case']} | {r['n_envs']} | {r['torch_threads']} | {r['splitplace_steps_per_s']:.0f} | "
                      f"{r['cartpole_steps_per_s']:.0f} | {r['ratio_medians']:.3f} | {r['ratio_means']:.3f} |")
        md.append("")
    md_path = os.path.join(out_dir, "rl_throughput.md")
    with open(md_path, "w") as fh:
        fh.write("\n".join(md))
    return [csv_path, md_path]


def build_parser(prog: str = "python -m benchmarks.rl_throughput") -> argparse.ArgumentParser:
    """The rl-throughput command's parser (one-line errors, range-checked counts, defaults in the help)."""
    p = CommandParser(prog=prog, description=__doc__.split("\n")[0])
    p.add_argument("--num-envs", type=int_arg(1), nargs="+", default=[1, 4, 16, 64, 256],
                   help="vector env sizes to measure")
    p.add_argument("--vec-steps", type=int_arg(1), default=200, help="timed vector steps per size")
    p.add_argument("--blocks", type=int_arg(1), default=10, help="alternating blocks per size")
    p.add_argument("--timesteps", type=int_arg(1), default=1024, help="timed PPO steps per run")
    p.add_argument("--repeats", type=int_arg(1), default=5, help="alternating PPO runs per case")
    p.add_argument("--skip-vector", action="store_true", help="skip the vector env part")
    p.add_argument("--skip-ppo", action="store_true", help="skip the PPO part")
    add_output_arguments(p, "benchmarks/results/rl_throughput.*",
                         what="folder for rl_throughput.csv and rl_throughput.md")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """``python -m benchmarks.rl_throughput``: measures, prints and writes the tables.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: the program name shown in usage and errors (``benchmarks.cli`` passes it).
    """
    p = build_parser(prog or "python -m benchmarks.rl_throughput")
    args = p.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    try:
        out_dir = str(resolve_output_dir("rl-throughput", args.out_dir, update_committed=args.update_committed,
                                         committed=COMMITTED_DIR))
    except OutputPathError as exc:
        p.error(str(exc))
    vec_rows = [] if args.skip_vector else vector_rates(args.num_envs, steps=args.vec_steps, blocks=args.blocks)
    for r in vec_rows:
        print(f"vector env, {r['num_envs']} envs: {r['splitplace_env_steps_per_s']:,.0f} env-steps/s, "
              f"CartPole {r['cartpole_env_steps_per_s']:,.0f}, ratio {r['ratio_medians']:.3f}")
    ppo_rows = [] if args.skip_ppo else ppo_rates(args.timesteps, args.repeats)
    for r in ppo_rows:
        print(f"{r['case']} ({r['n_envs']} envs, {r['torch_threads']} torch threads): "
              f"{r['splitplace_steps_per_s']:.0f} steps/s, CartPole PPO "
              f"{r['cartpole_steps_per_s']:.0f}, ratio {r['ratio_medians']:.3f}")
    for path in write_results(vec_rows, ppo_rows, out_dir, args):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
