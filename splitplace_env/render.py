"""Rendering: an ANSI table of hosts and tasks, and an RGB picture of the cluster.

Both read the engine's state and the last interval's statistics (the engine's
``result``); nothing here runs on the step path. The picture
is drawn with matplotlib's Agg canvas (no pyplot, no global figure state).
"""

from __future__ import annotations

import numpy as np

from splitplace_env.config import APPLICATIONS, MAX_FRAGMENTS_PER_TASK
from splitplace_env.core.engine import BLOCKED, DONE, READY, RUNNING
from splitplace_env.core.layout import R_STATS, STATS
from splitplace_env.core.mobility import ACCESS_POINTS, AREA_M

_STATE_CHAR = {0: ".", BLOCKED: "b", READY: "r", RUNNING: "R", DONE: "d"}
#: Fragment-slot states: (name, colour) in state order (0 = no fragment).
FRAGMENT_STATES = {0: ("empty", "#ebebeb"), BLOCKED: ("blocked (waits for its predecessor)", "#c8c878"),
                   READY: ("ready (may be placed)", "#faa028"), RUNNING: ("running", "#28a03c"),
                   DONE: ("done", "#7878dc")}
ANSI_LEGEND = ("fragments: " + "  ".join(f"{_STATE_CHAR[s]} {name}" for s, (name, _) in FRAGMENT_STATES.items())
               + "; RAM: host's RAM type, mob: mobile host (y/n), up: up or DOWN (a fault),"
               " cpu%: CPU load of the interval")
#: Hosts beyond which the picture drops per-host labels (they would overlap).
_LABELLED_HOSTS = 32


def _reward_terms(env) -> dict[str, float] | None:
    """The last interval's reward terms, or None before the first step."""
    e = env.engine
    if e.t == 0:
        return None
    s = dict(zip(STATS, e.result[R_STATS:]))
    return {"reward": s["reward"], "qos": s["qos"], "aec": s["aec"], "art": s["art"], "finished": s["n_finished"]}


def _headline(env) -> str:
    e = env.engine
    terms = _reward_terms(env)
    head = (f"interval {e.t}/{env.config.max_episode_steps}  backlog {e.backlog}  queue {e.queue_length()}  "
            f"finished {e.n_finished_total}/{e.next_task_id}")
    if terms is None:
        return head + "  (no interval run yet)"
    return (head + f"  reward {terms['reward']:+.3f} = QoS {terms['qos']:.3f} - {env.config.alpha:g} AEC "
            f"{terms['aec']:.3f} - {env.config.beta:g} ART {terms['art']:.3f}")


def ansi(env) -> str:
    """A text table: a headline with the reward terms, one line per host, one per
    occupied task slot, and a legend of the codes."""
    e = env.engine
    lines = [_headline(env),
             f"{'host':>4} {'RAM':>4} {'mob':>3} {'cpu%':>5} {'ram MB used/cap':>17} {'bw MB/s':>8} {'lat ms':>7} "
             f"{'frags':>5} {'up':>4}"]
    n_on = np.bincount(e.frag_host[e.frag_state == RUNNING], minlength=e.n_hosts)
    for h in range(e.n_hosts):
        lines.append(f"{h:>4} {e.hosts.ram_type[h]:>3.0f}G {'y' if e.hosts.mobile[h] else 'n':>3} "
                     f"{100 * e.host_util[h]:>5.1f} {e.ram_used[h]:>8.0f}/{e.hosts.ram_mb[h]:<8.0f} "
                     f"{e.bandwidth[h]:>8.2f} {1000 * e.latency[h]:>7.1f} {n_on[h]:>5} "
                     f"{'up' if e.host_up[h] > 0.5 else 'DOWN':>4}")
    lines.append(f"{'slot':>4} {'task':>6} {'app':<12} {'split':<10} {'sla':>4} {'age':>4} fragments")
    F = MAX_FRAGMENTS_PER_TASK
    for k in np.flatnonzero(e.task_active).tolist():
        s = e.task_split[k]
        split = env.config.split_modes[s] if s >= 0 else "(new)"
        frags = "".join(_STATE_CHAR[int(x)] for x in e.frag_state[k * F:(k + 1) * F])
        lines.append(f"{k:>4} {e.task_id[k]:>6} {APPLICATIONS[e.task_app[k]]:<12} {split:<10} "
                     f"{e.task_sla[k]:>4.0f} {e.t - e.task_arrival[k]:>4.0f} {frags}")
    lines.append(ANSI_LEGEND)
    return "\n".join(lines) + "\n"


