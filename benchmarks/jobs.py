"""One benchmark job: run one agent for one seeded episode and return its metrics.

A job is a plain, picklable description ``(scenario, agent, seed, n_intervals,
env_kwargs)``; running it builds the agent in the worker (through
``agents.registry``), runs one episode through ``agents.runner.run_episode`` and
returns a flat row: the job's key fields, the Table 1 metrics (see
``benchmarks.paper.METRICS``) and the episode's wall time.

Every job is seeded only by its own ``seed`` (the environment seed, shared by
all agents: common random numbers; the agent is reset with the same seed), so
its result does not depend on where or in which order it runs.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from benchmarks.paper import METRIC_KEYS

logger = logging.getLogger(__name__)

#: Prefix of agent names that load a saved RL model: ``"rl:PATH"``.
RL_PREFIX = "rl:"

#: Our metric key -> (key in ``agents.episode_metrics.episode_metrics``, scale).
#: Energy: the agents package reports kWh; we report MJ (1 kWh = 3.6 MJ), the
#: unit the paper's published magnitude matches (see ``benchmarks.paper``).
EPISODE_METRICS: dict[str, tuple[str, float]] = {
    "energy": ("energy_kwh", 3.6),
    "sched_time": ("sched_time_s", 1.0),
    "jain": ("jain", 1.0),
    "wait_time": ("wait_intervals", 1.0),
    "response_time": ("response_intervals", 1.0),
    "sla_violation": ("sla_violation_rate", 1.0),
    "accuracy": ("accuracy_pct", 1.0),
    "reward": ("reward_paper_pct", 1.0),
}

#: Energy is reported per this many intervals (the paper's episode length).
ENERGY_INTERVALS = 100

#: Extra per-episode columns copied into the runs CSV when present.
EXTRA_METRICS: tuple[str, ...] = ("reward_eq8", "n_finished", "n_unfinished")


@dataclass(frozen=True)
class Job:
    """One (scenario, agent, seed) episode.

    Attributes:
        agent: a name for ``agents.registry.make_agent`` or ``"rl:PATH"``.
        seed: the episode seed (common random numbers across agents).
        scenario: the Gymnasium environment id.
        n_intervals: episode length in scheduling intervals.
        env_kwargs: extra ``gym.make`` kwargs of the scenario (sorted pairs, so
            the job stays hashable); the agent's own kwargs are added on top.
    """

    agent: str
    seed: int
    scenario: str = "SplitPlace-v0"
    n_intervals: int = 100
    env_kwargs: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, int]:
        """Sort key of the job's result: (scenario, agent, seed)."""
        return (self.scenario, self.agent, self.seed)


#: A runner maps a job to its metrics dict (at least METRIC_KEYS).
Runner = Callable[[Job], Mapping[str, float]]


def make_jobs(agents, seeds, scenarios=("SplitPlace-v0",), n_intervals: int = 100,
              env_kwargs: Mapping[str, Any] | None = None) -> list[Job]:
    """The full cross product of agents x seeds x scenarios, sorted by key."""
    kw = tuple(sorted((env_kwargs or {}).items()))
    jobs = [Job(agent=a, seed=int(s), scenario=sc, n_intervals=int(n_intervals), env_kwargs=kw)
            for sc in scenarios for a in agents for s in seeds]
    return sorted(jobs, key=lambda j: j.key)


def limit_threads() -> None:
    """Keeps torch to one thread per worker (jobs run in parallel processes)."""
    try:
        import torch
    except ImportError:  # torch is optional for non-neural agents
        return
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def agent_env_kwargs(agent: str) -> dict[str, Any]:
    """The env kwargs an agent needs (e.g. MC's "compressed" split mode; {} for ``rl:PATH``)."""
    from agents.registry import env_kwargs_for

    return env_kwargs_for(agent)


def metrics_from_episode(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Converts ``agents.episode_metrics`` output to our metric keys and units.

    Raises:
        KeyError: if a metric is missing, naming the keys that were there.
    """
    out: dict[str, float] = {}
    for key, (name, scale) in EPISODE_METRICS.items():
        if name not in metrics:
            raise KeyError(f"episode metrics lack {name!r} (for {key!r}); got {sorted(metrics)}")
        out[key] = float(metrics[name]) * scale
    for name in EXTRA_METRICS:
        if name in metrics:
            out[name] = float(metrics[name])
    return out


def episode_runner(job: Job) -> dict[str, float]:
    """Default runner: one episode of the named agent with ``agents.runner.run_episode``.

    The environment gets the scenario's kwargs plus the agent's own
    (``agents.registry.env_kwargs_for``); the agent is built by the runner from
    its registry name (or ``rl:PATH``) and reset with the job's seed.
    """
    from agents.runner import run_episode

    env_kwargs = {**dict(job.env_kwargs), **agent_env_kwargs(job.agent)}
    result = run_episode(job.agent, job.scenario, job.seed, job.n_intervals, env_kwargs)
    metrics = metrics_from_episode(result.metrics())
    # Energy per 100 intervals (the paper's episode), so shorter runs compare too.
    if result.records:
        metrics["energy"] *= ENERGY_INTERVALS / len(result.records)
    return metrics


def run_job(job: Job, runner: Runner | None = None) -> dict[str, Any]:
    """Runs one job and returns its result row.

    Args:
        job: what to run.
        runner: maps the job to its metrics; ``episode_runner`` by default
            (tests pass a stand-in).

    Returns:
        ``{"scenario", "agent", "seed", "n_intervals", <METRIC_KEYS>, "wall_s"}``.
    """
    limit_threads()
    start = time.perf_counter()
    metrics = dict((runner or episode_runner)(job))
    wall = time.perf_counter() - start
    row: dict[str, Any] = {"scenario": job.scenario, "agent": job.agent, "seed": job.seed,
                           "n_intervals": job.n_intervals}
    for key in METRIC_KEYS:
        row[key] = float(metrics.get(key, math.nan))
    for key in EXTRA_METRICS:
        if key in metrics:
            row[key] = float(metrics[key])
    row["wall_s"] = wall
    logger.debug("job %s done in %.2fs", job.key, wall)
    return row
