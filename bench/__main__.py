"""Run one benchmark, or all: ``python -m bench [NAME ...] [--repeat N]``.

Each benchmark module in this package has ``run(repeat: int, scale: str) -> list[str]``
returning the lines it prints; every figure is the median of ``repeat`` runs.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time

ALL = [
    "idnumber",
    "synth",
    "load",
    "rebuild",
    "quality",
    "quality_5m",
    "indicators",
    "indicators_10m",
    "exchange",
    "linkage",
    "benefits",
    "floating",
    "reports",
    "targets",
    "services",
    "backup",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(ALL)})")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--scale",
        default="full",
        choices=["full", "small"],
        help="full = the sizes the issues name; small = a quick smoke run",
    )
    parser.add_argument(
        "--noise",
        default="both",
        choices=["old", "office", "both"],
        help="linkage: the rosters' noise model (synth rosters --noise), or both",
    )
    args = parser.parse_args(argv)
    for name in args.names or ALL:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"== {name} ==", flush=True)
        extra = {"noise": args.noise} if "noise" in inspect.signature(module.run).parameters else {}
        for line in module.run(repeat=args.repeat, scale=args.scale, **extra):
            print(line, flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s in all)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
