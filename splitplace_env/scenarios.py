"""A named scenario suite: training scenarios and a held-out test set.

Each scenario is SplitPlace-v0 (16 hosts, 64 task slots, the split modes
("layer", "semantic"), 300 s intervals, 100 intervals) with a few config
overrides, so one agent trained on any of them acts on all of them: the
observation and action spaces never change. What varies is the workload (the
application mix, the arrival rate), the cluster (the RAM mix, the share of
mobile hosts), the mobility (random waypoint or the shipped SUMO trace) and host
faults (a random fault process or a fault trace).

Seeds and the split, so a comparison on the test set is fair:

* every training scenario is seeded from ``TRAIN_SEEDS`` (0 .. 999) and every
  test scenario from ``TEST_SEEDS`` (10 000 .. 10 999): no evaluation episode
  replays a training episode;
* the test set holds conditions that no training scenario has (a heavier
  arrival rate, a CIFAR100-heavy mix, the SUMO trace, a fault trace, a higher
  fault rate on the small-RAM cluster) beside the paper's setting on held-out
  seeds; ``held_out_conditions`` lists them.

The fault rates, arrival rates, mixes and host mixes here are stress conditions
this suite chooses (not measured constants): the paper evaluates only its
default setting (16 Pi 4B hosts, Poisson(6), uniform mix, no faults).

Usage::

    from splitplace_env import scenarios
    env = scenarios.make("Rush")              # a gym env (SplitPlace-v0 + the overrides)
    cfg = scenarios.get("Rush").config()      # its SplitPlaceConfig
    [s.name for s in scenarios.TEST]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import gymnasium as gym

from splitplace_env.config import SplitPlaceConfig

#: The environment every scenario modifies.
BASE_ENV_ID = "SplitPlace-v0"
#: Seeds of the training scenarios (training and its own evaluation draw from here).
TRAIN_SEEDS = range(0, 1_000)
#: Seeds of the test scenarios (disjoint from ``TRAIN_SEEDS``).
TEST_SEEDS = range(10_000, 11_000)
#: The fields a scenario may not change: they fix the observation and action spaces
#: and the interval length (so one trained agent runs on every scenario).
FIXED_FIELDS = ("n_hosts", "max_tasks", "split_modes", "interval_s", "max_episode_steps", "reward")
#: The shipped SUMO trace (8 vehicles on a 5 x 5 grid: ``splitplace_env/data/traces/sumo_grid.csv``).
SUMO_TRACE = "sumo:package:traces/sumo_grid.csv"

#: A fault trace of the "FaultTrace" test scenario: (interval, host, duration) triples. Hosts
#: 0-3 (4 GB) lose power together at interval 20 for 10 intervals (a rack outage), hosts
#: 8-11 (8 GB) at interval 50 for 5, and host 15 stays down from interval 60 to 89. A
#: stress trace chosen here, not a measured one.
RACK_OUTAGE_TRACE: tuple[tuple[int, int, int], ...] = (
    tuple((20, h, 10) for h in range(0, 4)) + tuple((50, h, 5) for h in range(8, 12)) + ((60, 15, 30),))


@dataclass(frozen=True)
class Scenario:
    """One scenario of the suite.

    Attributes:
        name: short unique name (``get(name)``).
        description: one line saying what differs from SplitPlace-v0.
        split: ``"train"`` or ``"test"``.
        overrides: ``SplitPlaceConfig`` fields set on top of SplitPlace-v0 (read-only).
        seeds: the seeds episodes of this scenario use (``TRAIN_SEEDS`` or ``TEST_SEEDS``).
    """

    name: str
    description: str
    split: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    seeds: range = TEST_SEEDS

    def __post_init__(self) -> None:
        if self.split not in ("train", "test"):
            raise ValueError(f"scenario {self.name!r}: split must be 'train' or 'test', got {self.split!r}")
        fixed = sorted(set(self.overrides) & set(FIXED_FIELDS))
        if fixed:
            raise ValueError(f"scenario {self.name!r} overrides {fixed}, which fix the spaces of {BASE_ENV_ID}")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def config(self, **kwargs: Any) -> SplitPlaceConfig:
        """The scenario's configuration (``kwargs``: further field overrides, e.g. ``reward``)."""
        return SplitPlaceConfig.from_kwargs(**{**self.overrides, **kwargs})

    def env_kwargs(self) -> dict[str, Any]:
        """The ``gym.make(BASE_ENV_ID, ...)`` keywords of the scenario."""
        return dict(self.overrides)

    def conditions(self) -> frozenset[tuple[str, Any]]:
        """The (field, value) pairs that set this scenario apart from SplitPlace-v0."""
        return frozenset((k, v) for k, v in self.config().to_dict().items()
                         if v != getattr(SplitPlaceConfig(), k))


