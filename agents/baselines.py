"""The paper's baselines, Gillis and MC (BottleNet++-style model compression).

Neither exists in the authors' code (grapher.py only names their result
folders), so both follow their papers' ideas within what SplitPlace-v0 offers:

* **Gillis** (Yu et al., ICDCS'21) partitions a model layer-wise, merging
  consecutive layers into as few fragments as fit a function's memory, and
  places them latency-aware. Here: among "layer1" (1 fragment), "layer2" (2) and
  "layer" (4), take the coarsest partition whose largest fragment fits the free
  RAM of the best available host (fewer fragments = fewer intervals of a chain);
  place each fragment on the feasible host with the best link (high bandwidth,
  low latency) and the lowest load. Needs ``env_kwargs_for("Gillis")``.
* **MC** (Shao & Zhang, BottleNet++) runs a compressed single-fragment model
  when resources are tight, else the full layer split. Rule: "compressed" when
  the cluster's free-RAM share is below ``ram_threshold`` (0.3) or the ready
  queue is longer than ``queue_per_host`` (1.0) x hosts, else "layer"; fragments
  go to the least-loaded feasible host (BottleNet++ has no placement of its own).
  Needs ``env_kwargs_for("MC")``.
"""

from __future__ import annotations

import numpy as np

from agents.composed import ComposedAgent, Placer, Splitter
from agents.heuristics import LeastLoadedPlacer
from agents.observation import HOST, N_FRAGMENTS, DemandTable, host_masks, task_apps
from agents.placement import RAM_MARGIN, assign
from agents.splitters import pending_slots


class GillisSplitter(Splitter):
    """The coarsest layer partition whose largest fragment fits the best host."""

    name = "gillis"
    PARTITIONS = ("layer1", "layer2", "layer")   # coarsest first

    def __init__(self, codec, demands: DemandTable) -> None:
        missing = [m for m in self.PARTITIONS if m not in codec.split_modes]
        if missing:
            raise ValueError(f"Gillis needs split modes {self.PARTITIONS}; env has {codec.split_modes} "
                             "(use agents.env_kwargs_for('Gillis'))")
        self.codec = codec
        self.demands = demands
        self.index = {m: codec.split_modes.index(m) for m in self.PARTITIONS}

    def decide(self, obs, info, rng) -> dict[int, int]:
        slots = pending_slots(info)
        if slots.size == 0:
            return {}
        free = obs["hosts"][:, HOST["ram_free"]].astype(np.float64)
        allowed = host_masks(obs, self.codec)
        apps = task_apps(obs)
        batches = np.asarray(info["pending"]["batch"]).tolist()
        out: dict[int, int] = {}
        for k, b in zip(slots.tolist(), batches):
            choice = "layer"
            for mode in self.PARTITIONS:
                s = self.index[mode]
                need = [self.demands.get(int(apps[k]), s, j, int(b)) for j in range(N_FRAGMENTS[mode])]
                if any(d is None for d in need):
                    # The mask row of fragment 0 admits a host only if the largest
                    # fragment-0 demand over all splits (the whole model) fits it.
                    if mode == "layer1" and allowed[self.codec.fragment_slot(k, 0)].any():
                        choice = mode
                        break
                    continue
                if max(d[0] for d in need) <= free.max() - RAM_MARGIN:
                    choice = mode
                    break
            out[k] = self.index[choice]
        return out


class LatencyAwarePlacer(Placer):
    """Best link first (bandwidth minus latency), then lowest load."""

    name = "latency-aware"

    def place(self, obs, info, problem, splits, rng):
        h = obs["hosts"].astype(np.float64)
        link = h[:, HOST["bandwidth"]] - h[:, HOST["latency"]]
        load = h[:, HOST["cpu_util"]] + h[:, HOST["fragments"]]
        score = link - 0.5 * load
        return assign(problem, score)


class CompressionSplitter(Splitter):
    """"compressed" when resources are tight, else "layer" (see module docstring)."""

    name = "mc"

    def __init__(self, split_modes: tuple[str, ...], ram_threshold: float = 0.3,
                 queue_per_host: float = 1.0) -> None:
        if "compressed" not in split_modes:
            raise ValueError(f"MC needs the 'compressed' split mode; env has {split_modes} "
                             "(use agents.env_kwargs_for('MC'))")
        self.layer, self.compressed = split_modes.index("layer"), split_modes.index("compressed")
        self.ram_threshold, self.queue_per_host = ram_threshold, queue_per_host

    def tight(self, obs, info) -> bool:
        """Whether the cluster is short of memory or has a long ready queue."""
        h = obs["hosts"]
        free_share = float(h[:, HOST["ram_free"]].sum() / max(h[:, HOST["ram_capacity"]].sum(), 1e-9))
        return free_share < self.ram_threshold or info.get("queue_length", 0) > self.queue_per_host * h.shape[0]

    def decide(self, obs, info, rng) -> dict[int, int]:
        s = self.compressed if self.tight(obs, info) else self.layer
        return {int(k): s for k in pending_slots(info)}


def make_gillis(codec, seed: int | None = None) -> ComposedAgent:
    """The Gillis baseline agent."""
    agent = ComposedAgent(codec, GillisSplitter(codec, DemandTable(0)), LatencyAwarePlacer(), "Gillis", seed)
    agent.splitter.demands = agent.demands      # share the agent's learned demand table
    return agent


def make_mc(codec, seed: int | None = None) -> ComposedAgent:
    """The MC (model compression) baseline agent."""
    return ComposedAgent(codec, CompressionSplitter(codec.split_modes), LeastLoadedPlacer(), "MC", seed)
