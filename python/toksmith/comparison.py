"""Compare tokenizers on your own text: :func:`compare` and ``tok compare``.

>>> import toksmith
>>> cmp = toksmith.compare(["cl100k_base", "o200k_base"], ["my-text.txt"])   # doctest: +SKIP
>>> print(cmp.to_markdown())                                                 # doctest: +SKIP
>>> cmp.plot("cmp.png")                                                      # doctest: +SKIP

How the text is counted
-----------------------
Each corpus is read as lines, split at "\\n" only, each line keeping its "\\n".
Every line is encoded on its own (``encode_ordinary``: special-token text is
ordinary text, no post-processor template), as one document, and its tokens
are attributed to the line's *bucket*:

* in a code corpus (``code:FILE``, or a file with a code extension) every line
  is in the bucket ``Code``;
* in a prose corpus, lines inside Markdown code fences (from a line starting
  with ```` ``` ```` or ``~~~`` to the next such line, both included) are
  ``Code``; every other line is in the bucket of its dominant script (Latin,
  Cyrillic, Greek, Arabic, Hebrew, Devanagari, Bengali, Thai, Han, Kana,
  Hangul, Emoji, Other, or No letters), as defined in ``toksmith._scripts``:
  the script holding most of the line's letters and marks (emoji count as
  ``Emoji``; Han in a line with enough kana counts as kana).

Over the lines of a bucket, a corpus, or all corpora:

* **bytes per token** = UTF-8 bytes of the lines / tokens;
* **tokens per 1000 characters** = 1000 x tokens / characters (code points);
* **tokens per word** (fertility) = tokens / whitespace-separated words
  (``len(line.split())``); for scripts written without spaces (Han, Kana)
  a "word" is a whole run between spaces, so use the per-character figure;
* **unknown share** = (tokens equal to the model's unknown token, plus
  byte-fallback ``<0xNN>`` tokens when the model has byte fallback) / tokens;
  byte-level BPE (``bbpe``) has none;
* **vocabulary used** = distinct token ids seen / model tokens, special
  tokens left out of both (per corpus, and over all corpora);
* **throughput** (MB/s, 1 MB = 10^6 bytes): one thread calls
  ``encode_ordinary`` once per document, the documents being lines grouped
  greedily into documents of at least ``doc_bytes`` (4096) bytes; a corpus
  larger than ``throughput_bytes`` (10^7) is timed on a random sample of its
  documents (seeded, so repeatable) of about that size, kept in file order.
  The figure is bytes / median wall time of ``passes`` (3) passes, the
  tokenizers taking turns within each pass. ``passes=0`` skips it.
"""

from __future__ import annotations

import gc
import heapq
import json
import os
import random
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

from . import _core
from ._core import Tokenizer
from ._inputs import Corpus, TokenizerSpec, default_label, load_tokenizer
from ._progress import Progress, Show
from ._scripts import SCRIPTS, classify_lines
from .errors import InvalidInputError

__all__ = ["compare", "Comparison", "Corpus", "Counts", "Result", "Throughput", "TokenizerInfo", "CorpusInfo",
           "Settings", "ALL", "CODE", "load_tokenizer"]

