"""Renderers: pure functions from result objects to text; no analysis, no I/O."""
