"""The surrogate f(S_t, P_t, D_t; theta) of DASO / GOBI (paper Eq. 9-10).

Input encoding (chosen to scale to 256 hosts and beyond): instead of the full
fragments x hosts matrix P, each host gets the **fragment demand that P sends
to it**, ``P^T @ demand`` -- summed RAM, compute and fragment count, and, for
the decision-aware DASO, the number of layer and of semantic fragments (D_t).
Because this aggregate is linear in P, the gradient with respect to P (Eq. 10)
flows through it exactly, and the input size is (hosts x features), never
(fragments x hosts). A per-host fully connected encoder (shared weights) is
mean-pooled over hosts and followed by a fully connected head, so the same
weights serve 16, 64 or 256 hosts (a 16 x 2600-input FCN as in the authors'
BaGTI would have to be retrained per cluster size). Softplus and Tanhshrink
activations follow the authors' BaGTI (BaGTI/src/models.py); the output is
the Eq. 8 reward O_t.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from agents.observation import FRAG, HOST, TASK, F
from agents.placement import PlacementProblem

N_HOST_FEATURES = len(HOST)
#: Aggregated demand columns: RAM, compute, fragments, (DASO:) layer, semantic.
DEMAND_COLUMNS = ("ram", "work", "count", "layer", "semantic")


def demand_matrix(problem: PlacementProblem, aware: bool) -> np.ndarray:
    """(n, 3 or 5) demand of every candidate: RAM, compute, 1 (+ layer, semantic)."""
    cols = [problem.ram, problem.work, np.ones(problem.n)]
    if aware:
        cols += [(~problem.semantic).astype(np.float64), problem.semantic.astype(np.float64)]
    return np.column_stack(cols) if problem.n else np.zeros((0, 5 if aware else 3))


def global_features(obs: Mapping[str, np.ndarray], problem: PlacementProblem, aware: bool,
                    n_slots: int) -> np.ndarray:
    """Cluster-wide inputs: ``obs["globals"]``, candidates / fragment slots, and
    (DASO) the semantic share of the split tasks in view and of the candidates."""
    g = [np.asarray(obs["globals"], dtype=np.float64), [problem.n / max(n_slots * F, 1)]]
    if aware:
        t = obs["tasks"]
        oh = t[:, len(TASK):]
        split = oh.max(axis=1) > 0.5
        sem_share = float(problem.semantic.mean()) if problem.n else 0.0
        # The env's split one-hot column 1 is "semantic" in every preset the
        # DASO agents run with (split_modes starts with layer, semantic).
        active_sem = float(oh[split, 1].mean()) if split.any() and oh.shape[1] > 1 else 0.0
        g.append([active_sem, sem_share])
    return np.concatenate([np.ravel(x) for x in g])


def host_and_global_dims(aware: bool) -> tuple[int, int]:
    """Input widths (per host, global) of the surrogate."""
    return N_HOST_FEATURES + (5 if aware else 3), 5 + 1 + (2 if aware else 0)


class Surrogate(nn.Module):
    """Per-host encoder, mean pool, head: predicts the interval objective O_t.

    Args:
        aware: decision-aware (DASO) inputs, else GOBI's.
        encoder: width of the per-host encoder (runs once per host per
            placement iteration, so kept small for speed at 256 hosts).
        hidden: width of the head's hidden layers.
    """

    def __init__(self, aware: bool, encoder: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.aware = aware
        dh, dg = host_and_global_dims(aware)
        self.encoder = nn.Sequential(nn.Linear(dh, encoder), nn.Softplus(), nn.Linear(encoder, encoder), nn.Softplus())
        self.head = nn.Sequential(nn.Linear(encoder + dg, hidden), nn.Softplus(), nn.Linear(hidden, 64),
                                  nn.Tanhshrink(), nn.Linear(64, 1))
        # Input standardisation, fitted on the training traces.
        self.register_buffer("host_mean", torch.zeros(dh))
        self.register_buffer("host_std", torch.ones(dh))
        self.register_buffer("glob_mean", torch.zeros(dg))
        self.register_buffer("glob_std", torch.ones(dg))

    def fit_normalisation(self, host_x: torch.Tensor, glob_x: torch.Tensor) -> None:
        """Sets the input standardisation from training inputs (B, H, dh) and (B, dg)."""
        flat = host_x.reshape(-1, host_x.shape[-1])
        self.host_mean.copy_(flat.mean(0))
        self.host_std.copy_(flat.std(0).clamp_min(1e-3))
        self.glob_mean.copy_(glob_x.mean(0))
        self.glob_std.copy_(glob_x.std(0).clamp_min(1e-3))

    def forward(self, host_x: torch.Tensor, glob_x: torch.Tensor) -> torch.Tensor:
        """Predicted O_t for inputs (B, H, dh) and (B, dg); returns (B,)."""
        z = self.encoder((host_x - self.host_mean) / self.host_std).mean(dim=1)
        g = (glob_x - self.glob_mean) / self.glob_std
        return self.head(torch.cat([z, g], dim=1)).squeeze(1)


def check_surrogate_state(model: Surrogate, state: Any) -> None:
    """Checks that ``state`` is a state dict ``model`` can run with, before loading it.

    Raises:
        ValueError: saying what is wrong: not a mapping of tensors, other keys or
            shapes (e.g. the GOBI surrogate given to DASO), non-finite values, or an
            input standard deviation that is not positive.
    """
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("expected a surrogate state dict (parameter name -> tensor), got "
                         f"{type(state).__name__}")
    expected = model.state_dict()
    if set(state) != set(expected):
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        raise ValueError(f"not a surrogate state dict: missing {missing[:4]}, unexpected {extra[:4]}")
    for key, ref in expected.items():
        if tuple(state[key].shape) != tuple(ref.shape):
            which = "DASO (decision-aware)" if model.aware else "GOBI"
            raise ValueError(f"{key} has shape {tuple(state[key].shape)}, the {which} surrogate's is "
                             f"{tuple(ref.shape)} (the file may hold the other surrogate)")
        if not state[key].is_floating_point() or not bool(torch.isfinite(state[key]).all()):
            raise ValueError(f"{key} holds non-finite or non-float values: the weights are unusable")
    for key in ("host_std", "glob_std"):
        if not bool((state[key] > 0).all()):
            raise ValueError(f"{key} must be positive (it divides the inputs)")


def host_inputs(hosts: torch.Tensor, P: torch.Tensor, demand: torch.Tensor) -> torch.Tensor:
    """Per-host input: host features next to the demand P sends there, (H, dh)."""
    return torch.cat([hosts, P.T @ demand], dim=1)


def problem_inputs(obs: Mapping[str, np.ndarray], problem: PlacementProblem, aware: bool,
                   n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' demand matrix and the global features (float64), computed once
    per interval for both the optimisation and the rounded placement's inputs."""
    return demand_matrix(problem, aware), global_features(obs, problem, aware, n_slots)


def onehot_inputs(obs: Mapping[str, np.ndarray], problem: PlacementProblem, assignment: Mapping[int, int],
                  dem: np.ndarray, glob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numpy surrogate inputs of a rounded placement (for traces and fine-tuning);
    ``dem``, ``glob``: ``problem_inputs`` of the same problem."""
    H = obs["hosts"].shape[0]
    P = np.zeros((problem.n, H))
    pos = {int(f): i for i, f in enumerate(problem.frag.tolist())}
    for f, h in assignment.items():
        P[pos[f], h] = 1.0
    host_x = np.concatenate([obs["hosts"].astype(np.float64), P.T @ dem], axis=1)
    return host_x.astype(np.float32), glob.astype(np.float32)


__all__ = ["DEMAND_COLUMNS", "FRAG", "Surrogate", "check_surrogate_state", "demand_matrix", "global_features",
           "host_and_global_dims", "host_inputs", "onehot_inputs", "problem_inputs"]
