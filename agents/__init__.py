"""Scheduling agents for SplitPlace-v0: the SplitPlace policy (MAB + DASO), its
ablations, the Gillis and MC baselines and simple heuristics, plus the episode
runner and the Table 1 metrics.

Agents see only the observation (with ``obs["action_mask"]``), ``info`` and the
environment's ``ActionCodec`` (see ``docs/API.md``).
"""

from agents.base import Agent
from agents.registry import AGENT_NAMES, TABLE1_AGENTS, env_kwargs_for, make_agent
from agents.runner import EpisodeResult, run_episode

__all__ = ["AGENT_NAMES", "TABLE1_AGENTS", "Agent", "EpisodeResult", "env_kwargs_for",
           "make_agent", "run_episode"]
