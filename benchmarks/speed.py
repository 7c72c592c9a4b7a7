"""Speed report: environment step rate, agent decision times, PPO training throughput.

``splitplace bench speed`` (or ``python -m benchmarks.speed``) measures, in one
process so the ratios cancel the machine's drift:

1. the step time of SplitPlace-v0 as a ratio to CartPole-v1's (the environment
   owner's ``benchmarks.env_speed.compare_with_cartpole``; fallback here: random
   masked actions, only ``env.step`` timed, interleaved blocks, medians);
2. every agent's decision time (``act`` wall time per interval) with the
   agents engineer's ``benchmarks.agent_speed.measure`` (fallback: from
   ``agents.runner.run_episode`` records);
3. PPO training steps/s with 1, 2 and 4 environments, with the RL engineer's
   ``agents.rl.speed.ppo_steps_per_second`` (fallback: the ``steps_per_s`` that
   ``agents.rl.train.train`` reports for a short run per count).

Writes ``speed.csv`` and ``speed.md`` under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
from typing import Any, Callable, Sequence

import numpy as np

from benchmarks import report
from benchmarks.paper import RESULTS_DIR

logger = logging.getLogger(__name__)

#: Scalar results of ``benchmarks.env_speed.compare_with_cartpole`` shown in the report.
ENV_KEYS = ("env_id", "splitplace_steps_per_s", "cartpole_steps_per_s", "ratio", "ratio_median_step",
            "target_ratio", "meets_target")


# ---------------------------------------------------------------- environment step rate
def _steps_per_second(env, actions: Callable[[], Any], n_steps: int, seed: int) -> float:
    """Steps/s of ``env.step`` alone over ``n_steps`` steps (resets not timed)."""
    env.reset(seed=seed)
    elapsed = 0.0
    for _ in range(n_steps):
        action = actions()
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        elapsed += time.perf_counter() - t0
        if terminated or truncated:
            env.reset()
    return n_steps / elapsed if elapsed > 0 else float("inf")


def masked_sampler(env, rng: np.random.Generator) -> Callable[[], np.ndarray]:
    """Random action using only entries the env's mask allows (uniform per row)."""
    base = env.unwrapped
    codec = base.codec

    def sample() -> np.ndarray:
        split_rows, host_rows = codec.split_masks(base.action_masks())
        splits = np.argmax(rng.random(split_rows.shape) * split_rows, axis=1)
        hosts = np.argmax(rng.random(host_rows.shape) * host_rows, axis=1)
        return np.concatenate([splits, hosts]).astype(np.int64)

    return sample


def measure_env_ratio(env_id: str = "SplitPlace-v0", *, blocks: int = 5, block_steps: int = 200,
                      cartpole_steps: int = 5000, seed: int = 0) -> dict[str, float]:
    """SplitPlace-v0 and CartPole-v1 steps/s in interleaved blocks; medians and ratio.

    Returns:
        ``{"splitplace_steps_per_s", "cartpole_steps_per_s", "ratio"}``: medians
        of ``blocks`` blocks each; ``ratio`` = SplitPlace step time / CartPole
        step time (how many CartPole steps one SplitPlace step costs), the
        convention of ``benchmarks.env_speed``.
    """
    import gymnasium as gym

    import splitplace_env  # noqa: F401

    rng = np.random.default_rng(seed)
    sp = gym.make(env_id)
    cp = gym.make("CartPole-v1")
    sp_sample = masked_sampler(sp, rng)
    cp.action_space.seed(seed)
    sp_rates, cp_rates = [], []
    try:
        for b in range(blocks):
            cp_rates.append(_steps_per_second(cp, cp.action_space.sample, cartpole_steps, seed + b))
            sp_rates.append(_steps_per_second(sp, sp_sample, block_steps, seed + b))
    finally:
        sp.close()
        cp.close()
    sp_med, cp_med = float(np.median(sp_rates)), float(np.median(cp_rates))
    return {"splitplace_steps_per_s": sp_med, "cartpole_steps_per_s": cp_med, "ratio": cp_med / sp_med}


# ---------------------------------------------------------------- agents
def measure_agent_times(agents: Sequence[str], env_id: str = "SplitPlace-v0", n_intervals: int = 20,
                        seed: int = 0, progress: bool = False) -> list[dict[str, Any]]:
    """Median and mean ``act`` time per interval of each agent over one short episode."""
    from agents.registry import env_kwargs_for
    from agents.runner import run_episode

    rows = []
    it = agents
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(agents, desc="agent decision time", unit="agent")
    for name in it:
        result = run_episode(name, env_id, seed, n_intervals, env_kwargs_for(name))
        t = result.act_times
        rows.append({"agent": name, "median_ms": 1e3 * float(np.median(t)), "mean_ms": 1e3 * float(np.mean(t)),
                     "p90_ms": 1e3 * float(np.percentile(t, 90)), "intervals": int(t.size)})
    return rows


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return dict(value)


