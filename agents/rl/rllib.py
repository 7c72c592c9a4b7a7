"""Optional Ray RLlib training on SplitPlace (``pip install "ray[rllib]"``).

RLlib pins gymnasium 1.2.x; SplitPlace works on it (see ``docs/RL.md``), but the
project's own RL tooling (SB3) does not need RLlib, so this module imports Ray
only when called. ``make rllib-venv`` builds a venv of its own for it
(``.venv-rllib``, where the RLlib test trains).

* ``register()`` registers ``"SplitPlace-rllib"`` with ``ray.tune.registry.register_env``.
* Every environment copy seeds its first episode from the base seed and its
  place in the cluster: ``derive_seed(seed, env_config.worker_index,
  env_config.vector_index)``, so copies never share an episode and a run is
  reproducible for a fixed number of runners and envs per runner.
* Observations are flattened (``FlattenObservation``) because RLlib's default
  models take a flat ``Box``; the action stays ``MultiDiscrete`` (RLlib's
  multi-categorical head, no mask: masking in RLlib needs a custom RLModule).

* ``resolve_ray_address`` finds the cluster an address such as ``"auto"`` means
  and checks within seconds that it answers, so a dead address (a stale
  ``ray_current_cluster`` left by a cluster that has ended) fails at once with
  how to start one, instead of ``ray.init`` retrying it for minutes. The
  sweeps' ``--ray-address`` uses it too.

Example::

    python -m agents.rl.rllib --env SplitPlace-small-v0 --iterations 5 --runners 2
    python -m agents.rl.rllib --address auto --runners 32 --envs-per-runner 4  # on a Ray cluster
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import gymnasium as gym

log = logging.getLogger(__name__)

RLLIB_ENV_NAME = "SplitPlace-rllib"
_STRIDE = 10_000  # seeds per runner: up to 10k vector envs per runner stay distinct


#: A live cluster accepts a TCP connection at once; past this an address counts as dead.
CONNECT_TIMEOUT_S = 3.0
START_HINT = ("start one with `ray start --head` (then pass auto or the address it prints), "
              "or drop the address to run on a local Ray of the command's own")


def ray_address_file() -> Path:
    """Where ``ray start`` records the address of the cluster it started (Ray's own rule).

    ``$RAY_TMPDIR/ray/ray_current_cluster``, else ``$TMPDIR/ray/...`` on Linux, else
    ``/tmp/ray/...``. ``ray stop`` removes it; a cluster that ends otherwise (its
    ``ray start --block`` killed, the machine rebooted) leaves it behind.
    """
    if os.environ.get("RAY_TMPDIR"):
        root = os.environ["RAY_TMPDIR"]
    elif sys.platform.startswith("linux") and "TMPDIR" in os.environ:
        root = os.environ["TMPDIR"]
    elif sys.platform.startswith(("linux", "darwin")):
        root = "/tmp"
    else:
        root = tempfile.gettempdir()
    return Path(root) / "ray" / "ray_current_cluster"


def resolve_ray_address(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """The ``HOST:PORT`` of the Ray cluster ``address`` names, checked to answer.

    Resolution follows ``ray.init``: a non-empty ``RAY_ADDRESS`` wins; ``"auto"``
    reads ``ray_address_file()``. Unlike ``ray.init``, ``"auto"`` with no such file
    does not fall back to joining any Ray process found on the machine (that may
    be another user's local Ray). Ray Client addresses (``ray://``) are returned
    unchanged.

    Args:
        address: ``"auto"``, ``HOST:PORT`` or ``ray://HOST:PORT``.
        timeout_s: how long the TCP connection to the cluster may take.

    Returns:
        The address to hand to ``ray.init``.

    Raises:
        ValueError: if the address is not ``auto``, ``HOST:PORT`` or ``ray://...``.
        ConnectionError: if no cluster is known or none answers there (within
            ``timeout_s``); the message says how to start one.
    """
    source = "the address given"
    if os.environ.get("RAY_ADDRESS"):
        address, source = os.environ["RAY_ADDRESS"], "RAY_ADDRESS"
    if address.startswith("ray://"):
        return address
    pointer = None
    if address == "auto":
        pointer = ray_address_file()
        if not pointer.is_file():
            raise ConnectionError(f"no Ray cluster to join: RAY_ADDRESS is unset and {pointer} does not exist; "
                                  f"{START_HINT}")
        address, source = pointer.read_text().strip(), str(pointer)
    host, sep, port = address.rpartition(":")
    if not (sep and host and port.isdigit()):
        raise ValueError(f"Ray address {address!r} (from {source}) must be auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        stale = (f"; {pointer} is left from a cluster that has ended (`ray stop` removes it)"
                 if pointer is not None else "")
        raise ConnectionError(f"no Ray cluster answers at {address} (from {source}: {exc}){stale}; "
                              f"{START_HINT}") from exc
    return address


def ray_address_argument(value: str) -> str:
    """``argparse`` type of an address option: ``resolve_ray_address``, errors as usage errors (exit 2)."""
    try:
        return resolve_ray_address(value)
    except (ValueError, ConnectionError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def derive_seed(seed: int, worker_index: int = 0, vector_index: int = 0) -> int:
    """Seed of one environment copy: distinct for each (runner, vector slot)."""
    return int(seed) + _STRIDE * int(worker_index) + int(vector_index)


class DerivedSeed(gym.Wrapper):
    """Seeds the first ``reset`` with a fixed seed; later episodes follow the env's own generator."""

    def __init__(self, env: gym.Env, seed: int) -> None:
        super().__init__(env)
        self.first_seed = seed
        self._first = True

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if self._first:
            self._first = False
            seed = self.first_seed
        else:
            seed = None  # RLlib may pass its own seed on every reset: keep the derived stream
        return self.env.reset(seed=seed, options=options)


def env_creator(env_config: Mapping[str, Any]) -> gym.Env:
    """Builds one copy for RLlib from ``env_config`` (an ``EnvContext`` or a plain dict).

    Keys: ``env_id`` (default ``SplitPlace-v0``), ``env_kwargs`` (``gym.make``
    kwargs), ``seed`` (base seed, default 0). ``worker_index`` and
    ``vector_index`` are read from the context's attributes when present.
    """
    import splitplace_env  # noqa: F401  (registers the ids in this worker)

    cfg = dict(env_config)
    env = gym.make(cfg.get("env_id", "SplitPlace-v0"), **dict(cfg.get("env_kwargs", {})))
    env = gym.wrappers.FlattenObservation(env)
    worker = getattr(env_config, "worker_index", cfg.get("worker_index", 0)) or 0
    vector = getattr(env_config, "vector_index", cfg.get("vector_index", 0)) or 0
    return DerivedSeed(env, derive_seed(cfg.get("seed", 0), worker, vector))


def register(name: str = RLLIB_ENV_NAME) -> str:
    """Registers ``env_creator`` with Ray Tune under ``name``; returns the name."""
    from ray.tune.registry import register_env

    register_env(name, env_creator)
    return name


def ppo_config(env_id: str = "SplitPlace-v0", env_kwargs: Mapping[str, Any] | None = None, seed: int = 0,
               runners: int = 0, envs_per_runner: int = 1, train_batch_size: int = 400,
               minibatch_size: int = 100, num_epochs: int = 2, lr: float = 3e-4):
    """An RLlib ``PPOConfig`` for SplitPlace (torch, new API stack defaults).

    Args:
        env_id: registered SplitPlace id.
        env_kwargs: ``gym.make`` kwargs.
        seed: base seed of the environments and of RLlib.
        runners: remote env runners (0: sample in the driver).
        envs_per_runner: vectorised envs in each runner.
        train_batch_size, minibatch_size, num_epochs, lr: PPO settings.
    """
    from ray.rllib.algorithms.ppo import PPOConfig

    name = register()
    return (PPOConfig()
            .environment(name, env_config={"env_id": env_id, "env_kwargs": dict(env_kwargs or {}), "seed": seed})
            .framework("torch")
            .env_runners(num_env_runners=runners, num_envs_per_env_runner=envs_per_runner)
            .training(train_batch_size=train_batch_size, minibatch_size=minibatch_size, num_epochs=num_epochs,
                      lr=lr)
            .debugging(seed=seed))


def train_ppo(iterations: int = 2, address: str | None = None, **config_kwargs: Any) -> list[dict]:
    """Runs ``iterations`` PPO iterations; returns RLlib's result dicts.

    Args:
        iterations: training iterations.
        address: Ray cluster address ("auto" to join a running cluster; None:
            start a local Ray with the runners' CPUs).
        **config_kwargs: ``ppo_config`` arguments.

    Raises:
        ConnectionError: if ``address`` names no cluster that answers (see ``resolve_ray_address``).
    """
    import ray

    started = False
    if not ray.is_initialized():
        # address="local" starts a cluster of our own even where `ray start` left one running.
        kw = ({"address": resolve_ray_address(address)} if address
              else {"address": "local", "num_cpus": max(1, config_kwargs.get("runners", 0)) + 1})
        ray.init(include_dashboard=False, log_to_driver=False, **kw)
        started = True
    try:
        algo = ppo_config(**config_kwargs).build_algo()
        results = []
        for i in range(iterations):
            results.append(algo.train())
            log.info("iteration %d: %s", i + 1, episode_return(results[-1]))
        algo.stop()
        return results
    finally:
        if started:
            ray.shutdown()


def episode_return(result: Mapping[str, Any]) -> float | None:
    """Mean episode return of an RLlib result (new or old key layout), if any episode ended."""
    runners = result.get("env_runners", {})
    for key in ("episode_return_mean", "episode_reward_mean"):
        if key in runners:
            return runners[key]
        if key in result:
            return result[key]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agents.rl.rllib``: a few PPO iterations, locally or on a Ray cluster."""
    p = argparse.ArgumentParser(prog="python -m agents.rl.rllib", description=__doc__.split("\n")[0])
    p.add_argument("--env", default="SplitPlace-v0")
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--runners", type=int, default=0)
    p.add_argument("--envs-per-runner", type=int, default=1)
    p.add_argument("--train-batch-size", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--address", default=None, type=ray_address_argument,
                   help='Ray cluster address, e.g. "auto" (a cluster started with `ray start --head`)')
    args = p.parse_args(argv)
    results = train_ppo(args.iterations, args.address, env_id=args.env, seed=args.seed, runners=args.runners,
                        envs_per_runner=args.envs_per_runner, train_batch_size=args.train_batch_size,
                        minibatch_size=min(100, args.train_batch_size))
    for i, r in enumerate(results, 1):
        print(f"iteration {i}: mean episode return {episode_return(r)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
