#!/usr/bin/env python3
"""WordPiece benchmark: toksmith against HF tokenizers' BertWordPieceTokenizer, encoding and training.

What it measures
----------------
Every figure comes from its own Python subprocess (the same script, with a hidden
``--child`` option), so that imports, threads and memory do not interfere.

Encoding (``--part encode``), on each corpus, with a BERT vocabulary (uncased,
``--vocab-size``, default 30000) that HF's ``BertWordPieceTokenizer().train`` learns
on that corpus (kept in the cache directory, keyed by the corpus's sha256 and the
vocab size; or ``--vocab PATH`` for a vocab.txt of your own):

* single MB/s  one thread encodes the documents one by one (one call per
               document); input bytes (UTF-8, 1 MB = 10^6 bytes) / wall time of the
               loop. The child runs with RAYON_NUM_THREADS=1 and
               TOKENIZERS_PARALLELISM=false; "cores" (CPU time / wall time) shows
               that one core was used. (HF's single-text encode does not use its
               thread pool anyway: 1.00 cores with neither variable set, measured on
               a 2 MB text and on 4 KB documents; the variables make sure of it);
* batch MB/s   one batch call over all documents on all cores (RAYON_NUM_THREADS and
               num_threads = os.cpu_count(), TOKENIZERS_PARALLELISM=true);
* parity       documents whose ids equal HF's (from the one-by-one calls), and, for
               encode_full, documents whose ids, offsets and type ids all equal HF's;
* peak RSS     the larger VmHWM (MiB) of the single and batch children.

Contenders (rows):

* toksmith              Tokenizer.from_wordpiece_vocab(vocab.txt):
                        encode(doc, allowed_special="all") and
                        encode_batch(docs, num_threads=N, allowed_special="all")
* toksmith encode_full  the same tokenizer, encode_full(doc, allowed_special="all")
                        (ids, tokens, character offsets, type ids, masks); no batch form
* hf                    tokenizers.BertWordPieceTokenizer(vocab.txt): encode(doc).ids
                        and [e.ids for e in encode_batch(docs)]; HF always builds
                        full Encodings (tokens, offsets, masks), so its single figure is
                        best compared with encode_full's

Both add [CLS] and [SEP] and match special-token text in the documents as special
tokens (HF always does; toksmith does with allowed_special="all"). The ratios are
contender MB/s / hf MB/s (above 1: faster than HF). Each figure is the median of
``--runs`` passes (default 3) over the same documents in the same process.

Training (``--part train``), on ``--train-corpus`` (default mixed-100M), vocab
``--vocab-size``, BERT's special tokens, min_frequency 2, limit_alphabet 1000, uncased
BERT normalization, each run in a fresh process:

* toksmith-frequency   toksmith.train(path, model="wordpiece", scoring="frequency")
                       (HF's WordPieceTrainer algorithm)
* toksmith-likelihood  toksmith.train(path, model="wordpiece") (likelihood scoring)
* hf                   BertWordPieceTokenizer().train([path])

with, as in train.py, train s (the training call only), process s (the whole child),
CPU s, peak RSS (VmHWM, MiB), and the ratios of time and memory to HF. Runs: ``--train-runs
N``, or by default 3 when the first run trains in under a minute, else 1. Identity:
toksmith-frequency's special tokens and alphabet must have HF's ids; its token set is
compared with HF's (|A Δ B|), next to HF's own run-to-run difference when HF ran more
than once (HF's "##" ids follow hash order, so HF differs from itself).

The job (defaults)
------------------
Corpora, relative to the repo: ``../shared/corpora/mixed-100M.txt`` and
``../shared/corpora/zh-10M.txt`` (``.xz`` files are unpacked once into the cache
directory, default /tmp/toksmith-bench/; shared/ is only read). For encoding, a corpus
larger than ``--sample-mb`` (default 20) is sampled as encode.py does (every k-th 64 KiB
block of whole lines) and lines are grouped into documents of at least ``--doc-bytes``
(default 4096) bytes. Training uses the whole ``--train-corpus`` (or its first
``--train-slice`` bytes).

``--quick`` is ``--sample-mb 2 --runs 1 --vocab-size 8000 --train-slice 3M
--train-runs 1`` (options given explicitly win), for a check that everything runs.

How to run (from the repo root, after building toksmith)
-------------------------------------------------------
    python bench/wordpiece.py --json bench/wordpiece.json        # the full job
    python bench/wordpiece.py --quick                              # a few MB, one run each
    python bench/wordpiece.py --part encode --corpus ../shared/corpora/zh-10M.txt.xz
    python bench/wordpiece.py --part train --train-slice 20M --only toksmith

The header (machine, library versions, date, exact command, corpora) and the tables it
prints are the source for the figures quoted in notes. ``--json PATH`` writes
``{"bench": "wordpiece", "rows": [...], "commands": [...], ...}``: one row per
(part, corpus, contender), with every figure, for bench/report.py.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shlex
import shutil
import statistics
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    CORPORA,
    Stopwatch,
    add_common_args,
    corpus_facts,
    fill_defaults,
    fmt,
    fresh_dir,
    library_version,
    parse_size,
    plain_corpus,
    print_markdown_table,
    print_run_facts,
    proc_status_mb,
    ratio,
    run_facts,
    run_guarded,
    select_only,
    spawn_child,
    usage_facts,
    write_json,
)
from encode import DIGEST_SIZE, sample_corpus, split_docs, timed
from train import cut_slice

DEFAULT_CORPORA = [CORPORA / "mixed-100M.txt", CORPORA / "zh-10M.txt"]
DEFAULT_TRAIN_CORPUS = CORPORA / "mixed-100M.txt"
DEFAULT_VOCAB_SIZE = 30000
DEFAULT_SAMPLE_MB = 20.0
DEFAULT_DOC_BYTES = 4096
DEFAULT_RUNS = 3
QUICK = {"sample_mb": 2.0, "runs": 1, "vocab_size": 8000, "train_slice": 3_000_000, "train_runs": 1}
AUTO_REPEAT_BELOW_S = 60.0
AUTO_RUNS = 3
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

LIBRARIES = ("toksmith", "hf")
ENCODE_CONTENDERS = ("toksmith", "toksmith encode_full", "hf")
TRAIN_CONTENDERS = ("toksmith-frequency", "toksmith-likelihood", "hf")
CHILD_NAMES = ("toksmith", "toksmith-full", "hf", "toksmith-frequency", "toksmith-likelihood", "hf-vocab")
REFERENCE = "hf"
JOB_FILE = "job.json"
IDS_DIGESTS = "ids.bin"
FULL_DIGESTS = "full.bin"
VOCAB_FILE = "vocab.txt"
MB = 10**6


def library_of(contender: str) -> str:
    return "hf" if contender.startswith("hf") else "toksmith"


# ---------------------------------------------------------------------------
# Child side


@dataclass(frozen=True)
class Job:
    """One child's work, handed over as job.json."""

    phase: str  # "single", "batch", "train" or "vocab"
    out_dir: str
    corpus: str
    vocab: str = ""  # the vocab.txt to encode with (single, batch)
    vocab_size: int = DEFAULT_VOCAB_SIZE
    doc_bytes: int = DEFAULT_DOC_BYTES
    runs: int = DEFAULT_RUNS
    threads: int = 1


