"""Golden episode digests (``tests/golden.py``, ``tests/data/golden_digests.json``).

Each stored digest is recomputed: a mismatch means that the episodes of that id
and seed changed (observations, rewards, flags or infos). If the change is
intended, regenerate the file with a reason::

    python tests/golden.py --update --why "WHAT CHANGED AND WHY"

The other tests check that every registered id has digests, that the digest is
sensitive (one ulp, another seed) and deterministic, and the command's guards.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import golden
from splitplace_env.core.logs import RecordLog


def Records(arrays: dict) -> "Mapping":
    """A non-dict Mapping of the fields, as ``info["finished"]`` is (a ``RecordView``)."""
    ints = tuple(k for k, v in arrays.items() if v.dtype.kind == "i")
    floats = tuple(k for k in arrays if k not in ints)
    n = len(next(iter(arrays.values())))
    log = RecordLog(ints, floats, rows_per_step=n)
    for r, k in enumerate(ints):
        log.ints[r, :n] = arrays[k]
    for r, k in enumerate(floats):
        log.floats[r, :n] = arrays[k]
    return log.view(0, n)

REGENERATE = 'python tests/golden.py --update --why "WHAT CHANGED AND WHY"'


def _stored() -> dict:
    """The digest file's content ({} if it is missing, which ``test_digest_file_layout`` reports)."""
    return golden.load() if golden.DIGEST_FILE.exists() else {}


def _cases() -> list[tuple[str, int]]:
    """(env_id, seed) of every stored digest."""
    record = _stored()
    return [(env_id, int(seed)) for env_id in sorted(record.get("digests", {}))
            for seed in sorted(record["digests"][env_id], key=int)]


def _small_info() -> dict:
    """An info-like structure with every supported kind of value."""
    return {
        "interval": 3,
        "rewards": {"reward": 0.25, "qos": 1.0 / 3.0},
        "finished": Records({"task_id": np.array([4, 7]), "response": np.array([1.5, 2.0 / 3.0])}),
        "host_util": np.linspace(0.0, 1.0, 4),
        "flag": np.bool_(True),
        "energy_j": np.float64(12.5),
        "decision": {"kind": "split", "task_slot": -1, "extra": None},
        "interval_actions": [np.arange(3, dtype=np.int64)],
        "pair": (1, 2.0),
    }


# --------------------------------------------------------------------------- the golden digests
@pytest.mark.parametrize("env_id, seed", _cases())
def test_golden_digest(env_id: str, seed: int) -> None:
    """The fixed-seed episode hashes to the stored digest."""
    record = _stored()
    if env_id not in gym.registry:
        pytest.fail(f"{env_id} has stored digests but is no longer registered; regenerate with\n  {REGENERATE}")
    got = golden.episode_digest(env_id, seed, record["n_steps"][env_id])
    want = record["digests"][env_id][str(seed)]
    assert got == want, (
        f"{env_id} seed {seed} ({record['n_steps'][env_id]} steps): digest {got} != stored {want}.\n"
        "A changed digest means the episodes changed (observations, rewards, terminated/truncated or "
        "infos of this fixed-seed run). If the change is intended, regenerate the digests and say why:\n"
        f"  {REGENERATE}\n"
        "(python tests/golden.py --check lists every id that changed.)"
    )


def test_digest_file_covers_registered_id(splitplace_id: str) -> None:
    """Every registered SplitPlace id (tests/conftest.py's discovery) has a digest per seed."""
    record = _stored()
    digests = record.get("digests", {})
    assert splitplace_id in digests, (
        f"{splitplace_id} is registered but has no golden digest in {golden.DIGEST_FILE.name}; add it with\n"
        f'  python tests/golden.py --update --why "new id {splitplace_id}"')
    assert sorted(digests[splitplace_id], key=int) == [str(s) for s in record["seeds"]]


