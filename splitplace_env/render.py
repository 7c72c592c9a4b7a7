"""Rendering: an ANSI table of hosts and tasks, and an RGB picture of the cluster."""

from __future__ import annotations

import numpy as np

from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK
from splitplace_env.core.engine import BLOCKED, DONE, READY, RUNNING
from splitplace_env.core.mobility import ACCESS_POINTS, AREA_M

_STATE_CHAR = {0: ".", BLOCKED: "b", READY: "r", RUNNING: "R", DONE: "d"}


def ansi(env) -> str:
    """A text table: one line per host, then one per occupied task slot."""
    e = env.engine
    lines = [f"interval {e.t}  backlog {e.backlog}  queue {e.queue_length()}  "
             f"finished {e.n_finished_total}/{e.next_task_id}",
             f"{'host':>4} {'RAM':>4} {'mob':>3} {'cpu%':>5} {'ram MB used/cap':>17} {'bw MB/s':>8} {'lat ms':>7} {'frags':>5}"]
    n_on = np.bincount(e.frag_host[e.frag_state == RUNNING], minlength=e.n_hosts)
    for h in range(e.n_hosts):
        lines.append(f"{h:>4} {e.hosts.ram_type[h]:>3.0f}G {'y' if e.hosts.mobile[h] else 'n':>3} "
                     f"{100 * e.host_util[h]:>5.1f} {e.ram_used[h]:>8.0f}/{e.hosts.ram_mb[h]:<8.0f} "
                     f"{e.bandwidth[h]:>8.2f} {1000 * e.latency[h]:>7.1f} {n_on[h]:>5}")
    lines.append(f"{'slot':>4} {'task':>6} {'app':<12} {'split':<10} {'sla':>4} {'age':>4} fragments")
    F = MAX_FRAGMENTS_PER_TASK
    for k in np.flatnonzero(e.task_active).tolist():
        s = e.task_split[k]
        split = env.config.split_modes[s] if s >= 0 else "(new)"
        frags = "".join(_STATE_CHAR[int(x)] for x in e.frag_state[k * F:(k + 1) * F])
        lines.append(f"{k:>4} {e.task_id[k]:>6} {APPLICATIONS[e.task_app[k]]:<12} {split:<10} "
                     f"{e.task_sla[k]:>4.0f} {e.t - e.task_arrival[k]:>4.0f} {frags}")
    return "\n".join(lines) + "\n"


def rgb_array(env, size: int = 400) -> np.ndarray:
    """A picture of the area: access points (grey), hosts coloured by CPU load
    (green idle -> red busy; mobile hosts with a blue rim) with a RAM bar below
    each, and a strip of task slots at the bottom (one cell per fragment slot)."""
    e = env.engine
    strip = 40
    img = np.full((size + strip, size, 3), 255, dtype=np.uint8)
    scale = (size - 20) / AREA_M

    def box(y, x, half, color):
        y0, y1 = max(0, y - half), min(img.shape[0], y + half + 1)
        x0, x1 = max(0, x - half), min(size, x + half + 1)
        img[y0:y1, x0:x1] = color

    for ap in ACCESS_POINTS:
        box(int(10 + ap[1] * scale), int(10 + ap[0] * scale), 6, (170, 170, 170))
    for h in range(e.n_hosts):
        x, y = (10 + e.positions[h] * scale).astype(int)
        u = float(e.host_util[h])
        if e.hosts.mobile[h]:
            box(y, x, 7, (40, 80, 220))
        box(y, x, 5, (int(255 * u), int(200 * (1 - u)), 40))
        ram = e.ram_used[h] / e.hosts.ram_mb[h]
        img[min(y + 8, size - 1), max(0, x - 5):max(0, x - 5) + int(11 * ram)] = (0, 0, 0)
    # Task strip: fragment slots coloured by state.
    colors = {0: (235, 235, 235), BLOCKED: (200, 200, 120), READY: (250, 160, 40),
              RUNNING: (40, 160, 60), DONE: (120, 120, 220)}
    n = e.n_frags
    width = max(1, size // max(1, n))
    for f in range(min(n, size // width)):
        img[size + 5:size + strip - 5, f * width:(f + 1) * width] = colors[int(e.frag_state[f])]
    return img
