"""The time limit ``gymnasium.make`` is wrapping an environment in while it builds it.

``gym.make(id, max_episode_steps=N)`` consumes N: it wraps the env in ``TimeLimit(N)``
but passes nothing on, and since Gymnasium 1.0 even the env's own
``spec.max_episode_steps`` stays None (Gymnasium issue #871). The SplitPlace
observation needs the episode length (its time feature), so ``SplitPlaceEnv`` reads
the limit from the frame of the ``make`` call that is constructing it. The lookup is
strict: only a direct ``make`` whose environment creator is the env's own class
counts, so an env built inside some other env's constructor never picks up that
outer ``make``'s limit.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any

from gymnasium.envs import registration

_MAKE_CODE = registration.make.__code__


def time_limit_of_make(env: Any) -> Any:
    """The ``max_episode_steps`` of the ``TimeLimit`` that ``gym.make`` puts around ``env``.

    Call it from ``env.__init__`` (a subclass's ``__init__`` calling ``super().__init__``
    is fine).

    Args:
        env: the environment being constructed.

    Returns:
        make's ``max_episode_steps`` argument, else the registered spec's; None when
        ``env`` is not being built by ``gym.make`` or ``make`` applies no time limit
        (the argument -1, or no registered limit). The value is returned as given, for
        the configuration to validate.
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_locals.get("self") is env:  # env's __init__ chain
        frame = frame.f_back
    if frame is None or frame.f_code is not _MAKE_CODE:
        return None
    local = frame.f_locals
    if local.get("env_creator") is not type(env):
        return None
    steps = local.get("max_episode_steps")
    if steps is None:
        spec = local.get("env_spec")
        return getattr(spec, "max_episode_steps", None)
    if isinstance(steps, numbers.Real) and steps == -1:  # make's "no TimeLimit" (its test: != -1)
        return None
    return steps
