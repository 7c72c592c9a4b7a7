"""The memory a fragment container holds, per application, split and fragment.

Run ``python -m benchmarks.memory_table``: prints (Markdown) the figures that
``splitplace_env/data/PROFILES.md`` quotes, computed by the engine itself
(``EdgeEngine.demands``) under both memory models at each application's largest
batch: "full_batch" = runtime + weights + the decoded input batch + all outputs
(the authors' container loop), "streaming" = runtime + weights + the activations of
``stream_chunk_samples`` samples. Writes nothing.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from splitplace_env.config import APPLICATIONS, SplitPlaceConfig
from splitplace_env.core.engine import EdgeEngine

MODES = ("layer", "semantic", "compressed", "layer2", "layer1")


def rows() -> list[tuple]:
    """(app, split, fragment, batch, weights MB, input MB, output MB, full-batch MB, streaming MB)."""
    full = EdgeEngine(SplitPlaceConfig(split_modes=MODES, container_costs=False))
    stream = EdgeEngine(SplitPlaceConfig(split_modes=MODES, container_costs=False, memory_model="streaming"))
    out = []
    for a, app in enumerate(APPLICATIONS):
        b = int(full.batch_choices[a].max())
        for s, mode in enumerate(MODES):
            for j in range(int(full.split_nfrag[a, s])):
                out.append((app, mode, j, b, full.split_weights[a, s, j], b * full.split_in[a, s, j],
                            b * full.split_out[a, s, j], full.demands(a, s, b)[0, j],
                            stream.demands(a, s, b)[0, j]))
    return out


def markdown() -> str:
    lines = ["| application | split | fragment | batch | weights MB | input MB | outputs MB | full_batch MB | "
             "streaming MB |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for app, mode, j, b, w, i, o, f, s in rows():
        lines.append(f"| {app} | {mode} | {j} | {b} | {w:.1f} | {i:.1f} | {o:.1f} | {f:.0f} | {s:.0f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m benchmarks.memory_table", description=__doc__.splitlines()[0]
                            ).parse_args(argv)
    print(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
