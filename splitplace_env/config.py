"""Typed, validated, frozen configuration of SplitPlace-v0 and its presets.

Every field has a documented default taken from the paper (``shared/reference``) or,
where the paper is silent, from the authors' code. ``SplitPlaceConfig.resolve`` is
what ``gym.make(id, **kwargs)`` and ``gym.make_vec`` go through (preset, then
``config=``, then field keywords): unknown keys, values of the wrong kind and
out-of-range values raise a ``ValueError`` that names the field and what it accepts.
Numpy scalars and 1-d arrays are accepted wherever Python numbers and tuples are.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np

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
#: Rewards of a step (``SplitPlaceConfig.reward``).
REWARD_KINDS: tuple[str, ...] = ("scalar", "vector")


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
        interval_s: length of one scheduling interval in seconds (paper: 300; at most 3600).
        max_episode_steps: intervals per episode (paper: 100).
        arrival_rate: mean new tasks per interval, Poisson (paper: lambda = 6).
        applications: application names in the workload.
        app_weights: sampling weights of ``applications`` (uniform in the paper);
            () = uniform, stored as one 1.0 per application.
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
        fault_rate: probability per interval that a host that is up fails (a Pi
            reboots, a mobile host leaves coverage); 0 = no random faults (the paper
            has none: the default). Fragments on a failed host lose their progress
            and wait again (``core/kernels.py`` ``host_faults``).
        fault_recovery_rate: probability per interval that a failed host comes back
            (mean outage 1 / rate intervals). The default 0.5, a mean outage of two
            intervals, is this project's choice, not a measured figure: set it with
            ``fault_rate``.
        fault_events: a fault trace: (interval, host, duration) triples, each holding
            host ``host`` down for intervals ``interval`` .. ``interval + duration - 1``
            (beside or instead of the random process).
        reward: "scalar" (Eq. 8, the default) or "vector": the Eq. 8 terms signed to be
            maximised, (QoS, -AEC, -ART), as a float32 array (MO-Gymnasium's convention;
            the env then has a ``reward_space``).
    """

    n_hosts: int = 16
    host_ram_gb: tuple[float, ...] = (4.0, 8.0)
    mobile_fraction: float = 0.5
    interval_s: float = 300.0
    max_episode_steps: int = 100
    arrival_rate: float = 6.0
    applications: tuple[str, ...] = APPLICATIONS
    app_weights: tuple[float, ...] = ()
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
    fault_rate: float = 0.0
    fault_recovery_rate: float = 0.5
    fault_events: tuple[tuple[int, int, int], ...] = ()
    reward: str = "scalar"

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        # Every field is checked and stored in one canonical form: numpy scalars become
        # Python numbers, lists and 1-d arrays become tuples; bools are not numbers and
        # strings are not numbers here. Bounds are what the engine represents and what
        # means something; the less obvious ones say why.
        put = functools.partial(object.__setattr__, self)
        put("host_ram_gb", _numbers("host_ram_gb", self.host_ram_gb, 0.5, 1024.0, "GB values"))
        n_types = len(self.host_ram_gb)
        # Hosts and task slots: the factored mask has T*S + 5T*(H+1) entries, which these
        # bounds keep allocatable (about 170 MB at the extremes).
        put("n_hosts", _integer("n_hosts", self.n_hosts, 1, 4096))
        put("max_tasks", _integer("max_tasks", self.max_tasks, 1, 8192))
        put("host_type_counts", _type_counts(self.host_type_counts, n_types, self.n_hosts))
        put("host_cores", _per_type("host_cores", self.host_cores, n_types,
                                    functools.partial(_integer, lo=1, hi=256)))
        put("host_speed", _per_type("host_speed", self.host_speed, n_types,
                                    functools.partial(_number, lo=1e-3, hi=1e3)))
        put("host_power", _per_type("host_power", self.host_power, n_types,
                                    functools.partial(_choice, allowed=HOST_MODELS)))
        put("max_episode_steps", _integer("max_episode_steps", self.max_episode_steps, 1, 10**7))
        put("min_sla", _integer("min_sla", self.min_sla, 1, 1000))
        put("stream_chunk_samples", _integer("stream_chunk_samples", self.stream_chunk_samples, 1, 10**7))
        put("max_containers", _integer("max_containers", self.max_containers, 0, 10**6))
        for name, lo, hi in _NUMBER_BOUNDS:
            put(name, _number(name, getattr(self, name), lo, hi))
        for name in _FLAGS:
            put(name, _flag(name, getattr(self, name)))
        put("memory_model", _choice("memory_model", self.memory_model, MEMORY_MODELS))
        put("arrival_process", _choice("arrival_process", self.arrival_process, ARRIVAL_PROCESSES))
        if self.hide_unmeasured and not self.placeholder_mb > 0:
            raise ValueError("hide_unmeasured=True shows placeholder_mb for never-run fragments: "
                             f"it needs placeholder_mb > 0, got {self.placeholder_mb!r}")
        put("applications", _names("applications", self.applications, APPLICATIONS))
        put("app_weights", _app_weights(self.app_weights, self.applications))
        put("split_modes", _names("split_modes", self.split_modes, SPLIT_MODES))
        # sla ~ U{min_sla, .., 2L - 3} is drawn as an int64 from a float64 table: L up to
        # the longest episode (10**7 intervals; a longer deadline never binds) keeps 2L exact.
        expected = f"one integer in [min_sla + 1 = {self.min_sla + 1}, 10**7] per application {APPLICATIONS}"
        put("layer_intervals", _numbers("layer_intervals", self.layer_intervals, self.min_sla + 1, 10**7,
                                        "integers", integer=True, expected=expected))
        if len(self.layer_intervals) != len(APPLICATIONS):
            raise ValueError(f"layer_intervals must give {expected}, got {self.layer_intervals!r}")
        put("mobility", _mobility(self.mobility))
        put("profile", _profile(self.profile))
        put("fault_events", _fault_events(self.fault_events, self.n_hosts))
        put("reward", _choice("reward", self.reward, REWARD_KINDS))

    # ------------------------------------------------------------------ helpers
    @classmethod
    def from_kwargs(cls, base: "SplitPlaceConfig | None" = None, **kwargs: Any) -> "SplitPlaceConfig":
        """Builds a config from ``base`` (default: the paper preset) and overrides.

        ``applications`` without ``app_weights`` keeps each application's weight from
        ``base`` when those were unequal, else weighs the new applications uniformly.

        Raises:
            ValueError: on an unknown field name or an invalid value (naming the field).
        """
        base = cls() if base is None else base
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ValueError(f"unknown config field(s) {unknown}; valid fields: {sorted(names)}")
        if "applications" in kwargs and "app_weights" not in kwargs:
            kwargs["app_weights"] = _weights_of(base, kwargs["applications"])
        return dataclasses.replace(base, **kwargs)  # __post_init__ validates and normalises

    @classmethod
    def resolve(cls, config: "SplitPlaceConfig | None" = None, time_limit: int | None = None, /,
                **kwargs: Any) -> "SplitPlaceConfig":
        """The configuration an environment runs, from what ``gym.make`` / ``gym.make_vec`` passed.

        ``SplitPlaceEnv`` and ``SplitPlaceVectorEnv`` both build theirs here. Precedence,
        later wins: the paper's defaults; ``preset=NAME`` (a key of ``PRESETS``; every
        registered id passes its own); ``config`` (a whole ``SplitPlaceConfig``, so it
        replaces the preset); each field keyword.

        The episode length is also a time limit: ``gym.make(id, max_episode_steps=N)``
        wraps the env in ``TimeLimit(N)`` without passing N on, so the env hands it in as
        ``time_limit`` (``splitplace_env.time_limit``); ``gym.make_vec`` passes it as the
        ``max_episode_steps`` keyword. Both are the id's registered limit (its preset's
        ``max_episode_steps``) when the user gives none, so such a value cannot overrule
        a ``config`` that chose another episode length: that is ambiguous and raises
        (unless the config's is just the default, 100). Any other value wins, and the
        configured episode length always equals the limit that truncates the episode.

        Args:
            config: a ``SplitPlaceConfig``, or None.
            time_limit: the ``TimeLimit`` that ``gym.make`` applies, or None.
            **kwargs: ``preset`` and ``SplitPlaceConfig`` fields.

        Raises:
            ValueError: ``config`` of another type, an unknown preset or field, an invalid
                value, or an ambiguous episode length.
        """
        if config is not None and not isinstance(config, SplitPlaceConfig):
            raise ValueError(f"config must be a SplitPlaceConfig, got {type(config).__name__}")
        name = kwargs.pop("preset", None)
        if name is not None and (not isinstance(name, str) or name not in PRESETS):
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {show_value(name)}")
        steps = kwargs.pop("max_episode_steps", None)
        if time_limit is not None:
            if steps is not None and steps != time_limit:
                raise ValueError(f"max_episode_steps={steps!r} disagrees with gym.make's time limit {time_limit!r}")
            steps = time_limit
        unknown = sorted(set(kwargs) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown config field(s) {unknown}; valid fields: "
                             f"{sorted(f.name for f in dataclasses.fields(cls))} (and config=, preset=)")
        preset_cfg = preset(name) if name is not None else cls()
        cfg = cls.from_kwargs(preset_cfg if config is None else config, **kwargs)
        if steps is None:
            return cfg
        limited = cls.from_kwargs(cfg, max_episode_steps=steps)  # checks the value first
        n = limited.max_episode_steps
        if (name is not None and config is not None and n == preset_cfg.max_episode_steps
                and cfg.max_episode_steps not in (n, cls.max_episode_steps)):
            raise ValueError(
                f"max_episode_steps is ambiguous: config= says {cfg.max_episode_steps} but the id's time limit "
                f"(preset {name!r}) is {n}; pass max_episode_steps={cfg.max_episode_steps} to gym.make / "
                "gym.make_vec as well (a value equal to the registered limit cannot be told from the one "
                "Gymnasium passes itself)")
        return limited

    def to_dict(self) -> dict[str, Any]:
        """Returns the configuration as a plain dict (JSON-friendly)."""
        return dataclasses.asdict(self)

    @property
    def n_splits(self) -> int:
        return len(self.split_modes)


