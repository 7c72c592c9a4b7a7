"""A numpy copy of the surrogate for the placement loop: O_t and dO_t/dA by hand.

Torch's per-operation overhead (~4 ms per forward+backward on a loaded core)
would cost the 40-iteration placement loop far more than the 20 ms budget at
16 hosts; the network is small, so a hand-written forward/backward in numpy
(~30 array operations) is an order of magnitude faster. Only the gradient with
respect to the aggregated demand A = P^T @ demand is needed (Eq. 10 flows
through it). ``tests/test_agents_daso.py`` checks it against torch autograd.
"""

from __future__ import annotations

import numpy as np

from agents.surrogate import N_HOST_FEATURES, Surrogate


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class NumpySurrogate:
    """Frozen numpy weights of a ``Surrogate``; rebuild after the torch model changes."""

    def __init__(self, model: Surrogate) -> None:
        sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
        self.w1, self.b1 = sd["encoder.0.weight"].T, sd["encoder.0.bias"]
        self.w2, self.b2 = sd["encoder.2.weight"].T, sd["encoder.2.bias"]
        self.w3, self.b3 = sd["head.0.weight"].T, sd["head.0.bias"]
        self.w4, self.b4 = sd["head.2.weight"].T, sd["head.2.bias"]
        self.w5, self.b5 = sd["head.4.weight"].T, sd["head.4.bias"]
        self.hm, self.hs = sd["host_mean"], sd["host_std"]
        self.gm, self.gs = sd["glob_mean"], sd["glob_std"]
        self.hidden = self.w2.shape[1]
        # The demand columns' first-layer weights with their standardisation folded in.
        self.wa = self.w1[N_HOST_FEATURES:] / self.hs[N_HOST_FEATURES:, None]
        self.wa_t = np.ascontiguousarray(self.wa.T)
        self.w2_t = np.ascontiguousarray(self.w2.T)

    def prepare(self, hosts: np.ndarray, glob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Constant parts: the hosts' first-layer pre-activation (with the demand
        columns' mean folded in) and the normalised globals."""
        xs = (hosts - self.hm[:N_HOST_FEATURES]) / self.hs[:N_HOST_FEATURES]
        pre = xs @ self.w1[:N_HOST_FEATURES] + (self.b1 - self.hm[N_HOST_FEATURES:] @ self.wa)
        return pre.astype(np.float32), ((glob - self.gm) / self.gs).astype(np.float32)

    def value_and_grad(self, pre_hosts: np.ndarray, g: np.ndarray, A: np.ndarray) -> tuple[float, np.ndarray]:
        """O_t and dO_t/dA for the aggregated demand A (H, k)."""
        H = A.shape[0]
        a1 = pre_hosts + A @ self.wa
        h1 = _softplus(a1)
        a2 = h1 @ self.w2 + self.b2
        h2 = _softplus(a2)
        z = h2.mean(axis=0)
        u = np.concatenate([z, g])
        a3 = u @ self.w3 + self.b3
        h3 = _softplus(a3)
        a4 = h3 @ self.w4 + self.b4
        h4 = a4 - np.tanh(a4)
        o = float(h4 @ self.w5[:, 0] + self.b5[0])
        # Backward.
        d4 = self.w5[:, 0] * np.tanh(a4) ** 2
        d3 = (self.w4 @ d4) * _sigmoid(a3)
        dz = (self.w3 @ d3)[: self.hidden]
        d2 = (dz / H)[None, :] * _sigmoid(a2)
        d1 = (d2 @ self.w2_t) * _sigmoid(a1)
        return o, d1 @ self.wa_t
