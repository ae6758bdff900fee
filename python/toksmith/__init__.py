"""toksmith: train and run BPE and WordPiece tokenizers, fast and exactly compatible with HF.

>>> import toksmith
>>> tok = toksmith.train(iter(["hello world\\n"] * 50), vocab_size=260, min_frequency=1,
...                      show_progress=False)
>>> tok.decode(tok.encode("hello world"))
'hello world'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Literal, Optional, Union

from . import _core
from ._core import Encoding, Tokenizer, WordCounts
from .comparison import Comparison, Corpus, compare
from .encodings import get_encoding, list_encoding_names
from .errors import InvalidInputError, TokenizerError, TokenizerIOError, UnknownTokenError

__all__ = [
    "Tokenizer",
    "Encoding",
    "WordCounts",
    "train",
    "count",
    "get_encoding",
    "list_encoding_names",
    "compare",
    "Comparison",
    "Corpus",
    "TokenizerError",
    "InvalidInputError",
    "UnknownTokenError",
    "TokenizerIOError",
    "__version__",
]
__version__: str = _core.__version__

PathLike = Union[str, "os.PathLike[str]"]
Inputs = Union[PathLike, "list[PathLike]", "tuple[PathLike, ...]", Iterable[str]]


def _as_paths(inputs: object) -> Optional[list[str]]:
    """The list of paths in ``inputs``, or None when it is an iterable of texts."""
    if isinstance(inputs, (str, os.PathLike)):
        return [os.fspath(inputs)]
    if isinstance(inputs, (list, tuple)):
        bad = [x for x in inputs if not isinstance(x, (str, os.PathLike))]
        if bad:
            raise InvalidInputError(
                f"a list of inputs must hold paths (str or PathLike), got {type(bad[0]).__name__}; "
                "to train on in-memory texts pass an iterator, e.g. iter(texts)"
            )
        if not inputs:
            raise InvalidInputError("empty corpus: no input paths given")
        paths = [os.fspath(x) for x in inputs]
        for x in paths:
            if not os.path.exists(x):
                looks_like_text = any(c.isspace() for c in x)
                hint = (
                    " (a list or tuple of str is read as paths; to train on in-memory texts pass an "
                    "iterator, e.g. iter(texts))"
                    if looks_like_text
                    else ""
                )
                raise TokenizerIOError(f"{x[:80]!r}: no such file or directory{hint}")
        return paths
    return None


class _Unset:
    def __repr__(self) -> str:
        return '"o200k"'


_DEFAULT_PATTERN = _Unset()


class _Default:
    """A keyword left out: its default depends on the model."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_MODEL_DEFAULTS = {
    # model: (vocab_size, special_tokens, limit_alphabet, normalizer, pattern)
    "wordpiece": (30000, _BERT_SPECIALS, 1000, "bert", "bert"),
    # SentencePiece's defaults: vocab 8000, <unk> <s> </s> added by the trainer,
    # identity normalization, words split before each "▁".
    "unigram": (8000, (), None, "sentencepiece", "metaspace"),
}
_OTHER_DEFAULTS = (32000, (), None, None, "o200k")


def _pattern_source(pattern: Optional[str]) -> Optional[str]:
    return None if pattern is None else (_core.pattern_source(pattern) or pattern)


def count(
    inputs: Inputs,
    *,
    pattern: Optional[str] = "o200k",
    normalizer: Optional[str] = None,
    max_words: Optional[int] = None,
    show_progress: Union[bool, Literal["always"]] = True,
    num_threads: Optional[int] = None,
) -> WordCounts:
    """Count the pre-tokens of a corpus: the first half of training, as an artifact.

    ``inputs`` is as for :func:`train` (files may be gzip, xz or zstd). The
    result can be saved, loaded and added (``a + b``, ``WordCounts.merge``), so
    counting can be split across processes or machines; ``train(counts)``
    gives exactly what training on the raw text gives. With ``max_words``, at
    most that many distinct words are kept (the rarest are dropped, and the
    dropped mass is reported on stderr and in ``dropped_words`` /
    ``dropped_count``).

    Example:
        >>> c = count(iter(["a b a\n"]), pattern="gpt2", show_progress=False)
        >>> c.most_common(2)
        [('a', 2), (' a', 1)]
    """
    args = {
        "pattern": pattern,
        "normalizer": normalizer,
        "max_words": None if max_words is None else _non_negative("max_words", max_words),
        **_progress(show_progress),
        "num_threads": None if num_threads is None else _non_negative("num_threads", num_threads),
    }
    paths = _as_paths(inputs)
    if paths is not None:
        counts = _core.count_files(paths, args)
    else:
        try:
            it = iter(inputs)  # type: ignore[arg-type]
        except TypeError:
            raise InvalidInputError(
                f"inputs must be a path, a list of paths or an iterable of str, not {type(inputs).__name__}"
            ) from None
        counts = _core.count_iter(it, args)
    if counts.dropped_words:
        kept, dropped = counts.total, counts.dropped_count
        sys.stderr.write(
            f"toksmith: max_words={max_words}: dropped {counts.dropped_words} distinct words carrying "
            f"{dropped} of {kept + dropped} occurrences ({100.0 * dropped / max(1, kept + dropped):.2f}%)\n"
        )
    return counts