def _digest(parts: Sequence[Sequence[int]]) -> bytes:
    h = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for part in parts:
        h.update(array("I", part).tobytes())
        h.update(b"|")
    return h.digest()


def _flat(offsets: Sequence[tuple[int, int]]) -> list[int]:
    return [x for pair in offsets for x in pair]


@dataclass(frozen=True)
class Encoder:
    """A contender's encoding: one document to ids, to the full encoding's digest, and a batch to ids."""

    single: Callable[[str], Any]
    ids: Callable[[Any], list[int]]
    full: Callable[[Any], bytes] | None  # digest of ids, offsets and type ids
    batch: Callable[[list[str], int], list[list[int]]] | None


def load_encoder(name: str, vocab: str) -> Encoder:
    if name == "hf":
        hf = importlib.import_module("tokenizers").BertWordPieceTokenizer(vocab)

        def hf_batch(docs: list[str], threads: int) -> list[list[int]]:
            return [e.ids for e in hf.encode_batch(docs)]  # threads: RAYON_NUM_THREADS, set by the parent

        return Encoder(hf.encode, lambda e: e.ids, lambda e: _digest([e.ids, _flat(e.offsets), e.type_ids]),
                       hf_batch)
    tok = importlib.import_module("toksmith").Tokenizer.from_wordpiece_vocab(vocab)
    if name == "toksmith-full":
        return Encoder(lambda d: tok.encode_full(d, allowed_special="all"), lambda e: list(e.ids),
                       lambda e: _digest([e.ids, _flat(e.offsets), e.type_ids]), None)
    return Encoder(lambda d: tok.encode(d, allowed_special="all"), lambda ids: ids, None,
                   lambda docs, n: tok.encode_batch(docs, num_threads=n, allowed_special="all"))


