"""Property tests: arbitrary values of arbitrary types into the config, the resolution and the codec.

Every input either works (and then is stored in canonical form and an environment
runs on it) or raises a ``ValueError`` that names the field (or codec argument) it
came in; no other exception type ever escapes. The valid values of each field are
re-stated here from ``SplitPlaceConfig``'s docstring as an independent oracle: valid
values must be accepted, values of the wrong kind must be refused.

Example counts are fixed per test (``EXAMPLES``); ``pytest --hypothesis-show-statistics``
prints what ran.
"""

from __future__ import annotations

import dataclasses
import decimal
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from splitplace_env import ActionCodec, SplitPlaceConfig, SplitPlaceEnv
from splitplace_env.config import (APPLICATIONS, ARRIVAL_PROCESSES, HOST_MODELS, MAX_FRAGMENTS_PER_TASK,
                                   MEMORY_MODELS, PRESETS, REWARD_KINDS, SPLIT_MODES)

#: Examples per test: about 40 s in all on one core.
EXAMPLES = {"any": 1500, "valid": 400, "wrong": 800, "resolve": 500, "encode": 1500, "decode": 800}

FIELDS = tuple(f.name for f in dataclasses.fields(SplitPlaceConfig))
N_TYPES = len(SplitPlaceConfig().host_ram_gb)  # the default's host types (2)

# --------------------------------------------------------------------------- the oracle
#: Integer fields and their bounds.
INTS = {"n_hosts": (1, 4096), "max_episode_steps": (1, 10**7), "max_tasks": (1, 8192), "min_sla": (1, 1000),
        "stream_chunk_samples": (1, 10**7), "max_containers": (0, 10**6)}
#: Real-valued fields and their bounds.
REALS = {"mobile_fraction": (0.0, 1.0), "interval_s": (1.0, 3600.0), "arrival_rate": (0.0, 1e4),
         "alpha": (0.0, 1.0), "beta": (0.0, 1.0), "response_norm": (1.0, 1e4), "compute_scale": (1e-3, 1e3),
         "runtime_overhead_mb": (0.0, 1e5), "swap_mb": (0.0, 1e7), "placeholder_mb": (0.0, 1e6),
         "arrival_std": (0.0, 1e4), "transfer_compression": (1e-3, 1.0), "fault_rate": (0.0, 1.0),
         "fault_recovery_rate": (0.0, 1.0)}
FLAGS = ("accuracy_noise", "live_inference", "hide_unmeasured", "container_costs", "migration")
CHOICES = {"memory_model": MEMORY_MODELS, "arrival_process": ARRIVAL_PROCESSES,
           "mobility": ("random_waypoint", "static", "sumo:package:traces/sumo_grid.csv"),
           "profile": ("analytic", "measured"), "reward": REWARD_KINDS}
SEQUENCES = ("host_ram_gb", "app_weights", "applications", "split_modes", "layer_intervals", "host_type_counts")
PER_TYPE = ("host_cores", "host_speed", "host_power")
#: Sequences of (interval, host, duration) triples (16 hosts by default).
EVENTS = ("fault_events",)
assert set(FIELDS) == (set(INTS) | set(REALS) | set(FLAGS) | set(CHOICES) | set(SEQUENCES) | set(PER_TYPE)
                       | set(EVENTS))

NAMES = APPLICATIONS + SPLIT_MODES + HOST_MODELS + MEMORY_MODELS + ARRIVAL_PROCESSES + CHOICES["mobility"] + (
    "analytic", "measured", "sumo:", "sumo:/no/file.csv")


def numpy_int(n: int, hashable: bool = False) -> st.SearchStrategy:
    """``n`` as a Python int or one of the numpy integer types that hold it (or, unless
    ``hashable``, a 0-d array)."""
    kinds = [int, np.int64] + ([] if hashable else [lambda x: np.array(x)])
    if -2**31 <= n < 2**31:
        kinds.append(np.int32)
    if 0 <= n < 2**16:
        kinds.append(np.uint16)
    return st.sampled_from(kinds).map(lambda k: k(n))


