"""The supported algorithms: how each is built and which environment view it uses.

Every algorithm uses SB3's ``MultiInputPolicy`` (for the actor-critics, the
variant of ``agents.rl.policies`` with a batched action distribution): the observation stays the
environment's ``Dict`` (``CombinedExtractor`` flattens each part and
concatenates them). We prefer it to a ``FlattenObservation`` wrapper because the
saved model then acts on the environment's own observation, so an agent built
from it needs no wrapper at evaluation time, extra keys (``action_mask``, the
per-decision view's ``decision``) are dropped or used by name, and a per-part
feature extractor (e.g. a set encoder over hosts) can replace the default one
without touching the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AlgoSpec:
    """How to build one algorithm.

    Attributes:
        name: CLI name.
        module: module of the SB3 class.
        cls_name: class name in ``module``.
        default_env: environment id used when ``--env`` is not given.
        masked: the algorithm reads ``action_masks()`` (sb3-contrib).
        on_policy: rollout-based (PPO family) rather than replay-based.
        defaults: constructor defaults tuned for SplitPlace (overridable).
        policy: policy class path ("module:Class") or an SB3 policy alias.
    """

    name: str
    module: str
    cls_name: str
    default_env: str
    masked: bool = False
    on_policy: bool = True
    defaults: dict[str, Any] = field(default_factory=dict)
    policy: str = "MultiInputPolicy"

    def cls(self):
        """Imports and returns the algorithm class."""
        import importlib

        return getattr(importlib.import_module(self.module), self.cls_name)

    def policy_cls(self):
        """The policy class (or SB3 alias string) passed to the algorithm."""
        import importlib

        if ":" not in self.policy:
            return self.policy
        module, name = self.policy.split(":")
        return getattr(importlib.import_module(module), name)


_PPO_DEFAULTS = {"n_steps": 256, "batch_size": 128, "n_epochs": 5, "gamma": 0.95,
                 "gae_lambda": 0.9, "learning_rate": 3e-4, "ent_coef": 0.0}

_GROUPED = "agents.rl.policies:GroupedMultiInputPolicy"
_GROUPED_MASKED = "agents.rl.policies:GroupedMaskableMultiInputPolicy"

ALGOS: dict[str, AlgoSpec] = {
    "ppo": AlgoSpec("ppo", "stable_baselines3", "PPO", "SplitPlace-v0", defaults=dict(_PPO_DEFAULTS),
                    policy=_GROUPED),
    "a2c": AlgoSpec("a2c", "stable_baselines3", "A2C", "SplitPlace-v0",
                    defaults={"n_steps": 16, "gamma": 0.95, "learning_rate": 7e-4}, policy=_GROUPED),
    "maskable_ppo": AlgoSpec("maskable_ppo", "sb3_contrib", "MaskablePPO", "SplitPlace-v0", masked=True,
                             defaults=dict(_PPO_DEFAULTS), policy=_GROUPED_MASKED),
    "dqn": AlgoSpec("dqn", "stable_baselines3", "DQN", "SplitPlace-PerDecision-v0", on_policy=False,
                    defaults={"buffer_size": 50_000, "learning_starts": 500, "batch_size": 64,
                              "gamma": 0.99, "train_freq": 4, "target_update_interval": 1000,
                              "exploration_fraction": 0.3, "learning_rate": 1e-4}),
}

#: Accepted spellings -> canonical name.
ALIASES = {"maskableppo": "maskable_ppo", "maskable-ppo": "maskable_ppo", "mppo": "maskable_ppo"}


def get_spec(name: str) -> AlgoSpec:
    """Returns the spec of ``name`` (case-insensitive; aliases accepted).

    Raises:
        ValueError: for an unknown algorithm.
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key not in ALGOS:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {sorted(ALGOS)}")
    return ALGOS[key]


def fit_defaults(spec: AlgoSpec, n_envs: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Constructor kwargs: the spec's defaults, made consistent with ``n_envs``, then overrides.

    PPO's minibatch must divide ``n_steps * n_envs``; the default batch size is
    capped at the rollout size so that short runs (tests) stay valid.
    """
    kw = dict(spec.defaults)
    if "batch_size" in kw and "n_steps" in kw:
        kw["batch_size"] = min(kw["batch_size"], kw["n_steps"] * n_envs)
    kw.update(overrides or {})
    return kw
