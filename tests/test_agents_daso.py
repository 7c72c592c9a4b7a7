"""DASO / GOBI: surrogate gradient, objective improvement and DASO's feasibility."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.placement import build_problem
from agents.registry import make_agent
from agents.runner import make_env
from agents.surrogate import Surrogate, host_inputs
from agents.surrogate_np import NumpySurrogate


def test_numpy_surrogate_matches_torch_value_and_gradient():
    torch.manual_seed(0)
    model = Surrogate(aware=True)
    with torch.no_grad():
        model.host_std.uniform_(0.5, 2.0)
        model.glob_mean.uniform_()
    H, n = 6, 9
    hosts = torch.rand(H, 11)
    P = torch.softmax(torch.randn(n, H), dim=1).requires_grad_(True)
    dem = torch.rand(n, 5)
    glob = torch.rand(1, 8)
    o = model(host_inputs(hosts, P, dem)[None], glob)[0]
    o.backward()
    net = NumpySurrogate(model)
    pre, g = net.prepare(hosts.numpy(), glob[0].numpy())
    o_np, dA = net.value_and_grad(pre, g, (P.detach().T @ dem).numpy())
    assert o_np == pytest.approx(float(o.detach()), abs=1e-5)
    np.testing.assert_allclose(dem.numpy() @ dA.T, P.grad.numpy(), atol=1e-5)


def _warm_env(name: str, steps: int, seed: int = 0):
    env = make_env("SplitPlace-v0")
    agent = make_agent(name, env)
    agent.reset(seed)
    obs, info = env.reset(seed=seed)
    for _ in range(steps):
        obs, r, te, tr, info = env.step(agent.act(obs, info))
        agent.update(obs, r, te, tr, info)
    return env, agent, obs, info


@pytest.mark.parametrize("name", ["SplitPlace", "L+G"])
def test_optimisation_does_not_lower_predicted_objective(name):
    env, agent, obs, info = _warm_env(name, 6)
    try:
        splits = agent.splitter.decide(obs, info, agent.rng)
        batches = dict(zip(info["pending"]["slot"].tolist(), info["pending"]["batch"].tolist()))
        problem = build_problem(obs, agent.codec, splits, agent.demands, batches)
        keep = problem.allowed.any(axis=1)
        assert keep.any()
        from agents.daso import _subset

        problem = _subset(problem, keep)
        P, start, best = agent.placer.optimise(obs, problem)
        assert best >= start
        assert agent.placer.predicted_objective(obs, problem, P) == pytest.approx(best, abs=1e-4)
    finally:
        env.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["SplitPlace", "R+D"])
def test_never_infeasible_over_an_episode(name):
    """DASO's fallback (vanilla GOBI's choices may be infeasible: test_agents_gobi)."""
    env = make_env("SplitPlace-v0")
    agent = make_agent(name, env)
    agent.reset(1)
    obs, info = env.reset(seed=1)
    codec = agent.codec
    try:
        for _ in range(30):
            action = agent.act(obs, info)
            _, hm = codec.split_masks(obs["action_mask"].astype(bool))
            rows = action[codec.n_tasks:]
            placed = np.flatnonzero(rows > 0)
            # Existing fragments: exactly what the mask allows. (New tasks' rows
            # are checked by the environment's counters below.)
            assert hm[placed, rows[placed]].all()
            obs, r, te, tr, info = env.step(action)
            agent.update(obs, r, te, tr, info)
            assert info["infeasible_placements"] == 0
            assert info["ignored_actions"] == 0
    finally:
        env.close()
