"""A drop-in for ``tiktoken.Encoding`` backed by toksmith.

Code written against tiktoken can switch with one import:

>>> from toksmith import tiktoken_compat as tiktoken           # doctest: +SKIP
>>> enc = tiktoken.get_encoding("cl100k_base")                  # doctest: +SKIP
>>> enc.encode("hello <|endoftext|>", allowed_special="all")   # doctest: +SKIP
[15339, 220, 100257]
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import AbstractSet, Any, Literal, Optional, Union

from ._core import Tokenizer
from .encodings import get_encoding as _get_encoding
from .encodings import list_encoding_names

__all__ = ["Encoding", "get_encoding", "list_encoding_names"]

_Allowed = Union[Literal["all"], AbstractSet[str]]
_Disallowed = Union[Literal["all"], Collection[str]]


class Encoding:
    """tiktoken's ``Encoding`` interface over a toksmith :class:`Tokenizer`."""

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: Optional[int] = None,
    ) -> None:
        self.name = name
        self._pat_str = pat_str
        self._special_tokens = dict(special_tokens)
        self._tok = Tokenizer.from_ranks(
            list(mergeable_ranks.items()), pattern=pat_str, special_tokens=dict(special_tokens)
        )
        if explicit_n_vocab is not None and self._tok.n_vocab != explicit_n_vocab:
            raise ValueError(f"n_vocab is {self._tok.n_vocab}, expected {explicit_n_vocab}")

    @classmethod
    def _wrap(cls, name: str, tok: Tokenizer) -> Encoding:
        enc = cls.__new__(cls)
        enc.name = name
        enc._pat_str = tok.pattern or ""
        enc._special_tokens = tok.special_tokens
        enc._tok = tok
        return enc

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    @property
    def tokenizer(self) -> Tokenizer:
        """The underlying toksmith tokenizer."""
        return self._tok

    # encoding
    def encode_ordinary(self, text: str) -> list[int]:
        return self._tok.encode_ordinary(text)

    def encode(
        self, text: str, *, allowed_special: _Allowed = set(), disallowed_special: _Disallowed = "all"
    ) -> list[int]:
        return self._tok.encode(text, allowed_special=allowed_special, disallowed_special=disallowed_special)

    def encode_to_numpy(
        self, text: str, *, allowed_special: _Allowed = set(), disallowed_special: _Disallowed = "all"
    ) -> Any:
        return self._tok.encode_to_numpy(
            text, allowed_special=allowed_special, disallowed_special=disallowed_special
        )

    def encode_ordinary_batch(self, text: list[str], *, num_threads: int = 8) -> list[list[int]]:
        return self._tok.encode_ordinary_batch(list(text), num_threads=num_threads)

    def encode_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: _Allowed = set(),
        disallowed_special: _Disallowed = "all",
    ) -> list[list[int]]:
        return self._tok.encode_batch(
            list(text),
            num_threads=num_threads,
            allowed_special=allowed_special,
            disallowed_special=disallowed_special,
        )

    def encode_single_token(self, text_or_bytes: Union[str, bytes]) -> int:
        data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
        return self._tok.encode_single_token(data)

    # decoding
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        return self._tok.decode_bytes(list(tokens))

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        return self._tok.decode_bytes(list(tokens)).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        return self._tok.decode_single_token_bytes(token)

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        return [self._tok.decode_single_token_bytes(t) for t in tokens]

    def decode_batch(self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8) -> list[str]:
        return [self.decode(t, errors=errors) for t in batch]

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = 8) -> list[bytes]:
        return [self.decode_bytes(t) for t in batch]

    # misc
    def token_byte_values(self) -> list[bytes]:
        return self._tok.token_byte_values()

    @property
    def eot_token(self) -> int:
        eot = self._tok.eot_token
        if eot is None:
            raise AttributeError("this encoding has no <|endoftext|> token")
        return eot

    @property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        return token in set(self._special_tokens.values())

    @property
    def n_vocab(self) -> int:
        return self._tok.n_vocab

    @property
    def max_token_value(self) -> int:
        return self._tok.n_vocab - 1


def get_encoding(encoding_name: str, *, path: Optional[str] = None) -> Encoding:
    """Like ``tiktoken.get_encoding``: cache, then download (see :mod:`toksmith.encodings`)."""
    return Encoding._wrap(encoding_name, _get_encoding(encoding_name, path=path))
