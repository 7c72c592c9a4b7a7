"""Semantics of the emulated cluster (core/engine.py, core/metrics.py, core/cluster.py).

These tests drive the engine through the env (the public API) and read the
engine's documented views (``task_counts``, ``ram_used``, ``hosts``, energies)
where the API has no equivalent.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from splitplace_env.config import PRESETS, APPLICATIONS, SplitPlaceConfig
from splitplace_env.core import cluster, metrics

ALL_MODES = ("layer", "semantic", "compressed", "layer2", "layer1")
#: Split mode -> (fragments, ready at once): layer chain of 4, 5 parallel branches,
#: 1 compressed fragment, a 2-chain, 1 whole-model fragment.
STRUCTURE = {"layer": (4, 1), "semantic": (5, 5), "compressed": (1, 1), "layer2": (2, 1), "layer1": (1, 1)}
CHAIN_LEN = {"layer": 4, "semantic": 1, "compressed": 1, "layer2": 2, "layer1": 1}


def _greedy_action(env: gym.Env, obs: dict, split_of=lambda k: 0) -> np.ndarray:
    """Splits new tasks by ``split_of(slot)``; puts each ready fragment on the host with most free RAM.

    Uses only the observation, the mask and the codec; RAM committed within the
    step is tracked so the placements fit together.

    Args:
        env: the environment.
        obs: the current observation.
        split_of: slot -> split index.

    Returns:
        The flat action.
    """
    base = env.unwrapped
    codec = base.codec
    split_rows, host_rows = codec.split_masks(base.action_masks())
    a = codec.noop()
    for k in np.flatnonzero(obs["tasks"][:, 1] == 1.0).tolist():
        a[k] = split_of(k)
    scale = codec.scales["ram_mb"]
    free = obs["hosts"][:, 4].astype(np.float64) * scale
    ready = np.flatnonzero(obs["fragments"][:, 2] == 1.0)
    for f in ready.tolist():
        need = float(obs["fragments"][f, 8]) * scale
        ok = host_rows[f, 1:] & (free >= need)
        if ok.any():
            h = int(np.argmax(np.where(ok, free, -np.inf)))
            a[codec.n_tasks + f] = h + 1
            free[h] -= need
    return a


@pytest.mark.parametrize("mode", ALL_MODES)
def test_split_creates_documented_fragments(mode: str) -> None:
    """Each split mode creates its number of fragments; chains have 1 ready, parallel all ready."""
    env = gym.make("SplitPlace-small-v0", split_modes=ALL_MODES, arrival_rate=3.0)
    _, info = env.reset(seed=0)
    s = ALL_MODES.index(mode)
    slots = np.asarray(info["pending"]["slot"]).tolist()
    a = env.unwrapped.codec.encode(splits={k: s for k in slots})
    obs, _, _, _, info = env.step(a)
    n, ready = STRUCTURE[mode]
    for k in slots:
        fr = obs["fragments"][5 * k:5 * k + 5]
        assert fr[:, 0].tolist() == [1.0] * n + [0.0] * (5 - n), mode
        assert fr[:, 2].sum() == ready and fr[:, 1].sum() == n - ready
        t = obs["tasks"][k]
        assert t[1] == 0.0, "split task is no longer new"
        onehot = t[10:]
        assert onehot.tolist() == [1.0 if i == s else 0.0 for i in range(5)]
        assert t[9] == 0.0, "no fragment done yet"


def test_new_task_progress_feature_is_zero() -> None:
    """A new task (no fragment yet) shows progress 0, not 1, and an all-zero split one-hot."""
    env = gym.make("SplitPlace-v0")
    obs, info = env.reset(seed=0)
    slots = np.asarray(info["pending"]["slot"])
    assert slots.size
    assert np.all(obs["tasks"][slots, 10:] == 0.0)
    assert np.all(obs["tasks"][slots, 9] == 0.0), obs["tasks"][slots, 9]


@pytest.mark.parametrize("mode", ALL_MODES)
def test_finished_task_records_are_consistent(mode: str) -> None:
    """Response spans at least the chain length; wait <= response; sla_met and accuracy consistent."""
    s = ALL_MODES.index(mode)
    env = gym.make("SplitPlace-v0", split_modes=ALL_MODES, arrival_rate=3.0)
    obs, _ = env.reset(seed=11)
    n_done = 0
    for _ in range(40):
        obs, reward, _, _, info = env.step(_greedy_action(env, obs, split_of=lambda k: s))
        assert info["infeasible_placements"] == 0
        f = info["finished"]
        n = len(f["task_id"])
        assert all(len(f[key]) == n for key in f)
        assert info["rewards"]["n_finished"] == n
        if n:
            assert np.all(f["split"] == s)
            assert np.all(f["response"] > CHAIN_LEN[mode] - 1e-9), (mode, f["response"])
            assert np.all(f["wait"] >= 0.0) and np.all(f["wait"] <= f["response"])
            assert np.array_equal(f["sla_met"], f["response"] <= f["sla"])
            assert np.all((f["accuracy"] >= 0.0) & (f["accuracy"] <= 1.0))
            assert np.all((f["app"] >= 0) & (f["app"] < len(APPLICATIONS)))
            qos = np.mean((f["sla_met"] + f["accuracy"]) / 2)
            assert info["rewards"]["qos"] == pytest.approx(qos)
        n_done += n
    assert n_done > 10, f"greedy placement should finish tasks with {mode}"


def test_layer_is_slower_and_more_accurate_than_semantic() -> None:
    """The paper's trade-off: layer split -> longer response, higher accuracy than semantic."""
    stats = {}
    for mode in ("layer", "semantic"):
        s = ("layer", "semantic").index(mode)
        env = gym.make("SplitPlace-v0", arrival_rate=2.0)
        obs, _ = env.reset(seed=5)
        resp, acc = [], []
        for _ in range(60):
            obs, _, _, _, info = env.step(_greedy_action(env, obs, split_of=lambda k: s))
            resp.extend(info["finished"]["response"].tolist())
            acc.extend(info["finished"]["accuracy"].tolist())
        stats[mode] = (np.mean(resp), np.mean(acc))
    assert stats["layer"][0] > stats["semantic"][0]
    assert stats["layer"][1] > stats["semantic"][1]


