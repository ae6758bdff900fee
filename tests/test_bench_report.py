"""bench/report.py renders RESULTS.md from saved bench JSON (a small fixture; no benchmark is run)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

import helpers

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bench-report"


@pytest.fixture(scope="module")
def report():
    bench = helpers.REPO / "bench"
    sys.path.insert(0, str(bench))
    try:
        spec = importlib.util.spec_from_file_location("bench_report", bench / "report.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_report"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_report", None)
        sys.path.remove(str(bench))


@pytest.fixture
def rendered(report, tmp_path) -> tuple[str, Path]:
    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work)
    (work / "extra.json").write_text("{}")  # a model-specific bench: its tables come from its log
    (work / "extra.log").write_text("header line\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    out = tmp_path / "RESULTS.md"
    assert report.main(["--reuse", str(work), "--results", str(out)]) == 0
    return out.read_text(encoding="utf-8"), tmp_path


def test_results_md_has_machine_versions_and_commands(rendered):
    text, _ = rendered
    assert text.startswith("# Benchmark results\n")
    assert "| CPU | AMD EPYC, 2 cores |" in text and "| RAM | 23.5 GiB |" in text
    assert "toksmith 0.1.0" in text and "tiktoken 0.14.0" in text and "bpeasy 0.1.6" in text
    assert "bench/train.py --vocab-size 32000 --json /tmp/train-bench.json" in text
    assert "- `compare` (2026-11-24T14:09:01+00:00; load average 0.10 when it started): " in text


def test_long_only_encode_job_renders_its_long_table(report, tmp_path):
    """An `encode.py --long only` job (no throughput tables) gets a section with the long-pieces table alone."""
    import json

    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work)
    data = json.loads((work / "encode.json").read_text())
    data["tables"] = {}
    data["runs"] = [r for r in data["runs"] if r["phase"] == "long"]
    data["settings"]["long"] = "only"
    (work / "encode-long.json").write_text(json.dumps(data))
    out = tmp_path / "RESULTS.md"
    assert report.main(["--reuse", str(work), "--results", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    section = text.split("## Encoding, tiktoken-compatible (`encode-long`)", 1)[1].split("\n## ", 1)[0]
    assert "The long-pieces check alone (`--long only`)" in section
    assert "| toksmith | cl100k_base | a | 0.002 | 0.004 | 0.009 | 3.7 |" in section
    assert "One thread" not in section and "RESULTS-encode-long.png" not in text


def test_encode_tables_side_by_side_with_ratios(rendered):
    text, _ = rendered
    # single_mb_s 33.333 and single_vs_tiktoken 2.849 in the fixture; zh-10M o200k: 23.5455, 1.9189.
    assert "| contender | mixed-100M, cl100k_base | zh-10M, o200k_base |" in text
    assert "| **toksmith** | 33.3 (2.85x) | 23.5 (1.92x) |" in text
    assert "| tiktoken | 11.7 (1.00x) | 12.3 (1.00x) |" in text
    assert "| mixed-100M, cl100k_base | toksmith | 4773/4773 |" in text
    # Long pieces: medians 0.002334 s (250K) and 0.008658 s (1M): growth 3.7.
    assert "| toksmith | cl100k_base | a | 0.002 | 0.004 | 0.009 | 3.7 |" in text


def test_train_table(rendered):
    text, _ = rendered
    assert "| **toksmith** | 32000 | 3 | 9.17 (8.91-9.40) | 9.8 | 666 | 0.15 | 0.28 |" in text
    assert "| hf | 32000 | 3 | 59.51 (58.66-63.66) | 91.1 | 2382 | 1.00 | 1.00 |" in text
    assert "toksmith: merges identical: yes (31744)" in text


def test_compare_and_generic_sections(rendered):
    text, tmp = rendered
    assert "## Tokens by script (`compare`: tok compare)" in text
    assert "#### Bytes per token by script (all corpora)" in text
    assert "## extra\n\n| a | b |\n| --- | --- |\n| 1 | 2 |" in text
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("RESULTS-encode.png", "RESULTS-train.png", "RESULTS-compare.png"):
            assert f"]({name})" in text
            assert (tmp / name).read_bytes()[:4] == b"\x89PNG"


def test_reuse_of_a_missing_directory_fails_clearly(report, tmp_path):
    with pytest.raises(SystemExit, match="no such directory"):
        report.main(["--reuse", str(tmp_path / "nope"), "--results", str(tmp_path / "R.md")])


# ---------------------------------------------------------------------------
# Unigram and WordPiece sections, from hand-written JSON in the format bench/unigram.py and bench/wordpiece.py
# write (the structure of a `--quick` run of each, trimmed to what the report reads, figures chosen by hand).

MACHINE = {"nproc": 2, "cpu": "AMD EPYC", "ram_gib": 23.5, "os": "Linux", "python": "3.11.7"}
UNIGRAM_COMMAND = "python bench/unigram.py --quick --sample-mb 2 --json /tmp/u.json"
WORDPIECE_COMMAND = "python bench/wordpiece.py --quick --sample-mb 1 --json /tmp/w.json"
IDENTITY = "toksmith-frequency: specials and alphabet with HF's ids: yes; size 8000 (hf 8000); |A Δ hf| 26 tokens"


def facts(path: str, nbytes: int, lines: int) -> dict:
    return {"path": path, "bytes": nbytes, "lines": lines, "sha256": "0" * 64}


def unigram_summary(contender: str, seconds: float | None, rss: float | None, error: str | None = None) -> dict:
    if seconds is None:  # what unigram.py's summarize() writes for a contender whose first run failed
        return {"contender": contender, "runs": 0, "error": error,
                "time_vs_sentencepiece": None, "memory_vs_sentencepiece": None}
    return {"contender": contender, "runs": 1, "error": None, "train_median_s": seconds, "train_min_s": seconds,
            "train_max_s": seconds, "cpu_median_s": seconds, "peak_rss_mb": rss, "trained_vocab": 8000}


def unigram_corpus(name: str, source: str, summary: dict, compression: dict, encode: list, capped: bool) -> dict:
    work = f"/tmp/cache/unigram/{name}-heldout5"
    train = facts(f"{work}/train.txt", 1_600_000, 35_000)
    return {
        "name": name,
        "split": {
            "name": name, "source": facts(f"/tmp/cache/{source}.txt", 101_753_307, 2_066_219),
            "sampled": f"a spread sample of {source}.txt: the lines of every 50-th 64 KiB block",
            "train": train, "heldout": facts(f"{work}/heldout.txt", 400_000, 6_741),
            "hf_train": facts(f"{work}/hf-train-1MB.txt", 950_000, 20_000) if capped else train,
            "hf_how": "CAPPED (--hf-max-mb 1): a spread sample of the training split" if capped
            else "the whole training split",
            "train_empty_lines": 0,
        },
        "runs": [],  # per-run details; the report reads the summary
        "summary": summary,
        "eval": {"lines": 6741, "bytes": 400_000, "compression": compression, "encode": encode, "cpu_s": 0.5},
    }


def unigram_encode_row(model: str, ours: float, theirs: float, parity: int, first_diff: int | None = None) -> dict:
    return {"model": model, "model_file": f"/tmp/{model}.model", "parity": parity, "lines": 6741,
            "first_difference_line": first_diff, "seconds": {"toksmith": [0.1], "sentencepiece": [0.1]},
            "mb_s": {"toksmith": ours, "sentencepiece": theirs}}


def unigram_json() -> dict:
    mixed = unigram_corpus(
        "mixed-100M-sample2MB", "mixed-100M",
        {"toksmith": unigram_summary("toksmith", 1.0, 63.0),
         "sentencepiece": unigram_summary("sentencepiece", 4.0, 70.0),
         "hf": unigram_summary("hf", 10.0, 140.0)},
        {"toksmith": {"tokens": 1000, "unk_tokens": 48, "bytes_per_token": 3.0, "seconds": 0.1},
         "sentencepiece": {"tokens": 1001, "unk_tokens": 47, "bytes_per_token": 2.997, "seconds": 0.1},
         "hf": {"tokens": 1250, "unk_tokens": 82, "bytes_per_token": 2.4, "seconds": 0.2}},
        [unigram_encode_row("toksmith", 18.0, 12.0, 6741), unigram_encode_row("sentencepiece", 30.0, 24.0, 6740, 17)],
        capped=True)
    zh = unigram_corpus(
        "zh-10M-sample2MB", "zh-10M",
        {"toksmith": unigram_summary("toksmith", 1.5, 50.0),
         "sentencepiece": unigram_summary("sentencepiece", 3.0, 64.0),
         "hf": unigram_summary("hf", None, None, "Exception: The vocabulary is not large enough to contain all chars")},
        {"toksmith": {"tokens": 900, "unk_tokens": 4, "bytes_per_token": 3.736, "seconds": 0.1},
         "sentencepiece": {"tokens": 901, "unk_tokens": 4, "bytes_per_token": 3.733, "seconds": 0.1}},
        [unigram_encode_row("toksmith", 40.0, 32.0, 6741), unigram_encode_row("sentencepiece", 44.0, 40.0, 6741)],
        capped=False)
    return {
        "date": "2026-11-24T16:00:00+00:00", "command": UNIGRAM_COMMAND, "cwd": "/work/main", "machine": MACHINE,
        "versions": {"toksmith": "0.1.0", "sentencepiece": "0.2.3", "hf": "0.23.3"},
        "load_average_start": [0.5, 0.4, 0.3],
        "settings": {"vocab_size": 8000, "runs": 1, "heldout_every": 5, "block_bytes": 65536, "sample_mb": 2.0,
                     "hf_max_mb": 1.0, "encode_runs": 1, "quick": True,
                     "contenders": ["toksmith", "sentencepiece", "hf"], "character_coverage": 0.9995,
                     "max_piece_length": 16, "spm_max_sentence_length": 65536, "spm_num_threads": 2},
        "corpora": [mixed, zh],
        "load_average_end": [0.9, 0.5, 0.3],
    }


def wordpiece_encode_row(corpus: str, contender: str, single: float | None, batch: float | None,
                         errors: dict | None = None, docs: int = 100) -> dict:
    row = {"part": "encode", "corpus": corpus, "contender": contender, "docs": docs, "bytes": 1_000_000,
           "batch_threads": 2, "errors": errors or {}, "peak_rss_mb": 40.0}
    if single is not None:
        row.update(single_mb_s=single, single_cores=1.0, tokens=270_000, load_s=0.03, loaded_rss_mb=36.0,
                   parity=docs)
        if contender != "toksmith":
            row["full_parity"] = docs
    if batch is not None:
        row.update(batch_mb_s=batch, batch_cores=1.7, batch_parity=docs)
    return row


def wordpiece_train_row(contender: str, seconds: float | None, rss: float | None, error: str | None = None) -> dict:
    row = {"part": "train", "corpus": "mixed-100M.first-1000000B", "contender": contender, "vocab_size": 8000,
           "runs": 0 if seconds is None else 1, "error": error}
    if seconds is not None:
        row.update(train_median_s=seconds, train_min_s=seconds, train_max_s=seconds, process_median_s=seconds + 0.2,
                   cpu_median_s=seconds, peak_rss_mb=rss, trained_vocab=8000)
    return row


def wordpiece_json() -> dict:
    how = "one 64 KiB block in every 97 of mixed-100M.txt"
    return {
        "date": "2026-11-24T16:05:00+00:00", "command": WORDPIECE_COMMAND, "cwd": "/work/main", "machine": MACHINE,
        "versions": {"toksmith": "0.1.0", "hf": "0.23.3"},
        "corpora": [{"how": how, "documents": 100, **facts("/tmp/cache/mixed-100M.sample-1000000B.txt", 1_000_000,
                                                           18_735)},
                    {"how": "the whole of zh-10M.txt", "documents": 100,
                     **facts("/tmp/cache/zh-10M.txt", 1_000_000, 9_000)}],
        "train_corpus": facts("/tmp/cache/mixed-100M.first-1000000B.txt", 999_948, 30_544),
        "settings": {"part": "both", "vocab_size": 8000, "runs": 1, "train_runs": 1, "threads": 2, "doc_bytes": 4096,
                     "sample_mb": 1.0, "train_slice": 1_000_000, "vocab": None, "quick": True},
        "bench": "wordpiece",
        "rows": [
            wordpiece_encode_row("mixed-100M", "toksmith", 20.0, 30.0),
            wordpiece_encode_row("mixed-100M", "toksmith encode_full", 10.0, None),
            wordpiece_encode_row("mixed-100M", "hf", 4.0, 5.0),
            wordpiece_encode_row("zh-10M", "toksmith", 18.0, 27.0),
            wordpiece_encode_row("zh-10M", "toksmith encode_full", 9.0, None),
            wordpiece_encode_row("zh-10M", "hf", 3.0, None, errors={"batch": "timeout after 60 s"}),
            wordpiece_train_row("toksmith-frequency", 1.0, 100.0),
            wordpiece_train_row("toksmith-likelihood", None, None, "exit code 1: MemoryError"),
            wordpiece_train_row("hf", 4.0, 200.0),
        ],
        "commands": [WORDPIECE_COMMAND],
        "vocabs": {"mixed-100M": {"path": "/tmp/v1/vocab.txt", "error": None},
                   "zh-10M": {"path": "/tmp/v2/vocab.txt", "error": None}},
        "identity": [IDENTITY],
        "children": [],
    }


def tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table of a text (runs of lines starting with "|"), as rows of cells, separator row removed;
    each table must be well formed: a separator row second and the same number of cells in every row."""
    found, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            assert line.endswith(" |"), line
            current.append([cell.strip() for cell in line[1:-1].split(" | ")])
        elif current:
            found.append(current)
            current = []
    for table in found:
        width = len(table[0])
        assert all(len(row) == width for row in table), table
        assert all(set(cell) <= set("-:") and cell.count("-") >= 3 for cell in table[1]), table[1]
        del table[1]
    return found


