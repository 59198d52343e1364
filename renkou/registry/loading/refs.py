"""Which row of a load file holds a reference, in a few bytes per row instead of a dict.

A dict from ten million references to ids takes well over a gigabyte of Python objects.
``RefIndex`` keeps the file's reference column as one Arrow string array (the text, for
exact comparison), the references' 64-bit hashes sorted (numpy), and the row each sorted
hash came from: about 30 bytes a row. A lookup is a ``searchsorted`` and a comparison of
the text, so a hash collision never resolves a reference to the wrong row.

The hash is Python's own ``hash(str)``: stable within the process, which is all the index
needs (nothing is stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa


def hashes(values: Sequence[str]) -> np.ndarray:
    """64-bit hashes of ``values``."""
    return np.fromiter((hash(v) for v in values), dtype=np.int64, count=len(values))


class RefIndex:
    """The references of one file, by row (0 = the first data row), with their lookups."""

    def __init__(self, chunks: Iterable[pa.Array]) -> None:
        arrays = [pa.array(c, type=pa.large_string()) for c in chunks]
        self.refs = pa.concat_arrays(arrays) if arrays else pa.array([], pa.large_string())
        keys = np.concatenate([hashes(a.to_pylist()) for a in arrays] or [np.zeros(0, np.int64)])
        self.order = np.argsort(keys, kind="stable").astype(np.int32)
        self.sorted = keys[self.order]
        del keys
        # References given on more than one row (or sharing a hash): the only ones for which
        # a row's duplicate must be checked by text.
        repeated = np.flatnonzero(self.sorted[1:] == self.sorted[:-1])
        rows = np.unique(np.concatenate([self.order[repeated], self.order[repeated + 1]]))
        self.shared = {self.text(int(r)) for r in rows} - {""}
        # Rows whose reference was taken (inserted, or found already loaded): set by the load.
        self.taken = np.zeros(len(self.refs), dtype=bool)
        # The id of row 0 where ids are ``first_id + row`` (set by the load).
        self.first_id = 0

    def __len__(self) -> int:
        return len(self.refs)

    def text(self, row: int) -> str:
        """The reference on ``row``."""
        return str(self.refs[row].as_py())

    def rows_of(self, ref: str) -> list[int]:
        """Every row whose reference is ``ref``, in file order."""
        key = hash(ref)
        lo = int(np.searchsorted(self.sorted, key, side="left"))
        hi = int(np.searchsorted(self.sorted, key, side="right"))
        return [int(r) for r in self.order[lo:hi] if self.text(int(r)) == ref]

    def first_rows(self, refs: Sequence[str]) -> np.ndarray:
        """For each of ``refs``: the first row holding it, or -1 (vectorised)."""
        out = np.full(len(refs), -1, dtype=np.int64)
        if not len(refs) or not len(self.refs):
            return out
        keys = hashes(refs)
        at = np.searchsorted(self.sorted, keys, side="left")
        inside = at < len(self.sorted)
        hit = np.zeros(len(refs), dtype=bool)
        hit[inside] = self.sorted[at[inside]] == keys[inside]
        candidates = np.flatnonzero(hit)
        rows = self.order[at[candidates]]
        found = self.refs.take(pa.array(rows, pa.int64())).to_pylist()
        for i, row, text in zip(candidates.tolist(), rows.tolist(), found, strict=True):
            ref = refs[i]
            if ref in self.shared or text != ref:
                matching = self.rows_of(ref)
                out[i] = matching[0] if matching else -1
            else:
                out[i] = row
        return out