def _float32(x: float) -> np.float32:
    with np.errstate(over="ignore"):  # beyond float32's range is inf, fine for a wrong value
        return np.float32(x)


def numpy_real(x: float) -> st.SearchStrategy:
    """``x`` as a Python float, a numpy float64 / float32, or a 0-d array."""
    return st.sampled_from([float, np.float64, _float32, lambda v: np.array(v)]).map(lambda k: k(x))


def real_in(lo: float, hi: float) -> st.SearchStrategy:
    """Valid reals in [lo, hi], bounds included, as any accepted type."""
    ints = st.integers(math.ceil(lo), math.floor(hi)).flatmap(numpy_int)
    floats = st.floats(lo, hi).flatmap(numpy_real).filter(lambda v: lo <= float(v) <= hi)
    return st.one_of(ints, floats, st.sampled_from([lo, hi]))


def sequence_of(elements: st.SearchStrategy, min_size: int, max_size: int) -> st.SearchStrategy:
    """A tuple, list or (where the elements allow) 1-d numpy array."""
    lists = st.lists(elements, min_size=min_size, max_size=max_size)
    return st.one_of(lists, lists.map(tuple), lists.map(lambda xs: np.array(xs) if xs else np.array([])))


def valid_value(field: str) -> st.SearchStrategy:
    """Values of ``field`` that are valid with every other field at its default."""
    if field in INTS:
        lo, hi = INTS[field]
        if field == "min_sla":  # below the default layer_intervals' smallest (7)
            hi = 6
        return st.integers(lo, hi).flatmap(numpy_int)
    if field in REALS:
        return real_in(*REALS[field])
    if field == "hide_unmeasured":  # True needs placeholder_mb > 0 (default 0)
        return st.sampled_from([False, np.bool_(False)])
    if field in FLAGS:
        return st.sampled_from([True, False, np.bool_(True), np.bool_(False)])
    if field in CHOICES:
        return st.sampled_from(CHOICES[field]).flatmap(lambda s: st.sampled_from([s, np.str_(s)]))
    if field == "host_ram_gb":
        return sequence_of(real_in(0.5, 1024.0), 1, 5)
    if field == "app_weights":
        weights = st.lists(st.floats(0.0, 1e9), min_size=3, max_size=3).filter(lambda w: sum(w) > 0)
        return st.one_of(st.just(()), weights, weights.map(tuple), weights.map(np.array))
    if field in ("applications", "split_modes"):
        allowed = APPLICATIONS if field == "applications" else SPLIT_MODES
        names = st.lists(st.sampled_from(allowed), min_size=1, max_size=len(allowed), unique=True)
        return st.one_of(names, names.map(tuple), names.map(np.array))
    if field == "layer_intervals":
        return sequence_of(st.integers(3, 10**7), 3, 3)
    if field == "host_type_counts":
        return st.one_of(st.just(()), st.integers(0, 16).map(lambda a: (a, 16 - a)),
                         st.integers(0, 16).map(lambda a: np.array([a, 16 - a])))
    if field == "host_cores":
        return st.one_of(st.integers(1, 256).flatmap(numpy_int), sequence_of(st.integers(1, 256), N_TYPES, N_TYPES))
    if field == "host_speed":
        return st.one_of(real_in(1e-3, 1e3), st.lists(st.floats(1e-3, 1e3), min_size=N_TYPES, max_size=N_TYPES))
    if field == "host_power":
        one = st.sampled_from(HOST_MODELS)
        return st.one_of(one, st.lists(one, min_size=N_TYPES, max_size=N_TYPES).map(tuple))
    if field == "fault_events":
        triple = st.tuples(st.integers(0, 10**7).flatmap(numpy_int), st.integers(0, 15).flatmap(numpy_int),
                           st.integers(1, 10**7).flatmap(numpy_int))
        plain = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 15), st.integers(1, 50)), min_size=1,
                         max_size=4)
        return st.one_of(st.just(()), st.lists(triple, max_size=4), st.lists(triple, max_size=4).map(tuple),
                         plain.map(lambda es: [list(e) for e in es]), plain.map(np.array))
    raise AssertionError(field)


