"""Analytic description of the authors' split networks.

Source: the authors' code (github.com/imperial-qore/SplitPlace, the networks its
container images build: DockerImages/images/*/main.py).

Each fragment is a list of operations; from them we derive parameters, multiply-
accumulates (MACs) and activation sizes per sample (the parameter counts are checked
against the torch modules by tests/test_nets.py). This is plain arithmetic (no
torch), so the emulator's default profile can be regenerated anywhere; the PyTorch
profiler (issue 6) measures the same quantities on the real modules.
"""

from __future__ import annotations

from dataclasses import dataclass

#: (in_dim D, classes, channels, width multiplier m) per application; authors' code
#: (imperial-qore/SplitPlace, DockerImages/images/*/main.py networks).
APP_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "MNIST": (28, 10, 1, 1),
    "FashionMNIST": (28, 10, 1, 2),
    "CIFAR100": (32, 100, 3, 2),
}


@dataclass(frozen=True)
class Op:
    """One layer: kind in {"conv3", "pool2", "linear", "act"} and its sizes."""

    kind: str
    c_in: int = 0
    c_out: int = 0


@dataclass(frozen=True)
class FragmentShape:
    """Derived per-sample figures of one fragment."""

    name: str
    params: int
    macs: int
    in_floats: int
    out_floats: int
    peak_floats: int  # input + the largest tensor an op produces (ReLU runs in place)
    n_ops: int


def _run(name: str, ops: list[Op], shape: tuple[int, ...]) -> tuple[FragmentShape, tuple[int, ...]]:
    """Propagates a (C, H, W) or (F,) shape through ``ops``; returns figures and out shape."""
    params = macs = 0
    in_floats = _numel(shape)
    largest = 0
    n_ops = 0
    for op in ops:
        if op.kind == "conv3":
            c, h, w = shape
            h, w = h - 2, w - 2
            params += op.c_in * op.c_out * 9 + op.c_out
            macs += op.c_in * op.c_out * 9 * h * w
            shape = (op.c_out, h, w)
        elif op.kind == "pool2":
            c, h, w = shape
            shape = (c * (h // 2) * (w // 2),)  # pool then flatten
        elif op.kind == "linear":
            params += op.c_in * op.c_out + op.c_out
            macs += op.c_in * op.c_out
            shape = (op.c_out,)
        elif op.kind != "act":
            raise ValueError(f"unknown op kind {op.kind!r}")
        n_ops += 1
        if op.kind != "act":
            largest = max(largest, _numel(shape))
    largest = max(largest, _numel(shape))
    return FragmentShape(name, params, macs, in_floats, _numel(shape), in_floats + largest, n_ops), shape


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def layer_fragments(app: str) -> list[FragmentShape]:
    """The 4-fragment chain of ``LayerSplitNet`` (authors' code, container images)."""
    d, out, ch, m = APP_SHAPES[app]
    flat = 16 * m * (d - 4) ** 2
    specs = [
        ("conv1", [Op("conv3", ch, 32 * m), Op("act")]),
        ("conv2", [Op("conv3", 32 * m, 64 * m), Op("act")]),
        ("pool_fc1", [Op("pool2"), Op("linear", flat, 128 * m), Op("act")]),
        ("fc2", [Op("linear", 128 * m, out), Op("act")]),  # act = log_softmax
    ]
    shape: tuple[int, ...] = (ch, d, d)
    frags = []
    for name, ops in specs:
        frag, shape = _run(name, ops, shape)
        frags.append(frag)
    return frags


def semantic_branch(app: str) -> FragmentShape:
    """One of the 5 identical parallel branches of ``SemanticSplitNet`` (authors' code, container images)."""
    d, out, ch, m = APP_SHAPES[app]
    ops = [
        Op("conv3", ch, 8 * m), Op("act"),
        Op("conv3", 8 * m, 16 * m), Op("act"),
        Op("pool2"),
        Op("linear", 4 * m * (d - 4) ** 2, 64 * m), Op("act"),
        Op("linear", 64 * m, out // 5),
    ]
    frag, _ = _run("branch", ops, (ch, d, d))
    return frag


def compressed_model(app: str) -> FragmentShape:
    """The MC baseline's model: the layer network at half width, as one fragment.

    BottleNet++-style compression shrinks the feature maps; we take the simplest
    structural version (halve every hidden width), which keeps the architecture
    family and cuts MACs to about a quarter. See ``splitplace_env/data/PROFILES.md``.
    """
    d, out, ch, m = APP_SHAPES[app]
    h = max(1, m)  # half of 32m, 64m, 128m -> 16m, 32m, 64m
    ops = [
        Op("conv3", ch, 16 * h), Op("act"),
        Op("conv3", 16 * h, 32 * h), Op("act"),
        Op("pool2"),
        Op("linear", 8 * h * (d - 4) ** 2, 64 * h), Op("act"),
        Op("linear", 64 * h, out), Op("act"),
    ]
    frag, _ = _run("compressed", ops, (ch, d, d))
    return frag
