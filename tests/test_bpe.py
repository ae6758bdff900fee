"""BPE training and encoding, checked against HF tokenizers, tiktoken's patterns and Python's codecs."""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import time

import helpers
import hypothesis.strategies as st
import pytest
import regex
import tokenizers
import toksmith
from helpers import SPECIALS, assert_same_ids, assert_same_model
from hypothesis import given

# --------------------------------------------------------------------------- (a) training oracles

# corpus (see conftest.corpora), vocab_size, min_frequency, special_tokens
BBPE_ORACLE_CASES = [
    ("sample-path", 300, 2, ()),
    ("sample-str", 1000, 0, SPECIALS),
    ("sample-path", 3000, 5, ("<|endoftext|>",)),
    ("multilingual-iter", 300, 1, ()),
    ("multilingual-iterable", 1000, 2, ("<s>", "</s>", "<unk>")),
    ("multilingual-file", 3000, 0, ()),
    ("english-dir", 260, 2, ()),
    ("english-dir", 1000, 5, ("<|endoftext|>",)),
    ("english-paths", 3000, 1, ()),  # the corpus runs out of pairs before 3000
]


def _case_id(case) -> str:
    corpus, vocab_size, min_frequency, special_tokens = case
    return f"{corpus}-v{vocab_size}-f{min_frequency}-s{len(special_tokens)}"


@pytest.mark.parametrize(("corpus", "vocab_size", "min_frequency", "special_tokens"), BBPE_ORACLE_CASES,
                         ids=[_case_id(c) for c in BBPE_ORACLE_CASES])
def test_bbpe_gpt2_training_matches_hf(corpora, corpus, vocab_size, min_frequency, special_tokens):
    source = corpora[corpus]
    tok = toksmith.train(source.make_input(), model="bbpe", vocab_size=vocab_size, pattern="gpt2",
                         min_frequency=min_frequency, special_tokens=special_tokens, show_progress=False)
    hf = helpers.hf_bbpe(source.hf_lines(), vocab_size, min_frequency, special_tokens)

    assert_same_model(tok, hf.get_vocab(), helpers.hf_merges(hf))
    assert tok.model == "bbpe"
    assert tok.special_tokens == {s: hf.token_to_id(s) for s in special_tokens}


@pytest.mark.parametrize("corpus", ["multilingual-iterable", "english-dir"])
def test_bbpe_without_pattern_matches_hf_without_regex(corpora, corpus):
    """pattern=None: each document is one word, like HF's ByteLevel(use_regex=False)."""
    source = corpora[corpus]
    tok = toksmith.train(source.make_input(), model="bbpe", vocab_size=800, pattern=None, min_frequency=2,
                         show_progress=False)
    hf = helpers.hf_bbpe(source.hf_lines(), 800, 2, use_regex=False)

    assert_same_model(tok, hf.get_vocab(), helpers.hf_merges(hf))
    assert tok.pattern is None


def test_without_pattern_tokens_span_spaces():
    lines = ["ab cd\n"] * 50
    whole = toksmith.train(iter(lines), model="bbpe", vocab_size=270, pattern=None, min_frequency=2,
                           show_progress=False)
    split = toksmith.train(iter(lines), model="bbpe", vocab_size=270, pattern="gpt2", min_frequency=2,
                           show_progress=False)

    assert ("ab", "Ġcd") in whole.merges
    assert "abĠcdĊ" in whole.get_vocab()
    assert whole.encode_ordinary("ab cd\n") == [whole.token_to_id("abĠcdĊ")]
    # with a pattern, no token can hold a letter followed by a space
    assert not [t for t in split.get_vocab() if re.search(r"[a-z]Ġ", t)]


def _untied_alphabet_limit(lines: list[str]) -> int:
    """A limit_alphabet that keeps about 80% of the characters and cuts between two different counts,
    so which characters HF drops does not depend on how it breaks ties."""
    counts = sorted(collections.Counter("".join(lines)).values())
    for limit in range(int(len(counts) * 0.8), len(counts)):
        removed = len(counts) - limit
        if counts[removed - 1] != counts[removed]:
            return limit
    raise AssertionError("no untied cut in the alphabet")


# corpus, merges on top of the alphabet, min_frequency, special_tokens, limit the alphabet
CHAR_ORACLE_CASES = [
    ("sample-path", 500, 2, (), False),
    ("english-dir", 300, 1, ("<unk>",), False),
    ("multilingual-iterable", 400, 2, ("<s>", "</s>"), True),
]