#: The corpus name of the rows that sum over all corpora.
ALL = "(all)"
#: The bucket of code lines.
CODE = "Code"
BUCKETS: tuple[str, ...] = SCRIPTS + (CODE,)
_FENCES = ("```", "~~~")
_SAMPLE_SEED = 20240601


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Counts:
    """Counts over some lines of text for one tokenizer; adding two adds every field.

    >>> c = Counts(lines=1, chars=5, bytes=6, words=1, tokens=3)
    >>> c.bytes_per_token, round(c.tokens_per_1k_chars, 1), c.tokens_per_word, c.unknown_share
    (2.0, 600.0, 3.0, 0.0)
    """

    lines: int = 0
    chars: int = 0
    bytes: int = 0
    words: int = 0
    tokens: int = 0
    unknown: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(astuple_counts(self), astuple_counts(other))))

    @property
    def bytes_per_token(self) -> Optional[float]:
        """UTF-8 bytes / tokens (None without tokens)."""
        return self.bytes / self.tokens if self.tokens else None

    @property
    def tokens_per_1k_chars(self) -> Optional[float]:
        """1000 x tokens / characters (None without characters)."""
        return 1000.0 * self.tokens / self.chars if self.chars else None

    @property
    def tokens_per_word(self) -> Optional[float]:
        """Tokens / whitespace-separated words: fertility (None without words)."""
        return self.tokens / self.words if self.words else None

    @property
    def unknown_share(self) -> Optional[float]:
        """Unknown and byte-fallback tokens / tokens (None without tokens)."""
        return self.unknown / self.tokens if self.tokens else None

    def metrics(self) -> dict[str, Optional[float]]:
        """The four ratios, by name."""
        return {
            "bytes_per_token": self.bytes_per_token,
            "tokens_per_1k_chars": self.tokens_per_1k_chars,
            "tokens_per_word": self.tokens_per_word,
            "unknown_share": self.unknown_share,
        }


def astuple_counts(c: Counts) -> tuple[int, ...]:
    return (c.lines, c.chars, c.bytes, c.words, c.tokens, c.unknown)


@dataclass(frozen=True)
class Throughput:
    """Timed single-thread encoding of ``docs`` documents holding ``bytes`` bytes, one time per pass."""

    docs: int
    bytes: int
    seconds: tuple[float, ...]

    @property
    def mb_s(self) -> Optional[float]:
        """10^6 bytes per second over the median pass (None without passes)."""
        if not self.seconds:
            return None
        median = statistics.median(self.seconds)
        return self.bytes / 1e6 / median if median > 0 else None

    def __add__(self, other: "Throughput") -> "Throughput":
        """Both timed: the medians of each add up (one pass of the sum)."""
        seconds = statistics.median(self.seconds) + statistics.median(other.seconds)
        return Throughput(self.docs + other.docs, self.bytes + other.bytes, (seconds,))


@dataclass(frozen=True)
class Result:
    """One tokenizer on one corpus, or on all of them (``corpus == ALL``)."""

    tokenizer: str
    corpus: str
    total: Counts
    buckets: tuple[tuple[str, Counts], ...]
    distinct_ids: int
    vocab_size: int
    throughput: Optional[Throughput] = None

    @property
    def vocab_used(self) -> Optional[float]:
        """Distinct ids seen / model tokens (special tokens left out of both)."""
        return self.distinct_ids / self.vocab_size if self.vocab_size else None

    def bucket(self, name: str) -> Counts:
        """The counts of one bucket (a script or ``Code``); empty when no line fell in it."""
        return dict(self.buckets).get(name, Counts())


@dataclass(frozen=True)
class TokenizerInfo:
    """A compared tokenizer: its label, the spec it was loaded from, and its size."""

    label: str
    spec: str
    model: str
    vocab_size: int  # model tokens, special tokens left out
    special_tokens: int
    unknown_ids: int  # ids counted as unknown (unk token, byte-fallback tokens)
    load_seconds: float


@dataclass(frozen=True)
class CorpusInfo:
    """A compared corpus: its name, kind, where it was read from, and its size."""

    name: str
    kind: str
    path: Optional[str]
    bytes: int
    chars: int
    lines: int
    words: int


@dataclass(frozen=True)
class Settings:
    """How the comparison was run."""

    passes: int
    throughput_bytes: int
    doc_bytes: int
    num_threads: Optional[int]
    toksmith_version: str


