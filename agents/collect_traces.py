"""Collects a trace dataset for the DASO / GOBI surrogates.

``python -m agents.collect_traces --episodes 24`` writes ``traces.npz`` into a new
``runs/collect-traces-<timestamp>/`` (``--out FILE`` to choose; nothing of it
ships, so there is no ``--update-committed`` and no file under ``agents/weights/``
or ``benchmarks/results/`` is ever overwritten). It plays
SplitPlace-v0 with random splits (each episode draws its own semantic
probability, so the trace covers all-layer to all-semantic mixes) and, per
interval, a randomly chosen heuristic placement (random, first-fit,
least-loaded), sometimes leaving a random share of the fragments waiting. It
records the surrogate inputs of the executed placement, for both the
decision-aware (DASO) and the unaware (GOBI) encodings, and the interval's
Eq. 8 reward as the target.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from agents.base import Agent, check_act_inputs
from agents.heuristics import make_placer
from agents.observation import DemandTable
from agents.placement import build_problem
from agents.runner import make_env
from agents.splitters import pending_slots
from agents.surrogate import onehot_inputs, problem_inputs
from splitplace_env.cli_args import CommandParser, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_file

logger = logging.getLogger(__name__)


class TraceAgent(Agent):
    """Random splits and randomly chosen heuristic placements, recording inputs."""

    name = "trace"

    def __init__(self, codec, seed: int | None = None) -> None:
        super().__init__(codec, seed)
        self.placers = [make_placer(n) for n in ("random", "first-fit", "least-loaded")]
        self.demands = DemandTable(len(codec.split_modes))
        self.inputs: list[tuple] = []
        self.rows: list[tuple] = []
        self.p_semantic = 0.5

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.p_semantic = float(self.rng.random())

    def act(self, obs, info):
        check_act_inputs(obs, info)
        self.demands.observe(obs, self.codec.scales.get("batch", 1.0))
        slots = pending_slots(info)
        sem = self.codec.split_modes.index("semantic")
        splits = {int(k): (sem if self.rng.random() < self.p_semantic else 0) for k in slots}
        batches = dict(zip(slots.tolist(), np.asarray(info["pending"]["batch"]).tolist()))
        problem = build_problem(obs, self.codec, splits, self.demands, batches)
        out = {}
        if problem.n:
            placer = self.placers[int(self.rng.integers(len(self.placers)))]
            out = placer.place(obs, info, problem, splits, self.rng)
            if self.rng.random() < 0.3:       # leave a random share waiting
                keep = self.rng.random(len(out)) < self.rng.random()
                out = {f: h for (f, h), k in zip(out.items(), keep) if k}
        self.inputs.append(tuple(onehot_inputs(obs, problem, out,
                                               *problem_inputs(obs, problem, aware, self.codec.n_tasks))
                                 for aware in (True, False)))
        return self.codec.encode(splits=splits, placements=out)

    def update(self, obs, reward, terminated, truncated, info) -> None:
        (ha, ga), (hg, gg) = self.inputs.pop()
        self.rows.append((ha, ga, hg, gg, float(reward)))


def collect(episodes: int, seed: int = 1000, env_id: str = "SplitPlace-v0", env_kwargs=None) -> dict[str, np.ndarray]:
    """Plays ``episodes`` episodes (seeds ``seed``, ``seed + 1``, ...) and stacks the rows."""
    env = make_env(env_id, env_kwargs)
    agent = TraceAgent(env.unwrapped.codec, seed)
    try:
        for e in range(episodes):
            agent.reset(seed + e)
            obs, info = env.reset(seed=seed + e)
            done = False
            while not done:
                action = agent.act(obs, info)
                obs, reward, term, trunc, info = env.step(action)
                agent.update(obs, reward, term, trunc, info)
                done = term or trunc
            logger.info("episode %d: %d rows", e, len(agent.rows))
    finally:
        env.close()
    cols = list(zip(*agent.rows))
    return {"host_daso": np.stack(cols[0]), "glob_daso": np.stack(cols[1]), "host_gobi": np.stack(cols[2]),
            "glob_gobi": np.stack(cols[3]), "reward": np.asarray(cols[4], dtype=np.float32)}


#: File name of the traces in a run directory (``agents.train_surrogate --traces`` reads it).
TRACES_NAME = "traces.npz"
#: Upper bound of --episodes (beyond it the rows would not fit in memory).
MAX_EPISODES = 100_000
#: Shipped folders an explicit --out must not write into (this command refreshes none of them).
SHIPPED_DIRS = tuple(Path(__file__).resolve().parents[1] / d
                     for d in ("agents/weights", "benchmarks/results", "splitplace_env/data"))


def check_out(out: Path | None) -> None:
    """Raises ``OutputPathError`` if ``--out`` lies in a shipped folder (weights, results, data)."""
    if out is None:
        return
    path = out.expanduser().resolve()
    for shipped in SHIPPED_DIRS:
        if path == shipped or shipped in path.parents:
            raise OutputPathError(f"--out {out} is inside the shipped folder {shipped}; "
                                  "traces are not shipped, write them elsewhere")
    if path.suffix != ".npz":
        raise OutputPathError(f"--out {out}: expected a file name ending in .npz")


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Command line: collect traces into an .npz file; returns the exit code.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: the program name shown in usage and errors.
    """
    ap = CommandParser(prog=prog or "python -m agents.collect_traces", description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int_arg(1, MAX_EPISODES), default=24, help="episodes to play")
    ap.add_argument("--seed", type=int_arg(0), default=1000, help="first episode seed (evaluation uses 0..)")
    ap.add_argument("--out", type=Path, default=None, metavar="FILE",
                    help=f"the .npz file to write (default: runs/collect-traces-<timestamp>/{TRACES_NAME} "
                         "under the current directory)")
    args = ap.parse_args(argv)
    try:
        check_out(args.out)
        out = resolve_output_file("collect-traces", TRACES_NAME, args.out)
    except OutputPathError as exc:
        ap.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = collect(args.episodes, args.seed)
    np.savez_compressed(out, **data)
    print(f"wrote {len(data['reward'])} rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
