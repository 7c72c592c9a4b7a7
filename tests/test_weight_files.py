"""Weight and profile files are checked on load (issue 13, part A).

A bad file raises an error that names the file and says what is wrong with it:
empty, truncated, not a torch / JSON file, another model's, or non-finite values.
"""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import splitplace_env
from agents.daso import WEIGHTS_DIR, load_surrogate
from agents.mab import WEIGHTS as MAB_WEIGHTS
from agents.mab import MABSplitter
from agents.registry import make_agent
from splitplace_env.core.profiles import derive_analytic_profiles, load_profile_document, write_profiles

MODES = ("layer", "semantic")


def _load(name: str, path: Path):
    """Loads ``path`` as the shipped file ``name`` would be loaded."""
    if name == "mab.pt":
        return MABSplitter.pretrained(MODES, path)
    return load_surrogate(name == "daso.pt", path)


def _write(tmp_path: Path, name: str, kind: str) -> Path:
    """A broken copy of the shipped weights file ``name``."""
    src = (WEIGHTS_DIR / name).read_bytes()
    path = tmp_path / f"{kind}-{name}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(src[: len(src) // 2])
    elif kind == "text":
        path.write_text("not a checkpoint\n")
    elif kind == "foreign":
        torch.save({"hello": torch.zeros(3)}, path)
    elif kind == "other_model":
        torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    elif kind in ("nan", "inf"):
        blob = torch.load(WEIGHTS_DIR / name, weights_only=True)
        bad = math.nan if kind == "nan" else math.inf
        if name == "mab.pt":
            blob["state"]["Q"][1][0] = bad
        else:
            blob["head.2.bias"][0] = bad
        torch.save(blob, path)
    return path


KINDS = ("empty", "truncated", "text", "foreign", "other_model", "nan", "inf")
WHY = {"empty": "is empty", "truncated": "not a readable torch file", "text": "not a readable torch file",
       "foreign": "", "other_model": "", "nan": "finite", "inf": "finite"}


