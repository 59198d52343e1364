"""The column store of simulated people: one numpy array per attribute, growing with births."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from renkou.synth.dates import LONG_AGO, NEVER

SINGLE, MARRIED, DIVORCED, WIDOWED = 0, 1, 2, 3
MARITAL_NAMES = ("single", "married", "divorced", "widowed")


@dataclass
class People:
    """Everyone who is ever in the register during the run; index = person number."""

    birth: np.ndarray  # int32 day number
    male: np.ndarray  # bool
    inflow: np.ndarray  # bool: registered elsewhere, living here (流入)
    marital: np.ndarray  # int8: SINGLE .. WIDOWED
    spouse: np.ndarray  # int32: current spouse, -1 if none in the file
    late_spouse: np.ndarray  # int32: spouse at death, for the dead
    mother: np.ndarray  # int32, -1 if not in the file
    father: np.ndarray  # int32
    order: np.ndarray  # int16: birth order among the mother's children in the file, 0 = unknown
    parity: np.ndarray  # int16: children born so far (women)
    last_birth: np.ndarray  # int32: day of the latest child (women), LONG_AGO if none
    death: np.ndarray  # int32: day of death, NEVER if alive
    entry: np.ndarray  # int32: day an in-migrant arrived or a child was born, LONG_AGO if earlier
    departure: np.ndarray  # int32: day moved away (流出); LONG_AGO before the window; NEVER if here
    returned: np.ndarray  # int32: day a native came back to live here, NEVER if not
    in_window: np.ndarray  # bool: born in the window

    def __len__(self) -> int:
        return len(self.birth)

    @classmethod
    def empty(cls, n: int) -> People:
        """``n`` people with default values (single, unlinked, alive, always here)."""
        return cls(**{f.name: _default(f.name, n) for f in fields(cls)})

    def extend(self, other: People) -> None:
        """Append ``other``'s rows (person numbers in ``other`` must already be global)."""
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))


def _default(name: str, n: int) -> np.ndarray:
    """Default column values for new people."""
    if name in ("male", "inflow", "in_window"):
        return np.zeros(n, dtype=bool)
    if name == "marital":
        return np.zeros(n, dtype=np.int8)
    if name in ("order", "parity"):
        return np.zeros(n, dtype=np.int16)
    if name in ("spouse", "late_spouse", "mother", "father"):
        return np.full(n, -1, dtype=np.int32)
    if name in ("last_birth", "entry"):
        return np.full(n, LONG_AGO, dtype=np.int32)
    if name in ("death", "departure", "returned"):
        return np.full(n, NEVER, dtype=np.int32)
    return np.zeros(n, dtype=np.int32)