@pytest.mark.parametrize(("corpus", "merges", "min_frequency", "special_tokens", "limited"), CHAR_ORACLE_CASES,
                         ids=[c[0] + ("-limited" if c[-1] else "") for c in CHAR_ORACLE_CASES])
def test_char_bpe_training_matches_hf(corpora, corpus, merges, min_frequency, special_tokens, limited):
    source = corpora[corpus]
    lines = source.hf_lines()
    limit = _untied_alphabet_limit(lines) if limited else None
    alphabet = limit if limited else len(set("".join(lines)))
    vocab_size = alphabet + len(special_tokens) + merges

    tok = toksmith.train(source.make_input(), model="bpe", vocab_size=vocab_size, pattern="gpt2",
                         min_frequency=min_frequency, special_tokens=special_tokens, limit_alphabet=limit,
                         show_progress=False)
    hf = helpers.hf_char_bpe(lines, vocab_size, min_frequency, special_tokens, limit_alphabet=limit)

    assert_same_model(tok, hf.get_vocab(), helpers.hf_merges(hf))
    assert tok.model == "bpe"


# --------------------------------------------------------------------------- (b) decoding


@given(text=helpers.any_text)
def test_decode_inverts_encode_ordinary(bbpe_gpt2, text):
    ids = bbpe_gpt2.encode_ordinary(text)
    assert bbpe_gpt2.decode_bytes(ids) == text.encode("utf-8")
    assert bbpe_gpt2.decode(ids) == text


def test_decode_inverts_encode_ordinary_on_sample(bbpe_gpt2, sample_text):
    ids = bbpe_gpt2.encode_ordinary(sample_text)
    assert bbpe_gpt2.decode(ids) == sample_text
    assert len(ids) < len(sample_text.encode("utf-8")) / 2  # the merges are used


@given(data=st.data())
def test_decode_is_lossy_utf8_of_the_token_bytes(bbpe_gpt2, data):
    """Any id sequence, split UTF-8 sequences included: bytes from GPT-2's table, U+FFFD as Python does."""
    specials = set(bbpe_gpt2.special_tokens.values())
    ordinary = sorted(i for i in bbpe_gpt2.get_vocab().values() if i not in specials)
    ids = data.draw(st.lists(st.sampled_from(ordinary), max_size=40), label="ids")
    expected = b"".join(helpers.byte_level_token_bytes(bbpe_gpt2.id_to_token(i)) for i in ids)
    assert bbpe_gpt2.decode_bytes(ids) == expected
    assert bbpe_gpt2.decode(ids) == expected.decode("utf-8", errors="replace")


def test_single_bytes_are_in_vocab_and_decode_as_bytes(bbpe_gpt2):
    vocab = bbpe_gpt2.get_vocab()
    for byte, char in helpers.byte_to_unicode().items():
        assert char in vocab, f"byte {byte:#04x} ({char!r}) is not in the vocab"
        assert bbpe_gpt2.decode_bytes([vocab[char]]) == bytes([byte])
    assert bbpe_gpt2.decode([vocab[helpers.byte_to_unicode()[0xE2]]]) == "\ufffd"


def test_token_lookups_agree_with_vocab(bbpe_gpt2):
    vocab = bbpe_gpt2.get_vocab()
    assert sorted(vocab.values()) == list(range(bbpe_gpt2.vocab_size))
    for token, i in vocab.items():
        assert bbpe_gpt2.token_to_id(token) == i
        assert bbpe_gpt2.id_to_token(i) == token
    assert bbpe_gpt2.token_to_id("no such token, surely") is None
    assert bbpe_gpt2.id_to_token(bbpe_gpt2.vocab_size + 7) is None


# --------------------------------------------------------------------------- (c) batches


@pytest.fixture(scope="module")
def hf_of_bbpe_gpt2(bbpe_gpt2) -> tokenizers.Tokenizer:
    return tokenizers.Tokenizer.from_str(bbpe_gpt2.to_str())


texts_with_specials = st.lists(
    st.lists(st.one_of(helpers.assigned_text, st.sampled_from(SPECIALS)), max_size=5).map("".join), max_size=12
)


