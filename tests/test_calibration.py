"""benchmarks/calibration.py: the per-(application, SLA context) split table and the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from benchmarks import calibration as cal
from benchmarks import cli

SMALL = "SplitPlace-small-v0"
GE, LT = cal.CONTEXT_GE, cal.CONTEXT_LT


def test_layer_estimates_are_per_application_means_of_layer_responses() -> None:
    est = cal.layer_estimates({"app": np.array([0, 0, 2, 2, 2]), "response": np.array([4.0, 6.0, 10.0, 11.0, 12.0])})
    assert est == {0: 5.0, 2: 11.0}


def test_classify_contexts_compares_the_sla_with_the_application_estimate() -> None:
    """SLA >= the estimate of the task's own application (ties included) is the >= context."""
    est = {0: 6.25, 1: 12.0}
    app = np.array([0, 0, 0, 1, 1, 1])
    sla = np.array([6.0, 7.0, 6.25, 12.0, 11.0, 7.0])  # 7 is >= app 0's estimate but < app 1's
    got = cal.classify_contexts(app, sla, est)
    assert got.tolist() == [LT, GE, GE, GE, LT, LT]
    assert cal.classify_contexts(np.array([], dtype=int), np.array([]), est).size == 0
    with pytest.raises(ValueError, match="no layer response estimate"):
        cal.classify_contexts(np.array([0, 2]), np.array([3.0, 3.0]), est)


def test_task_reward_is_the_eq8_qos_term() -> None:
    np.testing.assert_allclose(cal.task_reward(np.array([True, False]), np.array([0.9, 0.5])), [0.95, 0.25])


def test_winner_needs_disjoint_intervals() -> None:
    def c(mean: float, half: float, n: int = 10) -> dict:
        return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": n}

    assert cal.winner({"layer": c(0.9, 0.01), "semantic": c(0.5, 0.01)}) == "layer"
    assert cal.winner({"layer": c(0.5, 0.01), "semantic": c(0.9, 0.01)}) == "semantic"
    assert cal.winner({"layer": c(0.6, 0.1), "semantic": c(0.7, 0.1)}) == "tie"
    assert cal.winner({"layer": c(0.9, 0.01, n=1), "semantic": c(0.5, 0.01)}) == "n/a"


def _fake_run(mode: str, app, sla, response, met, acc) -> dict:
    tasks = {"task_id": np.arange(len(app)), "app": np.asarray(app), "sla": np.asarray(sla, dtype=float),
             "response": np.asarray(response, dtype=float), "wait": np.ones(len(app)),
             "sla_met": np.asarray(met, dtype=bool), "accuracy": np.asarray(acc, dtype=float)}
    return {"mode": mode, "tasks": tasks}


def test_context_table_uses_the_layer_estimate_and_detects_a_trade_off() -> None:
    """Layer responses of app 0 average 5, so SLA 8 tasks are >= and SLA 2 tasks are <;
    layer wins the first context (more accurate, meets the SLA), semantic the second."""
    n = 20
    sla = [8.0] * n + [2.0] * n
    layer = _fake_run("layer", [0] * 2 * n, sla, [4.0] * n + [6.0] * n, [True] * n + [False] * n,
                      [0.99, 0.97] * n)
    semantic = _fake_run("semantic", [0] * 2 * n, sla, [1.5] * 2 * n, [True] * n + [True] * n,
                         [0.80, 0.78] * n)
    table = cal.context_table([layer, semantic])
    assert table["estimate"] == {0: 5.0}
    rows = {r["context"]: r for r in table["rows"]}
    assert set(rows) == {GE, LT}
    assert rows[GE]["modes"]["layer"]["n"] == n and rows[LT]["modes"]["semantic"]["n"] == n
    assert rows[GE]["winner"] == "layer" and rows[LT]["winner"] == "semantic"
    assert table["tradeoff"] and table["verdict"].startswith("yes")
    # Semantic better everywhere: no trade-off.
    semantic_all = _fake_run("semantic", [0] * 2 * n, sla, [1.5] * 2 * n, [True] * 2 * n, [1.0] * 2 * n)
    table = cal.context_table([layer, semantic_all])
    assert not table["tradeoff"] and table["verdict"].startswith("no")


def test_quick_run_writes_both_tables_and_the_csv_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """One seed x 20 intervals of the small env into tmp_path."""
    assert cal.main(["--envs", SMALL, "--seeds", "1", "--intervals", "20", "--out-dir", str(tmp_path)]) == 0
    md = (tmp_path / "calibration.md").read_text()
    assert "## Response, wait and SLA violations beside the paper" in md
    assert "L+G 9.92" in md and "S+G 3.70" in md and "always-layer" in md and "always-semantic" in md
    assert "## Which fixed split earns more reward, per application and SLA context" in md
    assert f"**{SMALL}**: is the split decision a real trade-off?" in md
    with (tmp_path / "calibration.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == cal.CSV_COLUMNS
    kinds = [r["table"] for r in rows]
    assert kinds.count("run") == 2 and kinds.count("summary") == 2 and kinds.count("tradeoff") == 1
    ctx = [r for r in rows if r["table"] == "context"]
    assert ctx and {r["mode"] for r in ctx} == {"layer", "semantic"}
    assert {r["context"] for r in ctx} <= {GE, LT, "no estimate"}
    for r in ctx:
        assert r["winner"] in ("layer", "semantic", "tie", "n/a") and int(r["n"]) >= 0
    assert all(r["env"] == SMALL for r in rows)
    assert "wrote" in capsys.readouterr().out


def test_quick_option_writes_quick_files(tmp_path: Path) -> None:
    assert cal.main(["--env", SMALL, "--quick", "--seeds", "1", "--intervals", "5", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "calibration_quick.md").exists() and (tmp_path / "calibration_quick.csv").exists()
    assert not (tmp_path / "calibration.md").exists()


def test_unknown_env_id_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        cal.main(["--envs", SMALL, "SplitPlace-Nope-v9", "--seeds", "1", "--intervals", "2",
                  "--out-dir", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "SplitPlace-Nope-v9" in err and "unregistered" in err and SMALL in err  # lists the known ids
    assert not list(tmp_path.iterdir())  # checked before anything ran or was written
    with pytest.raises(ValueError, match="SplitPlace-Nope-v9"):
        cal.measure((0,), 2, env_id="SplitPlace-Nope-v9")
    with pytest.raises(ValueError, match="SplitPlace-Nope-v9"):
        cal.measure_all([SMALL, "SplitPlace-Nope-v9"], (0,), 2)


def test_help_names_the_command_and_options(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", "calibration", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: splitplace bench calibration" in out
    for option in ("--envs", "--env", "--seeds", "--seed-offset", "--intervals", "--quick", "--out-dir", "--name"):
        assert option in out
    assert "SplitPlace-AuthorsCode-v0" in out  # in the default
