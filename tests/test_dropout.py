"""BPE-dropout against the reference libraries.

HF-style BPE (``Tokenizer.encode_dropout``, and ``tokenizer.json`` files that set
``dropout``) against HF ``tokenizers`` with ``BPE(dropout=p)``; SentencePiece BPE
(``encode_dropout`` / ``encode_sample``) against ``sp.encode(enable_sampling=True,
alpha=p)``. Samples are random, so distributions are compared with a two-sample
chi-square test at a strict level (a false alarm about once in 10^5 runs); a test
checks that the comparison does tell two nearby dropout rates apart. The limits
(p = 0 and p = 1) are compared exactly.
"""

from __future__ import annotations

import collections
import json
import math

import pytest
import sentencepiece as spm
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import helpers
import toksmith
from test_sentencepiece import model_path

WORDS = [" tokenization", " internationalization", " unbelievably", "Hello world", " the quick brown fox"]
N = 3000


def chi2_critical(df: int, alpha_z: float = 4.265) -> float:
    """Upper critical value of chi-square with ``df`` degrees of freedom
    (Wilson-Hilferty; z = 4.265 is a one-sided level of 1e-5)."""
    k = 2.0 / (9.0 * df)
    return df * (1.0 - k + alpha_z * math.sqrt(k)) ** 3


def same_distribution(a: collections.Counter, b: collections.Counter, min_count: int = 10) -> tuple[bool, str]:
    """Two-sample chi-square on the outcome counts (rare outcomes pooled)."""
    na, nb = sum(a.values()), sum(b.values())
    keys = set(a) | set(b)
    common = [k for k in keys if a[k] + b[k] >= min_count]
    rare_a = sum(a[k] for k in keys if k not in common)
    rare_b = sum(b[k] for k in keys if k not in common)
    cells = [(a[k], b[k]) for k in common]
    if rare_a + rare_b >= min_count:
        cells.append((rare_a, rare_b))
    if len(cells) < 2:
        return True, "one outcome"
    stat = 0.0
    for x, y in cells:
        tot = x + y
        ea, eb = tot * na / (na + nb), tot * nb / (na + nb)
        stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb
    df = len(cells) - 1
    crit = chi2_critical(df)
    return stat <= crit, f"chi2={stat:.1f} df={df} critical={crit:.1f}"


@pytest.fixture(scope="module")
def bbpe(tmp_path_factory):
    """A byte-level BPE trained by us, loaded in both libraries."""
    tok = toksmith.train([str(helpers.REPO / "data" / "sample.txt")], vocab_size=1500, pattern="cl100k")
    path = tmp_path_factory.mktemp("dropout") / "tokenizer.json"
    tok.save(path)
    return tok, path


def hf_with_dropout(path, p: float) -> HFTokenizer:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["model"]["dropout"] = p
    return HFTokenizer.from_str(json.dumps(doc))


@pytest.mark.parametrize("p", [0.4, 0.7])
@pytest.mark.parametrize("word", WORDS[:3])
def test_hf_bpe_dropout_distribution(bbpe, word, p):
    tok, path = bbpe
    hf = hf_with_dropout(path, p)
    ours = collections.Counter(tuple(tok.encode_dropout(word, p, seed=s)) for s in range(N))
    theirs = collections.Counter(tuple(hf.encode(word, add_special_tokens=False).ids) for _ in range(N))
    ok, why = same_distribution(ours, theirs)
    assert ok, f"{word!r} p={p}: {why}; ours {ours.most_common(4)}, HF {theirs.most_common(4)}"
    assert len(ours) > 3, ours


def test_the_comparison_tells_nearby_rates_apart(bbpe):
    tok, path = bbpe
    hf = hf_with_dropout(path, 0.5)
    ours = collections.Counter(tuple(tok.encode_dropout(WORDS[1], 0.4, seed=s)) for s in range(N))
    theirs = collections.Counter(tuple(hf.encode(WORDS[1], add_special_tokens=False).ids) for _ in range(N))
    assert not same_distribution(ours, theirs)[0]


