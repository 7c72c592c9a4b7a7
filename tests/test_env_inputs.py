"""Bad input: malformed actions, ignored entries, invalid configuration, and the arrival backlog."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env
from splitplace_env import SplitPlaceConfig


def _small(**kwargs) -> gym.Env:
    """Makes a reset ``SplitPlace-small-v0`` (T=16, H=4, S=2) with overrides."""
    env = gym.make("SplitPlace-small-v0", **kwargs)
    env.reset(seed=0)
    return env


# --------------------------------------------------------------------------- malformed actions
@pytest.mark.parametrize("shape_delta", [-1, +1])
def test_wrong_length_raises_value_error_with_expected_shape(shape_delta: int) -> None:
    """A flat action of the wrong length is rejected and the message gives the expected shape."""
    env = _small()
    n = env.unwrapped.codec.size
    with pytest.raises(ValueError, match=rf"\({n},\)"):
        env.step(np.zeros(n + shape_delta, dtype=np.int64))


@pytest.mark.parametrize("make", [
    lambda n: np.zeros((1, n), dtype=np.int64),
    lambda n: np.zeros((n, 1), dtype=np.int64),
    lambda n: np.int64(0),
    lambda n: [],
])
def test_wrong_shape_raises_value_error(make) -> None:
    """2-D, scalar and empty actions are rejected with a message about the shape."""
    env = _small()
    n = env.unwrapped.codec.size
    with pytest.raises(ValueError, match="shape"):
        env.step(make(n))


def test_float_non_integer_raises_value_error() -> None:
    """A float action with a non-integer entry is rejected; the message asks for integers."""
    env = _small()
    a = env.unwrapped.codec.noop().astype(np.float64)
    a[3] = 0.5
    with pytest.raises(ValueError, match="integer"):
        env.step(a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_raises_value_error(dtype) -> None:
    """NaN in the action is rejected with a message naming NaN."""
    env = _small()
    a = env.unwrapped.codec.noop().astype(dtype)
    a[-1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        env.step(a)


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e30])
def test_non_finite_or_huge_float_raises_value_error(value: float) -> None:
    """Infinite (or int64-overflowing) floats are malformed like NaN: a ValueError, no cast warning."""
    env = _small()
    a = env.unwrapped.codec.noop().astype(np.float64)
    a[-1] = value
    with pytest.raises(ValueError):
        env.step(a)


def test_string_action_raises_value_error() -> None:
    """A non-numeric action is rejected with a ValueError (not a TypeError deep inside)."""
    env = _small()
    n = env.unwrapped.codec.size
    with pytest.raises(ValueError):
        env.step(np.array(["a"] * n))


def test_integral_float_action_equals_int_action(tree_equal) -> None:
    """A float array holding integers is read as the same integer action."""
    a_env, b_env = _small(), _small()
    rng = np.random.default_rng(0)
    for _ in range(5):
        act = rng.integers(0, a_env.action_space.nvec)
        tree_equal(a_env.step(act), b_env.step(act.astype(np.float64)))


def test_malformed_action_leaves_state_untouched(tree_equal) -> None:
    """A rejected action does not advance or change the episode."""
    env, ref = _small(), _small()
    bad = env.unwrapped.codec.noop().astype(np.float64)
    bad[0] = np.nan
    with pytest.raises(ValueError):
        env.step(bad)
    noop = env.unwrapped.codec.noop()
    tree_equal(env.step(noop), ref.step(noop))


# --------------------------------------------------------------------------- ignored entries
def test_meaningless_and_out_of_range_entries_are_counted() -> None:
    """Each meaningless or out-of-range entry is ignored and counted exactly once."""
    env = gym.make("SplitPlace-small-v0")
    _, info0 = env.reset(seed=0)
    base = env.unwrapped
    codec, T, H = base.codec, base.codec.n_tasks, base.codec.n_hosts
    info_slots = np.asarray(info0["pending"]["slot"])
    assert 1 <= info_slots.size < T, "seed 0 should leave some slots empty and some new"
    new, empty = int(info_slots[0]), int(np.setdiff1d(np.arange(T), info_slots)[0])
    a = codec.noop()
    a[empty] = 1                                        # split for a slot without a new task
    a[T + codec.fragment_slot(empty, 0)] = 1            # host for an empty fragment slot
    a[T + codec.fragment_slot(empty, 1)] = -1           # negative host
    a[T + codec.fragment_slot(new, 0)] = H + 1          # host beyond H
    a[T + codec.fragment_slot(new, 1)] = 1              # fragment 1 of a layer chain: blocked
    a[new] = 0                                          # "layer" (valid)
    _, reward, _, _, info = env.step(a)
    assert info["ignored_actions"] == 5
    assert info["placements"] == 0 and info["migrations"] == 0
    assert math.isfinite(reward)


def test_out_of_range_split_for_new_task_is_counted() -> None:
    """An out-of-range split of a new task is counted as ignored and the task is still split."""
    env = gym.make("SplitPlace-small-v0")
    _, info0 = env.reset(seed=0)
    slot = int(info0["pending"]["slot"][0])
    a = env.unwrapped.codec.noop()
    a[slot] = 7
    obs, _, _, _, info = env.step(a)
    assert info["ignored_actions"] == 1
    assert obs["tasks"][slot, 1] == 0.0, "the task should no longer wait for a split"


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8, np.uint64])
def test_random_unmasked_extreme_actions_never_crash(dtype) -> None:
    """Random entries far outside the ranges never crash; at least each out-of-range one is counted."""
    env = gym.make("SplitPlace-small-v0")
    env.reset(seed=1)
    nvec = env.action_space.nvec
    info_ = np.iinfo(dtype)
    lo, hi = max(int(info_.min), -(2**40)), min(int(info_.max), 2**40)
    rng = np.random.default_rng(int(np.dtype(dtype).itemsize))
    for i in range(60):
        if i % 3 == 0:
            a = rng.integers(lo, hi, size=nvec.size, endpoint=True)
        else:
            a = rng.integers(max(lo, -3), nvec + 3)
        a = a.astype(dtype)
        obs, reward, terminated, truncated, info = env.step(a)
        as_int = a.astype(np.int64) if dtype != np.uint64 else np.minimum(a, 2**62).astype(np.int64)
        out_of_range = int(np.count_nonzero((as_int < 0) | (as_int >= nvec)))
        assert info["ignored_actions"] >= out_of_range
        assert np.isfinite(reward) and not terminated
        assert obs in env.observation_space
        if truncated:
            env.reset()


# --------------------------------------------------------------------------- configuration
#: (field, invalid value) pairs: wrong type and out of range for every field.
BAD_CONFIG = [
    ("n_hosts", 0), ("n_hosts", 5000), ("n_hosts", 2.5), ("n_hosts", "16"), ("n_hosts", True),
    ("host_ram_gb", ()), ("host_ram_gb", (0.1,)), ("host_ram_gb", ("a",)), ("host_ram_gb", 4.0),
    ("mobile_fraction", -0.1), ("mobile_fraction", 1.5), ("mobile_fraction", "half"),
    ("interval_s", 0.0), ("interval_s", float("inf")), ("interval_s", "300"),
    ("max_episode_steps", 0), ("max_episode_steps", 10.5), ("max_episode_steps", "100"),
    ("arrival_rate", -1.0), ("arrival_rate", float("nan")), ("arrival_rate", "6"),
    ("applications", ()), ("applications", ("ImageNet",)), ("applications", 3),
    ("app_weights", (1.0,)), ("app_weights", (-1.0, 1.0, 1.0)), ("app_weights", (0.0, 0.0, 0.0)),
    ("app_weights", 1.0),
    ("split_modes", ()), ("split_modes", ("slice",)), ("split_modes", ("layer", "layer")),
    ("split_modes", 2),
    ("max_tasks", 0), ("max_tasks", 10**6), ("max_tasks", 4.0),
    ("alpha", -0.5), ("alpha", 2.0), ("alpha", "0.5"),
    ("beta", -0.5), ("beta", 2.0), ("beta", None),
    ("response_norm", 0.0), ("response_norm", "30"),
    ("layer_intervals", (7, 9)), ("layer_intervals", (1, 9, 14)), ("layer_intervals", 7),
    ("layer_intervals", ("a", "b", "c")),
    ("min_sla", 0), ("min_sla", 2.5),
    ("mobility", "teleport"), ("mobility", "sumo:"), ("mobility", 5),
    ("compute_scale", 0.0), ("compute_scale", "fast"),
    ("host_cores", 0), ("host_cores", 1.5),
    ("runtime_overhead_mb", -1.0), ("runtime_overhead_mb", "200"),
    ("stream_chunk_samples", 0), ("stream_chunk_samples", 3.5),
    ("transfer_compression", 0.0), ("transfer_compression", 2.0), ("transfer_compression", "bz2"),
    ("accuracy_noise", "yes"), ("accuracy_noise", 2),
    ("live_inference", "no"), ("live_inference", 1.5),
    ("profile", "guessed"), ("profile", "/no/such/profile.json"), ("profile", 3),
    ("host_cores", (2, 4, 8)), ("host_type_counts", (3, 3)), ("host_type_counts", (16,)),
    ("host_speed", 0.0), ("host_speed", "fast"), ("host_speed", (1.0,)),
    ("host_power", "pi5"), ("host_power", ("pi4b",)), ("host_power", 3),
    ("memory_model", "paged"), ("memory_model", None),
    ("swap_mb", -1.0), ("swap_mb", "40G"),
    ("max_containers", -1), ("max_containers", 2.5),
    ("placeholder_mb", -5.0), ("placeholder_mb", float("nan")),
    ("hide_unmeasured", "yes"), ("container_costs", 1), ("migration", "off"),
    ("arrival_process", "uniform"), ("arrival_std", -0.5),
    ("fault_rate", 1.5), ("fault_rate", -0.1), ("fault_rate", "0.1"), ("fault_recovery_rate", 2.0),
    ("fault_events", ((0, 99, 1),)), ("fault_events", ((0, 0, 0),)), ("fault_events", ((0, 1),)),
    ("fault_events", "trace"), ("reward", "scalarr"), ("reward", 1),
]


@pytest.mark.parametrize("field,value", BAD_CONFIG, ids=[f"{f}={v!r}" for f, v in BAD_CONFIG])
def test_invalid_config_value_names_field(field: str, value) -> None:
    """Every invalid value raises ValueError naming the field, via gym.make and the config."""
    with pytest.raises(ValueError, match=field):
        SplitPlaceConfig.from_kwargs(**{field: value})
    if field == "max_episode_steps":  # gym.make itself checks it first (TypeError from gymnasium)
        with pytest.raises((TypeError, ValueError), match=field):
            gym.make("SplitPlace-small-v0", **{field: value})
        return
    with pytest.raises(ValueError, match=field):
        gym.make("SplitPlace-small-v0", **{field: value})


def test_every_config_field_is_covered_by_bad_values() -> None:
    """The table above has an invalid value for every field of SplitPlaceConfig."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(SplitPlaceConfig)}
    assert fields == {f for f, _ in BAD_CONFIG}


