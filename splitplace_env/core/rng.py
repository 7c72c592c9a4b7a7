"""Random numbers inside the compiled interval: SplitMix64 streams and exact samplers.

Every random quantity of an episode (arrivals, task draws, mobility) is drawn in
the compiled step from explicit generator states held by the engine: a
``uint64`` array with one entry per stream, seeded at reset from the episode's
``numpy.random.SeedSequence``. No global or hidden state: the same seed gives the
same episode in any process, and each stream is independent of the agent's
actions (common random numbers).

* ``next_u64``: SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom
  number generators", OOPSLA 2014; the generator behind Java's
  ``SplittableRandom``): a Weyl sequence through a 64-bit mixing function.
* ``uniform``: a double in the open interval (0, 1) from the top 53 bits, so
  every ``log`` below is finite.
* ``normal``: Marsaglia's polar method. ``gamma``: Marsaglia & Tsang (2000),
  shape >= 1.
* ``binomial``: Hoermann's BTRD (transformed rejection with decomposition, "The
  generation of binomial random variates", J. Statist. Comput. Simul. 46, 1993),
  exact, about two uniforms per draw for the 20000-sample batches; direct
  counting when n * min(p, 1 - p) < 10.
* ``poisson``: the exact recursive method of Knuth, TAOCP vol. 2, section 3.4.1
  (a gamma draw splits a large mean), then the product-of-uniforms method.

Numba's own ``np.random.Generator`` support is not used: passing a Generator
into a compiled function costs about 14 us per call (measured here), more than
the whole interval.
"""

from __future__ import annotations

import math

import numpy as np

from splitplace_env.core.jit import kernel, wrapping_kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
_INV_2_53 = 1.0 / 9007199254740992.0
#: Below this mean Poisson draws count directly.
_DIRECT = 16


def seed_states(seed_sequence: np.random.SeedSequence, n_streams: int) -> np.ndarray:
    """Initial states of ``n_streams`` independent streams (one uint64 each)."""
    return np.array([s.generate_state(1, np.uint64)[0] for s in seed_sequence.spawn(n_streams)],
                    dtype=np.uint64)


@wrapping_kernel
def next_u64(state, s):
    """Next 64-bit output of stream ``s`` (advances ``state[s]``)."""
    z = state[s] + _GOLDEN
    state[s] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@kernel
def uniform(state, s):
    """A double uniform on (0, 1), never 0 or 1."""
    return ((next_u64(state, s) >> _S11) + 0.5) * _INV_2_53


@kernel
def below(state, s, n):
    """An integer uniform on {0, .., n - 1} (n >= 1)."""
    return min(int(uniform(state, s) * n), n - 1)


@kernel
def normal(state, s):
    """A standard normal draw (polar method; the pair's second value is not kept,
    so the state stays one number per stream)."""
    while True:
        u = 2.0 * uniform(state, s) - 1.0
        v = 2.0 * uniform(state, s) - 1.0
        q = u * u + v * v
        if 0.0 < q < 1.0:
            return u * math.sqrt(-2.0 * math.log(q) / q)


@kernel
def gamma(state, s, shape):
    """A Gamma(shape, 1) draw for shape >= 1 (Marsaglia & Tsang's squeeze method)."""
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(state, s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(state, s)
        if u < 1.0 - 0.0331 * x * x * x * x or math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v


#: log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2] for k = 0..9 (BTRD's table).
_STIRLING_TAIL = np.array([0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                           0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                           0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                           0.008330563433362871])


@kernel
def _stirling_tail(k):
    """The Stirling-series remainder of log(k!) (table below 10, series above)."""
    if k < 10:
        return _STIRLING_TAIL[int(k)]
    r = 1.0 / (k + 1.0)
    rr = r * r
    return (1.0 / 12.0 - (1.0 / 360.0 - rr / 1260.0) * rr) * r


@kernel
def _btrd(state, s, n, p):
    """BTRD for p <= 1/2 and n p >= 10 (Hoermann 1993, steps 0-3.4)."""
    m = math.floor((n + 1) * p)
    r = p / (1.0 - p)
    nr = (n + 1) * r
    npq = n * p * (1.0 - p)
    spq = math.sqrt(npq)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    vr = 0.92 - 4.2 / b
    urvr = 0.86 * vr
    while True:
        v = uniform(state, s)
        if v <= urvr:  # the box in the middle of the hat: accept at once
            u = v / vr - 0.43
            return math.floor((2.0 * a / (0.5 - abs(u)) + b) * u + c)
        if v >= vr:
            u = uniform(state, s) - 0.5
        else:
            u = v / vr - 0.93
            u = math.copysign(0.5, u) - u
            v = uniform(state, s) * vr
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = v * alpha / (a / (us * us) + b)
        km = abs(k - m)
        if km <= 15:  # the ratio f(k) / f(m) by recursion
            f = 1.0
            if m < k:
                for i in range(m + 1, k + 1):
                    f *= nr / i - r
            elif m > k:
                for i in range(k + 1, m + 1):
                    v *= nr / i - r
            if v <= f:
                return k
            continue
        v = math.log(v)  # squeeze with the normal approximation of log f(k) / f(m)
        rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
        t = -km * km / (2.0 * npq)
        if v < t - rho:
            return k
        if v > t + rho:
            continue
        nm = n - m + 1.0
        h = (m + 0.5) * math.log((m + 1.0) / (r * nm)) + _stirling_tail(m) + _stirling_tail(n - m)
        nk = n - k + 1.0
        if v <= (h + (n + 1.0) * math.log(nm / nk) + (k + 0.5) * math.log(nk * r / (k + 1.0))
                 - _stirling_tail(k) - _stirling_tail(n - k)):
            return k


@kernel
def binomial(state, s, n, p):
    """A Binomial(n, p) draw (BTRD, or direct counting for small n p)."""
    q = min(p, 1.0 - p)
    if n * q < 10.0:
        k = 0
        for _ in range(n):
            if uniform(state, s) < q:
                k += 1
    else:
        k = int(_btrd(state, s, n, q))
    return k if q == p else n - k


@kernel
def poisson(state, s, mu):
    """A Poisson(mu) draw. While mu is large, the time X of the m-th event of a unit
    Poisson process (a Gamma(m) draw) splits [0, mu] (Knuth 3.4.1); then the
    product-of-uniforms method."""
    k = 0
    while mu > _DIRECT:
        m = int(mu * 0.875)
        x = gamma(state, s, float(m))
        if x >= mu:      # the events in [0, mu] are among the first m - 1, uniform on [0, x]
            return k + binomial(state, s, m - 1, mu / x)
        k += m
        mu -= x
    limit = math.exp(-mu)
    prod = uniform(state, s)
    while prod > limit:
        k += 1
        prod *= uniform(state, s)
    return k