TRAIN: tuple[Scenario, ...] = (
    Scenario("Paper", "the paper's setting (SplitPlace-v0)", "train", {}, TRAIN_SEEDS),
    Scenario("Busy", "heavier load: Poisson(8) arrivals per interval (paper: 6)", "train",
             {"arrival_rate": 8.0}, TRAIN_SEEDS),
    Scenario("MNISTHeavy", "mix skewed to the lightest network: MNIST 60%, FashionMNIST 20%, CIFAR100 20%",
             "train", {"app_weights": (0.6, 0.2, 0.2)}, TRAIN_SEEDS),
    Scenario("SmallRAM", "RAM-poor cluster: 12 x 4 GB + 4 x 8 GB hosts (paper: 8 + 8)", "train",
             {"host_type_counts": (12, 4)}, TRAIN_SEEDS),
    Scenario("Faulty", "random host faults: 2% per host per interval, mean outage 2 intervals", "train",
             {"fault_rate": 0.02, "fault_recovery_rate": 0.5}, TRAIN_SEEDS),
    Scenario("FewMobile", "a quarter of the hosts mobile (paper: half)", "train",
             {"mobile_fraction": 0.25}, TRAIN_SEEDS),
)

TEST: tuple[Scenario, ...] = (
    Scenario("PaperHeldOut", "the paper's setting on held-out seeds", "test", {}, TEST_SEEDS),
    Scenario("Rush", "held-out load: Poisson(10) arrivals per interval", "test", {"arrival_rate": 10.0}, TEST_SEEDS),
    Scenario("CIFARHeavy", "held-out mix skewed to the heaviest network: CIFAR100 70%, FashionMNIST 20%, "
             "MNIST 10%", "test", {"app_weights": (0.1, 0.2, 0.7)}, TEST_SEEDS),
    Scenario("SUMO", "held-out mobility: the 8 mobile hosts follow the shipped SUMO trace", "test",
             {"mobility": SUMO_TRACE}, TEST_SEEDS),
    Scenario("FaultTrace", "held-out fault trace: rack outages (hosts 0-3, then 8-11) and a long outage "
             "of host 15", "test", {"fault_events": RACK_OUTAGE_TRACE}, TEST_SEEDS),
    Scenario("FaultySmallRAM", "held-out stress: 5% faults per host per interval on the 12 x 4 GB + 4 x 8 GB "
             "cluster", "test", {"host_type_counts": (12, 4), "fault_rate": 0.05, "fault_recovery_rate": 0.5},
             TEST_SEEDS),
)

#: Every scenario by name, training first.
SCENARIOS: Mapping[str, Scenario] = MappingProxyType({s.name: s for s in TRAIN + TEST})


def get(name: str) -> Scenario:
    """The scenario called ``name``.

    Raises:
        ValueError: naming the unknown scenario and listing the known ones.
    """
    if not isinstance(name, str) or name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def config(name: str, **kwargs: Any) -> SplitPlaceConfig:
    """The ``SplitPlaceConfig`` of scenario ``name`` (``kwargs``: further field overrides)."""
    return get(name).config(**kwargs)


def make(name: str, **kwargs: Any) -> gym.Env:
    """``gym.make`` of SplitPlace-v0 with the overrides of scenario ``name``.

    Args:
        name: a scenario name (``SCENARIOS``).
        **kwargs: further ``gym.make`` keywords (config fields win over the scenario's).

    Returns:
        The environment, wrapped as ``gym.make`` wraps SplitPlace-v0.
    """
    import splitplace_env  # noqa: F401  (registers BASE_ENV_ID)

    return gym.make(BASE_ENV_ID, **{**get(name).env_kwargs(), **kwargs})


def held_out_conditions(scenario: Scenario | str) -> frozenset[tuple[str, Any]]:
    """The conditions of a scenario that no training scenario has."""
    s = get(scenario) if isinstance(scenario, str) else scenario
    seen = frozenset().union(*(t.conditions() for t in TRAIN))
    return s.conditions() - seen


__all__ = ["BASE_ENV_ID", "SCENARIOS", "TEST", "TEST_SEEDS", "TRAIN", "TRAIN_SEEDS", "Scenario", "config",
           "get", "held_out_conditions", "make"]