def test_digest_file_layout() -> None:
    """The file exists, has the current format, one step count per id and a reasoned history."""
    assert golden.DIGEST_FILE.exists(), f"{golden.DIGEST_FILE} is missing; create it with\n  {REGENERATE}"
    record = golden.load()
    assert record["format"] == golden.FORMAT, f"digest file format {record['format']} != {golden.FORMAT}; {REGENERATE}"
    assert set(record["n_steps"]) == set(record["digests"])
    assert all(isinstance(n, int) and n > 0 for n in record["n_steps"].values())
    assert record["seeds"] and len(set(record["seeds"])) == len(record["seeds"])
    assert all(len(d) == 64 and int(d, 16) >= 0 for v in record["digests"].values() for d in v.values())
    assert record["history"], "the history is empty"
    for entry in record["history"]:
        assert entry["reason"].strip() and dt.datetime.fromisoformat(entry["date"]).tzinfo is not None


def test_golden_ids_match_conftest_discovery() -> None:
    """golden.py lists the same ids as tests/conftest.py (it duplicates the discovery)."""
    import conftest

    assert golden.splitplace_ids() == conftest.splitplace_ids()


# --------------------------------------------------------------------------- sensitivity and determinism
def test_one_ulp_in_an_info_float_changes_the_digest() -> None:
    """Changing one float by one ulp (a scalar, or one array element) changes the bytes and the digest."""
    base = _small_info()
    ref = golden.value_digest(base, "info")
    scalar = _small_info()
    scalar["rewards"]["qos"] = float(np.nextafter(scalar["rewards"]["qos"], np.inf))
    element = _small_info()
    resp = element["finished"]["response"].copy()
    resp[1] = np.nextafter(resp[1], -np.inf)
    element["finished"] = Records({"task_id": element["finished"]["task_id"], "response": resp})
    for changed in (scalar, element):
        assert golden.canonical_bytes(changed, "info") != golden.canonical_bytes(base, "info")
        assert golden.value_digest(changed, "info") != ref
    assert golden.value_digest(_small_info(), "info") == ref


def test_serialisation_is_unambiguous() -> None:
    """Values that print alike or concatenate alike do not share bytes."""
    b = golden.canonical_bytes
    distinct = [1, 1.0, True, np.int64(1), np.int32(1), np.float32(1), np.float64(1), np.bool_(True), "1", b"1",
                None, [1], (1.0,), {1: 1}, np.array([1])]
    assert len({b(x) for x in distinct}) == len(distinct)
    assert b(np.int64(1)) == b(np.array(1, dtype=np.int64))  # a numpy scalar is hashed as a 0-d array
    assert b(["ab"]) != b(["a", "b"])
    assert b({"a": [1], "b": []}) != b({"a": [], "b": [1]})
    assert len({b(np.zeros((2, 3))), b(np.zeros((3, 2))), b(np.zeros(6)), b(np.zeros(6, np.float32))}) == 4
    assert b(0.0) != b(-0.0)


def test_container_class_and_order_do_not_matter() -> None:
    """Any Mapping with the same entries (dict, Records, any order) serialises alike; so do list and tuple."""
    arrays = {"b": np.array([1.0, 2.0]), "a": np.array([3, 4])}
    as_dict = golden.canonical_bytes(arrays)
    assert golden.canonical_bytes(Records(arrays)) == as_dict
    assert golden.canonical_bytes(dict(sorted(arrays.items()))) == as_dict
    assert golden.canonical_bytes([1, 2.0]) == golden.canonical_bytes((1, 2.0))
    big_endian = np.array([1.5, 2.5], dtype=">f8")
    assert golden.canonical_bytes(big_endian) == golden.canonical_bytes(big_endian.astype("<f8"))
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    assert golden.canonical_bytes(fortran) == golden.canonical_bytes(np.arange(6.0).reshape(2, 3))


def test_unknown_type_names_its_path() -> None:
    """An unsupported value raises a TypeError naming where it is."""
    info = _small_info()
    info["decision"]["odd"] = {1, 2}
    with pytest.raises(TypeError, match=r"info/decision/odd: cannot digest a value of type builtins\.set"):
        golden.canonical_bytes(info, "info")
    with pytest.raises(TypeError, match=r"info/x\[1\]: cannot digest an array of dtype object"):
        golden.canonical_bytes({"x": [0, np.array([object()])]}, "info")


