"""Golden episode digests: one SHA-256 per (registered SplitPlace id, seed) episode.

A digest covers everything an agent sees of a fixed-seed episode: every
observation, reward, ``terminated`` / ``truncated`` flag and ``info`` (and the
action taken, which follows from the seed and the mask). Actions are drawn
deterministically from ``np.random.default_rng(seed)`` among those the env's
``action_masks()`` allows, so the digest changes exactly when the episodes change.

The digests live in ``tests/data/golden_digests.json`` and are checked by
``tests/test_golden_digests.py``. They are written only by the explicit command::

    python tests/golden.py --check                       # recompute and compare, never writes
    python tests/golden.py --update --why "TEXT"         # recompute, write, log why in "history"

Canonical serialisation (``canonical_bytes``): every value is written as a type
tag followed by length-prefixed content, little-endian, so that distinct values
never share bytes:

* any ``collections.abc.Mapping`` (``dict``, ``Records``, ...): entries sorted by
  the bytes of their key; the Mapping class itself is not part of the digest;
* ``list`` and ``tuple`` (the same tag: the container class is not hashed);
* ``numpy.ndarray``: dtype string, shape and the bytes of a little-endian
  C-contiguous copy (object dtypes are refused);
* numpy scalars: as 0-d arrays (so the dtype counts);
* ``bool``, ``int`` (decimal, arbitrary size), ``float`` (the float64 bytes, no
  ``repr`` rounding), ``str`` (UTF-8), ``bytes`` and ``None``.

Anything else raises a ``TypeError`` naming where it was found
(e.g. ``step 3 info/finished/response``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import struct
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import splitplace_env

#: Version of the serialisation and of the JSON layout (bump when either changes).
FORMAT = 1
#: The digest file checked by tests/test_golden_digests.py.
DIGEST_FILE = Path(__file__).resolve().parent / "data" / "golden_digests.json"
#: Seeds of the golden episodes (reset seed and action-sampler seed).
SEEDS = (0, 1)
#: Steps past the end of the first episode for ids with a time limit (interval views): the
#: digest covers a whole episode, its truncation and the start of the next one.
STEPS_PAST_END = 10
#: Steps for ids without a registered time limit, e.g. the per-decision view (one step = one
#: decision; its 100-interval episodes take about 3,400 to 3,600 decisions with seeds 0 and 1).
UNLIMITED_STEPS = 4000

# Type tags of the canonical serialisation.
_NONE, _BOOL, _INT, _FLOAT, _STR, _BYTES, _SEQ, _MAP, _ARRAY = (bytes([c]) for c in b"NbifsyLMA")


# --------------------------------------------------------------------------- ids and step counts
def splitplace_ids() -> list[str]:
    """Every registered environment id that starts with ``"SplitPlace"``.

    The same discovery as ``tests/conftest.py``'s ``splitplace_ids``.

    Returns:
        Sorted ids: ``splitplace_env.ENV_IDS`` and any other registered ``SplitPlace*`` id.
    """
    ids = set(splitplace_env.ENV_IDS)
    ids.update(k for k in gym.registry if k.startswith("SplitPlace"))
    return sorted(ids)


def default_steps(env_id: str) -> int:
    """The step count ``--update`` uses for ``env_id``.

    Args:
        env_id: a registered SplitPlace id.

    Returns:
        ``max_episode_steps + STEPS_PAST_END`` for an id registered with a time
        limit, else ``UNLIMITED_STEPS``.
    """
    limit = gym.spec(env_id).max_episode_steps
    return UNLIMITED_STEPS if limit is None else int(limit) + STEPS_PAST_END


# --------------------------------------------------------------------------- serialisation
def _length(n: int) -> bytes:
    """An unsigned 64-bit little-endian length prefix."""
    return struct.pack("<Q", n)


def _text(s: str) -> bytes:
    """Length-prefixed UTF-8."""
    b = s.encode("utf-8")
    return _length(len(b)) + b


def _array_bytes(a: np.ndarray, path: str) -> bytes:
    """Dtype string, shape and data of an array (little-endian, C order).

    Args:
        a: the array.
        path: where it was found, for the error message.

    Returns:
        The tagged bytes.

    Raises:
        TypeError: for object dtypes (their bytes would be pointers).
    """
    if a.dtype.hasobject:
        raise TypeError(f"{path}: cannot digest an array of dtype {a.dtype} (holds Python objects)")
    dtype = a.dtype.newbyteorder("<")  # native and big-endian alike: the bytes do not depend on the machine
    data = np.ascontiguousarray(a, dtype=dtype).tobytes()
    head = _text(dtype.str) + _length(a.ndim) + b"".join(_length(n) for n in a.shape)
    return _ARRAY + head + _length(len(data)) + data


def _scalar_bytes(x: Any, path: str) -> bytes | None:
    """Tagged bytes of a Python or numpy scalar, string or None; None if ``x`` is none of those."""
    if x is None:
        return _NONE
    if isinstance(x, np.generic):
        return _array_bytes(np.asarray(x), path)
    if isinstance(x, bool):
        return _BOOL + (b"\x01" if x else b"\x00")
    if isinstance(x, int):
        return _INT + _text(str(int(x)))
    if isinstance(x, float):
        return _FLOAT + struct.pack("<d", x)
    if isinstance(x, str):
        return _STR + _text(x)
    if isinstance(x, (bytes, bytearray)):
        return _BYTES + _length(len(x)) + bytes(x)
    return None


def _mapping_bytes(m: Mapping, path: str) -> bytes:
    """Tagged bytes of a Mapping: entries sorted by their key's bytes."""
    items = sorted((canonical_bytes(k, f"{path}<key>"), canonical_bytes(v, f"{path}/{k}")) for k, v in m.items())
    return _MAP + _length(len(items)) + b"".join(k + v for k, v in items)


