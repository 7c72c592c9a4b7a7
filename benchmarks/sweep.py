"""Run a sweep of benchmark jobs in parallel: local processes or Ray tasks.

Backends:

* ``workers <= 1``: in this process, one job after another (debugging, tests);
* default: a ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn``
  start method (``workers`` processes);
* ``use_ray=True``: Ray tasks on a new local ``ray.init(address="local", num_cpus=workers)``, or on
  the cluster at ``ray_address``. Ray is an optional extra, imported only here. A cluster
  address is checked first (``agents.rl.rllib.resolve_ray_address``): one where no cluster
  answers, e.g. ``auto`` read from a stale ``ray_current_cluster``, fails within seconds
  instead of ``ray.init`` retrying it for minutes.

Every job is seeded by its own key, so all backends give the same rows; the
rows are returned sorted by job key (scenario, agent, seed). Only wall-clock
columns (``sched_time``, ``wall_s``) differ between runs.

Command line (``python -m benchmarks.sweep --help``) runs an arbitrary
agents x seeds x scenarios sweep and writes its per-run CSV.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
from typing import Any, Iterable, Sequence

from agents.rl.rllib import ray_address_argument, resolve_ray_address
from benchmarks.jobs import Job, Runner, make_jobs, run_job
from benchmarks.paper import RESULTS_DIR
from splitplace_env.cli_args import CommandParser, add_output_arguments, int_arg
from splitplace_env.outputs import OutputPathError, resolve_output_file

#: The command's CSV file name (in its run directory, or benchmarks/results/ with --update-committed).
CSV_NAME = "sweep_runs.csv"
#: Upper bounds of the seed and interval counts of every sweep command (beyond them a run would not fit
#: in memory or in a day).
MAX_SEEDS, MAX_INTERVALS = 10_000, 100_000


def default_workers() -> int:
    """The number of CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _progress(total: int, desc: str, enabled: bool):
    """A tqdm bar (or a no-op stand-in when disabled or tqdm is missing)."""
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, unit="job", dynamic_ncols=True)
        except ImportError:
            pass

    class _Null:
        def update(self, n: int = 1) -> None:
            """Ignores progress."""

        def set_postfix_str(self, s: str) -> None:
            """Ignores the status text."""

        def close(self) -> None:
            """Nothing to close."""

    return _Null()


def _sorted_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["scenario"], r["agent"], r["seed"]))


def _run_inline(jobs: Sequence[Job], runner: Runner | None, bar) -> list[dict[str, Any]]:
    rows = []
    for job in jobs:
        rows.append(run_job(job, runner))
        bar.set_postfix_str(f"{job.agent} s{job.seed}")
        bar.update(1)
    return rows


def _run_processes(jobs: Sequence[Job], runner: Runner | None, workers: int, bar) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    rows = []
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(run_job, job, runner): job for job in jobs}
        for fut in cf.as_completed(futures):
            job = futures[fut]
            try:
                rows.append(fut.result())
            except Exception as exc:
                for other in futures:
                    other.cancel()
                raise RuntimeError(f"benchmark job {job} failed: {exc}") from exc
            bar.set_postfix_str(f"{job.agent} s{job.seed}")
            bar.update(1)
    return rows


#: Ray >= 2.59 starts clusters (``ray start``) with token authentication, but a driver
#: connecting to one only sends the token when its environment says so.
_RAY_CONNECT_HINT = (
    "could not connect to the Ray cluster at {address} ({error}). If the cluster uses token "
    "authentication (the default of `ray start` since Ray 2.59), set RAY_AUTH_MODE=token in this "
    "shell and make the cluster's token available here (~/.ray/auth_token, RAY_AUTH_TOKEN or "
    "RAY_AUTH_TOKEN_PATH)."
)


def _run_ray(jobs: Sequence[Job], runner: Runner | None, workers: int, address: str | None,
             bar) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("--ray needs Ray: pip install 'splitplace-env[ray]'") from exc
    started = False
    if not ray.is_initialized():
        if address:
            address = resolve_ray_address(address)  # fails fast where no cluster answers
            try:
                ray.init(address=address, log_to_driver=False)
            except ConnectionError as exc:
                raise RuntimeError(_RAY_CONNECT_HINT.format(address=address, error=exc)) from exc
        else:
            # "local": a new cluster of our own, even where `ray start` left one running.
            ray.init(address="local", num_cpus=workers, log_to_driver=False, include_dashboard=False)
        started = True
    try:
        task = ray.remote(num_cpus=1)(run_job)
        pending = {task.remote(job, runner): job for job in jobs}
        rows = []
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job = pending.pop(ref)
                try:
                    rows.append(ray.get(ref))
                except Exception as exc:
                    for other in pending:
                        ray.cancel(other)
                    raise RuntimeError(f"benchmark job {job} failed on Ray: {exc}") from exc
                bar.set_postfix_str(f"{job.agent} s{job.seed}")
                bar.update(1)
        return rows
    finally:
        if started:
            ray.shutdown()


