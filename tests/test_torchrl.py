"""TorchRL on SplitPlace: ``GymWrapper`` with an ``ActionMask`` transform honours the env's masks.

The recipe (also for users): wrap the env in ``MaskObservation`` so the mask
travels in the observation, let TorchRL build the action spec, then reshape the
int8 mask into a boolean one of the spec's mask shape before ``ActionMask``.

TorchRL turns a ``MultiDiscrete`` into a ``MultiOneHot`` (or ``MultiCategorical``)
spec, whose mask is the flat factored mask (``sum(nvec)`` entries), except when
every entry of ``nvec`` is equal: then it builds one batched ``OneHot`` (or
``Categorical``) spec of ``len(nvec)`` rows of ``n`` choices, whose mask is
``(len(nvec), n)``. SplitPlace-small-v0 has 2 split modes and 4 hosts (nvec
2,...,2,5,...,5); with all five split modes S == H + 1 == 5 and nvec is uniform.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchrl = pytest.importorskip("torchrl", reason="TorchRL is not installed (part of .[all]: pip install torchrl)")

from torchrl.envs import Compose, GymWrapper, TransformedEnv  # noqa: E402
from torchrl.envs.transforms import ActionMask, UnaryTransform  # noqa: E402

import splitplace_env  # noqa: E402,F401  (registers the ids)
from splitplace_env import MaskObservation  # noqa: E402
from splitplace_env.config import SPLIT_MODES  # noqa: E402

SMALL = "SplitPlace-small-v0"
STEPS = 30
#: (make kwargs, whether nvec is uniform): the default small cluster, and all five
#: split modes on its four hosts (S == H + 1 == 5).
CASES = {"mixed_nvec": ({}, False), "uniform_nvec": ({"split_modes": SPLIT_MODES}, True)}


def _mask_shape(spec) -> tuple[int, ...]:
    """The mask shape ``ActionMask`` expects for a TorchRL action spec of SplitPlace."""
    kind = type(spec).__name__
    if kind == "MultiOneHot":  # one-hot rows laid end to end: the flat factored mask
        return (spec.shape[-1],)
    if kind == "MultiCategorical":
        return (int(torch.as_tensor(spec.nvec).sum()),)
    if kind == "OneHot":
        return tuple(spec.shape[-2:])
    if kind == "Categorical":
        return (spec.shape[-1], spec.space.n)
    raise AssertionError(f"unexpected action spec {kind}")


def masked_torchrl_env(env: gym.Env, categorical: bool) -> TransformedEnv:
    """A SplitPlace env as a TorchRL env whose random actions follow ``action_masks()``."""
    base = GymWrapper(MaskObservation(env), categorical_action_encoding=categorical)
    shape = _mask_shape(base.action_spec)

    def to_bool_mask(mask: torch.Tensor) -> torch.Tensor:
        return mask.bool().reshape(*mask.shape[:-1], *shape)

    return TransformedEnv(base, Compose(UnaryTransform(["action_mask"], ["action_mask"], fn=to_bool_mask),
                                        ActionMask()))


def _rows(action: torch.Tensor, mask: torch.Tensor, nvec: np.ndarray, categorical: bool):
    """Per action entry: the chosen index and that entry's mask row (one step)."""
    bounds = np.cumsum(nvec)[:-1]
    if mask.ndim == 2:  # uniform nvec: already one row per entry
        mask_rows = list(mask)
    else:
        mask_rows = list(torch.tensor_split(mask, torch.as_tensor(bounds)))
    if categorical:
        choices = list(action)
    else:
        one_hots = list(action) if action.ndim == 2 else list(torch.tensor_split(action, torch.as_tensor(bounds)))
        for row in one_hots:
            assert int(row.sum()) == 1, "a one-hot action row must pick exactly one choice"
        choices = [row.argmax() for row in one_hots]
    return [(int(c), m) for c, m in zip(choices, mask_rows)]


@pytest.mark.parametrize("categorical", [False, True], ids=["one_hot", "categorical"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_masked_random_rollout_honours_the_masks(case: str, categorical: bool) -> None:
    make_kwargs, uniform = CASES[case]
    gym_env = gym.make(SMALL, **make_kwargs)
    env = masked_torchrl_env(gym_env, categorical)
    nvec = gym_env.unwrapped.codec.nvec
    assert (len(set(nvec.tolist())) == 1) == uniform
    kind = type(env.action_spec).__name__
    expected = {(False, False): "MultiOneHot", (False, True): "MultiCategorical",
                (True, False): "OneHot", (True, True): "Categorical"}[(uniform, categorical)]
    assert kind == expected, f"TorchRL built {kind} for {case}"

    env.set_seed(0)
    rollout = env.rollout(STEPS, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([STEPS])
    n_split = len(nvec) // 6  # T split rows, then 5T host rows
    blocked = placed = 0
    for t in range(STEPS):
        rows = _rows(rollout["action"][t], rollout["action_mask"][t], nvec, categorical)
        assert len(rows) == len(nvec)
        for choice, row in rows:
            assert bool(row[choice]), f"step {t}: masked-out choice {choice} taken"
        blocked += sum(int((~row).sum()) for _, row in rows)
        placed += sum(choice > 0 for choice, _ in rows[n_split:])
    # The check above is only meaningful if the masks forbid something and hosts get picked.
    assert blocked > 0 and placed > 0


def test_mask_in_the_tensordict_is_the_envs_own_mask() -> None:
    """After reset and after each step, the transformed mask is the env's ``action_masks()``, reshaped."""
    gym_env = gym.make(SMALL, **CASES["uniform_nvec"][0])
    env = masked_torchrl_env(gym_env, False)
    env.set_seed(3)
    td = env.reset()
    for _ in range(5):
        expected = torch.as_tensor(gym_env.unwrapped.action_masks()).reshape(_mask_shape(env.action_spec))
        assert torch.equal(td["action_mask"], expected)
        td = env.step(env.rand_action(td))["next"]