def throughput_child(name: str, job: Job, out_dir: Path) -> dict[str, Any]:
    """Phase "single" or "batch": timed passes over the documents, then the digests of the results."""
    clock = Stopwatch()
    with clock.phase("read"):
        docs = split_docs(Path(job.corpus).read_bytes(), job.doc_bytes)
    with clock.phase("load"):
        encoder = load_encoder(name, job.vocab)
    rss_mb_loaded = proc_status_mb("VmRSS")
    passes: list[tuple[float, float]] = []
    ids_digests, full_digests, tokens = bytearray(), bytearray(), 0
    if job.phase == "single":

        def one_pass() -> None:
            for doc in docs:
                encoder.single(doc)

        passes = [timed(one_pass)[:2] for _ in range(job.runs)]
        for doc in docs:
            result = encoder.single(doc)
            ids = encoder.ids(result)
            tokens += len(ids)
            ids_digests += _digest([ids])
            if encoder.full is not None:
                full_digests += encoder.full(result)
    else:
        assert encoder.batch is not None
        for run in range(job.runs):
            wall, cpu, outputs = timed(lambda: encoder.batch(docs, job.threads))
            passes.append((wall, cpu))
            if run == 0:
                for ids in outputs:
                    tokens += len(ids)
                    ids_digests += _digest([ids])
            del outputs
    (out_dir / IDS_DIGESTS).write_bytes(bytes(ids_digests))
    if full_digests:
        (out_dir / FULL_DIGESTS).write_bytes(bytes(full_digests))
    return {
        "phases": clock.seconds,
        "rss_mb_loaded": rss_mb_loaded,
        "docs": len(docs),
        "bytes": sum(len(d.encode("utf-8")) for d in docs),
        "tokens": tokens,
        "wall_s": [w for w, _ in passes],
        "cpu_s_passes": [c for _, c in passes],
        **usage_facts(),
    }


def train_child(name: str, job: Job, out_dir: Path) -> dict[str, Any]:
    """Phase "train" (or "vocab": HF's training whose vocab.txt the encoding phases use)."""
    clock = Stopwatch()
    vocab_path = out_dir / VOCAB_FILE
    if name in ("hf", "hf-vocab"):
        with clock.phase("import"):
            from tokenizers import BertWordPieceTokenizer
        hf = BertWordPieceTokenizer()
        with clock.phase("train"):
            hf.train([job.corpus], vocab_size=job.vocab_size, min_frequency=2, limit_alphabet=1000,
                     special_tokens=list(BERT_SPECIALS), show_progress=False)
        with clock.phase("save"):
            (saved,) = hf.save_model(str(out_dir))  # out_dir/vocab.txt
        assert Path(saved).resolve() == vocab_path.resolve(), saved
        trained_vocab = hf.get_vocab_size()
    else:
        with clock.phase("import"):
            import toksmith
        scoring = name.removeprefix("toksmith-")
        with clock.phase("train"):
            tok = toksmith.train(job.corpus, model="wordpiece", scoring=scoring, vocab_size=job.vocab_size,
                                 min_frequency=2, limit_alphabet=1000, special_tokens=BERT_SPECIALS,
                                 show_progress=False)
        with clock.phase("save"):
            tok.save_wordpiece_vocab(vocab_path)
        trained_vocab = tok.vocab_size
    usage = usage_facts()
    return {"phases": clock.seconds, "rss_mb_before": clock.rss_mb_before, "trained_vocab": trained_vocab,
            "vocab_path": str(vocab_path), **usage}