def canonical_bytes(x: Any, path: str = "value") -> bytes:
    """The canonical, unambiguous byte serialisation of a nested value (see the module docstring).

    Args:
        x: a nested structure of Mappings, lists, tuples, arrays and scalars.
        path: the name of ``x`` in error messages; nested locations are appended
            (``info/finished/response``, ``info/interval_actions[0]``).

    Returns:
        The bytes.

    Raises:
        TypeError: naming the path of a value of an unsupported type.
    """
    b = _scalar_bytes(x, path)
    if b is not None:
        return b
    if isinstance(x, np.ndarray):
        return _array_bytes(x, path)
    if isinstance(x, Mapping):
        return _mapping_bytes(x, path)
    if isinstance(x, (list, tuple)):
        return _SEQ + _length(len(x)) + b"".join(canonical_bytes(v, f"{path}[{i}]") for i, v in enumerate(x))
    raise TypeError(f"{path}: cannot digest a value of type {type(x).__module__}.{type(x).__qualname__}")


def value_digest(x: Any, path: str = "value") -> str:
    """SHA-256 (hex) of ``canonical_bytes(x)``.

    Args:
        x: the value.
        path: its name in error messages.

    Returns:
        64 hex digits.
    """
    return hashlib.sha256(canonical_bytes(x, path)).hexdigest()


# --------------------------------------------------------------------------- actions and episodes
def masked_action(env: gym.Env, rng: np.random.Generator) -> np.ndarray | int:
    """Draws an allowed action, deterministically given ``rng`` and the env's state.

    Interval view (``MultiDiscrete``): every split row and every host row of the
    factored mask picks uniformly among its allowed entries (a host row's 0,
    "leave as is", included). Per-decision view (``Discrete``): uniform among the
    allowed actions of ``action_masks()``.

    Args:
        env: a SplitPlace environment (wrapped or not).
        rng: the generator.

    Returns:
        The flat int64 action (interval view) or an int (per-decision view).
    """
    base = env.unwrapped
    mask = np.asarray(base.action_masks(), dtype=bool)
    if isinstance(env.action_space, spaces.Discrete):
        allowed = np.flatnonzero(mask)
        return int(allowed[rng.integers(allowed.size)])
    split_rows, host_rows = base.codec.split_masks(mask)
    splits = np.argmax(rng.random(split_rows.shape) * split_rows, axis=1)
    hosts = np.argmax(rng.random(host_rows.shape) * host_rows, axis=1)
    return np.concatenate([splits, hosts]).astype(np.int64)


def _reset_record(n: int, obs: Any, info: Any) -> bytes:
    """Bytes of a reset: its position, observation and info."""
    return b"R" + _length(n) + canonical_bytes(obs, f"reset {n} obs") + canonical_bytes(info, f"reset {n} info")


def _step_record(n: int, action: Any, result: tuple) -> bytes:
    """Bytes of step ``n``: action, observation, reward (float64), flags and info."""
    obs, reward, terminated, truncated, info = result
    where = f"step {n}"
    return (b"S" + _length(n) + canonical_bytes(action, f"{where} action") + canonical_bytes(obs, f"{where} obs")
            + struct.pack("<d??", float(reward), bool(terminated), bool(truncated))
            + canonical_bytes(info, f"{where} info"))


