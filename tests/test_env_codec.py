"""Action codec, action masks, the MaskObservation wrapper and rendering."""

from __future__ import annotations

import re
import warnings

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env
from splitplace_env import ActionCodec, MaskObservation

ALL_MODES = ("layer", "semantic", "compressed", "layer2", "layer1")


# --------------------------------------------------------------------------- codec
def test_codec_layout_matches_action_space() -> None:
    """nvec/size/fragment_slot follow the documented layout and the env's action space."""
    env = gym.make("SplitPlace-small-v0", split_modes=ALL_MODES)
    codec = env.unwrapped.codec
    T, H = 16, 4
    assert (codec.n_tasks, codec.n_hosts, codec.split_modes) == (T, H, ALL_MODES)
    assert codec.size == T + 5 * T == env.action_space.shape[0]
    assert np.array_equal(codec.nvec, env.action_space.nvec)
    assert codec.nvec[:T].tolist() == [5] * T and codec.nvec[T:].tolist() == [H + 1] * (5 * T)
    assert [codec.fragment_slot(k, j) for k in (0, 3) for j in (0, 4)] == [0, 4, 15, 19]
    assert np.array_equal(codec.noop(), np.zeros(codec.size, dtype=np.int64))
    for key in ("ram_mb", "disk_mb", "work_s", "data_mb", "response_intervals", "batch",
                "bandwidth_mbps", "latency_s", "energy_j", "interval_s"):
        assert np.isfinite(codec.scales[key]) and codec.scales[key] > 0, key


def test_codec_encode_decode_round_trip() -> None:
    """decode(encode(x)) == x for random readable actions, encode(decode(a)) == a for valid a."""
    codec = ActionCodec(6, 3, ("layer", "semantic", "compressed"))
    rng = np.random.default_rng(0)
    for _ in range(200):
        splits = {int(k): str(rng.choice(codec.split_modes)) for k in rng.choice(6, rng.integers(0, 7), replace=False)}
        frag = rng.choice(codec.n_fragments, rng.integers(0, 10), replace=False)
        placements = {int(f): int(rng.integers(0, 3)) for f in frag}
        a = codec.encode(splits=splits, placements=placements)
        assert a.shape == (codec.size,) and a.dtype == np.int64
        d = codec.decode(a)
        assert d["placements"] == placements
        assert d["splits"] == [splits.get(k, "layer") for k in range(6)]
        # And back: the decoded structure encodes to the same vector.
        assert np.array_equal(codec.encode(splits=d["splits"], placements=d["placements"]), a)
    for _ in range(100):
        a = rng.integers(0, codec.nvec)
        d = codec.decode(a)
        assert np.array_equal(codec.encode(splits=d["splits"], placements=d["placements"]), a)


def test_codec_encode_accepts_names_indices_and_pairs() -> None:
    """Split names or indices; fragment slots as ints or (task_slot, fragment); None leaves as is."""
    codec = ActionCodec(4, 5, ("layer", "semantic"))
    a = codec.encode(splits={1: "semantic", 2: 1, 3: 0}, placements={(2, 3): 4, 0: 0, (1, 1): None})
    assert a[:4].tolist() == [0, 1, 1, 0]
    hosts = a[4:]
    assert hosts[codec.fragment_slot(2, 3)] == 5 and hosts[0] == 1
    assert np.count_nonzero(hosts) == 2
    assert codec.encode(splits=["semantic"] * 4)[:4].tolist() == [1] * 4


@pytest.mark.parametrize("kwargs", [
    {"splits": {0: "slice"}}, {"splits": {9: "layer"}}, {"splits": {0: 5}}, {"splits": {-1: 0}},
    {"placements": {999: 0}}, {"placements": {(9, 0): 0}}, {"placements": {0: 5}}, {"placements": {0: -1}},
])
def test_codec_encode_rejects_bad_input(kwargs) -> None:
    """Unknown split names, slots or hosts out of range raise ValueError."""
    codec = ActionCodec(4, 5, ("layer", "semantic"))
    with pytest.raises(ValueError):
        codec.encode(**kwargs)


def test_codec_decode_drops_out_of_range_entries() -> None:
    """Out-of-range splits decode to None and out-of-range hosts are left out, like the env ignores them."""
    codec = ActionCodec(2, 3, ("layer", "semantic"))
    a = codec.noop()
    a[0], a[1] = 2, -1
    a[2], a[3], a[4] = 4, -3, 3
    d = codec.decode(a)
    assert d["splits"] == [None, None]
    assert d["placements"] == {2: 2}
    with pytest.raises(ValueError):
        codec.decode(a[:-1])


def test_codec_split_masks_shapes() -> None:
    """split_masks cuts the flat mask into (T, S) and (5T, H+1) rows."""
    codec = ActionCodec(3, 2, ("layer", "semantic", "layer1"))
    flat = np.arange(3 * 3 + 15 * 3)
    s, h = codec.split_masks(flat)
    assert s.shape == (3, 3) and h.shape == (15, 3)
    assert s[1, 0] == 3 and h[0, 0] == 9 and h[-1, -1] == flat[-1]