@pytest.mark.parametrize("key", ["n_host", "lambda", "hosts"])
def test_unknown_config_key_is_named(key: str) -> None:
    """An unknown keyword raises ValueError naming it."""
    with pytest.raises(ValueError, match=key):
        gym.make("SplitPlace-v0", **{key: 1})


def test_config_object_and_render_mode_are_checked() -> None:
    """``config=`` must be a SplitPlaceConfig and ``render_mode`` a declared mode."""
    with pytest.raises(ValueError, match="config"):
        gym.make("SplitPlace-v0", config={"n_hosts": 4})
    with pytest.raises(ValueError, match="render_mode"):
        splitplace_env.SplitPlaceEnv(render_mode="human")


def test_config_object_and_kwargs_are_accepted() -> None:
    """A SplitPlaceConfig and kwargs reach the engine (shapes follow them)."""
    cfg = SplitPlaceConfig(n_hosts=5, max_tasks=3, split_modes=("semantic", "compressed", "layer1"))
    env = gym.make("SplitPlace-v0", config=cfg)
    obs, _ = env.reset(seed=0)
    assert obs["hosts"].shape == (5, 11)
    assert obs["tasks"].shape == (3, 13) and obs["fragments"].shape == (15, 11)
    assert env.action_space.nvec.tolist() == [3] * 3 + [6] * 15
    env2 = gym.make("SplitPlace-v0", n_hosts=7, split_modes=["layer"])
    assert env2.unwrapped.config.split_modes == ("layer",)
    assert env2.observation_space["hosts"].shape == (7, 11)