def row_of(table: list[list[str]], *first: str) -> dict[str, str]:
    """The row whose leading cells are `first`, as {header: cell}."""
    (row,) = [r for r in table[1:] if r[: len(first)] == list(first)]
    return dict(zip(table[0], row))


def section(report, kind: str, data: dict, name: str | None = None) -> tuple[str, dict]:
    saved = report.Saved(name or kind, data, {}, "")
    assert report.renders(saved)
    return getattr(report, f"{kind}_section")(saved)


def test_unigram_training_and_encoding_tables_are_separate(report):
    text, _ = section(report, "unigram", unigram_json())
    found = tables(text)
    # Per corpus: a training table, then an encoding table; never one merged table.
    assert [t[0][0] for t in found] == ["trainer", "model", "trainer", "model"]
    train, encode = found[0], found[1]
    assert train[0] == ["trainer", "trained on", "vocab", "runs", "train s, median (min-max)", "CPU s", "peak RSS MB",
                        "time / sentencepiece", "memory / sentencepiece", "bytes/token, held out",
                        "unk tokens, held out"]
    # Ratios to SentencePiece, by hand: 1.0 / 4.0 s, 63 / 70 MB; 10.0 / 4.0 s, 140 / 70 MB.
    toksmith = row_of(train, "**toksmith**")
    assert (toksmith["time / sentencepiece"], toksmith["memory / sentencepiece"]) == ("0.25", "0.90")
    assert toksmith["train s, median (min-max)"] == "1.00 (1.00-1.00)"
    assert toksmith["bytes/token, held out"] == "3.000" and toksmith["unk tokens, held out"] == "48"
    spm = row_of(train, "sentencepiece")
    assert (spm["time / sentencepiece"], spm["memory / sentencepiece"], spm["bytes/token, held out"]) == (
        "1.00", "1.00", "2.997")
    hf = row_of(train, "hf")
    assert (hf["time / sentencepiece"], hf["memory / sentencepiece"]) == ("2.50", "2.00")
    assert hf["trained on"] == "0.95 MB (capped)" and toksmith["trained on"] == "1.60 MB"
    # Encoding: toksmith MB/s / sentencepiece MB/s with the same model: 18 / 12, 30 / 24.
    assert encode[0] == ["model", "toksmith MB/s", "sentencepiece MB/s", "toksmith / sentencepiece", "parity"]
    assert encode[1] == ["toksmith's .model", "18.00", "12.00", "1.50", "6,741/6,741"]
    assert encode[2] == ["sentencepiece's .model", "30.00", "24.00", "1.25", "6,740/6,741"]
    assert "sentencepiece's model: first held-out line with different ids: 17" in text


