"""The Table 1 metrics of one episode.

Task metrics (fairness, wait, response, SLA violations, accuracy, the paper-style
reward) count only the tasks that **finished** within the episode; tasks still
queued or running at the end are not counted (their response is unknown), and
``n_unfinished`` reports how many there were.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from splitplace_env.core.metrics import jain_index, sla_violation_rate

J_PER_KWH = 3.6e6


def episode_metrics(records: Sequence[Mapping[str, float]], finished: Mapping[str, np.ndarray],
                    n_arrived: int | None = None) -> dict[str, float]:
    """Computes the paper's Table 1 columns from per-interval records and finished tasks.

    Args:
        records: one mapping per interval with at least ``reward``, ``energy_j``
            and ``act_time_s``.
        finished: concatenated ``info["finished"]`` arrays over the episode
            (``response``, ``wait``, ``sla``, ``sla_met``, ``accuracy``).
        n_arrived: tasks that arrived during the episode (for ``n_unfinished``).

    Returns:
        ``energy_kwh`` (total over the episode), ``energy_kj_per_interval``
        (mean), ``sched_time_s`` (mean act seconds per interval), ``jain``
        (Jain's index of x_i = 1/response_i), ``wait_intervals`` and
        ``response_intervals`` (means), ``sla_violation_rate`` (response > sla),
        ``accuracy_pct``, ``reward_eq8`` (mean Eq. 8 reward per interval),
        ``reward_paper_pct`` (100 x mean over tasks of (1[sla met] + accuracy)/2,
        the paper's "Avg. Reward" column), ``n_finished``, ``n_unfinished``.
    """
    energy = np.array([r["energy_j"] for r in records], dtype=np.float64)
    act = np.array([r["act_time_s"] for r in records], dtype=np.float64)
    reward = np.array([r["reward"] for r in records], dtype=np.float64)
    resp = np.asarray(finished.get("response", []), dtype=np.float64)
    n = resp.size
    nan = float("nan")
    if n:
        sla = np.asarray(finished["sla"], dtype=np.float64)
        met = np.asarray(finished.get("sla_met", resp <= sla), dtype=bool)
        acc = np.asarray(finished["accuracy"], dtype=np.float64)
        task = {
            "jain": jain_index(1.0 / np.maximum(resp, 1e-9)),
            "wait_intervals": float(np.mean(finished["wait"])),
            "response_intervals": float(resp.mean()),
            "sla_violation_rate": sla_violation_rate(resp, sla),
            "accuracy_pct": 100.0 * float(acc.mean()),
            "reward_paper_pct": 100.0 * float(np.mean((met + acc) / 2.0)),
        }
    else:
        task = dict.fromkeys(("jain", "wait_intervals", "response_intervals", "sla_violation_rate",
                              "accuracy_pct", "reward_paper_pct"), nan)
    return {
        "energy_kwh": float(energy.sum() / J_PER_KWH),
        "energy_kj_per_interval": float(energy.mean() / 1e3) if energy.size else nan,
        "sched_time_s": float(act.mean()) if act.size else nan,
        **task,
        "reward_eq8": float(reward.mean()) if reward.size else nan,
        "n_finished": float(n),
        "n_unfinished": float(max(0, n_arrived - n)) if n_arrived is not None else nan,
    }