@dataclass(frozen=True)
class Comparison:
    """The figures of :func:`compare`: immutable; render with :meth:`to_text`, :meth:`to_markdown`,
    :meth:`to_json` or :meth:`plot`, and read back with :meth:`from_json`.

    ``results`` holds one :class:`Result` per tokenizer and corpus, then one per
    tokenizer over all corpora (``corpus == ALL``).
    """

    tokenizers: tuple[TokenizerInfo, ...]
    corpora: tuple[CorpusInfo, ...]
    results: tuple[Result, ...]
    settings: Settings

    def result(self, tokenizer: str, corpus: str = ALL) -> Result:
        """The result of a tokenizer (by label) on a corpus (by name), or over all corpora.

        Raises:
            KeyError: no such tokenizer or corpus.
        """
        for r in self.results:
            if r.tokenizer == tokenizer and r.corpus == corpus:
                return r
        raise KeyError(f"no result for tokenizer {tokenizer!r} on corpus {corpus!r}")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data: the raw counts, and the ratios beside them."""
        from ._report import comparison_to_dict

        return comparison_to_dict(self)

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The comparison as a JSON document (:meth:`from_json` reads it back)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Comparison":
        """Rebuild a comparison from :meth:`to_dict`'s output."""
        from ._report import comparison_from_dict

        return comparison_from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> "Comparison":
        """Rebuild a comparison from :meth:`to_json`'s output."""
        try:
            return cls.from_dict(json.loads(text))
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInputError(f"not a toksmith comparison JSON document: {e}") from e

    def to_markdown(self) -> str:
        """Markdown tables: the summary, then bytes per token, tokens per 1000 characters and tokens
        per word by script."""
        from ._report import render

        return render(self, markdown=True)

    def to_text(self) -> str:
        """The same tables as :meth:`to_markdown`, as aligned plain text."""
        from ._report import render

        return render(self, markdown=False)

    def __str__(self) -> str:
        return self.to_text()

    def plot(self, path: str) -> None:
        """Write a PNG: grouped bars of bytes per token by script per tokenizer, and throughput.

        Needs matplotlib (``pip install 'toksmith[plot]'``).
        """
        from ._plot import plot_comparison

        plot_comparison(self, path)


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class _Loaded:
    label: str
    spec: str
    tokenizer: Tokenizer
    load_seconds: float
    unknown: frozenset[int]
    special: frozenset[int]
    vocab_size: int


def _unknown_ids(tok: Tokenizer) -> frozenset[int]:
    """Ids of the unknown token and, with byte fallback, of the ``<0xNN>`` tokens.

    Read from the model in its ``tokenizer.json`` form (``unk_token``, ``unk_id``,
    ``byte_fallback``); a model without one (a SentencePiece model) follows its
    conventions: ``<unk>`` is unknown, and ``<0x00>``..``<0xFF>`` are byte
    fallback when all 256 are in the vocabulary.
    """
    if tok.model == "bbpe":
        return frozenset()
    byte_ids = [tok.token_to_id(f"<0x{b:02X}>") for b in range(256)]
    try:
        model = json.loads(tok.to_str()).get("model", {})
    except (ValueError, AttributeError):  # no tokenizer.json form
        unk = tok.token_to_id("<unk>")
        ids = {i for i in byte_ids if i is not None} if None not in byte_ids else set()
        return frozenset(ids | ({unk} if unk is not None else set()))
    ids: set[int] = set()
    unk_token = model.get("unk_token")
    if isinstance(unk_token, str) and tok.token_to_id(unk_token) is not None:
        ids.add(tok.token_to_id(unk_token))  # type: ignore[arg-type]
    if isinstance(model.get("unk_id"), int):
        ids.add(model["unk_id"])
    if model.get("byte_fallback"):
        ids.update(i for i in byte_ids if i is not None)
    return frozenset(ids)


def _load(label: str, spec: TokenizerSpec, pattern: Optional[str]) -> _Loaded:
    start = time.perf_counter()
    tok = load_tokenizer(spec, pattern=pattern)
    seconds = time.perf_counter() - start
    special = frozenset(tok.special_tokens.values())
    vocab_size = len(tok.get_vocab()) - len(special)
    shown = "(Tokenizer object)" if isinstance(spec, Tokenizer) else str(spec)
    return _Loaded(label, shown, tok, seconds, _unknown_ids(tok), special, vocab_size)


