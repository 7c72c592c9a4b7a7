"""The vector reward (``SplitPlaceConfig.reward="vector"``): Eq. 8's terms, one per objective.

MO-Gymnasium's convention: the step returns a float32 array with one entry per
objective, every entry to be maximised, and the env carries a ``reward_space``
(a ``Box``) describing it. Eq. 8 is ``O = QoS - alpha AEC - beta ART``, so the
objectives are (QoS, -AEC, -ART): a linear scalarisation with weights
(1, alpha, beta) (MO-Gymnasium's ``LinearReward``) gives back the scalar reward.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

#: The objectives, in the order of the vector, and the Eq. 8 term each negates or keeps.
OBJECTIVES: tuple[str, ...] = ("qos", "neg_aec", "neg_art")
#: ``layout.STATS`` rows of QoS, AEC and ART.
_TERMS = ("qos", "aec", "art")


def reward_space() -> spaces.Box:
    """The vector reward's space: QoS in [0, 1], -AEC and -ART in [-1, 0]."""
    return spaces.Box(low=np.array([0.0, -1.0, -1.0], dtype=np.float32),
                      high=np.array([1.0, 0.0, 0.0], dtype=np.float32), dtype=np.float32)


def eq8_weights(alpha: float, beta: float) -> np.ndarray:
    """Weights under which the vector reward's dot product is Eq. 8."""
    return np.array([1.0, alpha, beta], dtype=np.float32)


def vector_reward(qos: float, aec: float, art: float) -> np.ndarray:
    """(QoS, -AEC, -ART) as float32."""
    return np.array([qos, -aec, -art], dtype=np.float32)
