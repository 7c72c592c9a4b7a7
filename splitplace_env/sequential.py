"""The per-decision view of SplitPlace-v0: one split or one placement per step.

Two views of the same environment
=================================

* **Interval view** (``SplitPlace-v0``, ``SplitPlaceEnv``): one step = one
  scheduling interval. The action is a ``MultiDiscrete`` vector holding the split
  of every new task and the host of every fragment slot (T + 5T sub-actions, 384
  in the paper setting). The factored mask (``action_masks()``) checks every
  placement alone against the free capacity, so several placements allowed one by
  one can together overflow a host; those wait (``info["infeasible_placements"]``).
  Use it for policy-gradient methods with factored (multi-categorical) heads:
  PPO, A2C, MaskablePPO, and for heuristics that decide a whole interval at once.
* **Per-decision view** (``SplitPlace-PerDecision-v0``, ``PerDecisionEnv``): one
  step = one decision, a ``Discrete`` action: first the split of each new task
  (slot order), then the host of each ready fragment (fragment-slot order,
  including the fragments the splits just made ready). The mask
  (``action_masks()``) is exact: it accounts for the RAM and disk committed by the
  decisions already taken in the interval, so every allowed placement is carried
  out. Use it for value-based methods (DQN), autoregressive or pointer-style
  policies, and whenever the joint action is too wide to learn per interval.

Semantics of the per-decision view
----------------------------------

* **Action** ``Discrete(max(S, H + 1))``. For a split decision, ``a < S`` is
  ``split_modes[a]``. For a placement decision, 0 = leave the fragment waiting,
  ``h + 1`` = host h. Masked actions (e.g. from an unmasked DQN) are not errors:
  a masked split becomes split 0, a masked placement becomes "wait"; both are
  counted in ``info["masked_actions"]``.
* **Decisions offered**: new tasks' splits and ready fragments' placements.
  Running fragments are not offered for migration (they stay where they are);
  use the interval view for migrations. With ``skip_forced=True`` (default), a
  placement with no feasible host is decided ("wait") without a step.
* **Clock**: the emulated clock advances when the interval's last decision is
  taken: the decisions are assembled into the interval view's ``MultiDiscrete``
  action and the inner ``step`` is called. An interval with no decision to take is
  run at once (with the no-op action).
* **Reward**: the interval's Eq. 8 reward on the step that completes it, 0 on the
  others, so the rewards of an interval's steps add up to its Eq. 8 reward. The
  rewards of intervals run without a decision are added to the step that ran them
  (or, right after ``reset``, to the first step). ``info["interval_rewards"]`` and
  ``info["interval_actions"]`` list the intervals a step completed and the
  ``MultiDiscrete`` actions sent, so the episode can be replayed in the interval view.
* **Observation**: the inner ``Dict`` observation (as of the interval's start)
  plus ``decision`` (float32 in [0, 1]): kind one-hot (split, placement), task
  slot one-hot (T), fragment index one-hot (5), the fragment's RAM / ``ram_mb``,
  disk / ``disk_mb`` and compute / ``work_s`` (0 for splits), decisions left in
  the interval / 6T, then per host the RAM and disk still free after this
  interval's committed placements (/ ``ram_mb``, / ``disk_mb``).
* **Episode end**: truncated when the inner environment truncates (after
  ``max_episode_steps`` intervals); never terminated.

The wrapper reads the engine's state (``env.unwrapped.engine``) to know which
fragments are ready and what they need: it is part of the environment package,
so agents still see only the observation, ``info`` and the mask.
"""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from splitplace_env.config import MAX_FRAGMENTS_PER_TASK
from splitplace_env.core.engine import READY

F = MAX_FRAGMENTS_PER_TASK
SPLIT, PLACEMENT = 0, 1
_KIND_NAMES = {SPLIT: "split", PLACEMENT: "placement"}


