"""Speed report: environment step rate, agent decision times, PPO training throughput.

``splitplace bench speed`` (or ``python -m benchmarks.speed``) measures, in one
process so the ratios cancel the machine's drift:

1. the step time of SplitPlace-v0 as a ratio to CartPole-v1's, per-step times
   interleaved in blocks (``benchmarks.env_speed.compare_with_cartpole``: means,
   medians, SplitPlace's p99 / median and whether the issue's targets are met);
2. every agent's decision time (``act`` wall time per interval,
   ``benchmarks.agent_speed.measure``);
3. PPO training steps/s with 1, 2 and 4 environments
   (``agents.rl.speed.ppo_steps_per_second``).

Writes ``speed.csv`` and ``speed.md`` into a new run directory, ``--out-dir``, or
``benchmarks/results/`` with ``--update-committed``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
from typing import Any, Sequence

from benchmarks import report
from benchmarks.paper import RESULTS_DIR
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg

#: Scalar results of ``benchmarks.env_speed.compare_with_cartpole`` shown in the report.
ENV_KEYS = ("env_id", "splitplace_steps_per_s", "cartpole_steps_per_s", "ratio_medians", "ratio_means",
            "p99_over_median", "block_means_ratio", "met_ratio_medians", "met_ratio_means",
            "met_p99_over_median", "all_targets_met")


# ---------------------------------------------------------------- report
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
              ppo_envs: Sequence[int], agent_sizes: Sequence[int] = (16,), ppo_vec: str = "subproc"
              ) -> dict[str, Any]:
    """Runs all three parts; returns their rows and which function measured each."""
    from agents.rl.speed import ppo_steps_per_second
    from benchmarks.agent_speed import measure as agent_measure
    from benchmarks.env_speed import compare_with_cartpole

    res = compare_with_cartpole(blocks=blocks, steps_per_block=block_steps)
    out: dict[str, Any] = {
        "env": [{k: v for k, v in res.items() if k in ENV_KEYS}],
        "agents": agent_measure(agents=tuple(agents), sizes=tuple(agent_sizes),
                                intervals={n: agent_intervals for n in agent_sizes}),
        "ppo": [],
        "source": {"env": "benchmarks.env_speed.compare_with_cartpole", "agents": "benchmarks.agent_speed.measure",
                   "ppo": "not available (skipped with --no-ppo)"},
    }
    if ppo_envs:
        out["source"]["ppo"] = f"agents.rl.speed.ppo_steps_per_second (vec={ppo_vec})"
        out["ppo"] = ppo_rows(ppo_steps_per_second(list(ppo_envs), timesteps=ppo_steps, vec=ppo_vec))
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
    """The speed command's parser (one-line errors, range-checked counts, defaults in the help)."""
    parser = CommandParser(prog=prog, description="Env step rate vs CartPole-v1, agent decision times "
                                                  "and PPO training steps/s; writes speed.csv/.md.")
    parser.add_argument("--agents", nargs="+", default=None, help="agents to time (default: the Table 1 agents)")
    parser.add_argument("--blocks", type=int_arg(1), default=5, help="timing blocks per environment")
    parser.add_argument("--block-steps", type=int_arg(1), default=200, help="SplitPlace steps per block")
    parser.add_argument("--agent-intervals", type=int_arg(1), default=20, help="intervals per agent")
    parser.add_argument("--agent-sizes", type=int, nargs="+", default=[16], choices=[16, 64, 256],
                        help="cluster sizes (hosts) for the agent timing")
    parser.add_argument("--ppo-steps", type=int_arg(1), default=2048, help="PPO timesteps per measurement")
    parser.add_argument("--ppo-envs", type=int_arg(1), nargs="+", default=[1, 2, 4], help="env counts")
    parser.add_argument("--ppo-vec", choices=["dummy", "subproc"], default="subproc",
                        help="vectorised env type for PPO with more than one env")
    parser.add_argument("--no-ppo", action="store_true", help="skip the PPO throughput part")
    parser.add_argument("--quick", action="store_true",
                        help="3 blocks of 100 steps, 10 intervals per agent, 1024 PPO steps")
    add_output_arguments(parser, "benchmarks/results/speed.*", what="folder for speed.csv and speed.md")
    parser.add_argument("--no-progress", action="store_true",
                        help="accepted like the other bench commands; this one shows no progress bars")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Command-line entry point: prints the report and writes speed.csv / speed.md."""
    from benchmarks.experiment import check_agents, default_agents

    from splitplace_env.outputs import OutputPathError, resolve_output_dir

    parser = build_parser(prog or "python -m benchmarks.speed")
    args = parser.parse_args(argv)
    try:
        if args.agents:
            try:
                check_agents(args.agents)
            except ValueError as exc:
                raise ValueError(f"--agents: {exc}") from None
        out_dir = str(resolve_output_dir("speed", args.out_dir, update_committed=args.update_committed,
                                         committed=RESULTS_DIR))
    except (OutputPathError, ValueError) as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.blocks, args.block_steps, args.agent_intervals, args.ppo_steps = 3, 100, 10, 1024
    agents = args.agents or default_agents()
    start = time.perf_counter()
    result = run_speed(agents, blocks=args.blocks, block_steps=args.block_steps,
                       agent_intervals=args.agent_intervals, ppo_steps=args.ppo_steps,
                       ppo_envs=[] if args.no_ppo else args.ppo_envs, agent_sizes=args.agent_sizes,
                       ppo_vec=args.ppo_vec)
    settings = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs visible", "python": platform.python_version(),
                "blocks": args.blocks, "block steps": args.block_steps, "agent intervals": args.agent_intervals,
                "wall time": f"{time.perf_counter() - start:.1f} s"}
    text = speed_markdown(result, settings)
    csv_path = os.path.join(out_dir, "speed.csv")
    md_path = os.path.join(out_dir, "speed.md")
    report.write_csv(_flat_rows(result), csv_path, ("section", "name", "metric", "value"))
    report.write_text(text, md_path)
    print(text)
    print(f"wrote {csv_path}\nwrote {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
