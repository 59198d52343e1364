"""Benchmarks: ``python -m bench NAME [options]`` or ``make bench`` for all of them."""
