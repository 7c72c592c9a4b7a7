"""Trains the DASO and GOBI surrogates from scratch (paper Eq. 9).

``python -m agents.train_surrogate`` collects traces (``agents.collect_traces``)
unless ``--traces`` names an existing file, then fits both surrogates with MSE
and AdamW (BaGTI's weight decay 1e-5; lr 1e-3 with mini-batches of 64 instead
of BaGTI's 1e-4 with batch 1), keeping the epoch with the lowest validation MSE
on a 20 % hold-out, and writes ``agents/weights/daso.pt`` and ``gobi.pt``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from agents.collect_traces import collect
from agents.daso import weights_path
from agents.surrogate import Surrogate

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


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Command line: train both surrogates and write the weight files."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--traces", type=Path, default=None, help="an .npz from agents.collect_traces")
    ap.add_argument("--episodes", type=int, default=24, help="episodes to collect if --traces is absent")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--out-dir", type=Path, default=None, help="default: agents/weights")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)
    if args.traces is not None and args.traces.exists():
        data = dict(np.load(args.traces))
    else:
        data = collect(args.episodes)
        if args.traces is not None:
            np.savez_compressed(args.traces, **data)
    y = data["reward"]
    out = {"reward_var": float(np.var(y))}
    for aware, key in ((True, "daso"), (False, "gobi")):
        model, mse = fit(data[f"host_{key}"], data[f"glob_{key}"], y, aware, args.epochs)
        path = (args.out_dir / f"{key}.pt") if args.out_dir else weights_path(aware)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
        out[f"{key}_val_mse"] = mse
        print(f"{key}: validation MSE {mse:.5f} (reward variance {np.var(y):.5f}) -> {path}")
    return out


if __name__ == "__main__":
    main()