#: (field, lo, hi) of the real-valued scalar fields.
_NUMBER_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("mobile_fraction", 0.0, 1.0),
    # An interval is a scheduling period of minutes (paper: 300 s). The random-waypoint
    # walk takes about speed x interval / 520 m legs per mobile host per interval (two
    # random draws each): an hour is ~14 legs, a day ~330, which made a step of 256
    # mobile hosts take 2 s without numba. The per-leg walk is the model, so it is bounded.
    ("interval_s", 1.0, 3600.0),
    ("arrival_rate", 0.0, 10_000.0),
    ("alpha", 0.0, 1.0),
    ("beta", 0.0, 1.0),
    ("response_norm", 1.0, 10_000.0),
    ("compute_scale", 1e-3, 1e3),
    ("runtime_overhead_mb", 0.0, 1e5),
    ("swap_mb", 0.0, 1e7),
    ("placeholder_mb", 0.0, 1e6),
    ("arrival_std", 0.0, 1e4),
    ("transfer_compression", 1e-3, 1.0),
    ("fault_rate", 0.0, 1.0),  # probabilities per interval
    ("fault_recovery_rate", 0.0, 1.0),
)
#: The True / False fields.
_FLAGS = ("accuracy_noise", "live_inference", "hide_unmeasured", "container_costs", "migration")


