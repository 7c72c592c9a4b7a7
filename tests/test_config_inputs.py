"""Configuration input: numpy values, wrong kinds, bounds, and how gym.make's arguments resolve.

Issue 13 (part A): each case of the issue has a test here (or in ``test_env_inputs.py``
for the cases that need a running environment).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env
from splitplace_env import SplitPlaceConfig
from splitplace_env.config import PRESETS, preset
from splitplace_env.core.layout import PARAMS


# --------------------------------------------------------------------------- numpy values
@pytest.mark.parametrize("field,value,expected", [
    ("n_hosts", np.int64(16), 16),
    ("n_hosts", np.uint16(8), 8),
    ("max_tasks", np.array(12), 12),                 # a 0-d array is a scalar
    ("alpha", np.float32(0.25), 0.25),
    ("interval_s", np.float16(60.0), 60.0),
    ("arrival_rate", np.int32(3), 3),
    ("migration", np.bool_(False), False),
    ("accuracy_noise", np.array(True), True),
    ("host_ram_gb", np.array([4.0, 8.0]), (4.0, 8.0)),
    ("host_ram_gb", [np.float32(2.0), np.int64(16)], (2.0, 16)),
    ("host_cores", np.array([2, 4]), (2, 4)),
    ("host_speed", np.float64(2.0), 2.0),
    ("app_weights", np.array([1.0, 2.0, 3.0]), (1.0, 2.0, 3.0)),
    ("layer_intervals", np.array([7, 9, 14], dtype=np.int32), (7, 9, 14)),
    ("applications", np.array(["MNIST", "CIFAR100"]), ("MNIST", "CIFAR100")),
    ("split_modes", [np.str_("layer")], ("layer",)),
    ("memory_model", np.str_("streaming"), "streaming"),
])
def test_numpy_scalars_and_arrays_are_accepted_as_python_values(field, value, expected) -> None:
    """Numpy scalars, 0-d and 1-d arrays of valid values are stored as the Python values they hold."""
    kwargs = {field: value}
    if field == "applications":
        kwargs["app_weights"] = ()
    cfg = SplitPlaceConfig(**kwargs)
    stored = getattr(cfg, field)
    assert stored == expected
    for x in (stored if isinstance(stored, tuple) else (stored,)):
        assert type(x) in (int, float, bool, str), f"{field} kept a {type(x).__name__}"
    hash(cfg)  # still hashable: no arrays inside


def test_numpy_config_equals_python_config_and_runs_the_same(tree_equal) -> None:
    """A config of numpy values builds the same environment as its Python twin."""
    py = SplitPlaceConfig(n_hosts=6, max_tasks=8, alpha=0.25, host_ram_gb=(4.0, 8.0), migration=False)
    npy = SplitPlaceConfig(n_hosts=np.int64(6), max_tasks=np.int32(8), alpha=np.float64(0.25),
                           host_ram_gb=np.array([4.0, 8.0]), migration=np.bool_(False))
    assert py == npy
    a, b = splitplace_env.SplitPlaceEnv(py), splitplace_env.SplitPlaceEnv(npy)
    tree_equal(a.reset(seed=3), b.reset(seed=3))
    noop = a.codec.noop()
    tree_equal(a.step(noop), b.step(noop))


# --------------------------------------------------------------------------- wrong kinds
@pytest.mark.parametrize("field,value", [
    ("host_ram_gb", ("4", "8")), ("host_ram_gb", (True, 8.0)), ("host_ram_gb", np.array([[4.0, 8.0]])),
    ("app_weights", (True, True, True)), ("app_weights", ("1", "1", "1")), ("app_weights", np.bool_(True)),
    ("n_hosts", np.float64(16.0)), ("n_hosts", np.bool_(True)), ("n_hosts", 16.0), ("n_hosts", np.array([16])),
    ("max_tasks", "8"), ("alpha", np.bool_(False)), ("alpha", "0.5"), ("alpha", 0.5 + 0j),
    ("interval_s", b"300"), ("migration", 0), ("migration", np.int64(1)), ("migration", "False"),
    ("host_cores", (2.0, 4.0)), ("host_cores", np.array([2.5, 4])), ("host_speed", True),
    ("host_type_counts", (8.0, 8.0)), ("host_type_counts", (True, 15)),
    ("layer_intervals", (7.0, 9, 14)), ("layer_intervals", (True, 9, 14)),
    ("applications", "MNIST"), ("applications", (1,)), ("split_modes", "layer"),
    ("profile", b"analytic"), ("mobility", b"static"),
    ("memory_model", ["full_batch"]), ("host_power", ("pi4b", 3)),
])
def test_values_of_the_wrong_kind_are_refused_naming_the_field(field, value) -> None:
    """Strings, bools, floats where integers go, bytes and 2-d arrays are refused, never coerced."""
    with pytest.raises(ValueError, match=field):
        SplitPlaceConfig(**{field: value})


def test_error_message_says_what_is_expected_and_what_came() -> None:
    """The message gives the accepted range or kind and the rejected value's type."""
    with pytest.raises(ValueError, match=r"host_ram_gb.*\[0\.5, 1024\.0\].*host_ram_gb\[0\] is str '4'"):
        SplitPlaceConfig(host_ram_gb=("4", "8"))
    with pytest.raises(ValueError, match=r"app_weights.*app_weights\[0\] is bool True"):
        SplitPlaceConfig(app_weights=(True, True, True))
    with pytest.raises(ValueError, match=r"n_hosts must be an integer in \[1, 4096\], got float64"):
        SplitPlaceConfig(n_hosts=np.float64(16.0))


