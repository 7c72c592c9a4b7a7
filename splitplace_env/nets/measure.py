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
