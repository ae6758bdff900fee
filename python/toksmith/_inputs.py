"""What ``toksmith.compare`` reads: tokenizer specs and corpora.

Tokenizer specs (:func:`load_tokenizer`), tried in this order:

* a :class:`~toksmith.Tokenizer` object: used as it is;
* ``FILE.tiktoken:PATTERN`` (or ``.tiktoken.gz``): a tiktoken rank file with
  the pre-tokenizer ``PATTERN`` (``gpt2``/``r50k``, ``p50k``, ``cl100k``,
  ``o200k`` or a regex);
* a tiktoken encoding name (``cl100k_base``, ``o200k_base``, ``r50k_base``,
  ``p50k_base``, ``p50k_edit``, ``gpt2``) when no file has that name:
  :func:`toksmith.get_encoding`;
* an existing file, by its name: ``*.json`` (a toksmith or HF
  ``tokenizer.json``); ``*.tiktoken`` / ``*.tiktoken.gz`` (the pattern and
  special tokens come from the file name when it is an encoding's, e.g.
  ``o200k_base.tiktoken``, else from ``pattern=`` / ``--pattern``); ``*.model``
  (SentencePiece) and ``*.txt`` (a WordPiece ``vocab.txt``) when this build
  can load them; a directory holding ``tokenizer.json``,
  ``tokenizer.model`` or ``vocab.txt``.

Anything else is an :class:`~toksmith.InvalidInputError` (a missing file: a
:class:`~toksmith.TokenizerIOError`).

Corpora (:class:`Corpus`): a UTF-8 text file, plain or gzip, xz, bzip2 or zstd
(detected by its first bytes; zstd needs the ``zstandard`` package), read in
blocks cut at line ends. ``code:FILE`` marks a corpus as source code and
``prose:FILE`` as prose; otherwise a file whose extension (under any
compression suffix) is a programming or markup language's (``.py``, ``.c``,
``.go``, ``.rs``, ``.js``, ``.html``, ...) is code. A file name that does not
exist but does with ``.xz``, ``.gz``, ``.zst`` or ``.bz2`` added is read from
the compressed file (``zh-10M.txt`` -> ``zh-10M.txt.xz``).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, NoReturn, Optional, Union

from ._core import Tokenizer
from .encodings import ENCODINGS, _ALIASES, get_encoding, list_encoding_names
from .errors import InvalidInputError, TokenizerError, TokenizerIOError

__all__ = ["Corpus", "load_tokenizer", "default_label", "CODE_EXTENSIONS"]

TokenizerSpec = Union[str, "os.PathLike[str]", Tokenizer]
Kind = Literal["prose", "code"]

#: Extensions of files counted as code (see the module doc).
CODE_EXTENSIONS = frozenset(
    ".py .pyi .pyx .c .h .cc .cpp .cxx .hpp .hh .go .rs .java .kt .kts .scala .js .mjs .cjs .ts .tsx .jsx .rb "
    ".php .cs .swift .m .mm .sh .bash .zsh .lua .pl .pm .r .sql .hs .ml .ex .exs .erl .clj .dart .jl .zig .nim "
    ".vue .svelte .css .scss .html .htm .xml .json .jsonl .yaml .yml .toml .ini .cfg .cmake .mk .proto .f90 "
    ".asm .s .ipynb .tex".split()
)
_COMPRESSED_SUFFIXES = (".xz", ".gz", ".zst", ".bz2")
_TIKTOKEN_SUFFIXES = (".tiktoken", ".tiktoken.gz")


# --------------------------------------------------------------------------- tokenizers


def _tiktoken_stem(name: str) -> Optional[str]:
    for suffix in _TIKTOKEN_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _from_tiktoken(path: Path, pattern: Optional[str]) -> Tokenizer:
    stem = _tiktoken_stem(path.name) or ""
    known = ENCODINGS.get(_ALIASES.get(stem, stem))
    if pattern is None and known is None:
        raise InvalidInputError(
            f"{path}: which pre-tokenizer pattern goes with this rank file? Name it as {path}:PATTERN "
            f"(gpt2, p50k, cl100k, o200k or a regex) or give --pattern (pattern=); the file name of an "
            f"encoding (e.g. cl100k_base.tiktoken) implies its pattern"
        )
    chosen = pattern if pattern is not None else known.pattern  # type: ignore[union-attr]
    specials = known.special_tokens if known is not None else None
    return Tokenizer.from_tiktoken(path, pattern=chosen, special_tokens=specials)


def _optional_loader(method: str, path: Path, what: str) -> Tokenizer:
    load = getattr(Tokenizer, method, None)
    if load is None:
        raise InvalidInputError(f"{path}: {what} are not supported by this build of toksmith")
    return load(path)  # type: ignore[no-any-return]


def _load_file(path: Path, pattern: Optional[str]) -> Tokenizer:
    name = path.name.lower()
    if path.is_dir():
        for inner in ("tokenizer.json", "tokenizer.model", "vocab.txt"):
            if (path / inner).is_file():
                return _load_file(path / inner, pattern)
        raise InvalidInputError(f"{path}: a directory without tokenizer.json, tokenizer.model or vocab.txt")
    if _tiktoken_stem(name) is not None:
        return _from_tiktoken(path, pattern)
    if name.endswith(".json"):
        return Tokenizer.from_file(path)
    if name.endswith(".model"):
        return _optional_loader("from_sentencepiece", path, "SentencePiece models")
    if name.endswith(".txt"):
        return _optional_loader("from_wordpiece_vocab", path, "WordPiece vocabularies (vocab.txt)")
    raise InvalidInputError(
        f"{path}: unknown kind of tokenizer file (expected tokenizer.json, NAME.tiktoken, a SentencePiece "
        f".model or a WordPiece vocab.txt)"
    )


def load_tokenizer(spec: TokenizerSpec, *, pattern: Optional[str] = None) -> Tokenizer:
    """Load a tokenizer from a spec: a file, a tiktoken encoding name, or a Tokenizer (see the module doc).

    ``pattern`` is the pre-tokenizer of a ``.tiktoken`` file whose name does
    not say it (``FILE.tiktoken:PATTERN`` in the spec takes precedence).

    Example:
        >>> load_tokenizer("cl100k_base").n_vocab                       # doctest: +SKIP
        100277
        >>> load_tokenizer("ranks.tiktoken:o200k")                     # doctest: +SKIP
        >>> load_tokenizer("nope")                                     # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        toksmith.errors.InvalidInputError: unknown tokenizer 'nope': not a file, and not a tiktoken encoding (...)
    """
    if isinstance(spec, Tokenizer):
        return spec
    if not isinstance(spec, (str, os.PathLike)):
        raise InvalidInputError(f"a tokenizer spec must be a str, a path or a Tokenizer, not {type(spec).__name__}")
    text = os.fspath(spec)
    path = Path(text)
    if not path.exists():
        for suffix in _TIKTOKEN_SUFFIXES:
            head, sep, regex = text.partition(suffix + ":")
            if sep and regex:
                file = Path(head + suffix)
                if not file.is_file():
                    _missing(str(file))
                return _from_tiktoken(file, regex)
        if text in ENCODINGS or text in _ALIASES:
            return get_encoding(text)
        if os.sep in text or "/" in text or Path(text).suffix:
            _missing(text)
        raise InvalidInputError(
            f"unknown tokenizer {text!r}: not a file, and not a tiktoken encoding ({', '.join(list_encoding_names())})"
        )
    return _load_file(path, pattern)


def _missing(path: str) -> NoReturn:
    raise TokenizerIOError(f"{path}: no such tokenizer file")


def default_label(spec: TokenizerSpec) -> str:
    """A short name for a spec: the encoding name, the file name, or ``tokenizer``.

    >>> default_label("models/mine/tokenizer.json"), default_label("o200k_base")
    ('mine/tokenizer.json', 'o200k_base')
    """
    if isinstance(spec, Tokenizer):
        return "tokenizer"
    text = os.fspath(spec)
    if ".tiktoken:" in text:
        text = text.split(".tiktoken:", 1)[0] + ".tiktoken"
    path = Path(text)
    if path.name in ("tokenizer.json", "tokenizer.model", "vocab.txt") and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or text


# --------------------------------------------------------------------------- corpora


@dataclass(frozen=True)
class Corpus:
    """A text to compare tokenizers on: a file (plain, gzip, xz, bzip2 or zstd) or an in-memory text.

    Example:
        >>> Corpus.from_spec("code:src/main.c")                      # doctest: +SKIP
        Corpus(name='main.c', kind='code', path='src/main.c')
        >>> Corpus.from_text("greeting", "Hello\\nworld\\n").kind
        'prose'
    """

    name: str
    kind: Kind = "prose"
    path: Optional[str] = None
    text: Optional[str] = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("prose", "code"):
            raise InvalidInputError(f"corpus kind must be 'prose' or 'code', not {self.kind!r}")
        if (self.path is None) == (self.text is None):
            raise InvalidInputError("a Corpus has either a path or a text")

    @classmethod
    def from_text(cls, name: str, text: str, kind: Kind = "prose") -> "Corpus":
        """An in-memory corpus."""
        if not isinstance(text, str):
            raise InvalidInputError(f"corpus text must be a str, not {type(text).__name__}")
        return cls(name=name, kind=kind, text=text)

    @classmethod
    def from_spec(cls, spec: Union[str, "os.PathLike[str]", "Corpus"]) -> "Corpus":
        """``FILE``, ``code:FILE`` or ``prose:FILE``; the file must exist and be readable."""
        if isinstance(spec, Corpus):
            return spec
        if not isinstance(spec, (str, os.PathLike)):
            raise InvalidInputError(f"a corpus must be a path or a Corpus, not {type(spec).__name__}")
        text = os.fspath(spec)
        kind: Optional[Kind] = None
        if not os.path.exists(text):
            for prefix in ("code", "prose"):
                if text.startswith(prefix + ":"):
                    kind, text = prefix, text[len(prefix) + 1 :]  # type: ignore[assignment]
                    break
        path = _existing_corpus(Path(text))
        if kind is None:
            kind = "code" if _extension(Path(text).name) in CODE_EXTENSIONS else "prose"
        return cls(name=Path(text).name, kind=kind, path=str(path))

    def size(self) -> int:
        """Bytes on disk (for a file) or of the UTF-8 text: for progress estimates."""
        if self.path is not None:
            return os.path.getsize(self.path)
        return len(self.text.encode("utf-8"))  # type: ignore[union-attr]

    def blocks(self, block_bytes: int = 1 << 22) -> Iterator[tuple[str, float]]:
        """The text in blocks of whole lines (about ``block_bytes``), each with the share of the corpus read."""
        if self.text is not None:
            text = self.text
            start = 0
            while start < len(text):
                end = text.find("\n", start + block_bytes)
                end = len(text) if end < 0 else end + 1
                yield text[start:end], end / len(text)
                start = end
            return
        yield from _file_blocks(Path(self.path), block_bytes)  # type: ignore[arg-type]


def _extension(name: str) -> str:
    lowered = name.lower()
    for suffix in _COMPRESSED_SUFFIXES:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    return os.path.splitext(lowered)[1]


def _existing_corpus(path: Path) -> Path:
    if path.is_dir():
        raise TokenizerIOError(f"{path}: is a directory; give the corpus files")
    if not path.exists():
        for suffix in _COMPRESSED_SUFFIXES:
            packed = path.with_name(path.name + suffix)
            if packed.is_file():
                return packed
        raise TokenizerIOError(f"{path}: no such corpus file")
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as e:
        raise TokenizerIOError(f"{path}: cannot read the corpus: {e.strerror or e}") from e
    return path


def _open_stream(raw: IO[bytes], path: Path) -> IO[bytes]:
    head = raw.read(10)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if head[:4] == b"(\xb5/\xfd":
        try:
            import zstandard
        except ImportError:
            raise TokenizerError(f"{path}: a zstd file; reading it needs the zstandard package") from None
        return zstandard.ZstdDecompressor().stream_reader(raw)  # type: ignore[no-any-return]
    return raw


def _decode(data: bytes, path: Path, offset: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 4]
        raise InvalidInputError(
            f"{path}: not UTF-8 text: bad byte at offset {offset + e.start} of the "
            f"{'decompressed ' if path.suffix in _COMPRESSED_SUFFIXES else ''}text ({bad!r})"
        ) from None


def _file_blocks(path: Path, block_bytes: int) -> Iterator[tuple[str, float]]:
    size = max(1, os.path.getsize(path))
    offset = 0
    try:
        with path.open("rb") as raw:
            stream = _open_stream(raw, path)
            carry = b""
            while True:
                chunk = stream.read(block_bytes)
                if not chunk:
                    break
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                carry = data[cut:]
                yield _decode(data[:cut], path, offset), min(1.0, raw.tell() / size)
                offset += cut
            if carry:
                yield _decode(carry, path, offset), 1.0
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise TokenizerIOError(f"{path}: cannot read the corpus: {e}") from e
    except TokenizerError:
        raise
    except Exception as e:  # zstandard.ZstdError and the like
        if type(e).__module__.startswith("zstandard"):
            raise TokenizerIOError(f"{path}: cannot read the corpus: {e}") from e
        raise
