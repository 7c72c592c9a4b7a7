"""Reading SplitPlace-v0 observations: feature indices and per-slot views.

Only the public feature-name tuples of ``splitplace_env.env`` are used, so a
reordering of the observation there is picked up here.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from splitplace_env.config import MAX_FRAGMENTS_PER_TASK
from splitplace_env.env import FRAGMENT_FEATURES, GLOBAL_FEATURES, HOST_FEATURES, TASK_FEATURES_BASE

F = MAX_FRAGMENTS_PER_TASK
HOST = {n: i for i, n in enumerate(HOST_FEATURES)}
FRAG = {n: i for i, n in enumerate(FRAGMENT_FEATURES)}
TASK = {n: i for i, n in enumerate(TASK_FEATURES_BASE)}
GLOB = {n: i for i, n in enumerate(GLOBAL_FEATURES)}
APP_COLS = slice(TASK["app_mnist"], TASK["app_cifar100"] + 1)
SPLIT_COL0 = len(TASK_FEATURES_BASE)

#: Fragments a split makes ready at once (API.md: fragment 0 for chains, all 5
#: for the semantic split).
READY_AT_SPLIT = {"layer": 1, "semantic": 5, "compressed": 1, "layer2": 1, "layer1": 1}
#: Fragments each split creates.
N_FRAGMENTS = {"layer": 4, "semantic": 5, "compressed": 1, "layer2": 2, "layer1": 1}


def task_apps(obs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Application index per task slot (-1 for an empty slot)."""
    t = obs["tasks"]
    app = np.argmax(t[:, APP_COLS], axis=1)
    return np.where(t[:, TASK["occupied"]] > 0.5, app, -1)


def task_splits(obs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Split index per task slot (-1 where the task is not split yet or the slot is empty)."""
    oh = obs["tasks"][:, SPLIT_COL0:]
    return np.where(oh.max(axis=1) > 0.5, np.argmax(oh, axis=1), -1)


def host_masks(obs: Mapping[str, np.ndarray], codec) -> np.ndarray:
    """The (5T, H) host part of the action mask, without the "leave as is" column."""
    _, hm = codec.split_masks(np.asarray(obs["action_mask"]).astype(bool))
    return hm[:, 1:]


class DemandTable:
    """Per-fragment RAM and compute demand of a split, learned from observations.

    A new task's fragments do not exist in the observation until it is split, but
    the placer must know their RAM demand to track host capacity within the
    interval. Every interval the demands of the split tasks in view are recorded
    per (application, split, fragment, batch) -- the engine's demand is a
    function of exactly these -- so after a few intervals every combination is
    known. Keys are plain ints, so the table can be saved with an agent.
    """

    def __init__(self, n_splits: int) -> None:
        self.n_splits = n_splits
        self.table: dict[int, tuple[float, float]] = {}

    def _key(self, app, split, j, batch):
        return ((np.asarray(app) * self.n_splits + split) * F + j) * 10_000_000 + batch

    def observe(self, obs: Mapping[str, np.ndarray], batch_scale: float) -> None:
        """Records the demands of every split task in the observation."""
        split = task_splits(obs)
        k = np.flatnonzero(split >= 0)
        if k.size == 0:
            return
        fr = obs["fragments"].reshape(-1, F, len(FRAGMENT_FEATURES))[k]
        exists = fr[:, :, FRAG["exists"]] > 0.5
        app = task_apps(obs)[k]
        batch = np.rint(obs["tasks"][k, TASK["batch"]] * batch_scale).astype(np.int64)
        kk, jj = np.nonzero(exists)
        keys = self._key(app[kk], split[k][kk], jj, batch[kk])
        new = [i for i, key in enumerate(keys.tolist()) if key not in self.table]
        for i in new:
            row = fr[kk[i], jj[i]]
            self.table[int(keys[i])] = (float(row[FRAG["ram"]]), float(row[FRAG["compute"]]))

    def get(self, app: int, split: int, j: int, batch: int) -> tuple[float, float] | None:
        """(ram, compute) normalised like the observation, or None if never seen."""
        return self.table.get(int(self._key(app, split, j, batch)))

    def state_dict(self) -> dict:
        return {"n_splits": self.n_splits, "keys": list(self.table), "values": list(self.table.values())}

    def load_state_dict(self, state: Mapping) -> None:
        self.table = {int(k): (float(v[0]), float(v[1])) for k, v in zip(state["keys"], state["values"])}
