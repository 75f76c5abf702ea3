"""Periodic jobs of the worker."""
