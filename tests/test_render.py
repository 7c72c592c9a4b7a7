"""Rendering: the picture's text (interval, reward terms, legends) and the ANSI legend."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import splitplace_env  # noqa: F401  (registers the ids)
from splitplace_env import render

SMALL = "SplitPlace-small-v0"


def _stepped(render_mode: str, masked_action, steps: int = 3):
    env = gym.make(SMALL, render_mode=render_mode)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    info = None
    for _ in range(steps):
        _, _, _, _, info = env.step(masked_action(env, rng))
    return env, info


def _texts(fig) -> list[str]:
    """Every text the figure draws: its title, axes titles and labels, legend entries."""
    out = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t]


def test_picture_title_shows_the_interval_and_the_reward_terms(masked_action) -> None:
    env, info = _stepped("rgb_array", masked_action)
    fig = render.cluster_figure(env.unwrapped)
    title = fig._suptitle.get_text()
    r = info["rewards"]
    assert f"interval {info['interval']} of 50" in title
    for name, key in (("reward", "reward"), ("QoS", "qos"), ("AEC", "aec"), ("ART", "art")):
        value = f"{r[key]:+.3f}" if key == "reward" else f"{r[key]:.3f}"
        assert f"{name} {value}" in title, (name, title)
    assert f"{r['n_finished']:.0f} tasks finished" in title


def test_picture_has_a_legend_for_every_mark(masked_action) -> None:
    env, _ = _stepped("rgb_array", masked_action)
    texts = " | ".join(_texts(render.cluster_figure(env.unwrapped)))
    for wanted in ("access point", "wired host", "mobile host", "CPU load", "RAM used", "paging to network swap",
                   "empty", "blocked", "ready", "running", "done", "task slot", "fragment"):
        assert wanted in texts, (wanted, texts)


def test_picture_before_any_step_says_so() -> None:
    env = gym.make(SMALL, render_mode="rgb_array")
    env.reset(seed=0)
    title = render.cluster_figure(env.unwrapped)._suptitle.get_text()
    assert "interval 0 of 50" in title and "no interval run yet" in title


def test_rgb_array_is_drawn_at_its_default_size_with_text_in_the_title_band(masked_action) -> None:
    env = gym.make(SMALL, render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    assert before.dtype == np.uint8 and before.shape == (720, 1120, 3)
    env.step(masked_action(env, np.random.default_rng(0)))
    after = env.render()
    band = slice(0, 50)  # the two title lines
    dark = (after[band].min(axis=2) < 100).sum()
    assert dark > 500, f"only {dark} dark pixels in the title band: no title text drawn"
    assert not np.array_equal(before[band], after[band])  # the interval and reward changed


def test_ansi_headline_has_the_reward_terms_and_the_last_line_is_a_legend(masked_action) -> None:
    env, info = _stepped("ansi", masked_action)
    lines = env.render().splitlines()
    r = info["rewards"]
    assert lines[0].startswith(f"interval {info['interval']}/50")
    assert f"reward {r['reward']:+.3f} = QoS {r['qos']:.3f}" in lines[0]
    assert f"AEC {r['aec']:.3f}" in lines[0] and f"ART {r['art']:.3f}" in lines[0]
    assert lines[-1] == render.ANSI_LEGEND
    for code, name in ((".", "empty"), ("b", "blocked"), ("r", "ready"), ("R", "running"), ("d", "done")):
        assert f"{code} {name}" in lines[-1]


@pytest.mark.parametrize("n_hosts", [4, 64])
def test_picture_scales_to_the_cluster(n_hosts: int, masked_action) -> None:
    env = gym.make("SplitPlace-v0", n_hosts=n_hosts, render_mode="rgb_array")
    env.reset(seed=1)
    env.step(masked_action(env, np.random.default_rng(1)))
    img = env.render()
    assert img.shape == (720, 1120, 3)
