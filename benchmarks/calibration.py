"""Calibration: always-layer and always-semantic splitting against the paper, and whether the split is a trade-off.

``splitplace bench calibration`` (or ``python -m benchmarks.calibration``) runs, on
each environment id of ``--envs`` (default ``SplitPlace-v0`` and
``SplitPlace-AuthorsCode-v0``), every split mode in {layer, semantic} with every
new task split by that mode and a simple *least-loaded* placement: each ready
fragment goes to the host with the most free RAM that fits, the RAM committed
within the interval tracked (``LeastLoaded``, written here from the observation,
the mask and the codec only). Both modes run on the same seeds (common random
numbers: the same arrivals, applications, batches and SLAs).

It reports two tables:

1. the mean response and wait times (intervals), SLA violation rate, accuracy and
   mean reward of each mode, beside the paper's Table 1 L+G (9.92 / 1.52 / 0.62)
   and S+G (3.70 / 1.08 / 0.14) (GOBI placement, smarter than least-loaded);
2. for each application and SLA context, which fixed split earns more reward.
   The context of a finished task is ``sla >= layer estimate`` or ``sla < layer
   estimate``, the layer estimate of an application being the mean layer-split
   response time of that application in the always-layer runs of the same env
   (the paper's MAB defines its two contexts with such an estimate). The reward
   of a task is the per-task QoS term of Eq. 8, ``(1[response <= sla] +
   accuracy) / 2`` (the energy and response terms of Eq. 8 are per interval and
   not attributed to tasks); each cell gives its count, mean and 95% interval
   (mean +- 1.96 standard errors over the tasks pooled across seeds), and the
   winner is the split with the higher mean, or ``tie`` when the intervals
   overlap. The env's split decision is a real trade-off when layer wins in some
   context and semantic in another.

Writes ``calibration.md`` and ``calibration.csv`` into a new run directory
``runs/calibration-<timestamp>/`` (``--out-dir`` to choose the folder,
``--update-committed`` to refresh the committed ``benchmarks/results/``;
``--quick`` writes ``calibration_quick.*``) and prints the tables.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any, Mapping, Sequence

import gymnasium as gym
import numpy as np

import splitplace_env  # noqa: F401  (registers the ids)
from benchmarks.experiment import MAX_INTERVALS, MAX_SEEDS, file_name, output_dir
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.codec import ActionCodec
from splitplace_env.config import APPLICATIONS
from splitplace_env.outputs import resolve_output_dir

#: The environment ids measured by default.
DEFAULT_ENVS = ("SplitPlace-v0", "SplitPlace-AuthorsCode-v0")
MODES = ("layer", "semantic")
SEEDS, INTERVALS = 5, 100
QUICK_SEEDS, QUICK_INTERVALS = 2, 30
#: z of a two-sided 95% normal interval.
Z95 = 1.959964

#: The paper's figures (Table 1, GOBI placement) and the ranges around them that this
#: emulator's calibration aims for (its own targets, not the paper's).
PAPER = {
    "layer": {"model": "L+G", "response": 9.92, "response_range": (8.0, 11.0), "wait": 1.52,
              "sla_violation": 0.62, "accuracy": 0.9317},
    "semantic": {"model": "S+G", "response": 3.70, "response_range": (3.0, 4.5), "wait": 1.08,
                 "sla_violation": 0.14, "accuracy": 0.8904},
}
WAIT_RANGE = (1.0, 1.5)

#: The two SLA contexts: the SLA is at least the application's layer response estimate, or below it.
CONTEXT_GE, CONTEXT_LT = "sla>=layer_est", "sla<layer_est"
CONTEXTS = (CONTEXT_GE, CONTEXT_LT)
CONTEXT_TEXT = {CONTEXT_GE: "SLA ≥ estimate", CONTEXT_LT: "SLA < estimate"}

#: Per-task arrays kept from ``info["finished"]``.
TASK_KEYS = ("task_id", "app", "sla", "response", "wait", "sla_met", "accuracy")


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


def check_env_ids(env_ids: Sequence[str]) -> None:
    """Raises ``ValueError`` naming every id of ``env_ids`` that gymnasium does not know."""
    unknown = [e for e in env_ids if e not in gym.registry]
    if unknown:
        known = sorted(e for e in gym.registry if e.startswith("SplitPlace"))
        raise ValueError(f"unregistered environment id(s) {', '.join(map(repr, unknown))}; "
                         f"registered SplitPlace ids: {', '.join(known)}")


def run(mode: str, seed: int, intervals: int = INTERVALS, env_id: str = "SplitPlace-v0") -> dict[str, Any]:
    """One episode of always-``mode`` splitting with least-loaded placement.

    Args:
        mode: "layer" or "semantic".
        seed: the reset seed.
        intervals: episode length.
        env_id: the environment id.

    Returns:
        Mean response, wait (intervals), SLA violation rate, accuracy, reward, counts,
        and under ``"tasks"`` the per-task arrays (``TASK_KEYS``) of the finished tasks.
    """
    env = gym.make(env_id, max_episode_steps=intervals)
    base = env.unwrapped
    policy = LeastLoaded(base.codec, mode)
    obs, info = env.reset(seed=seed)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in TASK_KEYS}
    rewards = []
    infeasible = placements = 0
    for _ in range(intervals):
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, base.action_masks()))
        f = info["finished"]
        for k in TASK_KEYS:
            parts[k].append(np.array(f[k], copy=True))
        rewards.append(reward)
        infeasible += info["infeasible_placements"]
        placements += info["placements"]
        if terminated or truncated:
            break
    env.close()
    tasks = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    tasks["sla_met"] = tasks["sla_met"].astype(bool)
    n = len(tasks["response"])
    return {
        "mode": mode, "seed": seed, "finished": n, "arrived": int(info["arrived_total"]),
        "response": float(np.mean(tasks["response"])) if n else float("nan"),
        "wait": float(np.mean(tasks["wait"])) if n else float("nan"),
        "sla_violation": float(1.0 - np.mean(tasks["sla_met"])) if n else float("nan"),
        "accuracy": float(np.mean(tasks["accuracy"])) if n else float("nan"),
        "reward": float(np.mean(rewards)),
        "placements": placements, "infeasible": infeasible,
        "tasks": tasks,
    }


# ----------------------------------------------------------------- contexts
def task_reward(sla_met: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """The per-task QoS term of Eq. 8: ``(1[response <= sla] + accuracy) / 2``."""
    return (np.asarray(sla_met, dtype=np.float64) + np.asarray(accuracy, dtype=np.float64)) / 2.0


def layer_estimates(layer_tasks: Mapping[str, np.ndarray]) -> dict[int, float]:
    """Per application index, the mean response of the tasks finished with layer splits.

    Args:
        layer_tasks: per-task arrays ("app", "response") of the always-layer runs.

    Returns:
        ``{app index: mean layer response (intervals)}`` for every application seen.
    """
    app, resp = np.asarray(layer_tasks["app"]), np.asarray(layer_tasks["response"], dtype=np.float64)
    return {int(a): float(resp[app == a].mean()) for a in np.unique(app)}


def classify_contexts(app: np.ndarray, sla: np.ndarray, estimate: Mapping[int, float]) -> np.ndarray:
    """The SLA context of each task: ``CONTEXT_GE`` if its SLA is at least the layer
    response estimate of its application, else ``CONTEXT_LT``.

    Args:
        app: application index per task.
        sla: SLA deadline per task (intervals).
        estimate: ``{app index: layer response estimate}`` (``layer_estimates``).

    Returns:
        An object array of context labels, one per task.

    Raises:
        ValueError: if a task's application has no estimate.
    """
    app, sla = np.asarray(app), np.asarray(sla, dtype=np.float64)
    missing = sorted(set(np.unique(app).tolist()) - set(estimate))
    if missing:
        raise ValueError(f"no layer response estimate for application(s) {missing}")
    est = np.array([estimate[int(a)] for a in app], dtype=np.float64)
    return np.where(sla >= est, CONTEXT_GE, CONTEXT_LT).astype(object)


def mean_interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% normal interval (mean +- 1.96 standard errors); NaN bounds below 2 values."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    h = Z95 * float(x.std(ddof=1)) / np.sqrt(x.size)
    return m, m - h, m + h


def winner(cells: Mapping[str, Mapping[str, float]]) -> str:
    """``layer``, ``semantic``, ``tie`` (95% intervals overlap) or ``n/a`` (a split has
    fewer than 2 tasks) from ``{mode: {"mean", "lo", "hi", "n"}}``."""
    lay, sem = cells.get("layer"), cells.get("semantic")
    if not lay or not sem or lay["n"] < 2 or sem["n"] < 2:
        return "n/a"
    if lay["lo"] > sem["hi"]:
        return "layer"
    if sem["lo"] > lay["hi"]:
        return "semantic"
    return "tie"


def _pool(runs: Sequence[dict[str, Any]], mode: str) -> dict[str, np.ndarray]:
    rs = [r["tasks"] for r in runs if r["mode"] == mode]
    return {k: np.concatenate([t[k] for t in rs]) if rs else np.zeros(0) for k in TASK_KEYS}


def context_table(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per (application, SLA context), the per-task reward of each fixed split and the winner.

    Args:
        runs: ``run`` results of one env, both modes.

    Returns:
        ``{"estimate": {app: layer estimate}, "rows": [...], "tradeoff": bool,
        "verdict": str}``; a row has app, context, winner and per mode n, mean, lo,
        hi and the SLA-met rate, accuracy and response of its tasks.
    """
    pooled = {m: _pool(runs, m) for m in MODES}
    estimate = layer_estimates(pooled["layer"])
    ctx = {}
    for m in MODES:
        known = np.isin(pooled[m]["app"], list(estimate))
        ctx[m] = np.where(known, None, "no estimate").astype(object)
        if known.any():
            ctx[m][known] = classify_contexts(pooled[m]["app"][known], pooled[m]["sla"][known], estimate)
    rows = []
    apps = sorted(set().union(*(np.unique(pooled[m]["app"]).tolist() for m in MODES)))
    for a in apps:
        for c in CONTEXTS if a in estimate else ("no estimate",):
            row: dict[str, Any] = {"app": a, "app_name": APPLICATIONS[a], "context": c,
                                   "estimate": estimate.get(a, float("nan"))}
            cells = {}
            for m in MODES:
                t, sel = pooled[m], (pooled[m]["app"] == a) & (ctx[m] == c)
                q = task_reward(t["sla_met"][sel], t["accuracy"][sel])
                mean, lo, hi = mean_interval(q)
                n = int(sel.sum())
                cells[m] = {"n": n, "mean": mean, "lo": lo, "hi": hi,
                            "sla_met": float(t["sla_met"][sel].mean()) if n else float("nan"),
                            "accuracy": float(t["accuracy"][sel].mean()) if n else float("nan"),
                            "response": float(t["response"][sel].mean()) if n else float("nan")}
            row["modes"], row["winner"] = cells, winner(cells)
            rows.append(row)
    wins = {w: [f"{r['app_name']} {CONTEXT_TEXT.get(r['context'], r['context'])}" for r in rows
                if r["winner"] == w] for w in (*MODES, "tie", "n/a")}
    tradeoff = bool(wins["layer"] and wins["semantic"])
    parts = [f"{w} wins in {len(wins[w])} ({'; '.join(wins[w])})" if w in MODES and wins[w] else
             f"{len(wins[w])} {'tied' if w == 'tie' else 'too few tasks'} ({'; '.join(wins[w])})"
             for w in wins if wins[w]]
    nowhere = [f"{m} wins nowhere" for m in MODES if not wins[m]]
    verdict = (("yes, a real trade-off: " if tradeoff else "no, not a trade-off: ")
               + ", ".join(parts + nowhere) if rows else "no cells (no finished tasks)")
    return {"estimate": estimate, "rows": rows, "tradeoff": tradeoff, "verdict": verdict}


