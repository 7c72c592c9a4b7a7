"""Environment steps per second during PPO training, for 1, 2 and 4 environments.

``python -m agents.rl.speed`` prints a table and writes ``rl_speed.csv`` and
``rl_speed.md`` into a new ``runs/rl-speed-<timestamp>/`` (``--out-dir`` to choose,
``--update-committed`` to refresh ``benchmarks/results/``). Each row is a short PPO
run (``timesteps`` environment steps, rollouts and gradient updates included)
timed around ``learn``; one run of PPO on ``CartPole-v1`` in the same process
gives a machine-independent ratio (absolute figures drift on shared machines).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import time
from pathlib import Path
from typing import Sequence

from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

log = logging.getLogger(__name__)

_PPO_KW = {"n_steps": 128, "batch_size": 128, "n_epochs": 2}
#: The committed results folder of a source checkout, refreshed only with ``--update-committed``
#: (a path, not an import: agents never import benchmarks).
COMMITTED_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def _timed_ppo(env_id: str, n_envs: int, vec: str, timesteps: int, seed: int) -> float:
    """Steps per second of one short PPO run."""
    import torch
    from stable_baselines3 import PPO

    from agents.rl.envs import make_vec_env

    torch.set_num_threads(1)
    venv = make_vec_env(env_id, n_envs, vec, seed)
    try:
        policy = "MlpPolicy"
        if env_id.startswith("SplitPlace"):
            from agents.rl.policies import GroupedMultiInputPolicy

            policy = GroupedMultiInputPolicy
        model = PPO(policy, venv, seed=seed, device="cpu", **_PPO_KW)
        model.learn(_PPO_KW["n_steps"] * n_envs)  # warm-up: first rollout and update
        t0 = time.perf_counter()
        model.learn(timesteps, reset_num_timesteps=False)
        dt = time.perf_counter() - t0
    finally:
        venv.close()
    return timesteps / dt


def ppo_steps_per_second(n_envs_list: Sequence[int] = (1, 2, 4), env_id: str = "SplitPlace-v0",
                         timesteps: int = 1024, vec: str = "subproc", seed: int = 0,
                         reference: bool = True) -> dict:
    """Measures environment steps per second during PPO training.

    Args:
        n_envs_list: numbers of parallel environments to measure.
        env_id: environment id.
        timesteps: timed steps per measurement (after a one-rollout warm-up).
        vec: "subproc" or "dummy" for more than one environment (one env: dummy).
        seed: seed of every run.
        reference: also time PPO on ``CartPole-v1`` (one env) for a ratio.

    Returns:
        ``{"env_id", "vec", "timesteps", "steps_per_s": {n: value}, "cartpole_steps_per_s"}``
        (the last is None without ``reference``).
    """
    out = {"env_id": env_id, "vec": vec, "timesteps": timesteps, "steps_per_s": {}, "cartpole_steps_per_s": None}
    for n in n_envs_list:
        kind = "dummy" if n == 1 else vec
        out["steps_per_s"][int(n)] = _timed_ppo(env_id, int(n), kind, timesteps, seed)
        log.info("%s, %d env(s) (%s): %.1f steps/s", env_id, n, kind, out["steps_per_s"][int(n)])
    if reference:
        out["cartpole_steps_per_s"] = _timed_ppo("CartPole-v1", 1, "dummy", timesteps, seed)
    return out


def write_results(result: dict, out_dir: str | os.PathLike) -> tuple[str, str]:
    """Writes ``rl_speed.csv`` and ``rl_speed.md`` into ``out_dir`` (chosen by the caller,
    e.g. ``splitplace_env.outputs.resolve_output_dir``); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    ref = result.get("cartpole_steps_per_s")
    rows = []
    one = result["steps_per_s"].get(1)
    for n, v in sorted(result["steps_per_s"].items()):
        rows.append({"env_id": result["env_id"], "n_envs": n, "vec": "dummy" if n == 1 else result["vec"],
                     "timesteps": result["timesteps"], "steps_per_s": round(v, 1),
                     "speedup_vs_1_env": round(v / one, 2) if one else "",
                     "ratio_to_cartpole_ppo": round(v / ref, 3) if ref else ""})
    csv_path = os.path.join(out_dir, "rl_speed.csv")
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    md_path = os.path.join(out_dir, "rl_speed.md")
    lines = [f"# PPO training throughput on {result['env_id']}", "",
             "Environment steps per second during `stable_baselines3.PPO.learn` (rollouts and updates "
             f"included; n_steps={_PPO_KW['n_steps']} per env, batch {_PPO_KW['batch_size']}, "
             f"{_PPO_KW['n_epochs']} epochs, torch 1 thread), {result['timesteps']} timed steps after a "
             "one-rollout warm-up.", ""]
    if ref:
        lines += [f"Reference in the same process: PPO on CartPole-v1 (1 env) = {ref:.0f} steps/s.", ""]
    lines += ["| envs | vec | steps/s | speed-up vs 1 env | ratio to CartPole PPO |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['n_envs']} | {r['vec']} | {r['steps_per_s']} | {r['speedup_vs_1_env']} | "
                     f"{r['ratio_to_cartpole_ppo']} |")
    with open(md_path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return csv_path, md_path


def check_env_id(env_id: str) -> str:
    """``--env``: a registered Gymnasium id (a ``type=`` converter, so the error names the option)."""
    import gymnasium as gym

    import splitplace_env  # noqa: F401  (registers the ids)

    if env_id not in gym.registry:
        known = ", ".join(sorted(e for e in gym.registry if e.startswith("SplitPlace")))
        raise argparse.ArgumentTypeError(f"unregistered environment id {env_id!r}; expected one of {known}")
    return env_id


def build_parser(prog: str = "python -m agents.rl.speed") -> argparse.ArgumentParser:
    """The command's parser (one-line errors, range-checked counts, defaults in the help)."""
    p = CommandParser(prog=prog, description=__doc__.split("\n")[0])
    p.add_argument("--env", type=check_env_id, default="SplitPlace-v0", help="environment id")
    p.add_argument("--n-envs", type=int_arg(1), nargs="+", default=[1, 2, 4], help="parallel env counts")
    p.add_argument("--timesteps", type=int_arg(1), default=1024, help="timed PPO steps per measurement")
    p.add_argument("--vec", choices=("subproc", "dummy"), default="subproc",
                   help="vectorised env type for more than one env")
    add_output_arguments(p, "benchmarks/results/rl_speed.*", what="folder for rl_speed.csv and rl_speed.md")
    p.add_argument("--no-reference", action="store_true", help="skip the CartPole-v1 reference run")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """``python -m agents.rl.speed``: measures, prints and writes the table.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: the program name shown in usage and errors.
    """
    p = build_parser(prog or "python -m agents.rl.speed")
    args = p.parse_args(argv)
    try:
        out_dir = resolve_output_dir("rl-speed", args.out_dir, update_committed=args.update_committed,
                                     committed=COMMITTED_DIR)
    except OutputPathError as exc:
        p.error(str(exc))
    res = ppo_steps_per_second(args.n_envs, args.env, args.timesteps, args.vec, reference=not args.no_reference)
    for n, v in sorted(res["steps_per_s"].items()):
        print(f"{res['env_id']}: {n} env(s): {v:.1f} steps/s")
    if res["cartpole_steps_per_s"]:
        print(f"CartPole-v1 PPO reference: {res['cartpole_steps_per_s']:.1f} steps/s")
    for path in write_results(res, out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
