"""Verified results: ``splitplace record`` writes a file, ``splitplace verify`` re-simulates it.

A tiny run (SplitPlace-small-v0, 2 seeds, a few intervals) must verify; tampering with a
metric, an action, the config or a seed must be rejected naming the first mismatch; bad
files must give a one-line error with exit code 2; every committed result must verify.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks import cli, record, verify
from benchmarks.verified import (COMMITTED_DIR, ResultFileError, config_from_json, config_to_json, decode_action,
                                 encode_action, float_json, parse_float, read_result, same_float, write_result)
from splitplace_env.config import SplitPlaceConfig, preset

ENV_ID = "SplitPlace-small-v0"
INTERVALS = 6


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict:
    """A tiny recorded run of SplitPlace (the document, as read back from its file)."""
    path = tmp_path_factory.mktemp("verified") / "tiny.json"
    assert record.main(["--agent", "SplitPlace", "--env", ENV_ID, "--seeds", "0", "1",
                        "--intervals", str(INTERVALS), "--out", str(path)]) == 0
    return read_result(path)


def _write(doc: dict, tmp_path: Path, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _verify(path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    rc = verify.main([str(path), *extra])
    out, err = capsys.readouterr()
    return rc, out, err


def test_recorded_run_verifies(recorded, tmp_path, capsys):
    assert [e["seed"] for e in recorded["episodes"]] == [0, 1]
    assert all(e["n_steps"] == INTERVALS == len(e["actions"]) for e in recorded["episodes"])
    assert recorded["config"] == config_to_json(preset("small"))
    path = _write(recorded, tmp_path)
    rc, out, err = _verify(path, capsys)
    n_metrics = 2 * (len(recorded["episodes"][0]["metrics"]) + 3)
    assert (rc, err) == (0, "")
    assert out.strip() == f"verified: {path} (2 episodes, {n_metrics} metrics)"


def test_compressed_file_verifies(recorded, tmp_path, capsys):
    path = write_result(recorded, tmp_path / "r.json.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert _verify(path, capsys)[0] == 0


def test_tampered_metric_is_named(recorded, tmp_path, capsys):
    doc = copy.deepcopy(recorded)
    doc["episodes"][1]["metrics"]["jain"] = float(np.nextafter(doc["episodes"][1]["metrics"]["jain"], 2.0))
    rc, out, err = _verify(_write(doc, tmp_path), capsys)
    assert rc == 1 and out == ""
    assert "episode 1 (seed 1), jain: recorded" in err and err.count("\n") == 1


def test_tampered_action_is_rejected(recorded, tmp_path, capsys):
    doc = copy.deepcopy(recorded)
    step = next(s for s, pairs in enumerate(doc["episodes"][0]["actions"]) if pairs)
    doc["episodes"][0]["actions"][step] = []  # the agent's decisions of that step undone
    rc, _, err = _verify(_write(doc, tmp_path), capsys)
    assert rc == 1 and err.startswith("mismatch: ") and "episode 0 (seed 0), " in err


def test_tampered_config_is_named(recorded, tmp_path, capsys):
    doc = copy.deepcopy(recorded)
    doc["config"]["arrival_rate"] = 3.0
    rc, _, err = _verify(_write(doc, tmp_path), capsys)
    assert rc == 1
    assert "config, arrival_rate: recorded 3.0, recomputed 1.5" in err


def test_tampered_seed_is_rejected(recorded, tmp_path, capsys):
    doc = copy.deepcopy(recorded)
    doc["episodes"][0]["seed"] = 7
    rc, _, err = _verify(_write(doc, tmp_path), capsys)
    assert rc == 1 and "episode 0 (seed 7), " in err


def test_other_package_version_needs_any_version(recorded, tmp_path, capsys):
    doc = copy.deepcopy(recorded)
    doc["package_version"] = "0.0.1"
    path = _write(doc, tmp_path)
    rc, _, err = _verify(path, capsys)
    assert rc == 2 and "package_version" in err and "--any-version" in err
    assert _verify(path, capsys, "--any-version")[0] == 0


def _set(doc: dict, dotted: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


_DELETE = object()
BAD_FIELDS = [
    ("kind", "something-else", "field 'kind'"),
    ("format", 2, "field 'format' is 2"),
    ("episodes", _DELETE, "field 'episodes' is missing"),
    ("episodes", [], "field 'episodes' is empty"),
    ("env_id", "CartPole-v1", "field 'env_id'"),
    ("config.no_such_field", 1, "unknown ['no_such_field']"),
    ("config.arrival_rate", -1.0, "config: arrival_rate"),
    ("config.n_hosts", 4.0, "config: n_hosts must be an integer"),
    ("config.app_weights", [], "config.app_weights: [] is not in the config's canonical form"),
    ("max_episode_steps", 49, "field 'max_episode_steps' is 49"),
    ("episodes.0.seed", "0", "field 'episodes[0].seed': expected int"),
    ("episodes.0.metrics.jain", 1, "episodes[0].metrics.jain: expected a float"),
    ("episodes.0.metrics.jain", _DELETE, "field 'episodes[0].metrics' has"),
    ("episodes.0.actions.0", [[3, 99]], "episodes[0].actions[0]: entry 3 = 99 is outside the action space"),
    ("episodes.0.actions.0", [[5, 1], [2, 1]], "episodes[0].actions[0]: index 2 is not increasing"),
    ("episodes.0.actions.0", [[10**6, 1]], "outside the action space"),
    ("episodes.0.actions.0", [[1, True]], "integer pairs"),
]


@pytest.mark.parametrize("field, value, message", BAD_FIELDS, ids=[f"{f} deleted" if v is _DELETE else f"{f}={v!r}"[:40] for f, v, _ in BAD_FIELDS])
def test_malformed_field_is_a_one_line_error(recorded, tmp_path, capsys, field, value, message):
    path = _write(_set(recorded, field, value), tmp_path)
    rc, out, err = _verify(path, capsys)
    assert (rc, out) == (2, "")
    assert err.startswith(f"python -m benchmarks.verify: error: {path}: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), (b"", "not a readable JSON"), (b"{not json", "not a readable JSON"),
    (b"\x1f\x8b\x08garbage", "not a readable JSON"), (b"[1, 2]", "expected a JSON object, got list"),
])
def test_unreadable_file_is_a_one_line_error(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_bytes(content)
    rc, _, err = _verify(path, capsys)
    assert rc == 2 and message in err and str(path) in err and err.count("\n") == 1


def test_floats_round_trip_exactly():
    for x in (0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, math.nan, math.inf, -math.inf):
        back = parse_float(json.loads(json.dumps(float_json(x))), "x")
        assert same_float(back, x)
    assert not same_float(0.0, -0.0) and not same_float(0.1, 0.1 + 1e-17 * 2)
    with pytest.raises(ResultFileError, match="x: expected a float"):
        parse_float("0.5", "x")


def test_config_round_trips_every_field():
    cfg = SplitPlaceConfig(n_hosts=6, host_ram_gb=(4.0, 8.0), host_type_counts=(2, 4), host_cores=(4, 2),
                           fault_rate=np.float32(0.25), fault_events=((3, 1, 2),), reward="vector")
    data = json.loads(json.dumps(config_to_json(cfg)))
    assert data["fault_events"] == [[3, 1, 2]] and data["fault_rate"] == 0.25
    assert config_from_json(data) == cfg
    with pytest.raises(ResultFileError, match=r"fields missing \['reward'\]"):
        config_from_json({k: v for k, v in data.items() if k != "reward"})


def test_actions_round_trip():
    nvec = np.array([2, 2, 5, 5, 5])
    action = np.array([0, 1, 0, 4, 2])
    pairs = encode_action(action)
    assert pairs == [[1, 1], [3, 4], [4, 2]]
    np.testing.assert_array_equal(decode_action(json.loads(json.dumps(pairs)), nvec, "a"), action)
    with pytest.raises(ResultFileError, match="entry 0 = 2 is outside"):
        decode_action([[0, 2]], nvec, "a")


def test_record_writes_a_run_directory_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert record.main(["--agent", "first-fit", "--env", ENV_ID, "--seeds", "3", "--intervals", "2"]) == 0
    files = list((tmp_path / "runs").glob("record-*/SplitPlace-small-v0_first-fit.json"))
    assert len(files) == 1 and str(files[0].relative_to(tmp_path)) in capsys.readouterr().out
    assert verify.main([str(files[0])]) == 0


@pytest.mark.parametrize("argv, message", [
    (["--agent", "nobody"], "--agent: invalid choice"),
    (["--agent", "MC", "--seeds", "-1"], "expected an integer >= 0"),
    (["--agent", "MC", "--seeds", "1", "1"], "expected distinct seeds"),
    (["--agent", "MC", "--intervals", "0"], "expected an integer >= 1"),
    (["--agent", "MC", "--out", "x.json", "--update-committed"], "not allowed with"),
    (["--agent", "MC", "--env", "SplitPlace-PerDecision-v0"], "--env: invalid choice"),
])
def test_record_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        record.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["record", "verify"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and f"usage: splitplace {command}" in out


def test_verify_stops_at_first_bad_file(recorded, tmp_path, capsys):
    good = _write(recorded, tmp_path, "good.json")
    rc, out, err = _verify(tmp_path / "missing.json", capsys)
    rc2 = verify.main([str(good), str(tmp_path / "missing.json")])
    out2, err2 = capsys.readouterr()
    assert rc == rc2 == 2 and out2.startswith(f"verified: {good}") and "missing.json: no such file" in err2


COMMITTED = sorted(COMMITTED_DIR.glob("*.json*"))


def test_a_committed_result_per_paper_agent():
    from agents.registry import TABLE1_AGENTS

    agents = {read_result(p)["agent"]["name"] for p in COMMITTED}
    assert set(TABLE1_AGENTS) <= agents
    assert all(p.stat().st_size < 1_000_000 for p in COMMITTED)


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_result_verifies(path, capsys):
    assert verify.main([str(path)]) == 0, capsys.readouterr().err
