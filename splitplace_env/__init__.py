"""SplitPlace-v0: splitting and placing DNNs on a mobile edge cluster, as a Gymnasium env.

Importing this package registers the environment ids (idempotently):

* ``SplitPlace-v0``: the paper's setting (16 Pi 4B hosts, Poisson(6), 100 intervals);
* ``SplitPlace-small-v0``: 4 hosts, 16 task slots, 50 intervals (fast tests, RL debugging);
* ``SplitPlace-large-v0``: 64 hosts, Poisson(24), 256 task slots;
* ``SplitPlace-MNIST-v0``, ``SplitPlace-FashionMNIST-v0``, ``SplitPlace-CIFAR100-v0``:
  one-application workloads (the paper's Figure 4);
* ``SplitPlace-SUMO-v0``: mobile hosts follow the shipped SUMO trace (8 vehicles on a grid);
* ``SplitPlace-AuthorsCode-v0``: the setting of the authors' released code (10 Azure VMs,
  their arrival process and admission: ``config.PRESETS["authors_code"]``), and its
  one-application workloads ``SplitPlace-AuthorsCode-{MNIST,FashionMNIST,CIFAR100}-v0``;
* ``SplitPlace-PerDecision-v0``: one decision per step (``splitplace_env.sequential``).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from splitplace_env.codec import ActionCodec
from splitplace_env.config import SPLIT_MODES, SplitPlaceConfig, preset
from splitplace_env.env import SplitPlaceEnv
from splitplace_env.wrappers import MaskObservation

ENTRY_POINT = "splitplace_env.env:SplitPlaceEnv"
#: ``gym.make_vec`` of every id builds the native batched vector env.
VECTOR_ENTRY_POINT = "splitplace_env.vector:SplitPlaceVectorEnv"

#: Registered id -> preset name.
ENV_IDS: dict[str, str] = {
    "SplitPlace-v0": "paper",
    "SplitPlace-small-v0": "small",
    "SplitPlace-large-v0": "large",
    "SplitPlace-MNIST-v0": "mnist",
    "SplitPlace-FashionMNIST-v0": "fashionmnist",
    "SplitPlace-CIFAR100-v0": "cifar100",
    "SplitPlace-SUMO-v0": "sumo",
    "SplitPlace-AuthorsCode-v0": "authors_code",
    "SplitPlace-AuthorsCode-MNIST-v0": "authors_code_mnist",
    "SplitPlace-AuthorsCode-FashionMNIST-v0": "authors_code_fashionmnist",
    "SplitPlace-AuthorsCode-CIFAR100-v0": "authors_code_cifar100",
}


def _register_all() -> None:
    for env_id, name in ENV_IDS.items():
        if env_id in registry:
            continue
        # The id passes its preset's name, not its fields, so the env can tell them from
        # the user's (``SplitPlaceConfig.resolve``: preset, then config=, then fields).
        register(id=env_id, entry_point=ENTRY_POINT, vector_entry_point=VECTOR_ENTRY_POINT,
                 max_episode_steps=preset(name).max_episode_steps, kwargs={"preset": name})
    if "SplitPlace-PerDecision-v0" not in registry:  # one decision per step: splitplace_env.sequential
        register(id="SplitPlace-PerDecision-v0", entry_point="splitplace_env.sequential:PerDecisionEnv")


_register_all()

__all__ = [
    "ENV_IDS",
    "ActionCodec",
    "MaskObservation",
    "SPLIT_MODES",
    "SplitPlaceConfig",
    "SplitPlaceEnv",
    "preset",
]
__version__ = "0.1.0"
