#!/usr/bin/env python3
"""BPE training benchmark: toksmith against HF tokenizers, bpeasy and sentencepiece.

What it measures
----------------
Each contender trains a BPE vocabulary on the same corpus, once per run, in its
own Python subprocess, so that every figure belongs to that contender alone:

* train s    wall time of the training call only (file reading, pre-tokenization,
             counting and merging: whatever the library does inside that call);
* process s  wall time of the whole subprocess as seen by this script: interpreter
             start, library import, training and saving the model;
* CPU s      user + system CPU time of the subprocess (CPU s / train s shows how
             many cores a library keeps busy);
* peak RSS   the subprocess's resident-set high-water mark (VmHWM from
             /proc/self/status, read at the end of the child; the child also
             records getrusage(RUSAGE_SELF).ru_maxrss in the JSON output).

The summary table gives, per contender and vocabulary size, the median training
time with its min/max over the runs, the medians of process and CPU time, the
largest peak RSS, and the ratios of time and of peak memory to HF tokenizers.

The job (defaults)
------------------
Byte-level BPE with the GPT-2 pre-tokenization pattern, vocab_size 32000,
min_frequency 2, on ../shared/corpora/mixed-100M.txt (relative to the repo).
A ``.xz`` corpus is unpacked once into the cache directory (default
/tmp/toksmith-bench/); shared/ is only read. Every line, with its trailing "\\n",
is one document, as in HF ``Tokenizer.train``.

Contenders, each with its library's default threading (see nproc in the header):

* toksmith       toksmith.train(path, model="bbpe", pattern="gpt2", ...)
* hf             HF tokenizers: models.BPE, ByteLevel(add_prefix_space=False)
                 pre-tokenizer, BpeTrainer with the 256-symbol ByteLevel alphabet,
                 Tokenizer.train([path], trainer)
* bpeasy         bpeasy.train_bpe over the file's lines with the GPT-2 pattern; it
                 has no min_frequency and needs a max token length (set to 65536,
                 in effect none)
* sentencepiece  SentencePieceTrainer BPE on the file, identity normalization,
                 byte_fallback, no dummy prefix; it has no min_frequency, works on
                 characters (with U+2581 for spaces) rather than GPT-2 bytes, and
                 keeps the characters covering 99.95% of the text

A contender that is not installed or fails is reported as failed, with the
error, and the benchmark goes on with the others.

Identity: the models of run 1 are compared with HF's. toksmith's saved
tokenizer.json must hold exactly HF's vocab (token -> id) and ordered merges;
the script prints "merges identical: yes" or the first differing index. bpeasy
has no merge list, so only the overlap of its vocabulary with HF's is printed.
sentencepiece's pieces are not byte-level strings and are not compared.

Runs: ``--runs N``; by default a contender runs 3 times when its first training
call takes under a minute, and once otherwise.

How to run (from the repo root)
-------------------------------
    python bench/train.py                         # the full job, all contenders
    python bench/train.py --only toksmith,hf --json bench/train.json
    python bench/train.py --slice-bytes 5M --vocab-size 2000 --runs 1

The header (machine, library versions, date, exact command, corpus) and the
table it prints are the source for the figures quoted in notes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from _common import (
    CORPORA,
    DEFAULT_CACHE,
    Stopwatch,
    add_common_args,
    corpus_facts,
    fmt,
    fresh_dir,
    library_version,
    parse_size,
    plain_corpus,
    print_markdown_table,
    print_run_facts,
    ratio,
    run_facts,
    run_guarded,
    select_only,
    spawn_child,
    usage_facts,
    write_json,
)

DEFAULT_CORPUS = CORPORA / "mixed-100M.txt"
REFERENCE = "hf"

#: The GPT-2 pre-tokenization regex, as in HF's ByteLevel pre-tokenizer.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
#: bpeasy requires a maximum token length; this large one means "no limit".
BPEASY_MAX_TOKEN_LENGTH = 1 << 16
#: With --runs unset: repeat AUTO_RUNS times when the first run trains faster than this.
AUTO_REPEAT_BELOW_S = 60.0
AUTO_RUNS = 3

HF_JSON = "tokenizer.json"
TIKTOKEN_RANKS = "ranks.tiktoken"
SPM_PREFIX = "spm"


# ---------------------------------------------------------------------------
# Models as compared: GPT-2 byte-level strings


@dataclass(frozen=True)
class Model:
    """A trained vocabulary in GPT-2 byte-level strings, with ordered merges if known."""

    vocab: dict[str, int]
    merges: list[tuple[str, str]] | None


def gpt2_byte_alphabet() -> list[str]:
    """The GPT-2 byte -> printable character table, indexed by byte."""
    printable = {*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)}
    table: list[str] = []
    shifted = 0
    for byte in range(256):
        if byte in printable:
            table.append(chr(byte))
        else:
            table.append(chr(256 + shifted))
            shifted += 1
    return table


def load_hf_json(out_dir: Path) -> Model:
    """Vocab and ordered merges of a saved HF-format tokenizer.json."""
    model = json.loads((out_dir / HF_JSON).read_text(encoding="utf-8"))["model"]
    return Model(vocab=dict(model["vocab"]), merges=[merge_pair(m) for m in model["merges"]])


def merge_pair(merge: list[str] | str) -> tuple[str, str]:
    """A merge as saved by HF: ["a", "b"] (tokenizers >= 0.20) or "a b" (older files)."""
    a, b = merge if isinstance(merge, list) else merge.split(" ", 1)
    return a, b


def load_tiktoken_ranks(out_dir: Path) -> Model:
    """Vocab of a tiktoken rank file ("base64 rank" lines), converted to byte-level strings."""
    alphabet = gpt2_byte_alphabet()
    vocab: dict[str, int] = {}
    for line in (out_dir / TIKTOKEN_RANKS).read_text(encoding="ascii").splitlines():
        token, rank = line.split()
        vocab["".join(alphabet[b] for b in base64.b64decode(token))] = int(rank)
    return Model(vocab=vocab, merges=None)


# ---------------------------------------------------------------------------
# Child side: one contender, one run


@dataclass(frozen=True)
class Job:
    """One training run, as handed to a child process."""

    corpus: Path
    vocab_size: int
    min_frequency: int
    out_dir: Path
    regex: bool = True  # False: each line is one word (no pre-tokenization regex)


def file_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, each with its "\\n", split on "\\n" only (as HF reads files)."""
    with path.open("rb") as f:
        for raw in f:
            yield raw.decode("utf-8")


