"""Environment speed: SplitPlace-v0 step cost in CartPole-v1 steps, and scaling with the cluster size.

Run ``python -m benchmarks.env_speed`` (``--quick`` for a short run; output into a new
run directory, ``--out-dir``, or ``benchmarks/results`` with ``--update-committed``). Two measurements:

1. **Against CartPole.** ``SplitPlace-v0`` and ``CartPole-v1``, both through
   ``gym.make`` with the default wrappers, are stepped in one process in
   interleaved blocks (a SplitPlace block, then a CartPole block, repeated). Every
   ``env.step`` call is timed on its own with ``time.perf_counter_ns``; the action
   is prepared before the timer starts (SplitPlace: a random action drawn from the
   mask that ``env.unwrapped.action_masks()`` returns just before that step;
   CartPole: ``action_space.sample()``), and resets happen outside the timing.
   Reported: the mean, median and 99th percentile of the per-step times of both
   envs, the ratios of the means and of the medians, SplitPlace's p99 / median, and
   the block-means ratio (median over blocks of SplitPlace's block mean / the
   following CartPole block's mean). The targets (``TARGETS``, from the issue): one
   SplitPlace-v0 step costs at most 3 CartPole-v1 steps by median and 4 by mean,
   and its p99 step is at most 3x its median. The comparison runs again (a quarter
   of the blocks each) with the action drawn by the env's action space,
   ``action_space.sample(mask=...)`` (``space_masked_action``), and by Gymnasium's
   own per-entry ``MultiDiscrete.sample`` (``gymnasium_masked_action``): the same
   step after more Python work, reported beside the headline.
2. **Scaling.** ``SplitPlace-v0`` with H in {16, 64, 256, 1024} hosts,
   ``arrival_rate = 6 H / 16`` and ``max_tasks = 4 H``, stepped with random masked
   actions after an untimed warm-up that fills the cluster: median and mean step
   time, and the time of ``env.unwrapped.action_masks(out=buf)`` into a reusable,
   preallocated bool buffer (the mask has ``T S + 5 T (H + 1)`` entries, 21 M at
   1024 hosts, so the benchmark never allocates one per step; the random actions
   are drawn from that same buffer). The allocating ``action_masks()`` is timed
   too, for comparison.

3. **The machine's own tail.** A compiled loop that only reads and writes a 64 KB
   working set (about the step's state and observation), repeated to last as long
   as SplitPlace's median step, timed like a step with a 160 KB numpy fill before
   each call (as the random action is drawn before each step): its p99 / median is
   what this machine gives a memory-touching call of that length, the reference
   beside SplitPlace's p99 / median (no target).

``measure(...)`` returns everything as a dict for other benchmarks to compose
(``benchmarks.speed`` uses ``compare_with_cartpole``); ``main`` writes
``env_speed.csv`` and ``env_speed.md`` into ``--out-dir`` and prints the report.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import gymnasium as gym
from gymnasium import spaces
import numpy as np

import splitplace_env  # noqa: F401  (registers the ids)
from benchmarks import paper
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_dir

RESULTS_DIR = Path(paper.RESULTS_DIR)
DEFAULT_HOSTS = (16, 64, 256, 1024)

#: Where the targets come from.
TARGET_SOURCE = (
    "the issue: masked random actions drawn fresh from `action_masks()` before each step, interleaved "
    "with CartPole-v1 in one process, both through `gym.make`: one SplitPlace-v0 step costs at most 3 "
    "CartPole-v1 steps by median and 4 by mean, and the 99th percentile step is at most 3x the median")
#: Upper limits, keyed like the ratios in ``compare_with_cartpole``'s result (source: ``TARGET_SOURCE``).
TARGETS = {
    "ratio_medians": 3.0,      # SplitPlace median step / CartPole median step
    "ratio_means": 4.0,        # SplitPlace mean step / CartPole mean step
    "p99_over_median": 3.0,    # SplitPlace p99 step / SplitPlace median step
}
TARGET_LABELS = {
    "ratio_medians": "SplitPlace / CartPole median step",
    "ratio_means": "SplitPlace / CartPole mean step",
    "p99_over_median": "SplitPlace p99 step / median step",
}


# ---------------------------------------------------------------- masked random actions
def draw_rows(flat_mask: np.ndarray, width: int, rng: np.random.Generator, dest: np.ndarray) -> None:
    """Writes into ``dest[r]`` a uniformly random allowed column of each row ``r`` of a flat mask.

    The mask is read as rows of ``width`` columns. Rows with no allowed column keep
    ``dest``'s value. Works on the allowed entries only (``np.flatnonzero``), so it
    does not build a random matrix of the mask's size.

    Args:
        flat_mask: bool array of ``len(dest) * width`` entries, row-major.
        width: columns per row.
        rng: the random generator.
        dest: int array with one entry per row, written in place.
    """
    nz = np.flatnonzero(flat_mask)
    if not nz.size:
        return
    rows = nz // width
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    counts = np.diff(np.append(starts, nz.size))
    pick = starts + np.minimum((rng.random(starts.size) * counts).astype(np.int64), counts - 1)
    dest[rows[pick]] = nz[pick] - rows[pick] * width


def action_from_mask(codec: Any, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random action using only choices ``mask`` allows: each split row and each host row
    picks uniformly among its allowed indices (host rows include 0, "leave as is").

    Args:
        codec: the env's ``ActionCodec`` (``env.unwrapped.codec``).
        mask: a flat factored mask from ``action_masks()`` (split rows, then host rows).
        rng: the random generator.

    Returns:
        The flat int64 action.
    """
    n_splits, n_tasks = len(codec.split_modes), codec.n_tasks
    cut = n_tasks * n_splits
    action = codec.noop()
    draw_rows(mask[:cut], n_splits, rng, action[:n_tasks])
    draw_rows(mask[cut:], codec.n_hosts + 1, rng, action[n_tasks:])
    return action


