"""Exceptions raised by toksmith.

Every error derives from :class:`TokenizerError` and also from the built-in
class that fits, so ``except ValueError`` / ``KeyError`` / ``OSError`` work:

>>> import toksmith
>>> issubclass(toksmith.InvalidInputError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["TokenizerError", "InvalidInputError", "UnknownTokenError", "TokenizerIOError"]


class TokenizerError(Exception):
    """Base class of every toksmith error."""


class InvalidInputError(TokenizerError, ValueError):
    """Bad input: a malformed file, an invalid option, a disallowed special token."""


class UnknownTokenError(TokenizerError, KeyError):
    """A token id or token string that the vocabulary does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class TokenizerIOError(TokenizerError, OSError):
    """A file or directory could not be read or written, or holds no text."""