def test_json_dropout_is_loaded_applied_and_saved(bbpe, tmp_path):
    tok, path = bbpe
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["model"]["dropout"] = 0.25
    src = tmp_path / "with-dropout.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    ours = toksmith.Tokenizer.from_file(src)
    assert ours.dropout == pytest.approx(0.25)
    assert tok.dropout is None
    # every encode now drops merges, as in HF
    word = WORDS[1]
    got = collections.Counter(tuple(ours.encode(word)) for _ in range(N))
    hf = HFTokenizer.from_file(str(src))
    ref = collections.Counter(tuple(hf.encode(word, add_special_tokens=False).ids) for _ in range(N))
    ok, why = same_distribution(got, ref)
    assert ok, why
    assert len(got) > 1
    # and it survives a save: HF reads the same rate back
    out = tmp_path / "saved.json"
    ours.save(out)
    assert json.loads(out.read_text(encoding="utf-8"))["model"]["dropout"] == pytest.approx(0.25)
    assert HFTokenizer.from_file(str(out)).model.dropout == pytest.approx(0.25)


@settings(max_examples=60, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_hf_limits_are_exact(bbpe, text):
    tok, path = bbpe
    assert tok.encode_dropout(text, 0.0, seed=3) == tok.encode_ordinary(text)
    hf = hf_with_dropout(path, 1.0)
    assert tok.encode_dropout(text, 1.0, seed=3) == hf.encode(text, add_special_tokens=False).ids


@pytest.mark.parametrize("name", ["botchan_en_bpe_1000", "mistral_v1"])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_sentencepiece_bpe_dropout_distribution(name, p):
    path = model_path(name)
    tok = toksmith.Tokenizer.from_sentencepiece(path)
    sp = spm.SentencePieceProcessor(model_file=str(path))
    for text in ["I have been taught", "internationalization"]:
        ours = collections.Counter(tuple(tok.encode_dropout(text, p, seed=s)) for s in range(N))
        theirs = collections.Counter(tuple(sp.encode(text, enable_sampling=True, alpha=p)) for _ in range(N))
        ok, why = same_distribution(ours, theirs)
        assert ok, f"{name} {text!r} p={p}: {why}; ours {ours.most_common(3)}, sp {theirs.most_common(3)}"
        assert len(ours) > 3, ours
        assert tok.encode_sample(text, alpha=p, seed=11) == tok.encode_dropout(text, p, seed=11)


@settings(max_examples=60, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_sentencepiece_limits_are_exact(text):
    path = model_path("mistral_v1")
    tok = _spm(path)
    sp = spm.SentencePieceProcessor(model_file=str(path))
    assert tok.encode_dropout(text, 0.0, seed=1) == sp.encode(text)
    assert tok.encode_dropout(text, 1.0, seed=1) == sp.encode(text, enable_sampling=True, alpha=1.0)


_SPM: dict = {}


def _spm(path):
    if path not in _SPM:
        _SPM[path] = toksmith.Tokenizer.from_sentencepiece(path)
    return _SPM[path]


def test_seed_reproduces_and_errors(bbpe):
    tok, _ = bbpe
    text = " ".join(WORDS)
    assert tok.encode_dropout(text, 0.3, seed=5) == tok.encode_dropout(text, 0.3, seed=5)
    assert len({tuple(tok.encode_dropout(text, 0.3, seed=s)) for s in range(20)}) > 1
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="dropout must be between 0 and 1"):
            tok.encode_dropout("x", bad)
    uni = toksmith.Tokenizer.from_sentencepiece(model_path("botchan_en_unigram_1000"))
    with pytest.raises(ValueError, match="BPE-dropout needs a BPE model"):
        uni.encode_dropout("hello", 0.1)


def test_cli_dropout(bbpe):
    tok, path = bbpe
    word = WORDS[1]
    r = helpers.run_cli([*helpers.python_module_cli(), "encode", "-t", str(path), "--dropout", "0.5", "--seed", "4", word])
    assert r.returncode == 0, r.stderr
    assert [int(x) for x in r.stdout.split()] == tok.encode_dropout(word, 0.5, seed=4)
    r = helpers.run_cli([*helpers.python_module_cli(), "encode", "-t", str(path), "--dropout", "1.5", word])
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "dropout must be between 0 and 1" in r.stderr
    r = helpers.run_cli([*helpers.python_module_cli(), "encode", "-t", str(path), "--dropout", "0.1", "--full", word])
    assert r.returncode == 2 and "--dropout" in r.stderr