def masked_random_action(env: gym.Env, rng: np.random.Generator, out: np.ndarray | None = None) -> np.ndarray:
    """Draws a random action from the env's current mask (see ``action_from_mask``).

    Args:
        env: a SplitPlace env (wrapped or not).
        rng: the random generator.
        out: optional reusable bool buffer for ``action_masks(out=...)``; without it
            the mask is a fresh array.
    """
    base = env.unwrapped
    mask = base.action_masks() if out is None else base.action_masks(out=out)
    return action_from_mask(base.codec, mask, rng)


def _per_entry_masks(env: gym.Env) -> tuple[np.ndarray, ...]:
    """The env's flat mask split into one int8 mask per ``MultiDiscrete`` entry, the
    form ``action_space.sample(mask=...)`` takes."""
    mask = env.unwrapped.action_masks()
    cuts = np.cumsum(env.action_space.nvec)[:-1]
    return tuple(m.astype(np.int8) for m in np.split(mask, cuts))


def space_masked_action(env: gym.Env) -> np.ndarray:
    """A random action drawn the way a plain Gymnasium user would: the env's flat mask
    split into one mask per entry and ``env.action_space.sample(mask=...)`` (the env's
    ``FactoredMultiDiscrete``, vectorised; seed the action space for a fixed sequence).

    Args:
        env: a SplitPlace env (wrapped or not).
    """
    return env.action_space.sample(mask=_per_entry_masks(env))


def gymnasium_masked_action(env: gym.Env) -> np.ndarray:
    """The same draw by Gymnasium's own ``MultiDiscrete.sample(mask=...)``, which loops
    over the 384 entries in Python (about 6-10 ms here): the heaviest work a user's
    loop may do between two steps, which evicts the step's code and data from the
    caches.

    Args:
        env: a SplitPlace env (wrapped or not).
    """
    return np.asarray(spaces.MultiDiscrete.sample(env.action_space, mask=_per_entry_masks(env)))


#: How ``compare_with_cartpole`` draws SplitPlace's masked random actions, lightest first:
#: the benchmark's sampler, the env's action space, Gymnasium's per-entry loop.
DRAWS = ("mask", "space", "gymnasium")
#: ``measure``'s result key of the comparison after each of the heavier draws.
DRAW_KEYS = {"space": "space_draw", "gymnasium": "gymnasium_draw"}


def mask_buffer(env: gym.Env) -> np.ndarray:
    """A bool buffer of the env's mask size, for ``action_masks(out=...)``."""
    codec = env.unwrapped.codec
    return np.zeros(codec.n_tasks * len(codec.split_modes) + codec.n_fragments * (codec.n_hosts + 1), dtype=bool)


