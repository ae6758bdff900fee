"""HF tokenizer.json files with BPE and WordPiece models decode as HF decodes them, whatever their decoder (none,
BPEDecoder, Metaspace, the Llama-style Replace/ByteFallback/Fuse/Strip chain, CTC, WordPiece, ByteLevel in a
Sequence); a decoder type or a file version HF does not know is refused as HF refuses it."""

from __future__ import annotations

import json
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

import toksmith

CORPUS = ["Hello world, this is a test of decoders. Ünïcödé and 日本語 text: don't stop, it's fine!",
          "the quick brown fox jumps over the lazy dog 12 345 6789",
          "émigré naïve café — “quotes” and ‘more’ ... ok?"] * 30
TEXTS = ["Hello world", " leading and trailing ", "don't stop , it's fine !", "日本語 text", "café ... ok?",
         "a  b\tc\nd", "", "x", "Ünïcödé émigré", "a xyzzy b"]


def _char_bpe(**trainer_options) -> Tokenizer:
    t = Tokenizer(models.BPE(unk_token="<unk>", **{k: v for k, v in trainer_options.items()
                                                    if k in ("continuing_subword_prefix", "end_of_word_suffix")}))
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=200, special_tokens=["<unk>", "<pad>", "|"],
                                                      show_progress=False, **trainer_options))
    t.add_tokens(["xyzzy"])  # not special: kept by skip_special_tokens
    return t


def none_decoder() -> Tokenizer:
    return _char_bpe()


def bpe_decoder() -> Tokenizer:
    t = _char_bpe(end_of_word_suffix="</w>")
    t.decoder = decoders.BPEDecoder(suffix="</w>")
    return t


def wordpiece_decoder() -> Tokenizer:
    t = _char_bpe(continuing_subword_prefix="##")
    t.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    return t


def wordpiece_decoder_in_sequence() -> Tokenizer:
    t = _char_bpe(continuing_subword_prefix="##")
    t.decoder = decoders.Sequence([decoders.WordPiece(prefix="##", cleanup=False), decoders.Strip(" ", 1, 1)])
    return t


def ctc_decoder() -> Tokenizer:
    t = _char_bpe()
    t.decoder = decoders.CTC(pad_token="<pad>", word_delimiter_token="|", cleanup=True)
    return t


def metaspace() -> Tokenizer:
    t = Tokenizer(models.BPE(unk_token="<unk>"))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.decoder = decoders.Metaspace()
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=200, special_tokens=["<unk>"],
                                                      show_progress=False))
    return t


def llama_style() -> Tokenizer:
    """What transformers' converter writes for a byte-fallback SentencePiece BPE (Llama 2, Mistral)."""
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                   decoders.Strip(" ", 1, 0)])
    alphabet = [f"<0x{b:02X}>" for b in range(256)]
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"]
                                                      + alphabet, show_progress=False))
    return t


def byte_level(decoder) -> Callable[[], Tokenizer]:
    def make() -> Tokenizer:
        t = Tokenizer(models.BPE())
        t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        t.decoder = decoder
        t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|end|>"],
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                          show_progress=False))
        t.add_tokens(["xyzzy"])
        return t
    return make


KINDS: dict[str, Callable[[], Tokenizer]] = {
    "none": none_decoder, "BPEDecoder": bpe_decoder, "WordPiece": wordpiece_decoder,
    "WordPiece in a Sequence": wordpiece_decoder_in_sequence, "CTC": ctc_decoder, "Metaspace": metaspace,
    "Llama-style chain": llama_style, "byte-level, no decoder": byte_level(None),
    "byte-level, ByteLevel then Strip": byte_level(decoders.Sequence([decoders.ByteLevel(),
                                                                       decoders.Strip(" ", 1, 0)])),
    "byte-level, ByteLevel": byte_level(decoders.ByteLevel()),
}


