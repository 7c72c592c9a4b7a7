"""Memory, swap and the testbed's admission options, on hand-built cases.

Each case puts one task on a one-host cluster by writing the engine's state, then
checks the interval against figures worked out in the comments. No arrivals
(``arrival_rate=0``), no container start-up costs, a wired host (40 MB/s, 1 ms).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core.engine import READY, RUNNING, EdgeEngine
from splitplace_env.core.layout import COUNTERS, STATS, STEP_COUNTS

LAYER, SEMANTIC = 0, 1
BW, LAT, DT = 40.0, 0.001, 300.0
COMP = 0.35  # transfer_compression: MB moved = decoded MB x 0.35


def engine_with_task(split: int = LAYER, **overrides) -> EdgeEngine:
    """A one-host engine holding one MNIST task that has just been split (no fragment placed)."""
    cfg = SplitPlaceConfig(**{"n_hosts": 1, "host_ram_gb": (4.0,), "mobile_fraction": 0.0, "mobility": "static",
                              "arrival_rate": 0.0, "max_tasks": 1, "container_costs": False,
                              "accuracy_noise": False, **overrides})
    e = EdgeEngine(cfg)
    e.reset(0)
    e.task_active[0], e.task_new[0] = True, True
    e.task_id[0], e.task_app[0], e.task_batch[0] = 0, 0, 20000
    e.task_sla[0], e.task_arrival[0], e.task_start[0], e.task_finish[0] = 100.0, -1.0, np.nan, 0.0
    e.task_split[0], e.task_left[0] = -1, 0
    e.step(np.array([split]), np.zeros(5, dtype=np.int64))  # split only: fragment 0 (or all) ready
    return e


def set_fragment(e: EdgeEngine, i: int, work: float, in_raw: float, out_raw: float, peak: float) -> None:
    """Gives fragment slot i known demands (decoded input / output MB; MB moved = x 0.35)."""
    e.frag_work[i] = e.frag_work_total[i] = work
    e.frag_in_mb[i], e.frag_out_mb[i] = in_raw * COMP, out_raw * COMP
    e.frag_ram[i] = e.frag_peak[i] = peak
    e.frag_disk[i] = 0.0


def place(e: EdgeEngine, *slots: int):
    hosts = np.zeros(5, dtype=np.int64)
    hosts[list(slots)] = 1
    return e.step(np.zeros(1, dtype=np.int64), hosts)


def stat(e: EdgeEngine, name: str) -> float:
    if name in STEP_COUNTS:  # the interval's counts sit with the counters
        return float(e.counters[COUNTERS.index(name)])
    return float(e.stats[STATS.index(name)])


def test_swap_paging_costs_the_worked_out_time() -> None:
    """One fragment whose memory exceeds the host's RAM pages over the host's link.

    Usable RAM of a 4 GB Pi: 0.6 x 4096 x 0.93 = 2285.568 MB. The fragment decodes a
    3500 MB input and produces 1000 MB of outputs; its peak is 200 + 3500 + 1000 =
    4700 MB, and at the interval's start (no outputs yet) it holds 3700 MB, so the
    excess is 1414.432 MB and x = 1414.432 / 3700 = 0.382279 of its streamed data
    lives in swap. For its 100 s of work it streams 3500 + 1000 = 4500 MB: it pages
    2 x 0.382279 x 4500 / 100 = 34.405 MB per second of work, over 40 MB/s (alone
    on the link): 0.860128 s per second of work. Input: 1225 MB / 40 + 0.001 =
    30.626 s; compute and paging 100 x 1.860128 = 186.013 s; output 350 / 40 + 0.001
    = 8.751 s. Finish = 225.390 s into the interval; without swap (an 8 GB host,
    6094.8 MB usable) it would be 139.377 s: 86.013 s more.
    """
    e = engine_with_task()
    set_fragment(e, 0, work=100.0, in_raw=3500.0, out_raw=1000.0, peak=4700.0)
    t = e.t
    place(e, 0)
    x = (3700.0 - 2285.568) / 3700.0
    page_s = 2 * x * 4500.0 / 100.0 / BW
    used = (1225.0 / BW + LAT) + 100.0 * (1.0 + page_s) + (350.0 / BW + LAT)
    assert e.frag_finish[0] == pytest.approx(t + used / DT, rel=1e-9)
    assert used == pytest.approx(225.390, abs=1e-3)
    assert stat(e, "paged_mb") == pytest.approx(100.0 * 2 * x * 4500.0 / 100.0, rel=1e-9)  # 3440.5 MB

    big = engine_with_task(host_ram_gb=(8.0,))
    set_fragment(big, 0, work=100.0, in_raw=3500.0, out_raw=1000.0, peak=4700.0)
    place(big, 0)
    no_swap = (1225.0 / BW + LAT) + 100.0 + (350.0 / BW + LAT)
    assert big.frag_finish[0] == pytest.approx(t + no_swap / DT, rel=1e-9)
    assert stat(big, "paged_mb") == 0.0
    assert (used - no_swap) == pytest.approx(86.013, abs=1e-3)


def test_admission_allows_ram_plus_swap_and_no_more() -> None:
    """A 4700 MB fragment fits RAM + 40 GB of swap, not RAM + 2000 MB (4285.568 MB)."""
    e = engine_with_task()
    set_fragment(e, 0, work=100.0, in_raw=3500.0, out_raw=1000.0, peak=4700.0)
    assert place(e, 0).placements == 1
    small = engine_with_task(swap_mb=2000.0)
    set_fragment(small, 0, work=100.0, in_raw=3500.0, out_raw=1000.0, peak=4700.0)
    res = place(small, 0)
    assert (res.placements, res.infeasible) == (0, 1) and small.frag_state[0] == READY


def test_container_cap_is_never_exceeded() -> None:
    """Five semantic branches sent at once under max_containers=2: two start, three wait."""
    e = engine_with_task(split=SEMANTIC, max_containers=2)
    for i in range(5):
        set_fragment(e, i, work=1000.0, in_raw=10.0, out_raw=1.0, peak=300.0)
    res = place(e, 0, 1, 2, 3, 4)
    assert (res.placements, res.infeasible) == (2, 3)
    assert (e.frag_state[:5] == RUNNING).sum() == 2
    mask = e.action_masks(np.zeros(e.mask_size, dtype=bool))
    assert not mask[e.n_tasks * e.n_splits:].reshape(5, 2)[2:, 1].any(), "the mask offers a start beyond the cap"


def test_placeholder_is_released_after_the_first_interval() -> None:
    """A 300 MB fragment books the 5000 MB placeholder while it has not run, its peak after."""
    e = engine_with_task(placeholder_mb=5000.0)
    set_fragment(e, 0, work=1000.0, in_raw=10.0, out_raw=1.0, peak=300.0)
    place(e, 0)
    assert e.frag_state[0] == RUNNING and e.frag_measured[0] == 1
    assert e.frag_ram[0] == 300.0 and e.ram_used[0] == pytest.approx(300.0)


def test_placeholder_underestimate_kills_the_container() -> None:
    """Booked at 500 MB, measured at 3000 MB > 2285.568 MB RAM (no swap): out of memory.
    The fragment waits again from the start, its memory freed, its demand now known."""
    e = engine_with_task(placeholder_mb=500.0, swap_mb=0.0)
    set_fragment(e, 0, work=1000.0, in_raw=10.0, out_raw=1.0, peak=3000.0)
    place(e, 0)
    assert stat(e, "evicted") == 1
    assert e.frag_state[0] == READY and e.frag_host[0] == -1 and e.frag_work[0] == 1000.0
    assert e.ram_used[0] == 0.0 and e.frag_measured[0] == 1
    assert not place(e, 0).placements  # now its true demand is booked: it no longer fits


def test_hidden_demand_shows_the_placeholder_until_measured() -> None:
    env = gym.make("SplitPlace-v0", n_hosts=1, arrival_rate=0.0, max_tasks=1, container_costs=False,
                   placeholder_mb=5000.0, hide_unmeasured=True).unwrapped
    env.reset(seed=0)
    e = env.engine
    e.task_active[0], e.task_new[0], e.task_app[0], e.task_batch[0], e.task_split[0] = True, True, 0, 20000, -1
    e.task_id[0], e.task_start[0] = 0, np.nan
    obs = env.step(env.codec.noop())[0]  # split 0 (layer): fragment 0 ready, never run
    ram_scale = env.codec.scales["ram_mb"]
    assert obs["fragments"][0, 8] == pytest.approx(min(5000.0 / ram_scale, 1.0), rel=1e-6)
    assert e.frag_peak[0] != 5000.0


def test_streaming_memory_is_the_option_and_full_batch_the_paper() -> None:
    """Full batch holds input + outputs (MNIST layer fragment 1: 20000 x (84.5 + 144) KB ~ 4.5 GB);
    streaming holds 2000 samples' activations."""
    full = EdgeEngine(SplitPlaceConfig(container_costs=False))
    stream = EdgeEngine(SplitPlaceConfig(container_costs=False, memory_model="streaming"))
    assert SplitPlaceConfig().memory_model == "full_batch"
    ram_full = full.demands(0, LAYER, 20000)[0, 1]
    ram_stream = stream.demands(0, LAYER, 20000)[0, 1]
    per_sample = full.split_in[0, LAYER, 1] + full.split_out[0, LAYER, 1]
    assert ram_full == pytest.approx(200.0 + full.split_weights[0, LAYER, 1] + 20000 * per_sample)
    assert ram_full > 4000.0 > 1000.0 > ram_stream


