"""Table 1 metric definitions on hand-made episodes.

Calls the agents package's ``agents.episode_metrics.episode_metrics`` on
hand-built records and checks every column against a hand computation, then
the benchmark's conversion to the reported units (``benchmarks.jobs``).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.jobs import EPISODE_METRICS, metrics_from_episode
from benchmarks.paper import METRIC_KEYS

from agents.episode_metrics import episode_metrics


def _records(energies, act_times, rewards):
    return [{"energy_j": e, "act_time_s": a, "reward": r} for e, a, r in zip(energies, act_times, rewards)]


def _finished(response, wait, sla, accuracy):
    response = np.asarray(response, dtype=float)
    sla = np.asarray(sla, dtype=float)
    return {"response": response, "wait": np.asarray(wait, dtype=float), "sla": sla,
            "sla_met": response <= sla, "accuracy": np.asarray(accuracy, dtype=float)}


@pytest.fixture()
def episode():
    records = _records([1.8e6, 1.8e6, 3.6e6], [0.1, 0.2, 0.3], [0.5, -0.1, 0.2])
    # Responses 1, 2, 4 intervals; SLAs 2, 2, 3 -> only the last is violated.
    finished = _finished([1.0, 2.0, 4.0], [0.0, 1.0, 2.0], [2.0, 2.0, 3.0], [0.9, 0.8, 0.7])
    return episode_metrics(records, finished, n_arrived=5)


def test_jain_index_of_inverse_response(episode):
    x = np.array([1.0, 1 / 2, 1 / 4])
    assert episode["jain"] == pytest.approx(x.sum() ** 2 / (3 * np.sum(x * x)))


def test_jain_index_is_one_for_equal_responses():
    m = episode_metrics(_records([1.0], [0.0], [0.0]), _finished([3.0, 3.0, 3.0], [0, 0, 0], [5, 5, 5], [1, 1, 1]))
    assert m["jain"] == pytest.approx(1.0)


def test_sla_violation_response_and_wait(episode):
    assert episode["sla_violation_rate"] == pytest.approx(1 / 3)
    assert episode["response_intervals"] == pytest.approx(7 / 3)
    assert episode["wait_intervals"] == pytest.approx(1.0)


def test_sla_boundary_counts_as_met():
    m = episode_metrics(_records([1.0], [0.0], [0.0]), _finished([2.0], [0.0], [2.0], [1.0]))
    assert m["sla_violation_rate"] == 0.0


def test_energy_accuracy_reward_and_sched_time(episode):
    assert episode["energy_kwh"] == pytest.approx(7.2e6 / 3.6e6)
    assert episode["sched_time_s"] == pytest.approx(0.2)
    assert episode["accuracy_pct"] == pytest.approx(80.0)
    # Paper-style reward: 100 * mean((1[met] + acc) / 2) = 100 * ((1.9 + 1.8 + 0.7) / 2) / 3
    assert episode["reward_paper_pct"] == pytest.approx(100 * (1.9 + 1.8 + 0.7) / 6)
    assert episode["reward_eq8"] == pytest.approx(0.2)
    assert episode["n_unfinished"] == 2


def test_no_finished_task_gives_nan_task_metrics():
    m = episode_metrics(_records([1.0, 1.0], [0.0, 0.0], [0.0, 0.0]), _finished([], [], [], []))
    assert np.isnan(m["response_intervals"]) and np.isnan(m["sla_violation_rate"])
    assert m["energy_kwh"] > 0


def test_benchmark_units(episode):
    ours = metrics_from_episode(episode)
    assert set(METRIC_KEYS) <= set(ours)
    assert ours["energy"] == pytest.approx(7.2)            # 7.2 MJ = 2 kWh
    assert ours["sla_violation"] == pytest.approx(1 / 3)
    assert ours["reward"] == pytest.approx(episode["reward_paper_pct"])
    assert set(EPISODE_METRICS) == set(METRIC_KEYS)


def test_missing_metric_is_a_clear_error():
    with pytest.raises(KeyError, match="energy_kwh"):
        metrics_from_episode({"jain": 1.0})
