"""Type stubs for the compiled module ``toksmith._core`` (hand-written)."""

from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from typing import Any, Literal, Optional, Union

__version__: str

_Special = Union[Literal["all"], Iterable[str]]

class Tokenizer:
    """A trained or loaded tokenizer. Immutable and safe to share across threads.

    >>> import toksmith
    >>> tok = toksmith.train(iter(["abc abc\\n"] * 10), vocab_size=260, min_frequency=1,
    ...                      show_progress=False)
    >>> tok.decode(tok.encode("abc"))
    'abc'
    """

    @staticmethod
    def from_file(path: Union[str, PathLike[str]]) -> Tokenizer:
        """Load a ``tokenizer.json`` (ours, or an HF file with a BPE model)."""
    @staticmethod
    def from_tiktoken(
        path: Union[str, PathLike[str]], *, pattern: Optional[str], special_tokens: Optional[Mapping[str, int]] = None
    ) -> Tokenizer:
        """Load a tiktoken rank file (plain or gzip); ``pattern`` is a name
        (``r50k``/``gpt2``, ``p50k``, ``cl100k``, ``o200k``) or a regex."""
    @staticmethod
    def from_ranks(
        ranks: Iterable[tuple[bytes, int]], *, pattern: Optional[str], special_tokens: Optional[Mapping[str, int]] = None
    ) -> Tokenizer:
        """Build a tokenizer from tiktoken-style ``(token bytes, rank)`` pairs."""
    def save_tiktoken(self, path: Union[str, PathLike[str]]) -> None:
        """Write the model vocabulary as a tiktoken rank file (byte-level models).

        Raises ``InvalidInputError`` when the file would encode otherwise under
        tiktoken's rule: merges that do not make their tokens in id order, or a
        token that no merge makes."""
    @staticmethod
    def from_str(json: str) -> Tokenizer:
        """Parse a ``tokenizer.json`` document."""
    def to_str(self) -> str:
        """The tokenizer as an HF ``tokenizer.json`` document."""
    def save(self, path: Union[str, PathLike[str]]) -> None:
        """Write an HF ``tokenizer.json`` (atomically: temporary file, then rename)."""
    def encode(
        self,
        text: str,
        *,
        allowed_special: _Special = ...,
        disallowed_special: _Special = ...,
        add_special_tokens: bool = True,
    ) -> list[int]:
        """Encode text. Special tokens follow tiktoken: an allowed one is emitted as
        its id; a disallowed one (default: all not allowed) raises ValueError.
        ``add_special_tokens`` applies the post-processor template, if any."""
    def encode_ordinary(self, text: str) -> list[int]:
        """Encode text, treating special-token text as ordinary text."""
    def encode_batch(
        self,
        texts: Iterable[str],
        *,
        num_threads: Optional[int] = None,
        allowed_special: _Special = ...,
        disallowed_special: _Special = ...,
        add_special_tokens: bool = True,
    ) -> list[list[int]]:
        """Encode many texts in parallel, with the GIL released."""
    def encode_ordinary_batch(self, texts: Iterable[str], *, num_threads: Optional[int] = None) -> list[list[int]]:
        """``encode_ordinary`` over many texts in parallel."""
    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: _Special = ...,
        disallowed_special: _Special = ...,
        add_special_tokens: bool = True,
    ) -> Any:
        """``encode`` into a numpy ``uint32`` array, without copying the ids."""
    def encode_single_token(self, data: bytes) -> int:
        """The id of the token whose bytes are exactly ``data``; KeyError if none."""
    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token."""
    def token_byte_values(self) -> list[bytes]:
        """The bytes of every model token (special tokens excluded), sorted."""
    @property
    def n_vocab(self) -> int:
        """tiktoken's name for ``vocab_size``."""
    @property
    def eot_token(self) -> Optional[int]:
        """The id of ``<|endoftext|>``, if the tokenizer has it."""
    @property
    def special_tokens_set(self) -> frozenset[str]:
        """The special tokens' strings."""
    def decode(self, ids: Iterable[int], *, skip_special_tokens: bool = False) -> str:
        """Decode ids; invalid UTF-8 becomes U+FFFD. Unknown id: UnknownTokenError (a KeyError)."""
    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """Decode ids to raw bytes."""
    def encode_full(
        self,
        text: str,
        pair: Optional[str] = None,
        *,
        allowed_special: _Special = (),
        disallowed_special: _Special = "all",
        add_special_tokens: bool = True,
    ) -> Encoding:
        """Encode ``text`` (and ``pair``) with tokens, offsets and type ids, as HF's ``encode``.

        Offsets are character spans into the text given; special tokens added by
        the post-processor have ``(0, 0)``. Special tokens in the text follow
        ``allowed_special`` / ``disallowed_special`` as in :meth:`encode`.

        >>> import toksmith
        >>> tok = toksmith.train(iter(["hello world\n"] * 20), model="wordpiece", vocab_size=60,
        ...                      min_frequency=1, show_progress=False)
        >>> e = tok.encode_full("Hello world")
        >>> e.tokens[0], e.offsets[1]
        ('[CLS]', (0, 5))
        """
    @staticmethod
    def from_wordpiece_vocab(
        path: Union[str, PathLike[str]],
        *,
        lowercase: bool = True,
        strip_accents: Optional[bool] = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        unk_token: str = "[UNK]",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
    ) -> Tokenizer:
        """Load a BERT ``vocab.txt`` as HF's ``BertWordPieceTokenizer(vocab)`` does."""
    @staticmethod
    def from_sentencepiece(path: Union[str, PathLike[str]]) -> Tokenizer:
        """Load a SentencePiece ``.model`` (unigram or bpe); ``encode`` then equals ``sp.encode``.

        User-defined symbols are always matched in text and control symbols (``<s>``) never,
        as in SentencePiece; ``decode`` equals ``sp.decode``.
        """
    def save_sentencepiece(self, path: Union[str, PathLike[str]]) -> None:
        """Write a SentencePiece ``.model`` (SentencePiece models only; loads in ``sentencepiece``)."""
    def encode_nbest(self, text: str, n: int) -> list[list[int]]:
        """The ``n`` best segmentations of a Unigram model, best first (``sp.nbest_encode_as_ids``)."""
    def encode_sample(
        self, text: str, *, alpha: float = 0.1, nbest_size: int = -1, seed: Optional[int] = None
    ) -> list[int]:
        """A segmentation sampled by subword regularization (Unigram and SentencePiece BPE).

        Unigram: ``nbest_size=-1`` samples from the whole lattice (forward-filtering
        backward-sampling); ``nbest_size=k`` samples among the ``k`` best; ``alpha`` smooths
        the distribution. SentencePiece BPE: BPE-dropout with probability ``alpha``, as
        ``sp.encode(text, enable_sampling=True, alpha=alpha)``. ``seed`` makes it reproducible.
        """
    def encode_dropout(self, text: str, dropout: float, *, seed: Optional[int] = None) -> list[int]:
        """Encode with BPE-dropout: each merge is skipped with probability ``dropout`` (0 to 1).

        BPE models only, ordinary text (no special tokens). HF-style BPE models drop merges as
        HF ``tokenizers`` does with ``BPE(dropout=p)``; SentencePiece BPE models as
        ``sp.encode(text, enable_sampling=True, alpha=p)``. ``dropout=0`` is ``encode_ordinary``;
        ``dropout=1`` applies no merge. ``seed`` makes the result reproducible.

        >>> tok.encode_dropout("tokenization", 0.1, seed=1)  # doctest: +SKIP
        [30001, 2065, 1634]
        """
    @property
    def dropout(self) -> Optional[float]:
        """The dropout of a BPE model loaded from a ``tokenizer.json`` that sets one (then every
        ``encode`` drops merges, as in HF), else None."""
    def save_wordpiece_vocab(self, path: Union[str, PathLike[str]]) -> None:
        """Write a WordPiece vocabulary as ``vocab.txt`` (one token per line, in id order)."""
    def token_to_id(self, token: str) -> Optional[int]:
        """The id of a token string, or None."""
    def id_to_token(self, id: int) -> Optional[str]:
        """The token string of an id, or None."""
    def get_vocab(self) -> dict[str, int]:
        """Every token with its id, special tokens included."""
    @property
    def merges(self) -> list[tuple[str, str]]:
        """The merges in rank order."""
    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included."""
    @property
    def model(self) -> Literal["bbpe", "bpe", "wordpiece", "unigram", "spm_bpe"]:
        """The model family."""
    @property
    def pattern(self) -> Optional[str]:
        """The pre-tokenizer regex, or None when documents are not split."""
    @property
    def pattern_name(self) -> Optional[str]:
        """``gpt2``, ``cl100k`` or ``o200k`` when the pattern is a known one."""
    @property
    def special_tokens(self) -> dict[str, int]:
        """Special (added) tokens and their ids."""

class Encoding:
    """Ids, token strings, character offsets, type ids and masks of an encoded text (or pair)."""

    @property
    def ids(self) -> list[int]: ...
    @property
    def tokens(self) -> list[str]: ...
    @property
    def offsets(self) -> list[tuple[int, int]]: ...
    @property
    def type_ids(self) -> list[int]: ...
    @property
    def special_tokens_mask(self) -> list[int]: ...
    @property
    def attention_mask(self) -> list[int]: ...
    @property
    def sequence_ids(self) -> list[Optional[int]]: ...
    def __len__(self) -> int: ...

class WordCounts:
    """Pre-token counts (see ``toksmith.count``). Immutable; ``a + b`` merges.

    >>> import toksmith
    >>> c = toksmith.count(iter(["a b\\n"]), pattern="gpt2", show_progress=False)
    >>> len(c), c.total
    (3, 3)
    """

    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> WordCounts:
        """Read counts saved with ``save``."""
    def save(self, path: Union[str, PathLike[str]]) -> None:
        """Write the counts (zstd-compressed; temporary file, then rename)."""
    @staticmethod
    def merge(counts: Iterable[WordCounts]) -> WordCounts:
        """Sum several counts made with the same pattern (ValueError otherwise)."""
    def __add__(self, other: WordCounts) -> WordCounts: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    @property
    def total(self) -> int:
        """Total occurrences counted."""
    @property
    def pattern(self) -> Optional[str]:
        """The pre-tokenizer regex the counts were made with (None: no split)."""
    @property
    def pattern_name(self) -> Optional[str]:
        """``gpt2``, ``cl100k`` or ``o200k`` when the pattern is a known one."""
    @property
    def dropped_words(self) -> int:
        """Distinct words dropped by a ``max_words`` budget."""
    @property
    def dropped_count(self) -> int:
        """Occurrences carried by the dropped words."""
    def most_common(self, n: Optional[int] = None) -> list[tuple[str, int]]:
        """``(word, count)`` pairs, most frequent first; all when ``n`` is None."""
    def to_dict(self) -> dict[str, int]:
        """The counts as a dict."""

def count_files(paths: list[str], args: Mapping[str, Any]) -> WordCounts: ...
def count_iter(texts: Iterator[str], args: Mapping[str, Any]) -> WordCounts: ...
def train_counts(counts: WordCounts, args: Mapping[str, Any]) -> Tokenizer: ...
def pattern_source(name: str) -> Optional[str]: ...
def split(text: str, pattern: Optional[str], *, engine: Literal["fast", "regex"] = "fast") -> list[str]:
    """Pre-tokenize ``text``: the fast scanner for known patterns, or the regex engine."""
