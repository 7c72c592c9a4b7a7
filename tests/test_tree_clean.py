"""The ``--check-tree-clean`` comparison (tests/conftest.py) can fail: it names what a session changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

Snapshot = Callable[[Path], dict[str, str]]
Changes = Callable[[dict[str, str], dict[str, str]], list[str]]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one committed file, one ignored folder and one untracked file."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "kept.txt").write_text("committed\n")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    _git(tmp_path, "add", "kept.txt", ".gitignore")
    _git(tmp_path, "commit", "-q", "-m", "start")
    (tmp_path / "draft.txt").write_text("someone's draft\n")
    return tmp_path


def test_no_change_names_nothing(repo: Path, git_tree_snapshot: Snapshot, tree_changes: Changes) -> None:
    before = git_tree_snapshot(repo)
    assert set(before) == {"draft.txt"}
    assert tree_changes(before, git_tree_snapshot(repo)) == []


def test_new_untracked_file_is_named(repo: Path, git_tree_snapshot: Snapshot, tree_changes: Changes) -> None:
    before = git_tree_snapshot(repo)
    (repo / "sub").mkdir()
    (repo / "sub" / "left_behind.json").write_text("{}")
    assert tree_changes(before, git_tree_snapshot(repo)) == ["sub/left_behind.json"]


def test_tracked_edit_and_delete_are_named(repo: Path, git_tree_snapshot: Snapshot, tree_changes: Changes) -> None:
    before = git_tree_snapshot(repo)
    (repo / "kept.txt").write_text("overwritten\n")
    (repo / "draft.txt").unlink()
    assert tree_changes(before, git_tree_snapshot(repo)) == ["draft.txt", "kept.txt"]


def test_content_change_of_already_dirty_file_is_named(
    repo: Path, git_tree_snapshot: Snapshot, tree_changes: Changes
) -> None:
    # Same porcelain status ("??") before and after: only the content hash tells them apart.
    before = git_tree_snapshot(repo)
    (repo / "draft.txt").write_text("rewritten by a test\n")
    assert tree_changes(before, git_tree_snapshot(repo)) == ["draft.txt"]


def test_ignored_files_are_not_named(repo: Path, git_tree_snapshot: Snapshot, tree_changes: Changes) -> None:
    before = git_tree_snapshot(repo)
    (repo / "ignored").mkdir()
    (repo / "ignored" / "cache.bin").write_bytes(b"\0")
    assert tree_changes(before, git_tree_snapshot(repo)) == []


def test_session_fails_and_names_the_file(pytester: pytest.Pytester) -> None:
    # A session in a fresh repository, with this suite's conftest, whose one test leaves a file behind.
    repo = pytester.path
    _git(repo, "init", "-q")
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_leaves_file="from pathlib import Path\n\ndef test_x():\n    Path('stray.txt').write_text('x')\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "start")
    checked = pytester.runpytest_subprocess("--check-tree-clean", "-p", "no:cacheprovider")
    assert checked.ret == pytest.ExitCode.TESTS_FAILED
    checked.stdout.fnmatch_lines(["*--check-tree-clean*", "  stray.txt"])
    (repo / "stray.txt").unlink()
    unchecked = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert unchecked.ret == pytest.ExitCode.OK
