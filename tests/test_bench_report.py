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
