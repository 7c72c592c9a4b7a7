"""End-to-end tests of the sweep machinery, the Table 1 / Figure 4 writers and the CLI.

The machinery tests use a stand-in agent defined here (first fit on the action
mask, always layer split) so they do not depend on the learned agents.
"""

from __future__ import annotations

import csv
import os

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401
from benchmarks import cli, sweep
from benchmarks.jobs import Job, make_jobs, metrics_from_episode
from benchmarks.paper import METRIC_KEYS, METRICS
from benchmarks.table1 import run_table1
from benchmarks.workloads import run_workloads

SMALL = "SplitPlace-small-v0"
WALL_CLOCK = {m.key for m in METRICS if m.wall_clock} | {"wall_s"}


class FirstFitStandIn:
    """Stand-in agent: last allowed split (semantic by default), first allowed host for every fragment."""

    def __init__(self, codec, name="standin"):
        self.codec = codec
        self.name = name
        self.env = None

    def set_training(self, flag):
        pass

    def reset(self, seed=None):
        pass

    def act(self, obs, info):
        split_rows, host_rows = self.codec.split_masks(obs["action_mask"].astype(bool))
        allowed = host_rows.copy()
        allowed[:, 0] = False
        hosts = np.where(allowed.any(axis=1), allowed.argmax(axis=1), 0)
        splits = split_rows.shape[1] - 1 - np.argmax(split_rows[:, ::-1], axis=1)
        return np.concatenate([splits, hosts]).astype(np.int64)

    def update(self, *args):
        pass


def standin_runner(job: Job):
    """A picklable runner: the stand-in agent through agents.runner.run_episode."""
    from agents.runner import run_episode

    env = gym.make(job.scenario, **dict(job.env_kwargs))
    codec = env.unwrapped.codec
    env.close()
    # Different "agents" differ only by name; the seed drives the episode.
    result = run_episode(FirstFitStandIn(codec, job.agent), job.scenario, job.seed, job.n_intervals,
                         dict(job.env_kwargs))
    return metrics_from_episode(result.metrics())


def _strip(rows):
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(_strip(a), _strip(b)):
        assert x.keys() == y.keys()
        for k in x:
            if isinstance(x[k], float) and np.isnan(x[k]):
                assert np.isnan(y[k]), k
            else:
                assert x[k] == y[k], (k, x, y)


def test_make_jobs_is_a_sorted_cross_product():
    jobs = make_jobs(["B", "A"], [1, 0], [SMALL], 5)
    assert [j.key for j in jobs] == [(SMALL, "A", 0), (SMALL, "A", 1), (SMALL, "B", 0), (SMALL, "B", 1)]
    with pytest.raises(ValueError, match="duplicate"):
        sweep.run_sweep(jobs + jobs[:1], runner=standin_runner, workers=1)


@pytest.mark.slow
def test_inline_and_process_pool_give_identical_rows():
    jobs = make_jobs(["b", "a"], [0, 1], [SMALL], 5)
    inline = sweep.run_sweep(jobs, runner=standin_runner, workers=1)
    pooled = sweep.run_sweep(list(reversed(jobs)), runner=standin_runner, workers=2)
    assert [(r["agent"], r["seed"]) for r in pooled] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    _assert_same(inline, pooled)
    assert all(np.isfinite(r["energy"]) and r["energy"] > 0 for r in inline)


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_tiny_table1_writes_every_file(tmp_path):
    result = run_table1(["x", "SplitPlace"], [0, 1], 5, scenario=SMALL, out_dir=str(tmp_path), runner=standin_runner,
                        workers=1, n_boot=200)
    names = {os.path.basename(p) for p in result.files.values()}
    assert names == {"table1.csv", "table1_runs.csv", "table1.md", "table1.png"}
    for path in result.files.values():
        assert os.path.getsize(path) > 0
    summary = _read(tmp_path / "table1.csv")
    assert len(summary) == 2 * len(METRIC_KEYS)
    assert {r["metric"] for r in summary} == set(METRIC_KEYS)
    assert float([r for r in summary if r["agent"] == "SplitPlace" and r["metric"] == "reward"][0]["paper"]) == 94.18
    assert len(_read(tmp_path / "table1_runs.csv")) == 4
    md = (tmp_path / "table1.md").read_text()
    assert "Probability of improvement" in md and "(94.18)" in md and "table1.png" in md
    # Same stand-in under two names: every PoI is exactly one half (identical samples).
    # (Scheduling time is wall clock, so it differs between the two.)
    assert result.poi and all(r["poi"] == 0.5 for r in result.poi if r["metric"] not in WALL_CLOCK)


def test_tiny_workloads_writes_every_file(tmp_path):
    scenarios = ["SplitPlace-MNIST-v0", "SplitPlace-CIFAR100-v0"]
    result = run_workloads(["a", "SplitPlace"], [0, 1], 3, scenarios=scenarios, out_dir=str(tmp_path),
                           runner=standin_runner, workers=1, n_boot=100)
    assert {os.path.basename(p) for p in result.files.values()} == {
        "workloads.csv", "workloads_runs.csv", "workloads.md", "workloads.png"}
    assert {r["scenario"] for r in _read(tmp_path / "workloads_runs.csv")} == set(scenarios)


@pytest.mark.slow
def test_real_table1_agents_tiny_sweep(tmp_path):
    """The real Table 1 agents, 2 seeds x 5 intervals on the small env, two worker processes."""
    from benchmarks.experiment import default_agents

    agents = default_agents()
    result = run_table1(agents, [0, 1], 5, scenario=SMALL, out_dir=str(tmp_path), workers=2, n_boot=100)
    assert {r["agent"] for r in result.rows} == set(agents)
    assert len(result.rows) == 2 * len(agents)
    for row in result.rows:
        assert row["energy"] > 0 and row["sched_time"] >= 0


@pytest.mark.parametrize("argv", [["--help"], ["bench", "--help"], ["bench", "table1", "--help"],
                                  ["bench", "workloads", "--help"], ["bench", "speed", "--help"],
                                  ["bench", "calibration", "--help"], ["train", "--help"],
                                  ["train-models", "--help"], ["profile", "--help"], ["sumo-trace", "--help"]])
def test_cli_help(argv, capsys):
    table = cli.BENCH_COMMANDS if argv[0] == "bench" else cli.TOOL_COMMANDS
    if len(argv) > 1 and argv[-2] in table:
        try:
            cli.load_main(table[argv[-2]][0])
        except cli.CommandUnavailable as exc:
            pytest.skip(f"{argv[-2]}: {exc}")
    try:
        code = cli.main(argv)
    except SystemExit as exc:   # argparse exits 0 after --help
        code = exc.code
    assert code == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_cli_calibration_runs_and_exits_zero(tmp_path, capsys):
    """A real (tiny) run through the CLI: the command's main returns an exit code, not its figures."""
    code = cli.main(["bench", "calibration", "--envs", SMALL, "--seeds", "2", "--intervals", "12",
                     "--out-dir", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "calibration.md").exists() and (tmp_path / "calibration.csv").exists()
    assert "always-layer" in capsys.readouterr().out


def test_cli_missing_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.BENCH_COMMANDS, "nothing", ("benchmarks.does_not_exist", "missing"))
    assert cli.main(["bench", "nothing"]) == 2
    assert "not available" in capsys.readouterr().err
    assert cli.main(["frobnicate"]) == 2
