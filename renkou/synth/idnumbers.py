"""Identity numbers (公民身份号码, GB 11643-1999) built for whole columns at once.

Region code + birth date + 3-digit sequence (odd for men) + check character. Sequences are
drawn so that no two people share a number: within one region, birth date and sex each person
gets a distinct value, scattered over the range like real police-station blocks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from renkou.core.idnumber import CHECK_CHARS, WEIGHTS
from renkou.synth.columns import digit_matrix, fixed_width
from renkou.synth.dates import ymd

_SLOTS = 499  # distinct sequences per region, date and sex: 001..997 odd, 002..998 even
_CHECK = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)


def sequences(
    rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Distinct 3-digit sequence numbers per (region, birth day, sex); odd for men."""
    n = len(region)
    order = np.lexsort((rng.random(n), male, birth, region))
    r, b, m = region[order], birth[order], male[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (r[1:] != r[:-1]) | (b[1:] != b[:-1]) | (m[1:] != m[:-1])
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    rank = np.arange(n) - starts[group]
    if n and rank.max() >= _SLOTS:
        raise ValueError("more than 499 people of one sex born on one day in one region")
    n_groups = len(starts)
    offset = rng.integers(0, _SLOTS, n_groups)[group]
    stride = rng.integers(1, _SLOTS, n_groups)[group]  # 499 is prime: any stride cycles fully
    value = (offset + rank * stride) % _SLOTS
    seq = np.where(m, 2 * value + 1, 2 * value + 2)
    out = np.empty(n, dtype=np.int32)
    out[order] = seq
    return out


def build(
    rng: np.random.Generator,
    region: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    valid: np.ndarray | None = None,
) -> pa.Array:
    """18-character identity numbers; null where ``valid`` is false."""
    y, mo, d = ymd(birth)
    seq = sequences(rng, region, birth, male)
    body = np.concatenate(
        [
            digit_matrix(region, 6),
            digit_matrix(y * 10000 + mo * 100 + d, 8),
            digit_matrix(seq, 3),
        ],
        axis=1,
    )
    remainder = ((body.astype(np.int64) - ord("0")) @ _WEIGHTS) % 11
    mat = np.concatenate([body, _CHECK[remainder][:, None]], axis=1)
    return fixed_width(mat, valid)