def run_sweep(jobs: Sequence[Job], *, runner: Runner | None = None, workers: int | None = None,
              use_ray: bool = False, ray_address: str | None = None, progress: bool = False,
              desc: str = "sweep") -> list[dict[str, Any]]:
    """Runs every job and returns their result rows sorted by job key.

    Args:
        jobs: the jobs (see ``benchmarks.jobs.make_jobs``).
        runner: a picklable ``Job -> metrics`` callable; the default runs a real
            episode with the agents package.
        workers: parallel processes (or Ray CPUs); default: the CPUs available.
            1 (or less) without Ray runs in this process.
        use_ray: run the jobs as Ray tasks (also implied by ``ray_address``).
        ray_address: address of a running Ray cluster; default: a local one.
        progress: show a tqdm progress bar (command-line use).
        desc: the progress bar's label.

    Returns:
        One row per job (see ``benchmarks.jobs.run_job``), sorted by
        (scenario, agent, seed).

    Raises:
        ValueError: on duplicate jobs or a malformed ``ray_address``.
        ConnectionError: if no Ray cluster answers at ``ray_address``.
        RuntimeError: if a job fails, Ray is missing, or joining the cluster fails.
    """
    jobs = list(jobs)
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate (scenario, agent, seed) jobs in the sweep")
    workers = default_workers() if workers is None else int(workers)
    use_ray = use_ray or bool(ray_address)
    bar = _progress(len(jobs), desc, progress)
    try:
        if use_ray:
            rows = _run_ray(jobs, runner, max(1, workers), ray_address, bar)
        elif workers <= 1 or len(jobs) <= 1:
            rows = _run_inline(jobs, runner, bar)
        else:
            rows = _run_processes(jobs, runner, min(workers, len(jobs)), bar)
    finally:
        bar.close()
    return _sorted_rows(rows)


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the parallelism options shared by the sweep commands."""
    group = parser.add_argument_group("parallelism")
    group.add_argument("--workers", type=int_arg(1), default=None,
                       help="parallel worker processes / Ray CPUs (default: all available CPUs; 1 = in-process)")
    group.add_argument("--ray", action="store_true", help="run jobs as Ray tasks on a local ray.init(num_cpus=WORKERS)")
    group.add_argument("--ray-address", default=None, metavar="ADDR", type=ray_address_argument,
                       help="run jobs as Ray tasks on the Ray cluster at ADDR, HOST:PORT or auto (implies "
                            "--ray; start one with `ray start --head`); a cluster with token authentication "
                            "(ray start's default since Ray 2.59) needs RAY_AUTH_MODE=token and its token "
                            "in this shell")
    group.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def sweep_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``run_sweep`` keywords the options of ``add_sweep_arguments`` chose."""
    return {"workers": args.workers, "use_ray": args.ray, "ray_address": args.ray_address,
            "progress": not args.no_progress}


def sweep_from_args(jobs: Sequence[Job], args: argparse.Namespace, desc: str) -> list[dict[str, Any]]:
    """Runs ``jobs`` with the parallelism chosen on the command line."""
    return run_sweep(jobs, desc=desc, **sweep_options(args))


def build_parser(prog: str = "python -m benchmarks.sweep") -> argparse.ArgumentParser:
    """The ``python -m benchmarks.sweep`` argument parser (one-line errors, defaults in the help)."""
    parser = CommandParser(
        prog=prog, description="Run an agents x seeds x scenarios sweep and write one CSV row per episode.")
    parser.add_argument("--agents", nargs="+", required=True, help="agent names (or rl:PATH)")
    parser.add_argument("--seeds", type=int_arg(1, MAX_SEEDS), default=2, help="number of seeds 0..N-1")
    parser.add_argument("--intervals", type=int_arg(1, MAX_INTERVALS), default=100, help="intervals per episode")
    parser.add_argument("--scenarios", nargs="+", default=["SplitPlace-v0"], help="environment ids")
    add_output_arguments(parser, f"benchmarks/results/{CSV_NAME}", option="--out", what="CSV path for the rows",
                         default=f"runs/sweep-<timestamp>/{CSV_NAME} under the current directory")
    add_sweep_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Runs a sweep from the command line; prints the rows and writes a CSV.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).
        prog: the program name shown in usage and errors.
    """
    from benchmarks.experiment import check_agents, check_env_id, check_sweep_options
    from benchmarks.report import format_rows, write_rows_csv

    parser = build_parser(prog or "python -m benchmarks.sweep")
    args = parser.parse_args(argv)
    try:
        check_sweep_options(args)
        for env_id in args.scenarios:
            check_env_id(env_id, "--scenarios")
        try:
            check_agents(args.agents, args.scenarios[0])
        except ValueError as exc:
            raise ValueError(f"--agents: {exc}") from None
        out = resolve_output_file("sweep", CSV_NAME, args.out, update_committed=args.update_committed,
                                  committed=os.path.join(RESULTS_DIR, CSV_NAME))
    except (OutputPathError, ValueError) as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING)
    jobs = make_jobs(args.agents, range(args.seeds), args.scenarios, args.intervals)
    rows = sweep_from_args(jobs, args, "sweep")
    write_rows_csv(rows, str(out))
    print(format_rows(rows))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