#: Values that are no number, no bool and no name: wrong for every scalar field.
NOT_SCALARS = st.one_of(st.none(), st.binary(max_size=3), st.complex_numbers(max_magnitude=10).map(
    lambda z: complex(z.real, z.imag or 1.0)), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2), st.just(object()),
    st.decimals(allow_nan=False, allow_infinity=False))


def wrong_kind(field: str) -> st.SearchStrategy:
    """Values of ``field`` of a kind it does not take (never a coercible look-alike)."""
    text_numbers = st.one_of(st.integers(), st.floats()).map(str)
    if field in INTS:
        lo, hi = INTS[field]
        floats = st.one_of(st.integers(lo, hi).map(float), st.floats(allow_nan=True)).flatmap(numpy_real)
        return st.one_of(floats, text_numbers, st.booleans(), st.just(np.bool_(True)), NOT_SCALARS,
                         st.integers(lo, hi).map(lambda n: [n]))
    if field in REALS:
        return st.one_of(text_numbers, st.booleans(), st.just(np.bool_(False)), NOT_SCALARS,
                         real_in(*REALS[field]).map(lambda x: (x,)))
    if field in FLAGS:
        return st.one_of(st.integers(0, 1), st.floats(0, 1), st.sampled_from(["True", "False", "yes"]), NOT_SCALARS)
    if field in CHOICES:
        return st.one_of(st.integers(), st.floats(), st.booleans(), NOT_SCALARS,
                         st.sampled_from(CHOICES[field]).map(lambda s: [s]),
                         st.sampled_from(CHOICES[field]).map(lambda s: s.encode()))
    if field in ("host_ram_gb", "app_weights", "layer_intervals", "host_type_counts"):
        elements = st.one_of(text_numbers, st.booleans(), st.none(), st.just([1]))
        if field in ("layer_intervals", "host_type_counts"):
            elements = st.one_of(elements, st.integers(1, 9).map(float))
        return st.one_of(text_numbers, st.sets(st.integers(1, 9), min_size=1, max_size=3), NOT_SCALARS,
                         st.lists(elements, min_size=1, max_size=3).map(tuple),
                         st.just(np.ones((2, 2))))
    if field in ("applications", "split_modes"):
        allowed = APPLICATIONS if field == "applications" else SPLIT_MODES
        return st.one_of(st.sampled_from(allowed), st.integers(), NOT_SCALARS,
                         st.lists(st.one_of(st.integers(), st.sampled_from(allowed).map(str.encode)), min_size=1,
                                  max_size=3))
    if field == "fault_events":
        bad_entry = st.one_of(st.floats(0.5, 9.5), text_numbers, st.booleans(), st.none(), st.integers(-5, -1))
        bad_triple = st.one_of(st.tuples(bad_entry, st.integers(0, 15), st.integers(1, 9)),
                               st.tuples(st.integers(0, 9), st.integers(16, 99), st.integers(1, 9)),  # no such host
                               st.tuples(st.integers(0, 9), st.integers(0, 15), st.integers(-3, 0)),  # no duration
                               st.lists(st.integers(0, 9), min_size=0, max_size=2).map(tuple), st.integers())
        return st.one_of(text_numbers, NOT_SCALARS, st.lists(bad_triple, min_size=1, max_size=3),
                         st.just((0, 1, 2)), st.just(np.ones((2, 2))), st.just(np.ones(3)))
    if field in PER_TYPE:
        bad = st.one_of(text_numbers if field != "host_power" else st.integers(), st.booleans(), NOT_SCALARS)
        if field == "host_cores":
            bad = st.one_of(bad, st.integers(1, 9).map(float))
        return st.one_of(bad, st.lists(bad, min_size=N_TYPES, max_size=N_TYPES).map(tuple))
    raise AssertionError(field)