# ----------------------------------------------------------------- measure
def _nanmean(values: Sequence[float]) -> float:
    """Mean of the non-NaN values (NaN, without a warning, when there are none)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else float("nan")


def measure(seeds: Sequence[int] = tuple(range(SEEDS)), intervals: int = INTERVALS,
            modes: Sequence[str] = MODES, env_id: str = "SplitPlace-v0") -> dict[str, Any]:
    """Runs every mode over every seed on one env.

    Args:
        seeds: reset seeds (the same for every mode).
        intervals: intervals per episode.
        modes: split modes.
        env_id: the environment id.

    Returns:
        ``{"runs": [...], "summary": {mode: means over seeds (+ std of response)},
        "contexts": context_table(...) (when both modes ran), "seeds", "intervals", "env_id"}``.

    Raises:
        ValueError: if ``env_id`` is not registered.
    """
    check_env_ids([env_id])
    runs = [run(m, s, intervals, env_id) for m in modes for s in seeds]
    summary = {}
    for m in modes:
        rs = [r for r in runs if r["mode"] == m]
        summary[m] = {k: _nanmean([r[k] for r in rs])
                      for k in ("response", "wait", "sla_violation", "accuracy", "reward", "finished", "arrived")}
        resp = np.array([r["response"] for r in rs], dtype=np.float64)
        summary[m]["response_std"] = float(np.std(resp[~np.isnan(resp)])) if (~np.isnan(resp)).any() else float("nan")
    result = {"runs": runs, "summary": summary, "seeds": list(seeds), "intervals": intervals, "env_id": env_id}
    if set(MODES) <= set(modes):
        result["contexts"] = context_table(runs)
    return result


def measure_all(env_ids: Sequence[str] = DEFAULT_ENVS, seeds: Sequence[int] = tuple(range(SEEDS)),
                intervals: int = INTERVALS) -> list[dict[str, Any]]:
    """``measure`` on every env of ``env_ids`` (all checked first); a list of results.

    Raises:
        ValueError: if an id is not registered (before anything runs).
    """
    check_env_ids(env_ids)
    return [measure(seeds, intervals, MODES, e) for e in env_ids]


# ----------------------------------------------------------------- report
def _verdict(value: float, lo: float, hi: float) -> str:
    if lo <= value <= hi:
        return "in range"
    return "below" if value < lo else "above"


def _as_list(results: dict[str, Any] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [results] if isinstance(results, dict) else list(results)


def _cell(c: Mapping[str, float]) -> str:
    if not c["n"]:
        return "–"
    if np.isnan(c["lo"]):
        return f"{c['mean']:.3f}"
    return f"{c['mean']:.3f} [{c['lo']:.3f}, {c['hi']:.3f}]"


def _table(results: dict[str, Any] | Sequence[dict[str, Any]]) -> str:
    """Markdown report of one ``measure`` result or a list of them."""
    results = _as_list(results)
    envs = ", ".join(r["env_id"] for r in results)
    r0 = results[0]
    lines = [
        "# Calibration: always-layer and always-semantic splitting (benchmarks/calibration.py)",
        "",
        f"{envs}; seeds {r0['seeds']} x {r0['intervals']} intervals, the same seeds for both modes (common random "
        "numbers). Every task split by the mode, least-loaded placement (most free RAM that fits, RAM committed "
        "within the interval tracked). Paper: Table 1 L+G and S+G (GOBI placement, smarter than least-loaded) "
        "with the calibration's target ranges around them. Response and wait in intervals, over tasks finished "
        "within the "
        "episode.",
        "",
        "## Response, wait and SLA violations beside the paper",
        "",
        "| env | mode | response | paper (range) | wait | paper (range) | SLA viol. | paper | accuracy | paper "
        "| reward | finished / arrived |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for m, s in res["summary"].items():
            p = PAPER.get(m)
            if p is None:
                continue
            lo, hi = p["response_range"]
            lines.append(
                f"| {res['env_id']} | always-{m} | {s['response']:.2f} ± {s['response_std']:.2f} | {p['model']} "
                f"{p['response']:.2f} ({lo:g}-{hi:g}; {_verdict(s['response'], lo, hi)}) | {s['wait']:.2f} | "
                f"{p['wait']:.2f} ({WAIT_RANGE[0]:g}-{WAIT_RANGE[1]:g}; {_verdict(s['wait'], *WAIT_RANGE)}) | "
                f"{s['sla_violation']:.2f} | {p['sla_violation']:.2f} | {s['accuracy']:.3f} | {p['accuracy']:.3f} | "
                f"{s['reward']:.3f} | {s['finished']:.0f} / {s['arrived']:.0f} |")
    lines.append("")
    for res in results:
        lr, sr = res["summary"].get("layer"), res["summary"].get("semantic")
        if lr and sr:
            lines.append(f"- {res['env_id']}: layer / semantic response ratio {lr['response'] / sr['response']:.2f} "
                         f"(paper {PAPER['layer']['response'] / PAPER['semantic']['response']:.2f}).")
    if any("contexts" in res for res in results):
        lines += [
            "",
            "## Which fixed split earns more reward, per application and SLA context",
            "",
            "Layer estimate: per application, the mean layer-split response time (intervals) of its tasks finished "
            "in the always-layer runs of the same env (the paper's MAB splits its contexts with such an estimate). "
            "A task's context is SLA ≥ estimate or SLA < estimate; both modes see the same tasks (same seeds). "
            "Reward: the per-task QoS term of Eq. 8, (1[response ≤ SLA] + accuracy) / 2 (the energy and response "
            "terms of Eq. 8 are per interval, not per task), mean over the finished tasks pooled across seeds, "
            "[95% interval: mean ± 1.96 standard errors]; n = finished tasks; winner = the higher mean, or tie when "
            "the intervals overlap. Only tasks finished within the episode count: the always-layer runs leave "
            "more tasks unfinished (the slow ones), which flatters layer.",
            "",
            "| env | application | layer estimate | context | n layer | reward layer | SLA met layer | n semantic "
            "| reward semantic | SLA met semantic | winner |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for res in results:
            ct = res.get("contexts")
            if not ct:
                continue
            for row in ct["rows"]:
                lay, sem = row["modes"]["layer"], row["modes"]["semantic"]
                est = "–" if np.isnan(row["estimate"]) else f"{row['estimate']:.2f}"
                met = lambda c: "–" if not c["n"] else f"{c['sla_met']:.2f}"  # noqa: E731
                lines.append(f"| {res['env_id']} | {row['app_name']} | {est} | "
                             f"{CONTEXT_TEXT.get(row['context'], row['context'])} | {lay['n']} | {_cell(lay)} | "
                             f"{met(lay)} | {sem['n']} | {_cell(sem)} | {met(sem)} | {row['winner']} |")
        lines.append("")
        for res in results:
            if res.get("contexts"):
                lines.append(f"- **{res['env_id']}**: is the split decision a real trade-off? "
                             f"{res['contexts']['verdict']}.")
    lines += ["", "## Per seed", "", "| env | mode | seed | response | wait | SLA viol. | accuracy | reward | finished "
              "| placements | infeasible |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for res in results:
        for r in res["runs"]:
            lines.append(f"| {res['env_id']} | {r['mode']} | {r['seed']} | {r['response']:.2f} | {r['wait']:.2f} | "
                         f"{r['sla_violation']:.2f} | {r['accuracy']:.3f} | {r['reward']:.3f} | {r['finished']} | "
                         f"{r['placements']} | {r['infeasible']} |")
    return "\n".join(lines) + "\n"


#: Columns of ``calibration.csv``. ``table`` is ``run`` (one episode), ``summary``
#: (a mode's means over seeds), ``context`` (one split in one application and SLA
#: context) or ``tradeoff`` (an env's verdict, in ``winner``: ``yes``/``no``).
CSV_COLUMNS = ("table", "env", "mode", "seed", "app", "context", "layer_estimate", "n", "finished", "arrived",
               "response", "wait", "sla_violation", "accuracy", "reward", "task_reward", "task_reward_lo",
               "task_reward_hi", "winner", "placements", "infeasible", "paper_response", "paper_wait",
               "paper_sla_violation", "paper_accuracy")


def csv_rows(results: dict[str, Any] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``calibration.csv`` (``CSV_COLUMNS``; missing cells empty)."""
    def fmt(v: Any) -> Any:
        return f"{v:.4f}" if isinstance(v, float) else v

    def paper_cols(mode: str) -> dict[str, Any]:
        p = PAPER.get(mode, {})
        return {f"paper_{k}": p.get(k, "") for k in ("response", "wait", "sla_violation", "accuracy")}

    out = []
    keys = ("finished", "arrived", "response", "wait", "sla_violation", "accuracy", "reward")
    for res in _as_list(results):
        env = res["env_id"]
        for r in res["runs"]:
            out.append({"table": "run", "env": env, "mode": r["mode"], "seed": r["seed"],
                        **{k: r[k] for k in (*keys, "placements", "infeasible")}, **paper_cols(r["mode"])})
        for m, s in res["summary"].items():
            out.append({"table": "summary", "env": env, "mode": m, "seed": "mean", **{k: s[k] for k in keys},
                        **paper_cols(m)})
        ct = res.get("contexts")
        if ct:
            for row in ct["rows"]:
                for m in MODES:
                    c = row["modes"][m]
                    out.append({"table": "context", "env": env, "mode": m, "app": row["app_name"],
                                "context": row["context"], "layer_estimate": row["estimate"], "n": c["n"],
                                "response": c["response"], "sla_violation": 1.0 - c["sla_met"],
                                "accuracy": c["accuracy"], "task_reward": c["mean"], "task_reward_lo": c["lo"],
                                "task_reward_hi": c["hi"], "winner": row["winner"]})
            out.append({"table": "tradeoff", "env": env, "winner": "yes" if ct["tradeoff"] else "no"})
    return [{k: fmt(row.get(k, "")) for k in CSV_COLUMNS} for row in out]


