#!/usr/bin/env python3
"""Run the benchmarks and write bench/RESULTS.md, with the charts beside it.

What it does
------------
Each *job* runs one bench script as a child process with ``--json`` (its
figures) and its output saved to a log, in a work directory (default
/tmp/toksmith-bench/report/<date>):

* ``encode``   bench/encode.py: tiktoken-compatible encoding against tiktoken and its peers;
* ``train``    bench/train.py: BPE training against HF tokenizers, bpeasy, sentencepiece;
* ``compare``  ``tok compare`` on the benchmark corpora: token counts by script
               (cl100k_base, o200k_base, and the model toksmith trained in the
               ``train`` job when it ran in the same report);
* ``unigram``  bench/unigram.py: Unigram training against SentencePiece and HF, and encoding
               against sentencepiece on the same ``.model``;
* ``wordpiece`` bench/wordpiece.py: WordPiece encoding and training against HF;
* any other ``bench/NAME.py`` (model-specific benchmarks, as they are added):
  run with ``--json``, and its Markdown tables taken from its output.

``--quick`` runs each of them with small settings (QUICK_ARGS; about a minute and a
half in all on 2 cores); a script without quick settings is skipped then.

Then RESULTS.md is written from the saved JSON: the machine (CPU, cores, RAM,
OS, Python, load average when each job started), the versions of toksmith and
of every peer, the date and the exact command of each job, the tables (peers
side by side, ratios to the reference; for unigram and wordpiece, the training
and the encoding tables of each corpus, with the command and the corpus, a peer that
failed shown as failed and HF's capped training sample marked), and PNG charts
(RESULTS-*.png beside the Markdown file, when matplotlib is installed). ``--reuse DIR`` rebuilds RESULTS.md from a work
directory (every ``encode*.json``, ``train*.json``, ``compare*.json`` and other
``NAME*.json`` with its log) without running anything.

How to run (from the repo root, after building toksmith; a full run takes
about half an hour and wants a quiet machine)
-----------------------------------------------------------------------------
    python bench/report.py                                # every job, default settings
    python bench/report.py --quick                        # small settings: checks the pipeline in minutes
    python bench/report.py --only encode,compare --args encode="--long off"
    python bench/report.py --job train:v100k="--vocab-size 100000 --only toksmith,hf"
    python bench/report.py --reuse bench/results/2026-11-24
    python bench/report.py --quick --work-dir /tmp/q --results /tmp/q/RESULTS.md   # leaves bench/ alone
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import CORPORA, DEFAULT_CACHE, machine_facts, ratio, write_json

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
STANDARD = ("encode", "train", "compare")
COMPARE_CORPORA = (CORPORA / "mixed-100M.txt", CORPORA / "zh-10M.txt")
COMPARE_TOKENIZERS = ("cl100k_base", "o200k_base")
#: Small settings per job for --quick (a few seconds to a minute each).
QUICK_ARGS: dict[str, list[str]] = {
    "encode": ["--sample-mb", "1", "--runs", "1", "--rounds", "1", "--long", "off"],
    "train": ["--slice-bytes", "2M", "--vocab-size", "2000", "--runs", "1"],
    "compare": ["--passes", "1", "--throughput-mb", "1"],
    # 2 MB of each corpus, vocab 8000, HF capped at 1 MB (so the cap shows), 1 block in 5 held out (a 2 MB
    # sample has too few blocks for 1 in 20): about 40 s on 2 cores.
    "unigram": ["--quick", "--sample-mb", "2", "--hf-max-mb", "1", "--heldout-every", "5"],
    # 1 MB of each corpus to encode, vocab 8000, training on the first 1 MB of mixed-100M: about 10 s.
    "wordpiece": ["--quick", "--sample-mb", "1", "--train-slice", "1M"],
}
QUICK_CORPUS_BYTES = 1_000_000


# ---------------------------------------------------------------------------
# Jobs


@dataclass(frozen=True)
class Job:
    """One bench run: its name (the stem of its JSON and log), the script, and the script's arguments."""

    name: str
    script: str
    args: tuple[str, ...] = ()
    quick: bool = False


def bench_scripts() -> list[str]:
    """The bench scripts of this directory (not the helpers, not this report)."""
    return sorted(p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.stem != "report")


