"""COSCO-style placement heuristics: random, first-fit and least-loaded.

Each is a ``Placer``; ``make_heuristic`` combines one with a split rule into an
agent named ``"<placer>[+<split>]"`` (e.g. ``"least-loaded"``,
``"first-fit+semantic"``, ``"random+mab"``); the split defaults to "layer".
"""

from __future__ import annotations

import numpy as np

from agents.composed import ComposedAgent, Placer
from agents.observation import HOST
from agents.placement import assign

#: Load added to a host's rating per fragment assigned to it this interval, in
#: the units of ``hosts[:, fragments]`` (fragments / (4 x cores)) for a 4-core
#: Pi: spreads a burst of placements instead of piling them on one host.
_PER_FRAGMENT_LOAD = 1.0 / 16.0

PLACERS = ("random", "first-fit", "least-loaded")
SPLIT_RULES = ("layer", "semantic", "random", "mab")


class RandomPlacer(Placer):
    """A uniformly random feasible host per fragment (COSCO Random)."""

    name = "random"

    def place(self, obs, info, problem, splits, rng):
        return assign(problem, rng.random((problem.n, problem.allowed.shape[1])))


class FirstFitPlacer(Placer):
    """The lowest-index feasible host (COSCO FirstFit)."""

    name = "first-fit"

    def place(self, obs, info, problem, splits, rng):
        H = problem.allowed.shape[1]
        return assign(problem, -np.arange(H, dtype=np.float64))


class LeastLoadedPlacer(Placer):
    """The feasible host with the lowest load (COSCO LeastFull: lowest CPU).

    The load is CPU utilisation plus fragments per core, counting the fragments
    assigned earlier in the same interval, so one burst spreads over hosts
    (COSCO used each host at most once per call for the same reason).
    """

    name = "least-loaded"

    def place(self, obs, info, problem, splits, rng):
        hosts = obs["hosts"]
        load = hosts[:, HOST["cpu_util"]] + hosts[:, HOST["fragments"]].astype(np.float64)
        return assign(problem, -load, per_assign_penalty=_PER_FRAGMENT_LOAD)


def make_placer(name: str) -> Placer:
    """A heuristic placer by name (one of ``PLACERS``)."""
    table = {"random": RandomPlacer, "first-fit": FirstFitPlacer, "least-loaded": LeastLoadedPlacer}
    if name not in table:
        raise ValueError(f"unknown placer {name!r}; choose from {PLACERS}")
    return table[name]()


def make_splitter(rule: str, split_modes: tuple[str, ...], load_weights: bool = True):
    """A split rule by name (one of ``SPLIT_RULES``)."""
    from agents.mab import MABSplitter
    from agents.splitters import FixedSplitter, RandomSplitter

    if rule in ("layer", "semantic"):
        return FixedSplitter(split_modes, rule)
    if rule == "random":
        return RandomSplitter(split_modes)
    if rule == "mab":
        return MABSplitter.pretrained(split_modes) if load_weights else MABSplitter(split_modes)
    raise ValueError(f"unknown split rule {rule!r}; choose from {SPLIT_RULES}")


def make_heuristic(name: str, codec, seed: int | None = None, load_weights: bool = True) -> ComposedAgent:
    """Builds ``"<placer>[+<split rule>]"``, e.g. ``"first-fit+semantic"``."""
    placer, _, rule = name.partition("+")
    return ComposedAgent(codec, make_splitter(rule or "layer", codec.split_modes, load_weights),
                         make_placer(placer), name=name, seed=seed)
