"""Names of the rows of the engine's packed state blocks, and the shared constants.

The engine keeps its state in a few 2-D numpy blocks. Each tuple below names
the rows of one block, in order; ``EdgeEngine`` exposes every row as a named view
(``engine.task_active``, ``engine.frag_ram``...), and the kernels index rows with
the ``C_*`` / ``P_*`` constants or by the positions listed here.

The fixed-size blocks are themselves views of two flat *arenas*, one float64 and
one int64, in the order of ``ARENA_FLOAT`` and ``ARENA_INT``: handing a compiled
kernel one array costs about 0.1 us, so the step takes the two arenas and a
table of where each block lies (``arena_table``) instead of fifteen blocks.
"""

from __future__ import annotations

# Fragment states.
EMPTY, BLOCKED, READY, RUNNING, DONE = 0, 1, 2, 3, 4
#: Tolerance of capacity checks and of "nothing left" tests.
EPS = 1e-9

# Rows of the engine's blocks.
TASK_BOOL = ("task_active", "task_new")
TASK_INT = ("task_id", "task_app", "task_batch", "task_split", "task_left")
TASK_FLOAT = ("task_sla", "task_arrival", "task_start", "task_finish",
              # the task's drawn accuracy of each network (workload.ACCURACY_MODES)
              "task_acc_layer", "task_acc_semantic", "task_acc_compressed")
FRAG_INT = ("frag_state", "frag_host", "frag_measured")  # measured: has run for an interval
# frag_ram: RAM the fragment books on its host (its demand; a placeholder until measured
# when ``placeholder_mb`` > 0); frag_peak: its true peak footprint; in/out MB as moved
# (compressed).
FRAG_FLOAT = ("frag_work", "frag_work_total", "frag_delay", "frag_out_s", "frag_ram", "frag_disk",
              "frag_in_mb", "frag_out_mb", "frag_finish", "frag_peak")
HOST_SPEC = ("ram_mb", "disk_mb", "cores", "speed", "mobile")
HOST_STATE = ("ram_used", "disk_used", "bandwidth", "latency", "x", "y", "target_x", "target_y", "walk_speed",
              # work rows of a step: memory that migrations release once placements are decided,
              # and the resident memory of the running fragments at the interval's start
              "released_ram", "released_disk", "resident_mb",
              # host faults: down now (1.0) or up (0.0); failed by the random fault process;
              # held down by a fault-trace event until this interval
              "host_down", "host_failed", "host_down_until")
#: host_up: 1.0 if the host is up at the start of the next interval (what the observation shows).
HOST_OUT = ("host_util", "host_net_util", "host_power_w", "host_up")
SPLIT_INT = ("split_nfrag", "split_chain", "split_network")  # network: the accuracy row a split reads
SPLIT_FLOAT = ("split_work", "split_weights", "split_in", "split_out", "split_peak",
               # per-container fixed costs (s): checkpoint load, decode of the input
               "split_load_s", "split_decode_s_per_mb", "split_decode_fixed_s")
#: What the last interval counted (``EdgeEngine.step_counts``): integers, so they sit
#: with the counters and reach Python as ints (``int()`` of seven floats per step cost
#: more than building the rest of ``info``).
STEP_COUNTS = ("placements", "migrations", "infeasible", "ignored", "new_tasks", "evicted", "fault_restarts")
#: Integer counters of the episode, then the last interval's counts (``EdgeEngine.counters``).
COUNTERS = ("t", "arrived", "admitted", "finished_total", "ready", "next_arrivals", "fin_pos", "n_fin",
            "pend_pos", "n_pend") + STEP_COUNTS
(C_T, C_ARRIVED, C_ADMITTED, C_FINISHED, C_READY, C_NEXT, C_FIN_POS, C_N_FIN, C_PEND_POS,
 C_N_PEND, C_PLACEMENTS, C_MIGRATIONS, C_INFEASIBLE, C_IGNORED, C_NEW_TASKS, C_EVICTED,
 C_FAULT_RESTARTS) = range(len(COUNTERS))