# --------------------------------------------------------------------------- bounds
@pytest.mark.parametrize("field,value", [
    ("layer_intervals", (10**30, 9, 14)), ("layer_intervals", (10**7 + 1, 9, 14)),
    ("interval_s", 86400), ("interval_s", 3600.5), ("n_hosts", 10**400), ("arrival_rate", 10**400),
    ("alpha", float("nan")), ("swap_mb", float("-inf")), ("host_ram_gb", (4.0, 10**309)),
])
def test_values_beyond_what_the_engine_represents_are_refused(field, value) -> None:
    """Every field is bounded: huge integers (even beyond float range) and non-finite floats fail cleanly."""
    with pytest.raises(ValueError, match=field):
        SplitPlaceConfig(**{field: value})


def test_largest_layer_interval_and_interval_length_reset() -> None:
    """The bounds themselves are usable: L = 10**7 and an hour-long interval reset and step."""
    env = gym.make("SplitPlace-small-v0", layer_intervals=(10**7, 9, 14), interval_s=3600.0)
    env.reset(seed=0)
    _, reward, *_ = env.step(env.unwrapped.codec.noop())
    assert np.isfinite(reward)


def test_cross_field_errors_name_both_fields() -> None:
    """A value that clashes with another field's names both, so either can be fixed."""
    with pytest.raises(ValueError, match=r"layer_intervals.*min_sla"):
        SplitPlaceConfig(min_sla=900)
    with pytest.raises(ValueError, match=r"hide_unmeasured.*placeholder_mb"):
        SplitPlaceConfig(hide_unmeasured=True)
    with pytest.raises(ValueError, match=r"host_cores.*host_ram_gb"):
        SplitPlaceConfig(host_cores=(2, 4, 8))
    with pytest.raises(ValueError, match=r"host_type_counts.*n_hosts=16"):
        SplitPlaceConfig(host_type_counts=(8, 7))


# --------------------------------------------------------------------------- applications and weights
def test_applications_alone_get_uniform_weights() -> None:
    """``applications=("MNIST",)`` needs no ``app_weights``: () means uniform, stored concretely."""
    assert SplitPlaceConfig(applications=("MNIST",)).app_weights == (1.0,)
    assert SplitPlaceConfig.from_kwargs(applications=("MNIST", "CIFAR100")).app_weights == (1.0, 1.0)
    assert SplitPlaceConfig().app_weights == (1.0, 1.0, 1.0)
    env = gym.make("SplitPlace-v0", applications=("MNIST",))
    assert env.unwrapped.config.app_weights == (1.0,)


