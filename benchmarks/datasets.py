"""``splitplace datasets``: record agents' episodes as Minari datasets for offline RL.

``python -m benchmarks.datasets --agent least-loaded --episodes 10`` (or
``splitplace datasets ...``) plays episodes of each ``--agent`` on ``--env`` and
writes one Minari dataset per agent, ``splitplace/<env id>/<agent>-v0``, under
the Minari root ``--out-dir`` (default: a new ``runs/datasets-<timestamp>/``;
``~/.minari`` is never touched). Episode k uses seed ``--seed + k`` for both the
environment and a freshly built agent (as Table 1 plays them), so the same seeds
give the same tasks to every agent and each episode replays on its own.

What each dataset holds (Minari's layout: N actions, N + 1 observations and infos):

* ``observations``: the env's observation dict (``hosts``, ``tasks``,
  ``fragments``, ``globals``), without the mask;
* ``actions``: the flat ``MultiDiscrete`` action the agent chose;
* ``rewards``, ``terminations``, ``truncations``;
* ``infos``: only fixed-shape entries (``RECORDED_INFO`` scalars, the reward terms,
  ``host_up`` and ``host_util`` (H,)) and ``action_mask``: the int8 factored mask
  (``T*S + 5T*(H+1)``) of the state of the observation with the same index, i.e.
  the mask for ``actions[i]`` is ``infos["action_mask"][i]``. The env's
  variable-length entries (``finished``, ``pending``) are left out: Minari needs
  every step's info to have the same structure.

The environment spec (id, preset, kwargs, ``max_episode_steps``) is stored, so
``minari.load_dataset(id).recover_environment()`` rebuilds the env; the same spec
is stored as the evaluation env. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import gymnasium as gym
import minari
import numpy as np
from minari import StepDataCallback
from minari.data_collector import EpisodeBuffer

import splitplace_env
from splitplace_env.cli_args import CommandParser, fail, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

#: Scalar ``info`` entries every step has (``SplitPlaceEnv`` docstring), recorded as numpy scalars.
RECORDED_INFO_INT = ("interval", "new_tasks", "queue_length", "backlog", "placements", "migrations",
                     "infeasible_placements", "ignored_actions", "evicted", "fault_restarts", "arrived_total",
                     "finished_total")
RECORDED_INFO_FLOAT = ("energy_j", "paged_mb")
#: Every recorded scalar entry (the reward terms of ``info["rewards"]`` come beside them, flattened).
RECORDED_INFO = RECORDED_INFO_INT + RECORDED_INFO_FLOAT
#: Per-host arrays copied from ``info`` (the env returns views of its state).
RECORDED_HOST_ARRAYS = ("host_up", "host_util")
#: Namespace of the default dataset ids.
NAMESPACE = "splitplace"
#: Upper bound of ``--episodes`` (a dataset beyond it would not fit on a laptop disk).
MAX_EPISODES = 100_000


def fixed_shape_info(env: gym.Env, info: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``info`` a Minari dataset can hold, plus ``action_mask`` (int8).

    Args:
        env: the environment (its ``unwrapped.action_masks()`` gives the mask of
            the state just returned).
        info: the info dict ``reset`` / ``step`` returned.
    """
    out: dict[str, Any] = {k: np.int64(info[k]) for k in RECORDED_INFO_INT}
    out.update({k: np.float64(info[k]) for k in RECORDED_INFO_FLOAT})
    out.update({k: np.float64(v) for k, v in info["rewards"].items()})
    out.update({k: np.array(info[k]) for k in RECORDED_HOST_ARRAYS})  # copies: the env reuses its buffers
    out["action_mask"] = env.unwrapped.action_masks().astype(np.int8)
    return out


class MaskedStepData(StepDataCallback):
    """Minari step data with the fixed-shape info and the action mask (``fixed_shape_info``)."""

    def __call__(self, env: gym.Env, obs: Any, info: dict[str, Any], action: Any = None, rew: Any = None,
                 terminated: bool | None = None, truncated: bool | None = None):
        return super().__call__(env, obs=obs, info=fixed_shape_info(env, info), action=action, rew=rew,
                                terminated=terminated, truncated=truncated)


def default_dataset_id(env_id: str, agent: str) -> str:
    """``splitplace/<env id>/<agent>-v0``, the agent's name made a valid Minari name.

    Characters Minari refuses in a name (``+``, ``:``...) become ``_``; an
    ``rl:PATH`` agent is named ``rl-<file stem>``.
    """
    if agent.startswith("rl:"):
        stem = Path(agent[3:].rstrip("/\\")).name
        agent = "rl-" + (stem[:-4] if stem.endswith(".zip") else stem)
    name = re.sub(r"[^-\w]+", "_", agent)
    return f"{NAMESPACE}/{env_id}/{name}-v0"


