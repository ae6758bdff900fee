"""HF tokenizer.json files: added tokens' lstrip, rstrip, single_word and normalized encode as HF encodes them, and
the fields toksmith cannot honour (or that have the wrong type) are refused instead of ignored."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

import toksmith

TEXTS = ["Hello <mask>!", "Hello <mask> world", "a<mask>b", " <mask> ", "<mask>", "x  <mask>  <mask>\t\ny",
         "under_<mask>_score", "é<mask>", "1<mask> 2", "<mask><mask>", "  ", "", "a <mask>b <mask> c"]


@pytest.fixture(scope="module")
def hf_base() -> str:
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(["Hello world, this is a test of masks and under_scores. é 1 2"] * 50,
                          trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                              show_progress=False))
    return t.to_str()


OPTIONS = [dict(lstrip=True), dict(rstrip=True), dict(lstrip=True, rstrip=True), dict(single_word=True),
           dict(single_word=True, lstrip=True), {}]


def _both(hf_base: str, options: dict, tmp_path) -> tuple[Tokenizer, toksmith.Tokenizer]:
    hf = Tokenizer.from_str(hf_base)
    hf.add_special_tokens([AddedToken("<mask>", **options)])
    path = tmp_path / "t.json"
    hf.save(str(path))
    return hf, toksmith.Tokenizer.from_file(str(path))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "+".join(o) or "plain")
def test_added_token_options_match_hf(hf_base, options, tmp_path):
    hf, ours = _both(hf_base, options, tmp_path)
    for text in TEXTS:
        want = hf.encode(text)
        assert ours.encode(text, allowed_special="all") == want.ids, text
        full = ours.encode_full(text, allowed_special="all")
        assert (full.ids, full.offsets) == (want.ids, want.offsets), text
    # and they survive our own save
    again = toksmith.Tokenizer.from_str(ours.to_str())
    assert [again.encode(t, allowed_special="all") for t in TEXTS] == [hf.encode(t).ids for t in TEXTS]


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(["<mask>", " ", "\t", "\n", "a", "é", "_", "1", "!", "  ", "\u3000"]),
                     max_size=12).map("".join))
def test_added_token_options_match_hf_on_generated_text(hf_base, tmp_path_factory, text):
    for options in OPTIONS:
        hf, ours = _both(hf_base, options, tmp_path_factory.mktemp("opt"))
        assert ours.encode(text, allowed_special="all") == hf.encode(text).ids, (options, text)


def _edited(hf_base: str, edit) -> str:
    data = json.loads(hf_base)
    edit(data)
    return json.dumps(data)


REFUSED = {
    "truncation": lambda d: d.update(truncation={"direction": "Right", "max_length": 5, "strategy": "LongestFirst",
                                                 "stride": 0}),
    "padding": lambda d: d.update(padding={"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of":
                                           None, "pad_id": 0, "pad_type_id": 0, "pad_token": "!"}),
    "byte-level with a suffix": lambda d: d["model"].update(end_of_word_suffix="</w>"),
    "byte-level with a prefix": lambda d: d["model"].update(continuing_subword_prefix="##"),
    "unk_token not a string": lambda d: d["model"].update(unk_token=5),
    "ignore_merges not a bool": lambda d: d["model"].update(ignore_merges="no"),
    "byte_fallback not a bool": lambda d: d["model"].update(byte_fallback="yes"),
    "added_tokens not a list": lambda d: d.update(added_tokens={}),
    "lstrip not a bool": lambda d: d["added_tokens"].append({"id": 300, "content": "<x>", "lstrip": "yes",
                                                            "special": True}),
    "ByteLevel flag not a bool": lambda d: d["pre_tokenizer"].update(add_prefix_space="no"),
    "BertNormalizer flag not a bool": lambda d: d.update(normalizer={"type": "BertNormalizer", "lowercase": "yes"}),
    "Strip flag not a bool": lambda d: d.update(normalizer={"type": "Strip", "strip_left": "x", "strip_right": True}),
    "template given as a string": lambda d: d.update(post_processor={"type": "TemplateProcessing",
                                                                     "single": "<mask> $A", "pair": None,
                                                                     "special_tokens": {}}),
    "template sequence C": lambda d: d.update(post_processor={"type": "TemplateProcessing",
                                                              "single": [{"Sequence": {"id": "C", "type_id": 0}}],
                                                              "pair": None, "special_tokens": {}}),
}


@pytest.mark.parametrize("edit", REFUSED.values(), ids=REFUSED.keys())
def test_what_cannot_be_honoured_is_refused(hf_base, edit):
    with pytest.raises(toksmith.InvalidInputError):
        toksmith.Tokenizer.from_str(_edited(hf_base, edit))


def test_byte_level_with_unk_and_a_missing_byte_is_refused(hf_base):
    """HF would give [UNK] for the missing byte's characters; toksmith's byte-level encoder has no unknowns."""
    def edit(d):
        vocab = d["model"]["vocab"]
        vocab["[UNK]"] = len(vocab)
        d["model"]["unk_token"] = "[UNK]"
        gone = "Î"  # the byte 0xCE's symbol, in no merge of this vocabulary
        assert not any(gone in m for m in map(str, d["model"]["merges"]))
        del vocab[gone]
    with pytest.raises(toksmith.InvalidInputError, match="lacks the byte 0xCE"):
        toksmith.Tokenizer.from_str(_edited(hf_base, edit))


# Added tokens with normalized=True: HF finds them in the normalized text, after the tokens that are not normalized,
# their own content normalized too.

NORM_FRAGMENTS = ["HeLLo", "hello", "HELLO", "[RAW]", "[raw]", "ﬁne", "fine", "FINE", " ", "  ", "\t", "wor", "WORLD",
                  "ld", "x", "é", "É", "①", "[RAW]HeLLo"]


@pytest.fixture(scope="module", params=["byte-level", "char-level"])
def hf_normalized(request) -> str:
    if request.param == "byte-level":
        t = Tokenizer(models.BPE())
        t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        t.decoder = decoders.ByteLevel()
        extra = dict(initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    else:
        t = Tokenizer(models.BPE(unk_token="[UNK]"))
        t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        extra = dict(special_tokens=["[UNK]"])
    t.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    t.train_from_iterator(["Hello world, fine words: hello é ① raw"] * 50,
                          trainers.BpeTrainer(vocab_size=300, show_progress=False, **extra))
    t.add_special_tokens([AddedToken("[RAW]", normalized=False)])
    t.add_tokens([AddedToken("HeLLo", normalized=True), AddedToken("ﬁne", normalized=True),
                  AddedToken("wor", normalized=True, single_word=True), AddedToken("ld", normalized=True, lstrip=True,
                                                                                     rstrip=True),
                  AddedToken("[raw]hello", normalized=True)])
    return t.to_str()


def test_normalized_added_tokens_match_hf(hf_normalized):
    hf = Tokenizer.from_str(hf_normalized)
    ours = toksmith.Tokenizer.from_str(hf_normalized)
    assert any(a.normalized for a in hf.get_added_tokens_decoder().values())
    for text in ["HELLO world", "a ﬁne FINE fine", "[RAW]HeLLo", "[raw]hello", "sWORld", " WOR LD ", "é①HeLLo",
                 "wor", "x ld x", ""] + NORM_FRAGMENTS:
        want = hf.encode(text)
        full = ours.encode_full(text, allowed_special="all")
        assert (full.ids, full.offsets) == (want.ids, want.offsets), text
        assert ours.encode(text, allowed_special="all") == want.ids, text
    again = toksmith.Tokenizer.from_str(ours.to_str())
    assert again.encode("a HELLO fine", allowed_special="all") == hf.encode("a HELLO fine").ids
    assert Tokenizer.from_str(ours.to_str()).encode("a HELLO fine").ids == hf.encode("a HELLO fine").ids


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(NORM_FRAGMENTS), max_size=10).map("".join))
def test_normalized_added_tokens_match_hf_on_generated_text(hf_normalized, text):
    hf = Tokenizer.from_str(hf_normalized)
    ours = toksmith.Tokenizer.from_str(hf_normalized)
    want = hf.encode(text)
    full = ours.encode_full(text, allowed_special="all")
    assert (full.ids, full.offsets) == (want.ids, want.offsets)
    assert ours.encode(text, allowed_special="all") == want.ids