def parse_jobs(args: argparse.Namespace) -> list[Job]:
    scripts = bench_scripts() + ["compare"]
    names = [n.strip() for part in (args.only or [",".join(dict.fromkeys([*STANDARD, *scripts]))])
             for n in part.split(",") if n.strip()]
    unknown = sorted(set(names) - set(scripts))
    if unknown:
        raise SystemExit(f"report.py: unknown job(s) {', '.join(unknown)}; known: {', '.join(sorted(set(scripts)))}")
    extra = {}
    for item in args.args or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"report.py: --args takes NAME=ARGS, got {item!r}")
        extra[name] = shlex.split(value)
    jobs = []
    for name in dict.fromkeys(names):
        quick = QUICK_ARGS.get(name) if args.quick else []
        if quick is None:
            print(f"report.py: no quick settings for {name}.py; skipped (run it without --quick)", file=sys.stderr)
            continue
        jobs.append(Job(name, name, tuple(quick + extra.get(name, [])), args.quick))
    for item in args.job or []:
        head, sep, value = item.partition("=")
        script, _, tag = head.partition(":")
        if script not in scripts or not tag:
            raise SystemExit(f"report.py: --job takes SCRIPT:TAG=ARGS with SCRIPT in {', '.join(scripts)}: {item!r}")
        jobs.append(Job(f"{script}-{tag}", script, tuple(QUICK_ARGS.get(script, []) if args.quick else [])
                        + tuple(shlex.split(value)), args.quick))
    return jobs


def quick_corpus(source: Path, work: Path) -> Path:
    """The first QUICK_CORPUS_BYTES of a corpus (FILE or FILE.xz), cut at a line end, in the work directory."""
    import lzma

    packed = source.with_name(source.name + ".xz")
    target = work / f"{source.stem}.first-{QUICK_CORPUS_BYTES}B.txt"
    if not target.exists():
        opener = (lambda: source.open("rb")) if source.exists() else (lambda: lzma.open(packed, "rb"))
        with opener() as f:
            head = f.read(QUICK_CORPUS_BYTES)
        target.write_bytes(head[: head.rfind(b"\n") + 1])
    return target


def command_of(job: Job, json_path: Path, work: Path, trained: list[str]) -> list[str]:
    if job.script != "compare":
        return [sys.executable, str(BENCH / f"{job.script}.py"), *job.args, "--json", str(json_path)]
    corpora = [str(quick_corpus(c, work)) if job.quick else str(c) for c in COMPARE_CORPORA]
    return [sys.executable, "-m", "toksmith", "compare", *COMPARE_TOKENIZERS, *trained, "--corpus", *corpora,
            "--format", "json", "-o", str(json_path), *job.args]


def trained_models(json_path: Path) -> list[str]:
    """LABEL=PATH of the tokenizer.json toksmith saved in a train job's first run, for the compare job."""
    if not json_path.exists():
        return []
    data = json.loads(json_path.read_text())
    for run in data.get("runs", []):
        model = Path(run["out_dir"]) / "tokenizer.json"
        if run["contender"] == "toksmith" and not run.get("error") and model.exists():
            corpus = Path(data["corpus"]["path"]).name.split(".")[0]
            return [f"toksmith-bbpe-{run['vocab_size']}-{corpus}={model}"]
    return []


