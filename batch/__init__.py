"""Batch work: imports of open data files (and, later, the worker's periodic jobs)."""
