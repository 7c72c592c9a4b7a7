"""The paper's interval objective (Eq. 3/4/8) and the Table 1 metrics.

Eq. 8: ``O_t = QoS_t - alpha * AEC_t - beta * ART_t`` where

* ``QoS_t`` = mean over tasks leaving in the interval of ``(1[r_i <= sla_i] + p_i) / 2``
  (Eq. 3/4 pooled over both contexts and both decisions), in [0, 1];
* ``AEC_t`` = the interval's cluster energy / the cluster's energy at full load
  over one interval, in [idle share, 1] (about 0.42 for Pi 4B hosts);
* ``ART_t`` = mean over leaving tasks of ``min(r_i, R) / R`` with ``R =
  cfg.response_norm`` intervals, in [0, 1].

An interval in which no task leaves has ``QoS_t = ART_t = 0`` (the sums of Eq. 3/4
are empty), so its reward is ``-alpha * AEC_t``. Hence ``O_t`` lies in
``[-(alpha + beta), 1]`` (``reward_bounds``): [-1, 1] for the paper's alpha = beta =
0.5, and within ``REWARD_RANGE`` = [-2, 1] for any alpha, beta in [0, 1].
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from splitplace_env.core.jit import kernel

REWARD_RANGE = (-2.0, 1.0)


def reward_bounds(alpha: float, beta: float) -> tuple[float, float]:
    """Tight bounds of the Eq. 8 reward: QoS, AEC and ART all lie in [0, 1]."""
    return (-(alpha + beta), 1.0)


@kernel
def eq8(sla_met, accuracy, response, energy_j, max_energy_j, alpha, beta, response_norm):
    """(reward, QoS, AEC, ART) of an interval from its finished tasks' arrays
    (``sla_met`` as 0/1) and its energy: the one implementation of Eq. 8."""
    n = response.shape[0]
    aec = energy_j / max_energy_j
    qos = 0.0
    art = 0.0
    if n:
        for i in range(n):
            qos += sla_met[i] + accuracy[i]
            art += min(response[i], response_norm)
        qos = qos * 0.5 / n
        art = art / (n * response_norm)
    return qos - alpha * aec - beta * art, qos, aec, art


def interval_reward(finished: Mapping[str, np.ndarray], energy_j: float, max_energy_j: float, cfg) -> dict[str, float]:
    """Returns the Eq. 8 reward and every term of it (``eq8`` on a dict of arrays).

    Args:
        finished: arrays of the tasks that left this interval ("sla_met",
            "accuracy", "response").
        energy_j: the cluster's energy in the interval.
        max_energy_j: the cluster's energy at full load over one interval.
        cfg: the configuration (alpha, beta, response_norm).
    """
    f64 = lambda k: np.ascontiguousarray(finished[k], dtype=np.float64)  # noqa: E731
    reward, qos, aec, art = eq8(f64("sla_met"), f64("accuracy"), f64("response"), float(energy_j),
                                float(max_energy_j), float(cfg.alpha), float(cfg.beta), float(cfg.response_norm))
    return {"reward": reward, "qos": qos, "aec": aec, "art": art, "n_finished": float(finished["response"].shape[0])}


def jain_index(x: np.ndarray) -> float:
    """Jain's fairness index (sum x)^2 / (n sum x^2); 1.0 for an empty or all-zero x."""
    x = np.asarray(x, dtype=np.float64)
    denom = x.size * np.sum(x * x)
    return float(np.sum(x) ** 2 / denom) if denom > 0 else 1.0


def sla_violation_rate(response: np.ndarray, sla: np.ndarray) -> float:
    """Fraction of tasks with response time above their deadline (0 when none finished)."""
    response = np.asarray(response)
    return float(np.mean(response > np.asarray(sla))) if response.size else 0.0