def _table_rows(value: Any) -> list[dict[str, Any]]:
    """Normalises another module's result (dict, dict of dicts, list, dataclass) to rows."""
    if value is None:
        return []
    if isinstance(value, dict) or hasattr(value, "__dataclass_fields__"):
        value = _as_dict(value)
        if value and all(isinstance(v, dict) for v in value.values()):
            return [{"name": k, **v} for k, v in value.items()]
        return [value]
    return [_as_dict(v) for v in value]


# ---------------------------------------------------------------- report
def measure_ppo(n_envs_list: Sequence[int], timesteps: int, vec: str = "dummy",
                env_id: str = "SplitPlace-v0") -> list[dict[str, Any]]:
    """PPO training steps/s for each number of environments (``agents.rl.train.train``).

    Every run trains ``timesteps`` steps (rounded up to whole rollouts) into a
    temporary folder, without evaluation or checkpoints, after one untimed
    warm-up run.
    """
    import tempfile

    from agents.rl.train import train

    rows = []
    if n_envs_list:   # warm-up (imports, torch initialisation, first rollout) outside the timing
        with tempfile.TemporaryDirectory(prefix="splitplace-ppo-speed-") as tmp:
            train("ppo", env_id=env_id, timesteps=256, n_envs=1, vec=vec, out=tmp, eval_freq=0,
                  checkpoint_freq=10**9, progress=False)
    for n in n_envs_list:
        with tempfile.TemporaryDirectory(prefix="splitplace-ppo-speed-") as tmp:
            _, summary = train("ppo", env_id=env_id, timesteps=timesteps, n_envs=n, vec=vec, out=tmp,
                               eval_freq=0, checkpoint_freq=10**9, progress=False)
        rows.append({"n_envs": n, "vec": vec, "timesteps": int(summary["timesteps"]),
                     "wall_s": float(summary["wall_s"]), "steps_per_s": float(summary["steps_per_s"])})
    base = rows[0]["steps_per_s"] if rows else float("nan")
    for r in rows:
        r["speedup_vs_first"] = r["steps_per_s"] / base
    return rows


def ppo_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows from ``agents.rl.speed.ppo_steps_per_second``'s dict, with speed-ups and the CartPole ratio."""
    rates = {int(n): float(v) for n, v in result["steps_per_s"].items()}
    first = rates[min(rates)] if rates else float("nan")
    cartpole = result.get("cartpole_steps_per_s")
    rows = []
    for n, v in sorted(rates.items()):
        row = {"n_envs": n, "vec": "dummy" if n == 1 else result.get("vec", ""), "timesteps": result.get("timesteps"),
               "steps_per_s": v, "speedup_vs_1": v / first}
        if cartpole:
            row["ratio_to_cartpole_ppo"] = v / float(cartpole)
        rows.append(row)
    return rows


def run_speed(agents: Sequence[str], *, blocks: int, block_steps: int, agent_intervals: int, ppo_steps: int,
              ppo_envs: Sequence[int], agent_sizes: Sequence[int] = (16,), ppo_vec: str = "subproc",
              progress: bool = False) -> dict[str, Any]:
    """Runs all three parts; returns their rows and which implementation measured each."""
    out: dict[str, Any] = {"env": [], "agents": [], "ppo": [], "source": {}}
    try:
        from benchmarks.env_speed import compare_with_cartpole
    except ImportError:
        compare_with_cartpole = None
    if compare_with_cartpole is not None:
        out["source"]["env"] = "benchmarks.env_speed.compare_with_cartpole"
        res = compare_with_cartpole(blocks=blocks, steps_per_block=block_steps)
        out["env"] = [{k: v for k, v in res.items() if k in ENV_KEYS}]
    else:
        out["source"]["env"] = "benchmarks.speed.measure_env_ratio"
        out["env"] = [measure_env_ratio(blocks=blocks, block_steps=block_steps)]

    try:
        from benchmarks.agent_speed import measure as agent_measure
    except ImportError:
        agent_measure = None
    if agent_measure is not None:
        out["source"]["agents"] = "benchmarks.agent_speed.measure"
        out["agents"] = agent_measure(agents=tuple(agents), sizes=tuple(agent_sizes),
                                      intervals={n: agent_intervals for n in agent_sizes})
    else:
        out["source"]["agents"] = "benchmarks.speed.measure_agent_times"
        out["agents"] = measure_agent_times(agents, n_intervals=agent_intervals, progress=progress)

    if not ppo_envs:
        out["source"]["ppo"] = "not available (skipped with --no-ppo)"
        return out
    try:
        from agents.rl.speed import ppo_steps_per_second
    except ImportError:
        ppo_steps_per_second = None
    if ppo_steps_per_second is not None:
        out["source"]["ppo"] = f"agents.rl.speed.ppo_steps_per_second (vec={ppo_vec})"
        out["ppo"] = ppo_rows(ppo_steps_per_second(list(ppo_envs), timesteps=ppo_steps, vec=ppo_vec))
    else:
        try:
            out["ppo"] = measure_ppo(ppo_envs, ppo_steps, vec=ppo_vec)
            out["source"]["ppo"] = f"agents.rl.train.train (PPO, vec={ppo_vec})"
        except ImportError as exc:
            out["source"]["ppo"] = f"not available ({exc})"
    return out