def child_main(name: str, job_file: Path) -> int:
    job = Job(**json.loads(job_file.read_text()))
    out_dir = Path(job.out_dir)

    def body() -> dict[str, Any]:
        if job.phase in ("train", "vocab"):
            return train_child(name, job, out_dir)
        return throughput_child(name, job, out_dir)

    return run_guarded(out_dir, body)


# ---------------------------------------------------------------------------
# Parent side: children


@dataclass
class ChildResult:
    """One child: a contender's phase on one corpus (and one run, for training)."""

    contender: str
    phase: str
    corpus: str
    out_dir: str
    process_s: float
    run: int = 1
    error: str | None = None
    child: dict[str, Any] = field(default_factory=dict)

    @property
    def mb_s(self) -> float | None:
        walls = self.child.get("wall_s")
        return self.child["bytes"] / MB / statistics.median(walls) if walls and not self.error else None

    @property
    def cores(self) -> float | None:
        walls, cpus = self.child.get("wall_s"), self.child.get("cpu_s_passes")
        return statistics.median(c / w for c, w in zip(cpus, walls)) if walls and cpus and not self.error else None

    def digests(self, which: str = IDS_DIGESTS) -> list[bytes] | None:
        path = Path(self.out_dir) / which
        if self.error or not path.exists():
            return None
        data = path.read_bytes()
        return [data[i : i + DIGEST_SIZE] for i in range(0, len(data), DIGEST_SIZE)]


CHILD_OF = {"toksmith": "toksmith", "toksmith encode_full": "toksmith-full", "hf": "hf"}