def train_toksmith(job: Job, clock: Stopwatch) -> int:
    with clock.phase("import"):
        import toksmith
    with clock.phase("train"):
        tok = toksmith.train(
            str(job.corpus),
            model="bbpe",
            pattern="gpt2" if job.regex else None,
            vocab_size=job.vocab_size,
            min_frequency=job.min_frequency,
            show_progress=False,
        )
    with clock.phase("save"):
        tok.save(str(job.out_dir / HF_JSON))
    return int(tok.vocab_size)


def train_hf(job: Job, clock: Stopwatch) -> int:
    with clock.phase("import"):
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=job.regex)
    trainer = trainers.BpeTrainer(
        vocab_size=job.vocab_size,
        min_frequency=job.min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    with clock.phase("train"):
        tok.train([str(job.corpus)], trainer)
    with clock.phase("save"):
        tok.save(str(job.out_dir / HF_JSON))
    return int(tok.get_vocab_size())


def train_bpeasy(job: Job, clock: Stopwatch) -> int:
    with clock.phase("import"):
        import bpeasy
    if not job.regex:
        raise RuntimeError("bpeasy always pre-tokenizes with a regex; --no-regex does not apply")
    with clock.phase("train"):
        vocab = bpeasy.train_bpe(file_lines(job.corpus), GPT2_PATTERN, BPEASY_MAX_TOKEN_LENGTH, job.vocab_size)
    with clock.phase("save"):
        bpeasy.save_vocab_to_tiktoken(vocab, str(job.out_dir / TIKTOKEN_RANKS))
    return len(vocab)


def train_sentencepiece(job: Job, clock: Stopwatch) -> int:
    with clock.phase("import"):
        import sentencepiece as spm
    prefix = job.out_dir / SPM_PREFIX
    with clock.phase("train"):
        # The trainer writes spm.model and spm.vocab itself, so there is no save phase.
        spm.SentencePieceTrainer.train(
            input=str(job.corpus),
            model_prefix=str(prefix),
            model_type="bpe",
            vocab_size=job.vocab_size,
            character_coverage=0.9995,
            byte_fallback=True,
            normalization_rule_name="identity",
            add_dummy_prefix=False,
            remove_extra_whitespaces=False,
            max_sentence_length=1 << 20,
            hard_vocab_limit=False,
            num_threads=os.cpu_count() or 1,
        )
    return int(spm.SentencePieceProcessor(model_file=f"{prefix}.model").get_piece_size())


@dataclass(frozen=True)
class Contender:
    """A library under test: how to train with it in a child, and how to read back its model."""

    name: str
    distribution: str  # PyPI distribution name, for the version
    train: Callable[[Job, Stopwatch], int]  # runs in the child; returns the trained vocab size
    load: Callable[[Path], Model] | None  # reads the saved model, for the identity check
    not_compared: str = ""  # why load is None


CONTENDERS: dict[str, Contender] = {
    c.name: c
    for c in (
        Contender("toksmith", "toksmith", train_toksmith, load_hf_json),
        Contender("hf", "tokenizers", train_hf, load_hf_json),
        Contender("bpeasy", "bpeasy", train_bpeasy, load_tiktoken_ranks),
        Contender(
            "sentencepiece",
            "sentencepiece",
            train_sentencepiece,
            None,
            "its pieces are characters with U+2581 for spaces, not GPT-2 byte-level strings",
        ),
    )
}


def child_main(name: str, job: Job) -> int:
    """Train with one contender and write its figures (or its error) to result.json."""

    def body() -> dict[str, Any]:
        clock = Stopwatch()
        trained_vocab = CONTENDERS[name].train(job, clock)
        usage = usage_facts()
        return {
            "phases": clock.seconds,
            "rss_mb_before": clock.rss_mb_before,
            "peak_rss_mb": usage["peak_rss_mb"],
            "ru_maxrss_mb": usage["ru_maxrss_mb"],
            "cpu_s": usage["cpu_s"],
            "trained_vocab": trained_vocab,
        }

    return run_guarded(job.out_dir, body)


# ---------------------------------------------------------------------------
# Parent side: corpus, runs, summary


@dataclass
class RunResult:
    """One child process: its figures, or why it failed."""

    contender: str
    vocab_size: int
    run: int
    out_dir: str
    process_s: float
    error: str | None = None
    train_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    trained_vocab: int | None = None
    child: dict[str, Any] = field(default_factory=dict)


@dataclass
class Summary:
    """The runs of one contender at one vocab size."""

    contender: str
    vocab_size: int
    runs: int
    error: str | None = None
    train_median_s: float | None = None
    train_min_s: float | None = None
    train_max_s: float | None = None
    process_median_s: float | None = None
    cpu_median_s: float | None = None
    peak_rss_mb: float | None = None
    trained_vocab: int | None = None
    time_vs_hf: float | None = None
    memory_vs_hf: float | None = None


def cut_slice(source: Path, max_bytes: int, cache: Path) -> Path:
    """The first max_bytes of source, cut back to the last line end, written to the cache."""
    with source.open("rb") as f:
        head = f.read(max_bytes)
    if len(head) == max_bytes and not head.endswith(b"\n"):
        head = head[: head.rfind(b"\n") + 1]
    target = cache / f"{source.stem}.first-{max_bytes}B{source.suffix}"
    target.write_bytes(head)
    return target


def prepare_corpus(path: Path, cache: Path, slice_bytes: int | None) -> Path:
    """The plain-text corpus to train on: unpacked from .xz and sliced if asked."""
    path = plain_corpus(path, cache)
    return cut_slice(path, slice_bytes, cache) if slice_bytes else path


def run_child(name: str, job: Job, run: int, timeout: float | None) -> RunResult:
    """Run one contender once in a fresh interpreter and collect its figures."""
    fresh_dir(job.out_dir)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child", name,
        "--out", str(job.out_dir),
        "--corpus", str(job.corpus),
        "--vocab-size", str(job.vocab_size),
        "--min-frequency", str(job.min_frequency),
        *([] if job.regex else ["--no-regex"]),
    ]  # fmt: skip
    outcome = spawn_child(command, job.out_dir, timeout)
    result = RunResult(name, job.vocab_size, run, str(job.out_dir), process_s=outcome.process_s, error=outcome.error)
    if not outcome.error:
        child = outcome.result
        result.child = child
        result.train_s = child["phases"]["train"]
        result.cpu_s = child["cpu_s"]
        result.peak_rss_mb = child["peak_rss_mb"]
        result.trained_vocab = child["trained_vocab"]
    return result


