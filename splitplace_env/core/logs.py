"""Append-only logs that the compiled step writes and ``info`` reads without copying.

A step's variable-length per-task records (tasks that finished, tasks that await a
split) and its per-host outputs are written by the kernel into preallocated
*chunks*. ``info`` gets views of this step's rows. Rows are never overwritten:
when a chunk is full the engine starts a new one and drops its reference to the
old one, which lives on only as long as some view of it does (a record chunk that
no view refers to any more is written again instead of allocating a new one). So
memory stays flat over long runs, nothing is copied per step, and a kept ``info``
stays valid.

Chunks are written through when allocated (``_touched``): a zeroed allocation
maps its pages lazily, and a page fault in the middle of a step costs more than
the step.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Iterator

import numpy as np

#: Rows a record chunk holds at least.
MIN_CHUNK_ROWS = 4096
#: Bytes of a host-output chunk: 512 steps at the paper's 16 hosts. A step that starts a
#: new chunk takes the slow path (``kernels.step`` asks for room: 55-110 us against about
#: 20 here); at 64 KB that was 1 step in 128, close enough to 1% to move the p99.
HOST_CHUNK_BYTES = 1 << 18


def held_only_by_caller(arrays: tuple[np.ndarray, ...] | None) -> bool:
    """Whether nothing but the caller's one tuple refers to each array of ``arrays``
    (so they may be written again): ``sys.getrefcount`` 2, the tuple and its own
    argument. (``EdgeEngine.step_unchecked`` makes the same test inline, against its
    own baseline, as it runs on every step.)"""
    if arrays is None:
        return False
    refs = sys.getrefcount  # (indexing, not iterating: a loop variable would add a reference)
    return refs(arrays[0]) == 2 and refs(arrays[1]) == 2 and refs(arrays[2]) == 2 and refs(arrays[3]) == 2


def _touched(shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    """A zero array whose pages are already mapped (written once, not calloc'ed)."""
    return np.full(shape, 0, dtype=dtype)


class RecordView(Mapping):
    """Read-only field name -> array mapping over columns ``lo:hi`` of a log chunk.

    Arrays are made on access (views, so cheap); ``sla_met``-style flag fields,
    stored as 0/1 floats, come out as bool arrays. Copying or pickling a view keeps
    only its own rows. Equal to any mapping with the same keys and equal arrays.
    """

    __slots__ = ("_schema", "_ints", "_floats", "_lo", "_hi")

    def __init__(self, schema: Mapping[str, tuple[str, int]], ints: np.ndarray, floats: np.ndarray,
                 lo: int, hi: int) -> None:
        self._schema, self._ints, self._floats, self._lo, self._hi = schema, ints, floats, lo, hi

    def __getitem__(self, key: str) -> np.ndarray:
        kind, row = self._schema[key]
        if kind == "i":
            return self._ints[row, self._lo:self._hi]
        col = self._floats[row, self._lo:self._hi]
        return col > 0.5 if kind == "b" else col

    def __iter__(self) -> Iterator[str]:
        return iter(self._schema)

    def __len__(self) -> int:
        return len(self._schema)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping) or set(self) != set(other):
            return False
        return all(np.array_equal(self[k], other[k]) for k in self)

    __hash__ = None  # compares by contents, like dict

    def __repr__(self) -> str:
        return f"RecordView({self.to_dict()!r})"

    def _own_rows(self) -> "RecordView":
        return RecordView(self._schema, self._ints[:, self._lo:self._hi].copy(),
                          self._floats[:, self._lo:self._hi].copy(), 0, self._hi - self._lo)

    def __copy__(self) -> "RecordView":
        return self

    def __deepcopy__(self, memo: dict) -> "RecordView":
        return self._own_rows()

    def __reduce__(self):
        own = self._own_rows()
        return RecordView, (dict(own._schema), own._ints, own._floats, 0, own._hi)

    def to_dict(self) -> dict[str, np.ndarray]:
        """A plain dict of copies of the fields."""
        return {k: np.array(self[k]) for k in self}


