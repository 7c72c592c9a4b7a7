"""Shared pytest set-up for the SplitPlace-v0 test suite.

Provides:

* a Hypothesis profile (modest example counts, no deadline: the suite shares two
  cores with other jobs, so wall-clock deadlines would be flaky);
* the ``splitplace_id`` parameter: every registered Gymnasium id starting with
  ``"SplitPlace"`` (``splitplace_env.ENV_IDS`` plus any id registered later, e.g.
  a per-decision view), so environment-wide contract tests cover new ids without
  edits;
* small session-scoped helper fixtures (``tree_equal``, ``masked_action``) that
  are safe to use inside ``@given`` tests;
* Ray hygiene: every Ray file the tests make lands in a private folder that is
  removed afterwards (``RAY_TMPDIR`` for the whole session, a fresh one per test
  with ``ray_tmpdir``), so no ``ray_current_cluster`` or ``session_latest`` is
  left pointing at a cluster that has ended.
* ``--check-tree-clean`` (off by default; ``make test`` should pass it): the
  session fails if it created, changed or deleted any file of the git working
  tree that git does not ignore (tests must write only under ``tmp_path``). It
  compares ``git status`` and content hashes from before and after this session
  only, so a file a person edits or commits while the suite runs is flagged too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import splitplace_env

#: ``pytester`` runs a small pytest session in a temporary folder (tests/test_tree_clean.py).
pytest_plugins = ["pytester"]

settings.register_profile(
    "splitplace",
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
    print_blob=True,
)
settings.load_profile("splitplace")


def splitplace_ids() -> list[str]:
    """Returns every registered environment id that starts with ``"SplitPlace"``.

    Returns:
        Sorted ids: ``splitplace_env.ENV_IDS`` and any other registered
        ``SplitPlace*`` id found in Gymnasium's registry.
    """
    ids = set(splitplace_env.ENV_IDS)
    ids.update(k for k in gym.registry if k.startswith("SplitPlace"))
    return sorted(ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes any test that asks for ``splitplace_id`` over every registered id."""
    if "splitplace_id" in metafunc.fixturenames:
        metafunc.parametrize("splitplace_id", splitplace_ids())


def _tree_equal(a: Any, b: Any, path: str = "") -> None:
    """Asserts that two nested structures of dicts, sequences, arrays and scalars are equal.

    NaN equals NaN (arrays are compared with ``equal_nan`` where the dtype allows).

    Args:
        a: first structure.
        b: second structure.
        path: location inside the structure, for the failure message.

    Raises:
        AssertionError: naming the first differing location.
    """
    if isinstance(a, dict):
        assert isinstance(b, dict), f"{path}: dict vs {type(b).__name__}"
        assert set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _tree_equal(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: sequence mismatch"
        for i, (x, y) in enumerate(zip(a, b)):
            _tree_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, f"{path}: shape {x.shape} != {y.shape}"
        assert x.dtype == y.dtype, f"{path}: dtype {x.dtype} != {y.dtype}"
        nan_ok = x.dtype.kind in "fc"
        assert np.array_equal(x, y, equal_nan=nan_ok), f"{path}: arrays differ\n{x}\n{y}"
    elif isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return
    else:
        assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="session")
def tree_equal() -> Callable[..., None]:
    """The recursive equality assertion ``tree_equal(a, b)`` (see ``_tree_equal``)."""
    return _tree_equal


def _masked_action(env: gym.Env, rng: np.random.Generator, place_prob: float = 1.0) -> np.ndarray:
    """Draws a random action that only uses entries the mask allows.

    Every split row picks uniformly among its allowed split indices; every host
    row is "leave as is" with probability ``1 - place_prob`` and otherwise picks
    uniformly among its allowed columns (column 0 included).

    Args:
        env: a SplitPlace environment (wrapped or not).
        rng: the random generator.
        place_prob: probability that a host row draws from its mask at all.

    Returns:
        The flat int64 action.
    """
    base = env.unwrapped
    codec = base.codec
    split_rows, host_rows = codec.split_masks(base.action_masks())
    splits = np.argmax(rng.random(split_rows.shape) * split_rows, axis=1)
    hosts = np.argmax(rng.random(host_rows.shape) * host_rows, axis=1)
    hosts[rng.random(hosts.shape[0]) >= place_prob] = 0
    return np.concatenate([splits, hosts]).astype(np.int64)


@pytest.fixture(scope="session")
def masked_action() -> Callable[..., np.ndarray]:
    """The sampler ``masked_action(env, rng, place_prob=1.0)`` (see ``_masked_action``)."""
    return _masked_action


