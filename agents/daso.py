"""DASO (decision-aware surrogate optimisation) and vanilla GOBI placement (paper Eq. 9-10).

One placer, ``SurrogatePlacer``, serves both; four explicit options say what it has:

============  =====================================  ======================================
option        DASO (SplitPlace, R+D)                 vanilla GOBI (S+G, L+G, M+G)
============  =====================================  ======================================
``aware``     True: the split decisions D_t are      False: no D_t input (the paper,
              surrogate inputs (the paper, 3.2)      section 3.2: "unlike vanilla GOBI")
``mask``      True: the relaxation spans only the    False: every host, as the authors'
              hosts the action mask allows           GOBI ignores feasibility
``fallback``  True: ``placement.assign`` rounds to   False: each fragment's argmax host
              the best-rated host that still fits    is sent as is; the env refuses an
              (RAM tracked within the interval),     infeasible one, counts it in
              else the fragment waits (the paper,    ``info["infeasible_placements"]``
              3.2, "SplitPlace Algorithm")           and the fragment waits an interval
``fine_tune`` True: online fine-tuning from the      False: the shipped weights stay
              interval reward (the paper, 3.2)       fixed (the authors' code never
                                                     fine-tunes: scheduler/GOBI.py)
``init``      "uniform": start from P_{t-1} for      "random": every unplaced container
              waiting fragments, uniform over the    starts on a host drawn uniformly
              allowed hosts for new ones (the        over all hosts, afresh each
              paper, Eq. 10)                         interval (the authors' code:
                                                     scheduler/GOBI.py, ``run_GOBI``,
                                                     one-hot at ``np.random.randint``
                                                     for unplaced containers, the start
                                                     of BaGTI/src/opt.py's ``opt``)
============  =====================================  ======================================

``DASO_OPTIONS`` and ``GOBI_OPTIONS`` hold the two settings; the Table 1 agents
(``SplitPlaceAgent``, ``RandomDASOAgent``, ``MABGOBIAgent``, ``SemanticGOBIAgent``,
``LayerGOBIAgent``) document their parts.

Each interval the placer builds the candidates (ready fragments and those the
split makes ready) and ascends the surrogate's predicted objective O_t by
gradient steps on a relaxed placement P = softmax(logits) (Eq. 10). Optimiser
and schedule follow the authors' ``opt()`` (BaGTI/src/opt.py): Adam(W) with lr
0.8 and a cosine schedule; the iteration cap is scaled from 200 to 20 and the
stop is the paper's (L2 change of P between iterations below a threshold) for
speed. The best relaxed P seen is then rounded (``fallback``). The authors'
loop optimises the one-hot matrix itself and snaps it to one-hot every
iteration; here both placers share the softmax relaxation, so a random
initial host is a row with ``RANDOM_INIT_MASS`` of its mass on that host (an
exact one-hot would have a zero softmax gradient).

Running fragments are not migrated: the authors' code counted but never
executed migrations (workflow/Workflow.py, ``simulationStep``, allocates only
unplaced containers), and a migration here costs the memory image over two
links; running fragments enter the surrogate through the host state.

The fine-tuning (``fine_tune``) is one AdamW step per interval on a small
replay of recent (rounded placement, observed reward) pairs, lr 1e-4 as BaGTI's
training.
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from agents.base import load_torch_file
from agents.composed import ComposedAgent, Placer
from agents.placement import PlacementProblem, assign
from agents.surrogate import (Surrogate, check_surrogate_state, demand_matrix, global_features, onehot_inputs,
                              problem_inputs)
from agents.surrogate_np import NumpySurrogate

logger = logging.getLogger(__name__)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: Initial-placement rules of ``SurrogatePlacer`` (``init``).
INITS = ("uniform", "random")
#: Share of a row's relaxed mass on the randomly drawn initial host (``init="random"``).
RANDOM_INIT_MASS = 0.9
#: DASO as SplitPlace and R+D use it (the paper, section 3.2).
DASO_OPTIONS: dict[str, Any] = {"mask": True, "fallback": True, "fine_tune": True, "init": "uniform"}
#: Vanilla GOBI as S+G, L+G and M+G use it (the paper, section 4, "vanilla GOBI placement
#: module"; the authors' code, scheduler/GOBI.py and BaGTI/src/opt.py).
GOBI_OPTIONS: dict[str, Any] = {"mask": False, "fallback": False, "fine_tune": False, "init": "random"}


def weights_path(aware: bool) -> Path:
    """Shipped surrogate weights: ``daso.pt`` or ``gobi.pt``."""
    return WEIGHTS_DIR / ("daso.pt" if aware else "gobi.pt")


class SurrogatePlacer(Placer):
    """Gradient-based placement on a learned surrogate: DASO or vanilla GOBI.

    The defaults of ``mask``, ``fallback``, ``fine_tune`` and ``init`` are
    DASO's (``DASO_OPTIONS``); ``GOBI_OPTIONS`` gives vanilla GOBI. See the
    module docstring for what each option does and where it comes from.

    Args:
        n_slots: task slots T of the environment (for a global input).
        aware: feed the split decisions D_t to the surrogate (DASO).
        model: a trained surrogate (default: a fresh one).
        iters: iteration cap of the optimisation.
        lr: AdamW learning rate on the logits.
        tol: stop when ||P_k - P_{k-1}||_2 / sqrt(n) falls below this.
        top_k: hosts per fragment row of the relaxation (all hosts up to 16).
        finetune_lr: learning rate of the online fine-tuning (0 also disables it).
        replay: fine-tuning replay size (intervals).
        batch: fine-tuning mini-batch; no step before this many intervals.
        mask: restrict the relaxation to the hosts the action mask allows and
            skip fragments it allows nowhere; False rates every host.
        fallback: round with ``placement.assign`` (best-rated host that still
            fits, else wait); False sends each fragment to its row's argmax.
        fine_tune: fine-tune the surrogate online from the interval reward.
        init: "uniform" (warm start from P_{t-1}, uniform for new fragments)
            or "random" (every candidate starts on a random host, drawn from the
            agent's random stream, each interval).

    Raises:
        ValueError: unknown ``init``.
    """

    def __init__(self, n_slots: int, aware: bool, model: Surrogate | None = None, iters: int = 20,
                 lr: float = 0.8, tol: float = 2e-3, top_k: int = 16, finetune_lr: float = 1e-4, replay: int = 64,
                 batch: int = 16, *, mask: bool = True, fallback: bool = True, fine_tune: bool = True,
                 init: str = "uniform") -> None:
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.name = "daso" if aware else "gobi"
        self.n_slots, self.aware = n_slots, aware
        self.model = model or Surrogate(aware)
        self.model.requires_grad_(False)
        self.iters, self.lr, self.tol, self.top_k = iters, lr, tol, top_k
        self.finetune_lr, self.batch = finetune_lr, batch
        self.mask, self.fallback, self.fine_tune, self.init = bool(mask), bool(fallback), bool(fine_tune), init
        self.buffer: deque = deque(maxlen=replay)
        self.training = False
        self._opt = None
        self._prev_logits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._last_inputs = None
        self._gen = torch.Generator().manual_seed(0)
        self._np_model: NumpySurrogate | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The placer's ``mask``, ``fallback``, ``fine_tune`` and ``init``."""
        return {"mask": self.mask, "fallback": self.fallback, "fine_tune": self.fine_tune, "init": self.init}

    def reset(self) -> None:
        # A new episode starts the fine-tuning afresh (replay, optimiser moments,
        # sampling stream) so that an agent's episode depends only on its weights.
        self._prev_logits = {}
        self._last_inputs = None
        self.buffer.clear()
        self._opt = None
        self._gen = torch.Generator().manual_seed(0)

    # ------------------------------------------------------------------ placement
    def _allowed(self, problem: PlacementProblem) -> np.ndarray:
        """(n, H) hosts the relaxation may use: the mask's, or every host."""
        return problem.allowed if self.mask else np.ones_like(problem.allowed)

    def initial_hosts(self, problem: PlacementProblem, rng: np.random.Generator) -> np.ndarray:
        """``init="random"``: one host per candidate, uniform over the hosts the
        relaxation may use (every host unless ``mask``), drawn from ``rng``."""
        allowed = self._allowed(problem)
        u = rng.random(allowed.shape)
        return np.argmax(np.where(allowed, u, -1.0), axis=1)

    def optimise(self, obs, problem: PlacementProblem,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, float, float]:
        """Eq. 10 on the relaxation: returns the best P found (n, H), O(start), O(best).

        ``rng`` draws the random initial hosts (``init="random"``; default: a
        generator seeded 0).
        """
        return self._optimise(obs, problem, *problem_inputs(obs, problem, self.aware, self.n_slots), rng)

    def initial_placement(self, obs, problem: PlacementProblem,
                          rng: np.random.Generator | None = None) -> np.ndarray:
        """The relaxed P (n, H) the optimisation starts from (-1 on unrated hosts)."""
        return self._optimise(obs, problem, *problem_inputs(obs, problem, self.aware, self.n_slots), rng,
                              iters=0)[0]

    def _optimise(self, obs, problem: PlacementProblem, dem64: np.ndarray, glob64: np.ndarray,
                  rng: np.random.Generator | None = None,
                  iters: int | None = None) -> tuple[np.ndarray, float, float]:
        """``optimise`` with the problem's inputs (``problem_inputs``) given.

        Each fragment's row of P spans at most ``top_k`` hosts: those it had in
        P_{t-1} (``init="uniform"``), else the usable hosts with the largest
        initial gradient dO/dP (the surrogate's own rating) -- with
        ``init="random"`` always including the drawn initial host -- so the loop
        costs O(n k), not O(n H), at 256 hosts; hosts outside get rating -1 in
        the rounding (a fallback if every rated host is full). Adam (no weight
        decay: decaying logits means nothing) with a cosine schedule, in numpy
        (``surrogate_np``). ``iters=0`` returns the start (its O twice).
        """
        H = obs["hosts"].shape[0]
        n = problem.n
        net = self._numpy_model()
        dem = dem64.astype(np.float32)
        pre, g = net.prepare(obs["hosts"].astype(np.float32), glob64.astype(np.float32))
        allowed = self._allowed(problem)
        K = min(self.top_k, H)
        rand = self.init == "random"
        if rand:
            first = self.initial_hosts(problem, rng if rng is not None else np.random.default_rng(0))
        if K == H:
            idx = np.broadcast_to(np.arange(H), (n, H))
        else:
            _, dA0 = net.value_and_grad(pre, g, np.zeros((H, dem.shape[1]), np.float32))
            rating = np.where(allowed, dem @ dA0.T, -np.inf)
            if rand:
                rating[np.arange(n), first] = np.inf
            idx = np.argpartition(-rating, K - 1, axis=1)[:, :K]
        idx = np.array(idx)
        logits = np.zeros((n, K), dtype=np.float32)
        if rand:
            # The authors' random one-hot, softened: RANDOM_INIT_MASS on the drawn host.
            peak = np.log(RANDOM_INIT_MASS * (K - 1) / (1.0 - RANDOM_INIT_MASS)) if K > 1 else 0.0
            logits[idx == first[:, None]] = peak
        else:
            for i, f in enumerate(problem.frag.tolist()):
                prev = self._prev_logits.get(f)
                if prev is not None and prev[0].shape[0] == K and prev[0].max() < H:
                    idx[i], logits[i] = prev
        bias = np.where(np.take_along_axis(allowed, idx, axis=1), 0.0, -1e4).astype(np.float32)
        C = dem.shape[1]
        # One bincount for all demand columns: bin h * C + c sums column c on host h,
        # adding the same products in the same order as one bincount per column.
        flat_c = (idx.ravel()[:, None] * C + np.arange(C)).ravel()
        m = np.zeros_like(logits)
        v = np.zeros_like(logits)
        b1, b2 = 0.9, 0.999
        best_p, best_o, start_o, prev_p = None, -np.inf, None, None
        tol = self.tol * np.sqrt(n)
        n_iter = self.iters if iters is None else iters
        for k in range(max(n_iter, 1)):
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
            if n_iter == 0 or (prev_p is not None and float(np.linalg.norm(P - prev_p)) < tol):
                break
            prev_p = P
            G = np.einsum("nkc,nc->nk", dA[idx], dem)              # dO/dP on the rated hosts
            G = P * (G - np.sum(P * G, axis=1, keepdims=True))     # through the softmax
            G = -G                                                 # ascend O
            m = b1 * m + (1 - b1) * G
            v = b2 * v + (1 - b2) * G * G
            lr = 0.5 * self.lr * (1.0 + np.cos(np.pi * k / n_iter))
            logits -= lr * (m / (1 - b1 ** (k + 1))) / (np.sqrt(v / (1 - b2 ** (k + 1))) + 1e-8)
        if n_iter > 0:
            self._prev_logits = {} if rand else {
                int(f): (idx[i], logits[i]) for i, f in enumerate(problem.frag.tolist())}
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
        """DASO (``fallback``): a feasible subset, the rest waits. Vanilla GOBI:
        every candidate goes to its row's argmax host, feasible or not."""
        if self.mask:
            keep = problem.allowed.any(axis=1)
            if not keep.all():
                problem = _subset(problem, keep)
        if problem.n == 0:
            self._last_inputs = None
            return {}
        dem, glob = problem_inputs(obs, problem, self.aware, self.n_slots)
        P, _, _ = self._optimise(obs, problem, dem, glob, rng)
        if self.fallback:
            out = assign(problem, P)
        else:
            out = dict(zip(problem.frag.tolist(), np.argmax(P, axis=1).tolist()))
        for f in out:
            self._prev_logits.pop(f, None)
        self._last_inputs = onehot_inputs(obs, problem, out, dem, glob) if self._fine_tuning else None
        return out

    # ------------------------------------------------------------------ learning
    @property
    def _fine_tuning(self) -> bool:
        return self.fine_tune and self.finetune_lr > 0

    def observe(self, obs, reward, info) -> None:
        """``fine_tune``: one AdamW step on the replay of (placement, reward) pairs."""
        if self._last_inputs is None or not self._fine_tuning:
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
        """Restores ``state_dict``.

        Raises:
            ValueError: a state of the other surrogate, or weights the model cannot
                run with (``check_surrogate_state``); nothing is changed then.
        """
        if not isinstance(state, Mapping) or "model" not in state:
            raise ValueError(f"a {self.name} placer state is {{'aware': ..., 'model': {{...}}}}, "
                             f"got {type(state).__name__}")
        if state.get("aware", self.aware) != self.aware:
            raise ValueError(f"the state is of a {'DASO' if state['aware'] else 'GOBI'} placer, "
                             f"this placer is {self.name}")
        check_surrogate_state(self.model, state["model"])
        self.model.load_state_dict(state["model"])
        self._opt = None
        self._np_model = None


def _subset(problem: PlacementProblem, keep: np.ndarray) -> PlacementProblem:
    return PlacementProblem(problem.frag[keep], problem.ram[keep], problem.work[keep], problem.semantic[keep],
                            problem.urgency[keep], problem.allowed[keep],
                            problem.free_ram)


def load_surrogate(aware: bool, path: str | Path | None = None) -> Surrogate:
    """The shipped (or given) surrogate; an untrained one if the file is missing.

    Raises:
        ValueError: naming the file, if it is empty, unreadable, holds another model
            (or the other surrogate) or non-finite weights.
    """
    model = Surrogate(aware)
    path = Path(path) if path is not None else weights_path(aware)
    if not path.exists():
        logger.warning("no surrogate weights at %s; using an untrained surrogate", path)
        return model
    what = "DASO surrogate" if aware else "GOBI surrogate"
    state = load_torch_file(path, what)
    try:
        check_surrogate_state(model, state)
    except ValueError as e:
        raise ValueError(f"{what} file {str(path)!r}: {e}") from e
    model.load_state_dict(state)
    return model


# ---------------------------------------------------------------------- Table 1 agents
class SurrogateAgent(ComposedAgent):
    """A split rule with a ``SurrogatePlacer``; the subclasses are Table 1's rows.

    Class attributes:
        split_rule: the splitter (``heuristics.make_splitter``).
        aware: DASO's decision-aware surrogate (``agents/weights/daso.pt``) or
            GOBI's (``gobi.pt``).
        placer_options: ``DASO_OPTIONS`` or ``GOBI_OPTIONS``.
    """

    split_rule = "mab"
    aware = True
    placer_options: dict[str, Any] = DASO_OPTIONS


class SplitPlaceAgent(SurrogateAgent):
    """SplitPlace: MAB splitter + DASO placer (the paper, section 3.2).

    * Splitter: the MAB of Eq. 2-7 (``agents.mab.MABSplitter``, shipped
      ``mab.pt``; its docstring says which constants are the paper's and
      which the authors' code's).
    * Placer: DASO (``DASO_OPTIONS``) -- the decision-aware surrogate (D_t as
      input; the paper, section 3.2), Eq. 10 from P_{t-1} (``init="uniform"``),
      the relaxation restricted to the hosts the mask allows, rounding to the
      best-rated host that still fits, else wait (the paper, section 3.2,
      "SplitPlace Algorithm": containers that cannot be allocated go to the
      host with the highest output, else the wait queue), and online
      fine-tuning from the reward ("we fine-tune the DASO's surrogate model").
      The authors' DAGOBI has neither D_t inputs nor fine-tuning; the paper is
      followed.
    """

    split_rule, aware, placer_options = "mab", True, DASO_OPTIONS


class RandomDASOAgent(SurrogateAgent):
    """R+D: uniformly random layer / semantic split + DASO (the paper, section 4:
    "Random split decision with DASO placement module"; the authors' code,
    grapher.py's 'Random_DAGOBI').

    * Splitter: ``agents.splitters.RandomSplitter`` (the authors' code:
      decider RandomDecider, a uniform choice of layer or semantic).
    * Placer: DASO exactly as ``SplitPlaceAgent`` (``DASO_OPTIONS``: mask,
      feasible-host fallback, online fine-tuning, warm start from P_{t-1}),
      since the ablation replaces only the splitter.
    """

    split_rule, aware, placer_options = "random", True, DASO_OPTIONS


class _VanillaGOBIAgent(SurrogateAgent):
    aware, placer_options = False, GOBI_OPTIONS


class MABGOBIAgent(_VanillaGOBIAgent):
    """M+G: MAB splitter + vanilla GOBI (the paper, section 4: "MAB based split
    decider with vanilla GOBI placement module").

    * Splitter: the MAB of ``SplitPlaceAgent``.
    * Placer: vanilla GOBI (``GOBI_OPTIONS``): the surrogate without D_t inputs
      (``gobi.pt``; the paper, section 3.2, "unlike vanilla GOBI, DASO is
      split-decision aware"); every candidate starts on a random host each
      interval, drawn from the agent's random stream (the authors' code,
      scheduler/GOBI.py ``run_GOBI``: unplaced containers get a one-hot at
      ``np.random.randint`` over the hosts, and BaGTI/src/opt.py optimises
      from there), the relaxation spans every host
      and each fragment's argmax host is sent as is (the authors' GOBI ignores
      feasibility; the environment refuses an infeasible one, counts it in
      ``info["infeasible_placements"]``, and the fragment waits an interval);
      no online fine-tuning (scheduler/GOBI.py never updates its surrogate).
    """

    split_rule = "mab"


class SemanticGOBIAgent(_VanillaGOBIAgent):
    """S+G: always the semantic split + vanilla GOBI (the paper, section 4;
    the authors' code, decider SemanticOnlyDecider with GOBI).

    * Splitter: ``agents.splitters.FixedSplitter("semantic")``.
    * Placer: vanilla GOBI as ``MABGOBIAgent`` (``GOBI_OPTIONS``: random initial
      hosts, no mask, no feasible-host fallback, no fine-tuning).
    """

    split_rule = "semantic"


class LayerGOBIAgent(_VanillaGOBIAgent):
    """L+G: always the layer split + vanilla GOBI (the paper, section 4;
    the authors' code, decider LayerOnlyDecider with GOBI).

    * Splitter: ``agents.splitters.FixedSplitter("layer")``.
    * Placer: vanilla GOBI as ``MABGOBIAgent`` (``GOBI_OPTIONS``: random initial
      hosts, no mask, no feasible-host fallback, no fine-tuning).
    """

    split_rule = "layer"


#: Registry name -> agent class of the surrogate-placed Table 1 rows.
SURROGATE_AGENTS: dict[str, type[SurrogateAgent]] = {
    "SplitPlace": SplitPlaceAgent, "M+G": MABGOBIAgent, "R+D": RandomDASOAgent,
    "S+G": SemanticGOBIAgent, "L+G": LayerGOBIAgent,
}


def make_surrogate_agent(name: str, codec, split_rule: str | None = None, aware: bool | None = None,
                         seed: int | None = None, load_weights: bool = True, **placer_kwargs) -> SurrogateAgent:
    """SplitPlace (MAB + DASO) and the ablations S+G, L+G, R+D, M+G.

    Args:
        name: a key of ``SURROGATE_AGENTS`` (or any name, with ``split_rule``
            and ``aware`` given: a generic ``SurrogateAgent``).
        codec: the environment's action codec.
        split_rule, aware: override the agent class's.
        seed: seed of the agent's random stream.
        load_weights: load the shipped MAB and surrogate weights.
        **placer_kwargs: ``SurrogatePlacer`` options; they override the class's
            ``placer_options`` (e.g. ``fine_tune=True`` on a GOBI ablation).
    """
    from agents.heuristics import make_splitter

    cls = SURROGATE_AGENTS.get(name)
    if cls is None:
        if split_rule is None or aware is None:
            raise ValueError(f"unknown surrogate agent {name!r}: give split_rule and aware, or one of "
                             f"{tuple(SURROGATE_AGENTS)}")
        cls = SurrogateAgent
    rule = cls.split_rule if split_rule is None else split_rule
    aware = cls.aware if aware is None else aware
    model = load_surrogate(aware) if load_weights else Surrogate(aware)
    placer = SurrogatePlacer(codec.n_tasks, aware, model, **{**cls.placer_options, **placer_kwargs})
    return cls(codec, make_splitter(rule, codec.split_modes, load_weights), placer, name, seed)
