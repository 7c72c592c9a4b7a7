"""Fast policies for SplitPlace's wide ``MultiDiscrete`` action.

SplitPlace-v0's action has T + 5T = 384 sub-actions. SB3 and sb3-contrib build
one ``Categorical`` per sub-action and loop over them in Python at every
forward pass, which dominates the cost of a step (hundreds of ms). The
sub-actions come in a few runs of equal size (T splits of S choices, 5T hosts of
H + 1 choices), so the distributions here hold one batched ``Categorical`` per
run instead: same probabilities, log-probabilities, entropies and samples, in a
handful of tensor operations.

``GroupedMultiInputPolicy`` (PPO, A2C) and ``GroupedMaskableMultiInputPolicy``
(MaskablePPO) are the ``MultiInputPolicy`` of each library with the action
distribution swapped, and Adam's fused kernel where the optimizer is the
library's default Adam; for other action spaces the distribution is unchanged.
"""

from __future__ import annotations

import functools
from itertools import groupby

import torch as th
from gymnasium import spaces
from sb3_contrib.common.maskable.distributions import MaskableMultiCategoricalDistribution
from sb3_contrib.common.maskable.policies import MaskableMultiInputActorCriticPolicy
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from stable_baselines3.common.policies import MultiInputActorCriticPolicy


def equal_runs(action_dims) -> list[tuple[int, int]]:
    """Runs of equal sizes in ``action_dims`` as ``(count, size)`` pairs, in order."""
    return [(len(list(g)), int(n)) for n, g in groupby(int(d) for d in action_dims)]


#: The logit of a masked choice (sb3-contrib's ``MaskableCategorical``).
MASKED_LOGIT = -1e8