@given(texts=texts_with_specials, num_threads=st.sampled_from([None, 1, 2]))
def test_encode_batch_equals_encode(bbpe_gpt2, hf_of_bbpe_gpt2, texts, num_threads):
    batch = bbpe_gpt2.encode_batch(texts, num_threads=num_threads, allowed_special="all")
    assert batch == [bbpe_gpt2.encode(t, allowed_special="all") for t in texts]
    assert batch == [e.ids for e in hf_of_bbpe_gpt2.encode_batch(texts, add_special_tokens=True)]

    ordinary = bbpe_gpt2.encode_ordinary_batch(texts, num_threads=num_threads)
    assert ordinary == [bbpe_gpt2.encode_ordinary(t) for t in texts]


def test_encode_batch_rejects_disallowed_special(bbpe_gpt2):
    with pytest.raises(ValueError, match=re.escape("<|pad|>")):
        bbpe_gpt2.encode_batch(["fine", "not <|pad|> fine"])


def test_large_batch_in_groups_equals_encode(bbpe_gpt2):
    # Over a megabyte: encoded in groups, each group's lists made while the next is encoded.
    texts = [f"text {i}: " + "héllo wörld 世界 ok " * (i % 97) for i in range(3000)]
    assert sum(len(t.encode()) for t in texts) > 1_000_000
    want = [bbpe_gpt2.encode_ordinary(t) for t in texts]
    for n in (None, 1, 2):
        assert bbpe_gpt2.encode_ordinary_batch(texts, num_threads=n) == want
    assert bbpe_gpt2.encode_batch(texts, num_threads=2) == want
    texts[2500] += "<|pad|>"  # in a late group
    with pytest.raises(ValueError, match=re.escape("<|pad|>")):
        bbpe_gpt2.encode_batch(texts, num_threads=2)


