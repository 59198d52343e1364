"""Identity-number throughput: ``parse`` (target ≥ 200,000/s) and blind index + encryption.

The loader parses, blind-indexes and encrypts the number of every person once, so for a county
of 1,000,000 persons these rates bound how long that part of a load can take.
"""

from __future__ import annotations

import random
import time
from datetime import date

from bench.common import median
from renkou.core import crypto, idnumber, regions

TARGET_PER_SECOND = 200_000
SIZES = {"full": 1_000_000, "small": 200_000}


def make_numbers(count: int, seed: int = 2260) -> list[str]:
    """``count`` valid 18-character numbers: random known regions, birth dates 1900-2024, sexes."""
    rnd = random.Random(seed)
    codes = sorted(regions.known_codes())
    first = date(1900, 1, 1).toordinal()
    last = date(2024, 12, 31).toordinal()
    # A pool of birth-date strings is enough variety (a real county has some 40,000 dates).
    days = [date.fromordinal(rnd.randint(first, last)).strftime("%Y%m%d") for _ in range(50_000)]
    numbers = []
    for _ in range(count):
        first17 = f"{rnd.choice(codes)}{rnd.choice(days)}{rnd.randrange(1000):03d}"
        numbers.append(first17 + idnumber.check_character(first17))
    return numbers


def _time(fn, items: list[str]) -> float:
    started = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - started


def run(repeat: int, scale: str) -> list[str]:
    """Time parse and blind_index + encrypt over freshly generated numbers; return report lines."""
    count = SIZES[scale]
    started = time.perf_counter()
    numbers = make_numbers(count)
    lines = [f"   generated {count:,} valid numbers in {time.perf_counter() - started:.1f} s"]

    parse = idnumber.parse
    rates = []
    for _ in range(repeat):
        rates.append(count / _time(parse, numbers))
    rate = median(rates)
    verdict = "met" if rate >= TARGET_PER_SECOND else "NOT MET"
    lines.append(
        f"   parse (region check on): {rate:,.0f} numbers/s, median of {repeat}"
        f" [{', '.join(f'{r:,.0f}' for r in rates)}]; target ≥ {TARGET_PER_SECOND:,}/s {verdict}"
    )

    # Fresh keys: the same code path as default_protector(), without Django settings.
    protector = crypto.Protector(f"k1:{crypto.generate_key()}", crypto.generate_key())
    blind_index, encrypt = protector.blind_index, protector.encrypt

    def protect(number: str) -> None:
        blind_index(number)
        encrypt(number)

    rates = [count / _time(protect, numbers) for _ in range(repeat)]
    rate = median(rates)
    lines.append(
        f"   blind_index + encrypt: {rate:,.0f} numbers/s, median of {repeat}"
        f" ({1e6 / rate:.2f} µs each; {1_000_000 / rate:.1f} s per 1,000,000 persons)"
    )

    tokens = [encrypt(n) for n in numbers[: min(count, 200_000)]]
    rates = [len(tokens) / _time(protector.decrypt, tokens) for _ in range(repeat)]
    lines.append(f"   decrypt: {median(rates):,.0f} tokens/s, median of {repeat}")
    return lines