def _labels(tokenizers: Union[Sequence[TokenizerSpec], Mapping[str, TokenizerSpec]]) -> list[tuple[str, TokenizerSpec]]:
    if isinstance(tokenizers, Mapping):
        named = [(str(k), v) for k, v in tokenizers.items()]
    elif isinstance(tokenizers, (str, Tokenizer)) or not isinstance(tokenizers, Iterable):
        raise InvalidInputError("tokenizers must be a list of specs or a {label: spec} mapping")
    else:
        given = [_split_label(s) for s in tokenizers]
        specs = [spec for _, spec in given]
        labels = [label or default_label(spec) for label, spec in given]
        counts = {x: labels.count(x) for x in labels}
        numbers: dict[str, int] = {}
        for i, x in enumerate(labels):
            if counts[x] > 1:
                numbers[x] = numbers.get(x, 0) + 1
                labels[i] = f"{x} #{numbers[x]}"
        named = list(zip(labels, specs))
    if not named:
        raise InvalidInputError("no tokenizers to compare")
    return named


def _split_label(spec: TokenizerSpec) -> tuple[Optional[str], TokenizerSpec]:
    """``LABEL=SPEC`` -> (LABEL, SPEC) when no file has the whole name and LABEL is not a path."""
    if isinstance(spec, str) and "=" in spec and not os.path.exists(spec):
        label, _, rest = spec.partition("=")
        if label and rest and "/" not in label and os.sep not in label:
            return label, rest
    return None, spec


class _DocSampler:
    """Lines grouped into documents of at least ``doc_bytes``; keeps a seeded random sample of about
    ``cap`` bytes of them (the documents with the smallest random keys), all when they fit."""

    def __init__(self, cap: int, doc_bytes: int, seed: int = _SAMPLE_SEED) -> None:
        self.cap, self.doc_bytes = cap, max(1, doc_bytes)
        self.rng = random.Random(seed)
        self.heap: list[tuple[float, int, str, int]] = []  # (-key, index, doc, bytes)
        self.kept = 0
        self.pending: list[str] = []
        self.pending_bytes = 0
        self.index = 0

    def add(self, line: str, size: int) -> None:
        self.pending.append(line)
        self.pending_bytes += size
        if self.pending_bytes >= self.doc_bytes:
            self._emit()

    def _emit(self) -> None:
        doc, size = "".join(self.pending), self.pending_bytes
        self.pending, self.pending_bytes = [], 0
        heapq.heappush(self.heap, (-self.rng.random(), self.index, doc, size))
        self.index += 1
        self.kept += size
        while self.kept > self.cap and len(self.heap) > 1:
            self.kept -= heapq.heappop(self.heap)[3]

    def documents(self) -> tuple[list[str], int]:
        """The kept documents in file order, and their bytes."""
        if self.pending:
            self._emit()
        kept = sorted(self.heap, key=lambda item: item[1])
        return [doc for _, _, doc, _ in kept], self.kept


class _Tally:
    """Per-bucket token and unknown counts of one tokenizer on one corpus, and the ids it used."""

    def __init__(self) -> None:
        self.tokens = dict.fromkeys(BUCKETS, 0)
        self.unknown = dict.fromkeys(BUCKETS, 0)
        self.used: set[int] = set()


def _buckets(kind: str, text: str, lines: list[str], in_fence: bool) -> tuple[list[str], bool]:
    """The bucket of each line, and whether the block ends inside a code fence."""
    if kind == "code":
        return [CODE] * len(lines), in_fence
    buckets = classify_lines(lines, text)
    if in_fence or "```" in text or "~~~" in text:
        for i, line in enumerate(lines):
            fence = line.lstrip(" ").startswith(_FENCES)
            if fence or in_fence:
                buckets[i] = CODE
            if fence:
                in_fence = not in_fence
    return buckets, in_fence


def _counts(text: list[int], tokens: int, unknown: int) -> Counts:
    lines, chars, size, words = text
    return Counts(lines=lines, chars=chars, bytes=size, words=words, tokens=tokens, unknown=unknown)