def show_value(v: Any) -> str:
    """``type repr`` of a rejected value, for an error message (the repr cut to 60 characters)."""
    try:
        text = repr(v)
    except Exception:  # noqa: BLE001 -- only a message is at stake (e.g. ints over 4300 digits)
        text = "<no repr>"
    return f"{type(v).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _scalar(v: Any) -> Any:
    """A 0-d numpy array as its numpy scalar; anything else as is."""
    return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v


def _as_integer(v: Any, lo: float, hi: float) -> int | None:
    """``v`` as an int if it is an integer (Python or numpy, not a bool) in [lo, hi], else None."""
    v = _scalar(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):  # np.bool_ is not Integral
        return None
    v = int(v)
    return v if lo <= v <= hi else None


def _as_number(v: Any, lo: float, hi: float) -> int | float | None:
    """``v`` as an int or float if it is a real number (not a bool) in [lo, hi], else None.

    Python ints stay ints; numpy integers become ints, other reals (numpy floats,
    fractions) floats.
    """
    v = _scalar(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    try:
        v = int(v) if isinstance(v, numbers.Integral) else (v if type(v) is float else float(v))
        f = float(v)
    except OverflowError:  # an int or fraction beyond float range
        return None
    return v if math.isfinite(f) and lo <= f <= hi else None


def _integer(name: str, v: Any, lo: int, hi: int) -> int:
    out = _as_integer(v, lo, hi)
    if out is None:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {show_value(v)}")
    return out


def _number(name: str, v: Any, lo: float, hi: float) -> int | float:
    out = _as_number(v, lo, hi)
    if out is None:
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {show_value(v)}")
    return out


def _flag(name: str, v: Any) -> bool:
    v = _scalar(v)
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {show_value(v)}")
    return bool(v)


def _choice(name: str, v: Any, allowed: tuple[str, ...]) -> str:
    v = _scalar(v)
    if not isinstance(v, str) or v not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {show_value(v)}")
    return str(v)  # np.str_ -> str


def _sequence(name: str, v: Any, what: str) -> tuple:
    """A tuple, list or 1-d numpy array as a tuple of Python values."""
    if isinstance(v, (tuple, list)):
        return tuple(v)
    if isinstance(v, np.ndarray) and v.ndim == 1:
        return tuple(v.tolist())
    raise ValueError(f"{name} must be {what} (a tuple, list or 1-d array), got {show_value(v)}")


def _numbers(name: str, v: Any, lo: float, hi: float, what: str, integer: bool = False,
             expected: str | None = None) -> tuple:
    """A non-empty sequence of numbers (integers if ``integer``) in [lo, hi], as a tuple.

    ``expected`` replaces the default description in the error message.
    """
    expected = expected or f"a non-empty tuple of {what} in [{lo}, {hi}]"
    values = _sequence(name, v, expected)
    if not values:
        raise ValueError(f"{name} must be {expected}, got ()")
    check = _as_integer if integer else _as_number
    out = []
    for i, x in enumerate(values):
        y = check(x, lo, hi)
        if y is None:
            raise ValueError(f"{name} must be {expected}; {name}[{i}] is {show_value(x)}")
        out.append(y)
    return tuple(out)


def _names(name: str, v: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty sequence of distinct names from ``allowed``, as a tuple of str."""
    expected = f"a non-empty tuple of distinct names from {allowed}"
    values = _sequence(name, v, expected)
    bad = [x for x in values if not isinstance(x, str) or x not in allowed]
    if not values or bad:
        raise ValueError(f"{name} must be {expected}, got {show_value(v)}")
    values = tuple(str(x) for x in values)
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must be {expected}; it repeats a name: {values!r}")
    return values


def _per_type(name: str, v: Any, n_types: int, check) -> Any:
    """One value for every host type, or a tuple of ``n_types`` (one per ``host_ram_gb`` type).

    ``check(label, value)`` validates and normalises one value.
    """
    if isinstance(v, (tuple, list)) or (isinstance(v, np.ndarray) and v.ndim == 1):
        values = _sequence(name, v, "")
        if len(values) != n_types:
            raise ValueError(f"{name} must be one value or a tuple of one per host_ram_gb type ({n_types}), "
                             f"got {len(values)} values {show_value(v)}")
        return tuple(check(f"{name}[{i}]", x) for i, x in enumerate(values))
    return check(name, v)


def _type_counts(v: Any, n_types: int, n_hosts: int) -> tuple[int, ...]:
    expected = (f"() or one non-negative integer per host_ram_gb type ({n_types}) summing to "
                f"n_hosts={n_hosts}")
    values = _sequence("host_type_counts", v, expected)
    counts = tuple(_as_integer(c, 0, n_hosts) for c in values)
    if counts and (len(counts) != n_types or None in counts or sum(counts) != n_hosts):
        raise ValueError(f"host_type_counts must be {expected}, got {show_value(v)}")
    return counts


def _app_weights(v: Any, applications: tuple[str, ...]) -> tuple[int | float, ...]:
    """() (uniform) or one non-negative weight per application with a positive sum."""
    if (isinstance(v, (tuple, list)) and not v) or (isinstance(v, np.ndarray) and v.shape == (0,)):
        return (1.0,) * len(applications)
    expected = (f"() (uniform) or one weight in [0, 1e9] per application {applications!r} "
                "with a positive sum")
    weights = _numbers("app_weights", v, 0.0, 1e9, "weights", expected=expected)
    if len(weights) != len(applications) or not sum(weights) > 0:
        raise ValueError(f"app_weights must be {expected}, got {weights!r}")
    return weights


def _weights_of(base: SplitPlaceConfig, applications: Any) -> tuple:
    """``app_weights`` for new ``applications`` given without weights: () (uniform) if
    ``base`` weighs its applications equally, else each application's weight in ``base``."""
    if len(set(base.app_weights)) == 1:
        return ()
    apps = _names("applications", applications, APPLICATIONS)
    weight = dict(zip(base.applications, base.app_weights))
    missing = [a for a in apps if a not in weight]
    if missing:
        raise ValueError(f"applications {missing} have no weight in the base config (its app_weights "
                         f"{base.app_weights!r} are for {base.applications!r}): give app_weights too")
    return tuple(weight[a] for a in apps)


def _fault_events(v: Any, n_hosts: int) -> tuple[tuple[int, int, int], ...]:
    """A fault trace: a sequence of (interval, host, duration) integer triples."""
    expected = (f"a tuple of (interval in [0, 10**7], host in [0, n_hosts - 1 = {n_hosts - 1}], "
                "duration in [1, 10**7]) integer triples")
    if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == 3:  # (events, 3)
        events = tuple(v)
    elif isinstance(v, np.ndarray) and v.shape == (0,):
        events = ()
    elif isinstance(v, (tuple, list)):
        events = tuple(v)
    else:
        raise ValueError(f"fault_events must be {expected}, got {show_value(v)}")
    out = []
    for i, event in enumerate(events):
        if isinstance(event, np.ndarray) and event.ndim == 1:
            event = tuple(event.tolist())
        if not isinstance(event, (tuple, list)) or len(event) != 3:
            raise ValueError(f"fault_events must be {expected}; fault_events[{i}] is {show_value(event)}")
        triple = (_as_integer(event[0], 0, 10**7), _as_integer(event[1], 0, n_hosts - 1),
                  _as_integer(event[2], 1, 10**7))
        if None in triple:
            raise ValueError(f"fault_events must be {expected}; fault_events[{i}] is {show_value(event)}")
        out.append(triple)
    return tuple(out)


def _mobility(v: Any) -> str:
    v = _scalar(v)
    if not isinstance(v, str) or not (v in ("random_waypoint", "static") or (v.startswith("sumo:") and len(v) > 5)):
        raise ValueError(f"mobility must be 'random_waypoint', 'static' or 'sumo:PATH', got {show_value(v)}")
    v = str(v)
    if v.startswith("sumo:package:"):
        if not _is_file(resources.files("splitplace_env.data").joinpath(v[len("sumo:package:"):])):
            raise ValueError(f"mobility trace not shipped: {v!r} (splitplace_env/data has no such file)")
    elif v.startswith("sumo:") and not _is_file(Path(v[5:])):
        raise ValueError(f"mobility trace file not found: {v[5:]!r} (mobility='sumo:PATH')")
    return v


def _profile(v: Any) -> str:
    v = _scalar(v)
    if isinstance(v, os.PathLike):
        v = os.fspath(v)
    if not isinstance(v, str) or not (v in ("analytic", "measured") or _is_file(Path(v))):
        raise ValueError(f"profile must be 'analytic', 'measured' or an existing JSON file path, got {show_value(v)}")
    return str(v)


def _is_file(path: Any) -> bool:
    """``path.is_file()``, False where the name itself is impossible (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def per_type(value, n_types: int) -> tuple:
    """A per-host-type field as a tuple of ``n_types`` values."""
    return tuple(value) if isinstance(value, tuple) else (value,) * n_types


#: Named presets. "paper" is SplitPlace-v0; the others differ only in fields.
PRESETS: Mapping[str, Mapping[str, Any]] = {
    "paper": {},
    "small": {"n_hosts": 4, "arrival_rate": 1.5, "max_tasks": 16, "max_episode_steps": 50},
    "large": {"n_hosts": 64, "arrival_rate": 24.0, "max_tasks": 256},
    "mnist": {"applications": ("MNIST",), "app_weights": (1.0,)},
    "fashionmnist": {"applications": ("FashionMNIST",), "app_weights": (1.0,)},
    "cifar100": {"applications": ("CIFAR100",), "app_weights": (1.0,)},
    "sumo": {"mobility": "sumo:package:traces/sumo_grid.csv"},
    # The authors' released code (github.com/imperial-qore/SplitPlace: its host, workload and
    # container settings): 10 Azure VMs
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
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"unknown preset {show_value(name)}; presets: {sorted(PRESETS)}")
    return SplitPlaceConfig.from_kwargs(**{**PRESETS[name], **overrides})


__all__ = [
    "ARRIVAL_PROCESSES",
    "REWARD_KINDS",
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
    "show_value",
]