# --------------------------------------------------------------------------- masks
def _check_mask_semantics(env: gym.Env, obs: dict, info: dict) -> None:
    """Asserts the documented mask semantics in the current state."""
    base = env.unwrapped
    codec = base.codec
    T, H, S = codec.n_tasks, codec.n_hosts, len(codec.split_modes)
    mask = base.action_masks()
    assert mask.dtype == np.bool_ and mask.shape == (T * S + 5 * T * (H + 1),)
    split_rows, host_rows = codec.split_masks(mask)
    new = np.zeros(T, dtype=bool)
    new[np.asarray(info["pending"]["slot"], dtype=np.int64)] = True
    assert np.array_equal(new, obs["tasks"][:, 1] == 1.0), "pending slots != obs 'new' flag"
    assert split_rows[:, 0].all(), "split index 0 must always be allowed"
    assert split_rows[new].all(), "every split must be allowed for a new task"
    assert not split_rows[~new, 1:].any(), "split rows of non-new slots must allow only 0"
    assert host_rows[:, 0].all(), "host column 0 (leave as is) must always be allowed"
    frags = obs["fragments"]
    exists, ready, running = frags[:, 0] == 1, frags[:, 2] == 1, frags[:, 3] == 1
    new_frag = np.repeat(new, 5)
    movable = ready | running | new_frag
    assert not host_rows[~movable, 1:].any(), "only ready/running/new-task fragments may be placed"
    assert not host_rows[exists & ~(ready | running), 1:].any(), "blocked/done fragments cannot move"
    # A running fragment cannot be "moved" to the host it runs on.
    run_idx = np.flatnonzero(running)
    host_of = np.rint(frags[run_idx, 5] * H).astype(int) - 1
    assert not host_rows[run_idx, host_of + 1].any()


@pytest.mark.parametrize("env_id,kwargs", [
    ("SplitPlace-small-v0", {}),
    ("SplitPlace-v0", {}),
    ("SplitPlace-small-v0", {"split_modes": ALL_MODES}),
    ("SplitPlace-small-v0", {"split_modes": ("compressed", "layer2")}),
])
def test_action_mask_semantics_over_an_episode(env_id: str, kwargs: dict, masked_action) -> None:
    """Mask shape and semantics hold after reset and after each masked random step."""
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(1)
    obs, info = env.reset(seed=3)
    _check_mask_semantics(env, obs, info)
    for _ in range(40):
        obs, _, _, truncated, info = env.step(masked_action(env, rng, place_prob=0.7))
        _check_mask_semantics(env, obs, info)
        if truncated:
            break


def test_mask_for_empty_cluster_allows_first_fragments_everywhere() -> None:
    """After reset (empty hosts), fragment 0 of each new task fits every host."""
    env = gym.make("SplitPlace-v0")
    _, info = env.reset(seed=0)
    base = env.unwrapped
    _, host_rows = base.codec.split_masks(base.action_masks())
    for k in np.asarray(info["pending"]["slot"]).tolist():
        assert host_rows[base.codec.fragment_slot(k, 0)].all()


# --------------------------------------------------------------------------- MaskObservation
def test_mask_observation_wrapper_matches_action_masks(masked_action) -> None:
    """obs["action_mask"] equals action_masks() (int8) after reset and every step."""
    env = MaskObservation(gym.make("SplitPlace-small-v0"))
    rng = np.random.default_rng(2)
    obs, _ = env.reset(seed=1)
    for _ in range(30):
        assert obs["action_mask"].dtype == np.int8
        assert np.array_equal(obs["action_mask"], env.unwrapped.action_masks().astype(np.int8))
        assert np.array_equal(env.action_masks(), env.unwrapped.action_masks())
        assert obs in env.observation_space
        assert set(obs) == set(env.observation_space.spaces)
        obs, _, _, _, _ = env.step(masked_action(env, rng))


# --------------------------------------------------------------------------- render
def test_render_ansi_one_line_per_host(masked_action) -> None:
    """ansi render is a str with one line per host (first token = host index, in order)."""
    for n_hosts in (4, 16):
        env = gym.make("SplitPlace-v0", n_hosts=n_hosts, render_mode="ansi")
        env.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(3):
            env.step(masked_action(env, rng))
        text = env.render()
        assert isinstance(text, str)
        first = [ln.split()[0] if ln.split() else "" for ln in text.splitlines()]
        want = [str(h) for h in range(n_hosts)]
        runs = [i for i in range(len(first) - n_hosts + 1) if first[i:i + n_hosts] == want]
        assert runs, f"no block of {n_hosts} host lines in:\n{text}"
        host_lines = text.splitlines()[runs[0]:runs[0] + n_hosts]
        assert all(re.search(r"\d", ln) for ln in host_lines)


def test_render_rgb_array_is_uint8_image(masked_action) -> None:
    """rgb_array render is a uint8 H x W x 3 array that changes as the cluster works."""
    env = gym.make("SplitPlace-small-v0", render_mode="rgb_array")
    env.reset(seed=0)
    img0 = env.render()
    assert isinstance(img0, np.ndarray) and img0.dtype == np.uint8
    assert img0.ndim == 3 and img0.shape[2] == 3 and img0.shape[0] > 0 and img0.shape[1] > 0
    rng = np.random.default_rng(0)
    for _ in range(3):
        env.step(masked_action(env, rng))
    img1 = env.render()
    assert img1.shape == img0.shape and img1.dtype == np.uint8
    assert not np.array_equal(img0, img1)


def test_render_without_mode_warns_and_returns_none() -> None:
    """render() without a render_mode returns None with a warning, never raises."""
    env = splitplace_env.SplitPlaceEnv()
    env.reset(seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert env.render() is None
    assert any("render_mode" in str(w.message) for w in caught), [str(w.message) for w in caught]