def test_episode_digest_depends_on_the_seed_and_the_length() -> None:
    """Another seed, or one step more, gives another digest."""
    d = golden.episode_digest("SplitPlace-small-v0", 0, 5)
    assert golden.episode_digest("SplitPlace-small-v0", 1, 5) != d
    assert golden.episode_digest("SplitPlace-small-v0", 0, 6) != d


@pytest.mark.parametrize("env_id, n_steps", [("SplitPlace-small-v0", 60), ("SplitPlace-PerDecision-v0", 300)])
def test_episode_digest_is_deterministic(env_id: str, n_steps: int) -> None:
    """Two runs in one process give the same digest (SplitPlace-small-v0 past its truncation)."""
    assert golden.episode_digest(env_id, 1, n_steps) == golden.episode_digest(env_id, 1, n_steps)


def test_masked_action_is_allowed() -> None:
    """The sampler only takes actions the mask allows, in both views."""
    rng = np.random.default_rng(0)
    env = gym.make("SplitPlace-small-v0")
    env.reset(seed=0)
    for _ in range(5):
        base = env.unwrapped
        splits, hosts = base.codec.split_masks(base.action_masks())
        a = golden.masked_action(env, rng)
        T = splits.shape[0]
        assert splits[np.arange(T), a[:T]].all() and hosts[np.arange(hosts.shape[0]), a[T:]].all()
        env.step(a)
    pd = gym.make("SplitPlace-PerDecision-v0")
    pd.reset(seed=0)
    for _ in range(20):
        a = golden.masked_action(pd, rng)
        assert pd.unwrapped.action_masks()[a]
        pd.step(a)


# --------------------------------------------------------------------------- the command
def test_update_requires_a_reason(capsys, tmp_path: Path) -> None:
    """--update without --why (or with an empty one) is an argparse error, and nothing is written."""
    target = tmp_path / "digests.json"
    for argv in (["--update"], ["--update", "--why", "  "], ["--check", "--update", "--why", "x"],
                 ["--check", "--why", "x"], []):
        with pytest.raises(SystemExit) as exc:
            golden.main([*argv, "--file", str(target)])
        assert exc.value.code == 2, argv
    assert "--why" in capsys.readouterr().err
    assert not target.exists()


def test_help(capsys) -> None:
    """--help names the command and both modes."""
    with pytest.raises(SystemExit) as exc:
        golden.main(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert out.startswith("usage: python tests/golden.py") and "--check" in out and "--why TEXT" in out


def test_updated_record_logs_what_changed_and_why() -> None:
    """A history entry holds the UTC date, the reason and old -> new of every changed digest."""
    first = golden.updated_record(None, {"A": 5, "B": 5}, [0, 1],
                                  {"A": {"0": "a0", "1": "a1"}, "B": {"0": "b0", "1": "b1"}}, "initial",
                                  now=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    assert first["history"] == [{
        "date": "2024-01-02T03:04:05+00:00", "reason": "initial",
        "changed": {"A": {"0": {"old": None, "new": "a0"}, "1": {"old": None, "new": "a1"}},
                    "B": {"0": {"old": None, "new": "b0"}, "1": {"old": None, "new": "b1"}}}}]
    json.dumps(first)  # JSON-ready
    second = golden.updated_record(first, {"A": 5, "C": 5}, [0, 1],
                                   {"A": {"0": "a0", "1": "A1"}, "C": {"0": "c0", "1": "c1"}}, " engine rewrite ")
    entry = second["history"][-1]
    assert len(second["history"]) == 2 and entry["reason"] == "engine rewrite"
    assert entry["changed"] == {"A": {"1": {"old": "a1", "new": "A1"}},
                                "B": {"0": {"old": "b0", "new": None}, "1": {"old": "b1", "new": None}},
                                "C": {"0": {"old": None, "new": "c0"}, "1": {"old": None, "new": "c1"}}}
    assert entry["n_steps"] == {"old": {"A": 5, "B": 5}, "new": {"A": 5, "C": 5}}
    assert dt.datetime.fromisoformat(entry["date"]).utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError):
        golden.updated_record(second, {}, [0], {}, " ")
