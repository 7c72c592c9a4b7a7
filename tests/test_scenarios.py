"""Tests of the scenario suite definitions (splitplace_env.scenarios)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers SplitPlace-v0)
from splitplace_env import scenarios
from splitplace_env.config import SplitPlaceConfig

ALL = scenarios.TRAIN + scenarios.TEST


@pytest.fixture(scope="module")
def base_spaces():
    env = gym.make(scenarios.BASE_ENV_ID)
    try:
        yield env.observation_space, env.action_space
    finally:
        env.close()


@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_every_scenario_builds_with_the_spaces_of_splitplace_v0(scenario, base_spaces) -> None:
    env = scenarios.make(scenario.name)
    try:
        assert env.observation_space == base_spaces[0]
        assert env.action_space == base_spaces[1]
        cfg = env.unwrapped.config
        for key, value in scenario.overrides.items():
            assert getattr(cfg, key) == getattr(SplitPlaceConfig.from_kwargs(**{key: value}), key)
        assert cfg == scenario.config()
        for key in scenarios.FIXED_FIELDS:
            assert getattr(cfg, key) == getattr(SplitPlaceConfig(), key)
        obs, _ = env.reset(seed=scenario.seeds[0])
        assert env.observation_space.contains(obs)
        obs, reward, *_ = env.step(env.action_space.sample())
        assert np.isfinite(reward)
    finally:
        env.close()


def test_names_unique_and_splits_consistent() -> None:
    names = [s.name for s in ALL]
    assert len(set(names)) == len(names) == len(scenarios.SCENARIOS)
    assert {s.split for s in scenarios.TRAIN} == {"train"} and {s.split for s in scenarios.TEST} == {"test"}
    assert all(s.description and "\n" not in s.description for s in ALL)
    assert scenarios.get("Rush") is scenarios.SCENARIOS["Rush"]


def test_train_and_test_seeds_are_disjoint() -> None:
    train = set().union(*(set(s.seeds) for s in scenarios.TRAIN))
    test = set().union(*(set(s.seeds) for s in scenarios.TEST))
    assert train and test and not train & test
    assert all(s.seeds == scenarios.TEST_SEEDS for s in scenarios.TEST)
    assert all(s.seeds == scenarios.TRAIN_SEEDS for s in scenarios.TRAIN)


def test_the_test_set_holds_conditions_no_training_scenario_has() -> None:
    held = {s.name: dict(scenarios.held_out_conditions(s)) for s in scenarios.TEST}
    assert held["Rush"]["arrival_rate"] > max(s.config().arrival_rate for s in scenarios.TRAIN)
    assert held["SUMO"]["mobility"].startswith("sumo:")
    assert held["FaultTrace"]["fault_events"]
    assert held["CIFARHeavy"]["app_weights"]
    assert held["PaperHeldOut"] == {}  # the paper's setting, on held-out seeds only
    assert not scenarios.held_out_conditions("Busy")  # a training scenario holds nothing held out


def test_faults_in_both_splits_and_a_fault_trace_in_test() -> None:
    assert any(s.config().fault_rate > 0 for s in scenarios.TRAIN)
    assert any(s.config().fault_rate > 0 for s in scenarios.TEST)
    assert any(s.config().fault_events for s in scenarios.TEST)
    assert not any(s.config().fault_events for s in scenarios.TRAIN)


def test_make_passes_further_kwargs_and_config_takes_overrides() -> None:
    env = scenarios.make("Rush", reward="vector")
    try:
        assert env.unwrapped.config.reward == "vector" and env.unwrapped.config.arrival_rate == 10.0
    finally:
        env.close()
    assert scenarios.config("Rush", arrival_rate=3.0).arrival_rate == 3.0


def test_bad_names_and_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'Nope'.*Rush"):
        scenarios.get("Nope")
    with pytest.raises(ValueError, match="n_hosts"):
        scenarios.Scenario("Big", "more hosts", "test", {"n_hosts": 32})
    with pytest.raises(ValueError, match="split must be"):
        scenarios.Scenario("X", "x", "validation", {})
    with pytest.raises(TypeError):
        scenarios.get("Rush").overrides["arrival_rate"] = 1.0
