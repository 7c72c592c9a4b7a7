"""Verified results: a run saved with every action, re-simulated to check what it reports.

A result file (JSON, or gzip-compressed JSON when its name ends in ``.gz``) holds:

* ``kind`` (``"splitplace-verified-result"``) and ``format`` (``FORMAT``);
* ``package_version`` (``splitplace_env.__version__``) and, for information only,
  ``platform`` (Python, numpy, numba, gymnasium versions);
* ``env_id``, ``env_kwargs`` (what ``gym.make`` got besides the id), ``max_episode_steps``
  and ``config``: every field of the resolved ``SplitPlaceConfig`` (``dataclasses.fields``,
  so new fields are covered; tuples as lists);
* ``agent``: its registry name and settings (``env_kwargs``, ``training``, ``load_weights``);
* ``episodes``: per episode the ``seed`` (of ``env.reset`` and of the agent), ``actions``
  (per step the non-zero entries of the flat ``MultiDiscrete`` action as
  ``[index, value]`` pairs, indices increasing: every other entry is 0), and what it
  reports: ``metrics`` (the Table 1 metrics of ``agents.episode_metrics``), ``return``
  (the sum of the step rewards; a list for ``reward="vector"``) and ``digest`` (SHA-256 of
  every observation, reward, end flag and outcome counter of the episode); ``timing``
  holds the agent's measured decision time, which no re-simulation can reproduce and
  which is therefore not verified (Table 1's ``sched_time_s``).

Floats are stored as JSON numbers written with Python's ``repr``, which reads back as the
same float bit for bit; NaN and infinities, which JSON lacks, as ``"nan"`` / ``"inf"``.
``verify_result`` rebuilds the config from the file alone, checks it against what
``gym.make(env_id, **env_kwargs)`` resolves, replays the recorded actions (never the
agent) and compares every reported value bit for bit; the first difference is returned.

Version policy: a file of another ``format`` cannot be read (its layout may differ), and
a file of another ``package_version`` is refused unless the caller allows it, because the
simulator is part of the package: a new version may change the model, and the result
then belongs to the code that produced it (re-record it).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
import platform
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import gymnasium as gym
import numpy as np

import splitplace_env
from agents.episode_metrics import episode_metrics
from agents.registry import env_kwargs_for, make_agent
from agents.runner import make_env
from splitplace_env.config import SplitPlaceConfig

#: Layout version of a result file (bump when the layout or the digest changes).
FORMAT = 1
#: The ``kind`` every result file carries (tells a result file from any other JSON).
KIND = "splitplace-verified-result"
#: Where ``splitplace record --update-committed`` writes (committed results).
COMMITTED_DIR = Path(__file__).resolve().parent / "results" / "verified"
#: Table 1's metric that is a wall-clock measurement, not a simulated outcome.
TIMING_METRIC = "sched_time_s"
#: ``info`` counters of a step folded into the digest (with observation, reward and flags):
#: they show what an action did even where the observation would not (e.g. ignored entries).
_DIGEST_INFO_KEYS = ("interval", "new_tasks", "energy_j", "queue_length", "backlog", "placements", "migrations",
                     "infeasible_placements", "ignored_actions", "evicted", "paged_mb", "fault_restarts",
                     "arrived_total", "finished_total")
#: ``info["finished"]`` arrays the metrics read (the same as ``agents.runner``).
_FINISHED_KEYS = ("task_id", "app", "split", "response", "wait", "sla", "sla_met", "accuracy")


class ResultFileError(ValueError):
    """A result file that cannot be verified: missing, malformed, foreign or of another version."""


@dataclass(frozen=True)
class Mismatch:
    """The first reported value that re-simulation does not reproduce.

    Attributes:
        where: ``"config"`` or ``"episode K (seed S)"``.
        name: the config field or the metric.
        recorded: the value in the file, as text.
        recomputed: the value re-simulation (or the env id's config) gives, as text.
    """

    where: str
    name: str
    recorded: str
    recomputed: str

    def __str__(self) -> str:
        return f"{self.where}, {self.name}: recorded {self.recorded}, recomputed {self.recomputed}"


@dataclass
class Episode:
    """What one played episode produced (actions taken and values reported)."""

    seed: int
    actions: list[list[list[int]]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    episode_return: float | list[float] = 0.0
    digest: str = ""
    act_times_s: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- values
#: Non-finite floats, which JSON has no number for, as strings.
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def float_json(value: float) -> float | str:
    """A float as JSON: the number (Python's ``repr`` round-trips exactly), NaN and infinities as text."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def parse_float(value: Any, where: str) -> float:
    """The float of ``float_json``; raises ``ResultFileError`` naming ``where``."""
    if type(value) is float:
        return value
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise ResultFileError(f"{where}: expected a float (a JSON number with a decimal point or exponent, or "
                          f"'nan' / 'inf' / '-inf'), got {value!r}")


def same_float(a: float, b: float) -> bool:
    """Bit-exact equality (0.0 differs from -0.0), except that every NaN equals every NaN (the file
    keeps no NaN payload)."""
    return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)


def show_float(value: float) -> str:
    return f"{value!r} ({value.hex()})"


def config_to_json(config: SplitPlaceConfig) -> dict[str, Any]:
    """Every field of ``config`` (``dataclasses.fields``), tuples as lists."""
    def plain(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, np.generic):  # the config stores Python values; keep JSON exact regardless
            return v.item()
        return v
    return {f.name: plain(getattr(config, f.name)) for f in dataclasses.fields(config)}


def kwargs_to_json(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Environment kwargs (config fields) as JSON values (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def _tuples(v: Any) -> Any:
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _same_value(a: Any, b: Any) -> bool:
    """Equal values of the same types, element by element (1 != 1.0 != True here)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
                and all(_same_value(x, y) for x, y in zip(a, b)))
    if type(a) is not type(b):
        return False
    return same_float(a, b) if isinstance(a, float) else a == b


def config_from_json(data: Any) -> SplitPlaceConfig:
    """Rebuilds the config of a result file and checks it kept every value as written.

    Raises:
        ResultFileError: not a mapping, a field missing or unknown, a value the config
            refuses, or one it would store differently (naming the field).
    """
    if not isinstance(data, Mapping):
        raise ResultFileError(f"config: expected an object of config fields, got {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(SplitPlaceConfig)]
    missing = [n for n in names if n not in data]
    unknown = sorted(set(data) - set(names))
    if missing or unknown:
        raise ResultFileError(f"config: fields missing {missing}, unknown {unknown} (the file was written by "
                              "a version with other config fields)")
    values = {n: _tuples(data[n]) for n in names}
    try:
        config = SplitPlaceConfig(**values)
    except (ValueError, TypeError) as e:
        raise ResultFileError(f"config: {e}") from None
    for n in names:
        if not _same_value(values[n], getattr(config, n)):
            raise ResultFileError(f"config.{n}: {data[n]!r} is not in the config's canonical form "
                                  f"{config_to_json(config)[n]!r}")
    return config


def encode_action(action: np.ndarray) -> list[list[int]]:
    """The non-zero entries of a flat action as ``[index, value]`` pairs."""
    a = np.asarray(action).reshape(-1)
    nz = np.flatnonzero(a)
    return [[int(i), int(a[i])] for i in nz]


def decode_action(pairs: Any, nvec: np.ndarray, where: str) -> np.ndarray:
    """The flat int64 action of ``[index, value]`` pairs, checked against the action space.

    Raises:
        ResultFileError: not a list of integer pairs, indices not increasing, or an entry
            outside the ``MultiDiscrete(nvec)`` space.
    """
    if not isinstance(pairs, list):
        raise ResultFileError(f"{where}: expected a list of [index, value] pairs, got {type(pairs).__name__}")
    action = np.zeros(len(nvec), dtype=np.int64)
    last = -1
    for pair in pairs:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in pair)):
            raise ResultFileError(f"{where}: expected [index, value] integer pairs, got {pair!r}")
        i, v = pair
        if not last < i < len(nvec):
            raise ResultFileError(f"{where}: index {i} is not increasing within 0..{len(nvec) - 1} "
                                  "(outside the action space)")
        if not 1 <= v < nvec[i]:
            raise ResultFileError(f"{where}: entry {i} = {v} is outside the action space "
                                  f"(1..{int(nvec[i]) - 1}; 0 entries are omitted)")
        action[i] = v
        last = i
    return action


# --------------------------------------------------------------------------- playing
class EpisodeDigest:
    """SHA-256 over what an episode showed: observations, rewards, end flags, outcome counters.

    Each value goes in with a tag, its dtype and shape (arrays) or its float64 bytes,
    so that different episodes do not share a byte stream.
    """

    def __init__(self) -> None:
        self._h = hashlib.sha256(f"{KIND}/{FORMAT}".encode())

    def _array(self, name: str, value: Any) -> None:
        a = np.ascontiguousarray(np.asarray(value))
        if a.dtype.kind == "O":
            raise TypeError(f"cannot digest {name}: object array")
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        self._h.update(f"|{name}:{a.dtype.str}:{a.shape}|".encode())
        self._h.update(a.tobytes())

    def add_observation(self, obs: Mapping[str, Any]) -> None:
        for key in sorted(obs):
            self._array(f"obs/{key}", obs[key])

    def add_step(self, reward: Any, terminated: bool, truncated: bool, info: Mapping[str, Any]) -> None:
        self._array("reward", np.asarray(reward, dtype=np.float64))
        self._array("end", np.array([terminated, truncated], dtype=bool))
        self._array("info", np.array([float(info[k]) for k in _DIGEST_INFO_KEYS], dtype=np.float64))
        self._array("host_up", info["host_up"])
        for key in _FINISHED_KEYS:
            self._array(f"finished/{key}", info["finished"][key])

    def hexdigest(self) -> str:
        return self._h.hexdigest()


Policy = Callable[[int, Mapping[str, Any], Mapping[str, Any]], np.ndarray]


def play(env: gym.Env, seed: int, policy: Policy, n_steps: int | None = None,
         after_step: Callable[..., None] | None = None) -> Episode:
    """Plays one episode and computes what a result file reports of it.

    ``record_result`` (the agent acts) and ``verify_result`` (the recorded actions are
    replayed) both play here, so both compute the reported values the same way.

    Args:
        env: the environment (``agents.runner.make_env``: with ``obs["action_mask"]``).
        seed: the ``env.reset`` seed.
        policy: ``(step, obs, info) -> flat action``.
        n_steps: stop after this many steps (default: the episode's end).
        after_step: called with ``(obs, reward, terminated, truncated, info)`` after each step.
    """
    obs, info = env.reset(seed=seed)
    episode, digest = Episode(seed=seed), EpisodeDigest()
    digest.add_observation(obs)
    records, parts = [], {k: [] for k in _FINISHED_KEYS}
    total = None
    step = 0
    while n_steps is None or step < n_steps:
        t0 = time.perf_counter()
        action = np.asarray(policy(step, obs, info), dtype=np.int64)
        episode.act_times_s.append(time.perf_counter() - t0)
        episode.actions.append(encode_action(action))
        obs, reward, terminated, truncated, info = env.step(action)
        if after_step is not None:
            after_step(obs, reward, terminated, truncated, info)
        digest.add_step(reward, terminated, truncated, info)
        digest.add_observation(obs)
        r = np.asarray(reward, dtype=np.float64)
        total = r.copy() if total is None else total + r
        # act_time_s = 0: the decision time is measured, not simulated (kept in act_times_s)
        records.append({"reward": float(info["rewards"]["reward"]), "energy_j": float(info["energy_j"]),
                        "act_time_s": 0.0})
        for k in _FINISHED_KEYS:
            parts[k].append(np.asarray(info["finished"][k]))
        step += 1
        if terminated or truncated:
            break
    finished = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    metrics = episode_metrics(records, finished, int(info.get("arrived_total", 0)))
    metrics.pop(TIMING_METRIC)
    episode.metrics = metrics
    total = np.zeros(1) if total is None else total
    episode.episode_return = float(total) if total.ndim == 0 else [float(x) for x in total]
    episode.digest = digest.hexdigest()
    return episode


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gym.__version__}
    try:
        import numba
        out["numba"] = numba.__version__
    except ImportError:  # the kernels then run as plain Python, identically
        out["numba"] = "absent"
    return out


def _return_json(value: float | list[float]) -> str | list[str]:
    return [float_json(x) for x in value] if isinstance(value, list) else float_json(value)


def record_result(agent_name: str, env_id: str, seeds: Sequence[int], n_steps: int | None = None) -> dict[str, Any]:
    """Plays ``agent_name`` on ``env_id`` for each seed and returns the result document.

    Each episode gets a fresh env and agent, as ``agents.runner.run_episode`` (and so Table 1)
    builds them: the agent with its shipped weights, in test mode (no exploration), reset with
    the episode's seed, so its online learning never carries from one episode to the next.

    Raises:
        ValueError: an unknown agent or env id, an empty or repeated seed list.
    """
    if env_id not in splitplace_env.ENV_IDS:
        raise ValueError(f"env id must be one of {sorted(splitplace_env.ENV_IDS)}, got {env_id!r}")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {list(seeds)}")
    kwargs = env_kwargs_for(agent_name)
    episodes = []
    for seed in seeds:  # a fresh env and agent per episode: no episode depends on the ones before it
        env = make_env(env_id, kwargs)
        try:
            agent = make_agent(agent_name, env)
            agent.set_training(False)
            agent.reset(seed)
            config = env.unwrapped.config
            episodes.append(play(env, seed, lambda _step, obs, info: agent.act(obs, info), n_steps,
                                 after_step=agent.update))
        finally:
            env.close()
    return {
        "kind": KIND,
        "format": FORMAT,
        "package_version": splitplace_env.__version__,
        "platform": _versions(),
        "env_id": env_id,
        "env_kwargs": kwargs_to_json(kwargs),
        "max_episode_steps": config.max_episode_steps,
        "config": config_to_json(config),
        "agent": {"name": agent_name, "env_kwargs": kwargs_to_json(kwargs), "training": False,
                  "load_weights": True},
        "episodes": [{
            "seed": e.seed,
            "n_steps": len(e.actions),
            "metrics": {k: float_json(v) for k, v in e.metrics.items()},
            "return": _return_json(e.episode_return),
            "digest": e.digest,
            "timing": {"unverified": "wall-clock decision time of the agent (Table 1's sched_time_s)",
                       TIMING_METRIC: float_json(float(np.mean(e.act_times_s))) if e.act_times_s else "nan"},
            "actions": e.actions,
        } for e in episodes],
    }


# --------------------------------------------------------------------------- files
def write_result(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Writes a result document: one line per step's actions, gzip when the name ends in ``.gz``."""
    path = Path(path)
    episodes = doc["episodes"]
    slots = {}
    shown = {**doc, "episodes": []}
    for k, e in enumerate(episodes):
        marks = []
        for s, pairs in enumerate(e["actions"]):
            mark = f"@@action-{k}-{s}@@"
            slots[json.dumps(mark)] = json.dumps(pairs, separators=(",", ":"))
            marks.append(mark)
        shown["episodes"].append({**e, "actions": marks})
    text = json.dumps(shown, indent=1, allow_nan=False)
    for mark, pairs in slots.items():
        text = text.replace(mark, pairs, 1)
    data = (text + "\n").encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime 0: the same result gives the same bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def read_result(path: str | Path) -> dict[str, Any]:
    """Reads a result file (gzip or plain JSON, told by its first bytes).

    Raises:
        ResultFileError: no such file, unreadable, not JSON, or not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultFileError("no such file")
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        doc = json.loads(data.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultFileError(f"not a readable JSON result file ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if not isinstance(doc, dict):
        raise ResultFileError(f"expected a JSON object, got {type(doc).__name__}")
    return doc


def _get(doc: Mapping[str, Any], key: str, kind: type | tuple, where: str = "") -> Any:
    name = f"{where}{key}"
    if key not in doc:
        raise ResultFileError(f"field {name!r} is missing")
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ResultFileError(f"field {name!r}: expected {want}, got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- verifying
@dataclass
class Verification:
    """The outcome of ``verify_result``: counts, and the first mismatch if any."""

    n_episodes: int
    n_values: int
    mismatch: Mismatch | None = None


def _check_header(doc: Mapping[str, Any], allow_other_version: bool) -> None:
    if doc.get("kind") != KIND:
        raise ResultFileError(f"field 'kind' is {doc.get('kind')!r}, not {KIND!r} (not a result file of "
                              "splitplace record)")
    version = _get(doc, "format", int)
    if version != FORMAT:
        raise ResultFileError(f"field 'format' is {version}, this version reads format {FORMAT} only")
    package = _get(doc, "package_version", str)
    if package != splitplace_env.__version__ and not allow_other_version:
        raise ResultFileError(f"field 'package_version' is {package!r}, installed is "
                              f"{splitplace_env.__version__!r}: the simulator may differ (re-record, or "
                              "pass --any-version to re-simulate anyway)")


def verify_result(doc: Mapping[str, Any], allow_other_version: bool = False) -> Verification:
    """Re-simulates a result document from its own contents and compares every reported value.

    Checks, in order: the header (kind, format, package version); the config (rebuilt
    from the file, then compared field by field with what ``gym.make(env_id,
    **env_kwargs)`` resolves); then each episode, replaying its actions: ``n_steps``,
    ``return``, each metric, ``digest``.

    Returns:
        The counts, and the first value not reproduced (``Mismatch``), or None.

    Raises:
        ResultFileError: a malformed, foreign or other-version document, or an action
            outside the action space (naming the field).
    """
    _check_header(doc, allow_other_version)
    env_id = _get(doc, "env_id", str)
    if env_id not in splitplace_env.ENV_IDS:
        raise ResultFileError(f"field 'env_id': {env_id!r} is not one of {sorted(splitplace_env.ENV_IDS)}")
    env_kwargs = _get(doc, "env_kwargs", dict)
    fields = {f.name for f in dataclasses.fields(SplitPlaceConfig)}
    if set(env_kwargs) - fields:
        raise ResultFileError(f"field 'env_kwargs': {sorted(set(env_kwargs) - fields)} are not config fields")
    config = config_from_json(_get(doc, "config", dict))
    steps = _get(doc, "max_episode_steps", int)
    if steps != config.max_episode_steps:
        raise ResultFileError(f"field 'max_episode_steps' is {steps}, config.max_episode_steps is "
                              f"{config.max_episode_steps}")
    agent = _get(doc, "agent", dict)
    _get(agent, "name", str, "agent.")
    episodes = _get(doc, "episodes", list)
    if not episodes:
        raise ResultFileError("field 'episodes' is empty")
    try:  # what gym.make(env_id, **env_kwargs) resolves (SplitPlaceEnv builds its config here)
        expected = SplitPlaceConfig.resolve(preset=splitplace_env.ENV_IDS[env_id],
                                            **{k: _tuples(v) for k, v in env_kwargs.items()})
    except ValueError as e:
        raise ResultFileError(f"field 'env_kwargs': {e}") from None
    want = config_to_json(expected)
    for name, value in config_to_json(config).items():
        if not _same_value(_tuples(value), _tuples(want[name])):
            return Verification(len(episodes), 0, Mismatch(
                "config", name, repr(value), f"{want[name]!r} ({env_id} with env_kwargs {env_kwargs})"))
    n_values = 0
    for k, e in enumerate(episodes):
        at = f"episodes[{k}]."
        if not isinstance(e, dict):
            raise ResultFileError(f"field 'episodes[{k}]': expected an object, got {type(e).__name__}")
        seed = _get(e, "seed", int, at)
        n_steps = _get(e, "n_steps", int, at)
        pairs = _get(e, "actions", list, at)
        metrics = _get(e, "metrics", dict, at)
        recorded = {name: parse_float(v, f"{at}metrics.{name}") for name, v in metrics.items()}
        ret = _get(e, "return", (float, str, list), at)
        digest = _get(e, "digest", str, at)
        env = make_env(env_id, {"config": config, "max_episode_steps": config.max_episode_steps})
        try:  # a fresh env per episode, as recorded
            nvec = np.asarray(env.action_space.nvec).reshape(-1)
            actions = [decode_action(p, nvec, f"{at}actions[{s}]") for s, p in enumerate(pairs)]
            replay = play(env, seed, lambda step, _obs, _info: actions[step], len(actions))
        finally:
            env.close()
        if set(recorded) != set(replay.metrics):
            raise ResultFileError(f"field '{at}metrics' has {sorted(recorded)}, expected {sorted(replay.metrics)}")
        first = _first_difference(f"episode {k} (seed {seed})", n_steps, len(replay.actions), ret, replay,
                                  recorded, digest, at)
        n_values += 3 + len(recorded)
        if first is not None:
            return Verification(len(episodes), n_values, first)
    return Verification(len(episodes), n_values)


def _first_difference(where: str, n_steps: int, replayed_steps: int, ret: Any, replay: Episode,
                      recorded: Mapping[str, float], digest: str, at: str) -> Mismatch | None:
    if n_steps != replayed_steps:
        return Mismatch(where, "n_steps", str(n_steps), f"{replayed_steps} (the episode ended after "
                                                         f"{replayed_steps} of the recorded actions)")
    rets = ret if isinstance(ret, list) else [ret]
    mine = replay.episode_return if isinstance(replay.episode_return, list) else [replay.episode_return]
    got = [parse_float(x, f"{at}return") for x in rets]
    if isinstance(ret, list) != isinstance(replay.episode_return, list) or len(got) != len(mine) or not all(
            same_float(a, b) for a, b in zip(got, mine)):
        return Mismatch(where, "return", ", ".join(show_float(x) for x in got),
                        ", ".join(show_float(x) for x in mine))
    for name, value in replay.metrics.items():  # the order episode_metrics reports them in
        if not same_float(recorded[name], value):
            return Mismatch(where, name, show_float(recorded[name]), show_float(value))
    if digest != replay.digest:
        return Mismatch(where, "digest", digest, replay.digest)
    return None


def default_filename(agent_name: str, env_id: str) -> str:
    """``<env id>_<agent>.json`` with characters other than letters, digits, ``+-._`` as ``_``."""
    safe = "".join(c if c.isalnum() or c in "+-._" else "_" for c in agent_name)
    return f"{env_id}_{safe}.json"