def test_idle_cluster_uses_idle_energy() -> None:
    """With nothing placed, the interval's energy is the idle floor and AEC its share of the max."""
    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    eng = env.unwrapped.engine
    for _ in range(3):
        _, reward, _, _, info = env.step(env.unwrapped.codec.noop())
        assert info["energy_j"] == pytest.approx(eng.idle_energy_j)
        assert info["rewards"]["aec"] == pytest.approx(eng.idle_energy_j / eng.max_energy_j)
        assert reward == pytest.approx(-0.5 * info["rewards"]["aec"])
        assert info["placements"] == 0 and info["finished_total"] == 0


def test_migration_moves_resources_between_hosts() -> None:
    """A running fragment sent to another host migrates: RAM/disk move, migrations counts 1."""
    env = gym.make("SplitPlace-v0", mobility="static", arrival_rate=1.0, compute_scale=1000.0)
    _, info = env.reset(seed=2)
    eng = env.unwrapped.engine
    codec = env.unwrapped.codec
    k = int(info["pending"]["slot"][0])
    f = codec.fragment_slot(k, 0)
    obs, _, _, _, info = env.step(codec.encode(splits={k: "layer"}, placements={f: 0}))
    assert info["placements"] == 1 and obs["fragments"][f, 3] == 1.0, "fragment should still run"
    assert eng.ram_used[0] > 0 and eng.ram_used[1] == 0
    ram0 = float(eng.ram_used[0])
    mask = env.unwrapped.action_masks()
    _, host_rows = codec.split_masks(mask)
    assert not host_rows[f, 1] and host_rows[f, 2], "own host not allowed, empty host allowed"
    _, _, _, _, info = env.step(codec.encode(placements={f: 1}))
    assert info["migrations"] == 1 and info["placements"] == 0 and info["infeasible_placements"] == 0
    assert eng.ram_used[1] == pytest.approx(ram0)
    assert eng.ram_used[0] == pytest.approx(0.0, abs=1e-6)