def test_unigram_section_shows_command_corpus_and_cap(report):
    text, chart = section(report, "unigram", unigram_json())
    assert f"`{UNIGRAM_COMMAND}`" in text
    assert "load average 0.50 at start, 0.90 at end" in text
    assert "### mixed-100M-sample2MB" in text and "### zh-10M-sample2MB" in text
    assert "Corpus: mixed-100M.txt (101.75 MB, 2,066,219 lines), using a spread sample of mixed-100M.txt" in text
    assert "hf trains on CAPPED (--hf-max-mb 1)" in text
    assert "not for quoting" in text  # settings.quick
    assert chart["mixed-100M-sample2MB"] == {"toksmith": (1.0, 63.0), "sentencepiece": (4.0, 70.0),
                                             "hf": (10.0, 140.0)}


def test_unigram_failed_peer_is_shown_failed(report):
    text, chart = section(report, "unigram", unigram_json())
    zh_train = tables(text)[2]
    assert [r[0] for r in zh_train[1:]] == ["**toksmith**", "sentencepiece", "hf"]
    hf = row_of(zh_train, "hf")
    assert hf["runs"] == "failed" and hf["vocab"] == "(8000)" and hf["time / sentencepiece"] == "-"
    assert hf["trained on"] == "1.60 MB"  # not capped on this corpus
    # 1.5 / 3.0 s and 50 / 64 MB = 0.78125.
    toksmith = row_of(zh_train, "**toksmith**")
    assert (toksmith["time / sentencepiece"], toksmith["memory / sentencepiece"]) == ("0.50", "0.78")
    assert "hf failed: Exception: The vocabulary is not large enough to contain all chars." in text
    assert chart["zh-10M-sample2MB"]["hf"] == (None, None)


