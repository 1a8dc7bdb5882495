"""The package version, in a module of its own so every layer can import it without the package facade."""

from __future__ import annotations

__version__ = "0.1.0"
