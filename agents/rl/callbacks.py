"""Training callbacks: a tqdm progress bar, periodic evaluation and checkpoints."""

from __future__ import annotations

import os

from stable_baselines3.common.callbacks import BaseCallback, CallbackList, CheckpointCallback, EvalCallback


class TqdmCallback(BaseCallback):
    """A plain ``tqdm`` progress bar over environment steps.

    SB3's own ``progress_bar=True`` needs ``rich``; this one needs only ``tqdm``.
    """

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self._bar = None

    def _on_training_start(self) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.total, unit="step", dynamic_ncols=True)

    def _on_step(self) -> bool:
        self._bar.update(self.training_env.num_envs)
        return True

    def _on_training_end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class TimeLimitCallback(BaseCallback):
    """Stops training after ``max_seconds`` of wall time (checked every step)."""

    def __init__(self, max_seconds: float) -> None:
        super().__init__()
        self.max_seconds = max_seconds
        self._t0 = 0.0

    def _on_training_start(self) -> None:
        import time

        self._t0 = time.perf_counter()

    def _on_step(self) -> bool:
        import time

        return time.perf_counter() - self._t0 < self.max_seconds


def build_callbacks(out_dir: str, eval_env, n_envs: int, masked: bool, eval_freq: int,
                    eval_episodes: int, checkpoint_freq: int, progress_total: int | None,
                    max_seconds: float | None = None) -> CallbackList:
    """The callback list of a training run.

    Args:
        out_dir: run directory; evaluations go to ``eval/``, the best model to
            ``best/``, checkpoints to ``checkpoints/``.
        eval_env: a VecEnv for evaluation (None: no evaluation).
        n_envs: training environments (frequencies are in total environment steps).
        masked: use sb3-contrib's ``MaskableEvalCallback`` (evaluates with masks).
        eval_freq: evaluate every this many environment steps (0: never).
        eval_episodes: episodes per evaluation.
        checkpoint_freq: save every this many environment steps (0: never).
        progress_total: total steps for a progress bar (None: no bar).
        max_seconds: stop training after this much wall time (None: no limit).
    """
    cbs: list[BaseCallback] = []
    if eval_env is not None and eval_freq > 0:
        kw = dict(n_eval_episodes=eval_episodes, eval_freq=max(eval_freq // n_envs, 1),
                  log_path=os.path.join(out_dir, "eval"), best_model_save_path=os.path.join(out_dir, "best"),
                  deterministic=True, verbose=0)
        if masked:
            from sb3_contrib.common.maskable.callbacks import MaskableEvalCallback

            cbs.append(MaskableEvalCallback(eval_env, **kw))
        else:
            cbs.append(EvalCallback(eval_env, **kw))
    if checkpoint_freq > 0:
        cbs.append(CheckpointCallback(max(checkpoint_freq // n_envs, 1), os.path.join(out_dir, "checkpoints"),
                                      name_prefix="model"))
    if max_seconds:
        cbs.append(TimeLimitCallback(max_seconds))
    if progress_total:
        cbs.append(TqdmCallback(progress_total))
    return CallbackList(cbs)