def test_placement_that_does_not_fit_waits() -> None:
    """With hosts too small for any fragment, the mask allows no host and placements are infeasible."""
    env = gym.make("SplitPlace-v0", host_ram_gb=(0.5,), runtime_overhead_mb=1000.0, swap_mb=0.0)
    _, info = env.reset(seed=0)
    base = env.unwrapped
    codec = base.codec
    _, host_rows = codec.split_masks(base.action_masks())
    assert not host_rows[:, 1:].any()
    k = int(info["pending"]["slot"][0])
    obs, _, _, _, info = env.step(codec.encode(placements={(k, 0): 3}))
    assert info["infeasible_placements"] == 1 and info["placements"] == 0
    assert obs["fragments"][codec.fragment_slot(k, 0), 2] == 1.0, "the fragment keeps waiting (ready)"
    assert info["queue_length"] >= 1
    assert np.all(base.engine.ram_used == 0.0)


@pytest.mark.parametrize("other", [{"mobility": "static"}, {"n_hosts": 5}, {"split_modes": ("semantic",)},
                                   {"max_tasks": 8}])
def test_arrivals_independent_of_other_streams(other: dict) -> None:
    """Arrivals depend only on the seed and workload fields, not on mobility, hosts, splits or slots."""
    def arrivals(**kw) -> list[int]:
        env = gym.make("SplitPlace-v0", **kw)
        _, info = env.reset(seed=31)
        totals = [info["arrived_total"]]
        for _ in range(30):
            _, _, _, _, info = env.step(env.unwrapped.codec.noop())
            totals.append(info["arrived_total"])
        return totals

    assert arrivals() == arrivals(**other)


def test_zero_arrival_rate_runs_empty() -> None:
    """arrival_rate=0: no task ever arrives, the cluster stays idle, reward is the idle penalty."""
    env = gym.make("SplitPlace-small-v0", arrival_rate=0.0)
    obs, info = env.reset(seed=0)
    assert info["arrived_total"] == 0 and len(info["pending"]["slot"]) == 0
    for _ in range(5):
        obs, reward, _, _, info = env.step(env.action_space.sample())
        assert info["arrived_total"] == 0 and math.isfinite(reward)
    assert obs["tasks"].sum() == 0.0


# --------------------------------------------------------------------------- metrics / cluster
def _finished(resp, sla, acc):
    resp, sla = np.asarray(resp, float), np.asarray(sla, float)
    return {"response": resp, "sla_met": resp <= sla, "accuracy": np.asarray(acc, float)}


def test_interval_reward_formula() -> None:
    """Eq. 8 with known numbers and the empty-interval case."""
    cfg = SplitPlaceConfig()
    r = metrics.interval_reward(_finished([3.0, 40.0], [5.0, 10.0], [0.9, 0.5]), 600.0, 1000.0, cfg)
    qos = ((1 + 0.9) / 2 + (0 + 0.5) / 2) / 2
    art = (3.0 / 30 + 1.0) / 2
    assert r["qos"] == pytest.approx(qos) and r["art"] == pytest.approx(art) and r["aec"] == pytest.approx(0.6)
    assert r["reward"] == pytest.approx(qos - 0.5 * 0.6 - 0.5 * art)
    assert r["n_finished"] == 2
    empty = metrics.interval_reward(_finished([], [], []), 500.0, 1000.0, cfg)
    assert empty["qos"] == empty["art"] == 0.0 and empty["reward"] == pytest.approx(-0.25)


