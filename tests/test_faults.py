"""Host faults (``kernels.host_faults``) on hand-built cases, and the vector reward.

The hand-built cases put one task on a two-host wired cluster by writing the
engine's state (as ``test_memory_model.py`` does), with no arrivals, and follow a
fault trace interval by interval.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core.engine import READY, RUNNING, EdgeEngine
from splitplace_env.core.layout import COUNTERS, STATS, STEP_COUNTS
from splitplace_env.core.workload import FAULT_STREAM
from splitplace_env.rewards import OBJECTIVES, eq8_weights

LAYER = 0
#: The trace of the hand-built cases: host 0 down for intervals 2 and 3.
TRACE = ((2, 0, 2),)


def engine_with_task(**overrides) -> EdgeEngine:
    """A two-host engine holding one MNIST task that was split (layer) in interval 0.

    After this the engine stands at the start of interval 1, fragment 0 ready.
    """
    cfg = SplitPlaceConfig(**{"n_hosts": 2, "host_ram_gb": (8.0,), "mobile_fraction": 0.0, "mobility": "static",
                              "arrival_rate": 0.0, "max_tasks": 1, "container_costs": False,
                              "accuracy_noise": False, **overrides})
    e = EdgeEngine(cfg)
    e.reset(0)
    e.task_active[0], e.task_new[0] = True, True
    e.task_id[0], e.task_app[0], e.task_batch[0] = 0, 0, 2000
    e.task_sla[0], e.task_arrival[0], e.task_start[0], e.task_finish[0] = 100.0, -1.0, np.nan, 0.0
    e.task_split[0], e.task_left[0] = -1, 0
    e.step(np.array([LAYER]), np.zeros(5, dtype=np.int64))  # split only: fragment 0 ready
    # A long fragment (10 hours of work) that cannot finish within the case.
    e.frag_work[0] = e.frag_work_total[0] = 36_000.0
    return e


def place_on(e: EdgeEngine, host: int | None):
    hosts = np.zeros(5, dtype=np.int64)
    if host is not None:
        hosts[0] = host + 1
    return e.step(np.zeros(1, dtype=np.int64), hosts)


def stat(e: EdgeEngine, name: str) -> float:
    if name in STEP_COUNTS:  # the interval's counts sit with the counters
        return float(e.counters[COUNTERS.index(name)])
    return float(e.stats[STATS.index(name)])


def host_rows(e: EdgeEngine) -> np.ndarray:
    """(5, H + 1) host rows of the mask for the task's five fragment slots."""
    out = np.empty(e.mask_size, dtype=bool)
    e.action_masks(out)
    return out[e.n_tasks * e.n_splits:].reshape(5, e.n_hosts + 1)


def test_a_trace_takes_a_host_down_and_its_fragment_waits_again() -> None:
    """Interval by interval, with host 0 down for intervals 2 and 3:

    * interval 1: fragment 0 starts on host 0 and books its RAM there;
    * start of interval 2: host 0 goes down; the fragment loses its progress (READY, no host,
      all its work ahead, to be measured anew), host 0's books drop to 0, one restart counted;
      the observation shows host 0 with no capacity and the mask never offers it;
    * interval 2: placing it on host 0 is refused (infeasible); it keeps waiting;
    * interval 3: host 0 is still down; at the start of interval 4 it is up again and takes the fragment.
    """
    e = engine_with_task(fault_events=TRACE)
    assert e.t == 1 and e.frag_state[0] == READY and list(e.host_up) == [1.0, 1.0]

    place_on(e, 0)  # interval 1
    assert e.t == 2
    assert e.frag_state[0] == READY and e.frag_host[0] == -1, "the fragment on the failed host waits again"
    assert e.frag_work[0] == e.frag_work_total[0] == 36_000.0, "its progress is lost"
    assert e.frag_measured[0] == 0
    assert e.ram_used[0] == 0.0 and e.disk_used[0] == 0.0, "the failed host's memory is freed"
    assert stat(e, "fault_restarts") == 1.0
    assert list(e.host_up) == [0.0, 1.0]
    assert e.obs["hosts"][0, 5] == 0.0 and e.obs["hosts"][1, 5] > 0.0, "ram_capacity is the up flag"
    assert e.obs["hosts"][0, 4] == 0.0 and e.obs["hosts"][0, 6] == 0.0
    rows = host_rows(e)
    assert not rows[0, 1] and rows[0, 2], "the mask offers host 1, never the down host 0"

    place_on(e, 0)  # interval 2: refused
    assert stat(e, "infeasible") == 1.0 and stat(e, "placements") == 0.0
    assert e.frag_state[0] == READY and list(e.host_up) == [0.0, 1.0]  # interval 3 still down

    place_on(e, None)  # interval 3
    assert e.t == 4 and list(e.host_up) == [1.0, 1.0] and host_rows(e)[0, 1]
    place_on(e, 0)  # interval 4: host 0 is back
    assert stat(e, "placements") == 1.0 and e.frag_state[0] == RUNNING and e.frag_host[0] == 0
    assert stat(e, "fault_restarts") == 0.0


