"""Measurements of real fragments: FLOPs, activation sizes, memory and latency.

``splitplace_env.profiling.profiler`` turns these into the emulator's profile
document; this module is where torch is touched (the nets package owns torch).

Counting rules (the same as ``core.architectures``, so the two can be compared):

* FLOPs: forward hooks on every ``Conv2d`` (2 * Cin/groups * Cout * kh * kw * Hout *
  Wout) and ``Linear`` (2 * in * out); activations, pooling, flatten and
  log_softmax count zero. Biases are ignored, as in a MAC count.
* Activation sizes: the bytes of the real tensors. ``peak`` is the largest set of
  activations alive at once during inference: the fragment's input (held by the
  caller) plus the current layer's input and output, with views (flatten) sharing
  their base's storage. This is what ``nn.Sequential`` keeps under ``no_grad``.
* Peak memory: weights + peak activations of one sample.
* Latency: per-sample time (batch of 1, like the authors' per-sample loop),
  median over repeats after warm-up, under ``torch.inference_mode``. With one
  torch thread (how the profiler runs) the clock is the calling thread's CPU time,
  which all the work runs on: time the OS gives to other processes on a shared
  machine is then not counted. With more threads it is wall time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from splitplace_env.nets.models import count_parameters


@dataclass(frozen=True)
class FragmentMeasurement:
    """What the profiler measured for one fragment, per sample."""

    params: int
    weights_bytes: int
    flops: int
    in_bytes: int
    out_bytes: int
    peak_activation_bytes: int
    host_ms: float
    host_ms_iqr: float


def _clock():
    """Thread CPU time with one torch thread (robust to sharing the machine), else wall time."""
    return time.thread_time if torch.get_num_threads() == 1 else time.perf_counter


def _storage_bytes(t: torch.Tensor) -> int:
    return t.untyped_storage().nbytes()


def count_flops(fragment: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass of ``fragment`` on ``x``, divided by the batch size."""
    total = 0

    def conv_hook(mod: nn.Conv2d, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = mod.kernel_size
        hout, wout = out.shape[-2:]
        total += 2 * (mod.in_channels // mod.groups) * mod.out_channels * kh * kw * hout * wout

    def linear_hook(mod: nn.Linear, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        total += 2 * mod.in_features * mod.out_features

    handles = []
    for mod in fragment.modules():
        if isinstance(mod, nn.Conv2d):
            handles.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            handles.append(mod.register_forward_hook(linear_hook))
    try:
        with torch.inference_mode():
            fragment(x[:1])  # hooks count per call: one sample gives per-sample FLOPs
    finally:
        for h in handles:
            h.remove()
    return total


def peak_activation_bytes(fragment: nn.Module, x: torch.Tensor) -> int:
    """Largest activation footprint alive at once for one sample (see module docstring)."""
    x = x[:1].clone()
    base = _storage_bytes(x)
    peak = base
    leaves = [m for m in fragment.modules() if not list(m.children())]

    def hook(mod: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal peak
        tin = inp[0]
        live = {x.untyped_storage().data_ptr(): base}
        live[tin.untyped_storage().data_ptr()] = _storage_bytes(tin)
        live[out.untyped_storage().data_ptr()] = _storage_bytes(out)
        peak = max(peak, sum(live.values()))

    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.inference_mode():
            fragment(x)
    finally:
        for h in handles:
            h.remove()
    return peak


def time_per_sample(fragment: nn.Module, x: torch.Tensor, repeats: int = 200, warmup: int = 20) -> tuple[float, float]:
    """Median and inter-quartile range of the per-sample latency, in ms (batch of 1)."""
    x = x[:1].clone()
    clock = _clock()
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            fragment(x)
        for _ in range(repeats):
            t0 = clock()
            fragment(x)
            times.append(clock() - t0)
    t = torch.tensor(times, dtype=torch.float64) * 1e3
    q = torch.quantile(t, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    return float(q[1]), float(q[2] - q[0])


def measure_fragment(fragment: nn.Module, x: torch.Tensor, repeats: int = 200) -> tuple[FragmentMeasurement, torch.Tensor]:
    """Measures ``fragment`` on input ``x``; returns the figures and its output on ``x``."""
    fragment.eval()
    with torch.inference_mode():
        y = fragment(x)
    median, iqr = time_per_sample(fragment, x, repeats=repeats)
    m = FragmentMeasurement(
        params=count_parameters(fragment),
        weights_bytes=sum(p.numel() * p.element_size() for p in fragment.parameters()),
        flops=count_flops(fragment, x),
        in_bytes=x[0].numel() * x.element_size(),
        out_bytes=y[0].numel() * y.element_size(),
        peak_activation_bytes=peak_activation_bytes(fragment, x),
        host_ms=median,
        host_ms_iqr=iqr,
    )
    return m, y


def sgemm_gflops(n: int = 512, repeats: int = 30) -> float:
    """Single-call float32 matrix-multiply throughput of this host (GFLOP/s, median)."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen)
    b = torch.randn(n, n, generator=gen)
    for _ in range(3):
        a @ b
    clock = _clock()
    times = []
    for _ in range(repeats):
        t0 = clock()
        a @ b
        times.append(clock() - t0)
    times.sort()
    return 2.0 * n**3 / times[len(times) // 2] / 1e9


# --- Per-container fixed costs (``splitplace_env.profiling.container_costs``) ---------------
#
# A fragment container of the authors' testbed starts by loading its network's
# checkpoint and decoding its whole input batch (a bz2-compressed pickle of a float32
# tensor); these helpers time those two steps on real files. Like the latencies above,
# the clock is the calling thread's CPU time with one torch thread (everything here
# runs on the calling thread: the zip reader, the unpickler, bz2, the copies), else
# wall time; each helper also returns the wall-clock median for comparison.


@dataclass(frozen=True)
class TimedMedian:
    """Median and inter-quartile range of repeated timings (seconds), plus the wall median."""

    median_s: float
    iqr_s: float
    wall_median_s: float
    repeats: int


def _summarise(cpu: list[float], wall: list[float]) -> TimedMedian:
    t = torch.tensor(cpu, dtype=torch.float64)
    q = torch.quantile(t, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    w = torch.tensor(wall, dtype=torch.float64).median()
    return TimedMedian(float(q[1]), float(q[2] - q[0]), float(w), len(cpu))


def authors_checkpoint(module: nn.Module, example: torch.Tensor, epoch: int = 9) -> dict:
    """A checkpoint in the authors' format for ``module`` (their ``run.py save_model``).

    ``{'epoch', 'model_state_dict', 'optimizer_state_dict', 'accuracy_list'}`` with the
    state of an Adam optimiser (lr 1e-4, as theirs) after one real step on ``example``:
    its ``exp_avg`` and ``exp_avg_sq`` double the tensor payload, so the file holds about
    3 x params x 4 bytes. ``module``'s weights are left unchanged.
    """
    saved = {k: v.detach().clone() for k, v in module.state_dict().items()}
    example = example.clone()  # outside inference mode: a normal tensor autograd may save
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    module.train()
    out = module(example)
    out.float().square().mean().backward()  # any scalar: only the state's shapes matter for loading
    opt.step()
    module.load_state_dict(saved)
    module.eval()
    module.zero_grad(set_to_none=True)
    return {
        "epoch": epoch,
        "model_state_dict": saved,
        "optimizer_state_dict": opt.state_dict(),
        "accuracy_list": [(0.5, 0.4, 90.0)] * (epoch + 1),  # (train loss, test loss, test acc) per epoch
    }


def time_checkpoint_load(path, build, repeats: int = 5, warmup: int = 1) -> TimedMedian:
    """Times what a container does first: ``torch.load(path)``, build the model, load_state_dict.

    Args:
        path: a checkpoint file: a plain state_dict, or a dict holding one under
            ``'model_state_dict'`` (the authors' format; the rest, e.g. the optimiser
            state, is deserialised and then dropped, as their containers do).
        build: a callable returning the freshly initialised module to fill.
        repeats: timed runs (after ``warmup`` untimed ones, which also bring the file into
            the page cache: the timing is of a warm read).
    """
    import gc

    clock = _clock()
    cpu, wall = [], []
    for i in range(warmup + repeats):
        gc.collect()
        w0, t0 = time.perf_counter(), clock()
        ckpt = torch.load(path, map_location="cpu")
        model = build()
        model.load_state_dict(ckpt["model_state_dict"] if "model_state_dict" in ckpt else ckpt)
        del ckpt
        t1, w1 = clock(), time.perf_counter()
        del model
        if i >= warmup:
            cpu.append(t1 - t0)
            wall.append(w1 - w0)
    return _summarise(cpu, wall)


def write_bz2_pickle(tensor: torch.Tensor, path) -> float:
    """Writes ``tensor`` as the authors' containers do (bz2 file, level 9, pickle protocol 4).

    Returns the seconds the encode took on the module's clock (for reference: the
    containers pay it at the end for their output).
    """
    import bz2
    import pickle

    clock = _clock()
    t0 = clock()
    with bz2.BZ2File(path, "wb") as fh:
        pickle.dump(tensor, fh, protocol=4)
    return clock() - t0


def time_bz2_pickle_decode(path, repeats: int = 5, warmup: int = 1) -> TimedMedian:
    """Times the input decode of a container: ``pickle.load(bz2.BZ2File(path))`` (warm file)."""
    import bz2
    import gc
    import pickle

    clock = _clock()
    cpu, wall = [], []
    for i in range(warmup + repeats):
        gc.collect()
        w0, t0 = time.perf_counter(), clock()
        with bz2.BZ2File(path, "rb") as fh:
            obj = pickle.load(fh)
        t1, w1 = clock(), time.perf_counter()
        del obj
        if i >= warmup:
            cpu.append(t1 - t0)
            wall.append(w1 - w0)
    return _summarise(cpu, wall)
