"""The ``tok`` command line: train, encode, decode, info.

Errors print one line, ``tok: error: ...``, on stderr and exit with code 2.

Examples::

    tok train data/sample.txt --vocab-size 8000 -o tokenizer.json
    tok count part1.txt.gz -o a.counts && tok train --counts a.counts -o tokenizer.json
    tok encode -t tokenizer.json "Hello world"
    tok encode --encoding cl100k_base "Hello world"
    tok decode -t tokenizer.json 15496 995
    tok info tokenizer.json
    tok compare cl100k_base o200k_base tokenizer.json --corpus text.txt code:src.py --plot cmp.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn, Optional

from . import Tokenizer, WordCounts, count, get_encoding, train
from ._files import write_atomic
from ._inputs import _decode
from .errors import TokenizerError


def _unsigned(limit: int, shown: str) -> Callable[[str], int]:
    """An option's parser: an integer from 0 to ``limit - 1`` (``shown``), written in the digits 0-9 (``int()``
    would also take other scripts' digits and underscores)."""
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) >= limit:
            raise argparse.ArgumentTypeError(f"must be an integer from 0 to {shown}, got {text!r}")
        return int(text)

    return parse


_count = _unsigned(2**32, str(2**32 - 1))  # counts of things (vocab size, threads, words...)
_seed = _unsigned(2**64, "2**64 - 1")


def _megabytes(text: str) -> float:
    """A positive, finite number of megabytes."""
    try:
        mb = float(text)
    except ValueError:
        mb = float("nan")
    if not (0 < mb < 1e9):
        raise argparse.ArgumentTypeError(f"must be a positive number of MB, got {text!r}")
    return mb


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(message)


def _fail(message: str) -> NoReturn:
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    sys.stderr.write(f"tok: error: {first}\n")
    raise SystemExit(2)


# stdin is read as bytes and decoded here, as files are: text-mode stdin would
# turn a byte that is not UTF-8 into a lone surrogate (surrogateescape, the
# default under a C or UTF-8 locale), which encodes as U+FFFD without a word.
_STDIN = Path("<stdin>")


def _stdin_lines() -> Iterator[str]:
    offset = 0
    for line in sys.stdin.buffer:
        yield _decode(line, _STDIN, offset)
        offset += len(line)


def _stdin_text() -> str:
    return _decode(sys.stdin.buffer.read(), _STDIN, 0)


def _inputs(files: list[str]) -> object:
    if files == ["-"]:
        return _stdin_lines()
    if "-" in files:
        _fail("'-' (stdin) cannot be mixed with file names")
    if not files:
        _fail("no input files (give FILE... or '-' for stdin)")
    return list(files)


def _pattern(a: argparse.Namespace) -> Optional[str]:
    return None if a.pattern.lower() == "none" else a.pattern


def _show(a: argparse.Namespace) -> object:
    return "always" if a.progress else not a.no_progress


def _normalizer(a: argparse.Namespace) -> Optional[str]:
    return None if a.normalizer is None or a.normalizer.lower() == "none" else a.normalizer


def _cmd_count(a: argparse.Namespace) -> None:
    counts = count(_inputs(a.files), pattern=_pattern(a), max_words=a.max_words,  # type: ignore[arg-type]
                   normalizer=_normalizer(a), show_progress=_show(a), num_threads=a.threads)
    counts.save(a.output)
    sys.stderr.write(f"tok: wrote {a.output} ({len(counts)} distinct words, {counts.total} occurrences)\n")


#: What each output extension is written as (train and convert).
_OUTPUT_KINDS = {".json": "save", ".model": "save_sentencepiece", ".tiktoken": "save_tiktoken",
                 ".txt": "save_wordpiece_vocab"}


def _output_kind(out: str) -> str:
    """The Tokenizer method that writes ``out``, by its extension; checked before any work is done."""
    kind = _OUTPUT_KINDS.get(os.path.splitext(out)[1].lower())
    if kind is None:
        _fail(f"{out}: unknown output kind (use .json, .model, .tiktoken or .txt)")
    return kind


def _save(tok: Tokenizer, out: str, kind: str) -> None:
    if kind == "save_wordpiece_vocab":
        _check_vocab_txt_round_trip(tok, out)
    getattr(tok, kind)(out)


