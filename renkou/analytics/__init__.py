"""Vital statistics from Parquet snapshots of the register: periods, counts, engines, cache."""