def test_a_fragment_on_the_other_host_is_untouched() -> None:
    """The fault takes down host 0 only: a fragment running on host 1 keeps its progress."""
    e = engine_with_task(fault_events=TRACE)
    place_on(e, 1)
    assert e.frag_state[0] == RUNNING and e.frag_host[0] == 1
    assert e.frag_work[0] < e.frag_work_total[0]
    assert stat(e, "fault_restarts") == 0.0


def test_faults_off_draw_nothing_and_keep_every_host_up() -> None:
    """By default (SplitPlace-v0) no host ever fails and the fault stream is never drawn from."""
    env = gym.make("SplitPlace-v0")
    env.reset(seed=3)
    eng = env.unwrapped.engine
    start = int(eng._rng_state[FAULT_STREAM])
    for _ in range(20):
        _, _, _, _, info = env.step(env.action_space.sample())
        assert np.all(info["host_up"] == 1.0) and info["fault_restarts"] == 0
    assert int(eng._rng_state[FAULT_STREAM]) == start


def test_random_faults_are_down_the_expected_share_of_the_time() -> None:
    """Fail with p = 0.1 per interval, recover with q = 0.4: a two-state Markov chain whose
    stationary down share is p / (p + q) = 0.2. 50 hosts x 400 intervals."""
    p, q = 0.1, 0.4
    env = gym.make("SplitPlace-v0", n_hosts=50, arrival_rate=0.0, mobility="static", fault_rate=p,
                   fault_recovery_rate=q, max_episode_steps=400)
    env.reset(seed=11)
    noop = np.zeros(env.action_space.shape, dtype=np.int64)
    down = []
    for _ in range(400):
        _, _, _, _, info = env.step(noop)
        down.append(1.0 - info["host_up"])
    share = float(np.mean(down[50:]))
    # 50 x 350 samples with a mixing time of about 1 / (p + q) = 2 intervals: std ~ 0.005.
    assert abs(share - p / (p + q)) < 0.03, share


def test_faults_never_change_the_tasks() -> None:
    """The same seed gives the same arrivals with and without faults (faults draw from their own
    stream): every task's application, batch and deadline, and the arrival counts."""
    def tasks(**kw) -> tuple[list[int], dict[int, tuple]]:
        env = gym.make("SplitPlace-v0", **kw)
        obs, info = env.reset(seed=5)
        arrived, seen = [], {}
        codec = env.unwrapped.codec
        for t in range(30):
            p = info["pending"]
            for tid, a, b, s in zip(p["task_id"].tolist(), p["app"].tolist(), p["batch"].tolist(),
                                    p["sla"].tolist()):
                seen[tid] = (a, b, s)
            new = p["slot"].tolist()
            action = codec.encode(splits={k: "semantic" for k in new},
                                  placements={(k, j): (k + j) % codec.n_hosts for k in new for j in range(5)})
            obs, _, _, _, info = env.step(action)
            arrived.append(info["arrived_total"])
        return arrived, seen

    arrived_a, seen_a = tasks()
    arrived_b, seen_b = tasks(fault_rate=0.3, fault_recovery_rate=0.3)
    assert arrived_a == arrived_b
    common = seen_a.keys() & seen_b.keys()
    assert len(common) > 50
    assert all(seen_a[k] == seen_b[k] for k in common)