@pytest.mark.parametrize("name", ["daso.pt", "gobi.pt", "mab.pt"])
@pytest.mark.parametrize("kind", KINDS)
def test_bad_weight_file_names_the_file_and_the_fault(tmp_path, name, kind) -> None:
    """Every broken weights file raises ValueError with its path and what is wrong; no RuntimeWarning."""
    path = _write(tmp_path, name, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NaN weights used to run on with only this
        with pytest.raises(ValueError, match=re.escape(str(path))) as err:
            _load(name, path)
    assert WHY[kind] in str(err.value)


def test_the_other_surrogate_is_refused() -> None:
    """gobi.pt given to DASO (and daso.pt to GOBI) is a shape mismatch that says which model it expects."""
    with pytest.raises(ValueError, match=r"gobi\.pt.*DASO \(decision-aware\)"):
        load_surrogate(True, WEIGHTS_DIR / "gobi.pt")
    with pytest.raises(ValueError, match=r"daso\.pt.*GOBI surrogate's"):
        load_surrogate(False, WEIGHTS_DIR / "daso.pt")


def test_surrogate_with_zero_std_is_refused(tmp_path) -> None:
    """The input standardisation divides by host_std: a zero would make every prediction inf."""
    blob = torch.load(WEIGHTS_DIR / "daso.pt", weights_only=True)
    blob["host_std"][0] = 0.0
    torch.save(blob, tmp_path / "d.pt")
    with pytest.raises(ValueError, match="host_std must be positive"):
        load_surrogate(True, tmp_path / "d.pt")


@pytest.mark.parametrize("key,value", [("N", [[1, -2], [0, 0]]), ("N", [[1.5, 0], [0, 0]]), ("R", [1.0, 2.0]),
                                       ("epsilon", 1.5), ("t", -1), ("gamma", math.nan), ("phi", True)])
def test_mab_state_values_are_checked(tmp_path, key, value) -> None:
    """Counts are non-negative integers, R has one entry per application, rates lie in [0, 1]."""
    blob = torch.load(MAB_WEIGHTS, weights_only=True)
    blob["state"][key] = value
    torch.save(blob, tmp_path / "m.pt")
    with pytest.raises(ValueError, match=rf"m\.pt.*{key}"):
        MABSplitter.pretrained(MODES, tmp_path / "m.pt")


def test_shipped_weights_load_and_missing_ones_fall_back() -> None:
    """The shipped files pass the checks; a missing file still means an untrained model (with a warning)."""
    for name in ("daso.pt", "gobi.pt", "mab.pt"):
        _load(name, WEIGHTS_DIR / name)
    assert MABSplitter.pretrained(MODES, "/no/such/mab.pt").t == 0


def test_failed_mab_load_changes_nothing() -> None:
    """The MAB checks the whole state before taking any of it."""
    mab = MABSplitter.pretrained(MODES)
    before = mab.state_dict()
    state = dict(before, M=[[1, 2], [3, -4]])
    with pytest.raises(ValueError, match="M"):
        mab.load_state_dict(state)
    assert mab.state_dict() == before


# --------------------------------------------------------------------------- agent saves
@pytest.fixture(scope="module")
def env():
    e = splitplace_env.MaskObservation(gym.make("SplitPlace-small-v0"))
    yield e
    e.close()


def test_agent_load_refuses_broken_files_and_keeps_its_state(env, tmp_path) -> None:
    """Agent.load: empty, truncated, another agent's or non-finite saves raise naming the file."""
    agent = make_agent("SplitPlace", env)
    agent.save(tmp_path / "good.pt")
    before = {k: v.clone() for k, v in agent.placer.model.state_dict().items()}
    blob = torch.load(tmp_path / "good.pt", weights_only=True)
    blob["state"]["placer"]["model"]["encoder.0.bias"][:] = math.nan
    torch.save(blob, tmp_path / "nan.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "good.pt").read_bytes()[:100])
    make_agent("M+G", env).save(tmp_path / "other.pt")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    for name, why in [("nan.pt", "non-finite"), ("empty.pt", "empty"), ("cut.pt", "not a readable torch file"),
                      ("other.pt", "holds the state of agent 'M+G'"), ("list.pt", "does not hold an agent")]:
        with pytest.raises(ValueError, match=re.escape(str(tmp_path / name))) as err:
            agent.load(tmp_path / name)
        assert why in str(err.value), name
        for k, v in agent.placer.model.state_dict().items():
            assert torch.equal(v, before[k]), f"{name} changed {k}"
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        agent.load(tmp_path / "nothing.pt")
    assert agent.load(tmp_path / "good.pt") is agent


def test_act_without_info_says_what_it_needs(env) -> None:
    """``agent.act(obs, None)`` raises TypeError naming info (was an AttributeError deep inside)."""
    obs, info = env.reset(seed=0)
    for name in ("SplitPlace", "least-loaded", "random+mab"):
        agent = make_agent(name, env)
        with pytest.raises(TypeError, match="info must be the info dict"):
            agent.act(obs, None)
        with pytest.raises(TypeError, match="obs must be"):
            agent.act(None, info)
        with pytest.raises(ValueError, match="action_mask"):
            agent.act({k: v for k, v in obs.items() if k != "action_mask"}, info)
        assert agent.act(obs, info).shape == (env.unwrapped.codec.size,)


# --------------------------------------------------------------------------- profile files
def _profile(tmp_path: Path, edit=None, text: str | None = None) -> Path:
    path = tmp_path / "profile.json"
    if text is not None:
        path.write_text(text)
        return path
    doc = copy.deepcopy(derive_analytic_profiles())  # it shares ACCURACY's dicts: never edit those
    if edit is not None:
        edit(doc)
    write_profiles(doc, path)
    return path


def _set(path: tuple, value):
    def edit(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize("case,make,why", [
    ("hostname", lambda p: _profile(p, text="myhost\n"), "is not JSON"),
    ("empty", lambda p: _profile(p, text=""), "is not JSON"),
    ("list", lambda p: _profile(p, text="[1, 2]"), "'applications' object"),
    ("no_app", lambda p: _profile(p, lambda d: d["applications"].pop("CIFAR100")), "applications.CIFAR100"),
    ("nan", lambda p: _profile(p, _set(("applications", "MNIST", "splits", "semantic", 2, "pi_ms_per_sample"),
                                       math.nan)), "splits.semantic[2].pi_ms_per_sample"),
    ("negative", lambda p: _profile(p, _set(("applications", "MNIST", "splits", "layer", 0, "weights_mb"), -1.0)),
     "splits.layer[0].weights_mb"),
    ("string", lambda p: _profile(p, _set(("applications", "MNIST", "splits", "layer", 0, "in_kb_per_sample"),
                                          "3")), "in_kb_per_sample"),
    ("layer3", lambda p: _profile(p, lambda d: d["applications"]["MNIST"]["splits"]["layer"].pop()),
     "splits.layer must list 4"),
    ("semantic6", lambda p: _profile(p, lambda d: d["applications"]["MNIST"]["splits"]["semantic"].extend(
        d["applications"]["MNIST"]["splits"]["semantic"][:1])), "splits.semantic must list"),
    ("accuracy", lambda p: _profile(p, _set(("applications", "FashionMNIST", "accuracy", "layer"), 1.5)),
     "FashionMNIST.accuracy"),
    ("batch", lambda p: _profile(p, _set(("applications", "MNIST", "batch_choices"), [20000.0])), "batch_choices"),
])
def test_bad_profile_file_names_the_file_and_the_entry(tmp_path, case, make, why) -> None:
    """load_profile_document and gym.make(profile=...) raise ValueError with the path and the bad entry."""
    path = make(tmp_path)
    with pytest.raises(ValueError, match=re.escape(str(path))) as err:
        load_profile_document(path)
    assert why in str(err.value)
    with pytest.raises(ValueError, match=re.escape(why)):
        gym.make("SplitPlace-small-v0", profile=str(path))


def test_unreadable_profile_files(tmp_path) -> None:
    """A binary file and /etc/hostname-like text are refused naming the file (was a bare JSONDecodeError)."""
    binary = tmp_path / "b.json"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match=r"b\.json' cannot be read as UTF-8"):
        load_profile_document(binary)
    host = Path("/etc/hostname")
    if host.is_file():
        with pytest.raises(ValueError, match="'/etc/hostname' is not JSON"):
            gym.make("SplitPlace-v0", profile=str(host))


def test_shipped_and_regenerated_profiles_pass(tmp_path) -> None:
    """Both shipped documents and a freshly written analytic one load, and an env runs on the file."""
    assert load_profile_document("analytic") == load_profile_document()
    load_profile_document("measured")
    path = _profile(tmp_path)
    env = gym.make("SplitPlace-small-v0", profile=str(path))
    env.reset(seed=0)
    assert np.isfinite(env.step(env.unwrapped.codec.noop())[1])
    assert json.loads(path.read_text()) == load_profile_document(path)
