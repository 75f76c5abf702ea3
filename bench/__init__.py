"""Benchmarks of the public mapping: data generator and HTTP measurements (see BENCHMARKS.md)."""