class RecordLog:
    """Chunks of per-task records: ``ints`` and ``floats`` blocks, one column per record.

    Args:
        int_fields: names of the int64 rows.
        float_fields: names of the float64 rows; those in ``flags`` read as bool.
        rows_per_step: most records one step can add (the chunk keeps room for them).
        flags: float fields that hold 0/1 flags.
    """

    def __init__(self, int_fields: tuple[str, ...], float_fields: tuple[str, ...], rows_per_step: int,
                 flags: tuple[str, ...] = ()) -> None:
        self.schema = {**{n: ("i", r) for r, n in enumerate(int_fields)},
                       **{n: ("b" if n in flags else "f", r) for r, n in enumerate(float_fields)}}
        self.rows_per_step = rows_per_step
        self.capacity = max(MIN_CHUNK_ROWS, 4 * rows_per_step)
        self.ints = _touched((len(int_fields), self.capacity), np.int64)
        self.floats = _touched((len(float_fields), self.capacity))
        # The view of no records, shared: it holds zero-size arrays of its own, so it
        # costs no allocation per step and keeps no chunk alive.
        self.empty = RecordView(self.schema, np.zeros((len(int_fields), 0), np.int64),
                                 np.zeros((len(float_fields), 0)), 0, 0)

    def room_at(self, pos: int) -> int:
        """Where the next step may write: ``pos``, or 0 of a fresh chunk if a step's
        records might not fit after ``pos``."""
        if pos + self.rows_per_step <= self.capacity:
            return pos
        return self.restart()

    def restart(self) -> int:
        """Starts writing at column 0 of a chunk no one else refers to: the current
        one if no view of it is alive (so a loop that drops its ``info`` allocates
        nothing), else a fresh one. Returns 0."""
        # 2 = this attribute and getrefcount's argument: no RecordView nor array view holds it
        if sys.getrefcount(self.ints) != 2 or sys.getrefcount(self.floats) != 2:
            self.ints = _touched(self.ints.shape, np.int64)
            self.floats = _touched(self.floats.shape)
        return 0

    def view(self, lo: int, hi: int) -> RecordView:
        """The records in columns ``lo:hi`` of the current chunk (no records: one
        shared empty view, equal to any other)."""
        if lo == hi:
            return self.empty
        return RecordView(self.schema, self.ints, self.floats, lo, hi)


class HostLog:
    """Chunks of per-step host outputs: ``block[row]`` is one step's (rows, H) array.

    The compiled step advances ``row[0]`` (the row it wrote last) itself and asks for
    a new chunk when ``block`` is full (``kernels.step``); ``rotate`` gives it one.
    (Views of a chunk's rows made in batches and handed out from lists were tried
    for ``info``: slower than indexing per step, in-process A/B, and a step in every
    128 then dropped 256 views.)

    Args:
        n_rows: outputs per host (``layout.HOST_OUT``).
        n_hosts: hosts.
    """

    def __init__(self, n_rows: int, n_hosts: int) -> None:
        self.steps = max(16, HOST_CHUNK_BYTES // (8 * n_rows * n_hosts))
        self._shape = (self.steps, n_rows, n_hosts)
        self.block = _touched(self._shape)
        self._spare: np.ndarray | None = None  # the chunk before this one
        self.row = np.full(1, -1, dtype=np.int64)  # the row written last (-1: none yet)

    def rotate(self) -> None:
        """Starts the next chunk: the chunk before this one if no view of it is alive,
        else a fresh one; kept outputs are never written again, and a loop that keeps
        only its last ``info`` (which refers to the full chunk, not to the one before)
        allocates nothing. Whoever else holds ``block`` (the engine's step arguments)
        must drop it first."""
        spare = self._spare
        self._spare = self.block
        # 2 = the local and getrefcount's argument: no step's outputs in it are held
        self.block = spare if spare is not None and sys.getrefcount(spare) == 2 else _touched(self._shape)
        self.row[0] = -1

    def next(self) -> np.ndarray:
        """Advances to the next row (rotating when the chunk is full) and returns its
        (rows, H) array, for writers other than the compiled step (a reset)."""
        if self.row[0] + 1 == self.steps:
            self.rotate()
        self.row[0] += 1
        return self.block[self.row[0]]
