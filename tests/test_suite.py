"""Tests of the scenario suite benchmark (benchmarks.suite): statistics, jobs, command."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from benchmarks import cli, stats, suite
from splitplace_env import scenarios


def _rows(values: dict[str, list[float]]) -> list[dict]:
    """Suite rows of one agent "A": scenario -> reward per seed (seeds 10000, 10001, ...)."""
    return [{"scenario": sc, "agent": "A", "seed": 10_000 + i, "reward": v}
            for sc, vs in values.items() for i, v in enumerate(vs)]


def test_iqm_hand_worked() -> None:
    assert stats.iqm(np.arange(1.0, 9.0)) == pytest.approx(4.5)  # mean of 3..6
    assert stats.iqm([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0], [4.0, 8.0]]) == pytest.approx(4.5)  # flattened


def test_aggregate_resamples_within_scenarios() -> None:
    # Scenario X is constant (5, 5); Y is (0, 10). Resampling seeds within each scenario keeps
    # both 5s in every sample, so the bootstrap means are only 2.5, 5 or 7.5 (a pooled
    # bootstrap over the four runs could draw 0, 0, 0, 0); P(Y draws 0, 0) = 1/4 > 2.5%.
    rows = _rows({"X": [5.0, 5.0], "Y": [0.0, 10.0]})
    (agg,) = suite.aggregate(rows, ["A"], ["X", "Y"], metrics=("reward",), n_boot=4000)
    assert agg["scenario"] == suite.ALL and agg["n"] == 4
    assert agg["mean"] == pytest.approx(5.0) and agg["iqm"] == pytest.approx(5.0)
    assert (agg["ci_low"], agg["ci_high"]) == pytest.approx((2.5, 7.5))
    # IQM of a sample [5, 5] + [0, 0] = mean(0, 5) = 2.5; + [10, 10] = 7.5.
    assert (agg["iqm_low"], agg["iqm_high"]) == pytest.approx((2.5, 7.5))


def test_aggregate_of_constant_strata_is_a_point_and_drops_nan_seeds() -> None:
    rows = _rows({"X": [1.0, 1.0, float("nan")], "Y": [3.0, 3.0, 9.0]})
    (agg,) = suite.aggregate(rows, ["A"], ["X", "Y"], metrics=("reward",), n_boot=500)
    assert agg["n"] == 4  # the seed with a NaN score is left out of every scenario
    assert (agg["mean"], agg["ci_low"], agg["ci_high"]) == pytest.approx((2.0, 2.0, 2.0))


def test_jobs_give_every_agent_the_same_seeds_of_each_scenario() -> None:
    jobs = suite.make_suite_jobs(["MC", "Gillis"], ["Rush", "SUMO"], 3, 7)
    assert len(jobs) == 2 * 2 * 3
    for name in ("Rush", "SUMO"):
        seeds = {a: sorted(j.seed for j in jobs if j.scenario == name and j.agent == a) for a in ("MC", "Gillis")}
        assert seeds["MC"] == seeds["Gillis"] == list(scenarios.TEST_SEEDS[:3])
        assert all(dict(j.env_kwargs) == scenarios.get(name).env_kwargs() for j in jobs if j.scenario == name)
    assert {j.n_intervals for j in jobs} == {7}


def test_suite_runner_plays_the_scenario_overrides() -> None:
    busy = suite.suite_runner(suite.make_suite_jobs(["MC"], ["Rush"], 1, 3)[0])
    paper = suite.suite_runner(suite.make_suite_jobs(["MC"], ["PaperHeldOut"], 1, 3)[0])
    assert busy["n_finished"] + busy["n_unfinished"] > paper["n_finished"] + paper["n_unfinished"]


def test_bench_suite_end_to_end(tmp_path, capsys) -> None:
    out = tmp_path / "suite"
    argv = ["bench", "suite", "--agents", "MC", "Gillis", "--scenarios", "FaultTrace", "--seeds", "1",
            "--intervals", "4", "--n-boot", "50", "--workers", "1", "--no-progress", "--out-dir", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'suite.md'}" in printed
    for name in ("suite.csv", "suite_runs.csv", "suite.md", "suite.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "suite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "suite.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert {(r["scenario"], r["agent"]) for r in table} == {(s, a) for s in ("FaultTrace", "all")
                                                             for a in ("MC", "Gillis")}
    assert {r["metric"] for r in table} == set(suite.SUITE_METRICS)
    with open(out / "suite_runs.csv", newline="") as fh:
        runs = list(csv.DictReader(fh))
    assert [(r["agent"], r["seed"]) for r in runs] == [("Gillis", "10000"), ("MC", "10000")]
    md = (out / "suite.md").read_text()
    assert "splitplace bench suite --agents MC Gillis --scenarios FaultTrace" in md and "FaultTrace" in md


@pytest.mark.parametrize("args, expected", [
    (["--seeds", "0"], "--seeds: expected an integer from 1 to 1000, got '0'"),
    (["--intervals", "101"], "--intervals: expected an integer from 1 to 100"),
    (["--scenarios", "Paper"], "invalid choice: 'Paper'"),
    (["--agents", "nope"], "unknown agent 'nope'"),
    (["--n-boot", "x"], "--n-boot: expected an integer"),
    (["--workers", "0"], "--workers: expected an integer >= 1"),
    (["--update-committed", "--out-dir", "x"], "not allowed with argument"),
])
def test_bad_inputs_exit_2_with_one_line(args, expected, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written, not even a run directory
    with pytest.raises(SystemExit) as info:
        suite.main(args, prog="splitplace bench suite")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("splitplace bench suite: error: ") and expected in err
    assert err.count("\n") == 1
    assert not list(tmp_path.iterdir())