# --------------------------------------------------------------------------- arbitrary values
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6), st.binary(max_size=3),
    # No Decimal NaNs here: a signalling one cannot even be a dict key (it has its own test).
    st.complex_numbers(max_magnitude=1e3), st.fractions(), st.decimals(allow_nan=False), st.sampled_from(NAMES),
    st.integers(-2**63, 2**63 - 1).map(np.int64), st.integers(0, 255).map(np.uint8),
    st.floats(width=32).map(np.float32), st.floats().map(np.float64), st.booleans().map(np.bool_),
    st.text(max_size=4).map(np.str_),
)
ARRAYS = hnp.arrays(dtype=st.sampled_from([np.int64, np.float64, np.float32, np.bool_, np.dtype("U8")]),
                    shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
ANY = st.recursive(st.one_of(SCALARS, ARRAYS),
                   lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                                           st.dictionaries(st.text(max_size=2), inner, max_size=2)),
                   max_leaves=6)


def value_for(field: str) -> st.SearchStrategy:
    """Anything at all, half of the time something valid or nearly so for ``field``."""
    return st.one_of(ANY, valid_value(field), wrong_kind(field))


def canonical(v) -> bool:
    """A stored config value: a Python int / float / bool / str, or a tuple of them."""
    items = v if isinstance(v, tuple) else (v,)
    if items and all(type(x) is tuple for x in items):  # fault_events: triples of ints
        return all(len(x) == 3 and all(type(y) is int for y in x) for x in items)
    return all(type(x) in (int, float, bool, str) for x in items)


def runs(cfg: SplitPlaceConfig) -> None:
    """An environment builds, resets and steps on ``cfg`` (live inference is not run: it needs torch)."""
    if cfg.live_inference:
        cfg = dataclasses.replace(cfg, live_inference=False)
    env = SplitPlaceEnv(cfg)
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    obs, reward, *_ = env.step(env.codec.noop())
    assert np.all(np.isfinite(reward)) and obs in env.observation_space  # a vector reward too


FIELD_AND_ANY = st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), value_for(f)))
SLOW_OK = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much], deadline=None)


@pytest.mark.slow
@settings(SLOW_OK, max_examples=EXAMPLES["any"])
@given(FIELD_AND_ANY)
def test_any_value_for_any_field_works_or_names_the_field(field_value) -> None:
    """Accepted -> canonical and an env runs when the value is new; refused -> ValueError naming the field."""
    field, value = field_value
    try:
        cfg = SplitPlaceConfig.from_kwargs(**{field: value})
    except ValueError as e:
        event("refused")
        assert field in str(e), f"{field}: {e}"
        return
    event("accepted")
    stored = getattr(cfg, field)
    assert canonical(stored), f"{field} stored {stored!r}"
    assert cfg == SplitPlaceConfig(**cfg.to_dict()), "the stored form is a fixed point"
    if cfg != SplitPlaceConfig():
        runs(cfg)


@pytest.mark.slow
@settings(SLOW_OK, max_examples=EXAMPLES["valid"])
@given(st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), valid_value(f))))
def test_valid_values_are_accepted_as_given_and_run(field_value) -> None:
    """Each field's valid values (Python or numpy) are accepted, equal to what was given, and run."""
    field, value = field_value
    cfg = SplitPlaceConfig.from_kwargs(**{field: value})
    stored = getattr(cfg, field)
    assert canonical(stored)
    if field == "app_weights" and len(value) == 0:
        assert stored == (1.0,) * len(cfg.applications)
    elif field == "fault_events":
        assert stored == tuple(tuple(int(x) for x in e) for e in value)
    elif isinstance(value, (tuple, list, np.ndarray)) and np.ndim(value) == 1:
        assert stored == tuple(np.asarray(value).tolist())
    else:
        assert stored == np.asarray(value).item()
    runs(cfg)


@settings(SLOW_OK, max_examples=EXAMPLES["wrong"])
@given(st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), wrong_kind(f))))
def test_values_of_the_wrong_kind_are_refused_naming_the_field(field_value) -> None:
    """Strings, bools, bytes, None, complex and nested values where they do not belong raise ValueError."""
    field, value = field_value
    with pytest.raises(ValueError, match=field):
        SplitPlaceConfig.from_kwargs(**{field: value})