def rgb_array(env, width: int = 1120, height: int = 720) -> np.ndarray:
    """A picture of the cluster (``cluster_figure``) as a ``(height, width, 3)`` uint8 array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(cluster_figure(env, width, height))
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def cluster_figure(env, width: int = 1120, height: int = 720):
    """The matplotlib ``Figure`` behind ``rgb_array``, ``width`` x ``height`` pixels.

    Title: the interval, the queue and the last interval's reward terms (Eq. 8).
    Left: the area with its access points and the hosts coloured by CPU load
    (mobile hosts ringed in blue). Right, top: per host, CPU load, then RAM used
    over its capacity (above 100 %: paging to network swap). Right, bottom: the
    fragment slots of every task slot coloured by state. Each panel has a legend.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    e = env.engine
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    grid = fig.add_gridspec(3, 2, width_ratios=(1.0, 1.25), height_ratios=(0.8, 0.8, 1.0), left=0.06, right=0.98,
                            bottom=0.13, top=0.87, wspace=0.22, hspace=0.6)
    fig.suptitle(_title(env), fontsize=11, y=0.985)
    util = np.clip(np.asarray(e.host_util, dtype=float), 0.0, 1.0)
    ram = np.asarray(e.ram_used, dtype=float) / np.asarray(e.hosts.ram_mb, dtype=float)
    mobile = np.asarray(e.hosts.mobile, dtype=bool)
    hosts = np.arange(e.n_hosts)

    # Map: access points, hosts coloured by CPU load.
    ax = fig.add_subplot(grid[:, 0])
    ax.scatter(ACCESS_POINTS[:, 0], ACCESS_POINTS[:, 1], marker="s", s=90, color="#aaaaaa", zorder=1)
    pos = np.asarray(e.positions, dtype=float)
    points = ax.scatter(pos[:, 0], pos[:, 1], c=util, cmap="RdYlGn_r", vmin=0.0, vmax=1.0, s=110,
                        edgecolors=np.where(mobile[:, None], [[0.15, 0.3, 0.85, 1.0]], [[0.2, 0.2, 0.2, 1.0]]),
                        linewidths=np.where(mobile, 2.5, 0.8), zorder=2)
    down = np.asarray(e.host_up) < 0.5
    if down.any():  # a failed host: a black cross over its marker
        ax.scatter(pos[down, 0], pos[down, 1], marker="x", s=140, color="black", linewidths=2.5, zorder=3)
    if e.n_hosts <= _LABELLED_HOSTS:
        for h in hosts.tolist():
            ax.annotate(str(h), pos[h], xytext=(6, 5), textcoords="offset points", fontsize=8)
    ax.set_xlim(0, AREA_M)
    ax.set_ylim(0, AREA_M)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)", fontsize=9)
    ax.set_ylabel("y (m)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title("hosts (colour: CPU load)", fontsize=10)
    fig.colorbar(points, ax=ax, orientation="horizontal", fraction=0.05, pad=0.1).set_label("CPU load", fontsize=9)
    ax.legend(handles=[Line2D([], [], marker="s", ls="", color="#aaaaaa", ms=8, label="access point"),
                       Line2D([], [], marker="o", ls="", mfc="white", mec="#333333", ms=8, label="wired host"),
                       Line2D([], [], marker="o", ls="", mfc="white", mec="#2650d9", mew=2.5, ms=8,
                              label="mobile host"),
                       Line2D([], [], marker="x", ls="", color="black", mew=2.5, ms=8, label="host down (fault)")],
              fontsize=8, loc="upper right", framealpha=0.9)

    # Per-host CPU load and memory, sharing the host axis.
    ax = fig.add_subplot(grid[0, 1])
    ax.bar(hosts, 100 * util, 0.7, color="#d9534f")
    ax.set_ylim(0, 100)
    ax.set_ylabel("CPU load %", fontsize=9)
    ax.set_title("host load and memory", fontsize=10)
    _host_axis(ax, e.n_hosts, labels=False)
    ax = fig.add_subplot(grid[1, 1], sharex=ax)
    ax.bar(hosts, 100 * ram, 0.7, color=np.where(ram > 1.0, "#8e44ad", "#337ab7"))
    ax.axhline(100, color="#555555", lw=0.8, ls="--")
    ax.set_ylim(0, max(110.0, 105 * float(ram.max(initial=0.0))))
    ax.set_ylabel("RAM used %", fontsize=9)
    _host_axis(ax, e.n_hosts, labels=True)
    ax.legend(handles=[Patch(color="#337ab7", label="within RAM"),
                       Patch(color="#8e44ad", label="over RAM: paging to network swap")],
              fontsize=8, loc="upper right", framealpha=0.9)

    # Fragment slots: one row per fragment index, one column per task slot.
    ax = fig.add_subplot(grid[2, 1])
    states = np.asarray(e.frag_state[:e.n_frags]).reshape(e.n_tasks, MAX_FRAGMENTS_PER_TASK).T
    cmap = ListedColormap([colour for _, colour in FRAGMENT_STATES.values()])
    ax.imshow(states, cmap=cmap, vmin=-0.5, vmax=len(FRAGMENT_STATES) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(MAX_FRAGMENTS_PER_TASK))
    ax.set_xlabel("task slot", fontsize=9)
    ax.set_ylabel("fragment", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title("fragment slots", fontsize=10)
    ax.legend(handles=[Patch(facecolor=colour, edgecolor="#888888", label=name.split(" (")[0])
                       for name, colour in FRAGMENT_STATES.values()],
              fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=len(FRAGMENT_STATES), frameon=False)
    return fig


def _host_axis(ax, n_hosts: int, labels: bool) -> None:
    """Host ticks (each one up to ``_LABELLED_HOSTS`` hosts), the x label on the lower panel only."""
    ax.set_xlim(-0.6, n_hosts - 0.4)
    if n_hosts <= _LABELLED_HOSTS:
        ax.set_xticks(range(n_hosts))
    ax.tick_params(labelsize=8, labelbottom=labels)
    if labels:
        ax.set_xlabel("host", fontsize=9)


def _title(env) -> str:
    """Two title lines: where the episode is, and the last interval's Eq. 8 terms."""
    e = env.engine
    first = (f"interval {e.t} of {env.config.max_episode_steps}   backlog {e.backlog}   queue {e.queue_length()}   "
             f"finished {e.n_finished_total} of {e.next_task_id} arrived")
    terms = _reward_terms(env)
    if terms is None:
        return first + "\nno interval run yet (reward terms appear after the first step)"
    return (first + f"\nlast interval: reward {terms['reward']:+.3f} = QoS {terms['qos']:.3f} "
            f"- {env.config.alpha:g} x AEC {terms['aec']:.3f} - {env.config.beta:g} x ART {terms['art']:.3f}   "
            f"({terms['finished']:.0f} tasks finished)")
