"""Bad input found by a sweep of the API: each gives a clear exception, never an abort, an OverflowError without
a name, or a silently different tokenizer."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import toksmith


def _rank_file(path, extra: list[tuple[bytes, int]]) -> str:
    lines = [f"{base64.b64encode(bytes([b])).decode()} {b}" for b in range(256)]
    lines += [f"{base64.b64encode(t).decode()} {r}" for t, r in extra]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# 258 tokens may use ids below 258 + 2**20 (the core's MAX_ID_GAP).
@pytest.mark.parametrize("rank", [2**32 - 1, 2**31, 258 + 2**20])
def test_a_huge_rank_is_an_error_not_an_abort(tmp_path, rank):
    """The tables are sized by the largest id: 2**32 - 1 aborted the process asking for 64 GB."""
    path = _rank_file(tmp_path / "r.tiktoken", [(b"ab", 256), (b"enpx", rank)])
    with pytest.raises(toksmith.InvalidInputError) as e:
        toksmith.Tokenizer.from_tiktoken(path, pattern="o200k")
    assert "r.tiktoken" in str(e.value) and f"has id {rank}, too large" in str(e.value), str(e.value)


def test_a_gap_in_the_ids_below_the_limit_loads(tmp_path):
    path = _rank_file(tmp_path / "r.tiktoken", [(b"ab", 256), (b"abab", 1000)])
    tok = toksmith.Tokenizer.from_tiktoken(path, pattern="gpt2")
    assert tok.encode("ababab") == [1000, 256]


def test_a_huge_id_in_a_tokenizer_json_is_an_error(bbpe_gpt2):
    data = json.loads(bbpe_gpt2.to_str())
    data["model"]["vocab"]["Ġor"] = 4294967294
    with pytest.raises(toksmith.InvalidInputError, match="has id 4294967294, too large"):
        toksmith.Tokenizer.from_str(json.dumps(data))


def test_two_vocabulary_tokens_with_one_id_are_an_error(bbpe_gpt2):
    data = json.loads(bbpe_gpt2.to_str())
    vocab = data["model"]["vocab"]
    vocab["Ġt"] = vocab["a"]
    with pytest.raises(toksmith.InvalidInputError) as e:
        toksmith.Tokenizer.from_str(json.dumps(data))
    assert f"id {vocab['a']} is given to two tokens" in str(e.value) and '"Ġt"' in str(e.value), str(e.value)


def test_an_added_token_on_another_tokens_id_is_an_error(bbpe_gpt2):
    data = json.loads(bbpe_gpt2.to_str())
    amp = data["model"]["vocab"]["&"]
    data["added_tokens"].append({"id": amp, "content": "<|x|>", "single_word": False, "lstrip": False,
                                 "rstrip": False, "normalized": False, "special": True})
    with pytest.raises(toksmith.InvalidInputError, match=f'"<\\|x\\|>" has id {amp}, which the vocabulary gives'):
        toksmith.Tokenizer.from_str(json.dumps(data))


def test_an_added_token_equal_to_its_vocabulary_token_loads(bbpe_gpt2):
    """What HF files do for <unk>, <s>...: the same token in both places, byte-level spelling included."""
    data = json.loads(bbpe_gpt2.to_str())
    for content, token in [("&", "&"), (" t", "Ġt")]:
        data["added_tokens"].append({"id": data["model"]["vocab"][token], "content": content, "single_word": False,
                                     "lstrip": False, "rstrip": False, "normalized": False, "special": True})
    tok = toksmith.Tokenizer.from_str(json.dumps(data))
    assert tok.decode(tok.encode("a&b t", allowed_special="all")) == "a&b t"


@pytest.mark.parametrize("specials", [{"<|e|>": 65}, {"<|e|>": 300, "<|f|>": 300}])
def test_tiktoken_specials_on_taken_ids_are_an_error(tmp_path, specials):
    path = _rank_file(tmp_path / "r.tiktoken", [(b"ab", 256)])
    with pytest.raises(toksmith.InvalidInputError, match="given to|which the vocabulary gives"):
        toksmith.Tokenizer.from_tiktoken(path, pattern="gpt2", special_tokens=specials)


@pytest.mark.parametrize("value", [-1, 2**32, 2**64])
def test_a_special_token_id_out_of_range_names_the_token(tmp_path, value):
    path = _rank_file(tmp_path / "r.tiktoken", [])
    with pytest.raises(toksmith.InvalidInputError, match=f"special token \"<\\|e\\|>\": id {value} is out of range"):
        toksmith.Tokenizer.from_tiktoken(path, pattern="gpt2", special_tokens={"<|e|>": value})


@pytest.mark.parametrize("ids", [[5, -1], [5, 2**32], [5, 2**70], np.array([5, -1], dtype=np.int8)],
                         ids=["negative", "2**32", "2**70", "numpy int8"])
@pytest.mark.parametrize("method", ["decode", "decode_bytes"])
def test_ids_out_of_range_are_unknown_ids_at_their_position(bbpe_gpt2, ids, method):
    with pytest.raises(toksmith.UnknownTokenError) as e:
        getattr(bbpe_gpt2, method)(ids)
    assert isinstance(e.value, KeyError) and str(e.value).startswith("unknown token id ") and "at position 1" in \
        str(e.value), str(e.value)


def test_one_id_out_of_range(bbpe_gpt2):
    for bad in (-1, 2**32, 2**70):
        assert bbpe_gpt2.id_to_token(bad) is None
        with pytest.raises(toksmith.UnknownTokenError, match=f"unknown token id {bad}"):
            bbpe_gpt2.decode_single_token_bytes(bad)
    with pytest.raises(TypeError, match="id"):
        bbpe_gpt2.id_to_token("5")


def test_negative_counts_and_seeds_name_the_argument(bbpe_gpt2, sample_path):
    with pytest.raises(toksmith.InvalidInputError, match="num_threads must be a non-negative integer, got -1"):
        bbpe_gpt2.encode_batch(["a", "b"], num_threads=-1)
    with pytest.raises(toksmith.InvalidInputError, match="seed .*got -1"):
        bbpe_gpt2.encode_dropout("hello", 0.1, seed=-1)
    with pytest.raises(toksmith.InvalidInputError, match="seed .*got 18446744073709551616 \\(too large\\)"):
        bbpe_gpt2.encode_dropout("hello", 0.1, seed=2**64)
    counts = toksmith.count([sample_path], show_progress=False)
    with pytest.raises(toksmith.InvalidInputError, match="n must be a non-negative integer, got -1"):
        counts.most_common(-1)
    assert counts.most_common(2**70) == counts.most_common()
    for name in ("vocab_size", "min_frequency", "max_piece_length"):
        with pytest.raises(toksmith.InvalidInputError, match=f"{name} must be at most 4,294,967,295"):
            toksmith.train([sample_path], show_progress=False, **{name: 10**20})


def test_a_billion_threads_are_capped_not_started(bbpe_gpt2):
    """It started 21,529 OS threads in ten minutes before it was killed."""
    texts = ["hello world", "ça va", "你好"]
    assert bbpe_gpt2.encode_batch(texts, num_threads=10**9) == [bbpe_gpt2.encode(t) for t in texts]
    assert bbpe_gpt2.encode_ordinary_batch(texts, num_threads=2**200) == [bbpe_gpt2.encode_ordinary(t) for t in texts]


def test_a_misspelt_pattern_name_is_an_error(tmp_path):
    path = _rank_file(tmp_path / "r.tiktoken", [])
    with pytest.raises(toksmith.InvalidInputError, match='unknown pattern name "cl200k"'):
        toksmith.Tokenizer.from_tiktoken(path, pattern="cl200k")
    with pytest.raises(toksmith.InvalidInputError, match="unknown pattern name"):
        toksmith.train(iter(["some text"] * 10), vocab_size=300, pattern="o200", show_progress=False)


def test_a_flipped_bit_in_a_counts_file_is_an_error(tmp_path, sample_path):
    """Each byte past the zstd frame's header, flipped: an error (the frame's checksum), never other counts."""
    counts = toksmith.count([sample_path], show_progress=False)
    path = tmp_path / "c.counts"
    counts.save(str(path))
    good = path.read_bytes()
    for i in range(6, len(good), max(1, len(good) // 400)):
        bad = bytearray(good)
        bad[i] ^= 0x04
        path.write_bytes(bytes(bad))
        with pytest.raises(toksmith.InvalidInputError, match="c.counts"):
            toksmith.WordCounts.load(str(path))


def test_a_rank_file_cannot_hold_a_normalizer(tmp_path, sample_path):
    nfkc = toksmith.train([sample_path], vocab_size=300, normalizer="nfkc", show_progress=False)
    with pytest.raises(toksmith.InvalidInputError, match="normalizer"):
        nfkc.save_tiktoken(str(tmp_path / "x.tiktoken"))
    assert list(tmp_path.iterdir()) == []


def test_saving_through_a_symbolic_link_writes_its_target(tmp_path, bbpe_gpt2):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target.name)
    bbpe_gpt2.save(str(link))
    assert link.is_symlink()
    assert toksmith.Tokenizer.from_file(str(target)).encode("hello world") == bbpe_gpt2.encode("hello world")


def test_a_vocab_txt_without_the_unknown_token_names_the_file(tmp_path):
    path = tmp_path / "not-a-vocab.txt"
    path.write_text("\ufeff[UNK]\nhello\n", encoding="utf-8")  # a byte-order mark hides [UNK]
    with pytest.raises(toksmith.InvalidInputError) as e:
        toksmith.Tokenizer.from_wordpiece_vocab(str(path))
    assert "not-a-vocab.txt" in str(e.value) and "[UNK]" in str(e.value), str(e.value)