# --------------------------------------------------------------------------- arrivals backlog
def test_arrivals_beyond_slots_queue_and_are_never_dropped(masked_action) -> None:
    """With 2 slots and Poisson(6) arrivals, extra tasks queue in FIFO order and enter later."""
    # Streaming memory without swap: random placements of full-batch layer chains would page
    # for so long that too few tasks finish to exercise the backlog within 100 intervals.
    env = gym.make("SplitPlace-v0", max_tasks=2, arrival_rate=6.0, memory_model="streaming", swap_mb=0.0)
    engine = env.unwrapped.engine
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=5)
    first_slots = len(info["pending"]["task_id"])  # tasks that got a slot at once
    finished: list[int] = []
    pending_seen: list[int] = []
    max_backlog = 0
    for _ in range(100):
        pending_seen.extend(int(t) for t in info["pending"]["task_id"] if int(t) not in pending_seen)
        obs, _, _, truncated, info = env.step(masked_action(env, rng))
        finished.extend(info["finished"]["task_id"].tolist())
        counts = engine.task_counts()
        assert counts["arrived"] == info["arrived_total"]
        assert counts["arrived"] == counts["waiting"] + counts["running"] + counts["finished"]
        assert min(counts.values()) >= 0
        assert counts["finished"] == info["finished_total"] == len(finished)
        max_backlog = max(max_backlog, info["backlog"])
        if truncated:
            break
    assert max_backlog > 10, "the backlog should build up with 2 slots and Poisson(6)"
    assert len(set(finished)) == len(finished), "a task finished twice"
    backlogged = [t for t in finished if t >= first_slots]
    assert len(backlogged) >= 5, "backlogged tasks should enter the slots and finish"
    assert pending_seen == sorted(pending_seen), "the backlog must admit tasks in FIFO order"
    assert pending_seen == list(range(len(pending_seen))), "a task was skipped (dropped)"
    active = set(engine.task_id[engine.task_active].tolist())
    admitted = set(range(info["arrived_total"] - info["backlog"]))
    assert active.isdisjoint(finished)
    assert active | set(finished) == admitted, "admitted tasks are neither active nor finished"


