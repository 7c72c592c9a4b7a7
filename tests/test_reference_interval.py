"""The engine's interval checked against a readable reference on hand-built scenarios.

``reference_interval.py`` restates one interval in plain Python. Every scenario
here builds a small explicit cluster state (2 hosts, up to 4 task slots), runs
one or more intervals through both the engine (``EdgeEngine.step``) and the
reference, and asserts three ways: the engine's state and results equal the
reference's, and both equal the numbers worked out by hand in the comments.

How the scenarios are set up: the engine is reset on an empty cluster (no
arrivals, static wired hosts), its clock is taken to the scenario's interval by
empty steps, then ``write_state`` writes the scenario's tasks, fragments, host
books and links straight into the engine's named state arrays. The hand-built
scenarios (a)-(e) write tasks that are *already split*, with per-fragment demands
chosen for easy arithmetic (work in round seconds, RAM in round MB), and round
links (host 0: 10 MB/s and 0.5 s latency, host 1: 20 MB/s and 0.25 s).
``test_new_tasks_split_from_the_profile_tables`` lets the engine split new tasks
itself, with the demands of the shipped profile tables (which the reference reads
from the engine's public ``split_*`` tables), and
``test_random_intervals_match_the_reference`` compares engine and reference on
random new tasks, links and actions.

Common numbers (from the config below and the cluster model):

* both hosts are 4 GB Pi 4B: 4 x 1024 MB x 0.93 visible = 3809.28 MB, below 4000
  so 60 % of it is admissible: RAM capacity 2285.568 MB; disk 20000 MB; 4 cores of
  speed 1;
* interval 300 s; alpha = beta = 0.5; response_norm R = 30 intervals;
* power table (W) at 0 %, 10 %, ..., 100 % CPU: 2.70 3.15 3.57 3.96 4.33 4.68 5.01
  5.32 5.62 5.97 6.40; so the idle cluster uses 2 x 2.70 x 300 = 1620 J and the
  full-load maximum (the AEC scale) is 2 x 6.40 x 300 = 3840 J per interval;
* split indices 0 = layer (4-fragment chain), 1 = semantic (5 parallel branches),
  2 = compressed (1 fragment); accuracy columns (layer, semantic, compressed).

All engine access is in the helpers right below (``make_engine``, ``params_of``,
``write_state``, ``write_task``, ``read_state``, ``step_engine``); if the engine's attribute names
change, only they need to follow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference_interval import (BLOCKED, DONE, EMPTY, READY, RUNNING, Action, FragmentProfile, Fragment,
                                FinishedTask, Host, IntervalResult, Params, SplitProfile, State, Task,
                                reference_interval)
from splitplace_env.config import NETWORK_OF_SPLIT, NETWORKS, SplitPlaceConfig
from splitplace_env.core import engine as engine_module
from splitplace_env.core.engine import EdgeEngine

# ============================================================================ engine access
#: Fragment slots per task slot: fragment j of task slot k is engine slot F * k + j.
F = 5
SPLIT_MODES = ("layer", "semantic", "compressed")


def make_engine(**overrides) -> EdgeEngine:
    """A reset 2-host engine with no arrivals, wired static hosts and exact accuracies.

    Args:
        **overrides: further config fields.

    Returns:
        The engine, reset with seed 0 (an empty cluster at t = 0).
    """
    # The reference models the streaming memory model without swap or container start-up
    # costs; full-batch memory, swap paging, start-up costs and the admission options are
    # checked on hand-built cases of their own in tests/test_memory_model.py.
    kwargs = dict(n_hosts=2, host_ram_gb=(4.0,), mobile_fraction=0.0, mobility="static", arrival_rate=0.0,
                  max_tasks=4, accuracy_noise=False, split_modes=SPLIT_MODES, memory_model="streaming",
                  swap_mb=0.0, container_costs=False)
    kwargs.update(overrides)
    engine = EdgeEngine(SplitPlaceConfig(**kwargs))
    engine.reset(seed=0)
    assert engine.n_tasks == 4 and engine.n_hosts == 2
    return engine


def params_of(engine: EdgeEngine) -> Params:
    """The reference's constants: the engine's config and its public fragment tables."""
    cfg = engine.cfg
    splits = {}
    for a in range(engine.split_nfrag.shape[0]):
        for s in range(engine.split_nfrag.shape[1]):
            frags = tuple(FragmentProfile(work_s=float(engine.split_work[a, s, j]),
                                          weights_mb=float(engine.split_weights[a, s, j]),
                                          in_mb=float(engine.split_in[a, s, j]),
                                          out_mb=float(engine.split_out[a, s, j]),
                                          peak_mb=float(engine.split_peak[a, s, j]))
                          for j in range(int(engine.split_nfrag[a, s])))
            splits[(a, s)] = SplitProfile(chain=bool(engine.split_chain[a, s]), fragments=frags)
    return Params(interval_s=cfg.interval_s, compute_scale=cfg.compute_scale,
                  transfer_compression=cfg.transfer_compression, runtime_overhead_mb=cfg.runtime_overhead_mb,
                  stream_chunk_samples=cfg.stream_chunk_samples, alpha=cfg.alpha, beta=cfg.beta,
                  response_norm=cfg.response_norm,
                  network_of_split=tuple(NETWORKS.index(NETWORK_OF_SPLIT[m]) for m in cfg.split_modes),
                  splits=splits)


def write_state(engine: EdgeEngine, state: State) -> None:
    """Puts a fresh engine (reset, no task yet) in ``state``: clock, links, host books,
    every task and fragment slot (``write_task``).

    The clock is taken to ``state.t`` by empty intervals. Host capacities cannot be
    written (the engine keeps its own copy): they must equal the engine's.
    """
    e = engine
    for name in ("ram_mb", "disk_mb", "cores", "speed"):
        assert [getattr(h, name) for h in state.hosts] == getattr(e.hosts, name).tolist(), name
    # The clock moves only forward: empty intervals (the engine has no task yet) take it there.
    assert e.t <= state.t and not e.task_active.any(), "write_state needs a fresh engine"
    while e.t < state.t:
        e.step(np.zeros(e.n_tasks, dtype=np.int64), np.zeros(F * e.n_tasks, dtype=np.int64))
    # The interval's links, written in place (the engine moves on to the next interval's
    # links as the clock advances, so ``step_engine`` writes them again before every step).
    e.bandwidth[:] = [h.bandwidth for h in state.hosts]
    e.latency[:] = [h.latency for h in state.hosts]
    e.ram_used[:] = [h.ram_used for h in state.hosts]
    e.disk_used[:] = [h.disk_used for h in state.hosts]
    for k, task in enumerate(state.tasks):
        write_task(engine, k, task)


def write_task(engine: EdgeEngine, k: int, task: Task | None) -> None:
    """Writes task slot ``k`` and its fragment slots ``F*k .. F*k+4``.

    ``None`` frees the slot. A task with ``split=None`` is injected as a *new* task
    (``task_active``, ``task_new``, ``task_split = -1``, ``task_start = nan``,
    ``task_finish = 0``, no fragments: what the engine's admission writes); any
    other task as already split, with its fragments as given and ``task_left`` =
    its fragments not DONE. Host books are not touched (``write_state`` sets them).
    """
    e = engine
    e.task_active[k] = task is not None
    e.task_new[k] = task is not None and task.split is None
    e.task_id[k] = -1 if task is None else task.task_id
    e.task_app[k] = 0 if task is None else task.app
    e.task_batch[k] = 0 if task is None else task.batch
    e.task_sla[k] = 0.0 if task is None else task.sla
    e.task_arrival[k] = 0.0 if task is None else task.arrival
    e.task_start[k] = np.nan if task is None or task.start is None else task.start
    e.task_finish[k] = 0.0 if task is None else task.finish
    e.task_split[k] = -1 if task is None or task.split is None else task.split
    e.task_left[k] = 0 if task is None else sum(f.state != DONE for f in task.fragments)
    e.task_acc[k] = (0.0, 0.0, 0.0) if task is None else task.accuracy
    frags = [] if task is None else task.fragments
    for j in range(F):
        f = frags[j] if j < len(frags) else Fragment(state=EMPTY)
        i = F * k + j
        e.frag_state[i], e.frag_host[i] = f.state, f.host
        e.frag_work[i], e.frag_work_total[i] = f.work, f.work_total
        e.frag_delay[i], e.frag_out_s[i], e.frag_finish[i] = f.delay, f.out_s, f.finish
        e.frag_ram[i], e.frag_disk[i] = f.ram, f.disk
        e.frag_peak[i] = f.ram  # the demand it books (no placeholder here)
        e.frag_measured[i] = int(f.state == RUNNING)
        e.frag_in_mb[i], e.frag_out_mb[i] = f.in_mb, f.out_mb


def read_state(engine: EdgeEngine) -> State:
    """The engine's state in the reference's terms (links: the engine's current ones).

    Also checks the engine's own count of unfinished fragments per task
    (``task_left``) against its fragment states.
    """
    e = engine
    hosts = [Host(ram_mb=float(e.hosts.ram_mb[h]), disk_mb=float(e.hosts.disk_mb[h]),
                  cores=float(e.hosts.cores[h]), speed=float(e.hosts.speed[h]),
                  bandwidth=float(e.bandwidth[h]), latency=float(e.latency[h]),
                  ram_used=float(e.ram_used[h]), disk_used=float(e.disk_used[h])) for h in range(e.n_hosts)]
    tasks: list[Task | None] = []
    for k in range(e.n_tasks):
        if not e.task_active[k]:
            tasks.append(None)
            continue
        frags = [Fragment(state=int(e.frag_state[i]), host=int(e.frag_host[i]), work=float(e.frag_work[i]),
                          work_total=float(e.frag_work_total[i]), delay=float(e.frag_delay[i]),
                          out_s=float(e.frag_out_s[i]), ram=float(e.frag_ram[i]), disk=float(e.frag_disk[i]),
                          in_mb=float(e.frag_in_mb[i]), out_mb=float(e.frag_out_mb[i]),
                          finish=float(e.frag_finish[i]))
                 for i in range(F * k, F * k + F) if e.frag_state[i] != EMPTY]
        assert int(e.task_left[k]) == sum(f.state != DONE for f in frags), f"engine task_left of slot {k}"
        start = float(e.task_start[k])
        tasks.append(Task(task_id=int(e.task_id[k]), app=int(e.task_app[k]), batch=int(e.task_batch[k]),
                          sla=float(e.task_sla[k]), arrival=float(e.task_arrival[k]),
                          accuracy=tuple(float(x) for x in e.task_acc[k]),
                          split=None if e.task_new[k] else int(e.task_split[k]),
                          start=None if math.isnan(start) else start, finish=float(e.task_finish[k]),
                          fragments=frags))
    return State(t=int(e.t), hosts=hosts, tasks=tasks)


def step_engine(engine: EdgeEngine, state: State, action: Action) -> IntervalResult:
    """Runs one engine interval with the links of ``state`` and returns its results.

    Args:
        engine: the engine (its own state is the one that runs).
        state: the reference's state at the interval's start (only its links are used).
        action: the interval's action, converted to the engine's arrays.
    """
    e = engine
    e.bandwidth[:] = [h.bandwidth for h in state.hosts]
    e.latency[:] = [h.latency for h in state.hosts]
    splits = np.zeros(e.n_tasks, dtype=np.int64)
    for k, s in action.splits.items():
        splits[k] = s
    hosts = np.zeros(F * e.n_tasks, dtype=np.int64)
    for (k, j), h in action.hosts.items():
        assert h >= 0, "host indices start at 0 (the engine's 0 means 'leave as is')"
        hosts[F * k + j] = h + 1
    r = e.step(splits, hosts)
    fin = r.finished
    finished = [FinishedTask(task_id=int(fin["task_id"][i]), app=int(fin["app"][i]), split=int(fin["split"][i]),
                             response=float(fin["response"][i]), wait=float(fin["wait"][i]),
                             sla=float(fin["sla"][i]), sla_met=bool(fin["sla_met"][i]),
                             accuracy=float(fin["accuracy"][i])) for i in range(len(fin["task_id"]))]
    assert r.rewards["n_finished"] == len(finished)
    return IntervalResult(finished=finished, host_util=[float(u) for u in r.host_util],
                          host_power_w=[float(p) for p in e.host_power_w], energy_j=float(r.energy_j),
                          max_energy_j=float(e.max_energy_j), qos=float(r.rewards["qos"]),
                          aec=float(r.rewards["aec"]), art=float(r.rewards["art"]),
                          reward=float(r.rewards["reward"]), placements=int(r.placements),
                          migrations=int(r.migrations), infeasible=int(r.infeasible), ignored=int(r.ignored))


def test_state_constants_match_the_engine() -> None:
    """The reference's fragment-state numbering is the engine's."""
    assert (EMPTY, BLOCKED, READY, RUNNING, DONE) == (engine_module.EMPTY, engine_module.BLOCKED,
                                                      engine_module.READY, engine_module.RUNNING,
                                                      engine_module.DONE)


# ============================================================================ comparison

def close(a: float, b: float) -> bool:
    """Equal up to floating-point rounding (the engine sums in another order)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same_state(got: State, want: State, who: str) -> None:
    """Asserts two states agree: clock, host books, every task and fragment field.

    The links are not compared: they are inputs of an interval, and the engine
    replaces them with the next interval's as the clock advances.
    """
    assert got.t == want.t, f"{who}: t"
    for h, (g, w) in enumerate(zip(got.hosts, want.hosts)):
        assert close(g.ram_used, w.ram_used) and close(g.disk_used, w.disk_used), \
            f"{who}: host {h} RAM/disk used {g.ram_used}/{g.disk_used} != {w.ram_used}/{w.disk_used}"
    assert len(got.tasks) == len(want.tasks)
    for k, (g, w) in enumerate(zip(got.tasks, want.tasks)):
        assert (g is None) == (w is None), f"{who}: slot {k} occupied {g is not None} != {w is not None}"
        if g is None:
            continue
        for name in ("task_id", "app", "batch", "split"):
            assert getattr(g, name) == getattr(w, name), f"{who}: slot {k} {name}"
        for name in ("sla", "arrival", "finish"):
            assert close(getattr(g, name), getattr(w, name)), f"{who}: slot {k} {name}"
        assert all(close(x, y) for x, y in zip(g.accuracy, w.accuracy)), f"{who}: slot {k} accuracy"
        assert (g.start is None) == (w.start is None), f"{who}: slot {k} start {g.start} != {w.start}"
        assert g.start is None or close(g.start, w.start), f"{who}: slot {k} start {g.start} != {w.start}"
        assert len(g.fragments) == len(w.fragments), f"{who}: slot {k} fragment count"
        for j, (gf, wf) in enumerate(zip(g.fragments, w.fragments)):
            assert (gf.state, gf.host) == (wf.state, wf.host), \
                f"{who}: fragment {k}.{j} state/host {(gf.state, gf.host)} != {(wf.state, wf.host)}"
            for name in ("work", "work_total", "delay", "out_s", "ram", "disk", "in_mb", "out_mb", "finish"):
                assert close(getattr(gf, name), getattr(wf, name)), \
                    f"{who}: fragment {k}.{j} {name} {getattr(gf, name)} != {getattr(wf, name)}"


def assert_same_result(got: IntervalResult, want: IntervalResult, who: str) -> None:
    """Asserts two interval results agree: counts exactly, numbers up to rounding."""
    for name in ("placements", "migrations", "infeasible", "ignored"):
        assert getattr(got, name) == getattr(want, name), f"{who}: {name} {getattr(got, name)} != {getattr(want, name)}"
    for name in ("energy_j", "max_energy_j", "qos", "aec", "art", "reward"):
        assert close(getattr(got, name), getattr(want, name)), \
            f"{who}: {name} {getattr(got, name)} != {getattr(want, name)}"
    for name in ("host_util", "host_power_w"):
        assert all(close(x, y) for x, y in zip(getattr(got, name), getattr(want, name))), f"{who}: {name}"
    assert [(f.task_id, f.app, f.split, f.sla_met) for f in got.finished] == \
        [(f.task_id, f.app, f.split, f.sla_met) for f in want.finished], f"{who}: finished tasks"
    for g, w in zip(got.finished, want.finished):
        for name in ("response", "wait", "sla", "accuracy"):
            assert close(getattr(g, name), getattr(w, name)), f"{who}: finished {g.task_id} {name}"


def run_both(engine: EdgeEngine, state: State, action: Action, params: Params):
    """One interval by the engine (from its own state) and by the reference (from ``state``).

    Asserts that both end in the same state with the same results, and returns
    ``[(engine state, engine result), (reference state, reference result)]`` so the
    hand-worked numbers can be checked on both; the reference's state is last, for
    the next interval to start from.
    """
    ref_state, ref = reference_interval(state, action, params)
    got = step_engine(engine, state, action)
    got_state = read_state(engine)
    assert_same_state(got_state, ref_state, "engine vs reference")
    assert_same_result(got, ref, "engine vs reference")
    return [(got_state, got), (ref_state, ref)]


def approx(x: float):
    """A hand-worked number, to rounding."""
    return pytest.approx(x, rel=1e-9, abs=1e-9)


# ============================================================================ scenarios

def scenario(engine: EdgeEngine, t: int = 0) -> State:
    """The empty cluster of ``engine`` at interval ``t`` with round-number links:
    host 0: 10 MB/s, 0.5 s; host 1: 20 MB/s, 0.25 s."""
    state = read_state(engine)
    assert all(task is None for task in state.tasks) and all(h.ram_used == 0.0 for h in state.hosts)
    state.t = t
    state.hosts[0].bandwidth, state.hosts[0].latency = 10.0, 0.5
    state.hosts[1].bandwidth, state.hosts[1].latency = 20.0, 0.25
    return state


def running(host: int, work: float, ram: float, disk: float = 10.0, out_s: float = 1.0, delay: float = 0.0,
            work_total: float | None = None) -> Fragment:
    """A fragment placed in an earlier interval, still running on ``host``."""
    return Fragment(state=RUNNING, host=host, work=work, work_total=work if work_total is None else work_total,
                    delay=delay, out_s=out_s, ram=ram, disk=disk)


def hold(state: State) -> None:
    """Books the RAM and disk of the running fragments on their hosts (as the engine holds them)."""
    for h in state.hosts:
        h.ram_used = h.disk_used = 0.0
    for task in state.tasks:
        for f in [] if task is None else task.fragments:
            if f.state == RUNNING:
                state.hosts[f.host].ram_used += f.ram
                state.hosts[f.host].disk_used += f.disk


def test_chain_waits_for_its_predecessor() -> None:
    """(a) A layer chain: fragment 1 stays BLOCKED while fragment 0 runs, becomes READY
    only after the interval in which 0 finished, and cannot be placed in that interval."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine)
    # Task 7 (MNIST, layer split), arrived at -1, SLA 4 intervals, layer accuracy 0.9.
    # Two fragments of a chain, demands written by hand:
    #   fragment 0: READY, work 400 s, RAM 500, disk 100, input 10 MB, output 5 MB;
    #   fragment 1: BLOCKED, work 60 s, RAM 300, disk 50, input 5 MB, output 2 MB.
    state.tasks[0] = Task(task_id=7, app=0, batch=1000, sla=4.0, arrival=-1.0, accuracy=(0.9, 0.8, 0.85), split=0,
                          fragments=[Fragment(READY, work=400.0, work_total=400.0, ram=500.0, disk=100.0,
                                              in_mb=10.0, out_mb=5.0),
                                     Fragment(BLOCKED, work=60.0, work_total=60.0, ram=300.0, disk=50.0,
                                              in_mb=5.0, out_mb=2.0)])
    write_state(engine, state)

    # Interval 0: fragment 0 -> host 0; fragment 1 -> host 1 is ignored (BLOCKED).
    # Fragment 0: input 10 MB / 10 MB/s + 0.5 s = 1.5 s, then computes alone on 4 cores
    # (share 1) for the remaining 298.5 s: 400 - 298.5 = 101.5 s of work left; its output
    # (5 / 10 + 0.5 = 1.0 s) waits for the compute. Host 0 holds RAM 500, disk 100.
    # Utilisation 298.5 / (4 x 300) = 0.24875 -> 3.57 + 0.4875 x (3.96 - 3.57) = 3.760125 W;
    # host 1 idle 2.70 W; energy (3.760125 + 2.70) x 300 = 1938.0375 J; AEC = 1938.0375 / 3840;
    # nobody finishes: reward = -0.5 x AEC.
    action = Action(hosts={(0, 0): 0, (0, 1): 1})
    for st, res in run_both(engine, state, action, params):
        f0, f1 = st.tasks[0].fragments
        assert (f0.state, f0.host, f1.state, f1.host) == (RUNNING, 0, BLOCKED, -1)
        assert f0.work == approx(101.5) and f0.delay == approx(0.0) and f0.out_s == approx(1.0)
        assert st.tasks[0].start == 0.0
        assert (st.hosts[0].ram_used, st.hosts[1].ram_used) == (approx(500.0), approx(0.0))
        assert (res.placements, res.ignored, res.infeasible, res.migrations) == (1, 1, 0, 0)
        assert res.host_util == [approx(0.24875), approx(0.0)]
        assert res.energy_j == approx(1938.0375) and res.aec == approx(1938.0375 / 3840)
        assert res.reward == approx(-0.5 * 1938.0375 / 3840) and res.finished == []
    state = st

    # Interval 1: fragment 0 computes its last 101.5 s and sends its output (1.0 s):
    # 102.5 s used, finish 1 + 102.5 / 300; it frees host 0. Fragment 1 becomes READY at
    # the interval's end, so naming it now (-> host 1) is still ignored.
    # Utilisation 101.5 / 1200 -> 2.70 + 0.845833 x 0.45 = 3.080625 W; energy 1734.1875 J.
    action = Action(hosts={(0, 1): 1})
    for st, res in run_both(engine, state, action, params):
        f0, f1 = st.tasks[0].fragments
        assert (f0.state, f1.state, f1.host) == (DONE, READY, -1)
        assert f0.finish == approx(1 + 102.5 / 300) and st.tasks[0].finish == approx(1 + 102.5 / 300)
        assert (st.hosts[0].ram_used, st.hosts[1].ram_used) == (approx(0.0), approx(0.0))
        assert (res.placements, res.ignored) == (0, 1)
        assert res.energy_j == approx(1734.1875) and res.reward == approx(-0.5 * 1734.1875 / 3840)
    state = st

    # Interval 2: fragment 1 -> host 1: input 5 / 20 + 0.25 = 0.5 s, work 60 s, output
    # 2 / 20 + 0.25 = 0.35 s: 60.85 s, finish 2 + 60.85 / 300 = 2.2028333. The task leaves:
    # response 2.2028333 - (-1) = 3.2028333 <= SLA 4 (met), wait 0 - (-1) = 1, accuracy 0.9.
    # QoS (1 + 0.9) / 2 = 0.95; ART 3.2028333 / 30; utilisation of host 1 60 / 1200 = 0.05
    # -> 2.70 + 0.5 x 0.45 = 2.925 W; energy (2.70 + 2.925) x 300 = 1687.5 J.
    response = 2 + 60.85 / 300 + 1
    action = Action(hosts={(0, 1): 1})
    for st, res in run_both(engine, state, action, params):
        assert st.tasks[0] is None  # the slot is free again
        assert [(f.task_id, f.split, f.sla_met) for f in res.finished] == [(7, 0, True)]
        assert res.finished[0].response == approx(response) and res.finished[0].wait == approx(1.0)
        assert res.finished[0].accuracy == approx(0.9)
        assert (res.qos, res.art) == (approx(0.95), approx(response / 30))
        assert res.energy_j == approx(1687.5)
        assert res.reward == approx(0.95 - 0.5 * 1687.5 / 3840 - 0.5 * response / 30)
        assert st.hosts[1].ram_used == approx(0.0) and st.hosts[1].disk_used == approx(0.0)


def test_fragment_refused_for_ram() -> None:
    """(b) Placements are admitted one by one in slot order; one that does not fit is
    counted infeasible, not carried out, and the fragment stays READY."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine)
    # Four single-fragment (compressed) tasks, each READY, input 5 MB, work 1000 s.
    ram_disk = [(1500.0, 100.0), (1000.0, 100.0), (700.0, 100.0), (100.0, 25000.0)]
    for k, (ram, disk) in enumerate(ram_disk):
        state.tasks[k] = Task(task_id=k, app=0, batch=1000, sla=5.0, arrival=-1.0, accuracy=(0.9, 0.8, 0.85),
                              split=2, fragments=[Fragment(READY, work=1000.0, work_total=1000.0, ram=ram,
                                                           disk=disk, in_mb=5.0, out_mb=1.0)])
    write_state(engine, state)
    # Slots 0, 1, 2 -> host 0 (2285.568 MB free), slot 3 -> host 1:
    #   slot 0: 1500 <= 2285.568, admitted: 785.568 left;
    #   slot 1: 1000 >  785.568, refused (infeasible), stays READY, no start time;
    #   slot 2:  700 <= 785.568, admitted (a refusal does not stop the others): 85.568 left;
    #   slot 3: RAM 100 fits host 1, disk 25000 > 20000 does not: refused.
    # (Smallest-first or any other order would differ: 700 then 1000 would both fit, and
    # 1500 then not.) Host 0 holds 1500 + 700 = 2200 MB RAM, 200 MB disk.
    # Each admitted fragment: input 5 / 10 + 0.5 = 1.0 s, then 299 s of compute with a full
    # core (2 fragments on 4 cores): 1000 - 299 = 701 s left; host 0 utilisation
    # 2 x 299 / 1200 = 0.4983333.
    action = Action(hosts={(0, 0): 0, (1, 0): 0, (2, 0): 0, (3, 0): 1})
    for st, res in run_both(engine, state, action, params):
        frags = [st.tasks[k].fragments[0] for k in range(4)]
        assert [(f.state, f.host) for f in frags] == [(RUNNING, 0), (READY, -1), (RUNNING, 0), (READY, -1)]
        assert [st.tasks[k].start for k in range(4)] == [0.0, None, 0.0, None]
        assert st.hosts[0].ram_used == approx(1500.0 + 700.0) and st.hosts[0].disk_used == approx(200.0)
        assert st.hosts[1].ram_used == approx(0.0) and st.hosts[1].disk_used == approx(0.0)
        assert (res.placements, res.infeasible, res.migrations, res.ignored) == (2, 2, 0, 0)
        assert frags[0].work == approx(701.0) and frags[2].work == approx(701.0)
        assert frags[1].work == approx(1000.0) and frags[1].delay == approx(0.0)
        assert res.host_util == [approx(598.0 / 1200), approx(0.0)]


def test_processor_sharing_beyond_core_count() -> None:
    """(c) Six fragments on a 4-core host each progress at 4/6 of a core, with the shares
    fixed for the whole interval; a host within its cores gives a full core."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine, t=3)
    # Already running since an earlier interval (no transfers pending):
    #   slot 0, task 10, semantic split: 5 branches on host 0, work 120 s each, output 3 s,
    #           RAM 200; arrived at 1, started at 2, SLA 2, semantic accuracy 0.8;
    #   slot 1, task 11, compressed: 1 fragment on host 0, work 250 s, RAM 300;
    #   slot 2, task 12, compressed: 1 fragment on host 1, work 400 s, RAM 300.
    state.tasks[0] = Task(task_id=10, app=1, batch=20000, sla=2.0, arrival=1.0, accuracy=(0.9, 0.8, 0.85),
                          split=1, start=2.0, fragments=[running(0, 120.0, 200.0, out_s=3.0) for _ in range(5)])
    state.tasks[1] = Task(task_id=11, app=0, batch=1000, sla=9.0, arrival=1.0, accuracy=(0.9, 0.8, 0.85),
                          split=2, start=2.0, fragments=[running(0, 250.0, 300.0)])
    state.tasks[2] = Task(task_id=12, app=0, batch=1000, sla=9.0, arrival=1.0, accuracy=(0.9, 0.8, 0.85),
                          split=2, start=2.0, fragments=[running(1, 400.0, 300.0, work_total=500.0)])
    hold(state)  # host 0: 5 x 200 + 300 = 1300 MB; host 1: 300 MB
    write_state(engine, state)
    # Host 0 runs 6 fragments on 4 cores: share 4/6 = 2/3 of a core each.
    #   branch: 120 s of work at 2/3 takes 180 s, output 3 s: done at 183 s, finish
    #           3 + 183 / 300 = 3.61; all five finish, so task 10 leaves;
    #   slot 1: 250 s at 2/3 would take 375 s; in 300 s it does 200: 50 s left. (The
    #           branches leave at 183 s, but the share stays 2/3 until the interval ends.)
    # Host 1 runs 1 fragment: share 1, 300 s of work, 100 s left.
    # Utilisation: host 0 (5 x 180 x 2/3 + 300 x 2/3) / 1200 = 800 / 1200 = 2/3
    #   -> 5.01 + 0.6667 x 0.31 = 5.2166667 W; host 1 300 / 1200 = 0.25 -> 3.765 W;
    #   energy (5.2166667 + 3.765) x 300 = 2694.5 J.
    # Task 10: response 3.61 - 1 = 2.61 > SLA 2 (missed), wait 2 - 1 = 1, accuracy 0.8:
    #   QoS (0 + 0.8) / 2 = 0.4, ART 2.61 / 30 = 0.087;
    #   reward 0.4 - 0.5 x 2694.5 / 3840 - 0.5 x 0.087 = 0.0056543.
    for st, res in run_both(engine, state, Action(), params):
        assert st.tasks[0] is None
        assert [(f.task_id, f.sla_met) for f in res.finished] == [(10, False)]
        assert res.finished[0].response == approx(2.61) and res.finished[0].wait == approx(1.0)
        assert res.finished[0].accuracy == approx(0.8)
        f1, f2 = st.tasks[1].fragments[0], st.tasks[2].fragments[0]
        assert (f1.state, f1.work, f1.finish) == (RUNNING, approx(50.0), approx(4.0))
        assert (f2.state, f2.work) == (RUNNING, approx(100.0))
        assert res.host_util == [approx(2 / 3), approx(0.25)]
        assert res.host_power_w == [approx(5.01 + 0.31 * (20 / 3 - 6)), approx(3.765)]
        assert res.energy_j == approx(2694.5)
        assert (res.qos, res.art) == (approx(0.4), approx(0.087))
        assert res.reward == approx(0.4 - 0.5 * 2694.5 / 3840 - 0.5 * 0.087)
        assert st.hosts[0].ram_used == approx(300.0) and st.hosts[1].ram_used == approx(300.0)


def test_migration_cost_and_held_memory() -> None:
    """(d) A migrated fragment pays its memory image over both links before it progresses;
    its old host's RAM is freed, but only for the next interval's placements."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine, t=5)
    # Slot 0, task 20: X running on host 0, work 800 s, RAM 400, disk 50, output 4 MB.
    # Slot 1, task 21: Y running on host 0, work 1000 s, RAM 1800, disk 50.
    # Slot 2, task 22: Z READY, work 1000 s, RAM 300, disk 50, input 10 MB, output 2 MB.
    x = running(0, 800.0, 400.0, disk=50.0, out_s=4.0 / 10 + 0.5)
    x.out_mb = 4.0
    state.tasks[0] = Task(task_id=20, app=0, batch=1000, sla=9.0, arrival=3.0, accuracy=(0.9, 0.8, 0.85),
                          split=2, start=4.0, fragments=[x])
    state.tasks[1] = Task(task_id=21, app=0, batch=1000, sla=9.0, arrival=3.0, accuracy=(0.9, 0.8, 0.85),
                          split=2, start=4.0, fragments=[running(0, 1000.0, 1800.0, disk=50.0)])
    state.tasks[2] = Task(task_id=22, app=0, batch=1000, sla=9.0, arrival=4.0, accuracy=(0.9, 0.8, 0.85),
                          split=2, fragments=[Fragment(READY, work=1000.0, work_total=1000.0, ram=300.0, disk=50.0,
                                                       in_mb=10.0, out_mb=2.0)])
    hold(state)  # host 0 holds 2200 MB: 85.568 MB free
    write_state(engine, state)

    # Interval 5: X -> host 1 (migration), Z -> host 0.
    # X's 400 MB image: 400 / 10 + 0.5 (host 0's link) + 400 / 20 + 0.25 (host 1's) = 60.75 s;
    # its output will leave from host 1: 4 / 20 + 0.25 = 0.45 s. Z needs 300 MB on host 0,
    # which has 85.568 MB free: X's 400 MB are still held during admission, so Z is refused.
    # After admissions host 0 holds 1800 (Y), host 1 400 (X).
    # Run: X on host 1 (alone): 60.75 s of copy, then 239.25 s of compute: 560.75 s left
    # (it would have had 500 left without the move). Y alone on host 0: 700 s left.
    # Utilisation: host 0 0.25 -> 3.765 W; host 1 239.25 / 1200 = 0.199375
    # -> 3.15 + 0.99375 x 0.42 = 3.567375 W; energy (3.765 + 3.567375) x 300 = 2199.7125 J.
    action = Action(hosts={(0, 0): 1, (2, 0): 0})
    for st, res in run_both(engine, state, action, params):
        fx, fy, fz = (st.tasks[k].fragments[0] for k in range(3))
        assert (fx.state, fx.host, fx.delay, fx.work) == (RUNNING, 1, approx(0.0), approx(800.0 - 239.25))
        assert fx.out_s == approx(0.45) and fx.finish == approx(6.0)
        assert (fy.host, fy.work) == (0, approx(700.0))
        assert (fz.state, fz.host, st.tasks[2].start) == (READY, -1, None)
        assert (res.migrations, res.placements, res.infeasible, res.ignored) == (1, 0, 1, 0)
        assert st.hosts[0].ram_used == approx(1800.0) and st.hosts[1].ram_used == approx(400.0)
        assert st.hosts[0].disk_used == approx(50.0) and st.hosts[1].disk_used == approx(50.0)
        assert res.host_util == [approx(0.25), approx(0.199375)]
        assert res.energy_j == approx(2199.7125) and res.reward == approx(-0.5 * 2199.7125 / 3840)
    state = st

    # Interval 6: Z -> host 0 again: 2285.568 - 1800 = 485.568 MB free now, so it is admitted
    # (input 10 / 10 + 0.5 = 1.5 s, then 298.5 s of work: 701.5 s left; start 6).
    # Host 0 holds 1800 + 300 = 2100 MB. X (no action) keeps running on host 1: 260.75 s left.
    action = Action(hosts={(2, 0): 0})
    for st, res in run_both(engine, state, action, params):
        fx, fz = st.tasks[0].fragments[0], st.tasks[2].fragments[0]
        assert (fz.state, fz.host, fz.work, st.tasks[2].start) == (RUNNING, 0, approx(701.5), 6.0)
        assert (res.placements, res.infeasible, res.migrations) == (1, 0, 0)
        assert st.hosts[0].ram_used == approx(2100.0) and st.hosts[1].ram_used == approx(400.0)
        assert (fx.host, fx.work) == (1, approx(260.75))


@pytest.mark.parametrize("case,energy_j", [
    ("idle", 2 * 2.70 * 300),               # no task at all: both hosts at 2.70 W
    ("transferring", 2 * 2.70 * 300),       # a fragment only moving data all interval: no CPU
    ("computing", (3.765 + 2.70) * 300),    # one core of host 0 busy: utilisation 0.25
])
def test_empty_interval_reward(case: str, energy_j: float) -> None:
    """(e) An interval in which no task leaves: QoS = ART = 0, reward = -alpha x AEC."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine, t=2)
    if case != "idle":
        # One single-fragment task on host 0, RAM 400; "transferring": 1000 s of delay
        # pending (e.g. a large migration), "computing": 1000 s of work left.
        frag = running(0, 1000.0, 400.0, delay=1000.0 if case == "transferring" else 0.0)
        state.tasks[1] = Task(task_id=3, app=0, batch=1000, sla=9.0, arrival=0.0, accuracy=(0.9, 0.8, 0.85),
                              split=2, start=1.0, fragments=[frag])
        hold(state)
    write_state(engine, state)
    # AEC = energy / 3840 J: idle and transferring 1620 / 3840 = 0.421875 (reward -0.2109375),
    # computing (3.765 + 2.70) x 300 = 1939.5 J, 0.505078125 (reward -0.25253906).
    for st, res in run_both(engine, state, Action(), params):
        assert res.finished == [] and res.qos == 0.0 and res.art == 0.0
        assert res.energy_j == approx(energy_j) and res.max_energy_j == approx(3840.0)
        assert res.aec == approx(energy_j / 3840) and res.reward == approx(-0.5 * energy_j / 3840)
        if case == "transferring":
            assert st.tasks[1].fragments[0].delay == approx(700.0)
            assert st.tasks[1].fragments[0].work == approx(1000.0)
        if case == "computing":
            assert st.tasks[1].fragments[0].work == approx(700.0)
    if case == "idle":
        assert energy_j == approx(engine.idle_energy_j)


def test_new_tasks_split_from_the_profile_tables() -> None:
    """Splitting by the engine: a chain has its first fragment READY and the rest BLOCKED,
    a parallel split all branches READY; demands follow the per-sample tables."""
    engine = make_engine()
    params = params_of(engine)
    state = scenario(engine)
    # Slot 0: task 0, MNIST, batch 1000 (below the 2000-sample stream chunk), layer split.
    # Slot 1: task 1, FashionMNIST, batch 20000 (above it), semantic split.
    state.tasks[0] = Task(task_id=0, app=0, batch=1000, sla=9.0, arrival=-1.0, accuracy=(0.9, 0.8, 0.85))
    state.tasks[1] = Task(task_id=1, app=1, batch=20000, sla=9.0, arrival=-1.0, accuracy=(0.9, 0.8, 0.85))
    write_state(engine, state)
    # Splits: slot 0 -> 0 (layer), slot 1 -> 1 (semantic), slot 2 (empty) -> 1: ignored.
    # Placements: slot 0 fragment 0 -> host 0; slot 0 fragment 1 -> host 1: ignored (it
    # is BLOCKED right after the split); slot 1 branches 0 and 1 -> host 1.
    action = Action(splits={0: 0, 1: 1, 2: 1}, hosts={(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 1})
    # By hand, for fragment j of (app a, split s) with batch b and the tables' per-sample
    # work w, weights W, input i, output o, peak p (compression 0.35, overhead 200 MB,
    # chunk 2000): work = w b; in = 0.35 i b; out = 0.35 o b; disk = W + in + out;
    # RAM = 200 + W + min(b, 2000) p, i.e. 200 + W + 1000 p for slot 0, 200 + W + 2000 p
    # for slot 1.
    for st, res in run_both(engine, state, action, params):
        t0, t1 = st.tasks[0], st.tasks[1]
        assert (t0.split, t1.split) == (0, 1)
        # Fragment 0 (well under a second of work) finishes within the interval: fragment 1
        # is READY for the next one (naming it in this interval was ignored), 2 and 3 wait.
        assert [f.state for f in t0.fragments] == [DONE, READY, BLOCKED, BLOCKED]
        # The two placed branches finish too; the three unplaced ones stay READY.
        assert [f.state for f in t1.fragments] == [DONE, DONE, READY, READY, READY]
        assert (res.placements, res.ignored, res.infeasible) == (3, 2, 0)
        assert (t0.start, t1.start) == (0.0, 0.0) and res.finished == []
        for slot, (a, s, b) in ((0, (0, 0, 1000)), (1, (1, 1, 20000))):
            for j, f in enumerate(st.tasks[slot].fragments):
                w, W = engine.split_work[a, s, j], engine.split_weights[a, s, j]
                i, o, p = engine.split_in[a, s, j], engine.split_out[a, s, j], engine.split_peak[a, s, j]
                assert f.work_total == approx(w * b)
                assert (f.in_mb, f.out_mb) == (approx(0.35 * i * b), approx(0.35 * o * b))
                assert f.disk == approx(W + 0.35 * (i + o) * b)
                assert f.ram == approx(200.0 + W + min(b, 2000) * p)
        assert [h.ram_used for h in st.hosts] == [approx(0.0), approx(0.0)]  # all freed again
        assert t0.fragments[0].host == 0 and [f.host for f in t1.fragments] == [1, 1, -1, -1, -1]


def test_random_intervals_match_the_reference() -> None:
    """Beyond the hand-built cases: random new tasks, links and actions (out-of-range
    splits and hosts included) for a few intervals; engine and reference agree after
    each one, and between them the runs migrate, refuse and finish tasks."""
    seen = {"migrations": 0, "infeasible": 0, "finished": 0, "ignored": 0}
    for seed in range(25):
        rng = np.random.default_rng(seed)
        # 1 GB hosts (571.392 MB admissible) are too small for two fragments of most splits.
        engine = make_engine(host_cores=int(rng.integers(1, 5)), host_ram_gb=(float(rng.choice([1, 4])),),
                             compute_scale=float(rng.choice([0.1, 1.0, 20.0])))
        params = params_of(engine)
        state = scenario(engine)
        for h in state.hosts:  # slow Wi-Fi to wired, with and without latency
            h.bandwidth, h.latency = float(rng.choice([0.5, 5.0, 40.0])), float(rng.choice([0.0, 0.01, 2.0]))
        for k in range(4):
            if rng.random() < 0.8:
                state.tasks[k] = Task(task_id=k, app=int(rng.integers(0, 3)),
                                      batch=int(rng.choice([500, 10000, 20000])), sla=float(rng.integers(1, 6)),
                                      arrival=-1.0, accuracy=(0.9, 0.8, 0.7))
        write_state(engine, state)
        for _ in range(8):
            # Splits -1 and 3 are out of range (3 modes); host 2 does not exist (2 hosts).
            splits = {k: int(rng.integers(-1, 4)) for k in range(4) if rng.random() < 0.7}
            hosts = {(k, j): int(rng.integers(0, 3)) for k in range(4) for j in range(F) if rng.random() < 0.4}
            (_, got), (state, _) = run_both(engine, state, Action(splits=splits, hosts=hosts), params)
            seen["migrations"] += got.migrations
            seen["infeasible"] += got.infeasible
            seen["finished"] += len(got.finished)
            seen["ignored"] += got.ignored
    assert min(seen.values()) >= 10, seen  # the runs did exercise every path compared
