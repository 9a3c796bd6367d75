"""The simulator's refusals: an error code and message, as the cloud would answer."""

from __future__ import annotations


class SimError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
