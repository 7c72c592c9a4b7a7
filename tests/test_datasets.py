"""``splitplace datasets``: Minari datasets of agents' episodes, reloaded and replayed."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("minari")

from agents.registry import make_agent  # noqa: E402
from agents.runner import make_env  # noqa: E402
from benchmarks import datasets  # noqa: E402

ENV_ID = "SplitPlace-small-v0"
AGENT = "least-loaded"
STEPS = 4
SEED = 7


def replay(seed: int) -> tuple[list[dict], list[np.ndarray]]:
    """A fresh episode of AGENT, through ``MaskObservation``: its observations and actions."""
    env = make_env(ENV_ID, {"max_episode_steps": STEPS})
    agent = make_agent(AGENT, env, seed=seed)
    agent.reset(seed)
    obs, info = env.reset(seed=seed)
    observations, actions = [obs], []
    done = False
    while not done:
        actions.append(agent.act(obs, info))
        obs, reward, terminated, truncated, info = env.step(actions[-1])
        agent.update(obs, reward, terminated, truncated, info)
        observations.append(obs)
        done = terminated or truncated
    env.close()
    return observations, actions


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("minari")
    before = os.environ.get("MINARI_DATASETS_PATH")
    datasets.record_dataset(AGENT, root, env_id=ENV_ID, episodes=2, seed=SEED, max_episode_steps=STEPS)
    assert os.environ.get("MINARI_DATASETS_PATH") == before  # the root is set only while writing
    dataset_id = datasets.default_dataset_id(ENV_ID, AGENT)
    return datasets.load_dataset(dataset_id, root), root, dataset_id


def test_dataset_holds_the_episodes_and_replays_deterministically(recorded):
    dataset, _, _ = recorded
    assert dataset.total_episodes == 2 and dataset.total_steps == 2 * STEPS
    for k, episode in enumerate(dataset.iterate_episodes()):
        observations, actions = replay(SEED + k)
        assert episode.actions.shape == (STEPS, actions[0].size)
        np.testing.assert_array_equal(episode.actions, np.stack(actions))
        for key, values in episode.observations.items():
            assert values.shape[0] == STEPS + 1
            np.testing.assert_array_equal(values, np.stack([o[key] for o in observations]))
        # the mask of infos[i] is MaskObservation's mask of observations[i] (the one actions[i] obeyed)
        mask = episode.infos["action_mask"]
        assert mask.dtype == np.int8 and mask.shape == (STEPS + 1, observations[0]["action_mask"].size)
        np.testing.assert_array_equal(mask, np.stack([o["action_mask"] for o in observations]))
        # the factored mask has one row per action entry: every recorded choice is allowed in its row
        nvec = make_env(ENV_ID).unwrapped.codec.nvec
        starts = np.concatenate([[0], np.cumsum(nvec)[:-1]])
        assert mask.shape[1] == nvec.sum()
        assert mask[np.arange(STEPS)[:, None], starts + episode.actions].all()
        assert "finished" not in episode.infos and "pending" not in episode.infos
        assert episode.infos["host_up"].shape == (STEPS + 1, 4)
        np.testing.assert_allclose(episode.rewards, episode.infos["reward"][1:])
        assert episode.truncations[-1] and not episode.truncations[:-1].any()
    assert dataset.episode_indices.tolist() == [0, 1]


def test_recover_environment_replays_the_first_step(recorded):
    dataset, _, _ = recorded
    episode = next(dataset.iterate_episodes())
    for eval_env in (False, True):
        env = dataset.recover_environment(eval_env=eval_env)
        assert env.spec.id == ENV_ID and env.spec.max_episode_steps == STEPS
        obs, _ = env.reset(seed=SEED)
        np.testing.assert_array_equal(obs["tasks"], episode.observations["tasks"][0])
        obs, *_ = env.step(episode.actions[0])
        np.testing.assert_array_equal(obs["fragments"], episode.observations["fragments"][1])
        env.close()


def test_existing_dataset_is_not_overwritten(recorded):
    _, root, dataset_id = recorded
    with pytest.raises(ValueError, match="already exists"):
        datasets.record_dataset(AGENT, root, env_id=ENV_ID, episodes=1, max_episode_steps=1)
    assert datasets.load_dataset(dataset_id, root).total_episodes == 2


def test_default_ids_are_valid_minari_ids():
    assert datasets.default_dataset_id("SplitPlace-v0", "S+G") == "splitplace/SplitPlace-v0/S_G-v0"
    assert datasets.default_dataset_id("SplitPlace-v0", "rl:runs/x/model.zip") == "splitplace/SplitPlace-v0/rl-model-v0"
    for agent in ("SplitPlace", "least-loaded+mab", "rl:runs/train-1/"):
        datasets.check_dataset_id(datasets.default_dataset_id("SplitPlace-v0", agent))
    with pytest.raises(ValueError, match="not a Minari id"):
        datasets.check_dataset_id("a+b-v0")


def test_command_records_an_agent_with_extra_split_modes(tmp_path, capsys):
    # MC needs the "compressed" split mode: the stored spec must carry it to recover_environment
    out = tmp_path / "root"
    code = datasets.main(["--agent", "MC", "--env", ENV_ID, "--episodes", "1", "--max-episode-steps", "2",
                          "--out-dir", str(out), "--dataset-id", "mine/mc-v0"])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    dataset = datasets.load_dataset("mine/mc-v0", out)
    assert dataset.total_steps == 2 and dataset.storage.metadata["algorithm_name"] == "MC"
    env = dataset.recover_environment()
    assert "compressed" in env.unwrapped.codec.split_modes
    env.reset(seed=0)
    env.step(dataset[0].actions[0])
    env.close()


@pytest.mark.parametrize("argv, message", [
    (["--agent", AGENT, "--env", "CartPole-v1"], "--env: 'CartPole-v1' is not an interval-view"),
    (["--agent", AGENT, "--env", "SplitPlace-PerDecision-v0"], "is not an interval-view"),
    (["--agent", "nobody"], "--agent: unknown agent 'nobody'"),
    (["--agent", AGENT, "--agent", AGENT], "each agent once"),
    (["--agent", AGENT, "--episodes", "0"], "--episodes: expected an integer from 1"),
    (["--agent", AGENT, "--seed", "-1"], "--seed: expected an integer >= 0"),
    (["--agent", AGENT, "--dataset-id", "bad+id-v0"], "--dataset-id: dataset id 'bad+id-v0' is not a Minari id"),
    (["--agent", AGENT, "--agent", "MC", "--dataset-id", "a/b-v0"], "give one per --agent (2), got 1"),
    (["--agent", AGENT, "--update-committed"], "unrecognized arguments: --update-committed"),
    ([], "--agent"),
])
def test_bad_input_is_a_one_line_error(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        datasets.main(argv + ["--out-dir", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing written


def test_existing_dataset_in_out_dir_is_refused(recorded, capsys):
    _, root, dataset_id = recorded
    with pytest.raises(SystemExit) as exc:
        datasets.main(["--agent", AGENT, "--env", ENV_ID, "--out-dir", str(root)])
    assert exc.value.code == 2
    assert f"already holds {dataset_id}" in capsys.readouterr().err


def test_command_writes_a_fresh_run_dir_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert datasets.main(["--agent", AGENT, "--env", ENV_ID, "--episodes", "1", "--max-episode-steps", "1"]) == 0
    (root,) = (tmp_path / "runs").iterdir()
    assert root.name.startswith("datasets-")
    assert str(root) in capsys.readouterr().out
    dataset = datasets.load_dataset(datasets.default_dataset_id(ENV_ID, AGENT), root)
    assert dataset.total_episodes == 1 and dataset.total_steps == 1
