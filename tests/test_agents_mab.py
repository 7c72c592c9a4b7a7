"""The MAB splitter's equations (paper Eq. 2-7) on hand-made inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.mab import HIGH, LOW, MABSplitter, context_of, context_rewards, ema, ucb_choice

MODES = ("layer", "semantic")


def _finished(tid, app, split, response, sla, acc):
    response, sla = np.asarray(response, float), np.asarray(sla, float)
    return {"finished": {"task_id": np.asarray(tid), "app": np.asarray(app), "split": np.asarray(split),
                         "response": response, "sla": sla, "sla_met": response <= sla,
                         "accuracy": np.asarray(acc, float)}}


def _pending(slot, tid, app, sla):
    return {"pending": {"slot": np.asarray(slot), "task_id": np.asarray(tid), "app": np.asarray(app),
                        "sla": np.asarray(sla, float), "batch": np.ones(len(slot), int)}}


def test_ema_weights_newest_observation_by_phi():
    assert ema(10.0, 4.0, 0.9) == pytest.approx(0.9 * 4 + 0.1 * 10)


def test_context_high_when_sla_at_least_estimate():
    assert context_of(8.0, 8.0) == HIGH
    assert context_of(7.9, 8.0) == LOW


def test_context_rewards_eq3_eq4():
    ctx = np.array([HIGH, HIGH, LOW, LOW])
    arms = np.array([0, 0, 1, 0])
    met = np.array([True, False, True, False])
    acc = np.array([0.9, 0.7, 0.8, 0.6])
    O = context_rewards(ctx, arms, met, acc)
    assert O[HIGH, 0] == pytest.approx(((1 + 0.9) + (0 + 0.7)) / 4)
    assert np.isnan(O[HIGH, 1])
    assert O[LOW, 1] == pytest.approx((1 + 0.8) / 2)
    assert O[LOW, 0] == pytest.approx(0.6 / 2)


def test_q_update_sample_mean_by_default_and_constant_gamma():
    mab = MABSplitter(MODES)
    mab.R[:] = 5.0
    mab.observe(_finished([1], [0], [0], [4.0], [6.0], [0.8]))      # high, layer, met
    assert mab.Q[HIGH, 0] == pytest.approx(0.9)                      # gamma = 1/1
    mab.observe(_finished([2], [0], [0], [9.0], [6.0], [0.6]))      # high, layer, missed
    assert mab.Q[HIGH, 0] == pytest.approx(0.9 + 0.5 * (0.3 - 0.9))  # gamma = 1/2
    fixed = MABSplitter(MODES, gamma=0.1)
    fixed.observe(_finished([1], [0], [1], [1.0], [2.0], [0.8]))     # sla 2 < R 5: low, semantic
    assert fixed.Q[LOW, 1] == pytest.approx(0.1 * 0.9)


def test_ema_only_for_layer_tasks():
    mab = MABSplitter(MODES)
    r0 = mab.R.copy()
    mab.observe(_finished([1, 2], [2, 0], [1, 0], [3.0, 2.0], [9.0, 9.0], [0.2, 0.9]))
    assert mab.R[2] == r0[2]                                     # semantic: unchanged
    assert mab.R[0] == pytest.approx(0.9 * 2.0 + 0.1 * r0[0])    # layer: Eq. 2


def test_reward_goes_to_the_context_of_the_decision():
    mab = MABSplitter(MODES)
    mab.training = True
    mab.epsilon = 0.0                                  # greedy: argmax Q, ties -> layer
    out = mab.decide({}, _pending([3], [7], [0], [6.0]), np.random.default_rng(0))   # R=5: high
    assert out == {3: 0} and mab.N[HIGH, 0] == 1
    mab.R[0] = 50.0                                    # the context would now be low
    mab.observe(_finished([7], [0], [0], [4.0], [6.0], [1.0]))
    assert mab.Q[HIGH, 0] == pytest.approx(1.0) and mab.Q[LOW, 0] == 0.0


def test_epsilon_and_rho_decay_only_above_threshold():
    mab = MABSplitter(MODES, k=0.02)
    assert mab.epsilon == 1.0 and mab.rho == pytest.approx(0.02)
    mab.decay(0.01)
    assert mab.epsilon == 1.0 and mab.rho == pytest.approx(0.02)
    mab.decay(0.5)
    assert mab.epsilon == pytest.approx(0.98) and mab.rho == pytest.approx(0.0204)
    mab.rho = 0.995
    mab.decay(0.999)
    assert mab.rho == 1.0                              # capped (authors' code)


def test_ucb_tries_untried_arm_then_uses_bonus():
    assert ucb_choice(np.array([0.9, 0.1]), np.array([5, 0]), 10, 0.5) == 1
    q, n, t, c = np.array([0.5, 0.45]), np.array([100, 2]), 100, 0.5
    expected = int(np.argmax(q + c * np.sqrt(math.log(t) / n)))
    assert ucb_choice(q, n, t, c) == expected == 1
    assert ucb_choice(q, np.array([100, 100]), t, c) == 0


def test_test_time_decision_is_ucb_and_counts():
    mab = MABSplitter(MODES)
    mab.Q[:] = [[0.2, 0.8], [0.9, 0.1]]
    mab.N[:] = [[10, 10], [10, 10]]
    mab.t = 50
    out = mab.decide({}, _pending([0, 1], [1, 2], [0, 0], [9.0, 2.0]), np.random.default_rng(0))
    assert out == {0: 1, 1: 0}                          # high -> semantic, low -> layer
    assert mab.N.tolist() == [[10, 11], [11, 10]]


def test_state_round_trip():
    mab = MABSplitter(MODES)
    mab.Q[:] = [[0.1, 0.2], [0.3, 0.4]]
    mab.t, mab.epsilon = 9, 0.5
    mab.R[:] = 0.3
    mab.N[:] = [[1, 2], [3, 4]]
    mab.rho = 0.7
    other = MABSplitter(MODES)
    other.load_state_dict(mab.state_dict())
    assert np.array_equal(other.Q, mab.Q) and other.t == 9 and other.epsilon == 0.5
    assert other.state_dict() == mab.state_dict()
