"""The paper's Table 1 and the metric descriptions the benchmarks report.

Values are transcribed from Table 1 of the SplitPlace paper (S. Tuli, G. Casale,
N. R. Jennings, "SplitPlace: AI Augmented Splitting and Placement of Large-Scale
Neural Networks in Mobile Edge Environments", IEEE Transactions on Mobile
Computing, 2022; arXiv:2205.10635). Units as published, with notes from the
authors' code (https://github.com/imperial-qore/SplitPlace, its result grapher):

* Energy: labelled "MW-hr" in the text (1.0867 for SplitPlace). The authors'
  grapher sums interval energies in J, divides by 1000 and labels the result
  "Kilowatt-hr" (it is kJ); the published magnitude matches a 16-Pi cluster
  over 100 x 300 s in **MJ** (16 x 2.7 W idle x 30 000 s = 1.30 MJ), so we
  report MJ per 100 intervals (the paper's episode; shorter runs are scaled)
  and compare against the published number as MJ.
* Scheduling time: seconds per interval (wall clock of the scheduler on an
  i3 laptop; ours is the agent's ``act`` wall time on this machine).
* Wait and response time: scheduling intervals (the text says seconds for wait
  time, but the values are intervals, as in the code).
* SLA violation: fraction of finished tasks. Accuracy: percent.
* Average reward: percent; the grapher's 100 x 0.5 x ((1 - SLA-violation
  fraction) + mean accuracy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: The committed results: ``benchmarks/results`` next to this package. Commands write
#: here only with ``--update-committed`` (``splitplace_env.outputs``).
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


@dataclass(frozen=True)
class MetricSpec:
    """One Table 1 column.

    Attributes:
        key: column name in our CSVs (and in the episode metrics dict).
        label: human-readable column title.
        unit: unit of our numbers.
        paper_unit: unit of the published number.
        higher_is_better: direction used for the probability of improvement.
        wall_clock: True when the value is a wall-clock time (excluded from
            reproducibility checks).
    """

    key: str
    label: str
    unit: str
    paper_unit: str
    higher_is_better: bool
    wall_clock: bool = False


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("energy", "Energy", "MJ/100 int.", "MW-hr (= MJ, see note)", False),
    MetricSpec("sched_time", "Sched. Time", "s", "s", False, wall_clock=True),
    MetricSpec("jain", "Jain's Index", "", "", True),
    MetricSpec("wait_time", "Wait Time", "intervals", "intervals", False),
    MetricSpec("response_time", "Resp. Time", "intervals", "intervals", False),
    MetricSpec("sla_violation", "SLA Viol.", "fraction", "fraction", False),
    MetricSpec("accuracy", "Acc.", "%", "%", True),
    MetricSpec("reward", "Avg. Reward", "%", "%", True),
)

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)

#: Table 1 of the paper, keyed by agent then metric key.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "MC": dict(energy=1.1368, sched_time=8.84, jain=0.65, wait_time=1.15, response_time=6.85,
               sla_violation=0.26, accuracy=89.93, reward=83.98),
    "Gillis": dict(energy=1.1442, sched_time=8.22, jain=0.89, wait_time=1.40, response_time=8.39,
                   sla_violation=0.22, accuracy=91.90, reward=84.17),
    "S+G": dict(energy=1.1112, sched_time=8.68, jain=0.68, wait_time=1.08, response_time=3.70,
                sla_violation=0.14, accuracy=89.04, reward=83.91),
    "L+G": dict(energy=1.1517, sched_time=8.72, jain=0.88, wait_time=1.52, response_time=9.92,
                sla_violation=0.62, accuracy=93.17, reward=64.87),
    "R+D": dict(energy=1.1297, sched_time=8.86, jain=0.62, wait_time=1.00, response_time=5.55,
                sla_violation=0.29, accuracy=90.71, reward=81.62),
    "M+G": dict(energy=1.1290, sched_time=9.12, jain=0.78, wait_time=1.13, response_time=5.64,
                sla_violation=0.10, accuracy=91.45, reward=90.18),
    "SplitPlace": dict(energy=1.0867, sched_time=9.32, jain=0.73, wait_time=1.09, response_time=4.50,
                       sla_violation=0.08, accuracy=92.72, reward=94.18),
}

#: Figure 4 workloads: environment id per application.
WORKLOAD_ENVS: dict[str, str] = {
    "MNIST": "SplitPlace-MNIST-v0",
    "FashionMNIST": "SplitPlace-FashionMNIST-v0",
    "CIFAR100": "SplitPlace-CIFAR100-v0",
}
#: Figure 4's workloads of each base id (``--env`` of ``splitplace bench workloads``).
WORKLOAD_FAMILIES: dict[str, dict[str, str]] = {
    "SplitPlace-v0": WORKLOAD_ENVS,
    "SplitPlace-AuthorsCode-v0": {app: f"SplitPlace-AuthorsCode-{app}-v0" for app in WORKLOAD_ENVS},
}


def metric(key: str) -> MetricSpec:
    """Returns the spec of metric ``key`` (KeyError names the known keys)."""
    for spec in METRICS:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown metric {key!r}; known: {', '.join(METRIC_KEYS)}")
