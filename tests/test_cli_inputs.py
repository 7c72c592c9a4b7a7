"""Bad command-line input: a one-line error naming the option or file, exit code 2, nothing written.

Every case of issue 13's command-line list goes through the console script's
entry point (``benchmarks.cli.main``, i.e. ``splitplace ...``), from a temporary
current directory so that a run directory made by mistake would show.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from benchmarks import cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = "SplitPlace-small-v0"
MODEL = ROOT / "benchmarks" / "results" / "rl_maskable_ppo.zip"
#: A cheap Table 1 run that every case below spoils with one bad option.
TABLE1 = ["bench", "table1", "--only", "MC", "--env", SMALL, "--seeds", "1", "--intervals", "2", "--no-progress"]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``splitplace ARGV`` in this process: (exit code, stdout, stderr)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_clear_error(argv: list[str], capsys, *names: str, cwd: Path | None = None) -> str:
    """Asserts exit code 2 and a single stderr line naming ``names``; returns that line."""
    code, _, err = run_cli(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, f"expected a one-line error, got:\n{err}"
    assert "Traceback" not in err and ": error: " in lines[0], lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    if cwd is not None:
        assert not (cwd / "runs").exists(), "a run directory was made for a refused command"
    return lines[0]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# --------------------------------------------------------------------------- bench table1
@pytest.mark.parametrize("option,value,expected", [
    ("--seeds", "0", "integer from 1"),
    ("--seeds", "-1", "integer from 1"),
    ("--seeds", "two", "integer from 1"),
    ("--seed-offset", "-3", "integer >= 0"),
    ("--n-boot", "0", "integer from 1"),
    ("--intervals", "0", "integer from 1"),
    ("--intervals", "1.5", "integer from 1"),
    ("--workers", "0", "integer >= 1"),
    ("--env", "NoSuchEnv-v0", "SplitPlace-v0"),   # lists the registered ids
    ("--name", "../table1", "file base name"),
])
def test_table1_bad_values(option, value, expected, capsys, tmp_path) -> None:
    line = assert_clear_error([*TABLE1, option, value], capsys, option, cwd=tmp_path)
    assert expected in line and value in line
    assert line.startswith("splitplace bench table1: error:")


def test_table1_runs_at_the_edges_of_the_valid_values(capsys, tmp_path) -> None:
    """The smallest counts and a seed beyond 64 bits are valid: a real run, files in a run directory."""
    code, out, err = run_cli(["bench", "table1", "--only", "MC", "--env", SMALL, "--seeds", "1", "--intervals", "1",
                              "--n-boot", "1", "--seed-offset", str(2**64), "--workers", "1", "--no-plot",
                              "--no-progress"], capsys)
    assert code == 0, err
    (run,) = (tmp_path / "runs").iterdir()
    rows = (run / "table1_runs.csv").read_text().splitlines()
    assert len(rows) == 2 and str(2**64) in rows[1]
    assert f"outputs in {run}" in out


def test_table1_rl_path_that_is_no_model(capsys, tmp_path) -> None:
    missing = tmp_path / "nothing.zip"
    assert_clear_error([*TABLE1, "--agents", f"rl:{missing}"], capsys, str(missing), "no such model", cwd=tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    assert_clear_error([*TABLE1, "--agents", f"rl:{text}"], capsys, str(text), "not a zip file", cwd=tmp_path)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert_clear_error([*TABLE1, "--agents", f"rl:{other_zip}"], capsys, str(other_zip), "not a Stable-Baselines3",
                       cwd=tmp_path)


@pytest.mark.slow
def test_table1_rl_model_for_another_env(capsys, tmp_path) -> None:
    """The shipped model was trained on SplitPlace-v0: on the small id it cannot act."""
    assert_clear_error([*TABLE1, "--agents", f"rl:{MODEL}"], capsys, f"rl:{MODEL}", SMALL, cwd=tmp_path)


def test_table1_unknown_agent_and_both_outputs(capsys, tmp_path) -> None:
    assert_clear_error([*TABLE1, "--agents", "NoSuchAgent"], capsys, "NoSuchAgent", "SplitPlace", cwd=tmp_path)
    assert_clear_error([*TABLE1, "--out-dir", str(tmp_path / "o"), "--update-committed"], capsys, "--out-dir",
                       "--update-committed", cwd=tmp_path)
    assert not (tmp_path / "o").exists()


def test_workloads_and_calibration_bad_values(capsys, tmp_path) -> None:
    assert_clear_error(["bench", "workloads", "--seeds", "0"], capsys, "--seeds", cwd=tmp_path)
    assert_clear_error(["bench", "workloads", "--workloads", "ImageNet"], capsys, "--workloads", "ImageNet",
                       cwd=tmp_path)
    assert_clear_error(["bench", "calibration", "--envs", "NoSuchEnv-v0"], capsys, "--envs", "NoSuchEnv-v0",
                       cwd=tmp_path)
    assert_clear_error(["bench", "calibration", "--intervals", "-5"], capsys, "--intervals", cwd=tmp_path)
    assert_clear_error(["bench", "calibration", "--seed-offset", "x"], capsys, "--seed-offset", cwd=tmp_path)


# --------------------------------------------------------------------------- help of every command
COMMANDS = [["bench", name] for name in cli.BENCH_COMMANDS] + [[name] for name in cli.TOOL_COMMANDS]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_names_the_command_and_shows_defaults(command, capsys) -> None:
    code, out, _ = run_cli([*command, "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: splitplace {' '.join(command)} "), out.splitlines()[0]
    assert "(default:" in out


def test_calibration_help_and_env_option(capsys) -> None:
    """--env (as in the other benchmarks) and --envs both name the environments."""
    code, out, _ = run_cli(["bench", "calibration", "--help"], capsys)
    assert code == 0 and "usage: splitplace bench calibration" in out
    assert "--env" in out and "--env-id" not in out and "number of seeds (default: 5)" in out


# --------------------------------------------------------------------------- tools
def test_train_models_without_data_is_an_error(capsys, tmp_path, monkeypatch) -> None:
    from splitplace_env.nets import train

    monkeypatch.setattr(train, "load_dataset", lambda app, data_dir=None: None)
    assert_clear_error(["train-models"], capsys, "no training data", "--data-dir", cwd=tmp_path)
    assert_clear_error(["train-models", "--apps", "CIFAR100"], capsys, "--apps CIFAR100", cwd=tmp_path)
    assert_clear_error(["train-models", "--data-dir", str(tmp_path / "absent")], capsys, "--data-dir",
                       cwd=tmp_path)
    assert_clear_error(["train-models", "--epochs", "0"], capsys, "--epochs", cwd=tmp_path)


def test_profile_refuses_bad_values_and_the_analytic_profile(capsys, tmp_path) -> None:
    from splitplace_env.profiling.profiler import DATA_DIR

    before = (DATA_DIR / "profiles.json").read_bytes()
    assert_clear_error(["profile", "--pi-factor", "0"], capsys, "--pi-factor", cwd=tmp_path)
    assert_clear_error(["profile", "--pi-factor", "nan"], capsys, "--pi-factor", cwd=tmp_path)
    assert_clear_error(["profile", "--repeats", "0"], capsys, "--repeats", cwd=tmp_path)
    assert_clear_error(["profile", "--out", str(DATA_DIR / "profiles.json")], capsys, "--out", "analytic",
                       cwd=tmp_path)
    assert (DATA_DIR / "profiles.json").read_bytes() == before
    assert_clear_error(["profile-costs", "--repeats", "0"], capsys, "--repeats", cwd=tmp_path)
    assert_clear_error(["profile-costs", "--sizes", "1"], capsys, "--sizes", cwd=tmp_path)


def test_train_and_sumo_bad_values(capsys, tmp_path) -> None:
    assert_clear_error(["train", "ppo", "--timesteps", "0"], capsys, "--timesteps", cwd=tmp_path)
    assert_clear_error(["train", "ppo", "--env", "NoSuchEnv-v0"], capsys, "--env", "NoSuchEnv-v0", cwd=tmp_path)
    assert_clear_error(["train", "ppo", "--env-kwargs", '{"n_hosts": -1}'], capsys, "--env-kwargs", "n_hosts",
                       cwd=tmp_path)
    assert_clear_error(["train", "ppo", "--env-kwargs", "{"], capsys, "--env-kwargs", "JSON", cwd=tmp_path)
    assert_clear_error(["train", "ppo", "--hparams", '{"n_stepz": 8}'], capsys, "--hparams", "n_stepz",
                       cwd=tmp_path)
    assert_clear_error(["train", "ppo", "--net-arch", "64,x"], capsys, "--net-arch", cwd=tmp_path)
    assert_clear_error(["sumo-trace", "--vehicles", "0"], capsys, "--vehicles", cwd=tmp_path)
    assert_clear_error(["sumo-trace", "--interval-s", "-1"], capsys, "--interval-s", cwd=tmp_path)


def test_training_scripts_bad_values(capsys, tmp_path) -> None:
    from agents import train_mab, train_surrogate

    for main, argv, names in ((train_mab.main, ["--episodes", "0"], ["--episodes"]),
                              (train_surrogate.main, ["--epochs", "0"], ["--epochs"])):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert exc.value.code == 2 and len(err) == 1 and all(n in err[0] for n in names), err
    bad = tmp_path / "traces.npz"
    bad.write_text("not numpy")
    with pytest.raises(SystemExit) as exc:
        train_surrogate.main(["--traces", str(bad)])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and str(bad) in err and "collect_traces" in err
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------- rl_evaluate's learning curve
def _fake_run(folder: Path, **train_json) -> Path:
    (folder / "monitor").mkdir(parents=True)
    (folder / "monitor" / "0.monitor.csv").write_text('#{"t_start": 0}\nr,l,t\n1.0,100,1.0\n')
    (folder / "train.json").write_text(json.dumps(train_json))
    return folder


def test_rl_evaluate_refuses_a_learning_curve_of_another_model(capsys, tmp_path) -> None:
    from benchmarks import rl_evaluate

    shipped = json.loads((MODEL.parent / "rl_maskable_ppo_train.json").read_text())
    other = _fake_run(tmp_path / "other_run", **{**shipped, "seed": shipped["seed"] + 1})
    with pytest.raises(SystemExit) as exc:
        rl_evaluate.main(["--model", str(MODEL), "--run-dir", str(other)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "--run-dir" in err[0] and "another model" in err[0], err
    assert not (tmp_path / "runs").exists()
    # the same training run (a copied model with its train.json record), or a model inside the run: accepted
    rl_evaluate.check_model_of_run(str(MODEL), str(_fake_run(tmp_path / "same_run", **shipped)))
    inside = _fake_run(tmp_path / "inside_run", algo="ppo")
    shutil.copy(MODEL, inside / "model.zip")
    rl_evaluate.check_model_of_run(str(inside / "model.zip"), str(inside))
    with pytest.raises(SystemExit):
        rl_evaluate.main(["--run-dir", str(tmp_path / "absent")])
    assert "no such folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        rl_evaluate.main([])
    assert "--model" in capsys.readouterr().err


def test_unknown_commands_exit_2(capsys) -> None:
    assert run_cli(["bench", "nothing"], capsys)[0] == 2
    assert run_cli(["frobnicate"], capsys)[0] == 2


# --------------------------------------------------------------------------- issue 13 leftovers
def run_main(main, argv: list[str], capsys) -> tuple[int, str, str]:
    """A module's ``main(argv)`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_main_error(main, argv: list[str], capsys, *names: str, cwd: Path) -> str:
    """As ``assert_clear_error``, for a module's ``main`` outside the console script."""
    code, _, err = run_main(main, argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, f"expected a one-line error, got:\n{err}"
    assert "Traceback" not in err and ": error: " in lines[0], lines[0]
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert not (cwd / "runs").exists(), "a run directory was made for a refused command"
    return lines[0]


def _module_mains():
    from agents import collect_traces
    from agents.rl import speed as rl_speed
    from benchmarks import env_speed, sweep

    return {"env_speed": env_speed.main, "sweep": sweep.main, "rl_speed": rl_speed.main,
            "collect_traces": collect_traces.main}


#: command -> its module (the program name of its errors).
MODULES = {"env_speed": "benchmarks.env_speed", "sweep": "benchmarks.sweep", "rl_speed": "agents.rl.speed",
           "collect_traces": "agents.collect_traces"}
#: (command, argv before the bad option) of the commands outside ``splitplace``; every case below adds one bad option.
MODULE_BASE = {"env_speed": [], "sweep": ["--agents", "MC", "--scenarios", SMALL], "rl_speed": [],
               "collect_traces": []}


@pytest.mark.parametrize("command,option,value,expected", [
    ("env_speed", "--blocks", "0", "integer >= 1"),
    ("env_speed", "--steps", "-1", "integer >= 1"),
    ("env_speed", "--warmup", "x", "integer >= 0"),
    ("env_speed", "--hosts", "0", "integer >= 1"),
    ("env_speed", "--scale-steps", "1.5", "integer >= 1"),
    ("env_speed", "--seed", "-2", "integer >= 0"),
    ("env_speed", "--env-id", "NoSuchEnv-v0", "SplitPlace-v0"),
    ("sweep", "--workers", "0", "integer >= 1"),
    ("sweep", "--workers", "1_0", "integer >= 1"),
    ("sweep", "--seeds", "0", "integer from 1"),
    ("sweep", "--intervals", "two", "integer from 1"),
    ("sweep", "--scenarios", "NoSuchEnv-v0", "SplitPlace-v0"),
    ("sweep", "--agents", "NoSuchAgent", "SplitPlace"),
    ("rl_speed", "--n-envs", "0", "integer >= 1"),
    ("rl_speed", "--timesteps", "-5", "integer >= 1"),
    ("rl_speed", "--env", "NoSuchEnv-v0", "SplitPlace-v0"),
    ("rl_speed", "--vec", "forked", "subproc"),
    ("collect_traces", "--episodes", "0", "integer from 1"),
    ("collect_traces", "--seed", "-1", "integer >= 0"),
    ("collect_traces", "--out", "traces.txt", ".npz"),
    ("collect_traces", "--out", str(ROOT / "agents" / "weights" / "traces.npz"), "shipped folder"),
])
def test_module_commands_bad_values(command, option, value, expected, capsys, tmp_path) -> None:
    line = assert_main_error(_module_mains()[command], [*MODULE_BASE[command], option, value], capsys, option,
                             cwd=tmp_path)
    assert expected in line and value in line
    assert line.startswith(f"python -m {MODULES[command]}: error:"), line


@pytest.mark.parametrize("argv,option,expected", [
    (["bench", "speed", "--blocks", "0"], "--blocks", "integer >= 1"),
    (["bench", "speed", "--ppo-envs", "0"], "--ppo-envs", "integer >= 1"),
    (["bench", "speed", "--agent-intervals", "two"], "--agent-intervals", "integer >= 1"),
    (["bench", "speed", "--agent-sizes", "17"], "--agent-sizes", "17"),
    (["bench", "speed", "--agents", "NoSuchAgent"], "--agents", "NoSuchAgent"),
    (["bench", "rl-throughput", "--num-envs", "0"], "--num-envs", "integer >= 1"),
    (["bench", "rl-throughput", "--timesteps", "-5"], "--timesteps", "integer >= 1"),
    (["bench", "rl-throughput", "--repeats", "1.5"], "--repeats", "integer >= 1"),
    (["bench", "rl-throughput", "--blocks", "x"], "--blocks", "integer >= 1"),
])
def test_speed_and_rl_throughput_bad_values(argv, option, expected, capsys, tmp_path) -> None:
    line = assert_clear_error(argv, capsys, option, expected, cwd=tmp_path)
    assert line.startswith(f"splitplace {argv[0]} {argv[1]}: error:")


@pytest.mark.parametrize("command", ["env_speed", "rl_speed"])
def test_module_commands_refuse_both_outputs(command, capsys, tmp_path) -> None:
    assert_main_error(_module_mains()[command], ["--out-dir", str(tmp_path / "o"), "--update-committed"], capsys,
                      "--out-dir", "--update-committed", cwd=tmp_path)
    assert not (tmp_path / "o").exists()


def test_sweep_refuses_both_outputs(capsys, tmp_path) -> None:
    assert_main_error(_module_mains()["sweep"], [*MODULE_BASE["sweep"], "--out", str(tmp_path / "o.csv"),
                                                 "--update-committed"], capsys, "--out", "--update-committed",
                      cwd=tmp_path)


@pytest.mark.parametrize("module", list(MODULES.values()))
def test_module_help_names_the_module_and_shows_defaults(module, capsys) -> None:
    import importlib

    code, out, _ = run_main(importlib.import_module(module).main, ["--help"], capsys)
    assert code == 0 and out.startswith(f"usage: python -m {module} "), out.splitlines()[0]
    assert "(default:" in out


def test_env_speed_help_through_prog(capsys) -> None:
    """benchmarks.cli passes prog to main(argv, prog=...): the usage names the console script."""
    from benchmarks import env_speed

    code, out, _ = run_main(lambda argv: env_speed.main(argv, prog="splitplace bench env-speed"), ["--help"], capsys)
    assert code == 0 and out.startswith("usage: splitplace bench env-speed ")


def test_env_speed_write_results_needs_a_folder() -> None:
    """No default folder: a library call cannot write the committed results by accident."""
    import inspect

    from benchmarks import env_speed

    assert inspect.signature(env_speed.write_results).parameters["out_dir"].default is inspect.Parameter.empty


def _committed_bytes(*names: str) -> dict[str, bytes | None]:
    results = ROOT / "benchmarks" / "results"
    return {n: (results / n).read_bytes() if (results / n).exists() else None for n in names}


def _only_run_dir(tmp_path: Path, command: str) -> Path:
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith(f"{command}-"), run.name
    return run


def test_env_speed_default_output_is_a_fresh_run_dir(capsys, tmp_path) -> None:
    from benchmarks import env_speed

    before = _committed_bytes("env_speed.csv", "env_speed.md")
    code, out, err = run_main(env_speed.main, ["--blocks", "1", "--steps", "5", "--warmup", "2", "--hosts", "4",
                                               "--scale-warmup", "1", "--scale-steps", "2"], capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "env-speed")
    assert sorted(p.name for p in run.iterdir()) == ["env_speed.csv", "env_speed.md"]
    assert f"wrote {run / 'env_speed.csv'}" in out
    assert _committed_bytes("env_speed.csv", "env_speed.md") == before


def test_rl_throughput_default_output_is_a_fresh_run_dir(capsys, tmp_path) -> None:
    before = _committed_bytes("rl_throughput.csv", "rl_throughput.md")
    code, out, err = run_cli(["bench", "rl-throughput", "--skip-ppo", "--num-envs", "1", "--vec-steps", "4",
                              "--blocks", "1"], capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "rl-throughput")
    assert sorted(p.name for p in run.iterdir()) == ["rl_throughput.csv", "rl_throughput.md"]
    assert f"wrote {run / 'rl_throughput.md'}" in out
    assert _committed_bytes("rl_throughput.csv", "rl_throughput.md") == before


def test_speed_default_output_is_a_fresh_run_dir(capsys, tmp_path) -> None:
    before = _committed_bytes("speed.csv", "speed.md")
    code, out, err = run_cli(["bench", "speed", "--no-ppo", "--agents", "MC", "--blocks", "1", "--block-steps", "5",
                              "--agent-intervals", "1"], capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "speed")
    assert sorted(p.name for p in run.iterdir()) == ["speed.csv", "speed.md"]
    assert f"wrote {run / 'speed.csv'}" in out
    assert _committed_bytes("speed.csv", "speed.md") == before


def test_sweep_default_output_and_explicit_out(capsys, tmp_path) -> None:
    from benchmarks import sweep

    argv = [*MODULE_BASE["sweep"], "--seeds", "1", "--intervals", "2", "--workers", "1", "--no-progress"]
    code, out, err = run_main(sweep.main, argv, capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "sweep")
    rows = (run / "sweep_runs.csv").read_text().splitlines()
    assert len(rows) == 2 and "MC" in rows[1]
    assert f"wrote {run / 'sweep_runs.csv'}" in out
    assert not (ROOT / "benchmarks" / "results" / "sweep_runs.csv").exists()
    explicit = tmp_path / "mine" / "rows.csv"
    assert run_main(sweep.main, [*argv, "--out", str(explicit)], capsys)[0] == 0
    again = explicit.read_text().splitlines()  # the same episode; only wall-clock columns differ
    assert again[0] == rows[0] and again[1].split(",")[:5] == rows[1].split(",")[:5]
    assert len(list((tmp_path / "runs").iterdir())) == 1


def test_rl_speed_default_output_is_a_fresh_run_dir(capsys, tmp_path, monkeypatch) -> None:
    """The output rule only: a stand-in measurement (real PPO runs are benchmarks, not tests)."""
    from agents.rl import speed as rl_speed

    monkeypatch.setattr(rl_speed, "ppo_steps_per_second", lambda n_envs, env_id, timesteps, vec, reference: {
        "env_id": env_id, "vec": vec, "timesteps": timesteps, "steps_per_s": {n: 100.0 * n for n in n_envs},
        "cartpole_steps_per_s": None})
    before = _committed_bytes("rl_speed.csv", "rl_speed.md")
    code, out, err = run_main(rl_speed.main, ["--n-envs", "1", "2", "--timesteps", "8", "--no-reference"], capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "rl-speed")
    csv_rows = (run / "rl_speed.csv").read_text().splitlines()
    assert len(csv_rows) == 3 and csv_rows[2].split(",")[4] == "200.0"
    assert f"wrote {run / 'rl_speed.md'}" in out
    assert _committed_bytes("rl_speed.csv", "rl_speed.md") == before


def test_collect_traces_default_output_is_a_fresh_run_dir(capsys, tmp_path, monkeypatch) -> None:
    """The output rule only: a stand-in collection (a real episode takes a minute on a shared machine)."""
    import numpy as np

    from agents import collect_traces

    monkeypatch.setattr(collect_traces, "collect", lambda episodes, seed: {"reward": np.zeros(episodes)})
    code, out, err = run_main(collect_traces.main, ["--episodes", "3"], capsys)
    assert code == 0, err
    run = _only_run_dir(tmp_path, "collect-traces")
    assert np.load(run / "traces.npz")["reward"].shape == (3,)
    assert f"to {run / 'traces.npz'}" in out
    explicit = tmp_path / "t" / "mine.npz"
    assert run_main(collect_traces.main, ["--episodes", "2", "--out", str(explicit)], capsys)[0] == 0
    assert np.load(explicit)["reward"].shape == (2,)
