"""Trains the SplitPlace MAB from scratch (paper Eq. 2-6).

``python -m agents.train_mab`` plays SplitPlace-v0 with the SplitPlace agent
(MAB + DASO) in training mode -- epsilon-greedy splits from epsilon = 1 with the
reward-threshold decay -- for a few episodes on training seeds (3000, 3001, ...;
evaluation uses 0..), keeping the MAB's state across episodes, and writes
``mab.pt`` into a new run directory ``runs/train_mab-<timestamp>/`` (``--out``
to choose the file, ``--update-committed`` to replace the shipped
``agents/weights/mab.pt``). Loading it gives the test-time (UCB) splitter.
"""

from __future__ import annotations

import logging

import torch

from agents.mab import WEIGHTS, MABSplitter
from agents.registry import make_agent
from agents.runner import make_env, run_episode
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_file

logger = logging.getLogger(__name__)


def train(episodes: int = 8, seed: int = 3000, env_id: str = "SplitPlace-v0") -> MABSplitter:
    """Returns the MAB after ``episodes`` training episodes."""
    env = make_env(env_id)
    agent = make_agent("SplitPlace", env, load_weights=True)
    env.close()
    agent.splitter = MABSplitter(agent.codec.split_modes)   # from scratch, not the shipped MAB
    for e in range(episodes):
        res = run_episode(agent, env_id, seed=seed + e, train=True)
        m = res.metrics()
        mab = agent.splitter
        logger.info("episode %d: reward %.3f, SLA viol %.3f, epsilon %.3f, rho %.3f, Q %s, R %s",
                    e, m["reward_eq8"], m["sla_violation_rate"], mab.epsilon, mab.rho,
                    mab.Q.round(3).tolist(), mab.R.round(2).tolist())
    return agent.splitter


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command line: train the MAB and write its weights; returns the exit code."""
    ap = CommandParser(prog=prog or "python -m agents.train_mab", description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int_arg(1), default=8, help="training episodes")
    ap.add_argument("--seed", type=int_arg(0), default=3000, help="seed of the first training episode")
    add_output_arguments(ap, "agents/weights/mab.pt", option="--out", what="weights file to write")
    args = ap.parse_args(argv)
    try:
        out = resolve_output_file("train_mab", WEIGHTS.name, args.out, update_committed=args.update_committed,
                                  committed=WEIGHTS)
    except OutputPathError as exc:
        ap.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)
    mab = train(args.episodes, args.seed)
    torch.save({"name": "mab", "state": mab.state_dict()}, out)
    print(f"epsilon {mab.epsilon:.3f}, rho {mab.rho:.3f}, Q(high, low x layer, semantic) "
          f"{mab.Q.round(3).tolist()}, N {mab.N.tolist()}, R {mab.R.round(2).tolist()} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
