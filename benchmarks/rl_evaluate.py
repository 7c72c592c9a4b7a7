"""Evaluate a trained RL model with the Table 1 protocol, beside the paper's agents.

``python -m benchmarks.rl_evaluate --model PATH`` runs the model (``rl:PATH``)
and the comparison agents for the same seeds (0..4) x 100 intervals under common
random numbers, through the Table 1 runner (``benchmarks.table1``), and writes
``rl_table.{csv,md,png}`` and ``rl_table_runs.csv`` into a new run directory
``runs/rl_evaluate-<timestamp>/`` (``--out-dir`` to choose the folder,
``--update-committed`` to refresh the committed ``benchmarks/results/``). With
``--run-dir`` (the training run of that model; ``--model`` then defaults to its
``model.zip``) it also draws the run's learning curve (``rl_learning_curve.png``)
with the other agents' mean episode returns as reference lines; a ``--model``
from another run is refused, so the curve always belongs to the evaluated model.

This lives in ``benchmarks`` (it was ``agents.rl.evaluate``) because it drives
the Table 1 runner, and ``agents`` must not import ``benchmarks``.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from benchmarks.experiment import MAX_INTERVALS, MAX_SEEDS, check_agents, file_name, output_dir
from benchmarks.table1 import run_table1
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg

log = logging.getLogger(__name__)

#: Compared agents when the paper's are available (benchmarks' Table 1 rows) plus simple baselines.
DEFAULT_BASELINES = ("MC", "Gillis", "S+G", "L+G", "R+D", "M+G", "SplitPlace", "random", "least-loaded")
#: ``train.json`` fields that identify a training run (the model path may differ: a copy).
RUN_IDENTITY = ("algo", "env_id", "env_kwargs", "seed", "timesteps", "n_envs", "hparams", "net_arch")


def mean_episode_returns(runs_csv: str) -> dict[str, float]:
    """Agent -> mean episode return (sum of Eq. 8) from a ``*_runs.csv`` of the benchmarks."""
    acc: dict[str, list[float]] = defaultdict(list)
    with open(runs_csv) as fh:
        for r in csv.DictReader(fh):
            acc[r["agent"]].append(float(r["reward_eq8"]) * float(r["n_intervals"]))
    return {a: sum(v) / len(v) for a, v in acc.items()}


def evaluate(model: str, agents: Sequence[str] = DEFAULT_BASELINES, seeds: Sequence[int] = range(5),
             n_intervals: int = 100, out_dir: str | None = None, name: str = "rl_table",
             workers: int | None = None) -> dict[str, str]:
    """Runs Table 1 with ``rl:model`` first (into ``out_dir``, default a new run directory);
    returns the files written."""
    rl = f"rl:{model}"
    result = run_table1([rl, *agents], list(seeds), n_intervals, out_dir=out_dir, name=name, workers=workers)
    return dict(result.files)


def _train_meta(model_zip: Path) -> dict | None:
    """The ``train.json`` record of a model: beside it (run directory) or ``<stem>_train.json``."""
    for meta in (model_zip.parent / "train.json", model_zip.with_name(f"{model_zip.stem}_train.json")):
        if meta.is_file():
            try:
                return json.loads(meta.read_text())
            except json.JSONDecodeError:
                return None
    return None


def check_model_of_run(model: str, run_dir: str) -> None:
    """Raises ``ValueError`` unless ``model`` was trained in ``run_dir``.

    The model belongs to the run when it is a file inside ``run_dir`` or when its
    ``train.json`` record (a copied model's ``<stem>_train.json``) names the same
    training run as ``run_dir/train.json`` (``RUN_IDENTITY`` fields).
    """
    from agents.rl.policy import resolve_model_path

    run = Path(run_dir).resolve()
    zip_path = resolve_model_path(model).resolve()
    if run in zip_path.parents:
        return
    ours, theirs = _train_meta(zip_path), _train_meta(run / "model.zip")
    if ours is not None and theirs is not None and all(ours.get(k) == theirs.get(k) for k in RUN_IDENTITY):
        return
    raise ValueError(f"--model {model} was not trained in --run-dir {run_dir} (neither inside it nor with the "
                     "same train.json record), so the learning curve would describe another model; give only "
                     "--run-dir, or that run's model")


def check_run_dir(run_dir: str) -> None:
    """Raises ``ValueError`` unless ``run_dir`` holds a training log of ``agents.rl.train``."""
    if not os.path.isdir(run_dir):
        raise ValueError(f"--run-dir {run_dir}: no such folder; expected a run directory of agents.rl.train")
    logs = glob.glob(os.path.join(run_dir, "monitor", "*.monitor.csv"))
    if not logs and not os.path.isfile(os.path.join(run_dir, "eval", "evaluations.npz")):
        raise ValueError(f"--run-dir {run_dir} holds no training log (monitor/*.monitor.csv or "
                         "eval/evaluations.npz); expected a run directory of agents.rl.train")


def build_parser(prog: str = "python -m benchmarks.rl_evaluate") -> argparse.ArgumentParser:
    """The command's parser."""
    p = CommandParser(prog=prog, description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None,
                   help="model zip or run directory (default with --run-dir: that run's model.zip)")
    p.add_argument("--agents", nargs="*", default=list(DEFAULT_BASELINES), help="comparison agents")
    p.add_argument("--seeds", type=int_arg(1, MAX_SEEDS), default=5, help="seeds 0..N-1")
    p.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=100, help="intervals per episode")
    add_output_arguments(p, "benchmarks/results/")
    p.add_argument("--name", type=file_name, default="rl_table", help="base name of the table files")
    p.add_argument("--workers", type=int_arg(1), default=None,
                   help="parallel worker processes (default: all available CPUs; 1 = in-process)")
    p.add_argument("--run-dir", default=None, help="training run directory of the model: also plot its learning curve")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """``python -m benchmarks.rl_evaluate``: prints the mean Eq. 8 return per agent and the files."""
    parser = build_parser(prog or "python -m benchmarks.rl_evaluate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.model is None and args.run_dir is None:
        parser.error("--model: required (or give --run-dir, whose model.zip is then evaluated)")
    model = args.model if args.model is not None else args.run_dir
    try:
        if args.run_dir is not None:
            check_run_dir(args.run_dir)
        check_agents([f"rl:{model}", *args.agents], "SplitPlace-v0")
        if args.run_dir is not None and args.model is not None:
            check_model_of_run(args.model, args.run_dir)
    except ValueError as exc:
        parser.error(str(exc))
    out_dir = output_dir(parser, args, "rl_evaluate")
    files = evaluate(model, args.agents, range(args.seeds), args.intervals, out_dir, args.name, args.workers)
    returns = mean_episode_returns(files["runs"])
    for agent, value in sorted(returns.items(), key=lambda kv: -kv[1]):
        print(f"{agent:>40s}  mean episode return (Eq. 8) {value:8.2f}")
    if args.run_dir:
        from agents.rl.curves import plot_learning_curve

        rl = f"rl:{model}"
        meta = _train_meta(Path(args.run_dir) / "model.zip") or {}
        title = f"{meta.get('algo', 'RL')} on {meta.get('env_id', 'SplitPlace-v0')}"
        refs = {k: v for k, v in returns.items() if k != rl and k in ("SplitPlace", "S+G", "random", "least-loaded")}
        files["curve"] = plot_learning_curve(args.run_dir, os.path.join(out_dir, "rl_learning_curve.png"),
                                             title, references=refs)
    for path in files.values():
        print(f"wrote {path}")
    print(f"outputs in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
