"""Parsers: one module per kind of source, each turning text into facts."""
