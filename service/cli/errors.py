"""The error type commands raise for failures the user can fix."""

from __future__ import annotations


class CommandError(Exception):
    """Printed as one line (no traceback); the process exits with `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code