def run_jobs(jobs: Sequence[Job], work: Path, timeout: float | None) -> None:
    work.mkdir(parents=True, exist_ok=True)
    trained: list[str] = []
    for job in jobs:
        json_path, log_path = work / f"{job.name}.json", work / f"{job.name}.log"
        if job.script == "compare":
            trained = trained or trained_models(work / "train.json")
        command = command_of(job, json_path, work, trained)
        meta = {"command": shlex.join(command), "cwd": str(REPO), "date": now(),
                "load_average": list(os.getloadavg())}
        print(f"report.py: {job.name}: {meta['command']}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        with log_path.open("wb") as log:
            try:
                code: int | None = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                                  timeout=timeout, check=False).returncode
            except subprocess.TimeoutExpired:
                code = None
        meta.update(seconds=round(time.perf_counter() - start, 1), returncode=code)
        write_json(work / f"{job.name}.meta.json", meta)
        status = "timed out" if code is None else f"exit {code}"
        print(f"report.py: {job.name}: {status} after {meta['seconds']} s (log {log_path})", file=sys.stderr)


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------
# Rendering


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def short(value: float | None) -> str:
    """A bar label: three significant digits, no exponent."""
    return "-" if value is None else f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]], numbers: bool = True, labels: int = 1) -> str:
    """A Markdown table; with ``numbers`` every column but the first ``labels`` ones is right-aligned."""
    right = "---:" if numbers else "---"
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(["---"] * labels + [right] * (len(header) - labels)) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Saved:
    """A job's saved output: its name, JSON figures, metadata (command, date, load) and log."""

    name: str
    data: dict[str, Any]
    meta: dict[str, Any]
    log: str

    @property
    def kind(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def command(self) -> str:
        return self.meta.get("command") or self.data.get("command") or "?"

    @property
    def date(self) -> str:
        return self.meta.get("date") or self.data.get("date") or "?"


def load_saved(work: Path) -> list[Saved]:
    """Every job saved in a work directory: NAME.json, NAME.meta.json, NAME.log (a failed job may lack its JSON)."""
    if not work.is_dir():
        raise SystemExit(f"report.py: {work}: no such directory")
    names = {p.name.removesuffix(".meta.json").removesuffix(".json") for p in work.glob("*.json")}
    saved = []
    for name in names:
        path, meta_path, log_path = work / f"{name}.json", work / f"{name}.meta.json", work / f"{name}.log"
        saved.append(Saved(
            name,
            json.loads(path.read_text(encoding="utf-8")) if path.exists() else {},
            json.loads(meta_path.read_text()) if meta_path.exists() else {},
            log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else "",
        ))
    order = {k: i for i, k in enumerate(STANDARD)}
    return sorted(saved, key=lambda s: (order.get(s.kind, len(order)), s.name))


def versions(saved: Sequence[Saved]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in saved:
        out.update(s.data.get("versions", {}))
        if s.kind == "compare":
            out.setdefault("toksmith", s.data["settings"]["toksmith_version"])
    return out


def machine_section(saved: Sequence[Saved]) -> str:
    m = next((s.data["machine"] for s in saved if "machine" in s.data), None) or machine_facts()
    rows = [["CPU", f"{m['cpu']}, {m['nproc']} cores"], ["RAM", f"{m['ram_gib']} GiB"], ["OS", m["os"]],
            ["Python", m["python"]]]
    rows += [["library versions", ", ".join(f"{k} {v}" for k, v in versions(saved).items())]]
    out = [md_table(["machine", ""], rows, numbers=False), "",
           "Jobs (date, exact command, run from the repo root):", ""]
    for s in saved:
        load = s.meta.get("load_average")
        load_note = f"; load average {load[0]:.2f} when it started" if load else ""
        failed = not s.data or (bool(s.meta) and s.meta.get("returncode") != 0)
        out.append(f"- `{s.name}` ({s.date}{load_note}{'; FAILED, see its log' if failed else ''}): `{s.command}`")
    return "\n".join(out)


def encode_section(s: Saved) -> tuple[str, dict[str, Any]]:
    tables: dict[str, list[dict[str, Any]]] = s.data["tables"]
    columns = list(tables)
    contenders = list(dict.fromkeys(row["contender"] for rows in tables.values() for row in rows))
    cell = {(key, r["contender"]): r for key, rows in tables.items() for r in rows}

    def headline(value: str, ratio: str) -> str:
        rows = []
        for c in contenders:
            cells = [f"**{c}**" if c == "toksmith" else c]
            for key in columns:
                r = cell.get((key, c), {})
                cells.append(f"{fmt(r.get(value), '.1f')} ({fmt(r.get(ratio), '.2f')}x)" if r.get(value) else "failed")
            rows.append(cells)
        return md_table(["contender"] + [k.replace(" x ", ", ") for k in columns], rows)

    settings = s.data["settings"]
    if not tables:  # `encode.py --long only`: the long-pieces check alone
        out = [f"The long-pieces check alone (`--long only`), median of {settings['runs']} passes."]
        return _long_pieces(s, out), {"columns": [], "contenders": [], "single": {}, "batch": {}}
    rounds = settings.get("rounds", 1)
    passes = (f"median of {settings['runs']} passes" if rounds == 1 else
              f"median of {rounds * settings['runs']} passes ({rounds} rounds of every contender, each child "
              f"a warm-up pass then {settings['runs']} timed)")
    out = [f"MB/s (10^6 bytes per second) and, in brackets, the ratio to tiktoken. One thread calls "
           f"`encode_ordinary` once per document of >= {settings['doc_bytes']} bytes; {passes}.", "",
           "**One thread**", "", headline("single_mb_s", "single_vs_tiktoken"),
           "", f"**Batch, {settings['threads']} threads**", "", headline("batch_mb_s", "batch_vs_tiktoken"), ""]
    detail = []
    for key, rows in tables.items():
        for r in rows:
            parity = "-" if r.get("parity") is None else f"{r['parity']}/{r['docs']}"
            detail.append([key.replace(" x ", ", "), r["contender"], parity, fmt(r.get("peak_rss_mb"), ".0f"),
                           fmt(r.get("load_s"), ".2f"), f"{r['tokens']:,}" if r.get("tokens") else "-"])
    out += ["Parity (documents whose ids equal tiktoken's), peak RSS and load time:", "",
            md_table(["corpus, encoding", "contender", "parity", "peak RSS MB", "load s", "tokens"], detail)]
    corpora = [f"{Path(c['path']).name}: {c['bytes']:,} bytes, {c['documents']:,} documents ({c['how']})"
               for c in s.data.get("corpora", [])]
    out += ["", "Corpora: " + "; ".join(corpora) + "."]
    chart = {"columns": columns, "contenders": contenders,
             "single": {c: [cell.get((k, c), {}).get("single_mb_s") for k in columns] for c in contenders},
             "batch": {c: [cell.get((k, c), {}).get("batch_mb_s") for k in columns] for c in contenders}}
    return _long_pieces(s, out), chart


def _long_pieces(s: Saved, out: list[str]) -> str:
    """`out` and, when the job ran it, the long-pieces table."""
    long_rows = []
    for run in s.data.get("runs", []):
        if run["phase"] != "long" or run.get("error"):
            continue
        sizes = {x["chars"]: statistics.median(x["seconds"]) for x in run["child"]["sizes"]}
        small, large = sizes.get(min(sizes, default=0)), sizes.get(max(sizes, default=0))
        long_rows.append([run["contender"], run["encoding"], run["subject"],
                          *(f"{sizes[n]:.3f}" for n in sorted(sizes)), fmt(large / small if small else None, ".1f")])
    if long_rows:
        first_long = next(r for r in s.data["runs"] if r["phase"] == "long" and not r.get("error"))
        sizes_header = [f"{n:,} chars, s" for n in sorted(x["chars"] for x in first_long["child"]["sizes"])]
        out += ["", "Long pieces (one huge pre-token; about 4 is linear growth, 16 quadratic):", "",
                md_table(["contender", "encoding", "text", *sizes_header, "t(max) / t(min)"], long_rows)]
    return "\n".join(out)


def train_section(s: Saved) -> tuple[str, dict[str, Any]]:
    corpus = s.data["corpus"]
    settings = s.data["settings"]
    regex = "no regex (each line one word)" if "--no-regex" in s.command else "GPT-2 pattern"
    out = [f"`{s.name}`: byte-level BPE, {regex}, vocab {settings['vocab_sizes']}, min_frequency "
           f"{settings['min_frequency']}, on {Path(corpus['path']).name} ({corpus['bytes']:,} bytes, "
           f"{corpus['lines']:,} lines).", ""]
    rows = []
    for x in s.data["summary"]:
        name = f"**{x['contender']}**" if x["contender"] == "toksmith" else x["contender"]
        if x.get("error"):
            rows.append([name, str(x["vocab_size"]), "failed", "-", "-", "-", "-", "-"])
            continue
        rows.append([name, str(x["trained_vocab"]), str(x["runs"]),
                     f"{x['train_median_s']:.2f} ({x['train_min_s']:.2f}-{x['train_max_s']:.2f})",
                     fmt(x["cpu_median_s"], ".1f"), fmt(x["peak_rss_mb"], ".0f"), fmt(x["time_vs_hf"], ".2f"),
                     fmt(x["memory_vs_hf"], ".2f")])
    out.append(md_table(["trainer", "vocab", "runs", "train s, median (min-max)", "CPU s", "peak RSS MB",
                         "time / HF", "memory / HF"], rows))
    identity = [line for lines in s.data.get("identity", {}).values() for line in lines]
    if identity:
        out += ["", "Identity with HF (run 1 models): " + "; ".join(identity) + "."]
    chart = {x["contender"]: (x["train_median_s"], x["peak_rss_mb"]) for x in s.data["summary"] if not x.get("error")}
    return "\n".join(out), chart


def compare_section(s: Saved) -> str:
    import toksmith

    return toksmith.Comparison.from_dict(s.data).to_markdown().replace("\n### ", "\n#### ")


def bold(contender: str) -> str:
    return f"**{contender}**" if contender.startswith("toksmith") else contender


def mb_lines(facts: dict[str, Any]) -> str:
    return f"{facts['bytes'] / 1e6:.2f} MB, {facts['lines']:,} lines"


def command_note(s: Saved) -> str:
    """The line that opens a model-specific section: the exact command, its date, and the load when known."""
    load = s.meta.get("load_average") or s.data.get("load_average_start")
    end = s.data.get("load_average_end")
    notes = [s.date]
    if load:
        notes.append(f"load average {load[0]:.2f} at start" + (f", {end[0]:.2f} at end" if end else ""))
    return f"Command ({'; '.join(notes)}; from the repo root): `{s.command}`"


def quick_note(settings: dict[str, Any]) -> str:
    return " Small `--quick` settings: the figures check the pipeline and are not for quoting." \
        if settings.get("quick") else ""


UNIGRAM_REFERENCE = "sentencepiece"
WORDPIECE_REFERENCE = "hf"


def unigram_section(s: Saved) -> tuple[str, dict[str, dict[str, tuple[float | None, float | None]]]]:
    """bench/unigram.py's JSON: per corpus, the training table (ratios to SentencePiece, held-out bytes per
    token) and the encoding table (toksmith against sentencepiece on the same .model); and the chart's figures,
    {corpus: {contender: (median train s, peak RSS MB)}}."""
    settings = s.data["settings"]
    ref = UNIGRAM_REFERENCE
    out = [command_note(s), "",
           f"Unigram, vocab {settings['vocab_size']} (special pieces included), character_coverage "
           f"{settings['character_coverage']}, max piece length {settings['max_piece_length']}; "
           f"{settings['runs']} training run(s) per contender, each in its own process (train s: the training "
           f"call; peak RSS: the process's VmHWM); held out: the lines of every {settings['heldout_every']}-th "
           f"{settings['block_bytes'] // 1024} KiB block, never trained on. Ratios: toksmith or hf / {ref}."
           + quick_note(settings)]
    chart: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for corpus in s.data["corpora"]:
        split, summary, ev = corpus["split"], corpus["summary"], corpus.get("eval") or {}
        compression = ev.get("compression", {})
        contenders = list(dict.fromkeys([*settings.get("contenders", []), *summary]))
        capped = split["hf_train"]["path"] != split["train"]["path"]
        source = split["source"]
        text = (f"Corpus: {Path(source['path']).name} ({mb_lines(source)}), using {split['sampled']}. Training "
                f"split {mb_lines(split['train'])}; held out {mb_lines(split['heldout'])}.")
        if "hf" in contenders:
            text += f" hf trains on {split['hf_how']} ({mb_lines(split['hf_train'])})."
        out += ["", f"### {corpus['name']}", "", text, "", "**Training**", ""]
        ref_row = summary.get(ref, {})
        rows, notes = [], []
        for c in contenders:
            x = summary.get(c, {})
            on = split["hf_train"] if c == "hf" else split["train"]
            trained_on = f"{on['bytes'] / 1e6:.2f} MB" + (" (capped)" if c == "hf" and capped else "")
            ev_c = compression.get(c, {})
            bpt = "eval failed" if "error" in ev_c else fmt(ev_c.get("bytes_per_token"), ".3f")
            unk = f"{ev_c['unk_tokens']:,}" if "unk_tokens" in ev_c else "-"
            if x.get("error"):
                notes.append(f"{c} failed: {x['error']}")
            if "error" in ev_c:
                notes.append(f"{c}: held-out evaluation failed: {ev_c['error']}")
            if not x.get("runs"):
                status = "failed" if x.get("error") else "not run"
                rows.append([bold(c), trained_on, f"({settings['vocab_size']})", status, "-", "-", "-", "-", "-", "-",
                             "-"])
                chart.setdefault(corpus["name"], {})[c] = (None, None)
                continue
            rows.append([bold(c), trained_on, str(x["trained_vocab"]), str(x["runs"]),
                         f"{x['train_median_s']:.2f} ({x['train_min_s']:.2f}-{x['train_max_s']:.2f})",
                         fmt(x.get("cpu_median_s"), ".1f"), fmt(x.get("peak_rss_mb"), ".0f"),
                         fmt(ratio(x["train_median_s"], ref_row.get("train_median_s")), ".2f"),
                         fmt(ratio(x.get("peak_rss_mb"), ref_row.get("peak_rss_mb")), ".2f"), bpt, unk])
            chart.setdefault(corpus["name"], {})[c] = (x["train_median_s"], x.get("peak_rss_mb"))
        out.append(md_table(["trainer", "trained on", "vocab", "runs", "train s, median (min-max)", "CPU s",
                             "peak RSS MB", f"time / {ref}", f"memory / {ref}", "bytes/token, held out",
                             "unk tokens, held out"], rows))
        if not ref_row.get("runs"):
            notes.append(f"no ratios: {ref} did not train")
        if ev.get("error"):
            notes.append(f"held-out evaluation failed: {ev['error']}")
        if notes:
            out += ["", "; ".join(notes) + "."]
        if ev.get("encode"):
            out += ["", (f"**Encoding** the held-out text ({ev['lines']:,} lines, {ev['bytes'] / 1e6:.2f} MB), one "
                         f"thread, one call per line, median of {settings['encode_runs']} pass(es); both libraries "
                         f"load the same `.model`; parity: lines whose ids are equal in both:"), ""]
            rows = []
            for e in ev["encode"]:
                ours, theirs = e["mb_s"].get("toksmith"), e["mb_s"].get(ref)
                rows.append([f"{e['model']}'s .model", fmt(ours, ".2f"), fmt(theirs, ".2f"),
                             fmt(ratio(ours, theirs), ".2f"), f"{e['parity']:,}/{e['lines']:,}"])
            out.append(md_table(["model", "toksmith MB/s", f"{ref} MB/s", f"toksmith / {ref}", "parity"], rows))
            diffs = [f"{e['model']}'s model: first held-out line with different ids: {e['first_difference_line']}"
                     for e in ev["encode"] if e.get("first_difference_line") is not None]
            if diffs:
                out += ["", "; ".join(diffs) + "."]
    return "\n".join(out), chart


def wordpiece_section(s: Saved) -> tuple[str, dict[str, Any]]:
    """bench/wordpiece.py's JSON: the encoding table (one thread and batch MB/s, ratios to HF, parity) and the
    training table (ratios to HF, identity lines); and the chart's figures (MB/s per corpus and contender)."""
    settings = s.data["settings"]
    ref = WORDPIECE_REFERENCE
    threads = settings["threads"]
    out = [command_note(s), "",
           f"BERT uncased WordPiece, vocab {settings['vocab_size']}, toksmith against HF tokenizers' "
           f"`BertWordPieceTokenizer` ({ref}); every figure from its own process. Ratios: contender / {ref}."
           + quick_note(settings)]
    encode = [r for r in s.data["rows"] if r["part"] == "encode"]
    train = [r for r in s.data["rows"] if r["part"] == "train"]
    chart: dict[str, Any] = {}
    if encode:
        names = list(dict.fromkeys(r["corpus"] for r in encode))
        facts = s.data.get("corpora", [])
        described = [f"{name}: {Path(c['path']).name}, {c['bytes']:,} bytes, {c['documents']:,} documents "
                     f"({c['how']})" for name, c in zip(names, facts)] if len(facts) == len(names) else names
        vocab = (f"`{settings['vocab']}`" if settings.get("vocab")
                 else f"the vocab.txt {ref} trains on each corpus (vocab {settings['vocab_size']})")
        out += ["", "### Encoding", "",
                f"MB/s (10^6 bytes per second) encoding documents of >= {settings['doc_bytes']} bytes with {vocab}: "
                f"one thread, one call per document; {threads} threads, one batch call; median of "
                f"{settings['runs']} pass(es). Parity: documents whose ids (and, for encode_full, also offsets and "
                f"type ids) equal {ref}'s. Corpora: " + "; ".join(described) + ".", ""]
        rows, notes = [], []
        for name in names:
            group = [r for r in encode if r["corpus"] == name]
            ref_row = next((r for r in group if r["contender"] == ref), {})
            error = (s.data.get("vocabs", {}).get(name) or {}).get("error")
            if error:
                notes.append(error)
            for r in group:
                c, errors = r["contender"], r.get("errors", {})

                def speed(phase: str, r: dict[str, Any] = r, errors: dict[str, str] = errors) -> str:
                    if r["contender"] == "toksmith encode_full" and phase == "batch":
                        return "n/a"
                    return "failed" if phase in errors else fmt(r.get(f"{phase}_mb_s"), ".2f")

                def parity(key: str, r: dict[str, Any] = r) -> str:
                    if r["contender"] == ref and r.get(key) is not None:
                        return "ref"
                    return "-" if r.get(key) is None else f"{r[key]:,}/{r['docs']:,}"

                rows.append([name, bold(c), speed("single"),
                             fmt(ratio(r.get("single_mb_s"), ref_row.get("single_mb_s")), ".2f"),
                             speed("batch"), fmt(ratio(r.get("batch_mb_s"), ref_row.get("batch_mb_s")), ".2f"),
                             parity("parity" if r.get("parity") is not None else "batch_parity"),
                             parity("full_parity"), fmt(r.get("peak_rss_mb"), ".0f")])
                if not error:
                    notes += [f"{c} on {name}: {phase} failed: {e}" for phase, e in errors.items()]
                if c != ref and r.get("batch_parity") is not None and r["batch_parity"] != r["docs"]:
                    notes.append(f"{c} on {name}: batch ids equal {ref}'s in {r['batch_parity']}/{r['docs']} "
                                 f"documents")
                chart.setdefault("single", {}).setdefault(c, []).append(r.get("single_mb_s"))
                chart.setdefault("batch", {}).setdefault(c, []).append(r.get("batch_mb_s"))
        out.append(md_table(["corpus", "contender", "one thread MB/s", f"one thread / {ref}",
                             f"{threads} threads MB/s", f"{threads} threads / {ref}", "parity (ids)",
                             "parity (ids, offsets, type ids)", "peak RSS MB"], rows, labels=2))
        if notes:
            out += ["", "; ".join(notes) + "."]
        chart["corpora"] = names
    if train:
        corpus = s.data.get("train_corpus") or {}
        where = f"{Path(corpus['path']).name} ({mb_lines(corpus)})" if corpus else train[0]["corpus"]
        out += ["", "### Training", "",
                (f"On {where}: vocab {settings['vocab_size']}, BERT's special tokens, min_frequency 2, "
                 f"limit_alphabet 1000; toksmith-frequency is HF's algorithm (scoring=\"frequency\"), "
                 f"toksmith-likelihood the default scoring. Runs: {settings['train_runs']}."), ""]
        ref_row = next((r for r in train if r["contender"] == ref), {})
        rows, notes = [], []
        for r in train:
            c = r["contender"]
            if r.get("error"):
                notes.append(f"{c} failed: {r['error']}")
            if not r.get("runs"):
                rows.append([bold(c), f"({r['vocab_size']})", "failed" if r.get("error") else "not run",
                             "-", "-", "-", "-", "-", "-"])
                continue
            rows.append([bold(c), str(r["trained_vocab"]), str(r["runs"]),
                         f"{r['train_median_s']:.2f} ({r['train_min_s']:.2f}-{r['train_max_s']:.2f})",
                         fmt(r.get("process_median_s"), ".2f"), fmt(r.get("cpu_median_s"), ".2f"),
                         fmt(r.get("peak_rss_mb"), ".0f"),
                         fmt(ratio(r["train_median_s"], ref_row.get("train_median_s")), ".2f"),
                         fmt(ratio(r.get("peak_rss_mb"), ref_row.get("peak_rss_mb")), ".2f")])
        out.append(md_table(["trainer", "vocab", "runs", "train s, median (min-max)", "process s", "CPU s",
                             "peak RSS MB", f"time / {ref}", f"memory / {ref}"], rows))
        if not ref_row.get("runs"):
            notes.append(f"no ratios: {ref} did not train")
        if notes:
            out += ["", "; ".join(notes) + "."]
        if s.data.get("identity"):
            out += ["", f"Identity with {ref} (run 1 of toksmith, every {ref} run): "
                    + "; ".join(s.data["identity"]) + "."]
    return "\n".join(out), chart


def generic_section(s: Saved) -> str:
    tables = [line for line in s.log.splitlines() if line.startswith("|")]
    return "\n".join(tables) if tables else f"(no table in its output; see `{s.name}.log`)"


# ---------------------------------------------------------------------------
# Charts


def bar_chart(path: Path, title: str, panels: Sequence[tuple[str, list[str], dict[str, list[float | None]]]]) -> bool:
    """Grouped bars, one panel per (y label, group names, {series: values}); False without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    groups = max(len(p[1]) for p in panels)
    series = max(len(p[2]) for p in panels)
    fig = Figure(figsize=(min(16.0, max(7.0, 0.3 * groups * series * len(panels) + 3)), 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    # One colour per series across the panels (a panel may lack a series: WordPiece's encode_full has no batch).
    colours = {label: f"C{i % 10}" for i, label in enumerate(dict.fromkeys(s for p in panels for s in p[2]))}
    legend: dict[str, Any] = {}
    for ax, (ylabel, names, values) in zip(axes, panels):
        width = 0.8 / max(1, len(values))
        for k, (label, ys) in enumerate(values.items()):
            xs = [g + (k - (len(values) - 1) / 2) * width for g in range(len(names))]
            bars = ax.bar(xs, [y or 0.0 for y in ys], width, label=label, color=colours[label])
            legend.setdefault(label, bars)
            if len(names) * len(values) <= 32:
                ax.bar_label(bars, labels=[short(y) for y in ys], fontsize=6, padding=1,
                             rotation=90 if len(values) > 3 else 0)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_ylabel(ylabel)
        ax.margins(y=0.2)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=min(6, len(legend)), fontsize=8,
               frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=110)
    return True


# ---------------------------------------------------------------------------
# RESULTS.md


def renders(s: Saved) -> bool:
    """Whether a job has a dedicated section: unigram and wordpiece JSON as their scripts write it (a job that
    failed before writing it falls back to the tables of its log)."""
    if s.kind == "unigram":
        return isinstance(s.data.get("corpora"), list) and "settings" in s.data
    if s.kind == "wordpiece":
        return isinstance(s.data.get("rows"), list) and "settings" in s.data
    return False


def write_results(saved: Sequence[Saved], results: Path, invocation: str) -> None:
    if not saved:
        raise SystemExit("report.py: no saved job output (*.json) to report")
    charts = results.parent
    charts.mkdir(parents=True, exist_ok=True)
    stem = results.stem
    parts = [
        "# Benchmark results",
        "",
        f"Generated by `{invocation}` on {now()} from the jobs listed below. Do not edit this file: rebuild it "
        f"with `python bench/report.py` (runs every benchmark; about half an hour, on a quiet machine), or "
        f"`python bench/report.py --reuse DIR` from the JSON a run saved (see `bench/README.md`).",
        "",
        "## Machine, versions, commands",
        "",
        machine_section(saved),
    ]
    saved = [s for s in saved if s.data or s.kind not in STANDARD]
    encodes = [s for s in saved if s.kind == "encode"]
    for s in encodes:
        text, chart = encode_section(s)
        parts += ["", f"## Encoding, tiktoken-compatible (`{s.name}`)", "", text]
        png = charts / f"{stem}-{s.name}.png"
        names = [c.replace(" x ", "\n") for c in chart["columns"]]
        if names and bar_chart(png, "encode_ordinary throughput (MB/s)",
                     [("MB/s, one thread", names, chart["single"]), ("MB/s, batch", names, chart["batch"])]):
            parts += ["", f"![{s.name} chart]({png.name})"]
    trains = [s for s in saved if s.kind == "train"]
    if trains:
        parts += ["", "## BPE training"]
        charted: dict[str, dict[str, tuple[float, float]]] = {}
        for s in trains:
            text, chart = train_section(s)
            parts += ["", text]
            charted[s.name] = chart
        contenders = list(dict.fromkeys(c for chart in charted.values() for c in chart))
        jobs = list(charted)
        png = charts / f"{stem}-train.png"
        time_values = {c: [charted[j].get(c, (None, None))[0] for j in jobs] for c in contenders}
        rss_values = {c: [charted[j].get(c, (None, None))[1] for j in jobs] for c in contenders}
        if bar_chart(png, "BPE training: median time and peak RSS",
                     [("train seconds", jobs, time_values), ("peak RSS MB", jobs, rss_values)]):
            parts += ["", f"![training chart]({png.name})"]
    unigrams = [s for s in saved if s.kind == "unigram" and renders(s)]
    charted_unigram: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for s in unigrams:
        text, chart = unigram_section(s)
        parts += ["", f"## Unigram training (`{s.name}`)", "", text]
        for corpus, figures in chart.items():
            charted_unigram[corpus if corpus not in charted_unigram else f"{s.name}: {corpus}"] = figures
    if charted_unigram:
        contenders = list(dict.fromkeys(c for figures in charted_unigram.values() for c in figures))
        groups = list(charted_unigram)
        png = charts / f"{stem}-unigram.png"
        time_values = {c: [charted_unigram[g].get(c, (None, None))[0] for g in groups] for c in contenders}
        rss_values = {c: [charted_unigram[g].get(c, (None, None))[1] for g in groups] for c in contenders}
        if bar_chart(png, f"Unigram training against {UNIGRAM_REFERENCE}: median time and peak RSS",
                     [("train seconds", groups, time_values), ("peak RSS MB", groups, rss_values)]):
            parts += ["", f"![Unigram training chart]({png.name})"]
    for s in (s for s in saved if s.kind == "wordpiece" and renders(s)):
        text, chart = wordpiece_section(s)
        parts += ["", f"## WordPiece (`{s.name}`)", "", text]
        png = charts / f"{stem}-{s.name}.png"
        if chart.get("corpora") and bar_chart(
                png, "WordPiece encoding throughput (MB/s)",
                [("MB/s, one thread", chart["corpora"], chart["single"]),
                 (f"MB/s, {s.data['settings']['threads']} threads", chart["corpora"],
                  {c: v for c, v in chart["batch"].items() if any(x is not None for x in v)})]):
            parts += ["", f"![{s.name} chart]({png.name})"]
    for s in (s for s in saved if s.kind == "compare"):
        parts += ["", f"## Tokens by script (`{s.name}`: tok compare)", "", compare_section(s)]
        png = charts / f"{stem}-{s.name}.png"
        try:
            import toksmith

            toksmith.Comparison.from_dict(s.data).plot(str(png))
            parts += ["", f"![{s.name} chart]({png.name})"]
        except Exception as e:  # noqa: BLE001 - a chart is not worth failing the report for
            print(f"report.py: no chart for {s.name}: {e}", file=sys.stderr)
    for s in (s for s in saved if s.kind not in STANDARD and not renders(s)):
        parts += ["", f"## {s.name}", "", generic_section(s)]
    results.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"report.py: wrote {results}", file=sys.stderr)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run the benchmarks and write bench/RESULTS.md with charts beside it.")
    p.add_argument("--reuse", type=Path, metavar="DIR", help="do not run anything: rebuild from the JSON saved in DIR")
    p.add_argument("--quick", action="store_true", help="small settings (checks the pipeline; figures not for quoting)")
    p.add_argument("--only", action="append", help="comma-separated jobs (default: encode, train, compare, then "
                   "every other bench script)")
    p.add_argument("--args", action="append", metavar="NAME=ARGS", help="extra arguments for a job, e.g. "
                   "encode=\"--long off\" (repeatable)")
    p.add_argument("--job", action="append", metavar="SCRIPT:TAG=ARGS", help="an extra run of a script, saved as "
                   "SCRIPT-TAG, e.g. train:v100k=\"--vocab-size 100000\" (repeatable)")
    p.add_argument("--work-dir", type=Path, help=f"where jobs save JSON and logs (default {DEFAULT_CACHE}/report/DATE)")
    p.add_argument("--results", type=Path, default=RESULTS,
                   help="the Markdown file to write (default bench/RESULTS.md)")
    p.add_argument("--timeout", type=float, default=0, help="seconds per job before it is killed; 0 for none")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    invocation = shlex.join(["python", "bench/report.py", *(sys.argv[1:] if argv is None else argv)])
    if args.reuse is not None:
        work = args.reuse
    else:
        jobs = parse_jobs(args)
        work = (args.work_dir or DEFAULT_CACHE / "report" / datetime.date.today().isoformat()).resolve()
        run_jobs(jobs, work, args.timeout or None)
    write_results(load_saved(work), args.results, invocation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