def describe(result: RunResult) -> str:
    head = f"[{result.contender} v{result.vocab_size} run {result.run}]"
    if result.error:
        return f"{head} failed: {result.error}"
    return (
        f"{head} train {result.train_s:.2f} s, process {result.process_s:.2f} s, "
        f"CPU {result.cpu_s:.2f} s, peak RSS {result.peak_rss_mb:.0f} MB, vocab {result.trained_vocab}"
    )


def bench_contender(name: str, job: Job, runs: int | None, timeout: float | None) -> list[RunResult]:
    """All runs of one contender: `runs` of them, or AUTO_RUNS if the first one is quick."""
    results: list[RunResult] = []
    wanted = runs or 1
    while len(results) < wanted:
        run = len(results) + 1
        results.append(run_child(name, replace(job, out_dir=job.out_dir / f"{name}-{run}"), run, timeout))
        print(describe(results[-1]), file=sys.stderr, flush=True)
        first = results[0]
        if first.error:
            break
        if runs is None and run == 1 and first.train_s is not None and first.train_s < AUTO_REPEAT_BELOW_S:
            wanted = AUTO_RUNS
    return results


def summarize(results: list[RunResult]) -> list[Summary]:
    """One Summary per (contender, vocab size), with ratios to HF's at the same vocab size."""
    groups: dict[tuple[str, int], list[RunResult]] = {}
    for r in results:
        groups.setdefault((r.contender, r.vocab_size), []).append(r)
    summaries: dict[tuple[str, int], Summary] = {}
    for (name, vocab_size), group in groups.items():
        ok = [r for r in group if not r.error]
        failed = next((r.error for r in group if r.error), None)
        summary = Summary(name, vocab_size, runs=len(ok), error=failed)
        if ok:
            train = [r.train_s for r in ok if r.train_s is not None]
            summary.train_median_s = statistics.median(train)
            summary.train_min_s, summary.train_max_s = min(train), max(train)
            summary.process_median_s = statistics.median(r.process_s for r in ok)
            summary.cpu_median_s = statistics.median(r.cpu_s for r in ok if r.cpu_s is not None)
            summary.peak_rss_mb = max(r.peak_rss_mb for r in ok if r.peak_rss_mb is not None)
            summary.trained_vocab = ok[0].trained_vocab
        summaries[(name, vocab_size)] = summary
    for (_, vocab_size), summary in summaries.items():
        reference = summaries.get((REFERENCE, vocab_size))
        if reference is not None:
            summary.time_vs_hf = ratio(summary.train_median_s, reference.train_median_s)
            summary.memory_vs_hf = ratio(summary.peak_rss_mb, reference.peak_rss_mb)
    return list(summaries.values())