def _check_vocab_txt_round_trip(tok: Tokenizer, out: str) -> None:
    """A vocab.txt holds only the tokens, and tok reads one with BERT's settings: refuse to write one that would
    come back with another prefix, unknown token, word limit, normalizer or pre-tokenizer."""
    def settings(t: Tokenizer) -> dict[str, object]:
        data = json.loads(t.to_str())
        model = data.get("model") or {}
        keys = ("continuing_subword_prefix", "unk_token", "max_input_chars_per_word")
        return {**{k: model.get(k) for k in keys}, "normalizer": data.get("normalizer"),
                "pre_tokenizer": data.get("pre_tokenizer")}

    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "vocab.txt")
        tok.save_wordpiece_vocab(probe)
        want, got = settings(tok), settings(_load_file(probe))
    lost = [k for k in want if want[k] != got[k]]
    if lost:
        _fail(f"{out}: a vocab.txt cannot record this tokenizer's {lost[0]} ({want[lost[0]]!r}; it would be read "
              f"back as {got[lost[0]]!r}); write a .json instead")


def _cmd_train(a: argparse.Namespace) -> None:
    kind = _output_kind(a.output)
    common: dict[str, object] = dict(
        model=a.model,
        min_frequency=a.min_frequency,
        show_progress=_show(a),
        num_threads=a.threads,
    )
    if a.vocab_size is not None:
        common["vocab_size"] = a.vocab_size
    if a.special_token:
        common["special_tokens"] = a.special_token
    if a.normalizer is not None:
        common["normalizer"] = _normalizer(a)
    if a.model == "wordpiece":
        if a.scoring is not None:
            common["scoring"] = a.scoring
        if a.prefix is not None:
            common["continuing_subword_prefix"] = a.prefix
    elif a.scoring is not None or a.prefix is not None:
        _fail("--scoring and --prefix are for --model wordpiece")
    if a.counts is not None:
        if a.files:
            _fail("give either --counts or input files, not both")
        if a.pattern_given:
            tok = train(WordCounts.load(a.counts), pattern=_pattern(a), **common)  # type: ignore[arg-type]
        else:
            tok = train(WordCounts.load(a.counts), **common)  # type: ignore[arg-type]
    else:
        if a.pattern_given:
            common["pattern"] = _pattern(a)
        tok = train(_inputs(a.files), max_words=a.max_words, **common)  # type: ignore[arg-type]
    _save(tok, a.output, kind)
    sys.stderr.write(f"tok: wrote {a.output} ({tok.model}, {tok.vocab_size} tokens)\n")


def _load(a: argparse.Namespace) -> Tokenizer:
    if (a.tokenizer is None) == (a.encoding is None):
        _fail("give exactly one of -t/--tokenizer FILE and --encoding NAME")
    if a.encoding is not None:
        return get_encoding(a.encoding)
    return _load_file(a.tokenizer)


def _load_file(path: str) -> Tokenizer:
    """A tokenizer file by its kind: a SentencePiece ``.model``, a BERT ``vocab.txt``, a
    ``.tiktoken`` rank file named after its encoding, or a ``tokenizer.json``."""
    if path.endswith(".model"):
        return Tokenizer.from_sentencepiece(path)
    if path.endswith(".txt"):
        return Tokenizer.from_wordpiece_vocab(path)
    if path.endswith(".tiktoken") or path.endswith(".tiktoken.gz"):
        name = os.path.basename(path).split(".")[0]
        return get_encoding(name, path=path)
    return Tokenizer.from_file(path)


def _cmd_convert(a: argparse.Namespace) -> None:
    out: str = a.output
    kind = _output_kind(out)
    tok = _load_file(a.input)
    _save(tok, out, kind)
    sys.stderr.write(f"tok: wrote {out} ({tok.model}, {tok.vocab_size} tokens)\n")


