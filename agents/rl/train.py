"""Train an SB3 / sb3-contrib agent on SplitPlace: ``python -m agents.rl.train ALGO``.

Examples::

    python -m agents.rl.train maskable_ppo --timesteps 200000 --n-envs 2 --out runs/mppo
    python -m agents.rl.train ppo --env SplitPlace-small-v0 --tensorboard runs/tb
    python -m agents.rl.train dqn --env SplitPlace-PerDecision-v0 --env-kwargs '{"n_hosts": 4}'

A run directory (``--out``; default a new ``runs/<algo>-<env>-s<seed>-<timestamp>/``)
receives ``model.zip`` (final model), ``train.json``
(algorithm, environment, seed, wall time, steps per second), ``best/`` (best
evaluated model), ``eval/evaluations.npz``, ``checkpoints/`` and ``monitor/``
(training-episode CSVs). ``agents.rl.policy.load_rl_agent`` loads ``model.zip``
(or the run directory) as an agent.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from typing import Any, Sequence

from agents.rl.algos import ALGOS, fit_defaults, get_spec
from splitplace_env.cli_args import CommandParser, float_arg, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

log = logging.getLogger(__name__)


def _json_arg(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _net_arch_arg(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer sizes such as 256,256, got {text!r}")
    return sizes


def build_parser(prog: str = "python -m agents.rl.train") -> argparse.ArgumentParser:
    """The command-line parser of ``agents.rl.train``."""
    p = CommandParser(prog=prog, description="Train a Stable-Baselines3 / sb3-contrib agent on a SplitPlace "
                                              "environment and save its run directory.")
    p.add_argument("algo", help=f"one of {sorted(ALGOS)}")
    p.add_argument("--env", default=None, help="environment id (default: SplitPlace-v0; "
                   "SplitPlace-PerDecision-v0 for dqn)")
    p.add_argument("--env-kwargs", type=_json_arg, default={}, help="gym.make kwargs as JSON, e.g. '{\"n_hosts\": 4}'")
    p.add_argument("--timesteps", type=int_arg(1), default=100_000, help="environment steps to train for")
    p.add_argument("--n-envs", type=int_arg(1), default=1, help="parallel environments")
    p.add_argument("--vec", choices=("native", "dummy", "subproc"), default="native",
                   help="vectorisation: native = the batched vector env (one compiled call steps every env)")
    p.add_argument("--seed", type=int_arg(0), default=0, help="seed of the model and the environments")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="run directory (default: a new runs/ALGO-ENV-sSEED-<timestamp>/)")
    p.add_argument("--tensorboard", default=None, metavar="DIR", help="TensorBoard log directory")
    p.add_argument("--eval-freq", type=int_arg(0), default=10_000, help="evaluate every N steps (0: never)")
    p.add_argument("--eval-episodes", type=int_arg(1), default=3, help="episodes per evaluation")
    p.add_argument("--checkpoint-freq", type=int_arg(0), default=50_000, help="checkpoint every N steps (0: never)")
    p.add_argument("--hparams", type=_json_arg, default={}, help="algorithm kwargs as JSON, e.g. '{\"n_steps\": 128}'")
    p.add_argument("--net-arch", type=_net_arch_arg, default=None, help="hidden layer sizes, e.g. 256,256")
    p.add_argument("--threads", type=int_arg(1), default=1, help="torch threads")
    p.add_argument("--max-minutes", type=float_arg(0.0), default=None, help="stop after this much wall time")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", type=int_arg(0, 2), default=0, help="SB3 verbosity (0, 1 or 2)")
    return p


def train(algo: str, env_id: str | None = None, env_kwargs: dict | None = None, timesteps: int = 10_000,
          n_envs: int = 1, vec: str = "native", seed: int = 0, out: str | None = None,
          tensorboard: str | None = None, eval_freq: int = 10_000, eval_episodes: int = 3,
          checkpoint_freq: int = 50_000, hparams: dict | None = None, net_arch: Sequence[int] | None = None,
          threads: int = 1, progress: bool = False, verbose: int = 0,
          max_minutes: float | None = None) -> tuple[Any, dict[str, Any]]:
    """Trains one model and saves it; see ``build_parser`` for the meaning of the arguments.

    Returns:
        (model, summary) where summary is what ``train.json`` holds.
    """
    import torch

    from agents.rl.callbacks import build_callbacks
    from agents.rl.envs import make_vec_env

    torch.set_num_threads(threads)
    spec = get_spec(algo)
    env_id = env_id or spec.default_env
    out = str(resolve_output_dir(f"{spec.name}-{env_id}-s{seed}", out, out_option="--out"))
    venv = make_vec_env(env_id, n_envs, vec, seed, env_kwargs, monitor_dir=os.path.join(out, "monitor"))
    _check_action_space(spec, venv.action_space, env_id)
    # the same kind as the training envs (SB3 warns otherwise); one env, its own seeds
    eval_kind = "native" if vec == "native" else "dummy"
    eval_env = make_vec_env(env_id, 1, eval_kind, seed + 10_000, env_kwargs) if eval_freq > 0 else None
    kw = fit_defaults(spec, n_envs, hparams)
    if net_arch:
        kw["policy_kwargs"] = {**kw.get("policy_kwargs", {}), "net_arch": list(net_arch)}
    model = spec.cls()(spec.policy_cls(), venv, seed=seed, tensorboard_log=tensorboard, verbose=verbose,
                       device="cpu", **kw)
    callbacks = build_callbacks(out, eval_env, n_envs, spec.masked, eval_freq, eval_episodes,
                                checkpoint_freq, timesteps if progress else None,
                                max_minutes * 60 if max_minutes else None)
    t0 = time.perf_counter()
    model.learn(total_timesteps=timesteps, callback=callbacks, tb_log_name=f"{spec.name}-s{seed}")
    wall = time.perf_counter() - t0
    path = os.path.join(out, "model.zip")
    model.save(path)
    summary = {"algo": spec.name, "env_id": env_id, "env_kwargs": dict(env_kwargs or {}), "seed": seed,
               "timesteps": int(model.num_timesteps), "n_envs": n_envs, "vec": vec, "wall_s": wall,
               "max_minutes": max_minutes,
               "steps_per_s": model.num_timesteps / wall if wall > 0 else None,
               "hparams": {k: v for k, v in kw.items() if k != "policy_kwargs"},
               "net_arch": list(net_arch) if net_arch else None, "model": path}
    with open(os.path.join(out, "train.json"), "w") as fh:
        json.dump(summary, fh, indent=2, default=str)
    venv.close()
    if eval_env is not None:
        eval_env.close()
    log.info("trained %s on %s: %d steps in %.1f s", spec.name, env_id, model.num_timesteps, wall)
    return model, summary


def _check_action_space(spec, space, env_id: str) -> None:
    from gymnasium import spaces

    if spec.name == "dqn" and not isinstance(space, spaces.Discrete):
        raise ValueError(f"dqn needs a Discrete action space; {env_id} has {type(space).__name__} "
                         "(use --env SplitPlace-PerDecision-v0)")


def _check_options(args: argparse.Namespace) -> str | None:
    """The first problem with the options (env id, env kwargs, hyper-parameters), or None."""
    import inspect

    import gymnasium as gym

    spec = get_spec(args.algo)
    env_id = args.env or spec.default_env
    if env_id not in gym.registry:
        known = sorted(e for e in gym.registry if e.startswith("SplitPlace"))
        return f"--env: unregistered environment id {env_id!r}; expected one of {', '.join(known)}"
    try:
        gym.make(env_id, **args.env_kwargs).close()
    except (TypeError, ValueError) as exc:
        return f"--env-kwargs: {env_id} does not accept {json.dumps(args.env_kwargs)}: {exc}"
    accepted = set(inspect.signature(spec.cls().__init__).parameters) - {"self", "policy", "env"}
    unknown = sorted(set(args.hparams) - accepted)
    if unknown:
        return f"--hparams: {spec.name} has no parameter(s) {', '.join(unknown)}"
    return None


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point of ``python -m agents.rl.train`` and ``splitplace train``; returns an exit code."""
    parser = build_parser(prog or "python -m agents.rl.train")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        get_spec(args.algo)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    import splitplace_env  # noqa: F401  (registers the ids the options name)

    problem = _check_options(args)
    if problem:
        parser.error(problem)
    if args.out is not None:
        try:
            resolve_output_dir("train", args.out, out_option="--out")
        except OutputPathError as exc:
            parser.error(str(exc))
    _, summary = train(args.algo, args.env, args.env_kwargs, args.timesteps, args.n_envs, args.vec, args.seed,
                       args.out, args.tensorboard, args.eval_freq, args.eval_episodes, args.checkpoint_freq,
                       args.hparams, args.net_arch, args.threads, not args.no_progress, args.verbose,
                       args.max_minutes)
    print(f"{summary['algo']} on {summary['env_id']}: {summary['timesteps']} steps in {summary['wall_s']:.1f} s "
          f"({summary['steps_per_s']:.0f} steps/s) -> {summary['model']}")
    print(f"outputs in {os.path.dirname(summary['model'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