def test_batch_in_a_forked_child(bbpe_gpt2):
    # The parent's thread pool does not survive fork (multiprocessing's default on Linux): a child
    # must build its own instead of waiting forever on threads that are not there.
    texts = ["one two three", "four"] * 50
    want = bbpe_gpt2.encode_ordinary_batch(texts, num_threads=2)
    assert bbpe_gpt2.encode_ordinary_batch(texts) == want
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            same = all(bbpe_gpt2.encode_ordinary_batch(texts, num_threads=n) == want for n in (None, 2))
            os.write(write_end, b"1" if same else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("encode_ordinary_batch hung in a forked child")
        time.sleep(0.02)
    assert os.read(read_end, 1) == b"1"
    os.close(read_end)


# --------------------------------------------------------------------------- (d) save and load


def _loaded_copies(tok, json_path):
    tok.save(json_path)
    return {
        "from_file(Path)": toksmith.Tokenizer.from_file(json_path),
        "from_file(str)": toksmith.Tokenizer.from_file(str(json_path)),
        "from_str": toksmith.Tokenizer.from_str(tok.to_str()),
    }


def test_save_load_round_trip(bbpe_gpt2, json_path, sample_text):
    text_with_special = "<|endoftext|>" + sample_text[:2000] + "<|pad|>"
    for how, loaded in _loaded_copies(bbpe_gpt2, json_path).items():
        assert loaded.get_vocab() == bbpe_gpt2.get_vocab(), how
        assert list(loaded.merges) == list(bbpe_gpt2.merges), how
        assert loaded.special_tokens == bbpe_gpt2.special_tokens, how
        assert (loaded.model, loaded.pattern, loaded.vocab_size) == (
            bbpe_gpt2.model, bbpe_gpt2.pattern, bbpe_gpt2.vocab_size), how
        assert loaded.encode_ordinary(sample_text) == bbpe_gpt2.encode_ordinary(sample_text), how
        assert loaded.encode(text_with_special, allowed_special="all") == bbpe_gpt2.encode(
            text_with_special, allowed_special="all"), how


def test_saved_file_is_hf_json_with_same_model(bbpe_gpt2, json_path):
    bbpe_gpt2.save(json_path)
    text = json_path.read_text(encoding="utf-8")
    data = json.loads(text)
    specials = bbpe_gpt2.special_tokens
    assert data["model"]["type"] == "BPE"
    assert {t: i for t, i in data["model"]["vocab"].items() if t not in specials} == {
        t: i for t, i in bbpe_gpt2.get_vocab().items() if t not in specials}
    assert helpers.json_merges(text) == [tuple(m) for m in bbpe_gpt2.merges]
    assert {t["content"]: t["id"] for t in data["added_tokens"] if t["special"]} == specials


def test_loads_hf_trained_tokenizer(sample_path, sample_text, json_path):
    hf = helpers.hf_bbpe(helpers.read_lines(sample_path), 1000, 2, SPECIALS)
    hf.save(str(json_path))
    tok = toksmith.Tokenizer.from_file(json_path)

    assert_same_model(tok, hf.get_vocab(), helpers.hf_merges(hf))
    assert tok.special_tokens == {s: hf.token_to_id(s) for s in SPECIALS}
    assert_same_ids(tok.encode_ordinary(sample_text), hf.encode(sample_text, add_special_tokens=False).ids)


# --------------------------------------------------------------------------- (e) HF loads what we save


@pytest.fixture(scope="module", params=["gpt2", "cl100k", "o200k"])
def saved_by_pattern(request, sample_path, tmp_path_factory):
    """Pair(pattern name, toksmith tokenizer trained on data/sample.txt and numbers, HF tokenizer loaded from
    the file toksmith saved)."""
    corpus = helpers.read_lines(sample_path) + helpers.number_lines()
    tok = toksmith.train(iter(corpus), model="bbpe", vocab_size=1000, pattern=request.param, min_frequency=2,
                         show_progress=False)
    path = tmp_path_factory.mktemp(f"saved-{request.param}") / "tokenizer.json"
    tok.save(path)
    return helpers.Pair(request.param, tok, tokenizers.Tokenizer.from_file(str(path)))


def test_hf_gives_same_ids_on_real_text(saved_by_pattern, sample_text, multilingual_lines):
    tok, hf = saved_by_pattern.ours, saved_by_pattern.hf
    for text in (sample_text, "".join(multilingual_lines), "".join(helpers.number_lines(300, seed=4))):
        assert_same_ids(tok.encode_ordinary(text), hf.encode(text, add_special_tokens=False).ids)


@given(text=helpers.assigned_text)
def test_hf_gives_same_ids_on_random_text(saved_by_pattern, text):
    tok, hf = saved_by_pattern.ours, saved_by_pattern.hf
    assert_same_ids(tok.encode_ordinary(text), hf.encode(text, add_special_tokens=False).ids)


def test_saved_pre_tokenizer_splits_like_tiktoken(saved_by_pattern, sample_text, multilingual_lines):
    """HF, running the pre-tokenizer toksmith wrote, cuts text where tiktoken's regex does; so does
    toksmith's own `pattern` (its regex source)."""
    name, tok, hf = saved_by_pattern.name, saved_by_pattern.ours, saved_by_pattern.hf
    tiktoken_re = regex.compile(helpers.tiktoken_patterns()[name])
    ours_re = regex.compile(tok.pattern)
    for line in helpers.split_keep_newline(sample_text) + multilingual_lines:
        expected = tiktoken_re.findall(line)
        assert [piece for piece, _ in hf.pre_tokenizer.pre_tokenize_str(line)] == [
            helpers.to_byte_level(p) for p in expected], line
        assert ours_re.findall(line) == expected, line


def test_pattern_names_are_aliases(sample_path):
    """"r50k" and "p50k" are the gpt2 pattern."""
    lines = helpers.read_lines(sample_path)[:300]
    trained = {name: toksmith.train(iter(lines), vocab_size=400, pattern=name, show_progress=False)
               for name in ("gpt2", "r50k", "p50k")}
    assert len({t.pattern for t in trained.values()}) == 1
    assert len({tuple(t.merges) for t in trained.values()}) == 1


# --------------------------------------------------------------------------- (f) the Anthropic tokenizer.json


@pytest.fixture(scope="module")
def anthropic_pair(anthropic_tokenizer_path):
    return helpers.Pair("anthropic", toksmith.Tokenizer.from_file(anthropic_tokenizer_path),
                        tokenizers.Tokenizer.from_file(str(anthropic_tokenizer_path)))


def test_anthropic_model_is_read_whole(anthropic_pair, anthropic_tokenizer_path):
    ours, hf = anthropic_pair.ours, anthropic_pair.hf
    text = anthropic_tokenizer_path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert ours.get_vocab() == hf.get_vocab(with_added_tokens=True)
    assert [tuple(m) for m in ours.merges] == helpers.json_merges(text)
    assert ours.special_tokens == {t["content"]: t["id"] for t in data["added_tokens"] if t["special"]}
    assert ours.vocab_size == hf.get_vocab_size(with_added_tokens=True)
    assert ours.model == "bbpe"


def test_anthropic_same_ids_on_real_text(anthropic_pair, sample_text, multilingual_lines):
    ours, hf = anthropic_pair.ours, anthropic_pair.hf
    for text in (sample_text, "".join(multilingual_lines)):
        assert_same_ids(ours.encode_ordinary(text), hf.encode(text, add_special_tokens=False).ids)


@given(text=helpers.nfkc_safe_text)
def test_anthropic_same_ids_on_random_text(anthropic_pair, text):
    """The file has an NFKC normalizer; see helpers.nfkc_agrees for the characters left out."""
    ours, hf = anthropic_pair.ours, anthropic_pair.hf
    assert_same_ids(ours.encode_ordinary(text), hf.encode(text, add_special_tokens=False).ids)


ANTHROPIC_SPECIAL_TEXTS = [
    "\n\nHuman: hello<EOT>",
    '<META_START>{"role": "assistant"}<META_END>\n\nAssistant: 你好',
    "<SOS><SOS>x <EOT> <META>",
    "＜EOT＞ is fullwidth: NFKC turns it into ASCII, but the raw text holds no special token",
]


@pytest.mark.parametrize("text", ANTHROPIC_SPECIAL_TEXTS)
def test_anthropic_special_tokens_in_text(anthropic_pair, text):
    ours, hf = anthropic_pair.ours, anthropic_pair.hf
    expected = hf.encode(text, add_special_tokens=False).ids
    assert_same_ids(ours.encode(text, allowed_special="all"), expected)
    present = [s for s in ours.special_tokens if s in text]
    if present:
        with pytest.raises(ValueError) as raised:
            ours.encode(text)
        assert any(s in str(raised.value) for s in present), str(raised.value)
    else:
        assert_same_ids(ours.encode(text), expected)


# --------------------------------------------------------------------------- (g) special tokens

# text, encode() keyword arguments, the special token the error must name (None: no error),
# the special tokens HF must match in the text for the expected ids
SPECIAL_CASES = [
    ("Hello <|endoftext|> world", {}, "<|endoftext|>", None),
    ("a<|pad|>b", {}, "<|pad|>", None),
    ("x <|endoftext|> y <|pad|>", {"allowed_special": {"<|endoftext|>"}}, "<|pad|>", None),
    ("x <|endoftext|> y", {"disallowed_special": {"<|endoftext|>"}}, "<|endoftext|>", None),
    ("x <|endoftext|> y <|pad|>", {"allowed_special": "all"}, None, SPECIALS),
    ("<|endoftext|><|endoftext|>\n", {"allowed_special": set(SPECIALS)}, None, SPECIALS),
    ("x <|endoftext|> y <|pad|>", {"allowed_special": {"<|endoftext|>"}, "disallowed_special": ()}, None,
     {"<|endoftext|>"}),
    ("x <|endoftext|> y <|pad|>", {"disallowed_special": ()}, None, ()),
    ("no special tokens here", {}, None, ()),
]


@pytest.mark.parametrize(("text", "kwargs", "error_names", "hf_matches"), SPECIAL_CASES)
def test_special_tokens_follow_tiktoken_semantics(bbpe_gpt2, text, kwargs, error_names, hf_matches):
    if error_names is not None:
        with pytest.raises(ValueError, match=re.escape(error_names)) as raised:
            bbpe_gpt2.encode(text, **kwargs)
        assert isinstance(raised.value, toksmith.TokenizerError)
        return
    hf = helpers.hf_with_added_tokens(bbpe_gpt2.to_str(), keep=hf_matches)
    assert_same_ids(bbpe_gpt2.encode(text, **kwargs), hf.encode(text, add_special_tokens=True).ids)


def test_allowed_special_is_its_id(bbpe_gpt2):
    eot = bbpe_gpt2.special_tokens["<|endoftext|>"]
    ids = bbpe_gpt2.encode("<|endoftext|>", allowed_special="all")
    assert ids == [eot]
    assert bbpe_gpt2.get_vocab()["<|endoftext|>"] == eot


@pytest.mark.parametrize("text", ["Hello <|endoftext|> world <|pad|>", "<|endoftext|>", "<|pad|><|pad"])
def test_encode_ordinary_treats_special_tokens_as_text(bbpe_gpt2, text):
    ids = bbpe_gpt2.encode_ordinary(text)
    plain = helpers.hf_with_added_tokens(bbpe_gpt2.to_str(), keep=())
    assert_same_ids(ids, plain.encode(text, add_special_tokens=False).ids)
    assert not set(ids) & set(bbpe_gpt2.special_tokens.values())
    assert bbpe_gpt2.decode(ids) == text
