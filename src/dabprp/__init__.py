"""dabprp: static analysis of Databricks agent projects and multi-stage deployment PRPs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "generate", "plan"]


def __getattr__(name: str):  # lazy: `import dabprp` stays cheap for the CLI
    if name == "analyze":
        from dabprp.analyze import analyze

        return analyze
    if name in ("generate", "plan"):
        from dabprp import api

        return getattr(api, name)
    raise AttributeError(name)
