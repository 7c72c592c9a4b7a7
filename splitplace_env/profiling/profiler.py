"""Measures every fragment of every split network and writes the emulator's profile.

Usage::

    python -m splitplace_env.profiling.profiler [--out PATH | --update-committed] [--pi-factor F]

For each application and split (layer, semantic, compressed) every fragment is run
for real (``splitplace_env.nets.measure``): parameters, FLOPs (forward hooks),
activation sizes, per-sample latency on this machine on one core (median of
repeats, batch of 1). Latency is scaled to a Raspberry Pi 4B core by
``PI_FACTOR`` (derivation below). The output has exactly the schema of
``splitplace_env/data/profiles.json`` (read by ``splitplace_env.core.profiles``),
with ``header.method = "measured"``. By default it writes ``profiles_measured.json``
into a new run directory ``runs/profile-<timestamp>/``; ``--out PATH`` chooses the
file and ``--update-committed`` replaces the shipped
``splitplace_env/data/profiles_measured.json``. The shipped analytic
``profiles.json`` is never written. Method and numbers: ``data/PROFILES_MEASURED.md``.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
from pathlib import Path
from typing import Any

import torch

from splitplace_env.cli_args import CommandParser, add_output_arguments, float_arg, int_arg
from splitplace_env.core.architectures import APP_SHAPES
from splitplace_env.core.profiles import load_profile_document, write_profiles
from splitplace_env.nets.measure import FragmentMeasurement, measure_fragment, sgemm_gflops
from splitplace_env.nets.models import SPLITS, build_model
from splitplace_env.nets.train import ACCURACY_FILE, DEFAULT_OUT as DEFAULT_WEIGHTS
from splitplace_env.outputs import OutputPathError, resolve_output_file

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_PROFILE_OUT = DATA_DIR / "profiles_measured.json"
COMMAND = "python -m splitplace_env.profiling.profiler"

#: Host-to-Pi 4B latency factor: Pi ms per sample = host ms per sample x PI_FACTOR,
#: both on one core. Derivation: per-sample time of these networks is dominated by
#: the second convolution, i.e. by float32 GEMM throughput, so the factor is the
#: ratio of single-core SGEMM speeds. This host (AMD EPYC, Zen 3, 2 vCPUs under
#: KVM, shared with other jobs) multiplies 512x512 float32 matrices on one core at
#: a median of about 52 GFLOP/s (thread CPU time; 39-63 over runs, best case 75,
#: i.e. near Zen 3's 32 FLOP/cycle peak); ``HOST_SGEMM_GFLOPS_AT_DERIVATION``, and
#: every header re-measures it as ``host_sgemm_gflops`` by the same median method
#: used for the fragment latencies. A Pi 4B core (Cortex-A72, 1.5 GHz, 8 FP32
#: FLOP/cycle with NEON) peaks at 12 GFLOP/s and tuned GEMM reaches about 70 % of
#: that: 8.6 GFLOP/s (``PI_SGEMM_GFLOPS``). 52 / 8.6 = 6.0. The per-operation
#: dispatch overhead (Python + PyTorch, scalar code) scales by the single-thread
#: integer speed ratio of a ~3 GHz Zen 3 to a 1.5 GHz A72, about 4-6, so one factor
#: covers both within the uncertainty. On another host, pass
#: ``--pi-factor host_sgemm_gflops / 8.6`` (the command prints that suggestion).
PI_FACTOR = 6.0
HOST_SGEMM_GFLOPS_AT_DERIVATION = 52.0
PI_SGEMM_GFLOPS = 8.6
REPEATS = 200

_KB = 1024.0


def _record(name: str, m: FragmentMeasurement, pi_factor: float) -> dict[str, Any]:
    """One fragment in the profile schema (keys and units of core.profiles._record)."""
    return {
        "name": name,
        "params": m.params,
        "weights_mb": round(m.weights_bytes / 2**20, 6),
        "mflop_per_sample": round(m.flops / 1e6, 6),
        "in_kb_per_sample": round(m.in_bytes / _KB, 6),
        "out_kb_per_sample": round(m.out_bytes / _KB, 6),
        "peak_kb_per_sample": round(m.peak_activation_bytes / _KB, 6),
        "pi_ms_per_sample": round(m.host_ms * pi_factor, 6),
    }


def _host_detail(m: FragmentMeasurement) -> dict[str, float]:
    return {
        "host_ms_per_sample": round(m.host_ms, 5),
        "host_ms_iqr": round(m.host_ms_iqr, 5),
        "peak_memory_kb_one_sample": round((m.weights_bytes + m.peak_activation_bytes) / _KB, 3),
    }


def measure_split(app: str, split: str, repeats: int, seed: int = 0) -> list[tuple[str, FragmentMeasurement]]:
    """Measures every fragment of (app, split) on a seeded random input of one sample."""
    d, _, ch, _ = APP_SHAPES[app]
    model = build_model(app, split, seed=seed).eval()
    x = torch.randn(1, ch, d, d, generator=torch.Generator().manual_seed(seed))
    names = {"layer": ["conv1", "conv2", "pool_fc1", "fc2"], "compressed": ["compressed"]}
    out = []
    for k, frag in enumerate(model.fragments):
        m, y = measure_fragment(frag, x, repeats=repeats)
        name = names[split][k] if split in names else f"branch{k}"
        out.append((name, m))
        if not model.parallel:
            x = y  # a chain fragment feeds the next one; branches all read the image
    return out


def read_training_accuracy(weights_dir: Path) -> dict[str, dict[str, float]]:
    """Held-out accuracies recorded by ``splitplace_env.nets.train`` (empty if none)."""
    path = weights_dir / ACCURACY_FILE
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text())
    return {app: dict(rec.get("accuracy", {})) for app, rec in doc.get("applications", {}).items()}


def build_document(
    pi_factor: float = PI_FACTOR,
    repeats: int = REPEATS,
    weights_dir: Path = DEFAULT_WEIGHTS,
    base: dict[str, Any] | None = None,
    apps: tuple[str, ...] = tuple(APP_SHAPES),
    argv: list[str] | None = None,
) -> dict[str, Any]:
    """Measures everything and returns the profile document.

    Args:
        pi_factor: host-to-Pi latency factor.
        repeats: timing repeats per fragment.
        weights_dir: where ``accuracy.json`` of the trained models lives.
        base: the profile whose accuracies and batch choices fill what was not
            measured (default: the shipped analytic profile).
        apps: applications to profile.
        argv: the command line, recorded in the header.
    """
    base = base or load_profile_document()
    measured_acc = read_training_accuracy(Path(weights_dir))
    applications: dict[str, Any] = {}
    host: dict[str, Any] = {}
    acc_source: dict[str, dict[str, str]] = {}
    for app in apps:
        d, classes, ch, _ = APP_SHAPES[app]
        old = base["applications"][app]
        accuracy, acc_source[app] = {}, {}
        for split in SPLITS:
            if split in measured_acc.get(app, {}):
                accuracy[split], acc_source[app][split] = measured_acc[app][split], "measured"
            else:
                accuracy[split], acc_source[app][split] = old["accuracy"][split], "previous profile"
        splits, host[app] = {}, {}
        for split in SPLITS:
            frags = measure_split(app, split, repeats)
            splits[split] = [_record(name, m, pi_factor) for name, m in frags]
            host[app][split] = [_host_detail(m) for _, m in frags]
            log.info("%s/%s measured", app, split)
        applications[app] = {
            "input_shape": [ch, d, d],
            "classes": classes,
            "accuracy": accuracy,
            "batch_choices": list(old["batch_choices"]),
            "splits": splits,
        }
    cmd = " ".join([COMMAND, *(argv or [])])
    return {
        "header": {
            "generated_by": cmd,
            "method": "measured",
            "pi_factor": pi_factor,
            "pi_sgemm_gflops": PI_SGEMM_GFLOPS,
            "host_sgemm_gflops": round(sgemm_gflops(), 2),
            "host": f"{platform.machine()} {platform.processor() or platform.platform()}",
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "repeats": repeats,
            "accuracy_source": acc_source,
            "host_measurements": host,
            "notes": f"Regenerated by `{cmd}`: every fragment run for real on this host, one core, "
            "batch of 1 (median over repeats); pi_ms_per_sample = host ms x pi_factor; FLOPs from "
            "forward hooks (conv, linear); peak = activations alive at once in inference. "
            "Accuracies from nets/accuracy.json where trained, else the previous profile. "
            "See PROFILES_MEASURED.md.",
        },
        "applications": applications,
    }


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = CommandParser(prog=prog or COMMAND, description=__doc__.split("\n\n")[0])
    add_output_arguments(parser, "splitplace_env/data/profiles_measured.json", option="--out",
                         what="profile JSON to write")
    parser.add_argument("--pi-factor", type=float_arg(0.0), default=PI_FACTOR,
                        help="host-to-Raspberry-Pi-4B latency factor")
    parser.add_argument("--repeats", type=int_arg(1), default=REPEATS, help="timing repeats per fragment")
    parser.add_argument("--weights-dir", default=str(DEFAULT_WEIGHTS), help="folder of accuracy.json")
    parser.add_argument("--apps", nargs="+", default=list(APP_SHAPES), choices=list(APP_SHAPES),
                        help="applications to profile")
    args = parser.parse_args(argv)
    if not Path(args.weights_dir).is_dir():
        parser.error(f"--weights-dir {args.weights_dir}: no such folder")
    shipped = (DATA_DIR / "profiles.json").resolve()
    if args.out is not None and Path(args.out).resolve() == shipped:
        parser.error(f"--out {args.out} is the shipped analytic profile, which this command never replaces; "
                     "choose another file")
    try:
        out = resolve_output_file("profile", DEFAULT_PROFILE_OUT.name, args.out,
                                  update_committed=args.update_committed, committed=DEFAULT_PROFILE_OUT)
    except OutputPathError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # pi_ms_per_sample is single-core Pi time, so measure on one host core.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        doc = build_document(args.pi_factor, args.repeats, Path(args.weights_dir), apps=tuple(dict.fromkeys(args.apps)),
                             argv=list(sys.argv[1:] if argv is None else argv))
    finally:
        torch.set_num_threads(threads)  # main() may run inside another process (tests)
    write_profiles(doc, out)
    suggested = doc["header"]["host_sgemm_gflops"] / PI_SGEMM_GFLOPS
    print(f"wrote {out}; pi factor {args.pi_factor} "
          f"(this host's sgemm suggests {suggested:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