def _flat_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for section in ("env", "agents", "ppo"):
        for r in result[section]:
            for k, v in r.items():
                if isinstance(v, (int, float)) and k not in ("intervals",):
                    rows.append({"section": section, "name": str(r.get("agent", r.get("n_envs", r.get("name", "")))),
                                 "metric": k, "value": float(v)})
    return rows


def _md_section(title: str, rows: list[dict[str, Any]], source: str) -> list[str]:
    note = source if source.startswith("not available") else f"Measured by `{source}`."
    parts = [f"## {title}", "", note + ("" if note.endswith(".") else "."), ""]
    if rows:
        cols = list(rows[0].keys())
        body = [[report.fmt(r[c]) if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols] for r in rows]
        parts += [report.markdown_table(cols, body), ""]
    else:
        parts += ["(not measured)", ""]
    return parts


def speed_markdown(result: dict[str, Any], settings: dict[str, Any]) -> str:
    """The speed report as Markdown."""
    parts = ["# Speed", "", "Settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()) + ".", "",
             "Ratios are measured in the same process and run, so they are comparable across machines; "
             "absolute rates drift on a shared machine.", ""]
    parts += _md_section("Environment step rate vs CartPole-v1", result["env"], result["source"]["env"])
    parts += _md_section("Agent decision time per interval", result["agents"], result["source"]["agents"])
    parts += _md_section("PPO training throughput", result["ppo"], result["source"]["ppo"])
    return "\n".join(parts)


def build_parser(prog: str = "python -m benchmarks.speed") -> argparse.ArgumentParser:
    """The speed command's parser."""
    parser = argparse.ArgumentParser(prog=prog, description="Env step rate vs CartPole-v1, agent decision times "
                                                            "and PPO training steps/s; writes speed.csv/.md.")
    parser.add_argument("--agents", nargs="+", default=None, help="agents to time (default: the Table 1 agents)")
    parser.add_argument("--blocks", type=int, default=5, help="timing blocks per environment (default: 5)")
    parser.add_argument("--block-steps", type=int, default=200, help="SplitPlace steps per block (default: 200)")
    parser.add_argument("--agent-intervals", type=int, default=20, help="intervals per agent (default: 20)")
    parser.add_argument("--agent-sizes", type=int, nargs="+", default=[16], choices=[16, 64, 256],
                        help="cluster sizes (hosts) for the agent timing (default: 16)")
    parser.add_argument("--ppo-steps", type=int, default=2048, help="PPO timesteps per measurement (default: 2048)")
    parser.add_argument("--ppo-envs", type=int, nargs="+", default=[1, 2, 4], help="env counts (default: 1 2 4)")
    parser.add_argument("--ppo-vec", choices=["dummy", "subproc"], default="subproc",
                        help="vectorised env type for PPO with more than one env (default: subproc)")
    parser.add_argument("--no-ppo", action="store_true", help="skip the PPO throughput part")
    parser.add_argument("--quick", action="store_true",
                        help="3 blocks of 100 steps, 10 intervals per agent, 1024 PPO steps")
    parser.add_argument("--out-dir", default=RESULTS_DIR, help="output folder (default: benchmarks/results)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point: prints the report and writes speed.csv / speed.md."""
    from benchmarks.experiment import default_agents

    args = build_parser(prog or "python -m benchmarks.speed").parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.blocks, args.block_steps, args.agent_intervals, args.ppo_steps = 3, 100, 10, 1024
    agents = args.agents or default_agents()
    start = time.perf_counter()
    result = run_speed(agents, blocks=args.blocks, block_steps=args.block_steps,
                       agent_intervals=args.agent_intervals, ppo_steps=args.ppo_steps,
                       ppo_envs=[] if args.no_ppo else args.ppo_envs, agent_sizes=args.agent_sizes,
                       ppo_vec=args.ppo_vec, progress=not args.no_progress)
    settings = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs visible", "python": platform.python_version(),
                "blocks": args.blocks, "block steps": args.block_steps, "agent intervals": args.agent_intervals,
                "wall time": f"{time.perf_counter() - start:.1f} s"}
    text = speed_markdown(result, settings)
    csv_path = os.path.join(args.out_dir, "speed.csv")
    md_path = os.path.join(args.out_dir, "speed.md")
    report.write_csv(_flat_rows(result), csv_path, ("section", "name", "metric", "value"))
    report.write_text(text, md_path)
    print(text)
    print(f"wrote {csv_path}\nwrote {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
