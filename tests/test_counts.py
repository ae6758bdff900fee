"""Counts as an artifact: count, save/load, merge, train from counts, compressed
inputs, the max_words budget, and the CLI around them."""

from __future__ import annotations

import gzip
import lzma
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

import helpers
import toksmith


def _merges_and_vocab(tok: toksmith.Tokenizer) -> tuple[list, dict]:
    return tok.merges, tok.get_vocab()


@pytest.mark.parametrize("pattern", ["gpt2", "o200k", None])
def test_training_on_counts_equals_training_on_text(sample_path, pattern):
    kw = dict(model="bbpe", vocab_size=700, min_frequency=2, show_progress=False)
    direct = toksmith.train(sample_path, pattern=pattern, **kw)
    counts = toksmith.count(sample_path, pattern=pattern, show_progress=False)
    assert counts.pattern == (None if pattern is None else toksmith._core.pattern_source(pattern))
    assert _merges_and_vocab(toksmith.train(counts, **kw)) == _merges_and_vocab(direct)


def test_counts_of_parts_add_up_to_counts_of_the_whole(tmp_path, multilingual_lines):
    half = len(multilingual_lines) // 2
    a, b, whole = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "whole.txt"
    a.write_text("".join(multilingual_lines[:half]), encoding="utf-8")
    b.write_text("".join(multilingual_lines[half:]), encoding="utf-8")
    whole.write_text("".join(multilingual_lines), encoding="utf-8")
    ca, cb = (toksmith.count(p, pattern="gpt2", show_progress=False) for p in (a, b))
    cw = toksmith.count(whole, pattern="gpt2", show_progress=False)
    assert ca + cb == cw
    assert toksmith.WordCounts.merge([ca, cb]) == cw
    assert (ca + cb).to_dict() == cw.to_dict()
    # Reference: the same pre-tokens counted in Python with the regex engine.
    expected: dict[str, int] = {}
    for line in helpers.read_lines(whole):
        for piece in toksmith._core.split(line, "gpt2", engine="regex"):
            expected[piece] = expected.get(piece, 0) + 1
    assert cw.to_dict() == expected
    kw = dict(vocab_size=600, min_frequency=2, show_progress=False)
    assert _merges_and_vocab(toksmith.train(ca + cb, **kw)) == _merges_and_vocab(toksmith.train(whole, pattern="gpt2", **kw))


def test_save_load_round_trip_is_exact_and_deterministic(tmp_path, sample_path):
    counts = toksmith.count(sample_path, pattern="cl100k", show_progress=False)
    p1, p2 = tmp_path / "c1.counts", tmp_path / "c2.counts"
    counts.save(p1)
    loaded = toksmith.WordCounts.load(p1)
    assert loaded == counts and loaded.to_dict() == counts.to_dict() and loaded.pattern_name == "cl100k"
    loaded.save(p2)
    assert p1.read_bytes() == p2.read_bytes()


def test_bad_counts_files_and_conflicts(tmp_path, sample_path):
    junk = tmp_path / "junk.counts"
    junk.write_bytes(b"not counts at all")
    with pytest.raises(ValueError, match="junk.counts"):
        toksmith.WordCounts.load(junk)
    with pytest.raises(OSError):
        toksmith.WordCounts.load(tmp_path / "missing.counts")
    gpt2 = toksmith.count(sample_path, pattern="gpt2", show_progress=False)
    o200k = toksmith.count(sample_path, pattern="o200k", show_progress=False)
    with pytest.raises(ValueError, match="different patterns"):
        gpt2 + o200k
    with pytest.raises(ValueError, match="conflicts"):
        toksmith.train(gpt2, pattern="o200k", vocab_size=300, show_progress=False)
    # The same pattern given again (by name or by its regex) is fine.
    toksmith.train(gpt2, pattern="r50k", vocab_size=300, show_progress=False)