def print_table(summaries: list[Summary]) -> None:
    """A markdown table of the summaries, then the errors of the contenders that failed."""
    header = [
        "contender",
        "vocab",
        "runs",
        "train s (median)",
        "min",
        "max",
        "process s",
        "CPU s",
        "peak RSS MB",
        "time / hf",
        "memory / hf",
    ]
    rows = [
        [
            s.contender,
            fmt(s.trained_vocab, "d") if s.runs else f"({s.vocab_size})",
            str(s.runs) if s.runs else "failed",
            fmt(s.train_median_s, ".2f"),
            fmt(s.train_min_s, ".2f"),
            fmt(s.train_max_s, ".2f"),
            fmt(s.process_median_s, ".2f"),
            fmt(s.cpu_median_s, ".2f"),
            fmt(s.peak_rss_mb, ".0f"),
            fmt(s.time_vs_hf, ".2f"),
            fmt(s.memory_vs_hf, ".2f"),
        ]
        for s in summaries
    ]
    print_markdown_table(header, rows)
    for s in summaries:
        if s.error:
            print(f"{s.contender} (vocab {s.vocab_size}) failed: {s.error}")


def first_difference(left: Sequence[Any], right: Sequence[Any]) -> int | None:
    """The first index where two sequences differ (a length counts), or None if equal."""
    for i, (a, b) in enumerate(zip(left, right)):
        if a != b:
            return i
    return None if len(left) == len(right) else min(len(left), len(right))


def verdict(what: str, left: tuple[str, Sequence[Any]], right: tuple[str, Sequence[Any]]) -> str:
    """ "WHAT identical: yes", or "no" with the first difference of the two named sequences."""
    (left_name, left_seq), (right_name, right_seq) = left, right
    i = first_difference(left_seq, right_seq)
    if i is None:
        return f"{what} identical: yes ({len(left_seq)})"

    def at(seq: Sequence[Any]) -> str:
        return repr(seq[i]) if i < len(seq) else f"<end, length {len(seq)}>"

    return f"{what} identical: no (first difference at index {i}: {left_name} {at(left_seq)} vs {right_name} {at(right_seq)})"


