"""DASO (decision-aware surrogate optimisation) and GOBI placement (paper Eq. 9-10).

Each interval: build the candidates (ready fragments and those the split makes
ready), start from the previous interval's relaxed placement P_{t-1} (the
logits kept for fragments still waiting; uniform over allowed hosts for new
ones), and ascend the surrogate's predicted objective O_t by gradient steps on
P = softmax(logits) restricted to the hosts the mask allows. Optimiser and
schedule follow the authors' ``opt()`` (facts 6.3): Adam(W) with lr 0.8 and a
cosine schedule; the iteration cap is scaled from 200 to 20 and the stop is the
paper's (L2 change of P between iterations below a threshold) for speed. The
best relaxed P seen is rounded with ``placement.assign`` (best-rated feasible
host under the RAM tracked within the interval, else wait).

Running fragments are not migrated: the authors' code counted but never
executed migrations (facts 12.11), and a migration here costs the memory image
over two links; running fragments enter the surrogate through the host state.

The surrogate is fine-tuned online from the observed reward of each interval
(one AdamW step on a small replay of recent intervals, lr 1e-4 as BaGTI).
GOBI is the same placer with a decision-unaware surrogate (no D_t inputs).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

import numpy as np
import torch

from agents.composed import ComposedAgent, Placer
from agents.placement import PlacementProblem, assign
from agents.surrogate import Surrogate, demand_matrix, global_features, onehot_inputs, problem_inputs
from agents.surrogate_np import NumpySurrogate

logger = logging.getLogger(__name__)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def weights_path(aware: bool) -> Path:
    """Shipped surrogate weights: ``daso.pt`` or ``gobi.pt``."""
    return WEIGHTS_DIR / ("daso.pt" if aware else "gobi.pt")


class SurrogatePlacer(Placer):
    """Gradient-based placement on a learned surrogate (DASO if ``aware``, else GOBI).

    Args:
        n_slots: task slots T of the environment (for a global input).
        aware: feed the split decisions D_t to the surrogate (DASO).
        model: a trained surrogate (default: a fresh one).
        iters: iteration cap of the optimisation.
        lr: AdamW learning rate on the logits.
        tol: stop when ||P_k - P_{k-1}||_2 / sqrt(n) falls below this.
        top_k: hosts per fragment row of the relaxation (all hosts up to 16).
        finetune_lr: learning rate of the online fine-tuning (0 disables it).
    """

    def __init__(self, n_slots: int, aware: bool, model: Surrogate | None = None, iters: int = 20,
                 lr: float = 0.8, tol: float = 2e-3, top_k: int = 16, finetune_lr: float = 1e-4, replay: int = 64,
                 batch: int = 16) -> None:
        self.name = "daso" if aware else "gobi"
        self.n_slots, self.aware = n_slots, aware
        self.model = model or Surrogate(aware)
        self.model.requires_grad_(False)
        self.iters, self.lr, self.tol, self.top_k = iters, lr, tol, top_k
        self.finetune_lr, self.batch = finetune_lr, batch
        self.buffer: deque = deque(maxlen=replay)
        self.training = False
        self._opt = None
        self._prev_logits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._last_inputs = None
        self._gen = torch.Generator().manual_seed(0)
        self._np_model: NumpySurrogate | None = None

    def reset(self) -> None:
        # A new episode starts the fine-tuning afresh (replay, optimiser moments,
        # sampling stream) so that an agent's episode depends only on its weights.
        self._prev_logits = {}
        self._last_inputs = None
        self.buffer.clear()
        self._opt = None
        self._gen = torch.Generator().manual_seed(0)

    # ------------------------------------------------------------------ placement
    def optimise(self, obs, problem: PlacementProblem) -> tuple[np.ndarray, float, float]:
        """Eq. 10 on the relaxation: returns the best P found (n, H), O(start), O(best)."""
        return self._optimise(obs, problem, *problem_inputs(obs, problem, self.aware, self.n_slots))

    def _optimise(self, obs, problem: PlacementProblem, dem64: np.ndarray,
                  glob64: np.ndarray) -> tuple[np.ndarray, float, float]:
        """``optimise`` with the problem's inputs (``problem_inputs``) given.

        Each fragment's row of P spans at most ``top_k`` hosts: those it had in
        P_{t-1}, else the allowed hosts with the largest initial gradient
        dO/dP (the surrogate's own rating), so the loop costs O(n k), not
        O(n H), at 256 hosts; hosts outside get rating -1 in the rounding (a
        fallback if every rated host is full). Adam (no weight decay: decaying
        logits means nothing) with a cosine schedule, in numpy (``surrogate_np``).
        """
        H = obs["hosts"].shape[0]
        n = problem.n
        net = self._numpy_model()
        dem = dem64.astype(np.float32)
        pre, g = net.prepare(obs["hosts"].astype(np.float32), glob64.astype(np.float32))
        K = min(self.top_k, H)
        if K == H:
            idx = np.broadcast_to(np.arange(H), (n, H))
        else:
            _, dA0 = net.value_and_grad(pre, g, np.zeros((H, dem.shape[1]), np.float32))
            rating = np.where(problem.allowed, dem @ dA0.T, -np.inf)
            idx = np.argpartition(-rating, K - 1, axis=1)[:, :K]
        idx = np.array(idx)
        logits = np.zeros((n, K), dtype=np.float32)
        for i, f in enumerate(problem.frag.tolist()):
            prev = self._prev_logits.get(f)
            if prev is not None and prev[0].shape[0] == K and prev[0].max() < H:
                idx[i], logits[i] = prev
        bias = np.where(np.take_along_axis(problem.allowed, idx, axis=1), 0.0, -1e4).astype(np.float32)
        C = dem.shape[1]
        # One bincount for all demand columns: bin h * C + c sums column c on host h,
        # adding the same products in the same order as one bincount per column.
        flat_c = (idx.ravel()[:, None] * C + np.arange(C)).ravel()
        m = np.zeros_like(logits)
        v = np.zeros_like(logits)
        b1, b2 = 0.9, 0.999
        best_p, best_o, start_o, prev_p = None, -np.inf, None, None
        tol = self.tol * np.sqrt(n)
        for k in range(self.iters):
            z = logits + bias
            z -= z.max(axis=1, keepdims=True)
            P = np.exp(z)
            P /= P.sum(axis=1, keepdims=True)
            A = np.bincount(flat_c, (P[:, :, None] * dem[:, None, :]).ravel(),
                            minlength=H * C).reshape(H, C).astype(np.float32)
            o, dA = net.value_and_grad(pre, g, A)
            if start_o is None:
                start_o = o
            if o > best_o:
                best_o, best_p = o, P
            if prev_p is not None and float(np.linalg.norm(P - prev_p)) < tol:
                break
            prev_p = P
            G = np.einsum("nkc,nc->nk", dA[idx], dem)              # dO/dP on the rated hosts
            G = P * (G - np.sum(P * G, axis=1, keepdims=True))     # through the softmax
            G = -G                                                 # ascend O
            m = b1 * m + (1 - b1) * G
            v = b2 * v + (1 - b2) * G * G
            lr = 0.5 * self.lr * (1.0 + np.cos(np.pi * k / self.iters))
            logits -= lr * (m / (1 - b1 ** (k + 1))) / (np.sqrt(v / (1 - b2 ** (k + 1))) + 1e-8)
        self._prev_logits = {int(f): (idx[i], logits[i]) for i, f in enumerate(problem.frag.tolist())}
        full = np.full((n, H), -1.0, dtype=np.float32)
        np.put_along_axis(full, idx, best_p, axis=1)
        return full, float(start_o), float(best_o)

    def predicted_objective(self, obs, problem: PlacementProblem, P: np.ndarray) -> float:
        """The surrogate's O_t for a placement P (n, H) of the candidates (negative
        entries, the unrated hosts of ``optimise``, count as 0)."""
        net = self._numpy_model()
        glob = global_features(obs, problem, self.aware, self.n_slots).astype(np.float32)
        pre, g = net.prepare(obs["hosts"].astype(np.float32), glob)
        P = np.maximum(P, 0.0).astype(np.float32)
        return net.value_and_grad(pre, g, P.T @ demand_matrix(problem, self.aware).astype(np.float32))[0]

    def _numpy_model(self) -> NumpySurrogate:
        if self._np_model is None:
            self._np_model = NumpySurrogate(self.model)
        return self._np_model

    def place(self, obs, info, problem, splits, rng):
        keep = problem.allowed.any(axis=1)
        if not keep.all():
            problem = _subset(problem, keep)
        if problem.n == 0:
            self._last_inputs = None
            return {}
        dem, glob = problem_inputs(obs, problem, self.aware, self.n_slots)
        P, _, _ = self._optimise(obs, problem, dem, glob)
        out = assign(problem, P)
        for f in out:
            self._prev_logits.pop(f, None)
        self._last_inputs = onehot_inputs(obs, problem, out, dem, glob)
        return out

    # ------------------------------------------------------------------ learning
    def observe(self, obs, reward, info) -> None:
        if self._last_inputs is None or self.finetune_lr <= 0:
            return
        self.buffer.append((*self._last_inputs, float(reward)))
        self._last_inputs = None
        if len(self.buffer) < self.batch:
            return
        if self._opt is None:
            self._opt = torch.optim.AdamW(self.model.parameters(), lr=self.finetune_lr, weight_decay=1e-5)
        idx = torch.randperm(len(self.buffer), generator=self._gen)[: self.batch].tolist()
        # Hosts can differ in number between samples only across envs; one env per agent.
        hx = torch.as_tensor(np.stack([self.buffer[i][0] for i in idx]))
        gx = torch.as_tensor(np.stack([self.buffer[i][1] for i in idx]))
        y = torch.as_tensor([self.buffer[i][2] for i in idx], dtype=torch.float32)
        self.model.requires_grad_(True)
        loss = torch.mean((self.model(hx, gx) - y) ** 2)
        self._opt.zero_grad()
        loss.backward()
        self._opt.step()
        self.model.requires_grad_(False)
        self._np_model = None

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {"aware": self.aware, "model": self.model.state_dict()}

    def load_state_dict(self, state) -> None:
        if state:
            self.model.load_state_dict(state["model"])
            self._opt = None
            self._np_model = None


def _subset(problem: PlacementProblem, keep: np.ndarray) -> PlacementProblem:
    return PlacementProblem(problem.frag[keep], problem.ram[keep], problem.work[keep], problem.semantic[keep],
                            problem.urgency[keep], problem.allowed[keep],
                            problem.free_ram)


def load_surrogate(aware: bool, path: str | Path | None = None) -> Surrogate:
    """The shipped (or given) surrogate; an untrained one if the file is missing."""
    model = Surrogate(aware)
    path = Path(path) if path is not None else weights_path(aware)
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
    else:
        logger.warning("no surrogate weights at %s; using an untrained surrogate", path)
    return model


def make_surrogate_agent(name: str, codec, split_rule: str, aware: bool, seed: int | None = None,
                         load_weights: bool = True, **placer_kwargs) -> ComposedAgent:
    """SplitPlace (MAB + DASO) and the ablations S+G, L+G, R+D, M+G."""
    from agents.heuristics import make_splitter

    model = load_surrogate(aware) if load_weights else Surrogate(aware)
    placer = SurrogatePlacer(codec.n_tasks, aware, model, **placer_kwargs)
    return ComposedAgent(codec, make_splitter(split_rule, codec.split_modes, load_weights), placer, name, seed)