def test_applications_keep_their_unequal_weights_from_the_base() -> None:
    """On a base with unequal weights (the authors' setting) a subset keeps each application's weight."""
    base = preset("authors_code")
    assert base.app_weights == (0.5, 0.25, 0.25)
    cfg = SplitPlaceConfig.from_kwargs(base, applications=("CIFAR100", "MNIST"))
    assert cfg.app_weights == (0.25, 0.5)
    one = SplitPlaceConfig.from_kwargs(preset("authors_code_mnist"), applications=("CIFAR100",))
    assert one.app_weights == (1.0,)


def test_explicit_weights_of_the_wrong_length_are_still_an_error() -> None:
    """Nothing is silently dropped: three weights for two applications raise."""
    with pytest.raises(ValueError, match=r"app_weights.*applications|app_weights.*per application"):
        SplitPlaceConfig(applications=("MNIST", "CIFAR100"), app_weights=(1.0, 1.0, 1.0))


# --------------------------------------------------------------------------- resolution: preset, config=, fields
def test_registered_ids_pass_their_preset_name_only() -> None:
    """Every id registers ``{"preset": name}`` and its preset's episode length as its time limit."""
    for env_id, name in splitplace_env.ENV_IDS.items():
        spec = gym.spec(env_id)
        assert spec.kwargs == {"preset": name}
        assert spec.max_episode_steps == preset(name).max_episode_steps
        assert spec.vector_entry_point == splitplace_env.VECTOR_ENTRY_POINT


def test_explicit_config_beats_the_preset() -> None:
    """``config=`` replaces the id's preset whole (the issue: small + n_hosts=32 had 4 hosts)."""
    env = gym.make("SplitPlace-small-v0", config=SplitPlaceConfig(n_hosts=32))
    cfg = env.unwrapped.config
    assert cfg.n_hosts == 32 and cfg.max_tasks == 64 and cfg.arrival_rate == 6.0  # not small's 16, 1.5
    assert env.unwrapped.engine.n_hosts == 32
    # The config's episode length was the default: the id's time limit (50) applies, and agrees.
    assert cfg.max_episode_steps == 50 == env.spec.max_episode_steps


def test_field_kwargs_beat_config_and_preset() -> None:
    """A field keyword overrides both the preset and ``config=``."""
    env = gym.make("SplitPlace-small-v0", config=SplitPlaceConfig(n_hosts=32, max_tasks=8), n_hosts=5)
    assert env.unwrapped.config.n_hosts == 5 and env.unwrapped.config.max_tasks == 8
    env = gym.make("SplitPlace-small-v0", n_hosts=7)
    assert env.unwrapped.config.n_hosts == 7 and env.unwrapped.config.max_tasks == 16  # the rest is small's


def test_resolve_is_the_same_function_for_both_envs() -> None:
    """The single and the vector env resolve the same kwargs to the same config."""
    kwargs = {"preset": "small", "config": SplitPlaceConfig(n_hosts=6), "max_tasks": 5}
    single = splitplace_env.SplitPlaceEnv(**kwargs).config
    vector = gym.make_vec("SplitPlace-small-v0", num_envs=2, config=kwargs["config"], max_tasks=5).unwrapped.config
    assert single == SplitPlaceConfig.resolve(kwargs["config"], None, preset="small", max_tasks=5)
    assert dataclasses.replace(single, max_episode_steps=50) == vector


@pytest.mark.parametrize("kwargs,match", [
    ({"preset": "tiny"}, "preset"), ({"preset": ["small"]}, "preset"), ({"preset": 3}, "preset"),
    ({"config": {"n_hosts": 4}}, "config"), ({"hosts": 4}, "hosts"),
])
def test_bad_preset_config_or_key_is_named(kwargs, match) -> None:
    """An unknown preset, a config of another type and an unknown keyword raise ValueError naming them."""
    with pytest.raises(ValueError, match=match):
        splitplace_env.SplitPlaceEnv(**kwargs)


# --------------------------------------------------------------------------- the episode length
def test_make_max_episode_steps_reaches_the_config() -> None:
    """``gym.make(id, max_episode_steps=200)``: the env's episode length is 200, like its TimeLimit."""
    env = gym.make("SplitPlace-v0", max_episode_steps=200)
    assert env.unwrapped.config.max_episode_steps == 200 == env.spec.max_episode_steps
    assert env.unwrapped.engine.params[PARAMS.index("max_episode_steps")] == 200
    assert gym.make("SplitPlace-small-v0", max_episode_steps=7).unwrapped.config.max_episode_steps == 7
    assert gym.make("SplitPlace-small-v0").unwrapped.config.max_episode_steps == 50


