"""``Records``: a read-only mapping of equal-length arrays for per-task info entries.

``info["finished"]`` and ``info["pending"]`` hold one array per field whose length
changes from step to step. Gymnasium's vector environments stack every ``dict``
and ``ndarray`` in ``info`` across sub-environments, which fails for arrays of
different lengths; a ``Mapping`` that is not a ``dict`` is kept whole per
sub-environment instead. Indexing, iteration and ``np.asarray(records[key])``
work as on a dict of arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Iterator

import numpy as np


class Records(Mapping):
    """Read-only field name -> array mapping; equal when every field's array is equal."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, np.ndarray]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> np.ndarray:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping) or set(self) != set(other):
            return False
        return all(np.array_equal(self[k], other[k]) for k in self)

    __hash__ = None  # mutable contents: unhashable, like dict

    def __repr__(self) -> str:
        return f"Records({self._data!r})"

    def __getstate__(self):
        return self._data

    def __setstate__(self, state) -> None:
        self._data = state

    def to_dict(self) -> dict[str, np.ndarray]:
        """A plain dict copy of the fields."""
        return dict(self._data)