def child_env(threads: int) -> dict[str, str]:
    """Rayon pools of `threads` threads; HF's own parallelism off for one thread (it would otherwise be allowed
    to use its pool inside a single encode), on for batches."""
    env = dict(os.environ)
    env.update(RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false" if threads == 1 else "true")
    return env


def run_child(name: str, job: Job, label: str, corpus: str, timeout: float | None, run: int = 1) -> ChildResult:
    out_dir = fresh_dir(Path(job.out_dir))
    write_json(out_dir / JOB_FILE, asdict(job))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--job", str(out_dir / JOB_FILE)]
    outcome = spawn_child(command, out_dir, timeout, child_env(job.threads))
    result = ChildResult(label, job.phase, corpus, str(out_dir), outcome.process_s, run, outcome.error, outcome.result)
    print(describe(result), file=sys.stderr, flush=True)
    return result


def describe(r: ChildResult) -> str:
    head = f"[{r.contender} {r.corpus} {r.phase}{'' if r.phase != 'train' else f' run {r.run}'}]"
    if r.error:
        return f"{head} failed: {r.error}"
    c = r.child
    if r.phase in ("train", "vocab"):
        return (f"{head} train {c['phases']['train']:.2f} s, process {r.process_s:.2f} s, CPU {c['cpu_s']:.2f} s, "
                f"peak RSS {c['peak_rss_mb']:.0f} MB, vocab {c['trained_vocab']}")
    return (f"{head} {fmt(r.mb_s, '.2f')} MB/s (passes {', '.join(f'{w:.2f}' for w in c['wall_s'])} s, "
            f"{fmt(r.cores, '.2f')} cores), load {c['phases']['load']:.2f} s, peak RSS {c['peak_rss_mb']:.0f} MB, "
            f"{c['docs']:,} docs, {c['tokens']:,} tokens")


# ---------------------------------------------------------------------------
# Parent side: corpora and vocabularies


@dataclass(frozen=True)
class Corpus:
    name: str
    path: Path
    how: str
    facts: dict[str, Any]
    docs: int


def prepare_encode_corpus(path: Path, cache: Path, sample_bytes: int, doc_bytes: int) -> Corpus:
    plain = plain_corpus(path, cache)
    sample, how = sample_corpus(plain, sample_bytes, cache)
    return Corpus(plain.stem, sample, how, corpus_facts(sample), len(split_docs(sample.read_bytes(), doc_bytes)))


def encode_vocab(corpus: Corpus, args: argparse.Namespace, timeout: float | None) -> tuple[str, str | None]:
    """The vocab.txt for a corpus: --vocab, or HF's training on the corpus (cached): (path, error)."""
    if args.vocab:
        return str(args.vocab.resolve()), None
    key = f"{corpus.name}-{corpus.facts['sha256'][:16]}-v{args.vocab_size}"
    out_dir = args.cache_dir / "wordpiece-vocabs" / key
    if (out_dir / VOCAB_FILE).exists():
        return str(out_dir / VOCAB_FILE), None
    job = Job("vocab", str(out_dir), str(corpus.path), vocab_size=args.vocab_size)
    result = run_child("hf-vocab", job, "hf-vocab", corpus.name, timeout)
    if result.error:
        shutil.rmtree(out_dir, ignore_errors=True)
        return "", f"no vocab for {corpus.name}: HF's training failed ({result.error})"
    return str(out_dir / VOCAB_FILE), None


# ---------------------------------------------------------------------------
# Parent side: summaries


def matches(left: list[bytes] | None, right: list[bytes] | None) -> int | None:
    if left is None or right is None or len(left) != len(right):
        return None
    return sum(a == b for a, b in zip(left, right))


def encode_rows(corpus: Corpus, names: list[str], results: list[ChildResult], threads: int) -> list[dict[str, Any]]:
    mine = {(r.contender, r.phase): r for r in results if r.corpus == corpus.name}
    ref_single = mine.get((REFERENCE, "single"))
    rows: list[dict[str, Any]] = []
    for name in names:
        single, batch = mine.get((name, "single")), mine.get((name, "batch"))
        row: dict[str, Any] = {"part": "encode", "corpus": corpus.name, "contender": name, "docs": corpus.docs,
                               "bytes": corpus.facts["bytes"], "batch_threads": threads, "errors": {}}
        for r in (single, batch):
            if r is not None and r.error:
                row["errors"][r.phase] = r.error
        if single is not None and not single.error:
            row.update(single_mb_s=single.mb_s, single_cores=single.cores, tokens=single.child["tokens"],
                       load_s=single.child["phases"]["load"], loaded_rss_mb=single.child["rss_mb_loaded"])
            ref = ref_single.digests() if ref_single else None
            row["parity"] = matches(single.digests(), ref)
            if (Path(single.out_dir) / FULL_DIGESTS).exists() and ref_single is not None:
                row["full_parity"] = matches(single.digests(FULL_DIGESTS), ref_single.digests(FULL_DIGESTS))
        if batch is not None and not batch.error:
            row.update(batch_mb_s=batch.mb_s, batch_cores=batch.cores)
            row["batch_parity"] = matches(batch.digests(), ref_single.digests() if ref_single else None)
        peaks = [r.child["peak_rss_mb"] for r in (single, batch) if r is not None and not r.error]
        row["peak_rss_mb"] = max(peaks, default=None)
        rows.append(row)
    ref_row = next((r for r in rows if r["contender"] == REFERENCE), {})
    for row in rows:
        row["single_vs_hf"] = ratio(row.get("single_mb_s"), ref_row.get("single_mb_s"))
        row["batch_vs_hf"] = ratio(row.get("batch_mb_s"), ref_row.get("batch_mb_s"))
    return rows


def print_encode_table(corpus: Corpus, rows: list[dict[str, Any]], threads: int) -> None:
    print(f"\n### encode: {corpus.name}: {corpus.facts['bytes']:,} bytes, {corpus.docs:,} documents\n")
    header = ["contender", "single MB/s", "/ hf", "single cores", f"batch MB/s ({threads} threads)", "/ hf",
              "batch cores", "parity (ids)", "parity (ids, offsets, type ids)", "peak RSS MB"]

    def cell(row: dict[str, Any], phase: str, key: str, spec: str) -> str:
        return "failed" if phase in row["errors"] else fmt(row.get(key), spec)

    def parity(row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        return "-" if value is None else f"{value}/{row['docs']}"

    table = [[r["contender"], cell(r, "single", "single_mb_s", ".2f"), fmt(r.get("single_vs_hf"), ".2f"),
              fmt(r.get("single_cores"), ".2f"),
              cell(r, "batch", "batch_mb_s", ".2f") if r["contender"] != "toksmith encode_full" else "n/a",
              fmt(r.get("batch_vs_hf"), ".2f"), fmt(r.get("batch_cores"), ".2f"),
              parity(r, "parity") if r.get("parity") is not None else parity(r, "batch_parity"),
              parity(r, "full_parity"), fmt(r.get("peak_rss_mb"), ".0f")] for r in rows]
    print_markdown_table(header, table)
    for r in rows:
        for phase, error in r["errors"].items():
            print(f"{r['contender']} {phase} failed: {error}")
        if (r.get("single_cores") or 0) > 1.2:
            print(f"{r['contender']}: the single-thread passes used {r['single_cores']:.2f} cores")
        if r.get("batch_parity") is not None and r["batch_parity"] != r["docs"] and r["contender"] != REFERENCE:
            print(f"{r['contender']}: batch ids equal HF's in {r['batch_parity']}/{r['docs']} documents")


def train_rows(results: list[ChildResult], corpus: str, vocab_size: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in dict.fromkeys(r.contender for r in results):
        group = [r for r in results if r.contender == name]
        ok = [r for r in group if not r.error]
        row: dict[str, Any] = {"part": "train", "corpus": corpus, "contender": name, "vocab_size": vocab_size,
                               "runs": len(ok), "error": next((r.error for r in group if r.error), None)}
        if ok:
            train = [r.child["phases"]["train"] for r in ok]
            row.update(train_median_s=statistics.median(train), train_min_s=min(train), train_max_s=max(train),
                       process_median_s=statistics.median(r.process_s for r in ok),
                       cpu_median_s=statistics.median(r.child["cpu_s"] for r in ok),
                       peak_rss_mb=max(r.child["peak_rss_mb"] for r in ok),
                       trained_vocab=ok[0].child["trained_vocab"])
        rows.append(row)
    ref = next((r for r in rows if r["contender"] == REFERENCE), {})
    for row in rows:
        row["time_vs_hf"] = ratio(row.get("train_median_s"), ref.get("train_median_s"))
        row["memory_vs_hf"] = ratio(row.get("peak_rss_mb"), ref.get("peak_rss_mb"))
    return rows


def print_train_table(corpus: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    print(f"\n### train: {Path(corpus['path']).name}: {corpus['bytes']:,} bytes\n")
    header = ["contender", "vocab", "runs", "train s (median)", "min", "max", "process s", "CPU s", "peak RSS MB",
              "time / hf", "memory / hf"]
    table = [[r["contender"], fmt(r.get("trained_vocab"), "d") if r["runs"] else f"({r['vocab_size']})",
              str(r["runs"]) if r["runs"] else "failed", fmt(r.get("train_median_s"), ".2f"),
              fmt(r.get("train_min_s"), ".2f"), fmt(r.get("train_max_s"), ".2f"),
              fmt(r.get("process_median_s"), ".2f"), fmt(r.get("cpu_median_s"), ".2f"),
              fmt(r.get("peak_rss_mb"), ".0f"), fmt(r.get("time_vs_hf"), ".2f"), fmt(r.get("memory_vs_hf"), ".2f")]
             for r in rows]
    print_markdown_table(header, table)
    for r in rows:
        if r["error"]:
            print(f"{r['contender']} failed: {r['error']}")


def read_vocab(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.removesuffix("\n").split("\n") if text else []


def identity_lines(results: list[ChildResult]) -> list[str]:
    """toksmith-frequency's vocab against HF's: the ids of the specials and the alphabet, and |A Δ B|."""
    ok = {}
    for r in results:
        if not r.error:
            ok.setdefault(r.contender, []).append(read_vocab(Path(r.child["vocab_path"])))
    hf_runs = ok.get(REFERENCE, [])
    if not hf_runs:
        return [f"no {REFERENCE} vocab: nothing to compare against"]
    lines = []
    sets = [set(v) for v in hf_runs]
    if len(sets) > 1:
        spread = [len(a ^ b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
        lines.append(f"hf against itself ({len(sets)} runs): |A Δ B| from {min(spread)} to {max(spread)} tokens")

    def fixed(vocab: list[str]) -> list[tuple[int, str]]:
        return [(i, t) for i, t in enumerate(vocab) if t in BERT_SPECIALS or len(t) == 1]

    for name in ("toksmith-frequency", "toksmith-likelihood"):
        if name not in ok:
            continue
        vocab = ok[name][0]
        distances = [len(set(vocab) ^ s) for s in sets]
        same_fixed = fixed(vocab) == fixed(hf_runs[0])
        lines.append(f"{name}: specials and alphabet with HF's ids: {'yes' if same_fixed else 'no'}; "
                     f"size {len(vocab)} (hf {', '.join(str(len(v)) for v in hf_runs)}); "
                     f"|A Δ hf| {', '.join(map(str, distances))} tokens")
    return lines


# ---------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark WordPiece encoding (MB/s, parity with HF) and training (time, peak RSS) of toksmith "
        "against HF tokenizers' BertWordPieceTokenizer.",
    )
    parser.add_argument("--part", choices=("encode", "train", "both"), default="both", help="default both")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="encoding corpus: a text file or FILE.xz (unpacked once into --cache-dir); repeatable; "
                        "default ../shared/corpora/mixed-100M.txt and zh-10M.txt from the repo")
    parser.add_argument("--train-corpus", type=Path, default=DEFAULT_TRAIN_CORPUS,
                        help="training corpus (default ../shared/corpora/mixed-100M.txt)")
    parser.add_argument("--train-slice", type=parse_size,
                        help="train on the first N bytes of the training corpus, cut at a line end (e.g. 5M)")
    parser.add_argument("--vocab-size", type=int, help=f"vocab size, for both parts (default {DEFAULT_VOCAB_SIZE})")
    parser.add_argument("--vocab", type=Path, help="encode with this vocab.txt instead of HF's training on each corpus")
    parser.add_argument("--runs", type=int, help=f"timed encoding passes per figure (default {DEFAULT_RUNS})")
    parser.add_argument("--train-runs", type=int,
                        help=f"training runs per contender (default {AUTO_RUNS} if a run trains in under "
                        f"{AUTO_REPEAT_BELOW_S:.0f} s, else 1)")
    parser.add_argument("--sample-mb", type=float,
                        help=f"sample a larger encoding corpus down to this many 10^6 bytes; 0 for all of it "
                        f"(default {DEFAULT_SAMPLE_MB:g})")
    parser.add_argument("--doc-bytes", type=int, default=DEFAULT_DOC_BYTES,
                        help=f"group lines into documents of at least this many bytes; 0: one line per document "
                        f"(default {DEFAULT_DOC_BYTES})")
    parser.add_argument("--only", action="append",
                        help=f"comma-separated libraries (repeatable); default all: {','.join(LIBRARIES)}")
    parser.add_argument("--quick", action="store_true",
                        help="small settings: --sample-mb 2 --runs 1 --vocab-size 8000 --train-slice 3M --train-runs 1")
    add_common_args(parser, contenders=CHILD_NAMES, timeout=3600.0,
                    cache_help="where corpora are unpacked, vocabularies kept and the children work")
    parser.add_argument("--job", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else {"sample_mb": DEFAULT_SAMPLE_MB, "runs": DEFAULT_RUNS,
                                         "vocab_size": DEFAULT_VOCAB_SIZE, "train_slice": None, "train_runs": None}
    fill_defaults(args, defaults)
    args.corpus = args.corpus or DEFAULT_CORPORA
    args.only = select_only(parser, args.only, LIBRARIES, "librar(ies)")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.job)

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    runs_dir = args.cache_dir / "runs" / "wordpiece"
    timeout = args.timeout or None
    threads = os.cpu_count() or 1
    do_encode, do_train = args.part in ("encode", "both"), args.part in ("train", "both")
    encoders = [c for c in ENCODE_CONTENDERS if library_of(c) in args.only]
    trainers = [c for c in TRAIN_CONTENDERS if library_of(c) in args.only]

    corpora = [prepare_encode_corpus(c, args.cache_dir, int(args.sample_mb * MB), args.doc_bytes)
               for c in args.corpus] if do_encode else []
    train_corpus: Path | None = None
    if do_train:
        train_corpus = plain_corpus(args.train_corpus, args.cache_dir)
        if args.train_slice:
            train_corpus = cut_slice(train_corpus, args.train_slice, args.cache_dir)

    versions = {"toksmith": library_version("toksmith"), "hf": library_version("tokenizers")}
    report = run_facts({k: v for k, v in versions.items() if k in args.only})
    report["corpora"] = [{"how": c.how, "documents": c.docs, **c.facts} for c in corpora]
    report["train_corpus"] = corpus_facts(train_corpus) if train_corpus else None
    report["settings"] = {"part": args.part, "vocab_size": args.vocab_size, "runs": args.runs,
                          "train_runs": args.train_runs or "auto", "threads": threads, "doc_bytes": args.doc_bytes,
                          "sample_mb": args.sample_mb, "train_slice": args.train_slice,
                          "vocab": str(args.vocab) if args.vocab else None, "quick": args.quick}
    print_run_facts(report)
    for c in corpora:
        print(f"corpus:   {c.facts['path']} ({c.facts['bytes']:,} bytes, {c.facts['lines']:,} lines, {c.docs:,} docs,")
        print(f"          sha256 {c.facts['sha256']}): {c.how}")
    if report["train_corpus"]:
        t = report["train_corpus"]
        print(f"train:    {t['path']} ({t['bytes']:,} bytes, {t['lines']:,} lines, sha256 {t['sha256']})")
    rule = f"documents of >= {args.doc_bytes} bytes" if args.doc_bytes > 1 else "one line per document"
    print(f"job:      BERT uncased WordPiece, vocab {args.vocab_size}; encode: {rule}, median of {args.runs} passes, "
          f"batch threads {threads}; train: min_frequency 2, limit_alphabet 1000")
    sys.stdout.flush()

    rows: list[dict[str, Any]] = []
    results: list[ChildResult] = []
    vocabs: dict[str, dict[str, Any]] = {}
    for corpus in corpora:
        vocab, error = encode_vocab(corpus, args, timeout)
        vocabs[corpus.name] = {"path": vocab, "error": error}
        for label in encoders:
            name = CHILD_OF[label]
            phases = [("single", 1)] + ([("batch", threads)] if label != "toksmith encode_full" else [])
            for phase, phase_threads in phases:
                out_dir = runs_dir / "encode" / corpus.name / f"{name}-{phase}"
                if error:
                    results.append(ChildResult(label, phase, corpus.name, str(out_dir), 0.0, error=error))
                    continue
                job = Job(phase, str(out_dir), str(corpus.path), vocab, args.vocab_size, args.doc_bytes, args.runs,
                          phase_threads)
                results.append(run_child(name, job, label, corpus.name, timeout))
        corpus_rows = encode_rows(corpus, encoders, results, threads)
        rows.extend(corpus_rows)

    train_results: list[ChildResult] = []
    identity: list[str] = []
    if do_train and train_corpus is not None:
        for name in trainers:
            wanted, run = args.train_runs or 1, 0
            while run < wanted:
                run += 1
                out_dir = runs_dir / "train" / f"v{args.vocab_size}" / f"{name}-{run}"
                job = Job("train", str(out_dir), str(train_corpus), vocab_size=args.vocab_size)
                r = run_child(name, job, name, train_corpus.stem, timeout, run)
                train_results.append(r)
                if r.error:
                    break
                if args.train_runs is None and run == 1 and r.child["phases"]["train"] < AUTO_REPEAT_BELOW_S:
                    wanted = AUTO_RUNS
        rows.extend(train_rows(train_results, train_corpus.stem, args.vocab_size))
        identity = identity_lines(train_results)

    for corpus in corpora:
        print_encode_table(corpus, [r for r in rows if r["part"] == "encode" and r["corpus"] == corpus.name], threads)
        if vocabs[corpus.name]["path"]:
            print(f"vocab: {vocabs[corpus.name]['path']}")
    if report["train_corpus"]:
        print_train_table(report["train_corpus"], [r for r in rows if r["part"] == "train"])
        print(f"\nidentity with {REFERENCE} at vocab {args.vocab_size} (run 1 of toksmith, every hf run):")
        for line in identity:
            print("  " + line)

    if args.json:
        report.update(bench="wordpiece", rows=rows, commands=[shlex.join(sys.orig_argv)], vocabs=vocabs,
                      identity=identity, children=[asdict(r) for r in results + train_results])
        write_json(args.json, report)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
