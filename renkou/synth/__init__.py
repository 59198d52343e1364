"""Synthetic county (模拟县): a population register written as load files (docs/load-format.md)."""