def episode_digest(env_id: str, seed: int, n_steps: int, make_kwargs: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of a fixed-seed run of ``n_steps`` masked-random steps of ``gym.make(env_id)``.

    The env is reset with ``seed``; actions come from ``np.random.default_rng(seed)``
    (``masked_action``). After a termination or truncation the env is reset
    (without a seed: Gymnasium derives it from the first one) and stepping goes on
    until ``n_steps`` steps in all. Every reset's observation and info and every
    step's action, observation, reward, flags and info are hashed.

    Args:
        env_id: a registered id.
        seed: the reset and action seed.
        n_steps: steps in all (across resets).
        make_kwargs: extra ``gym.make`` keyword arguments (e.g. ``{"n_hosts": 8}``);
            the golden digests use none.

    Returns:
        64 hex digits.

    Raises:
        TypeError: a value of an unsupported type in an observation or info.
    """
    env = gym.make(env_id, **dict(make_kwargs or {}))
    h = hashlib.sha256()
    rng = np.random.default_rng(seed)
    try:
        h.update(_reset_record(0, *env.reset(seed=seed)))
        resets = 1
        for n in range(n_steps):
            action = masked_action(env, rng)
            result = env.step(action)
            h.update(_step_record(n, action, result))
            if (result[2] or result[3]) and n + 1 < n_steps:
                h.update(_reset_record(resets, *env.reset()))
                resets += 1
    finally:
        env.close()
    return h.hexdigest()


# --------------------------------------------------------------------------- the digest file
def compute_digests(steps: Mapping[str, int], seeds: Sequence[int],
                    progress: Callable[[str, int, str], None] | None = None) -> dict[str, dict[str, str]]:
    """Digests of every id in ``steps`` for every seed.

    Args:
        steps: env id -> step count.
        seeds: the seeds.
        progress: optional ``progress(env_id, seed, digest)`` called after each episode.

    Returns:
        ``{env_id: {str(seed): digest}}`` (JSON keys are strings).
    """
    out: dict[str, dict[str, str]] = {}
    for env_id in sorted(steps):
        out[env_id] = {}
        for seed in seeds:
            d = episode_digest(env_id, seed, steps[env_id])
            out[env_id][str(seed)] = d
            if progress is not None:
                progress(env_id, seed, d)
    return out


def load(path: Path = DIGEST_FILE) -> dict[str, Any]:
    """Reads the digest file.

    Args:
        path: the JSON file.

    Returns:
        Its content (``format``, ``n_steps``, ``seeds``, ``digests``, ``history``).
    """
    return json.loads(Path(path).read_text())


def changes(old: Mapping[str, Mapping[str, str]], new: Mapping[str, Mapping[str, str]]) -> dict[str, dict]:
    """The digests that differ between two ``{env_id: {seed: digest}}`` tables.

    Args:
        old: the stored digests.
        new: the recomputed ones.

    Returns:
        ``{env_id: {seed: {"old": digest or None, "new": digest or None}}}`` for every
        entry added, removed or changed (None: absent on that side).
    """
    out: dict[str, dict] = {}
    for env_id in sorted(set(old) | set(new)):
        a, b = old.get(env_id, {}), new.get(env_id, {})
        diff = {s: {"old": a.get(s), "new": b.get(s)} for s in sorted(set(a) | set(b), key=int)
                if a.get(s) != b.get(s)}
        if diff:
            out[env_id] = diff
    return out


def updated_record(old: Mapping[str, Any] | None, steps: Mapping[str, int], seeds: Sequence[int],
                   digests: Mapping[str, Mapping[str, str]], reason: str,
                   now: _dt.datetime | None = None) -> dict[str, Any]:
    """The new content of the digest file, with a history entry saying what changed and why.

    Args:
        old: the current content (None if there is no file yet).
        steps: env id -> step count used for ``digests``.
        seeds: the seeds used.
        digests: the recomputed ``{env_id: {seed: digest}}``.
        reason: why the digests are regenerated (non-empty).
        now: the time of the update (default: now, UTC).

    Returns:
        ``{"format", "n_steps", "seeds", "digests", "history"}``; the history entry
        holds ``date`` (UTC ISO 8601), ``reason``, ``changed`` (``changes(...)``)
        and, when they changed, the old and new ``n_steps`` / ``seeds`` / ``format``.

    Raises:
        ValueError: an empty reason.
    """
    if not reason or not reason.strip():
        raise ValueError("a non-empty reason is required")
    old = dict(old or {})
    now = now or _dt.datetime.now(_dt.timezone.utc)
    entry: dict[str, Any] = {
        "date": now.astimezone(_dt.timezone.utc).isoformat(timespec="seconds"),
        "reason": reason.strip(),
        "changed": changes(old.get("digests", {}), digests),
    }
    new_params = {"format": FORMAT, "n_steps": dict(sorted(steps.items())), "seeds": list(seeds)}
    for key, value in new_params.items():
        if key in old and old[key] != value:
            entry[key] = {"old": old[key], "new": value}
    return {**new_params, "digests": {k: dict(v) for k, v in sorted(digests.items())},
            "history": list(old.get("history", [])) + [entry]}


def write(record: Mapping[str, Any], path: Path = DIGEST_FILE) -> None:
    """Writes the digest file (indented JSON, trailing newline).

    Args:
        record: the content (``updated_record``).
        path: the JSON file (its folder is created if needed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")


# --------------------------------------------------------------------------- command
def _parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(
        prog="python tests/golden.py",
        description="Golden episode digests of every registered SplitPlace id: SHA-256 over the "
                    "observations, rewards, flags and infos of fixed-seed masked-random episodes.",
        epilog="A changed digest means the episodes changed. Regenerate only on purpose, saying why: "
               'python tests/golden.py --update --why "engine rewrite: energy now integrates per second"',
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true",
                      help="recompute every stored digest and compare (never writes); exit 1 on a mismatch "
                           "or a registered id without digests")
    mode.add_argument("--update", action="store_true",
                      help="recompute the digests of every registered id, write the file and add a history "
                           "entry (requires --why)")
    p.add_argument("--why", metavar="TEXT", help="with --update (required): why the digests changed")
    p.add_argument("--file", type=Path, default=DIGEST_FILE,
                   help=f"the digest file (default: {DIGEST_FILE.relative_to(DIGEST_FILE.parents[2])})")
    return p


def _print_row(env_id: str, seed: int | str, digest: str, status: str) -> None:
    print(f"{env_id:28s} seed {seed!s:>3}  {digest}  {status}", flush=True)


def _check(path: Path) -> int:
    """``--check``: recomputes the stored digests; returns the exit code."""
    if not path.exists():
        print(f'{path} does not exist; create it with python tests/golden.py --update --why "initial digests"',
              flush=True)
        return 1
    record = load(path)
    steps, seeds = record["n_steps"], record["seeds"]
    bad = 0
    for env_id in sorted(record["digests"]):
        for seed in seeds:
            want = record["digests"][env_id].get(str(seed))
            got = episode_digest(env_id, seed, steps[env_id])
            ok = got == want
            bad += not ok
            _print_row(env_id, seed, got, "ok" if ok else f"MISMATCH (stored {want})")
    missing = sorted(set(splitplace_ids()) - set(record["digests"]))
    for env_id in missing:
        print(f"{env_id:28s} registered but has no stored digest", flush=True)
    if bad or missing:
        print(f"\n{bad} digest(s) differ, {len(missing)} id(s) missing. A changed digest means the episodes "
              "changed; if that is intended, regenerate with\n"
              '  python tests/golden.py --update --why "WHAT CHANGED AND WHY"', flush=True)
        return 1
    print(f"\nall {sum(len(v) for v in record['digests'].values())} digests match", flush=True)
    return 0


def _update(path: Path, reason: str) -> int:
    """``--update``: recomputes every registered id's digests and writes the file; returns 0."""
    old = load(path) if path.exists() else None
    stored = (old or {}).get("digests", {})
    steps = {env_id: default_steps(env_id) for env_id in splitplace_ids()}

    def progress(env_id: str, seed: int, digest: str) -> None:
        prev = stored.get(env_id, {}).get(str(seed))
        _print_row(env_id, seed, digest, "new" if prev is None else "unchanged" if prev == digest else "CHANGED")

    digests = compute_digests(steps, SEEDS, progress)
    record = updated_record(old, steps, SEEDS, digests, reason)
    entry = record["history"][-1]
    if old is not None and not entry["changed"] and set(entry) == {"date", "reason", "changed"}:
        print(f"\nno digest changed; {path} left as it is", flush=True)
        return 0
    write(record, path)
    n = sum(len(v) for v in entry["changed"].values())
    print(f"\nwrote {path}: {n} digest(s) changed, reason: {entry['reason']}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see ``--help``); returns the exit code.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    p = _parser()
    args = p.parse_args(argv)
    if args.update and (args.why is None or not args.why.strip()):
        p.error('--update requires a non-empty --why "TEXT" saying why the digests changed')
    if args.check and args.why is not None:
        p.error("--why goes with --update (--check never writes)")
    return _update(args.file, args.why) if args.update else _check(args.file)


if __name__ == "__main__":
    sys.exit(main())