def identity_lines(names: list[str], vocab_size: int, results: list[RunResult]) -> list[str]:
    """Compare each contender's run-1 model with HF's: exact vocab and merges, or vocab overlap."""
    first_ok = {r.contender: r for r in results if r.vocab_size == vocab_size and r.run == 1 and not r.error}
    reference = first_ok.get(REFERENCE)
    if reference is None:
        return [f"no {REFERENCE} model at vocab {vocab_size}: nothing to compare against"]
    ref = load_hf_json(Path(reference.out_dir))
    lines = []
    for name in names:
        contender = CONTENDERS[name]
        if name == REFERENCE:
            continue
        if contender.load is None:
            lines.append(f"{name}: not compared ({contender.not_compared})")
            continue
        if name not in first_ok:
            lines.append(f"{name}: no model to compare (training failed)")
            continue
        model = contender.load(Path(first_ok[name].out_dir))
        if model.merges is None:
            shared = len(model.vocab.keys() & ref.vocab.keys())
            lines.append(f"{name}: no merge list; vocab overlap with {REFERENCE}: {shared} of {len(ref.vocab)} tokens")
            continue
        by_id = sorted((i, t) for t, i in model.vocab.items())
        ref_by_id = sorted((i, t) for t, i in ref.vocab.items())
        lines.append(f"{name}: " + verdict("vocab", (name, by_id), (REFERENCE, ref_by_id)))
        lines.append(f"{name}: " + verdict("merges", (name, model.merges), (REFERENCE, ref.merges or [])))
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark BPE training (time and peak RSS) of toksmith against HF tokenizers, bpeasy and sentencepiece.",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="text file, or FILE.xz (unpacked once into --cache-dir); default ../shared/corpora/mixed-100M.txt from the repo",
    )
    parser.add_argument(
        "--vocab-size", type=int, action="append", help="vocab size to train (repeatable; default 32000)"
    )
    parser.add_argument(
        "--min-frequency", type=int, default=2, help="min pair frequency for toksmith and hf (default 2)"
    )
    parser.add_argument(
        "--no-regex",
        action="store_true",
        help="no pre-tokenization regex: each line is one word (toksmith pattern=None, HF use_regex=False)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        help=f"runs per contender (default {AUTO_RUNS} if a run trains in under {AUTO_REPEAT_BELOW_S:.0f} s, else 1)",
    )
    parser.add_argument(
        "--only", action="append", help=f"comma-separated contenders (repeatable); default all: {','.join(CONTENDERS)}"
    )
    parser.add_argument(
        "--slice-bytes", type=parse_size, help="train on the first N bytes of the corpus, cut at a line end (e.g. 5M)"
    )
    add_common_args(
        parser, contenders=CONTENDERS, timeout=3600.0, cache_help="where the corpus is unpacked and the models are saved"
    )
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.vocab_size = args.vocab_size or [32000]
    args.only = select_only(parser, args.only, list(CONTENDERS))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(
            args.child, Job(args.corpus, args.vocab_size[0], args.min_frequency, args.out, regex=not args.no_regex)
        )

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    corpus = prepare_corpus(args.corpus, args.cache_dir, args.slice_bytes)
    report = run_facts({name: library_version(CONTENDERS[name].distribution) for name in args.only})
    report["corpus"] = corpus_facts(corpus)
    report["settings"] = {
        "vocab_sizes": args.vocab_size,
        "min_frequency": args.min_frequency,
        "runs": args.runs or "auto",
    }
    print_run_facts(report)
    c = report["corpus"]
    print(f"corpus:   {c['path']} ({c['bytes']:,} bytes, {c['lines']:,} lines, sha256 {c['sha256']})")
    split = "no regex (each line is one word)" if args.no_regex else "GPT-2 pattern"
    print(f"job:      byte-level BPE, {split}, vocab {args.vocab_size}, min_frequency {args.min_frequency}")
    sys.stdout.flush()

    timeout = args.timeout or None
    results: list[RunResult] = []
    identity: dict[int, list[str]] = {}
    for vocab_size in args.vocab_size:
        runs = args.cache_dir / "runs" / f"v{vocab_size}{'-noregex' if args.no_regex else ''}"
        job = Job(corpus, vocab_size, args.min_frequency, runs, regex=not args.no_regex)
        for name in args.only:
            results.extend(bench_contender(name, job, args.runs, timeout))
        identity[vocab_size] = identity_lines(args.only, vocab_size, results)

    summaries = summarize(results)
    print()
    print_table(summaries)
    for vocab_size, lines in identity.items():
        print(f"\nidentity with {REFERENCE} at vocab {vocab_size} (run 1 models):")
        for line in lines:
            print("  " + line)

    if args.json:
        report.update(
            runs=[asdict(r) for r in results],
            summary=[asdict(s) for s in summaries],
            identity={str(v): lines for v, lines in identity.items()},
        )
        write_json(args.json, report)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
