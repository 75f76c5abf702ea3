"""Strawberry types, inputs, enums, error types and the Schema with its extensions."""