def _argv_text(text: str) -> str:
    """TEXT from the command line, refused when it is not UTF-8 (as stdin and files are): Python hands such
    bytes over as lone surrogates (surrogateescape), which would encode as U+FFFD without a word."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raw = text.encode("utf-8", "surrogateescape")
        offset = len(text[: e.start].encode("utf-8", "surrogateescape"))
        _fail(f"TEXT: not UTF-8 text: bad byte 0x{raw[offset]:02X} at offset {offset}")
    return text


def _cmd_encode(a: argparse.Namespace) -> None:
    if a.seed is not None and a.dropout is None:
        _fail("--seed is for --dropout")
    tok = _load(a)
    text = _argv_text(a.text) if a.text is not None else _stdin_text()
    allowed = "all" if a.allow_special else ()
    if a.dropout is not None:
        if a.full or a.allow_special:
            _fail("--dropout encodes ordinary text: it cannot be combined with --full or --allow-special")
        print(" ".join(map(str, tok.encode_dropout(text, a.dropout, seed=a.seed))))
        return
    if a.full:
        e = tok.encode_full(text, allowed_special=allowed)
        print(json.dumps({"ids": e.ids, "tokens": e.tokens, "offsets": e.offsets,
                          "type_ids": e.type_ids}, ensure_ascii=False))
        return
    ids = tok.encode(text, allowed_special=allowed)
    print(" ".join(map(str, ids)))


def _cmd_decode(a: argparse.Namespace) -> None:
    tok = _load(a)
    ids = a.ids if a.ids else _stdin_text().split()
    bad = next((x for x in ids if not (x.isascii() and x.isdigit())), None)
    if bad is not None:
        _fail(f"token ids must be non-negative integers written in the digits 0-9, got {bad!r}")
    nums = [int(x) for x in ids]
    if any(n >= 2**32 for n in nums):
        _fail("token ids must be between 0 and 2**32-1")
    sys.stdout.write(tok.decode(nums))
    sys.stdout.write("\n")


def _cmd_info(a: argparse.Namespace) -> None:
    tok = _load_file(a.tokenizer)
    specials = tok.special_tokens
    print(f"model: {tok.model}")
    print(f"vocab size: {tok.vocab_size}")
    if tok.model in ("bbpe", "bpe"):
        print(f"merges: {len(tok.merges)}")
    name = tok.pattern_name
    print(f"pattern: {name if name else tok.pattern}")
    print("special tokens: " + (", ".join(f"{t} ({i})" for t, i in specials.items()) or "none"))


def _cmd_compare(a: argparse.Namespace) -> None:
    from .comparison import compare

    if a.plot:
        from ._plot import require_matplotlib

        require_matplotlib()  # fail before the work, not after it
    if a.tiktoken_pattern is not None:
        from . import _core

        _core.split("", a.tiktoken_pattern)  # a bad or misspelt pattern fails now, even if no file needs it
    for path in (a.output, a.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            _fail(f"{path}: no such directory: {os.path.dirname(os.path.abspath(path))}")
    result = compare(a.tokenizers, a.corpus, pattern=a.tiktoken_pattern, passes=a.passes,
                     throughput_bytes=int(a.throughput_mb * 1e6), doc_bytes=a.doc_bytes, num_threads=a.threads,
                     show_progress=_show(a))  # type: ignore[arg-type]
    rendered = {"table": result.to_text, "markdown": result.to_markdown, "json": result.to_json}[a.format]()
    rendered += "" if rendered.endswith("\n") else "\n"
    if a.output:
        write_atomic(a.output, rendered.encode("utf-8"))
        sys.stderr.write(f"tok: wrote {a.output}\n")
    else:
        sys.stdout.write(rendered)
    if a.plot:
        result.plot(a.plot)
        sys.stderr.write(f"tok: wrote {a.plot}\n")


def _add_compare(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "compare",
        help="compare tokenizers on your text: tokens by script, vocabulary use, unknowns, speed",
        description="Compare tokenizers on corpora: bytes per token, tokens per 1000 characters and per word, "
        "split by script (or code); share of the vocabulary used; share of unknown/byte-fallback tokens; "
        "single-thread encode throughput. The metrics are defined in `pydoc toksmith.comparison`.",
    )
    c.add_argument("tokenizers", nargs="+", metavar="TOKENIZER",
                   help="tokenizer.json, a tiktoken encoding name (cl100k_base, o200k_base, ...), NAME.tiktoken "
                   "or FILE.tiktoken:PATTERN, a SentencePiece .model or WordPiece vocab.txt where supported; "
                   "LABEL=SPEC names it in the report")
    c.add_argument("--corpus", nargs="+", action="extend", required=True, metavar="FILE",
                   help="UTF-8 text (gzip/xz/bzip2/zstd ok); code:FILE marks source code (also detected by "
                   "extension), prose:FILE forces prose")
    c.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    c.add_argument("-o", "--output", help="write the report here instead of stdout")
    c.add_argument("--plot", metavar="PNG", help="also write a chart (needs matplotlib: pip install 'toksmith[plot]')")
    c.add_argument("--pattern", dest="tiktoken_pattern", metavar="PATTERN",
                   help="pre-tokenizer for .tiktoken files whose name does not imply one (gpt2, cl100k, o200k, regex)")
    c.add_argument("--passes", type=_count, default=3, help="timed passes, median taken (default 3; 0: no timing)")
    c.add_argument("--throughput-mb", type=_megabytes, default=10.0,
                   help="time on a random sample of about this many MB of each corpus (default 10)")
    c.add_argument("--doc-bytes", type=_count, default=4096,
                   help="lines are grouped into documents of at least this many bytes for timing (default 4096)")
    c.add_argument("--threads", type=_count, default=None, help="threads for counting (timing uses one)")
    shown = c.add_mutually_exclusive_group()
    shown.add_argument("--no-progress", action="store_true", help="no progress bar")
    shown.add_argument("--progress", action="store_true", help="progress even when stderr is not a terminal")
    c.set_defaults(func=_cmd_compare)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tok", description="Train and run BPE and WordPiece tokenizers.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def inputs_and_counting(p: argparse.ArgumentParser, files_help: str) -> None:
        p.add_argument("files", nargs="*", help=files_help)
        p.add_argument("--pattern", default=None,
                       help="gpt2, r50k, p50k, cl100k, o200k (default; bert for wordpiece), bert, a regex, or none")
        p.add_argument("--normalizer", default=None,
                       help="bert, bert_cased, nfc, nfd, nfkc, nfkd, lowercase or none (default: none; bert for wordpiece)")
        p.add_argument("--max-words", type=_count, default=None, help="keep at most N distinct words while counting")
        p.add_argument("--threads", type=_count, default=None)
        shown = p.add_mutually_exclusive_group()
        shown.add_argument("--no-progress", action="store_true", help="no progress bar")
        shown.add_argument("--progress", action="store_true", help="progress even when stderr is not a terminal")
        p.add_argument("-o", "--output", required=True)

    c = sub.add_parser("count", help="count pre-tokens into a counts file (for tok train --counts)")
    inputs_and_counting(c, "text files (gzip/xz/zstd ok) or directories; '-' reads stdin")
    c.set_defaults(func=_cmd_count)

    t = sub.add_parser("train", help="train a tokenizer on text files or a counts file")
    inputs_and_counting(t, "text files (gzip/xz/zstd ok) or directories; '-' reads stdin")
    t.add_argument("--counts", help="train on a counts file from tok count instead of text")
    t.add_argument("--model", default="bbpe", choices=["bbpe", "bpe", "wordpiece", "unigram"])
    t.add_argument("--vocab-size", type=_count, default=None,
                   help="default 32000 (30000 for wordpiece, 8000 for unigram)")
    t.add_argument("--scoring", default=None, choices=["likelihood", "frequency"],
                   help="wordpiece: likelihood gain (default) or pair frequency (HF's WordPieceTrainer)")
    t.add_argument("--prefix", default=None, help="wordpiece continuing-subword prefix (default ##)")
    t.add_argument("--min-frequency", type=_count, default=2)
    t.add_argument("--special-token", action="append", help="repeat for several")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("encode", help="print the ids of TEXT (or stdin)")
    e.add_argument("-t", "--tokenizer", help="a tokenizer.json, SentencePiece .model or WordPiece vocab.txt")
    e.add_argument("--encoding", help="a tiktoken encoding name, e.g. cl100k_base")
    e.add_argument("--allow-special", action="store_true", help="encode special tokens in the text as such")
    e.add_argument("--full", action="store_true", help="print ids, tokens, offsets and type ids as JSON")
    e.add_argument("--dropout", type=float, default=None, metavar="P",
                   help="BPE models: BPE-dropout, skip each merge with probability P (subword regularization)")
    e.add_argument("--seed", type=_seed, default=None, help="random seed for --dropout")
    e.add_argument("text", nargs="?")
    e.set_defaults(func=_cmd_encode)

    d = sub.add_parser("decode", help="print the text of token ids")
    d.add_argument("-t", "--tokenizer", help="a tokenizer.json, SentencePiece .model or WordPiece vocab.txt")
    d.add_argument("--encoding", help="a tiktoken encoding name, e.g. cl100k_base")
    d.add_argument("ids", nargs="*")
    d.set_defaults(func=_cmd_decode)

    v = sub.add_parser("convert", help="convert between tokenizer.json, .model, .tiktoken and vocab.txt")
    v.add_argument("input", help="a tokenizer.json, SentencePiece .model, <encoding>.tiktoken or vocab.txt")
    v.add_argument("-o", "--output", required=True, help="by extension: .json, .model, .tiktoken or .txt")
    v.set_defaults(func=_cmd_convert)

    i = sub.add_parser("info", help="describe a tokenizer file")
    i.add_argument("tokenizer", help="a tokenizer.json, SentencePiece .model or WordPiece vocab.txt")
    i.set_defaults(func=_cmd_info)

    _add_compare(sub)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``tok`` with ``argv`` (default: the process arguments); return the exit code."""
    args = _parser().parse_args(argv)
    if hasattr(args, "pattern"):
        args.pattern_given = args.pattern is not None
        if args.pattern is None:
            args.pattern = "o200k"
    try:
        args.func(args)
    except (TokenizerError, OSError, ValueError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
