#!/usr/bin/env python3
"""Unigram training benchmark: toksmith against SentencePiece and HF tokenizers.

What it measures
----------------
Per corpus, each contender trains a Unigram model of ``--vocab-size`` pieces on the
training split, once per run, in its own Python subprocess (the same script with a
hidden ``--child`` option), so that every figure belongs to that contender alone:

* train s    wall time of the training call only (reading the file, counting,
             seeding, EM and pruning: whatever the library does inside that call);
* CPU s      user + system CPU time of the subprocess (CPU s / train s shows how many
             cores a library keeps busy);
* peak RSS   the subprocess's resident-set high-water mark (VmHWM, MiB, read at the
             end of the child, after the model is saved);
* ratios     median train time and peak RSS divided by SentencePiece's.

Then one more subprocess (``--child eval``, RAYON_NUM_THREADS=1) measures, on the
held-out text (never seen in training):

* bytes/token  UTF-8 bytes of the held-out lines (without their "\\n") divided by the
               number of ids each trained model gives them, one ``encode`` call per
               line: toksmith's model (its saved ``.model``) encoded by toksmith,
               SentencePiece's by ``sentencepiece``, HF's ``tokenizer.json`` by HF
               (``add_special_tokens=False``); "unk" counts the ``<unk>`` ids among them;
* encode MB/s  one thread, one call per line over all held-out lines (median of
               ``--encode-runs`` passes): toksmith ``Tokenizer.from_sentencepiece(M)
               .encode`` against ``SentencePieceProcessor(model_file=M).encode``
               with the SAME model M: toksmith's saved ``.model`` (and, as a second
               row, SentencePiece's own ``.model``), with parity = lines whose ids are
               equal in both libraries.

The job (defaults)
------------------
Corpora: ``../shared/corpora/mixed-100M.txt`` and ``zh-10M.txt`` (relative to the
repo; ``--corpus mixed-100M`` / ``zh-10M`` / a path, repeatable), unpacked once into
the cache directory (default /tmp/toksmith-bench/). ``--sample-mb N`` first replaces
a corpus by a spread sample of about N MB (the lines of every k-th 64 KiB block;
see ``spread_sample``).

Held-out split: a line belongs to 64 KiB block ``offset // 65536`` (offset of its
first byte); the lines of every ``--heldout-every``-th block (blocks 19, 39, 59, ...
by default: 1 in 20, about 5%) are the held-out text, all other lines the training
split. Each line is one sentence/document.

Contenders (vocab 32000 each, special pieces <unk> <s> </s> counted in it):

* toksmith       toksmith.train(train split, model="unigram", vocab_size=32000,
                 character_coverage=0.9995, max_piece_length=16, split_digits=False,
                 byte_fallback=False, num_threads=None (all cores)), saved with
                 save_sentencepiece; its normalization is SentencePiece's "identity"
                 rule with the default whitespace handling (dummy prefix, extra
                 whitespace removed)
* sentencepiece  SentencePieceTrainer.train(input=train split, model_type="unigram",
                 vocab_size=32000, normalization_rule_name="identity",
                 input_sentence_size=0 (all sentences), character_coverage=0.9995,
                 max_sentence_length=65536 bytes (default 4192 would silently skip the
                 longer lines: both corpora have lines up to 8628 bytes),
                 num_threads=2, everything else default); the lines of its log about
                 loaded / skipped sentences are printed
* hf             HF tokenizers models.Unigram, Metaspace pre-tokenizer (and decoder),
                 UnigramTrainer(vocab_size=32000, special_tokens=[<unk>,<s>,</s>],
                 unk_token=<unk>, max_piece_length=16, shrinking_factor=0.75); HF has
                 no character_coverage (every character seen is kept) and does not
                 collapse whitespace. HF Unigram training is slow, so it trains on at
                 most ``--hf-max-mb`` MB (default 20) of the training split: when the
                 split is larger, a spread sample of it (the lines of every k-th
                 64 KiB block of the split, or, when the cap is over half the split,
                 of an evenly spaced fraction of its blocks; cut at a line end), not a
                 prefix (a prefix
                 of mixed-100M is all English dictionary text); the table says what
                 HF trained on. ``--hf-max-mb 0``: the whole split.

A contender that fails or times out (``--timeout``) is reported as failed, with the
error, and the benchmark goes on with the others.

Runs: ``--runs N`` (default 1: SentencePiece takes minutes on mixed-100M); the table
gives the median train time (min-max), the median CPU time and the largest peak RSS.

How to run (from the repo root)
-------------------------------
    python bench/unigram.py --quick                         # 3 MB of each corpus, vocab 8000: checks the script
    python bench/unigram.py --corpus zh-10M --json bench/unigram-zh.json
    python bench/unigram.py --corpus mixed-100M --sample-mb 30

The header (machine, versions, date, command, load average at start and end,
corpus and split) and the tables it prints are the source for figures quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    CORPORA,
    LOG_FILE,
    Stopwatch,
    add_common_args,
    corpus_facts,
    fill_defaults,
    fmt,
    fresh_dir,
    library_version,
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

DEFAULT_CORPORA = ["mixed-100M", "zh-10M"]
REFERENCE = "sentencepiece"
BLOCK_BYTES = 64 * 1024
MB = 10**6
SPECIALS = ["<unk>", "<s>", "</s>"]
CHARACTER_COVERAGE = 0.9995
MAX_PIECE_LENGTH = 16
#: SentencePiece skips (with one log line) sentences longer than max_sentence_length bytes; default 4192.
SPM_MAX_SENTENCE_LENGTH = 1 << 16
SPM_THREADS = 2
#: The SentencePiece log lines worth reporting.
SPM_LOG_PATTERN = re.compile(r"Loaded all|too long|[Ss]kipped|Alphabet size|characters are covered|Adding meta")
QUICK = {"sample_mb": 3.0, "vocab_size": 8000, "hf_max_mb": 3.0, "encode_runs": 1}

MODEL_FILES = {"toksmith": "toksmith.model", "sentencepiece": "spm.model", "hf": "tokenizer.json"}


# ---------------------------------------------------------------------------
# Child side: training


@dataclass(frozen=True)
class TrainJob:
    corpus: Path
    vocab_size: int
    out_dir: Path


def train_toksmith(job: TrainJob, clock: Stopwatch) -> int:
    with clock.phase("import"):
        import toksmith
    with clock.phase("train"):
        tok = toksmith.train(
            str(job.corpus),
            model="unigram",
            vocab_size=job.vocab_size,
            character_coverage=CHARACTER_COVERAGE,
            max_piece_length=MAX_PIECE_LENGTH,
            split_digits=False,
            byte_fallback=False,
            num_threads=None,
            show_progress=False,
        )
    with clock.phase("save"):
        tok.save_sentencepiece(str(job.out_dir / MODEL_FILES["toksmith"]))
    return int(tok.vocab_size)


def train_sentencepiece(job: TrainJob, clock: Stopwatch) -> int:
    with clock.phase("import"):
        import sentencepiece as spm
    prefix = job.out_dir / MODEL_FILES["sentencepiece"].removesuffix(".model")
    with clock.phase("train"):
        # The trainer writes spm.model and spm.vocab itself, so there is no save phase.
        spm.SentencePieceTrainer.train(
            input=str(job.corpus),
            model_prefix=str(prefix),
            model_type="unigram",
            vocab_size=job.vocab_size,
            normalization_rule_name="identity",
            input_sentence_size=0,
            character_coverage=CHARACTER_COVERAGE,
            max_sentencepiece_length=MAX_PIECE_LENGTH,
            max_sentence_length=SPM_MAX_SENTENCE_LENGTH,
            num_threads=SPM_THREADS,
        )
    return int(spm.SentencePieceProcessor(model_file=f"{prefix}.model").get_piece_size())


def train_hf(job: TrainJob, clock: Stopwatch) -> int:
    with clock.phase("import"):
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=job.vocab_size,
        special_tokens=SPECIALS,
        unk_token="<unk>",
        max_piece_length=MAX_PIECE_LENGTH,
        shrinking_factor=0.75,
        show_progress=False,
    )
    with clock.phase("train"):
        tok.train([str(job.corpus)], trainer)
    with clock.phase("save"):
        tok.save(str(job.out_dir / MODEL_FILES["hf"]))
    return int(tok.get_vocab_size())


CONTENDERS: dict[str, tuple[str, Callable[[TrainJob, Stopwatch], int]]] = {
    "toksmith": ("toksmith", train_toksmith),
    "sentencepiece": ("sentencepiece", train_sentencepiece),
    "hf": ("tokenizers", train_hf),
}


def train_child(name: str, job: TrainJob) -> int:
    def body() -> dict[str, Any]:
        clock = Stopwatch()
        trained_vocab = CONTENDERS[name][1](job, clock)
        usage = usage_facts()
        return {
            "phases": clock.seconds,
            "peak_rss_mb": usage["peak_rss_mb"],
            "ru_maxrss_mb": usage["ru_maxrss_mb"],
            "cpu_s": usage["cpu_s"],
            "trained_vocab": trained_vocab,
        }

    return run_guarded(job.out_dir, body)


# ---------------------------------------------------------------------------
# Child side: compression and encoding on the held-out text


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 file without their "\\n" (split on "\\n" only)."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def eval_child(job_file: Path, out_dir: Path) -> int:
    """Bytes per token of each model, and toksmith vs sentencepiece encode speed and parity."""

    def body() -> dict[str, Any]:
        import sentencepiece as spm

        import toksmith

        job = json.loads(job_file.read_text())
        lines = read_lines(Path(job["heldout"]))
        nbytes = sum(len(x.encode("utf-8")) for x in lines)
        models: dict[str, str] = job["models"]  # contender -> model file of its run 1
        compression: dict[str, Any] = {}
        for name, path in models.items():
            try:
                if name == "toksmith":
                    tok = toksmith.Tokenizer.from_sentencepiece(path)
                    encode, unk = tok.encode, tok.token_to_id("<unk>")
                elif name == "sentencepiece":
                    sp = spm.SentencePieceProcessor(model_file=path)
                    encode, unk = sp.encode, sp.unk_id()
                else:
                    from tokenizers import Tokenizer

                    hf = Tokenizer.from_file(path)

                    def encode(text: str, hf: Any = hf) -> list[int]:
                        return hf.encode(text, add_special_tokens=False).ids

                    unk = hf.token_to_id("<unk>")
                start = time.perf_counter()
                tokens = unks = 0
                for line in lines:
                    ids = encode(line)
                    tokens += len(ids)
                    unks += ids.count(unk) if unk is not None else 0
                compression[name] = {
                    "tokens": tokens,
                    "unk_tokens": unks,
                    "bytes_per_token": nbytes / tokens if tokens else None,
                    "seconds": time.perf_counter() - start,
                }
            except Exception as exc:  # noqa: BLE001 - reported per model
                compression[name] = {"error": f"{type(exc).__name__}: {exc}"}

        encode_rows = []
        for trained_by in ("toksmith", "sentencepiece"):
            if trained_by not in models:
                continue
            path = models[trained_by]
            tok = toksmith.Tokenizer.from_sentencepiece(path)
            sp = spm.SentencePieceProcessor(model_file=path)
            ours = [tok.encode(x) for x in lines]  # warm-up pass, kept for parity
            theirs = [sp.encode(x) for x in lines]
            parity = sum(a == b for a, b in zip(ours, theirs))
            first_diff = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
            del ours, theirs
            times: dict[str, list[float]] = {"toksmith": [], "sentencepiece": []}
            for _ in range(job["encode_runs"]):
                for name, enc in (("toksmith", tok.encode), ("sentencepiece", sp.encode)):
                    start = time.perf_counter()
                    for line in lines:
                        enc(line)
                    times[name].append(time.perf_counter() - start)
            encode_rows.append({
                "model": trained_by,
                "model_file": path,
                "parity": parity,
                "lines": len(lines),
                "first_difference_line": first_diff,
                "seconds": times,
                "mb_s": {n: nbytes / MB / statistics.median(t) for n, t in times.items()},
            })
        return {"lines": len(lines), "bytes": nbytes, "compression": compression, "encode": encode_rows,
                "cpu_s": usage_facts()["cpu_s"]}

    return run_guarded(out_dir, body)


# ---------------------------------------------------------------------------
# Parent side: corpus, split, runs, tables


def line_blocks(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, block) of every line (end past its "\\n"); block = start // BLOCK_BYTES."""
    out = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        out.append((start, end, start // BLOCK_BYTES))
        start = end
    return out


def spread_sample(data: bytes, max_bytes: int) -> tuple[bytes, str]:
    """About max_bytes of whole lines spread over all of data, cut at max_bytes, and how they were chosen.

    The lines of every k-th 64 KiB block, k the largest stride that still gives max_bytes; when that
    stride would be 1 (max_bytes over half of data, so every-k-th would be a prefix), an evenly spaced
    selection of about max_bytes / len(data) of the blocks instead (block b when
    floor((b + 1) * r) > floor(b * r), r that fraction).
    """
    blocks = -(-len(data) // BLOCK_BYTES)
    k = blocks // -(-max_bytes // BLOCK_BYTES)
    if k >= 2:
        chosen = lambda b: b % k == 0  # noqa: E731
        how = f"the lines of every {k}-th 64 KiB block"
    else:
        r = max_bytes / len(data)
        chosen = lambda b: int((b + 1) * r) > int(b * r)  # noqa: E731
        how = f"the lines of an evenly spaced {r:.0%} of its 64 KiB blocks"
    parts, taken = [], 0
    for start, end, block in line_blocks(data):
        if chosen(block):
            if taken + end - start > max_bytes:
                break
            parts.append(data[start:end])
            taken += end - start
    return b"".join(parts), how


@dataclass
class Split:
    name: str
    source: dict[str, Any]
    sampled: str
    train: dict[str, Any]
    heldout: dict[str, Any]
    hf_train: dict[str, Any]
    hf_how: str
    train_empty_lines: int


def prepare(corpus: str, args: argparse.Namespace) -> Split:
    path = Path(corpus)
    if not path.suffix and not path.exists():
        path = CORPORA / f"{corpus}.txt"
    plain = plain_corpus(path, args.cache_dir)
    name = plain.stem
    data = plain.read_bytes()
    tag = ""
    sampled = f"the whole of {plain.name}"
    if args.sample_mb and len(data) > args.sample_mb * MB:
        data, how = spread_sample(data, int(args.sample_mb * MB))
        tag = f"-sample{args.sample_mb:g}MB"
        sampled = (f"a spread sample of {plain.name}: {how}, cut at a line end to "
                   f"at most {args.sample_mb:g} MB ({len(data):,} bytes)")
    every = args.heldout_every
    train_parts, heldout_parts = [], []
    for start, end, block in line_blocks(data):
        (heldout_parts if block % every == every - 1 else train_parts).append(data[start:end])
    work = args.cache_dir / "unigram" / f"{name}{tag}-heldout{every}"
    work.mkdir(parents=True, exist_ok=True)
    train_path, heldout_path = work / "train.txt", work / "heldout.txt"
    train_bytes = b"".join(train_parts)
    empty = sum(1 for line in train_parts if line == b"\n")
    train_path.write_bytes(train_bytes)
    heldout_path.write_bytes(b"".join(heldout_parts))
    cap = int(args.hf_max_mb * MB)
    if cap and len(train_bytes) > cap:
        hf_bytes, how = spread_sample(train_bytes, cap)
        hf_path = work / f"hf-train-{args.hf_max_mb:g}MB.txt"
        hf_path.write_bytes(hf_bytes)
        hf_how = (f"CAPPED (--hf-max-mb {args.hf_max_mb:g}): a spread sample of the training split, {how}, "
                  f"{len(hf_bytes):,} bytes")
    else:
        hf_path, hf_how = train_path, "the whole training split"
    return Split(name + tag, corpus_facts(plain), sampled, corpus_facts(train_path), corpus_facts(heldout_path),
                 corpus_facts(hf_path), hf_how, empty)


@dataclass
class RunResult:
    contender: str
    run: int
    out_dir: str
    process_s: float
    error: str | None = None
    train_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    trained_vocab: int | None = None
    log_notes: list[str] = field(default_factory=list)
    child: dict[str, Any] = field(default_factory=dict)


def run_train(name: str, corpus: Path, vocab_size: int, out_dir: Path, run: int, timeout: float | None) -> RunResult:
    fresh_dir(out_dir)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--out", str(out_dir),
               "--train-file", str(corpus), "--vocab-size", str(vocab_size)]
    outcome = spawn_child(command, out_dir, timeout)
    result = RunResult(name, run, str(out_dir), outcome.process_s, error=outcome.error)
    if name == "sentencepiece":
        log = (out_dir / LOG_FILE).read_text(errors="replace").splitlines()
        result.log_notes = [ln.strip() for ln in log if SPM_LOG_PATTERN.search(ln)]
    if not outcome.error:
        c = outcome.result
        result.child = c
        result.train_s, result.cpu_s = c["phases"]["train"], c["cpu_s"]
        result.peak_rss_mb, result.trained_vocab = c["peak_rss_mb"], c["trained_vocab"]
    return result


def describe(r: RunResult) -> str:
    head = f"[{r.contender} run {r.run}]"
    if r.error:
        return f"{head} failed after {r.process_s:.0f} s: {r.error}"
    return (f"{head} train {r.train_s:.2f} s, process {r.process_s:.2f} s, CPU {r.cpu_s:.2f} s, "
            f"peak RSS {r.peak_rss_mb:.0f} MB, vocab {r.trained_vocab}")


def summarize(results: list[RunResult]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.contender for r in results):
        group = [r for r in results if r.contender == name]
        ok = [r for r in group if not r.error]
        s: dict[str, Any] = {"contender": name, "runs": len(ok), "error": next((r.error for r in group if r.error), None)}
        if ok:
            train = [r.train_s for r in ok]
            s.update(train_median_s=statistics.median(train), train_min_s=min(train), train_max_s=max(train),
                     cpu_median_s=statistics.median(r.cpu_s for r in ok),
                     peak_rss_mb=max(r.peak_rss_mb for r in ok), trained_vocab=ok[0].trained_vocab)
        out[name] = s
    ref = out.get(REFERENCE, {})
    for s in out.values():
        s["time_vs_sentencepiece"] = ratio(s.get("train_median_s"), ref.get("train_median_s"))
        s["memory_vs_sentencepiece"] = ratio(s.get("peak_rss_mb"), ref.get("peak_rss_mb"))
    return out


def bench_corpus(split: Split, args: argparse.Namespace) -> dict[str, Any]:
    timeout = args.timeout or None
    runs_dir = args.cache_dir / "runs" / f"unigram-{split.name}-v{args.vocab_size}"
    results: list[RunResult] = []
    for name in args.only:
        corpus = Path(split.hf_train["path"] if name == "hf" else split.train["path"])
        for run in range(1, args.runs + 1):
            results.append(run_train(name, corpus, args.vocab_size, runs_dir / f"{name}-{run}", run, timeout))
            print(describe(results[-1]), file=sys.stderr, flush=True)
            if results[-1].error:
                break
    summary = summarize(results)

    models = {}
    for r in results:
        if r.run == 1 and not r.error:
            model = Path(r.out_dir) / MODEL_FILES[r.contender]
            if model.exists():
                models[r.contender] = str(model)
    evaluation: dict[str, Any] = {}
    if models:
        eval_dir = fresh_dir(runs_dir / "eval")
        job_file = eval_dir / "job.json"
        write_json(job_file, {"heldout": split.heldout["path"], "models": models, "encode_runs": args.encode_runs})
        command = [sys.executable, str(Path(__file__).resolve()), "--child", "eval", "--out", str(eval_dir),
                   "--eval-job", str(job_file)]
        outcome = spawn_child(command, eval_dir, timeout, env={**os.environ, "RAYON_NUM_THREADS": "1"})
        evaluation = outcome.result
        if outcome.error:
            evaluation["error"] = outcome.error
        print(f"[eval] {'failed: ' + outcome.error if outcome.error else 'done'} in {outcome.process_s:.1f} s",
              file=sys.stderr, flush=True)
    return {"split": asdict(split), "runs": [asdict(r) for r in results], "summary": summary, "eval": evaluation}


def print_corpus(split: Split, bench: dict[str, Any], args: argparse.Namespace) -> None:
    mb = lambda facts: f"{facts['bytes'] / MB:.2f} MB, {facts['lines']:,} lines"  # noqa: E731
    print(f"\n## {split.name}\n")
    print(f"source:    {split.source['path']} ({mb(split.source)}, sha256 {split.source['sha256']}); using {split.sampled}")
    print(f"train:     {mb(split.train)} (all lines except those of every {args.heldout_every}-th 64 KiB block; "
          f"{split.train_empty_lines:,} of them empty)")
    print(f"held out:  {mb(split.heldout)} (the lines of 64 KiB blocks {args.heldout_every - 1}, "
          f"{2 * args.heldout_every - 1}, ... of the {'sample' if split.sampled.startswith('a spread') else 'corpus'})")
    if "hf" in args.only:
        print(f"hf trains on: {split.hf_how} ({mb(split.hf_train)})")
    print()
    summary, ev = bench["summary"], bench["eval"]
    compression = ev.get("compression", {})
    header = ["trainer", "trained on", "vocab", "runs", "train s, median (min-max)", "CPU s", "peak RSS MB",
              "time / spm", "memory / spm", "bytes/token (held out)", "unk tokens"]
    rows = []
    for name in args.only:
        s = summary.get(name, {})
        on = f"{(split.hf_train if name == 'hf' else split.train)['bytes'] / MB:.1f} MB"
        if name == "hf" and split.hf_train["path"] != split.train["path"]:
            on += " (capped)"
        c = compression.get(name, {})
        bpt = fmt(c.get("bytes_per_token"), ".3f") if "error" not in c else "eval failed"
        if not s.get("runs"):
            rows.append([name, on, f"({args.vocab_size})", "failed", "-", "-", "-", "-", "-", "-", "-"])
            continue
        rows.append([name, on, str(s["trained_vocab"]), str(s["runs"]),
                     f"{s['train_median_s']:.2f} ({s['train_min_s']:.2f}-{s['train_max_s']:.2f})",
                     fmt(s["cpu_median_s"], ".1f"), fmt(s["peak_rss_mb"], ".0f"),
                     fmt(s["time_vs_sentencepiece"], ".2f"), fmt(s["memory_vs_sentencepiece"], ".2f"), bpt,
                     f"{c['unk_tokens']:,}" if "unk_tokens" in c else "-"])
    print_markdown_table(header, rows)
    for name in args.only:
        s = summary.get(name, {})
        if s.get("error"):
            print(f"{name} failed: {s['error']}")
        if "error" in compression.get(name, {}):
            print(f"{name} held-out evaluation failed: {compression[name]['error']}")
    if ev.get("error"):
        print(f"evaluation child failed: {ev['error']}")
    notes = next((r["log_notes"] for r in bench["runs"] if r["contender"] == "sentencepiece"), [])
    if notes:
        print(f"\nsentencepiece log (run 1; it skips empty lines: {split.train['lines']:,} lines in the training "
              f"split - {split.train_empty_lines:,} empty = {split.train['lines'] - split.train_empty_lines:,}):")
        for line in notes:
            print("  " + line)
    if ev.get("encode"):
        print(f"\nEncode, one thread, one call per held-out line ({ev['lines']:,} lines, {ev['bytes'] / MB:.2f} MB), "
              f"median of {args.encode_runs} pass(es); the same .model loaded in both libraries:\n")
        rows = []
        for e in ev["encode"]:
            ours, theirs = e["mb_s"]["toksmith"], e["mb_s"]["sentencepiece"]
            rows.append([f"{e['model']}'s .model", f"{ours:.2f}", f"{theirs:.2f}", f"{ours / theirs:.2f}",
                         f"{e['parity']:,}/{e['lines']:,}"])
        print_markdown_table(["model", "toksmith MB/s", "sentencepiece MB/s", "toksmith / spm",
                              "parity (lines with equal ids)"], rows)
        for e in ev["encode"]:
            if e["first_difference_line"] is not None:
                print(f"{e['model']}'s model: first held-out line with different ids: {e['first_difference_line']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Unigram training (time, peak RSS, held-out bytes/token) of toksmith against "
        "SentencePiece and HF tokenizers, and toksmith's encode against sentencepiece's on the same model."
    )
    parser.add_argument("--corpus", action="append",
                        help="mixed-100M, zh-10M (in ../shared/corpora) or a path, .xz or plain (repeatable; "
                        "default both)")
    parser.add_argument("--vocab-size", type=int, help="vocab size, special pieces included (default 32000)")
    parser.add_argument("--runs", type=int, default=1, help="training runs per contender (default 1)")
    parser.add_argument("--only", action="append",
                        help=f"comma-separated contenders (repeatable); default all: {','.join(CONTENDERS)}")
    parser.add_argument("--sample-mb", type=float,
                        help="use a spread sample of about N MB of each corpus (every k-th 64 KiB block)")
    parser.add_argument("--heldout-every", type=int, default=20,
                        help="hold out the lines of every N-th 64 KiB block (default 20: 5%%)")
    parser.add_argument("--hf-max-mb", type=float,
                        help="train HF on at most N MB of the training split, a spread sample (default 20; 0: no cap)")
    parser.add_argument("--encode-runs", type=int, help="passes over the held-out text for encode MB/s (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="check the script: 3 MB sample, vocab 8000, HF cap 3 MB, 1 encode pass "
                        "(explicit options win)")
    add_common_args(parser, contenders=[*CONTENDERS, "eval"], timeout=3600.0,
                    cache_help="where corpora are unpacked, split and models saved")
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--train-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--eval-job", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {"sample_mb": 0.0, "vocab_size": 32000, "hf_max_mb": 20.0, "encode_runs": 3}
    fill_defaults(args, {key: QUICK[key] if args.quick else value for key, value in defaults.items()})
    args.corpus = args.corpus or DEFAULT_CORPORA
    args.only = select_only(parser, args.only, list(CONTENDERS))
    if args.heldout_every < 2:
        parser.error("--heldout-every must be at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "eval":
        return eval_child(args.eval_job, args.out)
    if args.child:
        return train_child(args.child, TrainJob(args.train_file, args.vocab_size, args.out))

    load_start = os.getloadavg()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    report = run_facts({"toksmith": library_version("toksmith"),
                        **{n: library_version(CONTENDERS[n][0]) for n in args.only if n != "toksmith"}})
    report["load_average_start"] = list(load_start)
    report["settings"] = {
        "vocab_size": args.vocab_size, "runs": args.runs, "heldout_every": args.heldout_every,
        "block_bytes": BLOCK_BYTES, "sample_mb": args.sample_mb, "hf_max_mb": args.hf_max_mb,
        "encode_runs": args.encode_runs, "quick": args.quick, "contenders": args.only,
        "character_coverage": CHARACTER_COVERAGE, "max_piece_length": MAX_PIECE_LENGTH,
        "spm_max_sentence_length": SPM_MAX_SENTENCE_LENGTH, "spm_num_threads": SPM_THREADS,
    }
    print_run_facts(report)
    print("load avg: {:.2f} {:.2f} {:.2f} (1, 5, 15 min) at start".format(*load_start))
    print(f"job:      Unigram, vocab {args.vocab_size}, character_coverage {CHARACTER_COVERAGE}, max piece length "
          f"{MAX_PIECE_LENGTH}; toksmith num_threads=None (all cores), sentencepiece num_threads={SPM_THREADS}, "
          f"identity normalization, input_sentence_size=0, max_sentence_length={SPM_MAX_SENTENCE_LENGTH}; "
          f"hf: Metaspace pre-tokenizer, capped at {args.hf_max_mb:g} MB; {args.runs} run(s) each"
          + ("; --quick: figures not for quoting" if args.quick else ""))
    sys.stdout.flush()

    report["corpora"] = []
    for corpus in args.corpus:
        split = prepare(corpus, args)
        bench = bench_corpus(split, args)
        print_corpus(split, bench, args)
        sys.stdout.flush()
        report["corpora"].append({"name": split.name, **bench})

    load_end = os.getloadavg()
    report["load_average_end"] = list(load_end)
    print("\nload avg: {:.2f} {:.2f} {:.2f} (1, 5, 15 min) at end".format(*load_end))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.json, report)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
