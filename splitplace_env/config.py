"""Typed, validated, frozen configuration of SplitPlace-v0 and its presets.

Every field has a documented default taken from the paper (``shared/reference``) or,
where the paper is silent, from the authors' code. ``SplitPlaceConfig.from_kwargs``
is what ``gym.make(id, **kwargs)`` goes through: unknown keys and out-of-range
values raise a ``ValueError`` that names the field and what it accepts.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Mapping

APPLICATIONS: tuple[str, ...] = ("MNIST", "FashionMNIST", "CIFAR100")

#: Split modes the engine knows. The paper's action set is ("layer", "semantic");
#: the others exist for baselines: "compressed" (MC, a BottleNet++-style single
#: fragment), "layer2" and "layer1" (Gillis merging consecutive layer fragments).
SPLIT_MODES: tuple[str, ...] = ("layer", "semantic", "compressed", "layer2", "layer1")

#: The trained networks (their accuracy is what a finished task scores).
NETWORKS: tuple[str, ...] = ("layer", "semantic", "compressed")

#: Split mode -> the network that serves it: "layer2" and "layer1" merge consecutive
#: layer fragments into fewer containers, so they run the layer network.
NETWORK_OF_SPLIT: Mapping[str, str] = {
    "layer": "layer", "layer2": "layer", "layer1": "layer",
    "semantic": "semantic", "compressed": "compressed",
}

#: Most fragments any split creates (semantic: 5 branches).
MAX_FRAGMENTS_PER_TASK = 5


#: Memory models of a fragment container (``SplitPlaceConfig.memory_model``).
MEMORY_MODELS: tuple[str, ...] = ("full_batch", "streaming")
#: Host models (``SplitPlaceConfig.host_power``; their tables: ``core.cluster.HOST_MODEL_SPECS``).
HOST_MODELS: tuple[str, ...] = ("pi4b", "azure_b2ms", "azure_b4ms")
#: Arrival processes (``SplitPlaceConfig.arrival_process``).
ARRIVAL_PROCESSES: tuple[str, ...] = ("poisson", "gauss")


@dataclass(frozen=True)
class SplitPlaceConfig:
    """Configuration of the emulated edge cluster and the environment.

    Attributes:
        n_hosts: number of edge hosts (paper: 16 Raspberry Pi 4B).
        host_ram_gb: RAM (GB) of each host type, assigned in contiguous blocks:
            equal blocks (paper: 8 x 4 GB, 8 x 8 GB) unless ``host_type_counts`` is given.
        host_type_counts: hosts of each type, summing to ``n_hosts``; () = equal blocks.
        host_speed: compute speed of a core of each type relative to a Pi 4B core
            (a number for every type, or one per type).
        host_power: host model of each type (``HOST_MODELS``; ``core.cluster``:
            power table, visible RAM and disk), a name or one per type.
        mobile_fraction: share of hosts that move (the rest are wired, fixed).
        interval_s: length of one scheduling interval in seconds (paper: 300).
        max_episode_steps: intervals per episode (paper: 100).
        arrival_rate: mean new tasks per interval, Poisson (paper: lambda = 6).
        applications: application names in the workload.
        app_weights: sampling weights of ``applications`` (uniform in the paper).
        split_modes: the split choices of the action (paper: layer, semantic).
        max_tasks: task slots shown in the observation; further arrivals queue.
        alpha, beta: weights of energy and response time in Eq. 8 (paper: 0.5).
        response_norm: response time (intervals) that maps to ART = 1.
        layer_intervals: the per-application L of the authors' SLA rule
            sla ~ U{2, .., 2L - 3} (authors' code: 7, 9, 14).
        min_sla: smallest SLA deadline in intervals (authors' code: 2).
        mobility: "random_waypoint", "static" or "sumo:PATH" (a trace CSV).
        compute_scale: multiplies every fragment's compute time from the profile
            (1.0 = a Pi 4B core as profiled; 2.0 = hosts half as fast).
        host_cores: cores per host (a number, or one per type); one fragment
            container uses one core, more fragments than cores share the cores
            (processor sharing).
        runtime_overhead_mb: resident memory of one fragment container's runtime.
        memory_model: "full_batch" (a container holds its whole input batch and its
            outputs as they accumulate, as the authors' containers do; the paper
            preset) or "streaming" (it holds ``stream_chunk_samples`` at a time).
        stream_chunk_samples: samples a fragment holds in memory at once ("streaming").
        swap_mb: network-attached swap per host (MB): admission allows RAM + swap,
            and memory beyond RAM pages over the host's link (``core/engine.py``).
        max_containers: most containers running at once in the cluster (authors'
            code: ``CONTAINERS = HOSTS``); 0 = no cap.
        placeholder_mb: RAM booked for a container that has not run yet, released
            after its first interval for its measured demand (authors' code: 5000);
            0 = book the true demand from the start.
        hide_unmeasured: masks and observation show a never-run fragment's memory
            as ``placeholder_mb``, not its true demand (needs ``placeholder_mb`` > 0).
        container_costs: charge each starting container its checkpoint load and the
            decode of its whole input (measured: ``data/container_costs.json``).
        migration: carry out migrations of running fragments (the authors' released
            code counts them but never executes them).
        arrival_process: "poisson" (Poisson(``arrival_rate``), the paper) or "gauss"
            (the authors' code: max(m, int(gauss(arrival_rate, arrival_std))), m = 1
            in the first interval and 0 after).
        arrival_std: standard deviation of the "gauss" arrivals (authors' code: 0.5).
        transfer_compression: size ratio of bz2-compressed tensors moved on the net.
        accuracy_noise: draw each task's accuracy as Binomial(batch, p) / batch.
        live_inference: a finished task's accuracy comes from running the real
            split models on a real batch (slower; needs torch and shipped weights).
        profile: fragment profiles: "analytic" (derived from the architectures and
            calibrated; the default), "measured" (the PyTorch profiler's figures,
            ``data/PROFILES_MEASURED.md``) or the path of a profile JSON file.
    """

    n_hosts: int = 16
    host_ram_gb: tuple[float, ...] = (4.0, 8.0)
    mobile_fraction: float = 0.5
    interval_s: float = 300.0
    max_episode_steps: int = 100
    arrival_rate: float = 6.0
    applications: tuple[str, ...] = APPLICATIONS
    app_weights: tuple[float, ...] = (1.0, 1.0, 1.0)
    split_modes: tuple[str, ...] = ("layer", "semantic")
    max_tasks: int = 64
    alpha: float = 0.5
    beta: float = 0.5
    response_norm: float = 30.0
    layer_intervals: tuple[int, ...] = (7, 9, 14)
    min_sla: int = 2
    mobility: str = "random_waypoint"
    compute_scale: float = 1.0
    host_cores: int | tuple[int, ...] = 4
    host_type_counts: tuple[int, ...] = ()
    host_speed: float | tuple[float, ...] = 1.0
    host_power: str | tuple[str, ...] = "pi4b"
    runtime_overhead_mb: float = 200.0
    memory_model: str = "full_batch"
    stream_chunk_samples: int = 2000
    swap_mb: float = 40960.0
    max_containers: int = 0
    placeholder_mb: float = 0.0
    hide_unmeasured: bool = False
    container_costs: bool = True
    migration: bool = True
    arrival_process: str = "poisson"
    arrival_std: float = 0.5
    transfer_compression: float = 0.35
    accuracy_noise: bool = True
    live_inference: bool = False
    profile: str = "analytic"

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        _check_int(self, "n_hosts", 1, 4096)
        _check_int(self, "max_episode_steps", 1, 10**7)
        _check_int(self, "max_tasks", 1, 8192)
        _check_int(self, "min_sla", 1, 1000)
        _check_per_type(self, "host_cores", int, 1, 256)
        _check_per_type(self, "host_speed", float, 1e-3, 1e3)
        _check_int(self, "max_containers", 0, 10**6)
        _check_float(self, "swap_mb", 0.0, 1e7)
        _check_float(self, "placeholder_mb", 0.0, 1e6)
        _check_float(self, "arrival_std", 0.0, 1e4)
        for name, allowed in (("memory_model", MEMORY_MODELS), ("arrival_process", ARRIVAL_PROCESSES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        power = self.host_power if isinstance(self.host_power, tuple) else (self.host_power,)
        if isinstance(self.host_power, list):
            object.__setattr__(self, "host_power", tuple(self.host_power))
            power = self.host_power
        if not power or any(p not in HOST_MODELS for p in power) or (
                isinstance(self.host_power, tuple) and len(power) != len(self.host_ram_gb)):
            raise ValueError(f"host_power must be one of {sorted(HOST_MODELS)} or a tuple of them, one per "
                             f"host_ram_gb type, got {self.host_power!r}")
        if isinstance(self.host_type_counts, list):
            object.__setattr__(self, "host_type_counts", tuple(self.host_type_counts))
        if not isinstance(self.host_type_counts, tuple) or (self.host_type_counts and (
                len(self.host_type_counts) != len(self.host_ram_gb)
                or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in self.host_type_counts)
                or sum(self.host_type_counts) != self.n_hosts)):
            raise ValueError("host_type_counts must be () or one non-negative integer per host_ram_gb type "
                             f"summing to n_hosts={self.n_hosts}, got {self.host_type_counts!r}")
        if self.hide_unmeasured and not self.placeholder_mb > 0:
            raise ValueError("hide_unmeasured=True shows placeholder_mb for never-run fragments: "
                             f"it needs placeholder_mb > 0, got {self.placeholder_mb!r}")
        _check_int(self, "stream_chunk_samples", 1, 10**7)
        _check_float(self, "mobile_fraction", 0.0, 1.0)
        _check_float(self, "interval_s", 1.0, 86400.0)
        _check_float(self, "arrival_rate", 0.0, 10_000.0)
        _check_float(self, "alpha", 0.0, 1.0)
        _check_float(self, "beta", 0.0, 1.0)
        _check_float(self, "response_norm", 1.0, 10_000.0)
        _check_float(self, "compute_scale", 1e-3, 1e3)
        _check_float(self, "runtime_overhead_mb", 0.0, 1e5)
        _check_float(self, "transfer_compression", 1e-3, 1.0)
        if not isinstance(self.profile, str) or not (
            self.profile in ("analytic", "measured") or Path(self.profile).is_file()
        ):
            raise ValueError(f"profile must be 'analytic', 'measured' or an existing JSON file path, "
                             f"got {self.profile!r}")
        for name in ("accuracy_noise", "live_inference", "hide_unmeasured", "container_costs", "migration"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        _check_seq(self, "host_ram_gb")
        if not self.host_ram_gb or any(not _finite_in(v, 0.5, 1024.0) for v in self.host_ram_gb):
            raise ValueError(
                f"host_ram_gb must be a non-empty tuple of GB values in [0.5, 1024], got {self.host_ram_gb!r}"
            )
        _check_names(self, "applications", APPLICATIONS, f"a non-empty subset of {APPLICATIONS}")
        _check_seq(self, "app_weights")
        if len(self.app_weights) != len(self.applications) or any(
            not _finite_in(w, 0.0, 1e9) for w in self.app_weights
        ) or sum(float(w) for w in self.app_weights) <= 0:
            raise ValueError(
                "app_weights must give one non-negative weight per application with a positive sum, "
                f"got {self.app_weights!r} for {self.applications!r}"
            )
        _check_names(self, "split_modes", SPLIT_MODES, f"distinct names from {SPLIT_MODES}")
        _check_seq(self, "layer_intervals")
        if len(self.layer_intervals) != len(APPLICATIONS) or any(
            isinstance(v, bool) or not isinstance(v, int) or v < self.min_sla + 1 for v in self.layer_intervals
        ):
            raise ValueError(
                f"layer_intervals must give one integer > min_sla per application {APPLICATIONS}, "
                f"got {self.layer_intervals!r}"
            )
        if not isinstance(self.mobility, str) or not (
            self.mobility in ("random_waypoint", "static")
            or (self.mobility.startswith("sumo:") and len(self.mobility) > 5)
        ):
            raise ValueError(
                f"mobility must be 'random_waypoint', 'static' or 'sumo:PATH', got {self.mobility!r}"
            )
        if self.mobility.startswith("sumo:") and not self.mobility.startswith("sumo:package:"):
            if not Path(self.mobility[5:]).is_file():
                raise ValueError(f"mobility trace file not found: {self.mobility[5:]!r} (mobility='sumo:PATH')")

    # ------------------------------------------------------------------ helpers
    @classmethod
    def from_kwargs(cls, base: "SplitPlaceConfig | None" = None, **kwargs: Any) -> "SplitPlaceConfig":
        """Builds a config from ``base`` (default: the paper preset) and overrides.

        Raises:
            ValueError: on an unknown field name or an invalid value.
        """
        base = base or cls()
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ValueError(f"unknown config field(s) {unknown}; valid fields: {sorted(names)}")
        return dataclasses.replace(base, **kwargs)  # __post_init__ validates (lists become tuples)

    def to_dict(self) -> dict[str, Any]:
        """Returns the configuration as a plain dict (JSON-friendly)."""
        return dataclasses.asdict(self)

    @property
    def n_splits(self) -> int:
        return len(self.split_modes)


def _finite_in(v: Any, lo: float, hi: float) -> bool:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return math.isfinite(f) and lo <= f <= hi


def _check_seq(cfg: SplitPlaceConfig, name: str) -> None:
    v = getattr(cfg, name)
    if isinstance(v, list):  # accept lists, store tuples (the config stays hashable and frozen)
        object.__setattr__(cfg, name, tuple(v))
    elif not isinstance(v, tuple):
        raise ValueError(f"{name} must be a tuple or list, got {type(v).__name__} {v!r}")


def _check_names(cfg: SplitPlaceConfig, name: str, allowed: tuple[str, ...], what: str) -> None:
    """A non-empty tuple (or list) of distinct names from ``allowed``."""
    _check_seq(cfg, name)
    v = getattr(cfg, name)
    if not v or any(x not in allowed for x in v) or len(set(v)) != len(v):
        raise ValueError(f"{name} must be {what}, got {v!r}")


def _check_per_type(cfg: SplitPlaceConfig, name: str, kind: type, lo: float, hi: float) -> None:
    """A number in [lo, hi] (an int if ``kind`` is int), or a tuple of them, one per RAM type."""
    v = getattr(cfg, name)
    if isinstance(v, list):
        v = tuple(v)
        object.__setattr__(cfg, name, v)
    values = v if isinstance(v, tuple) else (v,)
    ok_type = (lambda x: isinstance(x, int) and not isinstance(x, bool)) if kind is int else (
        lambda x: isinstance(x, (int, float)) and not isinstance(x, bool))
    if not values or any(not ok_type(x) or not _finite_in(x, lo, hi) for x in values) or (
            isinstance(v, tuple) and len(v) != len(cfg.host_ram_gb)):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {what} in [{lo}, {hi}] or a tuple of them, one per host_ram_gb type, "
                         f"got {v!r}")


def per_type(value, n_types: int) -> tuple:
    """A per-host-type field as a tuple of ``n_types`` values."""
    return tuple(value) if isinstance(value, tuple) else (value,) * n_types


def _check_int(cfg: SplitPlaceConfig, name: str, lo: int, hi: int) -> None:
    v = getattr(cfg, name)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")


def _check_float(cfg: SplitPlaceConfig, name: str, lo: float, hi: float) -> None:
    v = getattr(cfg, name)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite_in(v, lo, hi):
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {v!r}")


#: Named presets. "paper" is SplitPlace-v0; the others differ only in fields.
PRESETS: Mapping[str, Mapping[str, Any]] = {
    "paper": {},
    "small": {"n_hosts": 4, "arrival_rate": 1.5, "max_tasks": 16, "max_episode_steps": 50},
    "large": {"n_hosts": 64, "arrival_rate": 24.0, "max_tasks": 256},
    "mnist": {"applications": ("MNIST",), "app_weights": (1.0,)},
    "fashionmnist": {"applications": ("FashionMNIST",), "app_weights": (1.0,)},
    "cifar100": {"applications": ("CIFAR100",), "app_weights": (1.0,)},
    "sumo": {"mobility": "sumo:package:traces/sumo_grid.csv"},
    # The authors' released code (facts report sections 1.1, 2, 6.5, 8.1): 10 Azure VMs
    # (4 x B2ms 2 vCPU 8 GiB, 2 x E2as_v4 2 vCPU 16 GiB, 2 x B4ms 4 vCPU 16 GiB, 2 x E4as_v4
    # 4 vCPU 32 GiB), wired and static, SPW arrivals max(m, int(gauss(1, 0.5))), weights
    # 0.5 / 0.25 / 0.25, at most CONTAINERS = HOSTS = 10 running containers, a 5000 MB
    # placeholder until measured, migrations counted but not executed. A vCPU computes
    # at host_speed = 6 Pi 4B cores: the project's measured x86-core / Pi-core factor
    # (profiling/profiler.py PI_FACTOR), as the compute profiles are in Pi-core time.
    "authors_code": {"n_hosts": 10, "host_ram_gb": (8.0, 16.0, 16.0, 32.0), "host_cores": (2, 2, 4, 4),
                     "host_type_counts": (4, 2, 2, 2), "host_speed": 6.0,
                     "host_power": ("azure_b2ms", "azure_b2ms", "azure_b4ms", "azure_b4ms"),
                     "mobile_fraction": 0.0, "mobility": "static", "arrival_process": "gauss",
                     "arrival_rate": 1.0, "arrival_std": 0.5, "app_weights": (0.5, 0.25, 0.25),
                     "max_containers": 10, "placeholder_mb": 5000.0, "hide_unmeasured": True,
                     "migration": False},
}
#: One-application workloads of the authors' setting (Figure 4 on SplitPlace-AuthorsCode-v0).
PRESETS = {**PRESETS, **{f"authors_code_{app.lower()}": {**PRESETS["authors_code"], "applications": (app,),
                                                          "app_weights": (1.0,)} for app in APPLICATIONS}}


def preset(name: str, **overrides: Any) -> SplitPlaceConfig:
    """Returns the named preset with ``overrides`` applied.

    Raises:
        ValueError: if ``name`` is not a preset or an override is invalid.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; presets: {sorted(PRESETS)}")
    return SplitPlaceConfig.from_kwargs(**{**PRESETS[name], **overrides})


__all__ = [
    "ARRIVAL_PROCESSES",
    "HOST_MODELS",
    "MEMORY_MODELS",
    "APPLICATIONS",
    "MAX_FRAGMENTS_PER_TASK",
    "NETWORKS",
    "NETWORK_OF_SPLIT",
    "PRESETS",
    "SPLIT_MODES",
    "SplitPlaceConfig",
    "preset",
]