#: What else the last interval produced (``EdgeEngine.stats``; ``n_finished`` is a float
#: here because Eq. 8's terms in ``info["rewards"]`` are).
STATS = ("n_finished", "energy_j", "reward", "qos", "aec", "art", "paged_mb")
#: What ``kernels.step`` returns, as plain Python ints and floats in this order:
#: whether it stepped nothing for want of room (``needs_room``), the host-output row it
#: wrote, then ``COUNTERS`` and ``STATS`` after the step. (One tuple the wrapper builds
#: in C: reading the blocks back with ``tolist`` cost two numpy calls per step.)
RESULT = ("needs_room", "host_row") + COUNTERS + STATS
R_HOST_ROW = 1
#: Where ``COUNTERS`` and ``STATS`` start in ``RESULT``.
R_COUNTERS = 2
R_STATS = R_COUNTERS + len(COUNTERS)
#: Scalar parameters (``EdgeEngine.params``), the observation's inverse scales included.
PARAMS = ("n_splits", "interval_s", "compute_scale", "transfer_compression", "runtime_overhead_mb",
          "stream_chunk_samples", "max_energy_j", "alpha", "beta", "response_norm", "arrival_rate",
          "min_sla", "accuracy_noise", "mobility_mode", "max_episode_steps",
          "full_batch", "swap_mb", "max_containers", "placeholder_mb", "hide_unmeasured", "gauss_arrivals",
          "arrival_std", "migration",
          # the observation's inverse scales (``SplitPlaceEnv`` docstring)
          "inv_response", "inv_batch", "inv_work", "inv_ram", "inv_disk", "inv_data", "inv_bandwidth",
          "inv_latency", "inv_power",
          # host faults (``kernels.host_faults``)
          "fault_rate", "fault_recovery_rate")
(P_NSPLITS, P_DT, P_COMPUTE, P_COMPRESSION, P_OVERHEAD, P_CHUNK, P_MAX_ENERGY, P_ALPHA, P_BETA, P_RNORM,
 P_RATE, P_MIN_SLA, P_NOISE, P_MOBILITY, P_STEPS, P_FULL_BATCH, P_SWAP, P_MAX_CONTAINERS, P_PLACEHOLDER,
 P_HIDE, P_GAUSS, P_ARRIVAL_STD, P_MIGRATION, P_INV_RESPONSE, P_INV_BATCH, P_INV_WORK, P_INV_RAM,
 P_INV_DISK, P_INV_DATA, P_INV_BANDWIDTH, P_INV_LATENCY, P_INV_POWER, P_FAULT_RATE,
 P_RECOVERY_RATE) = range(len(PARAMS))
#: Rows of the finished-task and new-task record logs.
FIN_INT = ("task_id", "app", "split", "batch")
FIN_FLOAT = ("response", "wait", "sla", "sla_met", "accuracy")
PEND_INT = ("slot", "task_id", "app", "batch")
PEND_FLOAT = ("sla",)

#: Fixed-size blocks in the arenas (``kernels.unpack`` takes them in this order).
ARENA_FLOAT = ("params", "split_f", "host_spec", "trace", "wl_f", "host_state", "task_f", "frag_f", "stats",
               "power", "faults")
ARENA_INT = ("counters", "split_i", "wl_i", "task_i", "frag_i", "scratch_i")
#: Columns of the arena table: offset, size, then the block's shape padded with 1s.
MAX_DIMS = 4


def arena_table(shapes: dict[str, tuple[int, ...]], names: tuple[str, ...]) -> list[list[int]]:
    """Rows (offset, size, d0, d1, d2, d3) of the blocks ``names`` laid end to end."""
    rows, offset = [], 0
    for name in names:
        shape = tuple(shapes[name])
        size = 1
        for d in shape:
            size *= d
        rows.append([offset, size, *shape, *([1] * (MAX_DIMS - len(shape)))])
        offset += size
    return rows