def check_dataset_id(dataset_id: str) -> None:
    """Raises ``ValueError`` unless ``dataset_id`` is a Minari id ``(namespace/)name-vN``."""
    from minari.dataset.minari_dataset import parse_dataset_id

    try:
        parse_dataset_id(dataset_id)
    except (ValueError, TypeError):
        raise ValueError(f"dataset id {dataset_id!r} is not a Minari id; expected (namespace/)name-vN "
                         "with letters, digits, '-' or '_' in the name, e.g. splitplace/mine-v0") from None


@contextlib.contextmanager
def minari_root(path: str | os.PathLike) -> Iterator[Path]:
    """Points Minari at ``path`` (``MINARI_DATASETS_PATH``) inside the block, then restores it."""
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(Path(path).resolve())
    try:
        yield Path(path)
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def _with_mask(obs: Mapping[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {**obs, "action_mask": mask}  # what ``MaskObservation`` gives agents


def record_dataset(agent: str, root: str | os.PathLike, *, env_id: str = "SplitPlace-v0", episodes: int = 1,
                   seed: int = 0, dataset_id: str | None = None, max_episode_steps: int | None = None,
                   env_kwargs: Mapping[str, Any] | None = None) -> "minari.MinariDataset":
    """Plays ``episodes`` episodes of ``agent`` and writes them as a Minari dataset.

    Args:
        agent: an ``agents.registry`` name or ``"rl:PATH"``.
        root: the Minari root folder (``MINARI_DATASETS_PATH``) to write into.
        env_id: a registered interval-view id (``splitplace_env.ENV_IDS``).
        episodes: number of episodes; episode k is played by a freshly built agent,
            env and agent seeded ``seed + k`` (what ``agents.runner.run_episode`` does).
        seed: seed of the first episode.
        dataset_id: the Minari id (default ``default_dataset_id(env_id, agent)``).
        max_episode_steps: intervals per episode (default: the id's).
        env_kwargs: config fields for ``gym.make`` (default: what the agent needs,
            ``agents.registry.env_kwargs_for``).

    Returns:
        The dataset, open (its files are under ``root``).

    Raises:
        ValueError: unknown env id or agent, a malformed or existing dataset id,
            or ``episodes`` < 1.
    """
    from agents.registry import env_kwargs_for, make_agent

    if env_id not in splitplace_env.ENV_IDS:
        raise ValueError(f"env_id: {env_id!r} is not an interval-view SplitPlace id; expected one of "
                         f"{', '.join(splitplace_env.ENV_IDS)}")
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    dataset_id = dataset_id or default_dataset_id(env_id, agent)
    check_dataset_id(dataset_id)
    if (Path(root) / dataset_id).exists():
        raise ValueError(f"dataset {dataset_id!r} already exists in {root}; choose another --dataset-id or --out-dir")
    kwargs = dict(env_kwargs_for(agent) if env_kwargs is None else env_kwargs)
    if max_episode_steps is not None:
        kwargs["max_episode_steps"] = max_episode_steps
    env = gym.make(env_id, **kwargs)
    try:
        # a fresh agent per episode, as Table 1 plays them: agents keep what they learn across
        # ``reset`` (demand tables, fine-tuned surrogates), so reusing one would make episode k
        # depend on episodes 0..k-1; this way (agent, seed + k) alone reproduces episode k
        buffers = [record_episode(env, make_agent(agent, env, seed=seed + k), seed + k, episode_id=k)
                   for k in range(episodes)]
        with minari_root(root), warnings.catch_warnings():
            # Minari warns of every metadata field left empty (author, code_permalink...)
            warnings.filterwarnings("ignore", message=r".*is set to None", category=UserWarning)
            return minari.create_dataset_from_buffers(
                dataset_id=dataset_id, buffer=buffers, env=env, eval_env=env.spec, algorithm_name=agent,
                description=(f"{episodes} episodes of agent {agent!r} on {env_id} (seeds {seed}.."
                             f"{seed + episodes - 1}), recorded by splitplace datasets; infos hold the int8 "
                             "action_mask of each observation and the fixed-shape info entries"),
                requirements=["splitplace-env"])
    finally:
        env.close()


def record_episode(env: gym.Env, agent: Any, seed: int, episode_id: int | None = None) -> EpisodeBuffer:
    """Plays one episode of ``agent`` (env and agent seeded ``seed``) into a Minari ``EpisodeBuffer``.

    Each step goes through ``MaskedStepData`` as ``minari.DataCollector`` would
    pass it; the steps are stacked here because ``DataCollector`` needs jax
    (``minari[create]``) to append them, which the ``minari`` extra does not install.
    """
    step_data = MaskedStepData()
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    first = step_data(env, obs=obs, info=info)
    mask = first["info"]["action_mask"]  # the mask of the state agents act in
    steps = []
    done = False
    while not done:
        action = agent.act(_with_mask(obs, mask), info)
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append(step_data(env, obs=obs, info=info, action=action, rew=reward, terminated=terminated,
                               truncated=truncated))
        mask = steps[-1]["info"]["action_mask"]
        agent.update(_with_mask(obs, mask), reward, terminated, truncated, info)
        done = terminated or truncated
    states = [first] + steps
    return EpisodeBuffer(
        id=episode_id, seed=seed,
        observations={k: np.stack([s["observation"][k] for s in states]) for k in first["observation"]},
        actions=np.stack([s["action"] for s in steps]),
        rewards=[s["reward"] for s in steps], terminations=[s["terminated"] for s in steps],
        truncations=[s["truncated"] for s in steps],
        infos={k: np.stack([s["info"][k] for s in states]) for k in first["info"]})


def load_dataset(dataset_id: str, root: str | os.PathLike) -> "minari.MinariDataset":
    """``minari.load_dataset(dataset_id)`` from the Minari root ``root`` (nothing downloaded)."""
    with minari_root(root):
        return minari.load_dataset(dataset_id, download=False)


def build_parser(prog: str = "python -m benchmarks.datasets") -> argparse.ArgumentParser:
    """The command's parser."""
    parser = CommandParser(
        prog=prog, description="Record episodes of SplitPlace agents as Minari datasets (one per --agent) for "
                               "offline RL and imitation learning; the env spec and the action masks are stored.")
    parser.add_argument("--agent", action="append", required=True, metavar="NAME",
                        help="agent to record (repeatable: one dataset each): an agents.registry name "
                             "(e.g. least-loaded, SplitPlace, MC) or rl:PATH of a saved SB3 model")
    parser.add_argument("--env", default="SplitPlace-v0", help="environment id (an interval-view SplitPlace id)")
    parser.add_argument("--episodes", type=int_arg(1, MAX_EPISODES), default=10, help="episodes per agent")
    parser.add_argument("--seed", type=int_arg(0), default=0, help="seed of episode 0; episode k uses seed + k")
    parser.add_argument("--max-episode-steps", type=int_arg(1), default=None, metavar="N",
                        help="intervals per episode (default: the environment id's)")
    parser.add_argument("--dataset-id", action="append", default=None, metavar="ID",
                        help="Minari id of the dataset, once per --agent, in the same order "
                             "(default: splitplace/<env>/<agent>-v0)")
    parser.add_argument("--out-dir", default=None, metavar="PATH",
                        help="Minari root folder for the datasets (MINARI_DATASETS_PATH; default: a new "
                             "runs/datasets-<timestamp>/ under the current directory; ~/.minari is never used)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m benchmarks.datasets") -> int:
    """Entry point; returns the exit code."""
    from benchmarks.experiment import check_agents

    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.env not in splitplace_env.ENV_IDS:
        parser.error(f"--env: {args.env!r} is not an interval-view SplitPlace id; expected one of "
                     f"{', '.join(splitplace_env.ENV_IDS)}")
    agents = list(dict.fromkeys(args.agent))
    if len(agents) != len(args.agent):
        parser.error(f"--agent: each agent once, got {args.agent}")
    try:
        check_agents(agents, args.env)
    except ValueError as exc:
        parser.error(f"--agent: {exc}")
    if args.dataset_id is None:
        ids = [default_dataset_id(args.env, a) for a in agents]
    elif len(args.dataset_id) != len(agents):
        parser.error(f"--dataset-id: give one per --agent ({len(agents)}), got {len(args.dataset_id)}")
    else:
        ids = list(args.dataset_id)
    if len(set(ids)) != len(ids):
        parser.error(f"--dataset-id: the ids must differ, got {ids}")
    for dataset_id in ids:
        try:
            check_dataset_id(dataset_id)
        except ValueError as exc:
            parser.error(f"--dataset-id: {exc}")
    if args.out_dir is not None:
        taken = [i for i in ids if (Path(args.out_dir) / i).exists()]
        if taken:
            parser.error(f"--out-dir: {args.out_dir} already holds {', '.join(taken)}; choose another folder or id")
    try:
        root = resolve_output_dir("datasets", args.out_dir)
    except OutputPathError as exc:
        return fail(prog, str(exc))
    for agent, dataset_id in zip(agents, ids):
        dataset = record_dataset(agent, root, env_id=args.env, episodes=args.episodes, seed=args.seed,
                                 dataset_id=dataset_id, max_episode_steps=args.max_episode_steps)
        print(f"{dataset_id}: {dataset.total_episodes} episodes, {dataset.total_steps} steps of {agent} "
              f"on {args.env} -> {root / dataset_id}")
    print(f"wrote {len(ids)} dataset(s) under {root}; load with MINARI_DATASETS_PATH={root} and "
          f"minari.load_dataset({ids[0]!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