def test_unigram_without_the_reference_has_no_ratios(report):
    data = unigram_json()
    data["corpora"][0]["summary"]["sentencepiece"] = unigram_summary("sentencepiece", None, None,
                                                                     "timeout after 90 s")
    text, _ = section(report, "unigram", data)
    train = tables(text)[0]
    assert row_of(train, "sentencepiece")["runs"] == "failed"
    toksmith, hf = row_of(train, "**toksmith**"), row_of(train, "hf")
    assert {toksmith["time / sentencepiece"], hf["time / sentencepiece"], hf["memory / sentencepiece"]} == {"-"}
    assert "sentencepiece failed: timeout after 90 s; no ratios: sentencepiece did not train." in text


def test_wordpiece_encode_and_train_tables(report):
    text, chart = section(report, "wordpiece", wordpiece_json())
    assert f"`{WORDPIECE_COMMAND}`" in text
    assert "mixed-100M: mixed-100M.sample-1000000B.txt, 1,000,000 bytes, 100 documents" in text
    assert "On mixed-100M.first-1000000B.txt (1.00 MB, 30,544 lines)" in text
    encode, train = tables(text)
    assert encode[0] == ["corpus", "contender", "one thread MB/s", "one thread / hf", "2 threads MB/s",
                         "2 threads / hf", "parity (ids)", "parity (ids, offsets, type ids)", "peak RSS MB"]
    # 20 / 4 and 30 / 5; encode_full 10 / 4, no batch form.
    assert encode[1] == ["mixed-100M", "**toksmith**", "20.00", "5.00", "30.00", "6.00", "100/100", "-", "40"]
    assert encode[2] == ["mixed-100M", "**toksmith encode_full**", "10.00", "2.50", "n/a", "-", "100/100", "100/100",
                         "40"]
    assert encode[3] == ["mixed-100M", "hf", "4.00", "1.00", "5.00", "1.00", "ref", "ref", "40"]
    # zh-10M: HF's batch failed, so no batch ratio: 18 / 3 one thread.
    assert encode[4] == ["zh-10M", "**toksmith**", "18.00", "6.00", "27.00", "-", "100/100", "-", "40"]
    assert row_of(encode, "zh-10M", "hf")["2 threads MB/s"] == "failed"
    assert "hf on zh-10M: batch failed: timeout after 60 s" in text
    # Training: 1.0 / 4.0 s and 100 / 200 MB; likelihood failed, still listed.
    assert train[0][0] == "trainer" and [r[0] for r in train[1:]] == [
        "**toksmith-frequency**", "**toksmith-likelihood**", "hf"]
    frequency = row_of(train, "**toksmith-frequency**")
    assert (frequency["time / hf"], frequency["memory / hf"], frequency["runs"]) == ("0.25", "0.50", "1")
    assert row_of(train, "**toksmith-likelihood**")["runs"] == "failed"
    assert "toksmith-likelihood failed: exit code 1: MemoryError" in text
    assert "|A Δ hf| 26 tokens" in text
    assert chart["corpora"] == ["mixed-100M", "zh-10M"]
    assert chart["single"]["toksmith encode_full"] == [10.0, 9.0]
    assert chart["batch"]["hf"] == [5.0, None]


