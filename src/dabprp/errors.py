"""The one error type for bad user input: it carries the file and line it is about."""

from __future__ import annotations


class DabprpError(Exception):
    """Bad input: printed by the CLI as `path:line: message`, exit 2."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
