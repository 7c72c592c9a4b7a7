"""Latency and bandwidth between the broker and each host.

Data is star-routed through the broker (authors' code: scp broker <-> host), so a
host's link to the broker is all that matters. Fixed hosts are wired; mobile hosts
use Wi-Fi whose bandwidth falls and latency grows with the distance to the
nearest access point. Transfer time = size / bandwidth + latency.
"""

from __future__ import annotations

import numpy as np

from splitplace_env.core.mobility import ACCESS_POINTS

#: Wired Pi 4B (gigabit Ethernet, scp throughput limited by the Pi's CPU), MB/s.
WIRED_BANDWIDTH_MBPS = 40.0
WIRED_LATENCY_S = 0.001
#: Wi-Fi 802.11ac on a Pi 4B next to the access point, MB/s; the floor at the edge.
WIFI_BANDWIDTH_MBPS = 10.0
WIFI_BANDWIDTH_FLOOR = 0.1
#: Distance (m) at which Wi-Fi bandwidth reaches its floor.
WIFI_RANGE_M = 400.0
WIFI_BASE_LATENCY_S = 0.005
WIFI_LATENCY_PER_M_S = 1e-4

#: Scales of the observation features (documented in the env docstring).
MAX_BANDWIDTH_MBPS = WIRED_BANDWIDTH_MBPS
MAX_LATENCY_S = WIFI_BASE_LATENCY_S + WIFI_LATENCY_PER_M_S * WIFI_RANGE_M * 1.5


def link_quality(positions: np.ndarray, mobile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns (bandwidth MB/s, latency s) of every host's link to the broker.

    Args:
        positions: (..., n_hosts, 2) metres (leading axes, e.g. intervals, broadcast).
        mobile: (n_hosts,) bool; fixed hosts are wired whatever their position.
    """
    dx = positions[..., 0, None] - ACCESS_POINTS[:, 0]
    dy = positions[..., 1, None] - ACCESS_POINTS[:, 1]
    d = np.sqrt(np.min(dx * dx + dy * dy, axis=-1))
    frac = np.clip(1.0 - (d / WIFI_RANGE_M) ** 2, WIFI_BANDWIDTH_FLOOR, 1.0)
    bandwidth = np.where(mobile, WIFI_BANDWIDTH_MBPS * frac, WIRED_BANDWIDTH_MBPS)
    latency = np.where(mobile, WIFI_BASE_LATENCY_S + WIFI_LATENCY_PER_M_S * d, WIRED_LATENCY_S)
    return bandwidth, latency
