"""Every agent plays SplitPlace episodes; runner, metrics, registry, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from agents import AGENT_NAMES, TABLE1_AGENTS, env_kwargs_for, make_agent, run_episode
from agents.episode_metrics import episode_metrics
from agents.runner import make_env

FAST = TABLE1_AGENTS + ("random", "first-fit", "least-loaded")
OTHERS = tuple(n for n in AGENT_NAMES if n not in FAST)


#: Vanilla GOBI sends the optimiser's host as is: the env may refuse it (infeasible, waits).
VANILLA_GOBI = ("S+G", "L+G", "M+G")


def _check(res, n):
    assert len(res.records) == n
    m = res.metrics()
    assert m["n_finished"] == res.finished["response"].size
    assert all(r["ignored_actions"] == 0 for r in res.records)
    if res.agent not in VANILLA_GOBI:
        assert all(r["infeasible_placements"] == 0 for r in res.records)
    return m


@pytest.mark.parametrize("name", FAST)
def test_full_small_episode(name):
    res = run_episode(name, "SplitPlace-small-v0", seed=0, env_kwargs=env_kwargs_for(name))
    m = _check(res, 50)
    assert m["n_finished"] > 0


@pytest.mark.parametrize("name", FAST)
def test_short_paper_episode(name):
    _check(run_episode(name, "SplitPlace-v0", seed=0, n_intervals=10), 10)


@pytest.mark.slow
@pytest.mark.parametrize("name", OTHERS)
def test_heuristic_combinations(name):
    _check(run_episode(name, "SplitPlace-small-v0", seed=0), 50)
    _check(run_episode(name, "SplitPlace-v0", seed=0, n_intervals=10), 10)


@pytest.mark.parametrize("name", ["SplitPlace", "M+G", "Gillis", "least-loaded+mab"])
def test_save_then_load_gives_identical_actions(name, tmp_path):
    kwargs = env_kwargs_for(name)
    env = make_env("SplitPlace-v0", kwargs)
    try:
        a = make_agent(name, env)
        a.reset(5)
        obs, info = env.reset(seed=5)
        for _ in range(4):                     # change the learned state first
            obs, r, te, tr, info = env.step(a.act(obs, info))
            a.update(obs, r, te, tr, info)
        a.save(tmp_path / "agent.pt")
        b = make_agent(name, env, load_weights=False).load(tmp_path / "agent.pt")
        a.reset(9)
        b.reset(9)
        obs, info = env.reset(seed=9)
        for _ in range(6):
            xa, xb = a.act(obs, info), b.act(obs, info)
            np.testing.assert_array_equal(xa, xb)
            obs, r, te, tr, info = env.step(xa)
            a.update(obs, r, te, tr, info)
            b.update(obs, r, te, tr, info)
    finally:
        env.close()


def test_episode_metrics_by_hand():
    records = [{"reward": 0.5, "energy_j": 3.6e6, "act_time_s": 0.01},
               {"reward": -0.1, "energy_j": 0.0, "act_time_s": 0.03}]
    fin = {"response": np.array([2.0, 4.0]), "wait": np.array([1.0, 0.0]), "sla": np.array([3.0, 3.0]),
           "sla_met": np.array([True, False]), "accuracy": np.array([0.9, 0.7])}
    m = episode_metrics(records, fin, n_arrived=5)
    assert m["energy_kwh"] == pytest.approx(1.0)
    assert m["energy_kj_per_interval"] == pytest.approx(1800.0)
    assert m["sched_time_s"] == pytest.approx(0.02)
    assert m["jain"] == pytest.approx((0.5 + 0.25) ** 2 / (2 * (0.25 + 0.0625)))
    assert m["sla_violation_rate"] == 0.5 and m["response_intervals"] == 3.0 and m["wait_intervals"] == 0.5
    assert m["accuracy_pct"] == pytest.approx(80.0)
    assert m["reward_eq8"] == pytest.approx(0.2)
    assert m["reward_paper_pct"] == pytest.approx(100 * ((1 + 0.9) / 2 + (0 + 0.7) / 2) / 2)
    assert m["n_unfinished"] == 3


def test_registry_kwargs_and_errors():
    assert env_kwargs_for("MC")["split_modes"] == ("layer", "semantic", "compressed")
    assert env_kwargs_for("Gillis")["split_modes"] == ("layer", "semantic", "layer2", "layer1")
    assert env_kwargs_for("SplitPlace") == {}
    env = make_env("SplitPlace-small-v0")
    try:
        with pytest.raises(ValueError, match="unknown agent"):
            make_agent("nope", env)
        with pytest.raises(ValueError, match="Gillis needs"):
            make_agent("Gillis", env)
        with pytest.raises(ValueError, match="built for"):
            run_episode(make_agent("least-loaded", env), "SplitPlace-v0", n_intervals=1, env_kwargs={})
    finally:
        env.close()


def test_rl_names_go_through_the_rl_hook():
    env = make_env("SplitPlace-small-v0")
    try:
        with pytest.raises(FileNotFoundError, match="nonexistent"):
            make_agent("rl:/nonexistent/model.zip", env)
    finally:
        env.close()


def test_assign_per_host_ratings_spread_a_burst() -> None:
    """assign with one rating per host and a penalty re-rates a host after each fragment it gets."""
    from agents.placement import PlacementProblem, assign

    n, H = 4, 2
    problem = PlacementProblem(frag=np.arange(n), ram=np.full(n, 0.1), work=np.ones(n),
                               semantic=np.zeros(n, bool), urgency=np.zeros(n), allowed=np.ones((n, H), bool),
                               free_ram=np.ones(H))
    ratings = np.array([1.0, 0.95])
    assert set(assign(problem, ratings).values()) == {0}                       # no penalty: all on host 0
    spread = assign(problem, ratings, per_assign_penalty=0.1)
    assert sorted(spread.values()) == [0, 0, 1, 1]
    assert ratings.tolist() == [1.0, 0.95]                                     # the caller's array is untouched
    with pytest.raises(ValueError, match="one rating per host"):
        assign(problem, np.ones((n, H)), per_assign_penalty=0.1)