def test_reward_range_extremes() -> None:
    """The best and worst intervals stay inside REWARD_RANGE."""
    lo, hi = metrics.REWARD_RANGE
    cfg = SplitPlaceConfig(alpha=1.0, beta=1.0)
    worst = metrics.interval_reward(_finished([1e6], [1.0], [0.0]), 1000.0, 1000.0, cfg)
    best = metrics.interval_reward(_finished([0.0], [1.0], [1.0]), 0.0, 1000.0, cfg)
    assert lo <= worst["reward"] <= best["reward"] <= hi


def test_jain_and_sla_violation_helpers() -> None:
    """Jain's index and the SLA violation rate on small known inputs."""
    assert metrics.jain_index(np.array([1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert metrics.jain_index(np.array([1.0, 0.0])) == pytest.approx(0.5)
    assert metrics.jain_index(np.zeros(0)) == 1.0
    assert metrics.sla_violation_rate(np.array([1.0, 5.0]), np.array([2.0, 2.0])) == 0.5
    assert metrics.sla_violation_rate(np.zeros(0), np.zeros(0)) == 0.0


def test_power_curve_and_energy_scales() -> None:
    """Power rises monotonically from idle to max; energy scales are n * P * interval."""
    u = np.linspace(0.0, 1.0, 101)
    p = cluster.power_w(u)
    assert np.all(np.diff(p) >= 0)
    assert p[0] == pytest.approx(cluster.PI4B_POWER_W[0]) and p[-1] == pytest.approx(cluster.PI4B_POWER_W[-1])
    assert cluster.power_w(np.array([-1.0, 2.0])).tolist() == [p[0], p[-1]]
    hosts = cluster.build_hosts(SplitPlaceConfig())
    assert cluster.max_energy_j(hosts, 300.0) == pytest.approx(16 * cluster.PI4B_POWER_W[-1] * 300.0)
    assert cluster.idle_energy_j(hosts, 300.0) == pytest.approx(16 * cluster.PI4B_POWER_W[0] * 300.0)
    azure = cluster.build_hosts(SplitPlaceConfig(**PRESETS["authors_code"]))
    assert cluster.max_energy_j(azure, 300.0) == pytest.approx((6 * 117.0 + 4 * 126.0) * 300.0)


def test_paper_hosts() -> None:
    """Preset "paper": 16 hosts, 8 x 4 GB then 8 x 8 GB, half mobile in both blocks."""
    hosts = cluster.build_hosts(SplitPlaceConfig())
    assert hosts.n == 16
    assert hosts.ram_type.tolist() == [4.0] * 8 + [8.0] * 8
    assert hosts.mobile.sum() == 8 and hosts.mobile[:8].any() and hosts.mobile[8:].any()
    assert np.all(hosts.ram_mb[8:] > hosts.ram_mb[:8])
    assert np.all(hosts.ram_mb < hosts.ram_type * 1024)


def test_observation_arrays_are_reused_only_when_nobody_holds_them():
    import gymnasium as gym

    env = gym.make("SplitPlace-small-v0")
    obs, _ = env.reset(seed=0)
    zero = np.zeros(env.action_space.shape, dtype=np.int64)
    kept = [env.step(zero)[0] for _ in range(3)]  # a list keeps every observation
    snapshot = [{k: v.copy() for k, v in o.items()} for o in kept]
    view = kept[1]["fragments"][2]  # a view alone keeps its array alive too
    del kept[1]
    for _ in range(6):
        env.step(zero)
    for o, s in zip(kept, snapshot[::2]):
        for k in o:
            np.testing.assert_array_equal(o[k], s[k])
    np.testing.assert_array_equal(view, snapshot[1]["fragments"][2])
    # a loop that drops each observation writes into the same two sets of arrays
    del kept, view, obs
    engine = env.unwrapped.engine
    for _ in range(2):
        env.step(zero)
    slots = [tuple(map(id, arrays)) for arrays in engine._obs_slots]  # alive: the slots hold them
    for _ in range(6):
        env.step(zero)
    assert [tuple(map(id, arrays)) for arrays in engine._obs_slots] == slots


def test_record_log_chunks_are_reused_only_when_no_view_holds_them():
    from splitplace_env.core.logs import RecordLog

    log = RecordLog(("task_id",), ("response",), rows_per_step=4)
    log.ints[0, :3] = [7, 8, 9]
    view = log.view(0, 3)  # as a kept info["finished"] holds it
    first = log.ints
    assert log.room_at(log.capacity - 2) == 0  # full: the next step starts a chunk
    assert log.ints is not first  # a view is alive, so the chunk is new...
    np.testing.assert_array_equal(view["task_id"], [7, 8, 9])  # ...and the kept records stay intact
    del view, first
    log.ints[0, -1] = 12345  # a mark (holding the array would count as a reference)
    assert log.room_at(log.capacity - 2) == 0
    assert log.ints[0, -1] == 12345  # nobody else refers to it: written again, nothing allocated
    assert log.room_at(5) == 5  # room left: the position stands
    empty = log.view(5, 5)  # a step without records: a shared view of zero-size arrays
    assert empty is log.view(9, 9) and len(empty["task_id"]) == 0 and empty["response"].dtype == np.float64
    assert empty == {"task_id": np.zeros(0, np.int64), "response": np.zeros(0)}
    log.ints[0, -1] = 777
    assert log.room_at(log.capacity - 2) == 0 and log.ints[0, -1] == 777  # it holds no chunk alive


def test_host_log_chunks_are_reused_only_when_no_view_holds_them():
    from splitplace_env.core.logs import HostLog

    log = HostLog(n_rows=4, n_hosts=2)

    def fill_chunk():  # steps to the last row of the current chunk; returns that row
        last = log.next()
        while log.row[0] != log.steps - 1:
            last = log.next()
        return last

    kept = log.next()  # chunk A, step 0, as a kept info["host_util"] holds it
    kept[:] = 7.0
    a = id(log.block)
    last = fill_chunk()
    log.next()  # A is full; no chunk before it: a fresh chunk B
    b = id(log.block)
    last = fill_chunk()  # a loop keeps its last info: a view of B's last row
    log.next()  # B is full; the chunk before it (A) is held by `kept`: a fresh chunk C
    assert id(log.block) not in (a, b) and (kept == 7.0).all()  # the kept outputs stay intact
    del kept
    last = fill_chunk()  # now only C's last row is held
    log.next()[:] = 1.0  # C is full; the chunk before it (B) is held by no one: B again
    assert id(log.block) == b and log.row[0] == 0 and last.shape == (4, 2)


def test_kept_infos_survive_resets_and_chunk_reuse(masked_action):
    import gymnasium as gym

    env = gym.make("SplitPlace-small-v0")
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    kept = None
    for _ in range(30):
        info = env.step(masked_action(env, rng))[4]
        if len(info["finished"]["task_id"]) and kept is None:
            kept = info
    assert kept is not None
    snapshot = kept["finished"].to_dict()
    engine = env.unwrapped.engine
    for seed in range(3):  # resets restart the logs; the kept chunk must not be among the reused
        env.reset(seed=seed)
        for _ in range(20):
            env.step(masked_action(env, rng))
    for k, v in snapshot.items():
        np.testing.assert_array_equal(kept["finished"][k], v)
    del kept, info
    env.reset(seed=0)
    engine.fin_log.ints[0, -1] = 12345  # a mark: a fresh chunk is zeroed
    env.reset(seed=1)  # no info is kept now: the reset writes the same chunk again
    assert engine.fin_log.ints[0, -1] == 12345


def test_env_info_reads_the_result_tuple_in_layout_order():
    """SplitPlaceEnv._info unpacks ``layout.RESULT`` by position: every info field must
    come from the element of that name (a distinct marker value per position)."""
    import gymnasium as gym

    import splitplace_env  # noqa: F401
    from splitplace_env.core import layout

    env = gym.make("SplitPlace-v0")
    env.reset(seed=0)
    names = layout.RESULT
    r = list(range(1000, 1000 + len(names)))
    for k in ("needs_room", "host_row", "n_fin", "n_pend"):  # valid values where the info indexes with them
        r[names.index(k)] = 0
    info = env.unwrapped._info(tuple(r))
    at = lambda name: r[names.index(name)]  # noqa: E731
    assert info["interval"] == at("t") and info["arrived_total"] == at("arrived")
    assert info["finished_total"] == at("finished_total") and info["backlog"] == at("arrived") - at("admitted")
    assert info["queue_length"] == at("ready") + info["backlog"]
    for key, name in (("placements", "placements"), ("migrations", "migrations"),
                      ("infeasible_placements", "infeasible"), ("ignored_actions", "ignored"),
                      ("new_tasks", "new_tasks"), ("evicted", "evicted"), ("fault_restarts", "fault_restarts"),
                      ("energy_j", "energy_j"), ("paged_mb", "paged_mb")):
        assert info[key] == at(name), key
    assert info["rewards"] == {k: at(k) for k in ("reward", "qos", "aec", "art", "n_finished")}
    assert len(info["finished"]["task_id"]) == 0 and len(info["pending"]["task_id"]) == 0


def test_step_flat_checks_the_action_and_takes_any_strides():
    from splitplace_env.core.engine import EdgeEngine

    e = EdgeEngine(SplitPlaceConfig())
    e.reset(0)
    n = e.n_tasks + e.n_frags
    with pytest.raises(ValueError, match="1-D int64"):
        e.step_flat(np.zeros(n, np.int32))
    with pytest.raises(ValueError, match=r"shape \(384,\)"):
        e.step_flat(np.zeros((1, n), np.int64))
    with pytest.raises(ValueError, match="list"):
        e.step_flat([0] * n)
    twin = EdgeEngine(SplitPlaceConfig())
    twin.reset(0)
    rng = np.random.default_rng(1)
    for _ in range(5):  # a strided view steps exactly as its contiguous copy
        wide = np.zeros((n, 3), np.int64)
        wide[:e.n_tasks, 1] = rng.integers(0, e.n_splits, e.n_tasks)
        wide[e.n_tasks:, 1] = rng.integers(0, e.n_hosts + 1, e.n_frags)
        assert e.step_flat(wide[:, 1]) == twin.step_flat(np.ascontiguousarray(wide[:, 1]))
        for a, b in zip(e.obs_arrays, twin.obs_arrays):
            np.testing.assert_array_equal(a, b)


def test_reset_on_a_full_host_chunk_reports_its_own_outputs():
    """A reset whose host-output row is the last of its chunk reads that row (found when
    the row views came: the room check at reset once started a new chunk and the
    reset's info read row -1 of it)."""
    import gymnasium as gym

    import splitplace_env  # noqa: F401

    env = gym.make("SplitPlace-v0", fault_events=((0, 1, 3),))  # host 1 down from the start
    base = env.unwrapped
    steps = base.engine.host_log.steps
    env.reset(seed=0)
    for _ in range(steps - 2):  # the reset takes the chunk's last row
        env.step(np.zeros(base.codec.size, np.int64))
    _, info = env.reset(seed=0)
    assert base.engine.host_log.row[0] == steps - 1
    assert info["host_up"].tolist() == [1.0, 0.0] + [1.0] * (base.engine.n_hosts - 2)
    _, _, _, _, info = env.step(np.zeros(base.codec.size, np.int64))  # the step starts a new chunk
    assert base.engine.host_log.row[0] == 0 and info["host_up"][1] == 0.0