# ---------------------------------------------------------------- timing
def _timed_steps(env: gym.Env, n_steps: int, next_action: Callable[[], Any], state: dict,
                 draw_times: list | None = None) -> np.ndarray:
    """Steps ``env`` ``n_steps`` times, timing each ``env.step`` alone; returns the times in ns.

    Args:
        env: the environment (already reset).
        n_steps: steps.
        next_action: ``() -> action``, called before each timer starts.
        state: per-env dict with a ``"seed"`` counter for the resets after an episode ends.
        draw_times: if given, the time (ns) of each ``next_action()`` call is appended to it.
    """
    times = np.empty(n_steps, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(n_steps):
        d0 = clock()
        action = next_action()
        t0 = clock()
        if draw_times is not None:
            draw_times.append(t0 - d0)
        _, _, terminated, truncated, _ = env.step(action)
        times[i] = clock() - t0
        if terminated or truncated:
            state["seed"] += 1
            env.reset(seed=state["seed"])
    return times


def _stats(times_ns: np.ndarray) -> dict[str, float]:
    t = np.asarray(times_ns, dtype=float) * 1e-9
    return {"mean_s": float(t.mean()), "median_s": float(np.median(t)), "p99_s": float(np.percentile(t, 99)),
            "n": int(t.size)}


def compare_with_cartpole(blocks: int = 20, steps_per_block: int = 500, seed: int = 0,
                          env_id: str = "SplitPlace-v0", warmup: int = 200, draw: str = "mask") -> dict[str, Any]:
    """Per-step timing of ``env_id`` and CartPole-v1, interleaved in one process.

    Args:
        blocks: interleaved block pairs (SplitPlace block, then CartPole block).
        steps_per_block: steps per block and env.
        seed: reset and action seed.
        env_id: the SplitPlace id to time (default constructor arguments).
        warmup: untimed steps per env before the first block (first-step checks,
            caches, a busy cluster).
        draw: how SplitPlace's masked random action is drawn before each step:
            ``"mask"`` (``masked_random_action``), ``"space"``
            (``space_masked_action``) or ``"gymnasium"`` (``gymnasium_masked_action``).

    Returns:
        A flat dict: for ``splitplace`` and ``cartpole``, ``*_mean_step_s``,
        ``*_median_step_s``, ``*_p99_step_s`` and ``*_steps_per_s`` (1 / mean) over
        all timed steps; ``ratio_means``, ``ratio_medians``, ``p99_over_median``
        (SplitPlace's), ``block_means_ratio`` (median over blocks of the ratio of
        block means); per target ``target_<key>`` (the limit) and ``met_<key>``,
        ``all_targets_met``; the settings and the per-block means.
    """
    sp = gym.make(env_id)
    cp = gym.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    sp_state, cp_state = {"seed": seed}, {"seed": seed}
    sp.reset(seed=seed)
    cp.reset(seed=seed)
    cp.action_space.seed(seed)
    if draw not in DRAWS:
        raise ValueError(f"draw must be one of {DRAWS}, got {draw!r}")
    sp.action_space.seed(seed)
    # a fresh mask before each step, drawn from by the benchmark's sampler, the space or Gymnasium's loop
    sp_action = {"mask": lambda: masked_random_action(sp, rng), "space": lambda: space_masked_action(sp),
                 "gymnasium": lambda: gymnasium_masked_action(sp)}[draw]
    _timed_steps(sp, warmup, sp_action, sp_state)
    _timed_steps(cp, warmup, cp.action_space.sample, cp_state)
    sp_blocks, cp_blocks, draw_ns = [], [], []
    for _ in range(blocks):
        sp_blocks.append(_timed_steps(sp, steps_per_block, sp_action, sp_state, draw_ns))
        cp_blocks.append(_timed_steps(cp, steps_per_block, cp.action_space.sample, cp_state))
    sp.close()
    cp.close()
    s, c = _stats(np.concatenate(sp_blocks)), _stats(np.concatenate(cp_blocks))
    sp_block_means = [float(b.mean()) * 1e-9 for b in sp_blocks]
    cp_block_means = [float(b.mean()) * 1e-9 for b in cp_blocks]
    out: dict[str, Any] = {
        "env_id": env_id,
        "draw": draw,
        "blocks": blocks,
        "steps_per_block": steps_per_block,
        "warmup_steps": warmup,
        "timed_steps": s["n"],
        "splitplace_mean_step_s": s["mean_s"],
        "splitplace_median_step_s": s["median_s"],
        "splitplace_p99_step_s": s["p99_s"],
        "splitplace_steps_per_s": 1.0 / s["mean_s"],
        "cartpole_mean_step_s": c["mean_s"],
        "cartpole_median_step_s": c["median_s"],
        "cartpole_p99_step_s": c["p99_s"],
        "cartpole_steps_per_s": 1.0 / c["mean_s"],
        "ratio_means": s["mean_s"] / c["mean_s"],
        "ratio_medians": s["median_s"] / c["median_s"],
        "p99_over_median": s["p99_s"] / s["median_s"],
        "block_means_ratio": float(np.median([a / b for a, b in zip(sp_block_means, cp_block_means)])),
        "splitplace_median_draw_s": float(np.median(draw_ns)) * 1e-9,  # the action draw before each step
        "splitplace_block_mean_s": sp_block_means,
        "cartpole_block_mean_s": cp_block_means,
    }
    for key, limit in TARGETS.items():
        out[f"target_{key}"] = limit
        out[f"met_{key}"] = bool(out[key] <= limit)
    out["all_targets_met"] = all(out[f"met_{k}"] for k in TARGETS)
    return out


def scaling(hosts: Sequence[int] = DEFAULT_HOSTS, warmup: int = 20, steps: int = 50, seed: int = 0,
            env_id: str = "SplitPlace-v0", fresh_mask_calls: int = 5) -> dict[str, Any]:
    """Step and mask time of ``env_id`` as the cluster grows (arrivals and slots scale with it).

    Before each step the mask is computed into one preallocated buffer,
    ``env.unwrapped.action_masks(out=buf)`` (timed on its own), and the random
    action is drawn from it; then ``env.step`` is timed on its own.

    Args:
        hosts: cluster sizes H; arrival_rate = 6 H / 16 and max_tasks = 4 H.
        warmup: untimed masked-random steps before timing (fills the cluster).
        steps: timed steps per size.
        seed: reset and action seed.
        env_id: the SplitPlace id to scale.
        fresh_mask_calls: calls of the allocating ``action_masks()`` timed after the
            steps (0 to skip).

    Returns:
        ``rows`` (per size: hosts, arrival_rate, max_tasks, step_s (median),
        mean_step_s, p99_step_s, per_host_s, growth_vs_linear, mask_size,
        mask_out_s (median of the buffered calls), mask_out_mean_s, mask_fresh_s
        (median of the allocating calls, NaN if skipped)), the log-log ``slope``
        of the median step time and ``at_most_linear``.
    """
    rows = []
    clock = time.perf_counter_ns
    for h in hosts:
        rate, slots = 6.0 * h / 16.0, 4 * h
        env = gym.make(env_id, n_hosts=h, arrival_rate=rate, max_tasks=slots)
        base = env.unwrapped
        buf = mask_buffer(env)
        rng = np.random.default_rng(seed)
        state = {"seed": seed}
        env.reset(seed=seed)
        mask_ns: list[int] = []

        def next_action() -> np.ndarray:
            t0 = clock()
            mask = base.action_masks(out=buf)
            mask_ns.append(clock() - t0)
            return action_from_mask(base.codec, mask, rng)

        _timed_steps(env, warmup, next_action, state)  # fills the cluster
        mask_ns.clear()
        times = _timed_steps(env, steps, next_action, state)
        fresh = []
        for _ in range(fresh_mask_calls):
            t0 = clock()
            base.action_masks()
            fresh.append(clock() - t0)
        env.close()
        st, mk = _stats(times), np.asarray(mask_ns, dtype=float) * 1e-9
        rows.append({"hosts": h, "arrival_rate": rate, "max_tasks": slots, "steps": st["n"],
                     "step_s": st["median_s"], "mean_step_s": st["mean_s"], "p99_step_s": st["p99_s"],
                     "per_host_s": st["median_s"] / h, "mask_size": int(buf.size),
                     "mask_out_s": float(np.median(mk)), "mask_out_mean_s": float(mk.mean()),
                     "mask_fresh_s": float(np.median(fresh)) * 1e-9 if fresh else float("nan")})
        del buf
    if not rows:
        return {"rows": [], "slope": float("nan"), "at_most_linear": True}
    hs = np.array([r["hosts"] for r in rows], dtype=float)
    ts = np.array([r["step_s"] for r in rows])
    slope = float(np.polyfit(np.log(hs), np.log(ts), 1)[0]) if len(rows) > 1 else float("nan")
    # At most linear: time per host does not grow (25 % noise allowance) from the smallest size.
    for r in rows:
        r["growth_vs_linear"] = float((r["step_s"] / rows[0]["step_s"]) / (r["hosts"] / rows[0]["hosts"]))
    return {"rows": rows, "slope": slope,
            "at_most_linear": bool(all(r["growth_vs_linear"] <= 1.25 for r in rows)
                                   and (math.isnan(slope) or slope <= 1.1))}


def machine_info() -> dict[str, Any]:
    """The machine, library versions and load: what the md reports next to the figures."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"machine": f"{platform.system()} {platform.machine()}", "cpu": cpu, "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
            "python": platform.python_version(), "numpy": np.__version__, "gymnasium": gym.__version__,
            "commit": commit or "unknown"}


def measure(blocks: int = 20, steps_per_block: int = 500, hosts: Sequence[int] = DEFAULT_HOSTS,
            scale_warmup: int = 20, scale_steps: int = 50, seed: int = 0, env_id: str = "SplitPlace-v0",
            warmup: int = 200, fresh_mask_calls: int = 5) -> dict[str, Any]:
    """Runs both measurements.

    Args:
        blocks: interleaved SplitPlace/CartPole block pairs.
        steps_per_block: steps per block and env.
        hosts: cluster sizes of the scaling run (empty to skip it).
        scale_warmup: untimed steps per size before timing.
        scale_steps: timed steps per size.
        seed: the seed.
        env_id: the SplitPlace id.
        warmup: untimed steps per env before the CartPole comparison.
        fresh_mask_calls: allocating ``action_masks()`` calls timed per size.

    Returns:
        ``{"cartpole": compare_with_cartpole(...), "space_draw" /
        "gymnasium_draw": compare_with_cartpole(..., draw="space" / "gymnasium")
        (a quarter of the blocks each),
        "scaling": scaling(...), "reference": machine_tail(...), **machine_info(),
        "wall_s": ...}``.
    """
    start = time.perf_counter()
    out: dict[str, Any] = machine_info()
    out["cartpole"] = compare_with_cartpole(blocks, steps_per_block, seed, env_id, warmup)
    # the same comparison after the heavier draws (more work between two steps)
    for draw, key in DRAW_KEYS.items():
        out[key] = compare_with_cartpole(max(1, blocks // 4), steps_per_block, seed, env_id, min(warmup, 50),
                                         draw=draw)
    out["scaling"] = scaling(hosts, scale_warmup, scale_steps, seed, env_id, fresh_mask_calls)
    out["reference"] = machine_tail(out["cartpole"]["splitplace_median_step_s"], out["cartpole"]["timed_steps"], seed)
    out["wall_s"] = time.perf_counter() - start
    return out


def machine_tail(duration_s: float, n_calls: int = 10000, seed: int = 0) -> dict[str, Any]:
    """Per-call times of a compiled loop over a 64 KB working set that lasts about
    ``duration_s``, with a 160 KB numpy fill before each timed call.

    Args:
        duration_s: the call's target length (SplitPlace's median step).
        n_calls: timed calls.
        seed: seed of the fill.

    Returns:
        ``median_s``, ``p99_s``, ``p99_over_median``, ``repeats`` (passes over the
        working set per call) and ``n``.
    """
    import numba

    @numba.njit(cache=False)
    def touch(a, b, repeats):
        acc = 0.0
        for _ in range(repeats):
            for i in range(a.shape[0]):
                b[i] = 0.5 * a[i] + b[i]
                acc += b[i]
        return acc

    a, b = np.ones(4096), np.zeros(4096)  # 2 x 32 KB
    fill = np.empty(20000)  # 160 KB
    rng = np.random.default_rng(seed)
    touch(a, b, 1)
    clock = time.perf_counter_ns
    t0 = clock()
    for _ in range(100):
        touch(a, b, 1)
    repeats = max(1, round(duration_s * 1e9 / ((clock() - t0) / 100)))
    times = np.empty(n_calls, dtype=np.int64)
    for i in range(n_calls):
        rng.random(out=fill)
        t0 = clock()
        touch(a, b, repeats)
        times[i] = clock() - t0
    st = _stats(times)
    return {"median_s": st["median_s"], "p99_s": st["p99_s"], "p99_over_median": st["p99_s"] / st["median_s"],
            "repeats": repeats, "n": st["n"]}


# ---------------------------------------------------------------- report
def _us(s: float) -> str:
    return f"{1e6 * s:.1f}"


def _ms(s: float) -> str:
    return "n/a" if math.isnan(s) else f"{1e3 * s:.3f}"


def _table(result: dict[str, Any]) -> str:
    """Markdown report of a ``measure`` result."""
    c = result["cartpole"]
    met = lambda k: "met" if c[f"met_{k}"] else "**NOT met**"  # noqa: E731
    lines = [
        "# Environment speed (benchmarks/env_speed.py)",
        "",
        f"Machine: {result['machine']}, {result['cpu']}, {result['cpus']} CPUs, load average "
        f"{result['load_average']:.2f} at the start; python {result['python']}, numpy {result['numpy']}, "
        f"gymnasium {result['gymnasium']}; code {result['commit']}. Wall time {result['wall_s']:.1f} s.",
        "",
        "## How it was measured",
        "",
        f"`{c['env_id']}` and `CartPole-v1`, both made with `gym.make` (default wrappers), are stepped in one "
        f"process in {c['blocks']} interleaved block pairs of {c['steps_per_block']} steps each (a SplitPlace "
        f"block, then a CartPole block), after {c['warmup_steps']} untimed steps of each. Every `env.step` call "
        "is timed on its own with `time.perf_counter_ns`. The action is prepared before the timer starts: for "
        "SplitPlace a random action drawn from the mask that `env.unwrapped.action_masks()` returns just before "
        "that step (each split row and host row picks uniformly among its allowed entries); for CartPole "
        "`action_space.sample()`. Resets after an episode ends are outside the timing. Mean, median and 99th "
        f"percentile are over all {c['timed_steps']} timed steps of each env; the block-means ratio is the "
        "median over blocks of SplitPlace's block mean divided by the following CartPole block's mean.",
        "",
        f"Targets (from {TARGET_SOURCE}).",
        "",
        f"## {c['env_id']} vs CartPole-v1 (per-step times)",
        "",
        "| env | mean step (us) | median step (us) | p99 step (us) | p99 / median | steps/s (1 / mean) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| {c['env_id']} | {_us(c['splitplace_mean_step_s'])} | {_us(c['splitplace_median_step_s'])} | "
        f"{_us(c['splitplace_p99_step_s'])} | {c['p99_over_median']:.2f} | {c['splitplace_steps_per_s']:.0f} |",
        f"| CartPole-v1 | {_us(c['cartpole_mean_step_s'])} | {_us(c['cartpole_median_step_s'])} | "
        f"{_us(c['cartpole_p99_step_s'])} | {c['cartpole_p99_step_s'] / c['cartpole_median_step_s']:.2f} | "
        f"{c['cartpole_steps_per_s']:.0f} |",
        "",
        "| figure | value | target | met |",
        "|---|---:|---:|---|",
    ]
    for key in TARGETS:
        lines.append(f"| {TARGET_LABELS[key]} (`{key}`) | {c[key]:.2f} | <= {c[f'target_{key}']:g} | {met(key)} |")
    lines += [
        f"| block-means ratio (median over blocks) | {c['block_means_ratio']:.2f} | (none) | |",
        "",
        f"All targets met: **{'yes' if c['all_targets_met'] else 'no'}**.",
        "",
        f"The benchmark's draw before each SplitPlace step: {_us(c['splitplace_median_draw_s'])} us median.",
    ]
    titles = {
        "space_draw": ("After the action space's masked sample",
                       "`env.action_space.sample(mask=...)` (the env's vectorised `FactoredMultiDiscrete`) from the "
                       "mask split into one int8 array per entry (`space_masked_action`), as a plain Gymnasium user "
                       "draws"),
        "gymnasium_draw": ("After Gymnasium's own per-entry masked sample",
                           "Gymnasium's `MultiDiscrete.sample(mask=...)`, which loops over the entries in Python "
                           "(`gymnasium_masked_action`): far more Python work between two steps, which evicts the "
                           "step's code and data from the caches"),
    }
    for result_key, (title, how) in titles.items():
        gd = result.get(result_key)
        if not gd:
            continue
        lines += [
            "",
            f"## {title}",
            "",
            f"The same comparison ({gd['blocks']} block pairs of {gd['steps_per_block']} steps) with SplitPlace's "
            f"action drawn before each step by {how}.",
            "",
            "| figure | value | target | met |",
            "|---|---:|---:|---|",
        ]
        for key in TARGETS:
            lines.append(f"| {TARGET_LABELS[key]} | {gd[key]:.2f} | <= {gd[f'target_{key}']:g} | "
                         f"{'met' if gd[f'met_{key}'] else '**NOT met**'} |")
        lines += ["", f"SplitPlace {_us(gd['splitplace_median_step_s'])} us median / "
                      f"{_us(gd['splitplace_mean_step_s'])} us mean, CartPole {_us(gd['cartpole_median_step_s'])} / "
                      f"{_us(gd['cartpole_mean_step_s'])} us. The draw itself: "
                      f"{_us(gd['splitplace_median_draw_s'])} us median."]
    ref = result.get("reference")
    if ref:
        lines += [
            "",
            "## The machine's own tail (reference, no target)",
            "",
            f"A compiled loop over a 64 KB working set, {ref['repeats']} passes per call (about SplitPlace's "
            f"median step), timed {ref['n']} times like a step with a 160 KB numpy fill before each call: median "
            f"{_us(ref['median_s'])} us, p99 {_us(ref['p99_s'])} us, **p99 / median {ref['p99_over_median']:.2f}** "
            f"(SplitPlace's: {c['p99_over_median']:.2f}).",
        ]
    s = result["scaling"]
    if s["rows"]:
        lines += [
            "",
            "## Scaling (arrival_rate = 6 H / 16, max_tasks = 4 H; after an untimed warm-up)",
            "",
            "`action_masks(out=buf)` fills one preallocated bool buffer of the mask's size (no allocation per "
            "call); the random actions are drawn from that buffer. It is timed before every timed step (median "
            "over those calls). `action_masks()` (a fresh array per call) is timed after the steps, for "
            "comparison.",
            "",
            "| hosts | arrival rate | task slots | steps | step median (ms) | step mean (ms) | per host (us) | "
            "growth / linear | mask size | `action_masks(out=buf)` (ms) | `action_masks()` (ms) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["rows"]:
            lines.append(f"| {r['hosts']} | {r['arrival_rate']:.1f} | {r['max_tasks']} | {r['steps']} | "
                         f"{_ms(r['step_s'])} | {_ms(r['mean_step_s'])} | {1e6 * r['per_host_s']:.2f} | "
                         f"{r['growth_vs_linear']:.2f} | {r['mask_size']:,} | {_ms(r['mask_out_s'])} | "
                         f"{_ms(r['mask_fresh_s'])} |")
        lines += ["", f"Log-log slope of the median step time vs hosts: {s['slope']:.2f}; growth at most linear "
                      f"(per-host time within 1.25x of the smallest size, slope <= 1.1): "
                      f"**{'yes' if s['at_most_linear'] else 'no'}**."]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("measurement", "name", "hosts", "arrival_rate", "max_tasks", "steps", "mean_step_s",
               "median_step_s", "p99_step_s", "steps_per_s", "per_host_s", "growth_vs_linear", "mask_size",
               "mask_out_median_s", "mask_fresh_median_s", "value", "target", "met")


def csv_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The CSV rows: one per env of the CartPole comparison, one per ratio, one per cluster size."""
    c = result["cartpole"]
    rows: list[dict[str, Any]] = []
    for prefix, name in (("splitplace", c["env_id"]), ("cartpole", "CartPole-v1")):
        rows.append({"measurement": "vs_cartpole", "name": name, "steps": c["timed_steps"],
                     "mean_step_s": f"{c[f'{prefix}_mean_step_s']:.6e}",
                     "median_step_s": f"{c[f'{prefix}_median_step_s']:.6e}",
                     "p99_step_s": f"{c[f'{prefix}_p99_step_s']:.6e}",
                     "steps_per_s": f"{c[f'{prefix}_steps_per_s']:.1f}"})
    for key in (*TARGETS, "block_means_ratio"):
        row = {"measurement": "ratio", "name": key, "value": f"{c[key]:.4f}"}
        if key in TARGETS:
            row.update(target=f"{c[f'target_{key}']:g}", met=str(c[f"met_{key}"]))
        rows.append(row)
    for result_key in DRAW_KEYS.values():
        gd = result.get(result_key)
        for key in TARGETS if gd else ():
            rows.append({"measurement": f"ratio_{result_key}", "name": key, "value": f"{gd[key]:.4f}",
                         "target": f"{gd[f'target_{key}']:g}", "met": str(gd[f"met_{key}"])})
    ref = result.get("reference")
    if ref:
        rows.append({"measurement": "reference", "name": "memory_loop_64kb", "steps": ref["n"],
                     "median_step_s": f"{ref['median_s']:.6e}", "p99_step_s": f"{ref['p99_s']:.6e}",
                     "value": f"{ref['p99_over_median']:.4f}"})
    for r in result["scaling"]["rows"]:
        rows.append({"measurement": "scaling", "name": c["env_id"], "hosts": r["hosts"],
                     "arrival_rate": r["arrival_rate"], "max_tasks": r["max_tasks"], "steps": r["steps"],
                     "mean_step_s": f"{r['mean_step_s']:.6e}", "median_step_s": f"{r['step_s']:.6e}",
                     "p99_step_s": f"{r['p99_step_s']:.6e}", "steps_per_s": f"{1.0 / r['mean_step_s']:.1f}",
                     "per_host_s": f"{r['per_host_s']:.6e}", "growth_vs_linear": f"{r['growth_vs_linear']:.3f}",
                     "mask_size": r["mask_size"], "mask_out_median_s": f"{r['mask_out_s']:.6e}",
                     "mask_fresh_median_s": f"{r['mask_fresh_s']:.6e}"})
    return rows