def train(
    inputs: Union[Inputs, WordCounts],
    *,
    model: str = "bbpe",
    vocab_size: Union[int, _Default] = _Default("32000 (30000 for wordpiece)"),
    pattern: Union[Optional[str], _Unset] = _DEFAULT_PATTERN,
    special_tokens: Union[Iterable[str], _Default] = _Default("() (BERT's five for wordpiece)"),
    min_frequency: int = 2,
    show_progress: Union[bool, Literal["always"]] = True,
    limit_alphabet: Union[Optional[int], _Default] = _Default("None (1000 for wordpiece)"),
    initial_alphabet: Iterable[str] = (),
    max_token_length: Optional[int] = None,
    unk_token: Optional[str] = None,
    byte_fallback: bool = False,
    max_words: Optional[int] = None,
    num_threads: Optional[int] = None,
    normalizer: Union[Optional[str], _Default] = _Default("None ('bert' for wordpiece)"),
    scoring: Union[Literal["likelihood", "frequency"], _Default] = _Default("'likelihood' (wordpiece only)"),
    continuing_subword_prefix: Optional[str] = None,
    character_coverage: float = 0.9995,
    max_piece_length: int = 16,
    shrinking_factor: float = 0.75,
    split_digits: bool = False,
    user_defined_symbols: Iterable[str] = (),
) -> Tokenizer:
    """Train a BPE, WordPiece or Unigram tokenizer and return it.

    Args:
        inputs: a path (file or directory, walked for text files; gzip, xz and
            zstd files are read directly), a list or tuple of paths, any other
            iterable of ``str`` (consumed as a stream, in batches), or a
            :class:`WordCounts` from :func:`count`. Each line of a file is one
            document; each string of an iterable is one document.
        model: ``"bbpe"`` (byte-level, GPT-2 style, nothing is ever unknown),
            ``"bpe"`` (character-level, with ``unk_token``/``byte_fallback``)
            ``"wordpiece"`` (BERT; see ``scoring``) or ``"unigram"`` (Kudo's
            Unigram LM as SentencePiece trains it; the result encodes as
            ``sentencepiece`` does and saves as a ``.model`` with
            ``save_sentencepiece``).
        vocab_size: target size, special tokens included (default 32000;
            30000 for wordpiece, as HF's ``BertWordPieceTokenizer``).
        pattern: pre-tokenizer: ``"gpt2"`` (= ``"r50k"``, ``"p50k"``),
            ``"cl100k"``, ``"o200k"`` (the default), any regex (fancy-regex
            syntax), ``"bert"`` (HF's BertPreTokenizer: whitespace and each
            punctuation character; the default for wordpiece), or None (each
            document is one word). With counts, the counts' pattern is used,
            and a different ``pattern`` is an error.
        special_tokens: tokens given the first ids, in order (wordpiece
            default: ``[PAD] [UNK] [CLS] [SEP] [MASK]``).
        min_frequency: pairs seen fewer times are not merged.
        show_progress: a progress bar on stderr for counting and merging:
            True draws it when stderr is a terminal, ``"always"`` also
            elsewhere (as plain lines, about once a second), False never.
        limit_alphabet: keep at most this many characters (``bpe`` and
            ``wordpiece``; wordpiece default 1000, as HF).
        initial_alphabet: characters always kept (``bpe`` only).
        max_token_length: longest token, in characters (bytes for ``bbpe``).
        unk_token: unknown token for ``bpe`` (added to the special tokens).
        byte_fallback: add ``<0x00>``..``<0xFF>`` tokens and use them for
            unknown characters (``bpe`` only).
        max_words: memory budget for counting (see :func:`count`).
        num_threads: threads to use (all cores when None).
        normalizer: applied before splitting, and kept in the tokenizer:
            ``"bert"`` (BERT uncased: clean control characters, space out CJK,
            strip accents, lowercase; the wordpiece default), ``"bert_cased"``,
            ``"nfc"``, ``"nfd"``, ``"nfkc"``, ``"nfkd"``, ``"lowercase"`` or None.
        scoring: wordpiece only: ``"likelihood"`` merges the pair with the
            highest ``count(ab) / (count(a) * count(b))`` (WordPiece as
            published); ``"frequency"`` merges the most frequent pair, which is
            what HF's ``WordPieceTrainer`` does (BPE with the ``##`` prefix).
        continuing_subword_prefix: wordpiece prefix for tokens inside a word
            (``"##"`` by default).
        character_coverage, max_piece_length, shrinking_factor, split_digits,
        user_defined_symbols: unigram options, as SentencePiece's (0.9995,
            16, 0.75, False, ()). For unigram, ``special_tokens`` are control
            symbols (like ``<s>``: never matched in text), ``user_defined_symbols``
            are always matched, ``unk_token`` names the unknown piece
            (``<unk>``), and ``byte_fallback`` adds the 256 byte pieces.

    With ``model="bbpe", pattern="gpt2"`` the vocabulary and the ordered merges
    equal HF ``tokenizers`` BpeTrainer's with a ``ByteLevel`` pre-tokenizer.

    Example:
        >>> tok = train(iter(["low lower lowest\n"] * 20), vocab_size=262,
        ...             pattern="gpt2", min_frequency=1, show_progress=False)
        >>> tok.merges[0]
        ('l', 'o')
    """
    d_vocab, d_specials, d_alpha, d_norm, d_pattern = _MODEL_DEFAULTS.get(model, _OTHER_DEFAULTS)
    vocab_size = d_vocab if isinstance(vocab_size, _Default) else vocab_size
    special_tokens = d_specials if isinstance(special_tokens, _Default) else special_tokens
    limit_alphabet = d_alpha if isinstance(limit_alphabet, _Default) else limit_alphabet
    normalizer = d_norm if isinstance(normalizer, _Default) else normalizer
    if isinstance(special_tokens, str):
        raise InvalidInputError("special_tokens must be a collection of strings, not a single string")
    if model != "wordpiece" and (not isinstance(scoring, _Default) or continuing_subword_prefix is not None):
        raise InvalidInputError("scoring and continuing_subword_prefix are for model='wordpiece'")
    scoring = "likelihood" if isinstance(scoring, _Default) else scoring
    if isinstance(user_defined_symbols, str):
        raise InvalidInputError("user_defined_symbols must be a collection of strings, not a single string")
    args = {
        "model": model,
        "vocab_size": _non_negative("vocab_size", vocab_size),
        "min_frequency": _non_negative("min_frequency", min_frequency),
        "special_tokens": list(special_tokens),
        "limit_alphabet": None if limit_alphabet is None else _non_negative("limit_alphabet", limit_alphabet),
        "initial_alphabet": list(initial_alphabet),
        "max_token_length": None if max_token_length is None else _non_negative("max_token_length", max_token_length),
        "unk_token": unk_token,
        "byte_fallback": bool(byte_fallback),
        **_progress(show_progress),
        "num_threads": None if num_threads is None else _non_negative("num_threads", num_threads),
        "normalizer": normalizer,
        "scoring": scoring,
        "continuing_subword_prefix": continuing_subword_prefix,
        "character_coverage": float(character_coverage),
        "max_piece_length": _non_negative("max_piece_length", max_piece_length),
        "shrinking_factor": float(shrinking_factor),
        "split_digits": bool(split_digits),
        "user_defined_symbols": list(user_defined_symbols),
    }
    if isinstance(inputs, WordCounts):
        if not isinstance(pattern, _Unset) and _pattern_source(pattern) != inputs.pattern:
            raise InvalidInputError(
                f"pattern={pattern!r} conflicts with the pattern the counts were made with "
                f"({inputs.pattern_name or inputs.pattern!r}); omit pattern= to use the counts' own"
            )
        counts = inputs
    else:
        chosen = d_pattern if isinstance(pattern, _Unset) else pattern
        counts = count(inputs, pattern=chosen, normalizer=normalizer, max_words=max_words,
                       show_progress=show_progress, num_threads=num_threads)
    return _core.train_counts(counts, args)


def _progress(show: Union[bool, str]) -> dict[str, bool]:
    if show == "always":
        return {"show_progress": True, "force_progress": True}
    if isinstance(show, bool):
        return {"show_progress": show, "force_progress": False}
    raise InvalidInputError(f"show_progress must be True, False or 'always', not {show!r}")


#: Largest count option accepted (vocab_size, min_frequency, ...): what the core's 32-bit ids and counts hold.
_MAX_OPTION = 2**32 - 1


def _non_negative(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"{name} must be a non-negative integer, got {value!r}")
    if value > _MAX_OPTION:
        if name == "num_threads":
            return _MAX_OPTION  # the core starts at most a few hundred threads whatever is asked
        raise InvalidInputError(f"{name} must be at most {_MAX_OPTION:,}, got {value!r}")
    return value
