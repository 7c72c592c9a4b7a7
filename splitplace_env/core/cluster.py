"""The edge hosts: capacities, mobility flags and the power model.

Preset "paper": 16 Raspberry Pi 4B (quad Cortex-A72, 1.5 GHz), eight with 4 GB and
eight with 8 GB of RAM. Usable RAM follows the authors' admission rule (facts 1.1):
0.6 x RAM below 4000 MB of visible memory, else 0.8 x RAM, where the visible memory
of a Pi is its nominal RAM less the GPU/firmware reserve (about 0.93 x nominal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from splitplace_env.config import SplitPlaceConfig
from splitplace_env.core.jit import kernel

#: Pi 4B power (W) at CPU utilisation 0, 10, ..., 100 % (SPEC-style 11-point table).
#: End points from public measurements of the board (idle ~2.7 W, 4-core stress
#: ~6.4 W); between them a mildly concave curve, as SPECpower tables of servers
#: show (each extra busy core adds a little less, as the SoC's shared parts are
#: already awake).
PI4B_POWER_W = np.array([2.70, 3.15, 3.57, 3.96, 4.33, 4.68, 5.01, 5.32, 5.62, 5.97, 6.40])

#: Fraction of nominal RAM visible to Linux on a Pi 4B (GPU/firmware reserve).
PI_VISIBLE_RAM = 0.93
#: Usable SD-card space for container images and data files (MB) of a 32 GB card.
PI_DISK_MB = 20_000.0


@dataclass(frozen=True)
class HostSpecs:
    """Static, per-host arrays of the cluster (shape (n_hosts,))."""

    ram_mb: np.ndarray      # usable RAM for containers (admission capacity)
    disk_mb: np.ndarray     # usable disk
    cores: np.ndarray       # cores (one fragment container uses one)
    speed: np.ndarray       # compute speed relative to a Pi 4B core
    mobile: np.ndarray      # bool: moves (wireless) or fixed (wired)
    ram_type: np.ndarray    # nominal RAM in GB (the host "type")

    @property
    def n(self) -> int:
        return int(self.ram_mb.shape[0])


def usable_ram_mb(nominal_gb: float) -> float:
    """Admission capacity of a host with ``nominal_gb`` of RAM (authors' 0.6/0.8 rule)."""
    visible = nominal_gb * 1024.0 * PI_VISIBLE_RAM
    return visible * (0.6 if visible < 4000.0 else 0.8)


def build_hosts(cfg: SplitPlaceConfig) -> HostSpecs:
    """Builds the host arrays: RAM types in equal contiguous blocks, mobiles spread evenly."""
    n = cfg.n_hosts
    types = np.array(cfg.host_ram_gb, dtype=np.float64)
    ram_type = types[(np.arange(n) * len(types)) // n]
    n_mobile = int(round(cfg.mobile_fraction * n))
    # Evenly spaced picks put mobiles in every RAM block (neither type is all-fixed).
    mobile = np.zeros(n, dtype=bool)
    mobile[np.linspace(0, n, n_mobile, endpoint=False).astype(int)] = True
    return HostSpecs(
        ram_mb=np.array([usable_ram_mb(t) for t in ram_type]),
        disk_mb=np.full(n, PI_DISK_MB),
        cores=np.full(n, float(cfg.host_cores)),
        speed=np.ones(n),
        mobile=mobile,
        ram_type=ram_type,
    )


@kernel
def power_at(util, table):
    """Power (W) at CPU utilisation ``util``: linear interpolation in the 11-point
    ``table`` (``PI4B_POWER_W``), clamped to its end points outside [0, 1]."""
    last = table.shape[0] - 1
    x = min(max(util, 0.0), 1.0) * last
    i = min(int(x), last - 1)
    return table[i] + (table[i + 1] - table[i]) * (x - i)


def power_w(util: np.ndarray) -> np.ndarray:
    """``power_at`` of every entry of ``util`` (for reports and tests)."""
    return np.array([power_at(float(u), PI4B_POWER_W) for u in np.ravel(util)]).reshape(np.shape(util))


def max_energy_j(n_hosts: int, interval_s: float) -> float:
    """Energy of the whole cluster at full load over one interval (J): the AEC scale."""
    return float(n_hosts * PI4B_POWER_W[-1] * interval_s)


def idle_energy_j(n_hosts: int, interval_s: float) -> float:
    """Energy of the idle cluster over one interval (J): the floor of any interval."""
    return float(n_hosts * PI4B_POWER_W[0] * interval_s)
