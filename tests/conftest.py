"""Shared pytest set-up for the SplitPlace-v0 test suite.

Provides:

* a Hypothesis profile (modest example counts, no deadline: the suite shares two
  cores with other jobs, so wall-clock deadlines would be flaky);
* the ``splitplace_id`` parameter: every registered Gymnasium id starting with
  ``"SplitPlace"`` (``splitplace_env.ENV_IDS`` plus any id registered later, e.g.
  a per-decision view), so environment-wide contract tests cover new ids without
  edits;
* small session-scoped helper fixtures (``tree_equal``, ``masked_action``) that
  are safe to use inside ``@given`` tests.
"""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import splitplace_env

settings.register_profile(
    "splitplace",
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
    print_blob=True,
)
settings.load_profile("splitplace")


def splitplace_ids() -> list[str]:
    """Returns every registered environment id that starts with ``"SplitPlace"``.

    Returns:
        Sorted ids: ``splitplace_env.ENV_IDS`` and any other registered
        ``SplitPlace*`` id found in Gymnasium's registry.
    """
    ids = set(splitplace_env.ENV_IDS)
    ids.update(k for k in gym.registry if k.startswith("SplitPlace"))
    return sorted(ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes any test that asks for ``splitplace_id`` over every registered id."""
    if "splitplace_id" in metafunc.fixturenames:
        metafunc.parametrize("splitplace_id", splitplace_ids())


def _tree_equal(a: Any, b: Any, path: str = "") -> None:
    """Asserts that two nested structures of dicts, sequences, arrays and scalars are equal.

    NaN equals NaN (arrays are compared with ``equal_nan`` where the dtype allows).

    Args:
        a: first structure.
        b: second structure.
        path: location inside the structure, for the failure message.

    Raises:
        AssertionError: naming the first differing location.
    """
    if isinstance(a, dict):
        assert isinstance(b, dict), f"{path}: dict vs {type(b).__name__}"
        assert set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _tree_equal(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: sequence mismatch"
        for i, (x, y) in enumerate(zip(a, b)):
            _tree_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, f"{path}: shape {x.shape} != {y.shape}"
        assert x.dtype == y.dtype, f"{path}: dtype {x.dtype} != {y.dtype}"
        nan_ok = x.dtype.kind in "fc"
        assert np.array_equal(x, y, equal_nan=nan_ok), f"{path}: arrays differ\n{x}\n{y}"
    elif isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return
    else:
        assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="session")
def tree_equal() -> Callable[..., None]:
    """The recursive equality assertion ``tree_equal(a, b)`` (see ``_tree_equal``)."""
    return _tree_equal


def _masked_action(env: gym.Env, rng: np.random.Generator, place_prob: float = 1.0) -> np.ndarray:
    """Draws a random action that only uses entries the mask allows.

    Every split row picks uniformly among its allowed split indices; every host
    row is "leave as is" with probability ``1 - place_prob`` and otherwise picks
    uniformly among its allowed columns (column 0 included).

    Args:
        env: a SplitPlace environment (wrapped or not).
        rng: the random generator.
        place_prob: probability that a host row draws from its mask at all.

    Returns:
        The flat int64 action.
    """
    base = env.unwrapped
    codec = base.codec
    split_rows, host_rows = codec.split_masks(base.action_masks())
    splits = np.argmax(rng.random(split_rows.shape) * split_rows, axis=1)
    hosts = np.argmax(rng.random(host_rows.shape) * host_rows, axis=1)
    hosts[rng.random(hosts.shape[0]) >= place_prob] = 0
    return np.concatenate([splits, hosts]).astype(np.int64)


@pytest.fixture(scope="session")
def masked_action() -> Callable[..., np.ndarray]:
    """The sampler ``masked_action(env, rng, place_prob=1.0)`` (see ``_masked_action``)."""
    return _masked_action