@pytest.fixture(scope="module", params=list(KINDS), ids=list(KINDS))
def pair(request) -> tuple[Tokenizer, toksmith.Tokenizer]:
    hf = KINDS[request.param]()
    return hf, toksmith.Tokenizer.from_str(hf.to_str())


def test_decode_matches_hf_on_encoded_text(pair):
    hf, ours = pair
    for text in TEXTS:
        ids = hf.encode(text).ids
        assert ours.encode(text, allowed_special="all") == ids, text
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip), text


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.integers(min_value=0, max_value=10**6), max_size=25), skip=st.booleans())
def test_decode_matches_hf_on_any_ids(pair, picks, skip):
    hf, ours = pair
    ids = [p % hf.get_vocab_size(with_added_tokens=True) for p in picks]
    assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip)


def test_decoder_survives_saving(pair):
    hf, ours = pair
    again_hf = Tokenizer.from_str(ours.to_str())
    again = toksmith.Tokenizer.from_str(ours.to_str())
    ids = [i for text in TEXTS for i in hf.encode(text).ids]
    assert again_hf.decode(ids, skip_special_tokens=False) == hf.decode(ids, skip_special_tokens=False)
    assert again.decode(ids) == hf.decode(ids, skip_special_tokens=False)


def _edited(hf: Tokenizer, edit) -> str:
    data = json.loads(hf.to_str())
    edit(data)
    return json.dumps(data)


REFUSED_BY_BOTH = {
    "unknown decoder type": lambda d: d.update(decoder={"type": "Cyrillic"}),
    "unknown decoder in a Sequence": lambda d: d.update(decoder={"type": "Sequence", "decoders": [
        {"type": "Fuse"}, {"type": "NoSuchDecoder"}]}),
    "version 2.0": lambda d: d.update(version="2.0"),
    "version as a number": lambda d: d.update(version=1.0),
}


@pytest.mark.parametrize("edit", REFUSED_BY_BOTH.values(), ids=REFUSED_BY_BOTH.keys())
def test_what_hf_refuses_is_refused(edit):
    text = _edited(none_decoder(), edit)
    with pytest.raises(Exception):
        Tokenizer.from_str(text)
    with pytest.raises(toksmith.InvalidInputError):
        toksmith.Tokenizer.from_str(text)


def test_a_file_without_version_loads_as_in_hf():
    text = _edited(none_decoder(), lambda d: d.pop("version"))
    hf = Tokenizer.from_str(text)
    assert toksmith.Tokenizer.from_str(text).encode("Hello world", allowed_special="all") == hf.encode(
        "Hello world").ids


def test_added_token_decodes_through_the_chain():
    """An added token's content goes through HF's decoder chain like any token (Metaspace turns its ▁ into a
    space)."""
    hf = metaspace()
    hf.add_tokens([AddedToken("▁new▁word", normalized=False)])
    ours = toksmith.Tokenizer.from_str(hf.to_str())
    ids = hf.encode("a ▁new▁word b").ids
    assert ours.decode(ids) == hf.decode(ids, skip_special_tokens=False)


# (A Strip with stop > 0 makes HF 0.23.3 panic on an empty token, which Metaspace leaves of a lone "▁".)
@pytest.mark.parametrize("decoder", [None, decoders.Sequence([decoders.Replace("▁", " "), decoders.Strip(" ", 1, 0)]),
                                     decoders.CTC()], ids=["none", "Replace then Strip", "CTC"])
def test_unigram_files_decode_as_hf(decoder):
    t = Tokenizer(models.Unigram())
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoder
    t.train_from_iterator(CORPUS, trainers.UnigramTrainer(vocab_size=150, special_tokens=["<unk>", "<pad>"],
                                                          unk_token="<unk>", show_progress=False))
    ours = toksmith.Tokenizer.from_str(t.to_str())
    for text in TEXTS:
        ids = t.encode(text).ids
        assert ours.encode(text, allowed_special="all") == ids, text
        assert ours.decode(ids) == t.decode(ids, skip_special_tokens=False), text
