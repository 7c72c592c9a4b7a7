"""Calibration: where SplitPlace-v0 stands against the paper's always-layer / always-semantic figures.

Run ``python -m benchmarks.calibration``. For each split mode in {layer, semantic}
every new task is split by that mode, and a simple *least-loaded* placement puts
each ready fragment on the host with the most free RAM that fits, tracking the RAM
committed within the interval (``LeastLoaded``, written here from the observation,
the mask and the codec only). Over a few seeds x 100 intervals it reports the mean
response and wait times (intervals), the SLA violation rate, the accuracy and the
mean reward, beside the paper's figures (DESIGN.md section 3; Table 1 L+G and S+G:
GOBI placement, so the paper's placement is smarter than least-loaded).

Writes ``benchmarks/results/calibration.csv`` (one row per mode and seed, plus the
means) and ``calibration.md``, and prints the table.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

import splitplace_env  # noqa: F401  (registers the ids)
from benchmarks import paper
from splitplace_env.codec import ActionCodec

RESULTS_DIR = Path(paper.RESULTS_DIR)

#: The paper's figures (Table 1, GOBI placement; DESIGN.md section 3 ranges).
PAPER = {
    "layer": {"model": "L+G", "response": 9.92, "response_range": (8.0, 11.0), "wait": 1.52,
              "sla_violation": 0.62, "accuracy": 0.9317},
    "semantic": {"model": "S+G", "response": 3.70, "response_range": (3.0, 4.5), "wait": 1.08,
                 "sla_violation": 0.14, "accuracy": 0.8904},
}
WAIT_RANGE = (1.0, 1.5)


class LeastLoaded:
    """Always-``mode`` splitting with least-loaded placement, from obs, mask and codec only.

    Each ready fragment (oldest task first) goes to the allowed host with the most
    free RAM among those where its RAM still fits after the placements already made
    this interval. Fragments of a task being split in this step are placed at once
    when the split makes them ready (fragment 0 of a chain, all branches of a
    semantic split) and their RAM is known: a fragment's RAM does not depend on the
    batch (models stream fixed-size chunks), so it is learned from the observation
    the first time an (application, split, fragment) is seen.

    Args:
        codec: the env's action codec.
        mode: the split mode used for every task.
    """

    def __init__(self, codec: ActionCodec, mode: str) -> None:
        self.codec = codec
        self.mode = mode
        self.split = codec.split_modes.index(mode)
        self.n_ready_at_once = 5 if mode == "semantic" else 1
        self.ram: dict[tuple[int, int, int], float] = {}

    def _learn(self, obs: dict[str, np.ndarray]) -> None:
        tasks, frags = obs["tasks"], obs["fragments"]
        scale = self.codec.scales["ram_mb"]
        split_part = tasks[:, 10:]
        for k in np.flatnonzero((tasks[:, 0] == 1) & (split_part.max(axis=1) == 1)).tolist():
            app, split = int(np.argmax(tasks[k, 2:5])), int(np.argmax(split_part[k]))
            for j in range(5):
                if frags[5 * k + j, 0] == 1:
                    self.ram[(app, split, j)] = float(frags[5 * k + j, 8]) * scale

    def act(self, obs: dict[str, np.ndarray], mask: np.ndarray) -> np.ndarray:
        """Returns the flat action for the current observation and mask.

        Args:
            obs: the observation.
            mask: ``env.unwrapped.action_masks()``.
        """
        self._learn(obs)
        codec = self.codec
        T, scale = codec.n_tasks, codec.scales["ram_mb"]
        _, host_rows = codec.split_masks(mask)
        tasks, frags = obs["tasks"], obs["fragments"]
        action = codec.noop()
        new = np.flatnonzero(tasks[:, 1] == 1)
        action[new] = self.split
        wanted: list[tuple[float, int, float]] = []  # (-age, fragment slot, RAM MB)
        for f in np.flatnonzero(frags[:, 2] == 1).tolist():
            wanted.append((-float(tasks[f // 5, 6]), f, float(frags[f, 8]) * scale))
        for k in new.tolist():
            app = int(np.argmax(tasks[k, 2:5]))
            for j in range(self.n_ready_at_once):
                need = self.ram.get((app, self.split, j))
                if need is not None:
                    wanted.append((-float(tasks[k, 6]), 5 * k + j, need))
        free = obs["hosts"][:, 4].astype(np.float64) * scale
        for _, f, need in sorted(wanted):
            ok = host_rows[f, 1:] & (free >= need)
            if ok.any():
                h = int(np.argmax(np.where(ok, free, -np.inf)))
                action[T + f] = h + 1
                free[h] -= need
        return action


def run(mode: str, seed: int, intervals: int = 100, env_id: str = "SplitPlace-v0") -> dict[str, Any]:
    """One episode of always-``mode`` splitting with least-loaded placement.

    Args:
        mode: "layer" or "semantic".
        seed: the reset seed.
        intervals: episode length.
        env_id: the environment id.

    Returns:
        Mean response, wait (intervals), SLA violation rate, accuracy, reward, counts.
    """
    env = gym.make(env_id, max_episode_steps=intervals)
    base = env.unwrapped
    policy = LeastLoaded(base.codec, mode)
    obs, info = env.reset(seed=seed)
    resp, wait, met, acc, rewards = [], [], [], [], []
    infeasible = placements = 0
    for _ in range(intervals):
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, base.action_masks()))
        f = info["finished"]
        resp.extend(np.asarray(f["response"]).tolist())
        wait.extend(np.asarray(f["wait"]).tolist())
        met.extend(np.asarray(f["sla_met"]).tolist())
        acc.extend(np.asarray(f["accuracy"]).tolist())
        rewards.append(reward)
        infeasible += info["infeasible_placements"]
        placements += info["placements"]
        if terminated or truncated:
            break
    env.close()
    n = len(resp)
    return {
        "mode": mode, "seed": seed, "finished": n, "arrived": int(info["arrived_total"]),
        "response": float(np.mean(resp)) if n else float("nan"),
        "wait": float(np.mean(wait)) if n else float("nan"),
        "sla_violation": float(1.0 - np.mean(met)) if n else float("nan"),
        "accuracy": float(np.mean(acc)) if n else float("nan"),
        "reward": float(np.mean(rewards)),
        "placements": placements, "infeasible": infeasible,
    }


def measure(seeds: Sequence[int] = (0, 1, 2, 3, 4), intervals: int = 100,
            modes: Sequence[str] = ("layer", "semantic"), env_id: str = "SplitPlace-v0") -> dict[str, Any]:
    """Runs every mode over every seed.

    Args:
        seeds: reset seeds.
        intervals: intervals per episode.
        modes: split modes.
        env_id: the environment id.

    Returns:
        ``{"runs": [...], "summary": {mode: means over seeds (+ std of response)}}``.
    """
    runs = [run(m, s, intervals, env_id) for m in modes for s in seeds]
    summary = {}
    for m in modes:
        rs = [r for r in runs if r["mode"] == m]
        summary[m] = {k: float(np.nanmean([r[k] for r in rs]))
                      for k in ("response", "wait", "sla_violation", "accuracy", "reward", "finished", "arrived")}
        summary[m]["response_std"] = float(np.nanstd([r["response"] for r in rs]))
    return {"runs": runs, "summary": summary, "seeds": list(seeds), "intervals": intervals, "env_id": env_id}


def _verdict(value: float, lo: float, hi: float) -> str:
    if lo <= value <= hi:
        return "in range"
    return "below" if value < lo else "above"


def _table(result: dict[str, Any]) -> str:
    """Markdown report of a ``measure`` result."""
    lines = [
        "# Calibration of SplitPlace-v0 (benchmarks/calibration.py)",
        "",
        f"{result['env_id']}, seeds {result['seeds']} x {result['intervals']} intervals; every task split by the "
        "mode, least-loaded placement (most free RAM that fits, RAM committed within the interval tracked). "
        "Paper: Table 1 (GOBI placement) and the DESIGN.md section 3 ranges. Response and wait in intervals, "
        "over tasks finished within the episode.",
        "",
        "| mode | response | paper (range) | wait | paper (range) | SLA viol. | paper | accuracy | paper "
        "| reward | finished / arrived |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m, s in result["summary"].items():
        p = PAPER.get(m)
        if p is None:
            continue
        lo, hi = p["response_range"]
        lines.append(
            f"| always-{m} | {s['response']:.2f} ± {s['response_std']:.2f} | {p['model']} {p['response']:.2f} "
            f"({lo:g}-{hi:g}; {_verdict(s['response'], lo, hi)}) | {s['wait']:.2f} | {p['wait']:.2f} "
            f"({WAIT_RANGE[0]:g}-{WAIT_RANGE[1]:g}; {_verdict(s['wait'], *WAIT_RANGE)}) | {s['sla_violation']:.2f} | "
            f"{p['sla_violation']:.2f} | {s['accuracy']:.3f} | {p['accuracy']:.3f} | {s['reward']:.3f} | "
            f"{s['finished']:.0f} / {s['arrived']:.0f} |")
    lr, sr = result["summary"].get("layer"), result["summary"].get("semantic")
    if lr and sr:
        lines += ["", f"Layer / semantic response ratio: {lr['response'] / sr['response']:.2f} "
                      f"(paper {PAPER['layer']['response'] / PAPER['semantic']['response']:.2f})."]
    lines += ["", "Per seed:", "", "| mode | seed | response | wait | SLA viol. | accuracy | reward | finished | "
              "placements | infeasible |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        lines.append(f"| {r['mode']} | {r['seed']} | {r['response']:.2f} | {r['wait']:.2f} | {r['sla_violation']:.2f} "
                     f"| {r['accuracy']:.3f} | {r['reward']:.3f} | {r['finished']} | {r['placements']} | "
                     f"{r['infeasible']} |")
    return "\n".join(lines) + "\n"


def write_results(result: dict[str, Any], out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Writes ``calibration.csv`` and ``calibration.md`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "calibration.csv", out_dir / "calibration.md"
    mean_keys = ["response", "wait", "sla_violation", "accuracy", "reward", "finished", "arrived"]
    keys = ["mode", "seed", *mean_keys, "placements", "infeasible"]
    paper_cols = ("response", "wait", "sla_violation", "accuracy")

    def paper(mode: str) -> list:
        p = PAPER.get(mode, {})
        return [p.get(k, "") for k in paper_cols]

    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(keys + [f"paper_{k}" for k in paper_cols])
        for r in result["runs"]:
            w.writerow([r[k] if not isinstance(r[k], float) else f"{r[k]:.4f}" for k in keys] + paper(r["mode"]))
        for m, s in result["summary"].items():
            w.writerow([m, "mean"] + [f"{s[k]:.4f}" for k in mean_keys] + ["", ""] + paper(m))
    md_path.write_text(_table(result))
    return csv_path, md_path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run, write the results and print the table; returns the exit code
    (``measure`` gives the figures to library callers).

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--intervals", type=int, default=100)
    p.add_argument("--env-id", default="SplitPlace-v0")
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    args = p.parse_args(argv)
    result = measure(args.seeds, args.intervals, ("layer", "semantic"), args.env_id)
    write_results(result, args.out_dir)
    print(_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