def test_fault_config_is_validated() -> None:
    ok = SplitPlaceConfig(fault_events=np.array([[0, 1, 2], [5, 0, 1]]))
    assert ok.fault_events == ((0, 1, 2), (5, 0, 1))
    assert SplitPlaceConfig(fault_rate=np.float32(0.25)).fault_rate == 0.25
    bad = [({"fault_rate": 1.5}, "fault_rate"), ({"fault_rate": "0.1"}, "fault_rate"),
           ({"fault_recovery_rate": -0.1}, "fault_recovery_rate"),
           ({"fault_events": ((0, 16, 1),)}, r"fault_events\[0\]"),  # host 16 of 16 hosts
           ({"fault_events": ((0, 1, 0),)}, r"fault_events\[0\]"),   # zero duration
           ({"fault_events": ((0.5, 1, 1),)}, r"fault_events\[0\]"),
           ({"fault_events": ((0, 1),)}, r"fault_events\[0\]"),
           ({"fault_events": "0,1,2"}, "fault_events"),
           ({"reward": "vectors"}, "reward")]
    for kwargs, field in bad:
        with pytest.raises(ValueError, match=field):
            SplitPlaceConfig(**kwargs)


# --------------------------------------------------------------------------- vector reward
def test_vector_reward_follows_mo_gymnasium_and_scalarises_to_eq8() -> None:
    env = gym.make("SplitPlace-v0", reward="vector", disable_env_checker=True)
    base = env.unwrapped
    assert base.reward_space.shape == (3,) and base.reward_dim == len(OBJECTIVES) == 3
    env.reset(seed=0)
    w = eq8_weights(base.config.alpha, base.config.beta)
    seen_finish = False
    for _ in range(15):
        _, r, _, _, info = env.step(env.action_space.sample())
        assert isinstance(r, np.ndarray) and r.dtype == np.float32 and r in base.reward_space
        t = info["rewards"]
        assert r.tolist() == pytest.approx([t["qos"], -t["aec"], -t["art"]], abs=1e-6)
        assert float(np.dot(r, w)) == pytest.approx(t["reward"], abs=1e-6)
        seen_finish = seen_finish or t["n_finished"] > 0
    assert seen_finish, "no task finished: the QoS and ART terms were never exercised"


def test_mo_gymnasium_linear_reward_gives_the_scalar_reward() -> None:
    mo = pytest.importorskip("mo_gymnasium")
    vec = mo.wrappers.LinearReward(gym.make("SplitPlace-v0", reward="vector", disable_env_checker=True),
                                   weight=eq8_weights(0.5, 0.5))
    scalar = gym.make("SplitPlace-v0")
    vec.reset(seed=4)
    scalar.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(10):
        a = rng.integers(0, scalar.action_space.nvec)
        _, rv, _, _, info = vec.step(a)
        _, rs, _, _, _ = scalar.step(a)
        assert float(rv) == pytest.approx(rs, abs=1e-6)
        assert info["vector_reward"].shape == (3,)


def test_vector_env_vector_reward_rows() -> None:
    venv = gym.make_vec("SplitPlace-v0", num_envs=3, reward="vector")
    venv.reset(seed=0)
    assert venv.reward_space.shape == (3,)
    _, r, _, _, info = venv.step(venv.action_space.sample())
    assert r.shape == (3, 3) and r.dtype == np.float32
    np.testing.assert_allclose(r[:, 0], info["rewards"]["qos"], atol=1e-6)
    np.testing.assert_allclose(r[:, 1], -info["rewards"]["aec"], atol=1e-6)
    assert info["host_up"].shape == (3, 16) and info["fault_restarts"].shape == (3,)
