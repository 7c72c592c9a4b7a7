"""Environment speed: SplitPlace-v0 steps/s against CartPole-v1, and scaling with the cluster size.

Run ``python -m benchmarks.env_speed`` (``--quick`` for a short run). Two measurements:

1. **Against CartPole.** ``SplitPlace-v0`` and ``CartPole-v1`` (both through
   ``gym.make``) are stepped in the same process in interleaved blocks. Actions
   are prepared before each timed call (SplitPlace: a random action drawn from
   the current ``action_masks()``; CartPole: ``action_space.sample()``), and only
   ``env.step`` is timed. Resets happen outside the timing. The report gives the
   median over blocks of the mean step time and the ratio SplitPlace / CartPole
   (target <= 10), once per engine backend: the compiled ``numba`` default and the
   ``numpy`` reference.
2. **Scaling.** ``SplitPlace-v0`` with H in {16, 64, 256, 1024} hosts,
   ``arrival_rate = 6 H / 16`` and ``max_tasks = 4 H``, stepped with random masked
   actions after a warm-up that fills the cluster: time per step and per host,
   and whether the growth is at most linear (log-log slope and per-size ratios).

``measure(...)`` returns everything as a dict for other benchmarks to compose;
``main`` writes ``benchmarks/results/env_speed.csv`` and ``.md`` and prints a table.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import time
from pathlib import Path
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

import splitplace_env  # noqa: F401  (registers the ids)
from benchmarks import paper

RESULTS_DIR = Path(paper.RESULTS_DIR)
TARGET_RATIO = 10.0
DEFAULT_HOSTS = (16, 64, 256, 1024)


def masked_random_action(env: gym.Env, rng: np.random.Generator) -> np.ndarray:
    """Draws a random action that uses only choices the mask allows.

    Each split row picks uniformly among its allowed splits; each host row that
    allows any host picks uniformly among its allowed columns (0 included). Rows
    that allow only column 0 are skipped, which keeps this cheap at 1024 hosts.

    Args:
        env: a SplitPlace env (wrapped or not).
        rng: the random generator.

    Returns:
        The flat int64 action.
    """
    base = env.unwrapped
    codec = base.codec
    split_rows, host_rows = codec.split_masks(base.action_masks())
    action = codec.noop()
    new = np.flatnonzero(split_rows[:, 1:].any(axis=1))
    if new.size:
        action[new] = np.argmax(rng.random((new.size, split_rows.shape[1])) * split_rows[new], axis=1)
    rows = np.flatnonzero(host_rows[:, 1:].any(axis=1))
    if rows.size:
        sub = host_rows[rows]
        action[codec.n_tasks + rows] = np.argmax(rng.random(sub.shape) * sub, axis=1)
    return action


def _timed_block(env: gym.Env, n_steps: int, next_action, state: dict) -> np.ndarray:
    """Steps ``env`` ``n_steps`` times, timing only ``env.step``; returns each step's time (s).

    Args:
        env: the environment (already reset once; ``state["obs"]`` holds nothing we need).
        n_steps: steps in the block.
        next_action: callable ``() -> action`` evaluated before each timed step.
        state: per-env dict with a ``"seed"`` counter for resets after episode ends.
    """
    times = np.empty(n_steps)
    for i in range(n_steps):
        action = next_action()
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        times[i] = time.perf_counter() - t0
        if terminated or truncated:
            state["seed"] += 1
            env.reset(seed=state["seed"])
    return times


def compare_with_cartpole(blocks: int = 9, steps_per_block: int = 300, seed: int = 0,
                          env_id: str = "SplitPlace-v0", backend: str = "auto") -> dict[str, Any]:
    """Interleaved timing of ``env_id`` and CartPole-v1 in the same process.

    Args:
        blocks: interleaved block pairs.
        steps_per_block: steps per block and env.
        seed: reset and action seed.
        env_id: the SplitPlace id to time.
        backend: the engine backend (``SplitPlaceConfig.backend``).

    Returns:
        Per env: the median over blocks of the block's mean step time (throughput)
        and of the block's median step time (typical step, robust to preemption on
        a shared machine); both ratios; the per-block values and the target. The
        headline ``ratio`` is the mean-based one.
    """
    sp = gym.make(env_id, backend=backend)
    backend = sp.unwrapped.engine.backend  # "auto" resolved
    cp = gym.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    sp_state, cp_state = {"seed": seed}, {"seed": seed}
    sp.reset(seed=seed)
    cp.reset(seed=seed)
    cp.action_space.seed(seed)
    # Warm-up (first-step checks, caches, a busy cluster) outside the timing.
    _timed_block(sp, 30, lambda: masked_random_action(sp, rng), sp_state)
    _timed_block(cp, 30, cp.action_space.sample, cp_state)
    sp_times, cp_times, sp_typ, cp_typ = [], [], [], []
    for _ in range(blocks):
        t = _timed_block(sp, steps_per_block, lambda: masked_random_action(sp, rng), sp_state)
        sp_times.append(float(t.mean()))
        sp_typ.append(float(np.median(t)))
        t = _timed_block(cp, steps_per_block, cp.action_space.sample, cp_state)
        cp_times.append(float(t.mean()))
        cp_typ.append(float(np.median(t)))
    sp.close()
    cp.close()
    sp_med, cp_med = float(np.median(sp_times)), float(np.median(cp_times))
    sp_step_med, cp_step_med = float(np.median(sp_typ)), float(np.median(cp_typ))
    return {
        "splitplace_median_step_s": sp_step_med,
        "cartpole_median_step_s": cp_step_med,
        "ratio_median_step": sp_step_med / cp_step_med,
        "env_id": env_id,
        "backend": backend,
        "splitplace_step_s": sp_med,
        "cartpole_step_s": cp_med,
        "splitplace_steps_per_s": 1.0 / sp_med,
        "cartpole_steps_per_s": 1.0 / cp_med,
        "ratio": sp_med / cp_med,
        "target_ratio": TARGET_RATIO,
        "meets_target": sp_med / cp_med <= TARGET_RATIO,
        "blocks": blocks,
        "steps_per_block": steps_per_block,
        "splitplace_block_s": sp_times,
        "cartpole_block_s": cp_times,
    }


def scaling(hosts: Sequence[int] = DEFAULT_HOSTS, warmup: int = 20, steps: int = 40, seed: int = 0,
            env_id: str = "SplitPlace-v0", backend: str = "auto") -> dict[str, Any]:
    """Step time of ``env_id`` as the cluster grows (arrivals and slots scale with it).

    Args:
        hosts: cluster sizes H; arrival_rate = 6 H / 16 and max_tasks = 4 H.
        warmup: untimed masked-random steps before timing (fills the cluster).
        steps: timed steps per size (the median step time is reported).
        seed: reset and action seed.
        env_id: the SplitPlace id to scale.
        backend: the engine backend.

    Returns:
        ``rows`` (one per size: hosts, arrival_rate, max_tasks, step_s median, mean,
        per-host), the log-log ``slope`` and ``at_most_linear``.
    """
    rows = []
    for h in hosts:
        rate, slots = 6.0 * h / 16.0, 4 * h
        env = gym.make(env_id, n_hosts=h, arrival_rate=rate, max_tasks=slots, backend=backend)
        rng = np.random.default_rng(seed)
        state = {"seed": seed}
        env.reset(seed=seed)
        _timed_block(env, warmup, lambda: masked_random_action(env, rng), state)  # fills the cluster
        times = _timed_block(env, steps, lambda: masked_random_action(env, rng), state)
        env.close()
        med = float(np.median(times))
        rows.append({"hosts": h, "arrival_rate": rate, "max_tasks": slots, "step_s": med,
                     "mean_step_s": float(np.mean(times)), "per_host_s": med / h})
    hs = np.array([r["hosts"] for r in rows], dtype=float)
    ts = np.array([r["step_s"] for r in rows])
    slope = float(np.polyfit(np.log(hs), np.log(ts), 1)[0]) if len(rows) > 1 else float("nan")
    # At most linear: time per host does not grow (25 % noise allowance) from the smallest size.
    growth = [float((r["step_s"] / rows[0]["step_s"]) / (r["hosts"] / rows[0]["hosts"])) for r in rows]
    for r, g in zip(rows, growth):
        r["growth_vs_linear"] = g
    return {"rows": rows, "slope": slope,
            "at_most_linear": bool(all(g <= 1.25 for g in growth) and (math.isnan(slope) or slope <= 1.1))}


def measure(blocks: int = 9, steps_per_block: int = 300, hosts: Sequence[int] = DEFAULT_HOSTS,
            scale_warmup: int = 20, scale_steps: int = 40, seed: int = 0,
            env_id: str = "SplitPlace-v0", backends: Sequence[str] = ("numba", "numpy")) -> dict[str, Any]:
    """Runs both measurements: the CartPole comparison once per backend (the first
    one is the headline and the one scaled).

    Args:
        blocks: interleaved SplitPlace/CartPole block pairs.
        steps_per_block: steps per block.
        hosts: cluster sizes of the scaling run (empty to skip it).
        scale_warmup: untimed steps per size before timing.
        scale_steps: timed steps per size.
        seed: the seed.
        env_id: the SplitPlace id.
        backends: engine backends to compare with CartPole ("numba", "numpy"; a
            backend that is not installed is skipped).

    Returns:
        ``{"cartpole": compare_with_cartpole(...) of the first backend, "backends":
        [one such dict per backend], "scaling": scaling(...), "machine": ...}``.
    """
    from splitplace_env.core import kernels

    backends = [b for b in backends if b != "numba" or kernels.AVAILABLE] or ["numpy"]
    per_backend = [compare_with_cartpole(blocks, steps_per_block, seed, env_id, b) for b in backends]
    out: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "load_average": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "cartpole": per_backend[0],
        "backends": per_backend,
    }
    out["scaling"] = (scaling(hosts, scale_warmup, scale_steps, seed, env_id, backends[0]) if hosts
                      else {"rows": []})
    return out


def _table(result: dict[str, Any]) -> str:
    """Markdown report of a ``measure`` result."""
    c = result["cartpole"]
    lines = [
        "# Environment speed (benchmarks/env_speed.py)",
        "",
        f"Machine: {result['machine']}, {result['cpus']} CPUs, load average {result['load_average']:.1f} at the start "
        "(shared machine: other jobs preempt; the per-step median is the figure least affected). "
        "Only `env.step` is timed; SplitPlace actions are random masked actions drawn from `action_masks()` "
        "before each step.",
        "",
        f"## {c['env_id']} vs CartPole-v1 ({c['blocks']} interleaved blocks x {c['steps_per_block']} steps, medians)",
        "",
        "Each backend is timed against its own interleaved CartPole-v1 blocks; the ratio is the figure "
        "to compare across runs and machines.",
        "",
        "| env | backend | mean step (us) | steps/s | median step (us) | ratio (means) | ratio (medians) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for b in result.get("backends", [c]):
        lines += [
            f"| {b['env_id']} | {b.get('backend', '')} | {1e6 * b['splitplace_step_s']:.1f} | "
            f"{b['splitplace_steps_per_s']:.0f} | {1e6 * b['splitplace_median_step_s']:.1f} | "
            f"{b['ratio']:.1f} | {b['ratio_median_step']:.1f} |",
            f"| CartPole-v1 | | {1e6 * b['cartpole_step_s']:.1f} | {b['cartpole_steps_per_s']:.0f} | "
            f"{1e6 * b['cartpole_median_step_s']:.1f} | 1 | 1 |",
        ]
    lines += [
        "",
        f"Ratio SplitPlace / CartPole step time ({c.get('backend', 'default')} backend, the default): "
        f"**{c['ratio']:.1f}** from block means, {c['ratio_median_step']:.1f} from per-step medians "
        f"(target <= {c['target_ratio']:.0f}: {'met' if c['meets_target'] else 'NOT met'}).",
    ]
    s = result["scaling"]
    if s["rows"]:
        lines += [
            "",
            f"## Scaling ({c.get('backend', 'default')} backend; arrival_rate = 6 H / 16, max_tasks = 4 H; "
            "median step time after warm-up)",
            "",
            "| hosts | arrival rate | task slots | step time (ms) | per host (us) | growth / linear |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["rows"]:
            lines.append(f"| {r['hosts']} | {r['arrival_rate']:.1f} | {r['max_tasks']} | {1e3 * r['step_s']:.2f} | "
                         f"{1e6 * r['per_host_s']:.2f} | {r['growth_vs_linear']:.2f} |")
        lines += ["", f"Log-log slope of step time vs hosts: {s['slope']:.2f}; growth at most linear "
                      f"(per-host time within 1.25x of the smallest size, slope <= 1.1): "
                      f"**{'yes' if s['at_most_linear'] else 'no'}**."]
    return "\n".join(lines) + "\n"


def write_results(result: dict[str, Any], out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Writes ``env_speed.csv`` and ``env_speed.md`` into ``out_dir``.

    Args:
        result: a ``measure`` result.
        out_dir: the folder (created if needed).

    Returns:
        The paths of the CSV and the Markdown files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "env_speed.csv", out_dir / "env_speed.md"
    c = result["cartpole"]
    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["measurement", "env", "hosts", "arrival_rate", "max_tasks", "step_s", "steps_per_s",
                    "median_step_s", "per_host_s", "ratio_vs_cartpole", "ratio_median_step", "growth_vs_linear"])
        for b in result.get("backends", [c]):
            w.writerow(["vs_cartpole", f"{b['env_id']} ({b.get('backend', '')})", "", "", "",
                        f"{b['splitplace_step_s']:.6e}", f"{b['splitplace_steps_per_s']:.1f}",
                        f"{b['splitplace_median_step_s']:.6e}", "", f"{b['ratio']:.3f}",
                        f"{b['ratio_median_step']:.3f}", ""])
        w.writerow(["vs_cartpole", "CartPole-v1", "", "", "", f"{c['cartpole_step_s']:.6e}",
                    f"{c['cartpole_steps_per_s']:.1f}", f"{c['cartpole_median_step_s']:.6e}", "", "1.000", "1.000", ""])
        for r in result["scaling"]["rows"]:
            w.writerow(["scaling", c["env_id"], r["hosts"], r["arrival_rate"], r["max_tasks"],
                        f"{r['mean_step_s']:.6e}", f"{1.0 / r['mean_step_s']:.1f}", f"{r['step_s']:.6e}",
                        f"{r['per_host_s']:.6e}", "", "", f"{r['growth_vs_linear']:.3f}"])
    md_path.write_text(_table(result))
    return csv_path, md_path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, write the results and print the table; returns the exit code
    (``measure`` gives the figures to library callers).

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--blocks", type=int, default=9, help="interleaved block pairs (default 9)")
    p.add_argument("--steps", type=int, default=300, help="steps per block (default 300)")
    p.add_argument("--hosts", type=int, nargs="*", default=list(DEFAULT_HOSTS),
                   help="cluster sizes of the scaling run (none to skip)")
    p.add_argument("--scale-warmup", type=int, default=20, help="untimed steps per size (default 20)")
    p.add_argument("--scale-steps", type=int, default=40, help="timed steps per size (default 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-id", default="SplitPlace-v0")
    p.add_argument("--backends", nargs="+", default=["numba", "numpy"], choices=["numba", "numpy"],
                   help="engine backends to time against CartPole (default: both; the first is scaled)")
    p.add_argument("--quick", action="store_true", help="3 blocks x 100 steps, sizes 16 and 64")
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    args = p.parse_args(argv)
    if args.quick:
        args.blocks, args.steps, args.hosts, args.scale_warmup, args.scale_steps = 3, 100, [16, 64], 10, 15
    result = measure(args.blocks, args.steps, args.hosts, args.scale_warmup, args.scale_steps, args.seed,
                     args.env_id, args.backends)
    write_results(result, args.out_dir)
    print(_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
