"""The fragments to place in an interval and their feasible rounding to hosts.

Every placer (heuristics, Gillis, GOBI/DASO) builds the same
``PlacementProblem``: the fragments that may move this interval with their RAM
demand, the hosts the action mask allows for each, and the hosts' free RAM. It
then rates hosts per fragment and calls ``assign``, which walks the fragments in
priority order and gives each the best-rated host that the mask allows and whose
remaining RAM (tracked as fragments are assigned) fits, or leaves it waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from agents.observation import (FRAG, HOST, READY_AT_SPLIT, TASK, DemandTable, F,
                                host_masks, task_apps)

#: Safety margin (normalised RAM, ~0.1 MB at 8 GB) against float32 rounding of
#: the observation: the engine admits in float64.
RAM_MARGIN = 1e-5


@dataclass
class PlacementProblem:
    """Fragments that may be placed this interval (the placers never migrate running ones).

    Attributes:
        frag: fragment slot of each candidate.
        ram: RAM demand (normalised by ``scales["ram_mb"]``, as ``hosts[:, ram_free]``).
        work: compute demand (normalised by ``scales["work_s"]``).
        semantic: whether the fragment belongs to a semantic (parallel) split.
        urgency: the task's time left to its deadline (lower = more urgent).
        allowed: (n, H) hosts the mask allows.
        free_ram: (H,) free RAM of every host.
    """

    frag: np.ndarray
    ram: np.ndarray
    work: np.ndarray
    semantic: np.ndarray
    urgency: np.ndarray
    allowed: np.ndarray
    free_ram: np.ndarray

    @property
    def n(self) -> int:
        return int(self.frag.size)

    def order(self) -> np.ndarray:
        """Most urgent first (least time left), then by slot: deadlines drive the SLA term."""
        return np.lexsort((self.frag, self.urgency))


def build_problem(obs: Mapping[str, np.ndarray], codec, splits: Mapping[int, int],
                  demands: DemandTable, batches: Mapping[int, int] | None = None) -> PlacementProblem:
    """Collects the candidates: ready fragments and fragments a split makes ready now.

    Args:
        obs: observation with ``action_mask``.
        codec: the action codec.
        splits: task slot -> split index chosen this interval for the new tasks.
        demands: learned per-fragment demands, for the new tasks' fragments.
        batches: task slot -> batch size of the new tasks (from ``info["pending"]``).
    """
    fr = obs["fragments"]
    allowed = host_masks(obs, codec)
    idx = np.flatnonzero(fr[:, FRAG["ready"]] > 0.5)
    ram = fr[idx, FRAG["ram"]].astype(np.float64)
    work = fr[idx, FRAG["compute"]].astype(np.float64)
    tasks = obs["tasks"]
    split_oh = tasks[:, len(TASK):]
    sem_col = codec.split_modes.index("semantic") if "semantic" in codec.split_modes else -1
    semantic = (split_oh[idx // F, sem_col] > 0.5) if sem_col >= 0 else np.zeros(idx.size, bool)

    # Fragments of new tasks that the chosen split makes ready right away.
    new_f, new_ram, new_work, new_sem = [], [], [], []
    apps = task_apps(obs)
    free = obs["hosts"][:, HOST["ram_free"]].astype(np.float64)
    for k, s in splits.items():
        mode = codec.split_modes[s]
        b = int(batches[k]) if batches is not None and k in batches else int(
            round(float(tasks[k, TASK["batch"]]) * codec.scales.get("batch", 1.0)))
        for j in range(READY_AT_SPLIT[mode]):
            f = k * F + j
            d = demands.get(int(apps[k]), s, j, b)
            if d is None:
                # Unknown demand: the mask allows a host only if the largest demand
                # over all splits fits it, so the smallest free RAM among allowed
                # hosts bounds the demand from above (conservative).
                ok = allowed[f]
                if not ok.any():
                    continue
                d = (float(free[ok].min()), 0.0)
            new_f.append(f)
            new_ram.append(d[0])
            new_work.append(d[1])
            new_sem.append(mode == "semantic")
    frag = np.concatenate([idx, np.asarray(new_f, dtype=np.int64)])
    return PlacementProblem(
        frag=frag,
        ram=np.concatenate([ram, np.asarray(new_ram)]),
        work=np.concatenate([work, np.asarray(new_work)]),
        semantic=np.concatenate([semantic, np.asarray(new_sem, dtype=bool)]),
        urgency=tasks[frag // F, TASK["time_left"]].astype(np.float64),
        allowed=allowed[frag],
        free_ram=free,
    )


def assign(problem: PlacementProblem, scores: np.ndarray, per_assign_penalty: float = 0.0) -> dict[int, int]:
    """Rounds host ratings to a feasible placement.

    Walks the fragments most urgent first (``problem.order()``) and gives each the best-rated host the mask
    allows whose remaining free RAM fits its demand; capacity is debited as it
    goes, so the whole set fits in whatever order the environment admits it. A fragment with no feasible host is
    left waiting (absent from the result: action 0).

    Args:
        problem: the candidates.
        scores: (n, H) ratings per fragment, or (H,) one rating per host; higher is better.
        per_assign_penalty: with (H,) ratings, lowers a host's rating by this after
            each fragment it receives (spreads a burst over hosts).

    Returns:
        fragment slot -> host index.
    """
    per_host = scores.ndim == 1
    if per_assign_penalty and not per_host:
        raise ValueError("per_assign_penalty needs one rating per host, shape (H,)")
    if per_assign_penalty:
        scores = scores.copy()
    free = problem.free_ram.copy()
    out: dict[int, int] = {}
    for i in problem.order().tolist():
        ok = problem.allowed[i] & (problem.ram[i] <= free - RAM_MARGIN)
        if not ok.any():
            continue
        h = int(np.argmax(np.where(ok, scores if per_host else scores[i], -np.inf)))
        free[h] -= problem.ram[i]
        if per_assign_penalty:
            scores[h] -= per_assign_penalty
        out[int(problem.frag[i])] = h
    return out