class _RunCategorical:
    """``count`` categoricals of ``size`` choices each, as one (batch, count, size)
    tensor of normalised log-probabilities.

    The same probabilities, log-probabilities and entropies as torch's
    ``Categorical`` (sb3-contrib's ``MaskableCategorical`` when masked), without
    its argument validation and with Gumbel-max sampling (one ``argmax`` instead
    of ``multinomial``): a forward pass over hundreds of sub-actions then costs a
    few tensor operations.
    """

    def __init__(self, logits: th.Tensor) -> None:
        self.raw = logits
        self.masks: th.Tensor | None = None
        self._logits: th.Tensor | None = None

    @property
    def logits(self) -> th.Tensor:
        """Normalised log-probabilities, computed once per distribution (after masking)."""
        if self._logits is None:
            raw = self.raw if self.masks is None else th.where(self.masks, self.raw, MASKED_LOGIT)
            self._logits = th.log_softmax(raw, dim=-1)
        return self._logits

    def apply_masking(self, masks: th.Tensor | None) -> None:
        self.masks = masks
        self._logits = None

    def log_prob(self, actions: th.Tensor) -> th.Tensor:
        return self.logits.gather(-1, actions.unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> th.Tensor:
        if self.masks is None:  # exp of the log-probs: no second softmax over the small last dim
            return -(self.logits.exp() * self.logits).sum(dim=-1)
        # softmax, not exp(log-probs): exp of the masked -1e8 entries takes torch's slow
        # path (several times the whole step); a masked choice has p = 0 exactly, so it
        # adds nothing (each categorical has an allowed choice: the env always allows 0)
        return -(th.softmax(th.where(self.masks, self.raw, MASKED_LOGIT), dim=-1) * self.logits).sum(dim=-1)

    def sample(self) -> th.Tensor:
        u = th.rand_like(self.logits).clamp_(min=th.finfo(self.logits.dtype).tiny)
        return th.argmax(self.logits - th.log(-th.log(u)), dim=-1)

    def mode(self) -> th.Tensor:
        return th.argmax(self.logits, dim=-1)


class _Grouped:
    """Shared logic: one batched categorical per run of equal sub-action sizes."""

    action_dims: list[int]

    def __init__(self, action_dims: list[int]) -> None:
        super().__init__(action_dims)
        self.runs = equal_runs(self.action_dims)
        self.run_widths = [c * n for c, n in self.runs]
        self.run_counts = [c for c, _ in self.runs]
        self.groups: list[_RunCategorical] = []

    def proba_distribution(self, action_logits: th.Tensor):
        self.groups = [_RunCategorical(x) for x in self._split_logits(action_logits)]
        return self

    def _split_logits(self, action_logits: th.Tensor) -> list[th.Tensor]:
        flat = action_logits.reshape(-1, sum(self.action_dims))
        return [part.reshape(-1, c, n) for part, (c, n) in zip(th.split(flat, self.run_widths, dim=1), self.runs)]

    def log_prob(self, actions: th.Tensor) -> th.Tensor:
        actions = actions.reshape(-1, len(self.action_dims)).long()
        parts = th.split(actions, self.run_counts, dim=1)
        return sum(d.log_prob(a).sum(dim=1) for d, a in zip(self.groups, parts))

    def entropy(self) -> th.Tensor:
        return sum(d.entropy().sum(dim=1) for d in self.groups)

    def sample(self) -> th.Tensor:
        return th.cat([d.sample() for d in self.groups], dim=1)

    def mode(self) -> th.Tensor:
        return th.cat([d.mode() for d in self.groups], dim=1)


class GroupedMultiCategoricalDistribution(_Grouped, MultiCategoricalDistribution):
    """``MultiCategoricalDistribution`` computed per run of equal sub-action sizes."""


class GroupedMaskableMultiCategoricalDistribution(_Grouped, MaskableMultiCategoricalDistribution):
    """sb3-contrib's masked multi-categorical, computed per run of equal sub-action sizes."""

    def apply_masking(self, masks) -> None:
        if masks is None:
            for d in self.groups:
                d.apply_masking(None)
            return
        m = th.as_tensor(masks, dtype=th.bool).reshape(-1, sum(self.action_dims))
        for d, part, (c, n) in zip(self.groups, th.split(m, self.run_widths, dim=1), self.runs):
            d.apply_masking(part.reshape(-1, c, n))


@functools.cache
def fused_adam_available() -> bool:
    """Whether this torch runs Adam's fused kernel on CPU (torch >= 2.4), probed once."""
    try:
        th.optim.Adam([th.nn.Parameter(th.zeros(1))], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def _with_fused_adam(kwargs: dict) -> dict:
    """``kwargs`` with Adam's fused kernel where the caller left the optimizer to SB3's
    default (Adam, eps 1e-5) and named no implementation. The policy's ~0.9 M
    parameters (the 4,469 observation features into two 64-unit layers, 64 into
    5,568 logits) make the per-tensor Adam update about 30% of PPO's ``train``
    (torch profiler, ``benchmarks.rl_throughput`` settings); fused, it is one pass
    per tensor. Same update rule (Adam), rounding aside."""
    if kwargs.get("optimizer_class", th.optim.Adam) is not th.optim.Adam or not fused_adam_available():
        return kwargs
    given = kwargs.get("optimizer_kwargs")
    if given is not None and ("fused" in given or "foreach" in given):
        return kwargs
    opt = {"eps": 1e-5} if given is None else dict(given)  # SB3's Adam default when none is given
    return {**kwargs, "optimizer_kwargs": {**opt, "fused": True}}


class GroupedMultiInputPolicy(MultiInputActorCriticPolicy):
    """SB3's ``MultiInputPolicy`` with the batched multi-categorical (PPO, A2C), and
    Adam's fused kernel when the optimizer is SB3's default Adam (``_with_fused_adam``)."""

    def __init__(self, observation_space, action_space, *args, **kwargs) -> None:
        super().__init__(observation_space, action_space, *args, **_with_fused_adam(kwargs))
        if isinstance(action_space, spaces.MultiDiscrete):
            self.action_dist = GroupedMultiCategoricalDistribution(list(action_space.nvec))


class GroupedMaskableMultiInputPolicy(MaskableMultiInputActorCriticPolicy):
    """sb3-contrib's ``MultiInputPolicy`` with the batched masked multi-categorical
    (MaskablePPO), and Adam's fused kernel as in ``GroupedMultiInputPolicy``."""

    def __init__(self, observation_space, action_space, *args, **kwargs) -> None:
        super().__init__(observation_space, action_space, *args, **_with_fused_adam(kwargs))
        if isinstance(action_space, spaces.MultiDiscrete):
            self.action_dist = GroupedMaskableMultiCategoricalDistribution(list(action_space.nvec))
