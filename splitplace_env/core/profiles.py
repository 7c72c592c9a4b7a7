"""Application and fragment profiles: what each split of each DNN costs.

The shipped file ``splitplace_env/data/profiles.json`` holds, per application and
split, one record per fragment (parameters, weights, MFLOP, activation sizes and
the single-core Raspberry Pi 4B time per sample) plus the accuracy of each split.
``derive_analytic_profiles`` regenerates it from the architectures
(``architectures.py``); the PyTorch profiler (``splitplace profile``) regenerates
it from measurements. How every number is derived: ``data/PROFILES.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from splitplace_env.core import architectures as arch

#: Effective per-core throughput of a Pi 4B (Cortex-A72, 1.5 GHz) for per-sample
#: PyTorch inference, MFLOP per ms (= GFLOP/s). The A72's NEON peak is 12 GFLOP/s
#: per core; per-sample execution of small tensors reaches a small fraction of it.
#: Calibrated so that always-layer splitting gives response times in the paper's
#: range (see ``benchmarks/calibration.py`` and the README).
PI_CORE_MFLOP_PER_MS = 1.0
#: Fixed per-operation, per-sample dispatch cost on a Pi (Python + PyTorch), ms.
PI_OP_OVERHEAD_MS = 0.05

#: Accuracy of each split on held-out data (facts file 3.5, pre-break values).
#: "compressed" is an estimate until the real models are trained (issue 6): the
#: paper states that model compression is less accurate than semantic splitting.
ACCURACY: dict[str, dict[str, float]] = {
    "MNIST": {"layer": 0.974, "semantic": 0.955, "compressed": 0.945},
    "FashionMNIST": {"layer": 0.90, "semantic": 0.87, "compressed": 0.86},
    "CIFAR100": {"layer": 0.31, "semantic": 0.225, "compressed": 0.20},
}

#: Batch sizes per task (authors' code: 20000-sample batches; CIFAR100's 50k
#: training images give 20000, 20000 or 10000).
BATCH_CHOICES: dict[str, tuple[int, ...]] = {
    "MNIST": (20000,),
    "FashionMNIST": (20000,),
    "CIFAR100": (20000, 20000, 10000),
}

_FLOAT_KB = 4.0 / 1024.0


def _record(f: arch.FragmentShape) -> dict[str, Any]:
    mflop = 2.0 * f.macs / 1e6
    return {
        "name": f.name,
        "params": f.params,
        "weights_mb": round(f.params * 4 / 2**20, 6),
        "mflop_per_sample": round(mflop, 6),
        "in_kb_per_sample": round(f.in_floats * _FLOAT_KB, 6),
        "out_kb_per_sample": round(f.out_floats * _FLOAT_KB, 6),
        "peak_kb_per_sample": round(f.peak_floats * _FLOAT_KB, 6),
        "pi_ms_per_sample": round(mflop / PI_CORE_MFLOP_PER_MS + PI_OP_OVERHEAD_MS * f.n_ops, 6),
    }


def derive_analytic_profiles() -> dict[str, Any]:
    """Derives the profile document from the architectures alone."""
    apps = {}
    for app in arch.APP_SHAPES:
        d, classes, ch, m = arch.APP_SHAPES[app]
        apps[app] = {
            "input_shape": [ch, d, d],
            "classes": classes,
            "accuracy": ACCURACY[app],
            "batch_choices": list(BATCH_CHOICES[app]),
            "splits": {
                "layer": [_record(f) for f in arch.layer_fragments(app)],
                "semantic": [
                    {**_record(arch.semantic_branch(app)), "name": f"branch{k}"} for k in range(5)
                ],
                "compressed": [_record(arch.compressed_model(app))],
            },
        }
    return {
        "header": {
            "generated_by": "splitplace_env.core.profiles.derive_analytic_profiles",
            "method": "analytic",
            "pi_core_mflop_per_ms": PI_CORE_MFLOP_PER_MS,
            "pi_op_overhead_ms": PI_OP_OVERHEAD_MS,
            "notes": "Sizes from the architectures of the authors' split networks; "
            "Pi time = MFLOP / pi_core_mflop_per_ms + n_ops * pi_op_overhead_ms. See PROFILES.md.",
        },
        "applications": apps,
    }


def write_profiles(doc: dict[str, Any], path: str | Path) -> None:
    """Writes a profile document as indented JSON."""
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")


def load_profile_document(path: str | Path | None = None) -> dict[str, Any]:
    """Loads a profile document; the shipped one when ``path`` is None."""
    if path is None:
        text = resources.files("splitplace_env.data").joinpath("profiles.json").read_text()
    else:
        text = Path(path).read_text()
    return json.loads(text)


@dataclass(frozen=True)
class FragmentTable:
    """Per-fragment arrays of one (application, split), ready for the engine.

    Attributes:
        work_s_per_sample: single-core Pi seconds per sample.
        weights_mb, in_mb_per_sample, out_mb_per_sample, peak_mb_per_sample: sizes.
        chain: True when fragment k needs fragment k-1 done (layer-style).
        accuracy: held-out accuracy of the split.
    """

    work_s_per_sample: np.ndarray
    weights_mb: np.ndarray
    in_mb_per_sample: np.ndarray
    out_mb_per_sample: np.ndarray
    peak_mb_per_sample: np.ndarray
    chain: bool
    accuracy: float

    @property
    def n_fragments(self) -> int:
        return int(self.work_s_per_sample.shape[0])


def _merge(frags: list[dict[str, Any]], groups: list[list[int]]) -> list[dict[str, Any]]:
    """Merges consecutive layer fragments: the hand-over stays inside one container."""
    merged = []
    for g in groups:
        parts = [frags[i] for i in g]
        merged.append({
            "pi_ms_per_sample": sum(p["pi_ms_per_sample"] for p in parts),
            "weights_mb": sum(p["weights_mb"] for p in parts),
            "in_kb_per_sample": parts[0]["in_kb_per_sample"],
            "out_kb_per_sample": parts[-1]["out_kb_per_sample"],
            "peak_kb_per_sample": max(p["peak_kb_per_sample"] for p in parts),
        })
    return merged


def fragment_tables(doc: dict[str, Any], apps: tuple[str, ...], modes: tuple[str, ...]) -> dict[tuple[str, str], FragmentTable]:
    """Builds engine tables for every (application, split mode)."""
    tables = {}
    for app in apps:
        entry = doc["applications"][app]
        layer = entry["splits"]["layer"]
        for mode in modes:
            if mode == "layer2":
                frags, acc_key = _merge(layer, [[0, 1], [2, 3]]), "layer"
            elif mode == "layer1":
                frags, acc_key = _merge(layer, [[0, 1, 2, 3]]), "layer"
            else:
                frags, acc_key = entry["splits"][mode], mode
            kb = 1.0 / 1024.0
            tables[(app, mode)] = FragmentTable(
                work_s_per_sample=np.array([f["pi_ms_per_sample"] / 1000.0 for f in frags]),
                weights_mb=np.array([f["weights_mb"] for f in frags]),
                in_mb_per_sample=np.array([f["in_kb_per_sample"] * kb for f in frags]),
                out_mb_per_sample=np.array([f["out_kb_per_sample"] * kb for f in frags]),
                peak_mb_per_sample=np.array([f["peak_kb_per_sample"] * kb for f in frags]),
                chain=mode != "semantic",
                accuracy=float(entry["accuracy"][acc_key]),
            )
    return tables


if __name__ == "__main__":  # regenerate the shipped analytic profile
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parents[1] / "data" / "profiles.json")
    write_profiles(derive_analytic_profiles(), target)
