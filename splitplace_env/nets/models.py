"""The authors' split networks in PyTorch and the MC model.

Source: the authors' code (github.com/imperial-qore/SplitPlace, the networks its
container images build: DockerImages/images/*/main.py).

Every model keeps its fragments in ``self.fragments`` (an ``nn.ModuleList``, i.e.
a list of ``nn.Module``) and says how they compose through ``parallel``:

* ``LayerSplitNet`` (``parallel = False``): 4 fragments run in order; the last one
  ends with log_softmax.
* ``SemanticSplitNet`` (``parallel = True``): 5 branches each read the full input
  and produce the logits of a disjoint fifth of the classes; the outputs are
  concatenated in branch order and passed through one log_softmax.
* ``CompressedNet`` (``parallel = False``): the MC baseline's model, the layer
  network at half width as one fragment (``core.architectures.compressed_model``).

``run_fragments`` executes a model fragment by fragment exactly as the containers
would; ``forward`` gives the same result in one call.

ReLUs run in place (as ``core.architectures`` assumes for fragment memory): the
tensor they modify is always a fresh conv/linear output, so results are unchanged.

Initialisation never touches torch's global RNG: modules are built on the meta
device and filled from an explicit ``torch.Generator`` with PyTorch's default
init scheme, so a model is a pure function of its seed.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from splitplace_env.config import NETWORKS
from splitplace_env.core.architectures import APP_SHAPES

SPLITS: tuple[str, ...] = NETWORKS
N_BRANCHES = 5


class SplitNet(nn.Module):
    """Base class: a model made of ``fragments`` composed in chain or in parallel."""

    parallel: bool = False

    def __init__(self, app: str) -> None:
        super().__init__()
        if app not in APP_SHAPES:
            raise ValueError(f"app must be one of {sorted(APP_SHAPES)}, got {app!r}")
        self.app = app
        self.fragments = nn.ModuleList()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the classes, shape (batch, classes)."""
        return run_fragments(self, x)


class LayerSplitNet(SplitNet):
    """``LayerSplitNet``: conv1 | conv2 | pool+fc1 | fc2+log_softmax (authors' code, container images)."""

    parallel = False

    def __init__(self, app: str) -> None:
        super().__init__(app)
        d, classes, ch, m = APP_SHAPES[app]
        self.fragments.extend([
            nn.Sequential(nn.Conv2d(ch, 32 * m, 3), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Conv2d(32 * m, 64 * m, 3), nn.ReLU(inplace=True)),
            # pooling halves (D-4): 64m * ((D-4)/2)^2 = 16m * (D-4)^2 features
            nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * m * (d - 4) ** 2, 128 * m), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Linear(128 * m, classes), nn.LogSoftmax(dim=1)),
        ])


class SemanticSplitNet(SplitNet):
    """``SemanticSplitNet``: 5 identical branches over disjoint class fifths (authors' code, container images)."""

    parallel = True

    def __init__(self, app: str) -> None:
        super().__init__(app)
        d, classes, ch, m = APP_SHAPES[app]
        self.fragments.extend([
            nn.Sequential(
                nn.Conv2d(ch, 8 * m, 3), nn.ReLU(inplace=True),
                nn.Conv2d(8 * m, 16 * m, 3), nn.ReLU(inplace=True),
                nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(4 * m * (d - 4) ** 2, 64 * m), nn.ReLU(inplace=True),
                nn.Linear(64 * m, classes // N_BRANCHES),
            )
            for _ in range(N_BRANCHES)
        ])


class CompressedNet(SplitNet):
    """The MC baseline: the layer network at half width, one fragment.

    Matches ``core.architectures.compressed_model`` layer for layer (h = m).
    """

    parallel = False

    def __init__(self, app: str) -> None:
        super().__init__(app)
        d, classes, ch, m = APP_SHAPES[app]
        h = max(1, m)
        self.fragments.append(nn.Sequential(
            nn.Conv2d(ch, 16 * h, 3), nn.ReLU(inplace=True),
            nn.Conv2d(16 * h, 32 * h, 3), nn.ReLU(inplace=True),
            nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(8 * h * (d - 4) ** 2, 64 * h), nn.ReLU(inplace=True),
            nn.Linear(64 * h, classes), nn.LogSoftmax(dim=1),
        ))


_CLASSES = {"layer": LayerSplitNet, "semantic": SemanticSplitNet, "compressed": CompressedNet}


def build_model(app: str, split: str, seed: int = 0) -> SplitNet:
    """Builds a freshly initialised model, deterministic in ``seed``.

    Args:
        app: "MNIST", "FashionMNIST" or "CIFAR100".
        split: "layer", "semantic" or "compressed".
        seed: seed of the ``torch.Generator`` that draws the initial weights.

    Raises:
        ValueError: for an unknown app or split.
    """
    if split not in _CLASSES:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    # Built on the meta device so that the constructors' default init draws nothing
    # from the global RNG; the real values come from the explicit generator below.
    with torch.device("meta"):
        model = _CLASSES[split](app)
    model = model.to_empty(device="cpu")
    init_parameters(model, torch.Generator().manual_seed(seed))
    return model


def init_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Conv/Linear init (Kaiming-uniform, a=sqrt(5)) from ``generator``."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                fan_in = module.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)


def run_fragments(model: SplitNet, x: torch.Tensor) -> torch.Tensor:
    """Runs ``model`` fragment by fragment, as the containers do.

    Chain models feed each fragment's output to the next; parallel models give every
    branch the full input, concatenate the outputs in branch order and apply one
    log_softmax.
    """
    if model.parallel:
        return F.log_softmax(torch.cat([frag(x) for frag in model.fragments], dim=1), dim=1)
    for frag in model.fragments:
        x = frag(x)
    return x


def count_parameters(module: nn.Module) -> int:
    """Number of scalar parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())
