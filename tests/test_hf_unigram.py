"""HF `tokenizer.json` files with a Unigram model: toksmith loads, encodes, decodes and saves them
exactly as HF `tokenizers` does.

The reference files are built offline with HF's own API: Unigram models made from the vocabularies,
scores and precompiled charsmaps of the sentencepiece 0.2.3 test models (as HF's
`SentencePieceUnigramTokenizer.from_spm` does, plus variants of normalizer, Metaspace, decoder,
byte fallback, added tokens and post-processor), and a model trained by HF's `UnigramTrainer` on
data/sample.txt. The charsmap and flags are read from the `.model` by a small protobuf reader here,
independent of toksmith. A missing model is a failure, never a skip.
"""

from __future__ import annotations

import functools
import json

import pytest
import sentencepiece as spm
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

import helpers
import toksmith

EXTERNAL = helpers.REPO / "tests" / "data" / "external" / "sentencepiece"
SPM_MODELS = ["botchan_en_unigram_1000", "kyoto_ja_unigram_8000"]


# ----------------------------------------------------------------------------- .model fields


def _varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        x = b[i]
        i += 1
        n |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return n, i


def _fields(b: bytes) -> list[tuple[int, object]]:
    """(field number, value) of a protobuf message: ints for varints, bytes for the rest."""
    out, i = [], 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise AssertionError(f"wire type {wire}")
        out.append((field, v))
    return out


def spm_fields(path) -> dict:
    top = _fields(path.read_bytes())
    norm = dict(_fields(next(v for f, v in top if f == 3)))
    trainer = dict(_fields(next(v for f, v in top if f == 2)))
    return {
        "charsmap": norm.get(2, b""),
        "add_dummy_prefix": bool(norm.get(3, 1)),
        "remove_extra_whitespaces": bool(norm.get(4, 1)),
        "byte_fallback": bool(trainer.get(35, 0)),
    }


def model_path(name: str):
    p = EXTERNAL / f"{name}.model"
    assert p.is_file(), f"{p} is missing: run `python scripts/fetch_test_models.py`"
    return p


@functools.cache
def spm_vocab(name: str) -> tuple[list[tuple[str, float]], int]:
    sp = spm.SentencePieceProcessor(model_file=str(model_path(name)))
    return [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())], sp.unk_id()


# ----------------------------------------------------------------------------- HF references


def hf_from_spm(name: str) -> Tokenizer:
    """What HF's SentencePieceUnigramTokenizer.from_spm builds."""
    f = spm_fields(model_path(name))
    vocab, unk = spm_vocab(name)
    t = Tokenizer(models.Unigram(vocab, unk, f["byte_fallback"]))
    steps = [normalizers.Precompiled(f["charsmap"])] if f["charsmap"] else []
    t.normalizer = normalizers.Sequence([*steps, normalizers.Replace(Regex(" {2,}"), " ")])
    scheme = "always" if f["add_dummy_prefix"] else "never"
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme)
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme)
    return t


def hf_llama_style() -> Tokenizer:
    """Prepend/Replace normalizer, no pre-tokenizer, byte fallback and its decoder chain."""
    vocab, unk = spm_vocab("botchan_en_unigram_1000")
    vocab = vocab + [(f"<0x{b:02X}>", 0.0) for b in range(256)]
    t = Tokenizer(models.Unigram(vocab, unk, True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                   decoders.Strip(" ", 1, 0)])
    return t


def hf_first_nosplit() -> Tokenizer:
    """Precompiled only, Metaspace prepend 'first' without split, special tokens and a template."""
    name = "kyoto_ja_unigram_8000"
    vocab, unk = spm_vocab(name)
    t = Tokenizer(models.Unigram(vocab, unk, False))
    t.normalizer = normalizers.Precompiled(spm_fields(model_path(name))["charsmap"])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    t.add_special_tokens(["<s>", "</s>"])
    t.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B </s>",
        special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])
    return t


def hf_nmt_lower() -> Tokenizer:
    """Nmt, NFKC, Lowercase, Strip and a regex Replace; Metaspace 'never' in a Sequence."""
    vocab, unk = spm_vocab("botchan_en_unigram_1000")
    t = Tokenizer(models.Unigram(vocab, unk, False))
    t.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(), normalizers.Lowercase(),
                                         normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(prepend_scheme="never")])
    t.decoder = decoders.Metaspace(prepend_scheme="never")
    return t