def test_wordpiece_encode_only_has_no_training_table(report):
    data = wordpiece_json()
    data["rows"] = [r for r in data["rows"] if r["part"] == "encode"]
    data["train_corpus"] = None
    text, _ = section(report, "wordpiece", data)
    assert len(tables(text)) == 1 and "### Training" not in text


def test_results_md_with_unigram_and_wordpiece(report, tmp_path):
    import json

    work = tmp_path / "work"
    work.mkdir()
    (work / "unigram.json").write_text(json.dumps(unigram_json()), encoding="utf-8")
    (work / "wordpiece.json").write_text(json.dumps(wordpiece_json()), encoding="utf-8")
    (work / "wordpiece.log").write_text("| a | b |\n| --- | --- |\n| 1 | 2 |\n")  # not used: the JSON is rendered
    out = tmp_path / "RESULTS.md"
    assert report.main(["--reuse", str(work), "--results", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Unigram training (`unigram`)" in text and "## WordPiece (`wordpiece`)" in text
    assert "## wordpiece\n" not in text and "| a | b |" not in text
    assert f"- `unigram` (2026-11-24T16:00:00+00:00): `{UNIGRAM_COMMAND}`" in text
    assert "sentencepiece 0.2.3" in text
    assert len(tables(text)) == 1 + 4 + 2  # machine, unigram (2 corpora x 2), wordpiece (encode, train)
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("RESULTS-unigram.png", "RESULTS-wordpiece.png"):
            assert f"]({name})" in text
            assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_a_failed_unigram_job_falls_back_to_its_log(report, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "unigram.meta.json").write_text('{"command": "python bench/unigram.py", "returncode": 1}')
    (work / "unigram.log").write_text("Traceback\n| trainer | x |\n| --- | --- |\n| toksmith | 1 |\n")
    out = tmp_path / "RESULTS.md"
    assert report.main(["--reuse", str(work), "--results", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "- `unigram` (?; FAILED, see its log): `python bench/unigram.py`" in text
    assert "## unigram\n\n| trainer | x |" in text


def test_quick_settings_for_every_bench_script(report):
    assert set(report.bench_scripts()) <= set(report.QUICK_ARGS)
    jobs = {j.name: j for j in report.parse_jobs(report.parse_args(["--quick"]))}
    assert {"encode", "train", "compare", "unigram", "wordpiece"} <= set(jobs)
    # The quick arguments are the scripts' own options, and make small runs.
    before = set(sys.modules)
    try:
        import unigram
        import wordpiece

        u = unigram.parse_args(list(jobs["unigram"].args))
        assert u.quick and u.sample_mb <= 3 and u.hf_max_mb < u.sample_mb and u.encode_runs == 1
        w = wordpiece.parse_args(list(jobs["wordpiece"].args))
        assert w.quick and w.sample_mb <= 2 and w.runs == 1 and w.train_slice <= 3_000_000 and w.train_runs == 1
    finally:
        bench = str(helpers.REPO / "bench")
        for name in set(sys.modules) - before:  # the bench scripts' modules (unigram, encode, train, ...)
            if str(getattr(sys.modules[name], "__file__", "")).startswith(bench):
                sys.modules.pop(name)