def test_lifecycle_errors_before_reset_and_after_close():
    from splitplace_env.env import SplitPlaceEnv

    env = SplitPlaceEnv(render_mode="ansi", n_hosts=4, max_tasks=4)
    with pytest.raises(RuntimeError, match=r"reset\(\) before action_masks"):
        env.action_masks()
    with pytest.raises(RuntimeError, match=r"reset\(\) before render"):
        env.render()
    with pytest.raises(RuntimeError, match=r"reset\(\) before step"):
        env.step(env.action_space.sample())
    env.reset(seed=0)
    env.step(np.zeros(env.action_space.shape, dtype=np.int64))
    assert env.action_masks().shape == (env.engine.mask_size,)
    env.close()
    for call in (lambda: env.step(np.zeros(env.action_space.shape, dtype=np.int64)), env.action_masks,
                 env.render, lambda: env.reset(seed=1)):
        with pytest.raises(RuntimeError, match="closed"):
            call()


# --------------------------------------------------------------------------- episode length and presets (issue 13)
def test_time_feature_follows_make_max_episode_steps() -> None:
    """``gym.make(id, max_episode_steps=200)``: the time feature is t/200 (it stuck at 1.0 from t = 100)."""
    env = gym.make("SplitPlace-v0", max_episode_steps=200, arrival_rate=0.0)
    env.reset(seed=0)
    noop = env.unwrapped.codec.noop()
    for _ in range(150):
        obs, _, _, truncated, _ = env.step(noop)
        assert not truncated
    assert obs["globals"][0] == pytest.approx(150 / 200)


def test_vector_time_feature_follows_make_vec_max_episode_steps() -> None:
    """The native vector env truncates at, and scales its time feature by, make_vec's max_episode_steps."""
    envs = gym.make_vec("SplitPlace-small-v0", num_envs=2, max_episode_steps=8, arrival_rate=0.0)
    envs.reset(seed=0)
    act = np.zeros(envs.action_space.shape, dtype=np.int64)
    for t in range(1, 9):
        obs, _, _, truncated, _ = envs.step(act)
        assert truncated.all() == (t == 8)
        np.testing.assert_allclose(obs["globals"][:, 0], t / 8)


def test_small_id_with_config_builds_that_config() -> None:
    """``gym.make("SplitPlace-small-v0", config=SplitPlaceConfig(n_hosts=32))`` has 32 hosts (it had 4)."""
    env = _small(config=SplitPlaceConfig(n_hosts=32))
    assert env.observation_space["hosts"].shape == (32, 11)
    assert env.unwrapped.config.n_hosts == 32


def test_bad_profile_file_via_make_names_the_file(tmp_path) -> None:
    """A profile path that is not a profile document fails at make with the path in the message."""
    path = tmp_path / "hostname"
    path.write_text("myhost\n")
    with pytest.raises(ValueError, match=rf"{path}' is not JSON"):
        gym.make("SplitPlace-v0", profile=str(path))


def test_long_intervals_are_bounded_with_a_reason() -> None:
    """interval_s above an hour is refused (a day's random-waypoint walk made a step take seconds)."""
    with pytest.raises(ValueError, match=r"interval_s must be a number in \[1.0, 3600.0\]"):
        gym.make("SplitPlace-v0", interval_s=86400)
