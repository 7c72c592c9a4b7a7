"""Action codec input: integers only, fragments within a task, numpy integers welcome (issue 13, part A)."""

from __future__ import annotations

import numpy as np
import pytest

from splitplace_env import ActionCodec

T, H = 4, 5
CODEC = ActionCodec(T, H, ("layer", "semantic"))


def test_pair_key_with_fragment_beyond_five_is_refused() -> None:
    """``{(0, 7): 0}`` used to address fragment 2 of task 1; a fragment index is in [0, 5)."""
    with pytest.raises(ValueError, match=r"fragment in \[0, 5\)"):
        CODEC.encode(placements={(0, 7): 0})
    for bad in [(0, -1), (0, 5), (T, 0), (0,), (0, 1, 2), (0.0, 1), (0, True)]:
        with pytest.raises(ValueError, match="placements"):
            CODEC.encode(placements={bad: 0})


@pytest.mark.parametrize("kwargs,match", [
    ({"splits": {0: 1.7}}, r"splits\[0\].*float 1\.7"),
    ({"splits": {0: 1.0}}, r"splits\[0\]"),
    ({"splits": {0: True}}, r"splits\[0\].*bool"),
    ({"splits": {1.5: "semantic"}}, "task slot.*float 1.5"),
    ({"splits": {True: 1}}, "task slot.*bool"),
    ({"splits": {"0": 1}}, "task slot"),
    ({"splits": [1.5]}, r"splits\[0\]"),
    ({"splits": "layer"}, "splits must be"),
    ({"splits": ["layer"] * (T + 1)}, "at most"),
    ({"splits": 3}, "splits must be"),
    ({"placements": {0: 1.5}}, r"placements\[0\].*host"),
    ({"placements": {0: True}}, r"placements\[0\].*bool"),
    ({"placements": {0: "1"}}, r"placements\[0\]"),
    ({"placements": {1.5: 0}}, "fragment slot"),
    ({"placements": {False: 0}}, "fragment slot"),
    ({"placements": [(0, 1)]}, "placements must be a mapping"),
])
def test_fractional_bool_and_other_kinds_are_refused_not_truncated(kwargs, match) -> None:
    """A float or bool slot, split or host raises ValueError naming the entry; nothing is truncated."""
    with pytest.raises(ValueError, match=match):
        CODEC.encode(**kwargs)


def test_numpy_integers_and_none_are_accepted() -> None:
    """Numpy integers work like ints (also in pair keys); None means "not given" / "leave as is"."""
    a = CODEC.encode(splits={np.int64(1): np.int32(1), 2: "semantic", 3: None},
                     placements={np.int64(0): np.uint8(4), (np.int64(1), np.int8(2)): np.int16(0), 3: None})
    b = CODEC.encode(splits={1: 1, 2: 1}, placements={0: 4, (1, 2): 0})
    np.testing.assert_array_equal(a, b)
    assert a[:T].tolist() == [0, 1, 1, 0]
    assert a[T + 0] == 5 and a[T + CODEC.fragment_slot(1, 2)] == 1
    np.testing.assert_array_equal(CODEC.encode(splits=np.array([1, 0, 1])), CODEC.encode(splits=[1, 0, 1]))


def test_decode_reads_actions_as_the_env_does() -> None:
    """Integral floats decode like ints; NaN, fractions, strings and ragged input raise ValueError."""
    a = CODEC.encode(splits={0: 1}, placements={(2, 1): 3})
    assert CODEC.decode(a.astype(np.float32)) == CODEC.decode(a)
    assert CODEC.decode(a.astype(np.uint8)) == CODEC.decode(a)
    for bad in (a.astype(np.float64) + 0.5, np.full(CODEC.size, np.nan), np.full(CODEC.size, 1e30),
                np.array(["a"] * CODEC.size), a.astype(bool), [[1, 2], [3]], a[:-1], None):
        with pytest.raises(ValueError, match="action"):
            CODEC.decode(bad)


def test_decode_of_any_integer_action_round_trips() -> None:
    """Even out-of-range integer actions decode (None / left out) and re-encode to their valid part."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = rng.integers(-3, CODEC.nvec + 3)
        d = CODEC.decode(a)
        again = CODEC.encode(splits=d["splits"], placements=d["placements"])
        keep = (a >= 0) & (a < CODEC.nvec)
        np.testing.assert_array_equal(again[keep], a[keep])
        assert (again[~keep] == 0).all()


def test_codec_fields_and_split_masks_are_checked() -> None:
    """A codec needs positive sizes and split names; ``split_masks`` needs the factored mask's size."""
    for args in [(0, 3, ("layer",)), (2, 1.5, ("layer",)), (2, True, ("layer",)), (2, 3, ()), (2, 3, (1,))]:
        with pytest.raises(ValueError):
            ActionCodec(*args)
    assert ActionCodec(np.int64(2), 3, ["layer"]).n_tasks == 2
    size = T * 2 + 5 * T * (H + 1)
    rows, hosts = CODEC.split_masks(np.ones(size, dtype=bool))
    assert rows.shape == (T, 2) and hosts.shape == (5 * T, H + 1)
    with pytest.raises(ValueError, match="mask"):
        CODEC.split_masks(np.ones(size - 1, dtype=bool))
