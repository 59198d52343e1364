"""Arrow string columns built from numpy without Python loops over rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative integers, zero-padded to ``width``, as an (n, width) array."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // powers) % 10).astype(np.uint8) + ord("0")


def fixed_width(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """One ASCII string per row of an (n, width) uint8 array; null where ``valid`` is false."""
    mat = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = mat.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = None
    null_count = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little"))
        null_count = int(n - valid.sum())
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(mat), validity, null_count
    )


def refs(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """Keys like ``P00000042``: a fixed prefix and a zero-padded number."""
    digits = digit_matrix(numbers, width)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    mat = np.concatenate([np.broadcast_to(head, (len(digits), len(head))), digits], axis=1)
    return fixed_width(mat, valid)


def lookup(values: list[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``values[index]`` as a string array; null where ``valid`` is false."""
    arr = pa.array(values, type=pa.string())
    idx = pa.array(np.asarray(index, dtype=np.int32), mask=None if valid is None else ~valid)
    return arr.take(idx)