def _short_tmp_dir(prefix: str, parent: str | Path | None = None) -> Path:
    """A new folder with a short path: Ray's socket paths below it must stay under 108 bytes."""
    if parent is None and os.path.isdir("/tmp"):
        parent = "/tmp"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def _remove_tree(path: Path, timeout_s: float = 10.0) -> None:
    """Removes ``path``, retrying while Ray processes that are shutting down still write below it."""
    deadline = time.monotonic() + timeout_s
    while True:
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists() or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def _shutdown_ray() -> None:
    """Disconnects this process from Ray (stopping a local cluster it started), if Ray was used."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


@pytest.fixture(scope="session", autouse=True)
def ray_session_tmpdir() -> Iterator[Path]:
    """Points ``RAY_TMPDIR`` of this test process, and of what it starts, at a private folder.

    Ray keeps its sessions and the ``ray_current_cluster`` pointer (written by
    ``ray start``, removed only by ``ray stop``) under ``$RAY_TMPDIR/ray``. The
    folder is removed at the end of the session, so nothing the tests started is
    left for a later ``ray.init(address="auto")`` to retry.
    """
    root = _short_tmp_dir("sp-ray-")
    previous = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = str(root)
    try:
        yield root
    finally:
        _shutdown_ray()
        if previous is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = previous
        _remove_tree(root)


@pytest.fixture
def ray_tmpdir(ray_session_tmpdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh Ray temp root for one test (``RAY_TMPDIR``); Ray is shut down and it is removed afterwards.

    Also unsets ``RAY_ADDRESS`` so the test decides which cluster it joins.
    """
    root = _short_tmp_dir("t", ray_session_tmpdir)
    monkeypatch.setenv("RAY_TMPDIR", str(root))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    try:
        yield root
    finally:
        _shutdown_ray()
        _remove_tree(root)


# --- --check-tree-clean: the suite must leave the git working tree as it found it ---

#: Key under which the session-start snapshot is kept on the pytest config.
_TREE_SNAPSHOT_KEY = pytest.StashKey[tuple[Path, dict[str, str]]]()


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Runs ``git -C repo args`` and captures its output (raises if git is not installed)."""
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def _git_toplevel(start: Path) -> Path | None:
    """The root of the git working tree holding ``start``, or None without git or a repository."""
    try:
        done = _git(start, "rev-parse", "--show-toplevel")
    except OSError:  # git not installed
        return None
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode().strip())


def _git_tree_snapshot(repo: Path) -> dict[str, str]:
    """The state of every file ``git status`` lists (modified, deleted or untracked, not ignored).

    Args:
        repo: root of a git working tree.

    Returns:
        Path (relative to ``repo``) -> its two-letter porcelain status and the
        sha256 of its content (``"missing"`` for a deleted file). Files that
        ``git status`` does not list are as committed, so they need no hash.

    Raises:
        RuntimeError: if ``git status`` fails.
    """
    done = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if done.returncode != 0:
        raise RuntimeError(f"git status failed in {repo}: {done.stderr.decode().strip()}")
    fields = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    state: dict[str, str] = {}
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            i += 1  # a rename or copy is followed by its source path
        file = repo / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "missing"
        state[path] = f"{code} {digest}"
    return state


def _tree_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths whose status or content differs between two ``_git_tree_snapshot`` results."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


@pytest.fixture(scope="session")
def git_tree_snapshot() -> Callable[[Path], dict[str, str]]:
    """The snapshot function ``git_tree_snapshot(repo)`` (see ``_git_tree_snapshot``)."""
    return _git_tree_snapshot


@pytest.fixture(scope="session")
def tree_changes() -> Callable[[dict[str, str], dict[str, str]], list[str]]:
    """The comparison ``tree_changes(before, after)`` -> changed paths (see ``_tree_changes``)."""
    return _tree_changes


def pytest_addoption(parser: pytest.Parser) -> None:
    """Adds ``--check-tree-clean``."""
    parser.addoption(
        "--check-tree-clean",
        action="store_true",
        default=False,
        help="fail the session if the tests created, changed or deleted a file of the git "
        "working tree (compares git status and content hashes before and after the session; "
        "a concurrent edit by someone else is flagged too)",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Records the working tree's state, on the controller only, if ``--check-tree-clean``."""
    config = session.config
    if not config.getoption("--check-tree-clean") or hasattr(config, "workerinput"):
        return
    repo = _git_toplevel(config.rootpath)
    if repo is None:  # installed package or no git: nothing to compare
        return
    config.stash[_TREE_SNAPSHOT_KEY] = (repo, _git_tree_snapshot(repo))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fails the session, naming the files, if the working tree differs from its recorded state."""
    config = session.config
    recorded = config.stash.get(_TREE_SNAPSHOT_KEY, None)
    if recorded is None:
        return
    repo, before = recorded
    changed = _tree_changes(before, _git_tree_snapshot(repo))
    if not changed:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "--check-tree-clean: the test session changed the working tree", red=True)
        reporter.write_line(f"created, changed or deleted under {repo} (tests must write only under tmp_path):")
        for path in changed:
            reporter.write_line(f"  {path}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
