"""Benchmarks: each runs its raw baseline in the same run and prints the ratio (``python -m benchmarks``)."""
