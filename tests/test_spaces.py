"""The action space's vectorised masked sample (``splitplace_env.spaces``)."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import splitplace_env  # noqa: F401
from splitplace_env.spaces import FactoredMultiDiscrete


def _masks(nvec, rng):
    """One int8 mask per entry; some entries allow nothing, some one value."""
    out = []
    for i, n in enumerate(nvec):
        m = (rng.random(n) < 0.5).astype(np.int8)
        if i % 7 == 0:
            m[:] = 0
        elif i % 7 == 1:
            m[:] = 0
            m[rng.integers(n)] = 1
        out.append(m)
    return tuple(out)


def test_env_space_is_a_multidiscrete_with_the_codecs_sizes():
    env = gym.make("SplitPlace-v0")
    assert isinstance(env.action_space, spaces.MultiDiscrete)
    assert type(env.action_space) is FactoredMultiDiscrete
    assert np.array_equal(env.action_space.nvec, env.unwrapped.codec.nvec)


def test_masked_sample_respects_the_mask_and_matches_gymnasiums_frequencies():
    nvec = np.array([3, 5, 2, 4, 6, 3, 7, 2])
    space = FactoredMultiDiscrete(nvec, seed=1)
    reference = spaces.MultiDiscrete(nvec, seed=2)
    mask = _masks(nvec, np.random.default_rng(0))
    n = 4000
    ours = np.array([space.sample(mask=mask) for _ in range(n)])
    theirs = np.array([reference.sample(mask=mask) for _ in range(n)])
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    for i, (m, size) in enumerate(zip(mask, nvec)):
        allowed = np.flatnonzero(m)
        if len(allowed) == 0:  # Gymnasium: ``start`` when nothing is allowed
            assert (ours[:, i] == 0).all() and (theirs[:, i] == 0).all()
            continue
        assert np.isin(ours[:, i], allowed).all()
        # each allowed value drawn with probability 1 / len(allowed): within 5 standard errors
        freq = np.bincount(ours[:, i], minlength=size)[allowed] / n
        p = 1 / len(allowed)
        assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n)), (i, freq, p)


def test_masked_sample_on_the_env_mask_is_seeded_and_allowed():
    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    mask = env.unwrapped.action_masks()
    cuts = np.cumsum(env.action_space.nvec)[:-1]
    per_entry = tuple(m.astype(np.int8) for m in np.split(mask, cuts))
    env.action_space.seed(5)
    a = env.action_space.sample(mask=per_entry)
    env.action_space.seed(5)
    assert np.array_equal(a, env.action_space.sample(mask=per_entry))
    assert np.array_equal(a, (env.action_space.seed(5), env.action_space.sample_flat(mask))[1])
    env.action_space.seed(5)  # the flat mask itself, as action_masks() returns it: the same draw
    assert np.array_equal(a, env.action_space.sample(mask=mask))
    env.action_space.seed(5)
    assert np.array_equal(a, env.action_space.sample(mask=mask.astype(np.int8)))
    assert all(m[v] for m, v in zip(per_entry, a))
    env.step(a)  # a valid action of the env's space


def test_masked_sample_with_start_offsets_values():
    space = FactoredMultiDiscrete([3, 4], seed=0, start=[10, -2])
    v = space.sample(mask=(np.array([0, 0, 1], np.int8), np.array([0, 0, 0, 0], np.int8)))
    assert v.tolist() == [12, -2]


@pytest.mark.parametrize("bad, message", [
    ([np.ones(3, np.int8), np.ones(4, np.int8)], "must be a tuple of 2"),
    ((np.ones(3, np.int8),), "tuple of 2 int8 arrays .* of length 1"),
    ((np.ones(3, np.int8), np.ones(4, bool)), r"mask\[1\] must be an int8 array of shape \(4,\), got bool"),
    ((np.ones(3, np.int8), np.ones(5, np.int8)), r"mask\[1\] must be an int8 array of shape \(4,\)"),
    ((np.ones(3, np.int8), [1, 1, 1, 1]), r"mask\[1\] .* got list"),
    ((np.ones(3, np.int8), np.array([0, 2, 0, 1], np.int8)), "0 or 1"),
    (np.ones(6, bool), r"flat mask must be a bool .* shape \(7,\) \(sum of nvec\), got bool array of shape \(6,\)"),
    (np.ones(7, np.float32), r"flat mask must be a bool .* got float32"),
    (np.array([1, 0, 2, 1, 1, 1, 1], np.int8), "0 or 1"),
])
def test_bad_masks_are_refused_with_the_field_named(bad, message):
    with pytest.raises(ValueError, match=message):
        FactoredMultiDiscrete([3, 4]).sample(mask=bad)


def test_unmasked_and_probability_samples_are_gymnasiums():
    space = FactoredMultiDiscrete([3, 4], seed=3)
    reference = spaces.MultiDiscrete([3, 4], seed=3)
    assert np.array_equal(space.sample(), reference.sample())
    p = (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.5, 0.5]))
    assert np.array_equal(space.sample(probability=p), reference.sample(probability=p))


def test_step_info_deepcopies_to_an_equal_independent_dict():
    import copy
    import pickle

    from splitplace_env.info import StepInfo

    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    for _ in range(8):  # until tasks have finished, so the records are not empty
        a = env.action_space.sample(mask=tuple(
            m.astype(np.int8) for m in np.split(env.unwrapped.action_masks(), np.cumsum(env.action_space.nvec)[:-1])))
        *_, info = env.step(a)
    info["episode"] = {"r": 1.0, "l": [1, 2]}  # what a wrapper adds: copied by deepcopy itself
    assert type(info) is StepInfo and isinstance(info, dict)
    dup = copy.deepcopy(info)
    generic = copy.deepcopy(dict(info))  # the generic deepcopy of the same values
    assert type(dup) is StepInfo and dup.keys() == info.keys() == generic.keys()
    for k, v in info.items():
        if isinstance(v, np.ndarray):
            assert np.array_equal(dup[k], v) and not np.shares_memory(dup[k], v)
        else:
            assert dup[k] == v == generic[k], k
    assert dup["episode"] is not info["episode"] and dup["episode"]["l"] is not info["episode"]["l"]
    assert dup["rewards"] is not info["rewards"]
    fin = info["finished"]
    assert len(fin["task_id"]) > 0 and not np.shares_memory(dup["finished"]["task_id"], fin["task_id"])
    back = pickle.loads(pickle.dumps(info))
    assert type(back) is StepInfo and back.keys() == info.keys() and back["finished"] == fin