def write_results(result: dict[str, Any], out_dir: Path | str) -> tuple[Path, Path]:
    """Writes ``env_speed.csv`` and ``env_speed.md`` into ``out_dir``.

    Args:
        result: a ``measure`` result.
        out_dir: the folder (created if needed), resolved by the caller
            (``splitplace_env.outputs.resolve_output_dir``): no default, so a
            library call never writes the committed results by accident.

    Returns:
        The paths of the CSV and the Markdown files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "env_speed.csv", out_dir / "env_speed.md"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(csv_rows(result))
    md_path.write_text(_table(result))
    return csv_path, md_path


def check_env_id(env_id: str) -> str:
    """``--env-id``: a registered Gymnasium id (a ``type=`` converter, so the error names the option)."""
    if env_id not in gym.registry:
        known = ", ".join(sorted(e for e in gym.registry if e.startswith("SplitPlace")))
        raise argparse.ArgumentTypeError(f"unregistered environment id {env_id!r}; expected one of {known}")
    return env_id


def build_parser(prog: str = "python -m benchmarks.env_speed") -> argparse.ArgumentParser:
    """The env_speed command's parser (one-line errors, range-checked counts, defaults in the help)."""
    p = CommandParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--blocks", type=int_arg(1), default=20, help="interleaved block pairs")
    p.add_argument("--steps", type=int_arg(1), default=500, help="steps per block and env")
    p.add_argument("--warmup", type=int_arg(0), default=200, help="untimed steps per env before the blocks")
    p.add_argument("--hosts", type=int_arg(1), nargs="*", default=list(DEFAULT_HOSTS),
                   help="cluster sizes of the scaling run (none to skip)")
    p.add_argument("--scale-warmup", type=int_arg(0), default=20, help="untimed steps per size")
    p.add_argument("--scale-steps", type=int_arg(1), default=50, help="timed steps per size")
    p.add_argument("--seed", type=int_arg(0), default=0, help="seed of every env")
    p.add_argument("--env-id", type=check_env_id, default="SplitPlace-v0", help="environment id")
    p.add_argument("--quick", action="store_true",
                   help="short run: 4 blocks x 250 steps, warm-up 50; all four sizes with 5 + 10 steps")
    add_output_arguments(p, "benchmarks/results/env_speed.*", what="folder for env_speed.csv and env_speed.md")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command line: measure, write the results and print the report; returns the exit code
    (``measure`` gives the figures to library callers).

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: the program name shown in usage and errors (``benchmarks.cli`` passes
            ``splitplace bench ...``).
    """
    p = build_parser(prog or "python -m benchmarks.env_speed")
    args = p.parse_args(argv)
    try:
        out_dir = resolve_output_dir("env-speed", args.out_dir, update_committed=args.update_committed,
                                     committed=RESULTS_DIR)
    except OutputPathError as exc:
        p.error(str(exc))
    if args.quick:
        args.blocks, args.steps, args.warmup, args.scale_warmup, args.scale_steps = 4, 250, 50, 5, 10
    result = measure(args.blocks, args.steps, args.hosts, args.scale_warmup, args.scale_steps, args.seed,
                     args.env_id, args.warmup)
    csv_path, md_path = write_results(result, out_dir)
    print(_table(result))
    print(f"wrote {csv_path}\nwrote {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
