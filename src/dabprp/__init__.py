"""dabprp: static analysis of Databricks agent projects and multi-stage deployment PRPs."""

from __future__ import annotations

from typing import Any

from dabprp.version import __version__

__all__ = ["__version__", "analyze", "generate", "plan", "scaffold"]


def __getattr__(name: str) -> Any:  # lazy: `import dabprp` stays cheap for the CLI
    if name == "analyze":
        from dabprp.analyze import analyze

        return analyze
    if name in ("generate", "plan", "scaffold"):
        from dabprp import api

        return getattr(api, name)
    raise AttributeError(name)