def new_fragment_demands(engine, slot: int, split: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """RAM (MB), disk (MB) and compute (s) of the fragments a split creates, and how many start ready.

    Uses the engine's own ``demands`` (same units and arithmetic as when the split
    is applied), so that the per-decision mask can account for fragments that do
    not exist yet.

    Args:
        engine: the ``EdgeEngine``.
        slot: task slot of a new task.
        split: split index.

    Returns:
        (ram, disk, work, n_ready), arrays over the split's fragments.
    """
    e = engine
    a, b = int(e.task_app[slot]), int(e.task_batch[slot])
    n = int(e.split_nfrag[a, split])
    ram, disk, _, _, work = e.demands(a, split, b)
    return ram[:n], disk[:n], work[:n], int(e.ready_at_split(a, split))


class IntervalDecisions:
    """The decisions of one interval, taken one at a time with an exact mask.

    Args:
        engine: the ``EdgeEngine`` at the start of the interval (not stepped here).
        n_actions: size of the ``Discrete`` action.
        skip_forced: decide placements with no feasible host ("wait") at once.
    """

    def __init__(self, engine, n_actions: int, skip_forced: bool = True) -> None:
        e = engine
        self.engine = e
        self.n_actions = n_actions
        self.skip_forced = skip_forced
        self.T, self.H, self.S = e.n_tasks, e.n_hosts, e.n_splits
        self.splits = np.zeros(self.T, dtype=np.int64)
        self.hosts = np.zeros(self.T * F, dtype=np.int64)
        # Capacity committed so far in this interval (engine units: MB). Migrations are not
        # offered, so commitments only grow: any order of admission fits, as the engine's does.
        self.ram = e.ram_used.copy()
        self.disk = e.disk_used.copy()
        self.ram_cap = e.hosts.ram_mb
        self.disk_cap = e.hosts.disk_mb
        self.queue: list[tuple[int, int]] = [(SPLIT, int(k)) for k in np.flatnonzero(e.task_new)]
        self.pos = 0
        self.demand: dict[int, tuple[float, float, float]] = {}
        self.masked = 0
        self._mask_pos = -1                # decision whose mask ``_mask`` holds
        self._mask = np.zeros(n_actions, dtype=bool)
        self._placements_added = not self.queue
        if self._placements_added:
            self._add_placements()
        self._skip()

    # ---------------------------------------------------------------- queries
    @property
    def done(self) -> bool:
        """All decisions of the interval are taken."""
        return self.pos >= len(self.queue)

    @property
    def current(self) -> tuple[int, int] | None:
        """``(kind, index)`` of the pending decision: task slot (split) or fragment slot (placement)."""
        return None if self.done else self.queue[self.pos]

    def remaining(self) -> int:
        """Decisions left, counting placements known so far."""
        return len(self.queue) - self.pos

    def mask(self) -> np.ndarray:
        """Allowed actions for the pending decision (all False when done)."""
        return self._current_mask().copy()

    def _current_mask(self) -> np.ndarray:
        """The pending decision's mask, computed once per decision: capacity only
        changes when a decision is taken (read-only; ``mask`` hands out copies)."""
        if self._mask_pos != self.pos:
            m = np.zeros(self.n_actions, dtype=bool)
            if not self.done:
                kind, idx = self.queue[self.pos]
                if kind == SPLIT:
                    m[: self.S] = True
                else:
                    m[0] = True
                    m[1: self.H + 1] = self._fits(idx)
            self._mask, self._mask_pos = m, self.pos
        return self._mask

    def action(self) -> np.ndarray:
        """The interval view's ``MultiDiscrete`` action for the decisions taken."""
        return np.concatenate([self.splits, self.hosts])

    # ---------------------------------------------------------------- updates
    def apply(self, a: int) -> None:
        """Takes the pending decision with action ``a`` (masked actions: split 0 / wait)."""
        kind, idx = self.queue[self.pos]
        a = int(a)
        if not (0 <= a < self.n_actions and self._current_mask()[a]):
            self.masked += 1
            a = 0
        if kind == SPLIT:
            self.splits[idx] = a
        elif a > 0:
            h = a - 1
            ram, disk, _ = self.demand[idx]
            self.hosts[idx] = a
            self.ram[h] += ram
            self.disk[h] += disk
        self._advance()
        self._skip()

    def _advance(self) -> None:
        """Moves to the next decision; the placements join the queue after the splits."""
        self.pos += 1
        if self.pos == len(self.queue) and not self._placements_added:
            self._add_placements()

    def _fits(self, frag: int) -> np.ndarray:
        ram, disk, _ = self.demand[frag]
        return (self.ram + ram <= self.ram_cap) & (self.disk + disk <= self.disk_cap)

    def _add_placements(self) -> None:
        """Queues the ready fragments, once the splits of new tasks are known."""
        e = self.engine
        self._placements_added = True
        ready = {int(f): (float(e.frag_ram[f]), float(e.frag_disk[f]), float(e.frag_work_total[f]))
                 for f in np.flatnonzero(e.frag_state == READY)}
        for k in np.flatnonzero(e.task_new).tolist():
            ram, disk, work, n_ready = new_fragment_demands(e, k, int(self.splits[k]))
            for j in range(n_ready):
                ready[k * F + j] = (float(ram[j]), float(disk[j]), float(work[j]))
        self.demand = ready
        self.queue.extend((PLACEMENT, f) for f in sorted(ready))
        self._mask_pos = -1  # the decision at ``pos`` may have changed

    def _skip(self) -> None:
        """Decides forced placements (no feasible host) without asking."""
        while self.skip_forced and not self.done:
            if self.queue[self.pos][0] != PLACEMENT or self._current_mask()[1:].any():
                return
            self._advance()


class PerDecisionEnv(gym.Env):
    """SplitPlace with one decision (a split or a placement) per step; see the module docstring.

    Args:
        env: an interval-view environment (``gym.make("SplitPlace-v0")`` or a
            ``SplitPlaceEnv``); None builds ``gym.make(env_id, **kwargs)``.
        env_id: the interval-view id to wrap when ``env`` is None (e.g.
            ``"SplitPlace-small-v0"``).
        render_mode: passed to the inner environment when it is built here.
        skip_forced: decide placements with no feasible host without a step.
        **kwargs: ``gym.make`` kwargs of the inner environment (config fields).
            Note that ``gym.make("SplitPlace-PerDecision-v0", max_episode_steps=N)``
            would limit *decisions*; to change the number of intervals pass
            ``PerDecisionEnv(max_episode_steps=N)`` (it reaches the inner
            ``gym.make``) or ``env=gym.make("SplitPlace-v0", max_episode_steps=N)``.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, env: gym.Env | None = None, env_id: str = "SplitPlace-v0", render_mode: str | None = None,
                 skip_forced: bool = True, **kwargs: Any) -> None:
        if env is None:
            env = gym.make(env_id, render_mode=render_mode, **kwargs)
        elif kwargs:
            raise ValueError(f"pass config fields to the inner env, not with env=...: {sorted(kwargs)}")
        self.env = env
        self.render_mode = env.render_mode
        base = env.unwrapped
        self.engine = base.engine
        self.codec = base.codec
        self.config = base.config
        e = self.engine
        self.T, self.H, self.S = e.n_tasks, e.n_hosts, e.n_splits
        self.skip_forced = skip_forced
        self.action_space = spaces.Discrete(max(self.S, self.H + 1))
        self._dim = 2 + self.T + F + 4 + 2 * self.H
        self.observation_space = spaces.Dict({
            **env.observation_space.spaces,
            "decision": spaces.Box(0.0, 1.0, shape=(self._dim,), dtype=np.float32),
        })
        self._scales = (base.codec.scales["ram_mb"], base.codec.scales["disk_mb"], base.codec.scales["work_s"])
        self._inner_obs: dict[str, np.ndarray] | None = None
        self._info: dict[str, Any] = {}
        self._iv: IntervalDecisions | None = None
        self._pending: list[tuple[float, np.ndarray, dict]] = []
        self._truncated = False

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, info = self.env.reset(seed=seed, options=options)
        self._inner_obs, self._info = obs, info
        self._pending = []
        self._truncated = False
        self._start_interval()
        return self._observation(), self._step_info(info, [])

    def step(self, action):
        if self._iv is None:
            raise RuntimeError("call reset() before step()")
        terminated = False
        if not self._iv.done:
            self._iv.apply(int(np.asarray(action).reshape(-1)[0]) if np.ndim(action) else int(action))
            if self._iv.done:
                terminated = self._run_interval()
        if not terminated and not self._truncated:
            self._advance_empty()
        pending, self._pending = self._pending, []
        info = self._step_info(pending[-1][2] if pending else None, pending)
        rewards = [r for r, _, _ in pending]
        return self._observation(), float(sum(rewards)), terminated, self._truncated, info

    def action_masks(self) -> np.ndarray:
        """Exact mask of the pending decision (``Discrete`` size; sb3-contrib convention)."""
        if self._iv is None or self._iv.done:
            m = np.zeros(self.action_space.n, dtype=bool)
            m[0] = True  # after the episode's end: a valid dummy
            return m
        return self._iv.mask()

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()

    def plan(self, inner_obs: dict[str, np.ndarray],
             choose: Callable[[dict[str, np.ndarray], np.ndarray], int]) -> np.ndarray:
        """Takes an interval's decisions with ``choose(obs, mask)``, without stepping.

        Lets a policy trained on this view act in the interval view: the wrapped
        environment must be the one being run, at the start of an interval.

        Args:
            inner_obs: the interval view's observation of the current state.
            choose: returns the action of one decision from this view's
                observation and mask.

        Returns:
            The interval view's ``MultiDiscrete`` action.
        """
        saved = self._iv, self._inner_obs
        try:
            self._inner_obs = inner_obs
            self._iv = iv = IntervalDecisions(self.engine, self.action_space.n, self.skip_forced)
            while not iv.done:
                iv.apply(int(choose(self._observation(), iv.mask())))
            return iv.action()
        finally:
            self._iv, self._inner_obs = saved

    # ------------------------------------------------------------------ helpers
    def _start_interval(self) -> None:
        self._iv = IntervalDecisions(self.engine, self.action_space.n, self.skip_forced)
        self._advance_empty()

    def _run_interval(self) -> bool:
        """Steps the inner env with the interval's action; starts the next interval."""
        a = self._iv.action()
        masked = self._iv.masked
        obs, r, terminated, truncated, info = self.env.step(a)
        info = {**info, "masked_actions": masked}
        self._inner_obs = obs
        self._pending.append((float(r), a, info))
        # A bare SplitPlaceEnv runs on; the view truncates at the configured episode length itself.
        self._truncated = bool(truncated) or self.engine.t >= self.config.max_episode_steps
        self._iv = IntervalDecisions(self.engine, self.action_space.n, self.skip_forced)
        return bool(terminated)

    def _advance_empty(self) -> None:
        """Runs intervals that need no decision (until one does, or the episode ends)."""
        while self._iv.done and not self._truncated:
            if self._run_interval():
                break

    def _observation(self) -> dict[str, np.ndarray]:
        d = np.zeros(self._dim, dtype=np.float32)
        iv = self._iv
        cur = iv.current if iv is not None else None
        T, H = self.T, self.H
        ram_s, disk_s, work_s = self._scales
        if cur is not None:
            kind, idx = cur
            d[kind] = 1.0
            if kind == SPLIT:
                d[2 + idx] = 1.0
            else:
                d[2 + idx // F] = 1.0
                d[2 + T + idx % F] = 1.0
                ram, disk, work = iv.demand[idx]
                d[2 + T + F: 2 + T + F + 3] = (ram / ram_s, disk / disk_s, work / work_s)
            d[2 + T + F + 3] = iv.remaining() / (6 * T)
        if iv is not None:
            o = 2 + T + F + 4
            d[o: o + H] = (iv.ram_cap - iv.ram) / ram_s
            d[o + H: o + 2 * H] = (iv.disk_cap - iv.disk) / disk_s
        np.clip(d, 0.0, 1.0, out=d)
        # Fresh arrays every step: callers may keep observations (the inner ones repeat in an interval).
        return {**{k: v.copy() for k, v in self._inner_obs.items()}, "decision": d}

    def _step_info(self, inner_info: dict | None, pending: list) -> dict[str, Any]:
        """Per-decision keys, plus the inner info of the last interval this step completed."""
        info: dict[str, Any] = dict(inner_info) if inner_info is not None else {}
        cur = self._iv.current if self._iv is not None else None
        info["decision"] = {
            "kind": _KIND_NAMES[cur[0]] if cur else None,
            "task_slot": (cur[1] if cur[0] == SPLIT else cur[1] // F) if cur else -1,
            "fragment_slot": cur[1] if cur and cur[0] == PLACEMENT else -1,
        }
        info["interval_done"] = bool(pending)
        info["interval_rewards"] = [r for r, _, _ in pending]
        info["interval_actions"] = [a for _, a, _ in pending]
        info.setdefault("interval", self.engine.t)
        info.setdefault("masked_actions", 0)
        return info
