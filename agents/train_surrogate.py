"""Trains the DASO and GOBI surrogates from scratch (paper Eq. 9).

``python -m agents.train_surrogate`` collects traces (``agents.collect_traces``)
unless ``--traces`` names an existing file, then fits both surrogates with MSE
and AdamW (BaGTI's weight decay 1e-5; lr 1e-3 with mini-batches of 64 instead
of BaGTI's 1e-4 with batch 1), keeping the epoch with the lowest validation MSE
on a 20 % hold-out, and writes ``daso.pt`` and ``gobi.pt`` into a new run
directory ``runs/train_surrogate-<timestamp>/`` (``--out-dir`` to choose the
folder, ``--update-committed`` to replace the shipped ``agents/weights/``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from agents.collect_traces import collect
from agents.daso import weights_path
from agents.surrogate import Surrogate
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

logger = logging.getLogger(__name__)


def fit(host_x: np.ndarray, glob_x: np.ndarray, y: np.ndarray, aware: bool, epochs: int = 60,
        seed: int = 0, lr: float = 1e-3, batch: int = 64) -> tuple[Surrogate, float]:
    """Fits a surrogate; returns it (best validation epoch) and its validation MSE."""
    gen = torch.Generator().manual_seed(seed)
    hx, gx, yt = (torch.as_tensor(a, dtype=torch.float32) for a in (host_x, glob_x, y))
    perm = torch.randperm(len(yt), generator=gen)
    n_val = max(1, len(yt) // 5)
    val, tr = perm[:n_val], perm[n_val:]
    torch.manual_seed(seed)  # weight initialisation of the new model
    model = Surrogate(aware)
    model.fit_normalisation(hx[tr], gx[tr])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    best, best_state = np.inf, None
    for ep in range(epochs):
        model.train()
        order = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(order), batch):
            b = order[i:i + batch]
            loss = torch.mean((model(hx[b], gx[b]) - yt[b]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            v = float(torch.mean((model(hx[val], gx[val]) - yt[val]) ** 2))
        if v < best:
            best, best_state = v, {k: t.clone() for k, t in model.state_dict().items()}
        logger.info("%s epoch %d: val MSE %.5f", "daso" if aware else "gobi", ep, v)
    model.load_state_dict(best_state)
    return model, best


#: Arrays a traces file must hold (``agents.collect_traces``).
TRACE_KEYS = ("reward", "host_daso", "glob_daso", "host_gobi", "glob_gobi")


def load_traces(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a traces file, checked.

    Raises:
        ValueError: if the file is not an ``.npz`` of ``agents.collect_traces`` (naming it).
    """
    try:
        npz = np.load(path)
    except (OSError, ValueError, EOFError):
        raise ValueError(f"--traces {path}: not a readable .npz file; expected one written by "
                         "agents.collect_traces") from None
    if not hasattr(npz, "files"):  # a single .npy array
        raise ValueError(f"--traces {path}: a single array, expected an .npz file of agents.collect_traces")
    with npz:
        data = {k: npz[k] for k in npz.files}
    missing = [k for k in TRACE_KEYS if k not in data]
    if missing:
        raise ValueError(f"--traces {path}: missing array(s) {', '.join(missing)}; expected a file written "
                         "by agents.collect_traces")
    return data


def main(argv: list[str] | None = None, prog: str | None = None) -> dict[str, float]:
    """Command line: train both surrogates and write the weight files.

    Returns:
        The reward variance and each surrogate's validation MSE.
    """
    ap = CommandParser(prog=prog or "python -m agents.train_surrogate", description=__doc__.splitlines()[0])
    ap.add_argument("--traces", type=Path, default=None,
                    help="an .npz from agents.collect_traces (collected, then saved there, if absent)")
    ap.add_argument("--episodes", type=int_arg(1), default=24, help="episodes to collect if --traces is absent")
    ap.add_argument("--epochs", type=int_arg(1), default=60, help="training epochs per surrogate")
    add_output_arguments(ap, "agents/weights/", what="folder for daso.pt and gobi.pt")
    args = ap.parse_args(argv)
    data = None
    try:
        if args.traces is not None and args.traces.exists():
            data = load_traces(args.traces)
        out_dir = resolve_output_dir("train_surrogate", args.out_dir, update_committed=args.update_committed,
                                     committed=weights_path(True).parent)
    except (ValueError, OutputPathError) as exc:
        ap.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)
    if data is None:
        data = collect(args.episodes)
        if args.traces is not None:
            np.savez_compressed(args.traces, **data)
    y = data["reward"]
    out = {"reward_var": float(np.var(y))}
    for aware, key in ((True, "daso"), (False, "gobi")):
        model, mse = fit(data[f"host_{key}"], data[f"glob_{key}"], y, aware, args.epochs)
        path = out_dir / weights_path(aware).name
        torch.save(model.state_dict(), path)
        out[f"{key}_val_mse"] = mse
        print(f"{key}: validation MSE {mse:.5f} (reward variance {np.var(y):.5f}) -> {path}")
    print(f"outputs in {out_dir}")
    return out


if __name__ == "__main__":
    main()