def _compress(path: Path, kind: str) -> Path:
    data = path.read_bytes()
    out = path.with_suffix(f".txt.{kind}")
    out.write_bytes({"gz": gzip.compress, "xz": lzma.compress,
                     "zst": lambda d: zstandard.ZstdCompressor().compress(d)}[kind](data))
    return out


@pytest.mark.parametrize("kind", ["gz", "xz", "zst"])
def test_compressed_inputs_count_like_plain_text(tmp_path, sample_path, kind):
    plain = tmp_path / "sample.txt"
    plain.write_bytes(sample_path.read_bytes())
    packed = _compress(plain, kind)
    want = toksmith.count(plain, pattern="o200k", show_progress=False)
    assert toksmith.count(packed, pattern="o200k", show_progress=False) == want
    # Directories are walked and compressed files in them are read too.
    d = tmp_path / "dir"
    d.mkdir()
    packed.rename(d / packed.name)
    assert toksmith.count(d, pattern="o200k", show_progress=False) == want


def test_max_words_keeps_the_most_frequent_and_reports_the_rest(sample_path, capfd):
    full = toksmith.count(sample_path, pattern="gpt2", show_progress=False)
    keep = 300
    capped = toksmith.count(sample_path, pattern="gpt2", max_words=keep, show_progress=False)
    top = dict(sorted(full.to_dict().items(), key=lambda kv: (-kv[1], kv[0]))[:keep])
    # The sample is one read block, so one prune keeps exactly the top `keep` words.
    assert len(capped) == keep
    assert capped.dropped_words == len(full) - keep
    assert capped.dropped_count == full.total - capped.total
    assert capped.to_dict() == top
    err = capfd.readouterr().err
    assert f"dropped {capped.dropped_words} distinct words" in err


def test_max_words_bounds_memory_on_a_stream():
    lines = (f"word{i} common common\n" for i in range(50_000))
    capped = toksmith.count(lines, pattern="gpt2", max_words=1000, show_progress=False)
    assert len(capped) == 1000
    assert capped.most_common(2) == [(" common", 100_000), ("\n", 50_000)]
    assert capped.dropped_words > 0 and capped.dropped_count > 0


def test_cli_count_then_train_equals_train(tmp_path, sample_path):
    counts = tmp_path / "s.counts"
    from_counts = tmp_path / "from_counts.json"
    direct = tmp_path / "direct.json"
    def run(argv: list[str]) -> subprocess.CompletedProcess:
        return helpers.run_cli([*helpers.python_module_cli(), *argv])
    assert run(["count", str(sample_path), "--pattern", "gpt2", "-o", str(counts), "--no-progress"]).returncode == 0
    assert run(["train", "--counts", str(counts), "--vocab-size", "500", "-o", str(from_counts),
                "--no-progress"]).returncode == 0
    assert run(["train", str(sample_path), "--pattern", "gpt2", "--vocab-size", "500", "-o", str(direct),
                "--no-progress"]).returncode == 0
    a, b = toksmith.Tokenizer.from_file(from_counts), toksmith.Tokenizer.from_file(direct)
    assert _merges_and_vocab(a) == _merges_and_vocab(b)
    assert a.pattern == b.pattern
    bad = run(["train", "--counts", str(counts), str(sample_path), "-o", str(direct)])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("tok: error:")
    conflict = run(["train", "--counts", str(counts), "--pattern", "o200k", "-o", str(direct), "--no-progress"])
    assert conflict.returncode == 2 and "conflicts" in conflict.stderr


def test_cli_progress_can_be_forced_when_stderr_is_not_a_terminal(tmp_path, sample_path):
    out = tmp_path / "t.json"
    base = [*helpers.python_module_cli(), "train", str(sample_path), "--vocab-size", "400", "-o", str(out)]
    forced = helpers.run_cli([*base, "--progress"])
    assert forced.returncode == 0
    assert "counting" in forced.stderr and "merging" in forced.stderr
    quiet = helpers.run_cli(base)  # stderr is a pipe: no bar unless asked
    assert quiet.returncode == 0
    assert "counting" not in quiet.stderr and "merging" not in quiet.stderr
