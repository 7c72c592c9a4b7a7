"""Agent names, construction and the environment kwargs each agent needs."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import gymnasium as gym

from agents.base import Agent
from agents.heuristics import PLACERS, SPLIT_RULES

#: The rows of the paper's Table 1, in its order.
TABLE1_AGENTS = ("MC", "Gillis", "S+G", "L+G", "R+D", "M+G", "SplitPlace")
#: Heuristic agents: "<placer>" (layer split) and "<placer>+<split rule>".
HEURISTIC_AGENTS = tuple(PLACERS) + tuple(f"{p}+{r}" for p in PLACERS for r in SPLIT_RULES)
#: Every name ``make_agent`` accepts (plus "rl:PATH").
AGENT_NAMES = TABLE1_AGENTS + HEURISTIC_AGENTS

#: Table 1 rows placed by a surrogate (``agents.daso.SURROGATE_AGENTS`` has their classes):
#: SplitPlace = MAB + DASO, R+D = random split + DASO (DASO: decision-aware surrogate, mask,
#: feasible-host fallback, online fine-tuning; the paper, section 3.2); M+G, S+G, L+G = MAB /
#: semantic / layer split + vanilla GOBI (no decision input, random initial hosts, the
#: argmax host sent as is, no fine-tuning; the paper, section 4, and the authors' GOBI).
_SURROGATE_AGENTS = ("SplitPlace", "M+G", "R+D", "S+G", "L+G")

_ENV_KWARGS = {
    "MC": {"split_modes": ("layer", "semantic", "compressed")},
    "Gillis": {"split_modes": ("layer", "semantic", "layer2", "layer1")},
}


def env_kwargs_for(name: str) -> dict[str, Any]:
    """The environment kwargs agent ``name`` needs (extra split modes); {} for most."""
    return dict(_ENV_KWARGS.get(name, {}))


def make_agent(name: str, env: gym.Env, seed: int | None = None, load_weights: bool = True,
               **kwargs: Any) -> Agent:
    """Builds agent ``name`` for ``env`` (reads only ``env.unwrapped.codec``).

    Args:
        name: one of ``AGENT_NAMES`` or ``"rl:PATH"`` (an RL policy, loaded by
            ``agents.rl.policy.load_rl_agent``).
        env: the environment (its split modes must include what the agent uses:
            see ``env_kwargs_for``).
        seed: seed of the agent's random stream until the first ``reset``.
        load_weights: load the shipped weights of learned agents (MAB, DASO, GOBI).
        **kwargs: passed to the agent's constructor where it takes options.

    Raises:
        ValueError: unknown name, or the env lacks a split mode the agent needs.
        ImportError: ``rl:`` name but no ``agents.rl.policy`` module.
    """
    if name.startswith("rl:"):
        if importlib.util.find_spec("agents.rl") is None or importlib.util.find_spec("agents.rl.policy") is None:
            raise ImportError(f"cannot load {name!r}: agents.rl.policy (load_rl_agent) is not available")
        return importlib.import_module("agents.rl.policy").load_rl_agent(name[3:], env)
    codec = env.unwrapped.codec
    if name == "MC":
        from agents.baselines import make_mc

        return make_mc(codec, seed)
    if name == "Gillis":
        from agents.baselines import make_gillis

        return make_gillis(codec, seed)
    if name in _SURROGATE_AGENTS:
        from agents.daso import make_surrogate_agent

        return make_surrogate_agent(name, codec, seed=seed, load_weights=load_weights, **kwargs)
    if name in HEURISTIC_AGENTS:
        from agents.heuristics import make_heuristic

        return make_heuristic(name, codec, seed, load_weights)
    raise ValueError(f"unknown agent {name!r}; choose from {AGENT_NAMES} or 'rl:PATH'")
