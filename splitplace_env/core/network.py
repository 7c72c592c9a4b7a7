"""Latency and bandwidth between the broker and each host.

Data is star-routed through the broker (authors' code: scp broker <-> host), so a
host's link to the broker is all that matters. Fixed hosts are wired; mobile hosts
use Wi-Fi whose bandwidth falls and latency grows with the distance to the
nearest access point. Transfer time = size / bandwidth + latency.
"""

from __future__ import annotations

import math

import numpy as np

from splitplace_env.core.jit import kernel
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


@kernel
def link(x, y, mobile):
    """(bandwidth MB/s, latency s) of the link to the broker of a host at (x, y) m:
    wired if the host is fixed, else Wi-Fi to the nearest access point."""
    if not mobile:
        return WIRED_BANDWIDTH_MBPS, WIRED_LATENCY_S
    d2 = math.inf
    for a in range(ACCESS_POINTS.shape[0]):
        dx = x - ACCESS_POINTS[a, 0]
        dy = y - ACCESS_POINTS[a, 1]
        d2 = min(d2, dx * dx + dy * dy)
    d = math.sqrt(d2)
    frac = min(max(1.0 - (d / WIFI_RANGE_M) ** 2, WIFI_BANDWIDTH_FLOOR), 1.0)
    return WIFI_BANDWIDTH_MBPS * frac, WIFI_BASE_LATENCY_S + WIFI_LATENCY_PER_M_S * d


def link_quality(positions: np.ndarray, mobile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``link`` of every host: (bandwidth, latency) arrays of shape (n_hosts,).

    Args:
        positions: (n_hosts, 2) metres.
        mobile: (n_hosts,) bool; fixed hosts are wired whatever their position.
    """
    pairs = [link(float(p[0]), float(p[1]), bool(m)) for p, m in zip(positions, mobile)]
    return np.array([b for b, _ in pairs]), np.array([lat for _, lat in pairs])