def write_results(results: dict[str, Any] | Sequence[dict[str, Any]], out_dir: Path | str | None = None,
                  name: str = "calibration") -> tuple[Path, Path]:
    """Writes ``<name>.csv`` and ``<name>.md`` into ``out_dir`` (default: a new run
    directory, ``splitplace_env.outputs``); returns their paths."""
    out_dir = Path(out_dir) if out_dir is not None else resolve_output_dir(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / f"{name}.csv", out_dir / f"{name}.md"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(csv_rows(results))
    md_path.write_text(_table(results))
    return csv_path, md_path


def build_parser(prog: str = "python -m benchmarks.calibration") -> argparse.ArgumentParser:
    """The calibration command's parser."""
    p = CommandParser(
        prog=prog,
        description="Always-layer and always-semantic splitting (least-loaded placement, same seeds for both) "
                    "beside the paper's L+G and S+G response, wait and SLA violations, and per application and "
                    "SLA context (SLA >= the layer response estimate, or below) which fixed split earns more "
                    "per-task reward: whether the split decision is a real trade-off.")
    p.add_argument("--envs", "--env", nargs="+", default=list(DEFAULT_ENVS), metavar="ID", dest="envs",
                   help=f"environment ids, each must be registered (default: {' '.join(DEFAULT_ENVS)})")
    p.add_argument("--seeds", type=int_arg(1, MAX_SEEDS), default=SEEDS, help="number of seeds")
    p.add_argument("--seed-offset", type=int_arg(0), default=0, help="first seed")
    p.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=INTERVALS,
                   help="scheduling intervals per episode")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK_SEEDS} seeds x {QUICK_INTERVALS} intervals (unless given); writes calibration_quick.*")
    add_output_arguments(p, "benchmarks/results/")
    p.add_argument("--name", type=file_name, default=None,
                   help="base name of the output files (default: calibration, or calibration_quick with --quick)")
    return p


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command line: run, write the results and print the tables; returns the exit code
    (``measure`` / ``measure_all`` give the figures to library callers).

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: program name in the help (``splitplace bench calibration`` from the CLI).
    """
    parser = build_parser(prog or "python -m benchmarks.calibration")
    args = parser.parse_args(argv)
    try:
        check_env_ids(args.envs)
    except ValueError as exc:
        parser.error(f"--envs: {exc}")
    n_seeds = QUICK_SEEDS if args.quick and args.seeds == SEEDS else args.seeds
    intervals = QUICK_INTERVALS if args.quick and args.intervals == INTERVALS else args.intervals
    name = args.name or ("calibration_quick" if args.quick else "calibration")
    seeds = list(range(args.seed_offset, args.seed_offset + n_seeds))
    out_dir = output_dir(parser, args, "calibration")
    results = measure_all(list(dict.fromkeys(args.envs)), seeds, intervals)
    paths = write_results(results, out_dir, name)
    print(_table(results))
    for path in paths:
        print(f"wrote {path}")
    print(f"outputs in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