def test_options_are_validated() -> None:
    for field, value in [("memory_model", "paged"), ("swap_mb", -1.0), ("max_containers", -1),
                         ("placeholder_mb", float("nan")), ("arrival_process", "uniform"),
                         ("host_type_counts", (3,)), ("host_power", "pi5"), ("host_cores", (2, 4, 8))]:
        with pytest.raises(ValueError, match=field):
            SplitPlaceConfig(**{field: value})
    with pytest.raises(ValueError, match="hide_unmeasured"):
        SplitPlaceConfig(hide_unmeasured=True)


def test_authors_code_id_is_the_released_setting() -> None:
    env = gym.make("SplitPlace-AuthorsCode-v0")
    e = env.unwrapped.engine
    cfg = e.cfg
    assert e.n_hosts == 10 and cfg.max_containers == 10 and cfg.placeholder_mb == 5000.0
    assert e.hosts.cores.tolist() == [2, 2, 2, 2, 2, 2, 4, 4, 4, 4]
    assert e.hosts.ram_type.tolist() == [8, 8, 8, 8, 16, 16, 16, 16, 32, 32]
    assert not e.hosts.mobile.any() and cfg.app_weights == (0.5, 0.25, 0.25)
    counts = []
    for seed in range(40):
        _, info = env.reset(seed=seed)
        counts.append(info["arrived_total"])
    assert min(counts) >= 1, "the authors' first interval brings at least one workflow"
    assert set(counts) <= {1, 2}, counts  # max(1, int(gauss(1, 0.5))): 1 or 2 (int truncates)