def hf_trained() -> Tokenizer:
    """HF's UnigramTrainer on data/sample.txt, with SentencePieceUnigramTokenizer's pipeline."""
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(),
                                         normalizers.Replace(Regex(" {2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=4000, special_tokens=["<unk>", "<s>", "</s>"],
                                      unk_token="<unk>", show_progress=False)
    t.train([str(helpers.SAMPLE_PATH)], trainer)
    return t


REFERENCES = {
    "from_spm_botchan": lambda: hf_from_spm("botchan_en_unigram_1000"),
    "from_spm_kyoto": lambda: hf_from_spm("kyoto_ja_unigram_8000"),
    "llama_style": hf_llama_style,
    "first_nosplit": hf_first_nosplit,
    "nmt_lower": hf_nmt_lower,
    "hf_trained": hf_trained,
}


@functools.cache
def unk_id_of(hf_json: str) -> int:
    return json.loads(hf_json)["model"]["unk_id"]


@functools.cache
def pair(name: str) -> tuple[toksmith.Tokenizer, Tokenizer]:
    hf = REFERENCES[name]()
    hf = Tokenizer.from_str(hf.to_str())  # exactly what the file says
    return toksmith.Tokenizer.from_str(hf.to_str()), hf


@functools.cache
def real_lines() -> list[str]:
    lines = helpers.SAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    botchan = EXTERNAL / "botchan.txt"
    assert botchan.is_file()
    return lines[:1500] + botchan.read_text(encoding="utf-8").splitlines()[:500]


def assert_same(tok: toksmith.Tokenizer, hf: Tokenizer, text: str, offsets: bool = True) -> None:
    ref = hf.encode(text)
    helpers.assert_same_ids(tok.encode(text, allowed_special="all"), ref.ids)
    full = tok.encode_full(text, allowed_special="all")
    assert full.ids == ref.ids
    # HF names a fused unknown token by its text; toksmith by the vocabulary entry.
    unk = unk_id_of(hf.to_str())
    assert full.tokens == [t if i != unk else hf.id_to_token(i) for i, t in zip(ref.ids, ref.tokens)]
    if offsets:
        assert full.offsets == ref.offsets, helpers.first_difference(full.offsets, ref.offsets)
    for skip in (False, True):
        assert tok.decode(ref.ids, skip_special_tokens=skip) == hf.decode(ref.ids, skip_special_tokens=skip)


# ----------------------------------------------------------------------------- loading


@pytest.mark.parametrize("name", list(REFERENCES))
def test_loaded_json_encodes_and_decodes_as_hf_on_real_text(name):
    tok, hf = pair(name)
    assert tok.model == "unigram"
    assert tok.vocab_size == hf.get_vocab_size()
    for line in real_lines():
        assert_same(tok, hf, line)


@settings(max_examples=150, deadline=None)
@given(text=helpers.any_text)
def test_loaded_json_equals_hf_on_any_text(text):
    for name in REFERENCES:
        tok, hf = pair(name)
        assert_same(tok, hf, text)


@given(text=st.text(alphabet=st.sampled_from(" \t\n\u3000▁abcdeあ日本<s></s><unk><0x41>ﬁ\u0301e"), max_size=40))
def test_whitespace_symbols_and_literal_specials(text):
    for name in REFERENCES:
        tok, hf = pair(name)
        assert_same(tok, hf, text)


@given(ids=st.lists(st.integers(min_value=0, max_value=999), max_size=40), skip=st.booleans())
def test_decode_arbitrary_ids(ids, skip):
    for name in REFERENCES:
        tok, hf = pair(name)
        assert tok.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip)


def test_json_round_trip_through_toksmith_loads_in_hf_with_the_same_ids(tmp_path):
    for name in REFERENCES:
        tok, hf = pair(name)
        out = tmp_path / f"{name}.json"
        tok.save(str(out))
        again = Tokenizer.from_file(str(out))
        for line in real_lines()[::7]:
            assert again.encode(line).ids == hf.encode(line).ids
            assert again.decode(hf.encode(line).ids) == hf.decode(hf.encode(line).ids)


def test_unsupported_json_is_a_clear_error():
    tok, hf = pair("from_spm_botchan")
    doc = json.loads(hf.to_str())
    doc["pre_tokenizer"] = {"type": "Whitespace"}
    with pytest.raises(ValueError, match="pre_tokenizer"):
        toksmith.Tokenizer.from_str(json.dumps(doc))
    doc = json.loads(hf.to_str())
    doc["model"]["unk_id"] = None
    with pytest.raises(ValueError, match="unk_id"):
        toksmith.Tokenizer.from_str(json.dumps(doc))


