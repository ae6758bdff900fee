"""Training options beyond the basic oracle: max_token_length, unk_token, byte_fallback.

Each is checked against HF tokenizers: the trainer's merges where HF has the
option, and HF's own encoding of the file we save otherwise.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import Tokenizer, pre_tokenizers, trainers, models

import helpers
import toksmith


@pytest.mark.parametrize("max_len", [2, 3, 5])
def test_max_token_length_matches_hf(multilingual_lines, max_len):
    lines = multilingual_lines[:1500]
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=1200, min_frequency=2, max_token_length=max_len,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    ours = toksmith.train(iter(lines), model="bbpe", pattern="gpt2", vocab_size=1200, min_frequency=2,
                          max_token_length=max_len, show_progress=False)
    want = json.loads(hf.to_str())["model"]
    assert ours.get_vocab() == want["vocab"]
    assert [list(m) for m in ours.merges] == [list(helpers.merge_pair(m)) for m in want["merges"]]


@pytest.fixture(scope="module")
def fallback_tok(sample_path):
    # A small alphabet so that many characters need the byte fallback.
    return toksmith.train(sample_path, model="bpe", pattern="gpt2", vocab_size=900, min_frequency=2,
                          limit_alphabet=60, byte_fallback=True, special_tokens=["<unk>"], show_progress=False)


def test_byte_fallback_vocab_and_round_trip(fallback_tok, sample_text):
    vocab = fallback_tok.get_vocab()
    assert all(f"<0x{b:02X}>" in vocab for b in range(256))
    ids = fallback_tok.encode_ordinary(sample_text)
    assert fallback_tok.decode(ids) == sample_text


@given(text=helpers.messy_text())
def test_byte_fallback_round_trips_any_text(fallback_tok, text):
    # Lone surrogates cannot be encoded as UTF-8; like tiktoken, encode replaces them with U+FFFD.
    expected = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert fallback_tok.decode(fallback_tok.encode_ordinary(text)) == expected


def test_byte_fallback_file_gives_hf_ids(fallback_tok, sample_text, tmp_path):
    path = tmp_path / "fallback.json"
    fallback_tok.save(path)
    hf = Tokenizer.from_file(str(path))
    for text in [sample_text, "emoji 🦙🫠 and rare 龘 characters", "ǅ\u0378 x"]:
        assert fallback_tok.encode_ordinary(text) == hf.encode(text, add_special_tokens=False).ids
        assert hf.decode(fallback_tok.encode_ordinary(text)) == text


def test_unk_token_matches_hf(sample_path, sample_text, tmp_path):
    tok = toksmith.train(sample_path, model="bpe", pattern="gpt2", vocab_size=700, min_frequency=2,
                         limit_alphabet=50, unk_token="<unk>", show_progress=False)
    assert tok.special_tokens == {"<unk>": 0}
    path = tmp_path / "unk.json"
    tok.save(path)
    hf = Tokenizer.from_file(str(path))
    text = sample_text[:30000] + " 龘𝔘ǅ"
    ids = tok.encode_ordinary(text)
    assert 0 in ids
    assert ids == hf.encode(text, add_special_tokens=False).ids


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": "bbpe", "unk_token": "<unk>"}, "bpe"),
    ({"model": "bbpe", "byte_fallback": True}, "bpe"),
    ({"model": "bbpe", "limit_alphabet": 100}, "256"),
])
def test_byte_level_rejects_char_level_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        toksmith.train(iter(["some text\n"] * 5), vocab_size=300, show_progress=False, **kwargs)


@given(texts=st.lists(st.text(max_size=50), max_size=20))
def test_batch_threads_agree(fallback_tok, texts):
    assert fallback_tok.encode_ordinary_batch(texts, num_threads=1) == fallback_tok.encode_ordinary_batch(texts)


def test_long_unsplit_lines_match_hf(multilingual_lines):
    # pattern=None with lines of several KB: the trainer's long-word path (>= 256 symbols) against HF.
    joined = "".join(line.rstrip("\n") for line in multilingual_lines)
    lines = [joined[i:i + 3000] + "\n" for i in range(0, min(len(joined), 120_000), 3000)]
    want = helpers.hf_bbpe(lines, vocab_size=1500, min_frequency=2, use_regex=False)
    ours = toksmith.train(iter(lines), model="bbpe", pattern=None, vocab_size=1500, min_frequency=2,
                          show_progress=False)
    helpers.assert_same_model(ours, json.loads(want.to_str())["model"]["vocab"], helpers.hf_merges(want))