def test_make_without_time_limit_keeps_the_configured_length() -> None:
    """``max_episode_steps=-1`` (no TimeLimit) leaves the preset's or config's episode length."""
    env = gym.make("SplitPlace-small-v0", max_episode_steps=-1)
    assert env.unwrapped.config.max_episode_steps == 50 and env.spec.max_episode_steps is None
    direct = splitplace_env.SplitPlaceEnv(config=SplitPlaceConfig(max_episode_steps=30))
    assert direct.config.max_episode_steps == 30


def test_make_vec_max_episode_steps_reaches_the_config() -> None:
    """``gym.make_vec`` passes max_episode_steps as a keyword, native and sync alike."""
    native = gym.make_vec("SplitPlace-small-v0", num_envs=2, max_episode_steps=70)
    assert native.unwrapped.config.max_episode_steps == 70
    sync = gym.make_vec("SplitPlace-small-v0", num_envs=2, vectorization_mode="sync", max_episode_steps=70)
    assert all(e.unwrapped.config.max_episode_steps == 70 for e in sync.envs)
    assert gym.make_vec("SplitPlace-small-v0", num_envs=2).unwrapped.config.max_episode_steps == 50


def test_config_episode_length_against_the_time_limit() -> None:
    """A config's own episode length agrees with the time limit, or make must be told: else an error."""
    cfg = SplitPlaceConfig(max_episode_steps=30)
    with pytest.raises(ValueError, match="max_episode_steps is ambiguous"):
        gym.make("SplitPlace-v0", config=cfg)
    with pytest.raises(ValueError, match="max_episode_steps is ambiguous"):
        gym.make_vec("SplitPlace-v0", num_envs=2, config=cfg)
    assert gym.make("SplitPlace-v0", config=cfg, max_episode_steps=30).unwrapped.config.max_episode_steps == 30
    assert gym.make_vec("SplitPlace-v0", num_envs=2, config=cfg,
                        max_episode_steps=30).unwrapped.config.max_episode_steps == 30
    # make's explicit argument beats config= like any field keyword.
    assert gym.make("SplitPlace-v0", config=cfg, max_episode_steps=40).unwrapped.config.max_episode_steps == 40


@pytest.mark.parametrize("steps", [0, 10.5, "100", np.float64(100.0)])
def test_invalid_make_max_episode_steps_is_named(steps) -> None:
    """gym.make's max_episode_steps goes through the config's check (before Gymnasium's TimeLimit)."""
    with pytest.raises((ValueError, TypeError), match="max_episode_steps"):
        gym.make("SplitPlace-v0", max_episode_steps=steps)


def test_time_limit_of_an_outer_make_is_not_taken() -> None:
    """An env built inside another env's construction does not read the outer make's limit."""
    pd = gym.make("SplitPlace-PerDecision-v0", max_episode_steps=4000)  # 4000 decisions, not intervals
    assert pd.unwrapped.config.max_episode_steps == 100


def test_time_limit_of_make_outside_make_is_none() -> None:
    """Outside a ``gym.make`` construction there is no time limit to read."""
    from splitplace_env.time_limit import time_limit_of_make

    assert time_limit_of_make(object()) is None
    assert splitplace_env.SplitPlaceEnv().config.max_episode_steps == 100


# --------------------------------------------------------------------------- presets stay valid
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_config(name) -> None:
    """Each preset resolves (numbers and tuples in canonical form)."""
    cfg = preset(name)
    assert isinstance(cfg.host_ram_gb, tuple) and len(cfg.app_weights) == len(cfg.applications)


def test_profile_path_objects_are_accepted(tmp_path: Path) -> None:
    """A ``pathlib.Path`` profile is stored as its string."""
    from splitplace_env.core.profiles import derive_analytic_profiles, write_profiles

    path = tmp_path / "p.json"
    write_profiles(derive_analytic_profiles(), path)
    assert SplitPlaceConfig(profile=path).profile == str(path)