# --------------------------------------------------------------------------- resolution (gym.make's kwargs)
def mostly(valid: st.SearchStrategy, junk: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` three times in four, else ``junk``."""
    return st.integers(0, 3).flatmap(lambda i: junk if i == 0 else valid)


PRESET_ARG = mostly(st.one_of(st.none(), st.sampled_from(sorted(PRESETS))), SCALARS)
CONFIG_ARG = mostly(st.one_of(st.none(), st.builds(SplitPlaceConfig, n_hosts=st.integers(1, 8),
                                                   max_episode_steps=st.sampled_from([30, 50, 100]))), SCALARS)
STEPS_ARG = mostly(st.one_of(st.none(), st.integers(1, 300), st.sampled_from([50, 100])),
                   st.one_of(st.integers(-2, 0), SCALARS))
FIELD_AND_MOSTLY_VALID = st.sampled_from(FIELDS).flatmap(
    lambda f: st.tuples(st.just(f), mostly(valid_value(f), value_for(f))))


@settings(SLOW_OK, max_examples=EXAMPLES["resolve"])
@given(PRESET_ARG, CONFIG_ARG, STEPS_ARG, FIELD_AND_MOSTLY_VALID)
def test_resolution_works_or_names_what_is_wrong(name, config, steps, field_value) -> None:
    """preset / config= / max_episode_steps / a field: a config whose episode length is the limit, or a ValueError."""
    field, value = field_value
    kwargs = {field: value}
    if name is not None:
        kwargs["preset"] = name
    if steps is not None:
        kwargs["max_episode_steps"] = steps
    try:
        cfg = SplitPlaceConfig.resolve(config, None, **kwargs)
    except ValueError as e:
        event("refused")
        assert any(w in str(e) for w in ("preset", "config", "max_episode_steps", field)), str(e)
        return
    event("accepted")
    assert isinstance(cfg, SplitPlaceConfig) and canonical(getattr(cfg, field))
    if steps is not None:
        assert cfg.max_episode_steps == int(steps), "the episode length is the limit given"
    elif field != "max_episode_steps":
        base = config if isinstance(config, SplitPlaceConfig) else (
            SplitPlaceConfig.from_kwargs(**PRESETS[name]) if name else SplitPlaceConfig())
        assert cfg.max_episode_steps == base.max_episode_steps


# --------------------------------------------------------------------------- the codec
T, H, MODES = 3, 4, ("layer", "semantic", "compressed")
CODEC = ActionCodec(T, H, MODES)
KEYS = st.one_of(SCALARS, st.tuples(SCALARS, SCALARS), st.tuples(st.integers(-1, T), st.integers(-1, 6)),
                 st.integers(-2, T * MAX_FRAGMENTS_PER_TASK + 2))
SPLIT_VALUES = st.one_of(SCALARS, st.sampled_from(MODES), st.integers(-1, len(MODES) + 1))
HOST_VALUES = st.one_of(SCALARS, st.integers(-1, H + 1))
GOOD_SPLIT = st.one_of(st.none(), st.sampled_from(MODES), st.integers(0, len(MODES) - 1).flatmap(numpy_int))
def key_int(lo: int, hi: int) -> st.SearchStrategy:
    return st.integers(lo, hi).flatmap(lambda n: numpy_int(n, hashable=True))


GOOD_KEY = st.one_of(key_int(0, T * MAX_FRAGMENTS_PER_TASK - 1),
                     st.tuples(key_int(0, T - 1), key_int(0, MAX_FRAGMENTS_PER_TASK - 1)))
GOOD_HOST = st.one_of(st.none(), st.integers(0, H - 1).flatmap(numpy_int))
SPLITS = mostly(st.one_of(st.dictionaries(st.integers(0, T - 1), GOOD_SPLIT, max_size=T),
                          st.lists(GOOD_SPLIT, max_size=T)),
                st.one_of(ANY, st.dictionaries(st.one_of(SCALARS, st.integers(-1, T)), SPLIT_VALUES, max_size=4),
                          st.lists(SPLIT_VALUES, max_size=T + 1)))
PLACEMENTS = mostly(st.dictionaries(GOOD_KEY, GOOD_HOST, max_size=6),
                    st.one_of(ANY, st.dictionaries(KEYS, HOST_VALUES, max_size=4)))


def expected_action(splits, placements) -> np.ndarray | None:
    """The oracle: the flat action, or None if any entry is invalid."""
    def index(v, n):
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v[()]
        ok = isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and 0 <= v < n
        return int(v) if ok else None

    a = np.zeros(CODEC.size, dtype=np.int64)
    if splits is None:
        items = []
    elif isinstance(splits, dict):
        items = list(splits.items())
    elif isinstance(splits, np.ndarray) and splits.ndim == 1 and len(splits) <= T:
        items = list(enumerate(splits.tolist()))
    elif isinstance(splits, (list, tuple)) and len(splits) <= T:
        items = list(enumerate(splits))
    else:
        return None
    for k, s in items:
        k = index(k, T)
        if k is None:
            return None
        if s is None:
            continue
        s = MODES.index(s) if isinstance(s, str) and s in MODES else (None if isinstance(s, str) else index(s, 3))
        if s is None:
            return None
        a[k] = s
    if placements is None:
        return a
    if not isinstance(placements, dict):
        return None
    for key, h in placements.items():
        if isinstance(key, tuple):
            if len(key) != 2 or index(key[0], T) is None or index(key[1], MAX_FRAGMENTS_PER_TASK) is None:
                return None
            f = index(key[0], T) * MAX_FRAGMENTS_PER_TASK + index(key[1], MAX_FRAGMENTS_PER_TASK)
        else:
            f = index(key, T * MAX_FRAGMENTS_PER_TASK)
            if f is None:
                return None
        if h is None:
            continue
        if index(h, H) is None:
            return None
        a[T + f] = index(h, H) + 1
    return a


@settings(SLOW_OK, max_examples=EXAMPLES["encode"])
@given(st.one_of(st.none(), SPLITS), st.one_of(st.none(), PLACEMENTS))
def test_encode_matches_the_oracle_or_names_the_argument(splits, placements) -> None:
    """encode: the oracle's action for valid input, else a ValueError naming splits or placements."""
    expected = expected_action(splits, placements)
    event("valid" if expected is not None else "invalid")
    try:
        a = CODEC.encode(splits=splits, placements=placements)
    except ValueError as e:
        assert expected is None, f"valid input refused: {e}"
        assert "splits" in str(e) or "placements" in str(e), str(e)
        return
    assert expected is not None, f"invalid input accepted: {a}"
    np.testing.assert_array_equal(a, expected)
    assert a.dtype == np.int64 and ((a >= 0) & (a < CODEC.nvec)).all()


ACTIONS = st.one_of(
    ANY,
    hnp.arrays(dtype=st.sampled_from([np.int64, np.int8, np.uint64, np.float64, np.float32, np.bool_]),
               shape=st.sampled_from([(CODEC.size,), (CODEC.size - 1,), (1, CODEC.size)])),
    st.lists(st.integers(-2**70, 2**70), min_size=CODEC.size, max_size=CODEC.size),
)


@settings(SLOW_OK, max_examples=EXAMPLES["decode"])
@given(ACTIONS)
def test_decode_reads_or_names_the_action(action) -> None:
    """decode: a readable structure that re-encodes to the in-range part, or a ValueError naming the action."""
    try:
        d = CODEC.decode(action)
    except ValueError as e:
        event("refused")
        assert "action" in str(e), str(e)
        return
    event("decoded")
    a = np.asarray(action)
    assert a.shape == (CODEC.size,) and (a.dtype.kind in "iu" or a.dtype.kind == "f")
    again = CODEC.encode(splits=d["splits"], placements=d["placements"])
    keep = (a >= 0) & (a < CODEC.nvec)
    np.testing.assert_array_equal(again[keep], a[keep].astype(np.int64))


def test_decimal_signalling_nan_is_refused_cleanly() -> None:
    """A value whose comparisons raise (Decimal sNaN) is still a ValueError naming the field."""
    for field in ("n_hosts", "alpha", "max_episode_steps"):
        with pytest.raises(ValueError, match=field):
            SplitPlaceConfig.from_kwargs(**{field: decimal.Decimal("sNaN")})
