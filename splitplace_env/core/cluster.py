"""The edge hosts: capacities, mobility flags and the power models.

Preset "paper": 16 Raspberry Pi 4B (quad Cortex-A72, 1.5 GHz), eight with 4 GB and
eight with 8 GB of RAM. Usable RAM follows the authors' admission rule (their
``Node.getRAMAvailable``): 0.6 x RAM below 4000 MB of visible memory, else 0.8 x RAM,
where the visible memory of a Pi is its nominal RAM less the GPU/firmware reserve
(about 0.93 x nominal). The "authors_code" preset uses the Azure VM models of the
authors' released code (``HOST_MODEL_SPECS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from splitplace_env.config import HOST_MODELS, SplitPlaceConfig, per_type
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

#: Power (W) at CPU 0, 10, ..., 100 % of the authors' Azure VM models (their code's
#: metrics/powermodels: PMB2ms = PME2asv4 from SPECpower IBM x3200 M2, PMB4ms =
#: PME4asv4 from SPECpower IBM x3350).
AZURE_2VCPU_POWER_W = np.array([75.2, 78.2, 84.1, 89.6, 94.9, 100.0, 105.0, 109.0, 112.0, 115.0, 117.0])
AZURE_4VCPU_POWER_W = np.array([71.0, 77.9, 83.4, 89.2, 95.6, 102.0, 108.0, 114.0, 119.0, 123.0, 126.0])
#: The authors' VM disks: resized to 256 GB (their debug/deployazure.py).
AZURE_DISK_MB = 256_000.0

#: Host model -> (power table, fraction of nominal RAM the OS reports, usable disk MB).
#: A VM reports its whole nominal RAM (the authors measure psutil's total).
HOST_MODEL_SPECS = {
    "pi4b": (PI4B_POWER_W, PI_VISIBLE_RAM, PI_DISK_MB),
    "azure_b2ms": (AZURE_2VCPU_POWER_W, 1.0, AZURE_DISK_MB),
    "azure_b4ms": (AZURE_4VCPU_POWER_W, 1.0, AZURE_DISK_MB),
}
assert set(HOST_MODEL_SPECS) == set(HOST_MODELS)


@dataclass(frozen=True)
class HostSpecs:
    """Static, per-host arrays of the cluster (shape (n_hosts,), power (n_hosts, 11))."""

    ram_mb: np.ndarray      # usable RAM for containers (admission capacity)
    disk_mb: np.ndarray     # usable disk
    cores: np.ndarray       # cores (one fragment container uses one)
    speed: np.ndarray       # compute speed of a core relative to a Pi 4B core
    mobile: np.ndarray      # bool: moves (wireless) or fixed (wired)
    ram_type: np.ndarray    # nominal RAM in GB (the host "type")
    power_w: np.ndarray     # power table at CPU 0, 10, ..., 100 %

    @property
    def n(self) -> int:
        return int(self.ram_mb.shape[0])


def usable_ram_mb(nominal_gb: float, visible_fraction: float = PI_VISIBLE_RAM) -> float:
    """Admission capacity of a host with ``nominal_gb`` of RAM (authors' 0.6/0.8 rule)."""
    visible = nominal_gb * 1024.0 * visible_fraction
    return visible * (0.6 if visible < 4000.0 else 0.8)


def build_hosts(cfg: SplitPlaceConfig) -> HostSpecs:
    """Builds the host arrays: types in contiguous blocks (equal, or ``host_type_counts``),
    mobiles spread evenly."""
    n, k = cfg.n_hosts, len(cfg.host_ram_gb)
    counts = cfg.host_type_counts or tuple(np.bincount((np.arange(n) * k) // n, minlength=k))
    kind = np.repeat(np.arange(k), counts)
    n_mobile = int(round(cfg.mobile_fraction * n))
    # Evenly spaced picks put mobiles in every RAM block (neither type is all-fixed).
    mobile = np.zeros(n, dtype=bool)
    mobile[np.linspace(0, n, n_mobile, endpoint=False).astype(int)] = True
    models = [HOST_MODEL_SPECS[m] for m in per_type(cfg.host_power, k)]
    ram_type = np.array(cfg.host_ram_gb, dtype=np.float64)[kind]
    return HostSpecs(
        ram_mb=np.array([usable_ram_mb(cfg.host_ram_gb[t], models[t][1]) for t in kind]),
        disk_mb=np.array([models[t][2] for t in kind], dtype=np.float64),
        cores=np.array(per_type(cfg.host_cores, k), dtype=np.float64)[kind],
        speed=np.array(per_type(cfg.host_speed, k), dtype=np.float64)[kind],
        mobile=mobile,
        ram_type=ram_type,
        power_w=np.stack([models[t][0] for t in kind]),
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


def max_energy_j(hosts: HostSpecs, interval_s: float) -> float:
    """Energy of the whole cluster at full load over one interval (J): the AEC scale."""
    return float(hosts.power_w[:, -1].sum() * interval_s)


def idle_energy_j(hosts: HostSpecs, interval_s: float) -> float:
    """Energy of the idle cluster over one interval (J): the floor of any interval."""
    return float(hosts.power_w[:, 0].sum() * interval_s)