# ----------------------------------------------------------------------------- saving


@pytest.mark.parametrize("name", SPM_MODELS)
def test_model_saved_as_json_is_what_hf_from_spm_builds(name, tmp_path):
    out = tmp_path / "t.json"
    toksmith.Tokenizer.from_sentencepiece(model_path(name)).save(str(out))
    ours = Tokenizer.from_file(str(out))
    ref = hf_from_spm(name)
    assert ours.get_vocab() == ref.get_vocab()
    loaded = toksmith.Tokenizer.from_file(str(out))
    for line in real_lines()[::3]:
        ids = ref.encode(line).ids
        assert ours.encode(line).ids == ids
        assert loaded.encode(line) == ids
        assert ours.decode(ids) == ref.decode(ids)


@pytest.fixture(scope="module")
def trained_unigram():
    return toksmith.train(str(helpers.SAMPLE_PATH), model="unigram", vocab_size=4000, show_progress=False)


@settings(max_examples=60, deadline=None)
@given(text=helpers.any_text)
def test_trained_unigram_saved_as_json_encodes_identically_in_hf(trained_unigram, tmp_path_factory, text):
    out = tmp_path_factory.getbasetemp() / "trained_unigram.json"
    if not out.exists():
        trained_unigram.save(str(out))
    hf = Tokenizer.from_file(str(out))
    loaded = toksmith.Tokenizer.from_file(str(out))
    assert_same(loaded, hf, text)


def test_trained_unigram_json_on_real_text(trained_unigram, tmp_path):
    out = tmp_path / "t.json"
    trained_unigram.save(str(out))
    hf = Tokenizer.from_file(str(out))
    loaded = toksmith.Tokenizer.from_file(str(out))
    assert loaded.vocab_size == trained_unigram.vocab_size == hf.get_vocab_size()
    for line in real_lines()[::2]:
        assert_same(loaded, hf, line)


def test_models_hf_cannot_represent_are_refused(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text((EXTERNAL / "botchan.txt").read_text(encoding="utf-8")[:200000], encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "u"), vocab_size=400,
                                   user_defined_symbols=["foo"], minloglevel=2, num_threads=2)
    tok = toksmith.Tokenizer.from_sentencepiece(tmp_path / "u.model")
    with pytest.raises(ValueError, match="user-defined piece"):
        tok.save(str(tmp_path / "u.json"))
    assert not (tmp_path / "u.json").exists()
    bpe = toksmith.Tokenizer.from_sentencepiece(EXTERNAL / "botchan_en_bpe_1000.model")
    with pytest.raises(ValueError, match="only Unigram"):
        bpe.save(str(tmp_path / "b.json"))


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("name", SPM_MODELS)
def test_cli_converts_model_to_json_and_back(name, tmp_path):
    cli = helpers.python_module_cli()
    js, back = tmp_path / "t.json", tmp_path / "back.model"
    r = helpers.run_cli([*cli, "convert", str(model_path(name)), "-o", str(js)])
    assert r.returncode == 0, r.stderr
    hf, ref = Tokenizer.from_file(str(js)), hf_from_spm(name)
    r = helpers.run_cli([*cli, "convert", str(js), "-o", str(back)])
    assert r.returncode == 0, r.stderr
    sp = spm.SentencePieceProcessor(model_file=str(model_path(name)))
    sp2 = spm.SentencePieceProcessor(model_file=str(back))
    assert sp2.get_piece_size() == sp.get_piece_size()
    for line in real_lines()[::5]:
        assert hf.encode(line).ids == ref.encode(line).ids
        assert sp2.encode(line) == sp.encode(line)
        assert sp2.decode(sp.encode(line)) == sp.decode(sp.encode(line))


def test_cli_refuses_json_with_no_model_equivalent(tmp_path):
    tok, hf = pair("first_nosplit")
    js = tmp_path / "t.json"
    js.write_text(hf.to_str(), encoding="utf-8")
    r = helpers.run_cli([*helpers.python_module_cli(), "convert", str(js), "-o", str(tmp_path / "x.model")])
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "cannot be written as a SentencePiece" in r.stderr
    assert not (tmp_path / "x.model").exists()