def _split_lines(text: str) -> list[str]:
    """Lines split at "\\n" only, each keeping its "\\n" (the last one may have none)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _time(loaded: Sequence[_Loaded], docs: list[str], passes: int, progress: Progress, unit: float,
          corpus: str) -> list[tuple[float, ...]]:
    seconds: list[list[float]] = [[] for _ in loaded]
    for p in range(passes):
        for k, t in enumerate(loaded):
            progress.note(f"{corpus}: timing {t.label}, pass {p + 1}/{passes}")
            encode = t.tokenizer.encode_ordinary
            gc.collect()
            start = time.perf_counter()
            for doc in docs:
                encode(doc)
            seconds[k].append(time.perf_counter() - start)
            progress.advance(unit)
    return [tuple(s) for s in seconds]


def _non_negative(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def compare(
    tokenizers: Union[Sequence[TokenizerSpec], Mapping[str, TokenizerSpec]],
    corpora: Sequence[Union[str, "Corpus", Any]],
    *,
    pattern: Optional[str] = None,
    passes: int = 3,
    throughput_bytes: int = 10_000_000,
    doc_bytes: int = 4096,
    num_threads: Optional[int] = None,
    show_progress: Show = True,
) -> Comparison:
    """Compare tokenizers on corpora: token counts by script, vocabulary use, unknowns, speed.

    Args:
        tokenizers: specs (a ``tokenizer.json``, a tiktoken encoding name such
            as ``"cl100k_base"``, a ``.tiktoken`` file, a :class:`Tokenizer`;
            see :func:`load_tokenizer`), labelled by file or encoding name or
            as ``"LABEL=SPEC"``, or a ``{label: spec}`` mapping.
        corpora: files (``"code:FILE"`` marks source code; gzip, xz, bzip2 and
            zstd are read directly) or :class:`Corpus` objects
            (``Corpus.from_text(name, text)`` for in-memory text).
        pattern: pre-tokenizer for ``.tiktoken`` files whose name does not imply one.
        passes: timed passes for throughput (median); 0 skips timing.
        throughput_bytes: time on a sample of about this many bytes per corpus.
        doc_bytes: lines are grouped into documents of at least this many
            bytes for timing (0: one line per document).
        num_threads: threads for the counting pass (all cores when None);
            timing always uses one.
        show_progress: a bar on stderr when the comparison takes over a second:
            True when stderr is a terminal, ``"always"`` everywhere, False never.

    The metrics are defined in the module doc (``toksmith.comparison``).

    Example:
        >>> import toksmith
        >>> from toksmith.comparison import Corpus
        >>> byte_tok = toksmith.Tokenizer.from_ranks([(bytes([b]), b) for b in range(256)], pattern="gpt2")
        >>> cmp = compare({"bytes": byte_tok}, [Corpus.from_text("t", "héllo\\n")], passes=0,
        ...               show_progress=False)
        >>> r = cmp.result("bytes")
        >>> r.total.tokens, r.total.bytes, r.total.chars, r.total.bytes_per_token
        (7, 7, 6, 1.0)
    """
    named = _labels(tokenizers)
    passes = _non_negative("passes", passes)
    throughput_bytes = _non_negative("throughput_bytes", throughput_bytes, 1)
    doc_bytes = _non_negative("doc_bytes", doc_bytes)
    if num_threads is not None:
        _non_negative("num_threads", num_threads)
    if isinstance(corpora, (str, Corpus)):
        corpora = [corpora]
    corpus_list = [Corpus.from_spec(c) for c in corpora]
    if not corpus_list:
        raise InvalidInputError("no corpus to compare on")

    n = len(named)
    sizes = [c.size() for c in corpus_list]
    # Progress units: one per byte encoded while counting, and per byte timed (estimated up front).
    total = sum(sizes) * n + sum(min(s, throughput_bytes) for s in sizes) * n * passes
    with Progress(total, show=show_progress) as progress:
        loaded = []
        for label, spec in named:
            progress.note(f"loading {label}")
            loaded.append(_load(label, spec, pattern))
        tallies_all = [set() for _ in loaded]  # type: list[set[int]]
        infos: list[CorpusInfo] = []
        results: list[Result] = []
        for corpus, size in zip(corpus_list, sizes):
            info, corpus_results = _measure(corpus, size, loaded, passes, throughput_bytes, doc_bytes,
                                            num_threads, progress, tallies_all)
            infos.append(info)
            results.extend(corpus_results)

    for k, t in enumerate(loaded):
        mine = [r for r in results if r.tokenizer == t.label]
        total_counts = Counts()
        buckets: dict[str, Counts] = {}
        for r in mine:
            total_counts = total_counts + r.total
            for name, c in r.buckets:
                buckets[name] = buckets.get(name, Counts()) + c
        timed = [r.throughput for r in mine if r.throughput is not None]
        throughput = None
        if timed:
            throughput = timed[0]
            for x in timed[1:]:
                throughput = throughput + x
        ordered = tuple((b, buckets[b]) for b in BUCKETS if b in buckets)
        results.append(Result(t.label, ALL, total_counts, ordered, len(tallies_all[k] - t.special), t.vocab_size,
                              throughput))

    return Comparison(
        tokenizers=tuple(
            TokenizerInfo(t.label, t.spec, t.tokenizer.model, t.vocab_size, len(t.special), len(t.unknown),
                          t.load_seconds)
            for t in loaded
        ),
        corpora=tuple(infos),
        results=tuple(results),
        settings=Settings(passes, throughput_bytes, doc_bytes, num_threads, _core.__version__),
    )


def _measure(corpus: Corpus, size: int, loaded: Sequence[_Loaded], passes: int, throughput_bytes: int,
             doc_bytes: int, num_threads: Optional[int], progress: Progress,
             used_all: list[set[int]]) -> tuple[CorpusInfo, list[Result]]:
    """Count one corpus with every tokenizer, then time them on a sample of it."""
    text_counts = {b: [0, 0, 0, 0] for b in BUCKETS}  # lines, chars, bytes, words
    tallies = [_Tally() for _ in loaded]
    sampler = _DocSampler(throughput_bytes, doc_bytes)
    in_fence = False
    read = 0.0
    n = len(loaded)
    for text, share in corpus.blocks():
        lines = _split_lines(text)
        buckets, in_fence = _buckets(corpus.kind, text, lines, in_fence)
        for line, bucket in zip(lines, buckets):
            size_bytes = len(line.encode("utf-8"))
            counts = text_counts[bucket]
            counts[0] += 1
            counts[1] += len(line)
            counts[2] += size_bytes
            counts[3] += len(line.split())
            if passes:
                sampler.add(line, size_bytes)
        for t, tally in zip(loaded, tallies):
            progress.note(f"{corpus.name}: counting {t.label}")
            outputs = t.tokenizer.encode_ordinary_batch(lines, num_threads=num_threads)
            tokens, unknown = tally.tokens, tally.unknown
            unk = t.unknown
            for ids, bucket in zip(outputs, buckets):
                tokens[bucket] += len(ids)
                if unk:
                    unknown[bucket] += sum(map(unk.__contains__, ids))
                tally.used.update(ids)
            progress.advance((share - read) * size)
        read = share

    docs, timed_bytes = sampler.documents()
    progress.grow((timed_bytes - min(size, throughput_bytes)) * n * passes)
    seconds = _time(loaded, docs, passes, progress, timed_bytes, corpus.name) if passes and docs else [()] * n

    totals = [sum(counts[i] for counts in text_counts.values()) for i in range(4)]
    if not totals[0]:
        raise InvalidInputError(f"{corpus.path or corpus.name}: empty corpus")
    info = CorpusInfo(corpus.name, corpus.kind, corpus.path, totals[2], totals[1], totals[0], totals[3])
    results = []
    for k, (t, tally) in enumerate(zip(loaded, tallies)):
        used_all[k] |= tally.used
        buckets_out = tuple(
            (b, _counts(text_counts[b], tally.tokens[b], tally.unknown[b])) for b in BUCKETS if text_counts[b][0]
        )
        total = Counts()
        for _, c in buckets_out:
            total = total + c
        throughput = Throughput(len(docs), timed_bytes, seconds[k]) if seconds[k] else None
        results.append(Result(t.label, corpus.name, total, buckets_out, len(tally.used - t.special), t.vocab_size,
                              throughput))
    return info, results
