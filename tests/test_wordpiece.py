"""WordPiece: encoding, decoding, vocab files, training and the CLI, checked against HF tokenizers and a
pure-Python reference trainer.

The oracles:

* encoding and decoding: HF's ``BertWordPieceTokenizer(vocab.txt)`` and ``tokenizers.Tokenizer.from_file`` on the
  same files, vocabularies trained by HF and by toksmith, uncased, cased and with the other BertNormalizer options;
* ``scoring="frequency"``: HF's ``BertWordPieceTokenizer().train``, which is not deterministic
  (huggingface/tokenizers#1794), so toksmith must land within HF's own run-to-run spread; and `hf_frequency_trainer`,
  HF's algorithm emulated, which reproduces real HF runs exactly given the "##c" order each run drew;
* ``scoring="likelihood"``: `reference_wordpiece` below, which recounts everything after each merge (quadratic, for
  small corpora only) and compares scores as exact fractions.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import json
import random
import re
import shutil
import sysconfig
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import helpers
import hypothesis.strategies as st
import pytest
import tokenizers
import toksmith
from helpers import assert_same_ids, first_difference, run_cli
from hypothesis import given
from tokenizers import BertWordPieceTokenizer, models, normalizers, pre_tokenizers

BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
HF_VOCAB_SIZE = 4000  # with the default limit_alphabet=1000, sample.txt's rarer characters are [UNK]
OURS_VOCAB_SIZE = 4000


# --------------------------------------------------------------------------- HF oracles and pairs


def hf_bert(vocab: str | Path, *, max_input_chars_per_word: int | None = None, **options) -> BertWordPieceTokenizer:
    """HF's BertWordPieceTokenizer on a vocab.txt; `options` are its own (lowercase, strip_accents, clean_text,
    handle_chinese_chars, unk_token, wordpieces_prefix).

    BertWordPieceTokenizer gives wordpieces_prefix to its decoder only (its model keeps "##") and has no
    max_input_chars_per_word: with either, its model is replaced by models.WordPiece.from_file with both.
    """
    hf = BertWordPieceTokenizer(str(vocab), **options)
    prefix = options.get("wordpieces_prefix", "##")
    if max_input_chars_per_word is not None or prefix != "##":
        hf._tokenizer.model = models.WordPiece.from_file(
            str(vocab), unk_token=str(options.get("unk_token", "[UNK]")), continuing_subword_prefix=prefix,
            max_input_chars_per_word=100 if max_input_chars_per_word is None else max_input_chars_per_word)
    return hf


def hf_train(files: Sequence[Path], *, lowercase: bool = True, **train_options) -> BertWordPieceTokenizer:
    hf = BertWordPieceTokenizer(lowercase=lowercase)
    hf.train([str(f) for f in files], show_progress=False, **train_options)
    return hf


def vocab_in_id_order(vocab: dict[str, int]) -> list[str]:
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    assert [i for _, i in ordered] == list(range(len(ordered))), "ids are not 0..n-1"
    return [t for t, _ in ordered]


def ours_in_id_order(tok) -> list[str]:
    return vocab_in_id_order(tok.get_vocab())


def without_added_tokens(hf) -> tokenizers.Tokenizer:
    """The same HF pipeline with no added tokens: special-token text is ordinary text (the post-processor, which
    names its tokens by id, still adds [CLS] and [SEP])."""
    return helpers.hf_with_added_tokens(hf.to_str(), keep=())


@dataclass(frozen=True)
class WPPair:
    """A toksmith tokenizer and the HF tokenizer that must encode and decode exactly like it."""

    name: str
    ours: object = field(repr=False)
    hf: object = field(repr=False)


@pytest.fixture(scope="session")
def wp_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wordpiece")


@pytest.fixture(scope="session")
def hf_files(wp_dir, sample_path) -> dict[str, Path]:
    """vocab.txt and tokenizer.json of HF-trained BERT vocabularies (uncased and cased) on data/sample.txt, and
    the uncased vocab rewritten with "<unk>" and the "@@" prefix."""
    out: dict[str, Path] = {}
    for name, lowercase in (("uncased", True), ("cased", False)):
        hf = hf_train([sample_path], lowercase=lowercase, vocab_size=HF_VOCAB_SIZE)
        directory = wp_dir / f"hf-{name}"
        directory.mkdir()
        (vocab,) = hf.save_model(str(directory))
        out[f"{name}-vocab"] = Path(vocab)
        out[f"{name}-json"] = directory / "tokenizer.json"
        hf.save(str(out[f"{name}-json"]))
    lines = out["uncased-vocab"].read_text(encoding="utf-8").split("\n")
    at = [("<unk>" if t == "[UNK]" else "@@" + t[2:] if t.startswith("##") else t) for t in lines]
    out["at-vocab"] = wp_dir / "at-vocab.txt"
    out["at-vocab"].write_text("\n".join(at), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def ours_trained(sample_path) -> dict[str, object]:
    return {
        "uncased": toksmith.train(sample_path, model="wordpiece", vocab_size=OURS_VOCAB_SIZE, show_progress=False),
        "cased": toksmith.train(sample_path, model="wordpiece", vocab_size=OURS_VOCAB_SIZE, normalizer="bert_cased",
                                show_progress=False),
        "frequency": toksmith.train(sample_path, model="wordpiece", vocab_size=OURS_VOCAB_SIZE, scoring="frequency",
                                    show_progress=False),
    }


@pytest.fixture(scope="session")
def ours_files(wp_dir, ours_trained) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name, tok in ours_trained.items():
        out[f"{name}-vocab"] = wp_dir / f"ours-{name}-vocab.txt"
        out[f"{name}-json"] = wp_dir / f"ours-{name}-tokenizer.json"
        tok.save_wordpiece_vocab(out[f"{name}-vocab"])
        tok.save(out[f"{name}-json"])
    return out


# The BertNormalizer options checked on the HF-trained cased vocab: (id, options).
OPTION_CASES = [
    ("lowercase-keep-accents", {"lowercase": True, "strip_accents": False}),
    ("cased-strip-accents", {"lowercase": False, "strip_accents": True}),
    ("no-clean-text", {"lowercase": False, "clean_text": False}),
    ("no-chinese-chars", {"handle_chinese_chars": False}),
]  # the same keywords for from_wordpiece_vocab and BertWordPieceTokenizer


PAIR_NAMES = [
    "hf-uncased-vocab.txt", "hf-uncased-tokenizer.json", "hf-cased-vocab.txt", "hf-cased-tokenizer.json",
    "ours-uncased-vocab.txt", "ours-uncased-tokenizer.json", "ours-cased-vocab.txt", "ours-cased-tokenizer.json",
    "ours-frequency-vocab.txt", "hf-at-prefix-vocab.txt", "hf-max-chars-7", *[f"hf-{c[0]}" for c in OPTION_CASES],
]


@pytest.fixture(scope="session")
def all_pairs(hf_files, ours_files, ours_trained) -> dict[str, WPPair]:
    T = toksmith.Tokenizer
    pairs = [
        # (a) HF-trained files, loaded by both
        WPPair("hf-uncased-vocab.txt", T.from_wordpiece_vocab(hf_files["uncased-vocab"]),
               hf_bert(hf_files["uncased-vocab"])),
        WPPair("hf-uncased-tokenizer.json", T.from_file(hf_files["uncased-json"]),
               tokenizers.Tokenizer.from_file(str(hf_files["uncased-json"]))),
        WPPair("hf-cased-vocab.txt", T.from_wordpiece_vocab(hf_files["cased-vocab"], lowercase=False),
               hf_bert(hf_files["cased-vocab"], lowercase=False)),
        WPPair("hf-cased-tokenizer.json", T.from_file(hf_files["cased-json"]),
               tokenizers.Tokenizer.from_file(str(hf_files["cased-json"]))),
        # (b) toksmith-trained tokenizers, saved, loaded by HF
        WPPair("ours-uncased-vocab.txt", ours_trained["uncased"], hf_bert(ours_files["uncased-vocab"])),
        WPPair("ours-uncased-tokenizer.json", ours_trained["uncased"],
               tokenizers.Tokenizer.from_file(str(ours_files["uncased-json"]))),
        WPPair("ours-cased-vocab.txt", ours_trained["cased"], hf_bert(ours_files["cased-vocab"], lowercase=False)),
        WPPair("ours-cased-tokenizer.json", ours_trained["cased"],
               tokenizers.Tokenizer.from_file(str(ours_files["cased-json"]))),
        WPPair("ours-frequency-vocab.txt", ours_trained["frequency"], hf_bert(ours_files["frequency-vocab"])),
        # the other options of from_wordpiece_vocab
        WPPair("hf-at-prefix-vocab.txt",
               T.from_wordpiece_vocab(hf_files["at-vocab"], unk_token="<unk>", continuing_subword_prefix="@@"),
               hf_bert(hf_files["at-vocab"], unk_token="<unk>", wordpieces_prefix="@@")),
        WPPair("hf-max-chars-7", T.from_wordpiece_vocab(hf_files["uncased-vocab"], max_input_chars_per_word=7),
               hf_bert(hf_files["uncased-vocab"], max_input_chars_per_word=7)),
        *[WPPair(f"hf-{name}", T.from_wordpiece_vocab(hf_files["cased-vocab"], **options),
                 hf_bert(hf_files["cased-vocab"], **options)) for name, options in OPTION_CASES],
    ]
    assert [p.name for p in pairs] == PAIR_NAMES
    return {p.name: p for p in pairs}


@pytest.fixture(scope="session", params=PAIR_NAMES)
def pair(request, all_pairs) -> WPPair:
    return all_pairs[request.param]


@pytest.fixture(scope="session")
def uncased(all_pairs) -> WPPair:
    return all_pairs["hf-uncased-vocab.txt"]


@pytest.fixture(scope="session")
def uncased_plain(uncased) -> tokenizers.Tokenizer:
    """HF's uncased tokenizer without added tokens."""
    return without_added_tokens(uncased.hf)


# --------------------------------------------------------------------------- comparing encodings


def encoding_fields(e) -> dict[str, list]:
    return {"ids": list(e.ids), "tokens": list(e.tokens), "offsets": [tuple(o) for o in e.offsets],
            "type_ids": list(e.type_ids)}


def assert_same_encoding(ours, ref, what: str = "") -> None:
    got, want = encoding_fields(ours), encoding_fields(ref)
    for key in want:
        assert got[key] == want[key], f"{what} {key}: {first_difference(got[key], want[key])}; tokens {got['tokens'][:40]} vs {want['tokens'][:40]}"


def check_text(p: WPPair, text: str, pair_text: str | None = None, add_special_tokens: bool = True) -> None:
    """encode_full (specials in text allowed, as HF always matches added tokens) equals HF's encode, and encode,
    encode_batch agree with it."""
    ours = p.ours.encode_full(text, pair_text, allowed_special="all", add_special_tokens=add_special_tokens)
    ref = p.hf.encode(text, pair_text, add_special_tokens=add_special_tokens)
    assert_same_encoding(ours, ref, f"{p.name} {text[:60]!r} / {None if pair_text is None else pair_text[:60]!r}")
    if pair_text is None:
        assert_same_ids(p.ours.encode(text, allowed_special="all", add_special_tokens=add_special_tokens), ref.ids)


# --------------------------------------------------------------------------- text strategies

ACCENTS = ["é", "e\u0301", "Å", "Å", "ǅ", "ǈ", "ﬁ", "ﬀ", "ŉ", "ΐ", "ᾼ", "İ", "ı", "ẞ", "ß", "Σ", "ΣΑΣ", "ς", "K",
           "Ⅻ", "①", "ª", "²", "ñ", "n\u0303", "Ç", "Ø", "Œ", "ǰ", "ǆ", "\u0345", "Ᾰ", "ﬃ", "ѐ", "Ё", "й"]
COMBINING = ["\u0300", "\u0301", "\u0323", "\u0345", "\u0e31", "\u094d", "\u05b4", "\u0610", "\u1ab0", "\u20dd",
             "\ufe20", "\u302a", "\U0001d167", "\u0903", "\u0488"]
CJK = ["中文", "你好", "世界", "𠀀", "\u3400", "\u4dbf", "\u9fff", "\uf900", "\ufaff", "\U0002f800", "\U0002a700",
       "\U00030000", "ひらがな", "カタカナ", "한국어", "ｶﾞ", "。", "、", "，", "「", "」", "〜"]
CONTROL = ["\x00", "\x01", "\x1f", "\x7f", "\x80", "\x9f", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
           "\ufffd", "\x85", "\u00ad", "\u061c", "\U000e0001", "\U000e007f", "\ufff9", "\U000f0000", "\ue000"]
WHITESPACE = [" ", "  ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u1680", "\u2000",
              "\u2007", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "       "]
PUNCTUATION = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["¡", "¿", "§", "¶", "·", "«", "»", "—", "–", "…", "‰",
                                                             "†", "€", "£", "¥", "©", "®", "°", "±", "×", "÷",
                                                             "‘", "’", "“", "”", "※", "⁂", "¦", "¨", "´", "¸"]
WORDS = ["the", "The", "THE", "hello", "Hello", "world", "unbelievable", "chicken-heart", "don't", "I'll",
         "привет", "Москва", "مرحبا", "নমস্তে", "नमस्ते", "日本語", "😀", "👨‍👩‍👧", "🇯🇵", "12345", "3.14",
         "a", "b", "z", "x" * 7, "y" * 8, "recklessness", "grammar", "school"]
SPECIAL_TEXT = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]", "[CLS", "CLS]", "<unk>"]

tricky_piece = st.sampled_from(ACCENTS + COMBINING + CJK + CONTROL + WHITESPACE + PUNCTUATION + WORDS)
tricky_text = st.lists(tricky_piece, max_size=40).map("".join)
punctuation_runs = st.text(alphabet=st.sampled_from(PUNCTUATION), min_size=1, max_size=60)
long_word = st.builds(lambda piece, n: piece * n, st.sampled_from(["a", "ab", "é", "中", "x\u0301", "q", "##"]),
                      st.integers(min_value=90, max_value=130))
# all of Unicode except surrogates, plain and mixed with whitespace runs, controls and long repeats
bert_text = st.one_of(
    st.text(),
    helpers.any_text,
    tricky_text,
    st.lists(st.one_of(tricky_text, st.text(max_size=8), punctuation_runs, long_word, helpers.whitespace_runs),
             max_size=8).map("".join),
)
text_with_specials = st.lists(st.one_of(bert_text, st.sampled_from(SPECIAL_TEXT)), max_size=6).map("".join)


# --------------------------------------------------------------------------- 1. encoding parity


def test_every_sample_line_matches_hf(pair, sample_path):
    lines = helpers.read_lines(sample_path)
    for line in lines:
        check_text(pair, line)
    assert pair.ours.encode_batch(lines, allowed_special="all") == [e.ids for e in pair.hf.encode_batch(lines)]


def test_whole_sample_as_one_text_matches_hf(pair, sample_text):
    check_text(pair, sample_text)
    check_text(pair, sample_text, add_special_tokens=False)


@given(text=bert_text)
def test_hypothesis_text_matches_hf(pair, text):
    check_text(pair, text)


@given(text=bert_text)
def test_hypothesis_without_special_tokens_matches_hf(pair, text):
    check_text(pair, text, add_special_tokens=False)


@given(a=bert_text, b=bert_text, add_special_tokens=st.booleans())
def test_hypothesis_pairs_match_hf(pair, a, b, add_special_tokens):
    check_text(pair, a, b, add_special_tokens=add_special_tokens)


@given(text=text_with_specials, b=st.none() | text_with_specials)
def test_special_token_text_matches_hf(uncased, text, b):
    """HF always matches added tokens in text; toksmith does with allowed_special="all"."""
    check_text(uncased, text, b)


@given(text=text_with_specials)
def test_special_token_text_is_disallowed_by_default(uncased, uncased_plain, text):
    """tiktoken semantics: a special token's text raises ValueError unless allowed; disallowed_special=() makes it
    ordinary text, as for HF without added tokens."""
    present = [s for s in uncased.ours.special_tokens if s in text]
    if present:
        with pytest.raises(ValueError):
            uncased.ours.encode(text)
        with pytest.raises(ValueError):
            uncased.ours.encode_full(text)
    else:
        assert uncased.ours.encode(text) == uncased.hf.encode(text).ids
    assert_same_encoding(uncased.ours.encode_full(text, disallowed_special=()), uncased_plain.encode(text), repr(text))


def test_special_token_text_examples(uncased, uncased_plain):
    ours, hf = uncased.ours, uncased.hf
    text = "Hello [CLS] and [MASK]ed [sep] words"
    with pytest.raises(ValueError, match=re.escape("[CLS]")):
        ours.encode(text)
    allowed = ours.encode_full(text, allowed_special="all")
    assert_same_encoding(allowed, hf.encode(text))
    assert ours.token_to_id("[MASK]") in allowed.ids[1:-1]
    ordinary = ours.encode_full(text, disallowed_special=())
    assert ours.token_to_id("[MASK]") not in ordinary.ids
    assert_same_encoding(ordinary, uncased_plain.encode(text))
    only_mask = ours.encode_full("[MASK] [CLS]", allowed_special={"[MASK]"}, disallowed_special=())
    assert only_mask.tokens[:2] == ["[CLS]", "[MASK]"] and only_mask.tokens[2] == "["


CONTROL_EXAMPLES = [
    "a\x00b", "\x00", "a\x7fb", "zero\u200bwidth", "rep\ufffdlacement", "next\x85line", "\x85", "\ufffd\ufffd",
    "tab\there", "cr\rlf\r\n", "\x01\x02\x03abc\x1f", "soft\u00adhyphen", "bom\ufeffhere", "\u2028\u2029",
    "   leading", "trailing   ", "a" + " " * 300 + "b", "\t\t\n\n  \u3000\u3000x", "", " ", "\x00" * 50,
]


@pytest.mark.parametrize("text", CONTROL_EXAMPLES, ids=[repr(t)[:30] for t in CONTROL_EXAMPLES])
def test_control_and_whitespace_examples(all_pairs, text):
    for p in all_pairs.values():
        check_text(p, text)
        check_text(p, text, "x\x00y\ufffd", add_special_tokens=False)


PUNCT_ACCENT_EXAMPLES = [
    "!!!???...", "hello,world", "a.b.c", "(nested [brackets] {here})", "$100.00", "¿Qué?", "—dash—", "«quotes»",
    "Crème brûlée", "CAFÉ", "e\u0301e\u0301e\u0301", "\u0301\u0301leading marks", "İstanbul", "ΣΑΣ ΟΔΥΣΣΕΥΣ",
    "ﬁﬂﬃ", "Ⅻ①②", "Kelvin K Ångström Å", "ǅungla", "straße STRASSE ẞ", "中文字符和English混合", "日本語のテキスト",
    "한국어 텍스트", "𠀀𠀁𠀂", "\U0002f800\U0002f801", "emoji😀in👨‍👩‍👧words", "🇯🇵🇫🇷", "नमस्ते দুনিয়া",
    "a\u0345b", "ᾼᾳ", "\u0e01\u0e31\u0e1a", "x\u20ddy",
]


@pytest.mark.parametrize("text", PUNCT_ACCENT_EXAMPLES)
def test_punctuation_accent_cjk_examples(all_pairs, text):
    for p in all_pairs.values():
        check_text(p, text)
        check_text(p, text, text.upper())


MASK_EXAMPLES = [("Hello, world!", None), ("Hello [CLS] world", "and a [SEP] pair"), ("", ""), ("中文", "é" * 150)]


def test_encoding_masks_and_sequence_ids_match_hf(pair):
    """The masks and sequence ids hold HF's values."""
    for a, b in MASK_EXAMPLES:
        for add_special_tokens in (True, False):
            ours = pair.ours.encode_full(a, b, allowed_special="all", add_special_tokens=add_special_tokens)
            ref = pair.hf.encode(a, b, add_special_tokens=add_special_tokens)
            assert list(ours.special_tokens_mask) == ref.special_tokens_mask
            assert list(ours.attention_mask) == ref.attention_mask
            assert list(ours.sequence_ids) == ref.sequence_ids
            assert len(ours) == len(ref.ids)


def test_encoding_masks_are_lists_like_hf(uncased):
    """Encoding has everything HF's Encoding has, with the same types: the masks are lists of ints, as HF gives
    them (and as torch.tensor, numpy and json.dumps expect), not bytes."""
    for a, b in MASK_EXAMPLES:
        ours = uncased.ours.encode_full(a, b, allowed_special="all")
        ref = uncased.hf.encode(a, b)
        assert ours.special_tokens_mask == ref.special_tokens_mask, type(ours.special_tokens_mask)
        assert ours.attention_mask == ref.attention_mask, type(ours.attention_mask)
        assert ours.sequence_ids == ref.sequence_ids, type(ours.sequence_ids)
        json.dumps({"attention_mask": ours.attention_mask, "special_tokens_mask": ours.special_tokens_mask})


@given(texts=st.lists(text_with_specials, max_size=10), num_threads=st.sampled_from([None, 1, 2]))
def test_encode_batch_equals_encode_and_hf(uncased, texts, num_threads):
    batch = uncased.ours.encode_batch(texts, num_threads=num_threads, allowed_special="all")
    assert batch == [uncased.ours.encode(t, allowed_special="all") for t in texts]
    assert batch == [e.ids for e in uncased.hf.encode_batch(texts)]
    no_specials = uncased.ours.encode_batch(texts, num_threads=num_threads, allowed_special="all",
                                            add_special_tokens=False)
    assert no_specials == [e.ids for e in uncased.hf.encode_batch(texts, add_special_tokens=False)]


def test_model_and_special_tokens(uncased, ours_trained):
    for tok in (uncased.ours, *ours_trained.values()):
        assert tok.model == "wordpiece"
        assert tok.special_tokens == {s: tok.token_to_id(s) for s in BERT_SPECIALS}
    assert uncased.ours.get_vocab() == uncased.hf.get_vocab()
    assert uncased.ours.vocab_size == uncased.hf.get_vocab_size()


# --------------------------------------------------------------------------- 2. long words


def test_words_at_and_over_max_input_chars_per_word(all_pairs):
    """A word of exactly max_input_chars_per_word characters is split; one more character makes it [UNK]; the
    limit counts characters of the normalized word ("e\u0301" is one character once accents are stripped)."""
    default, seven = all_pairs["hf-uncased-vocab.txt"], all_pairs["hf-max-chars-7"]
    # piece, its length once normalized
    pieces = [("a", 1), ("ab", 2), ("é", 1), ("e\u0301", 1), ("É", 1), ("中", 1), ("Ⅻ", 1), ("ß", 1), ("İ", 2)]
    for p, limit in ((default, 100), (seven, 7)):
        for piece, length in pieces:
            for n in range(max(1, limit // length - 2), limit // length + 3):
                word = piece * n
                check_text(p, word)
                check_text(p, f"x {word}, {word}!")
        unk = p.ours.token_to_id("[UNK]")
        assert p.ours.encode("a" * limit, add_special_tokens=False) != [unk]
        assert p.ours.encode("a" * (limit + 1), add_special_tokens=False) == [unk]
        assert p.ours.encode("e\u0301" * limit, add_special_tokens=False) != [unk]
        full = p.ours.encode_full("x " + "b" * (limit + 1) + " y", add_special_tokens=False)
        assert full.tokens == ["x", "[UNK]", "y"]
        assert full.offsets == [(0, 1), (2, limit + 3), (limit + 4, limit + 5)]


def greedy_wordpiece(word: str, vocab: dict[str, int], *, prefix: str = "##", unk: str = "[UNK]",
                     max_chars: int = 100) -> list[str]:
    """WordPiece on one normalized word: the longest vocab entry at each position, left to right, [UNK] for the
    whole word if some position has none or the word is too long. O(len(word) * longest token), unlike HF's,
    which is quadratic in the word's length (27 s on 10k characters)."""
    if len(word) > max_chars:
        return [unk]
    longest = max(len(t) for t in vocab)
    out, start = [], 0
    while start < len(word):
        for end in range(min(len(word), start + longest), start, -1):
            piece = word[start:end] if start == 0 else prefix + word[start:end]
            if piece in vocab:
                out.append(piece)
                start = end
                break
        else:
            return [unk]
    return out


LONG_PIECES = ["a", "ab", "abc", "é", "the", "xyz", "q", "e\u0301", "ing", "z1"]


def test_greedy_wordpiece_is_hfs(uncased):
    """The reference above agrees with HF on words HF encodes quickly."""
    vocab = uncased.hf.get_vocab()
    for piece in LONG_PIECES + ["unbelievable", "chickenhearted", "recklessness", "xqzj"]:
        for n in (1, 2, 7, 33):
            word = piece * n
            expected = [t for t in uncased.hf.encode(word, add_special_tokens=False).tokens]
            normalized = normalizers.BertNormalizer().normalize_str(word)
            assert greedy_wordpiece(normalized, vocab) == expected, word


@pytest.mark.parametrize("piece", LONG_PIECES)
def test_ten_thousand_char_word(hf_files, piece):
    """A 10k-character word: [UNK] under the default limit (as HF); under a limit large enough to keep it, the
    greedy longest-match pieces, with consecutive offsets; on 1,500 characters, exactly HF's encoding."""
    word = (piece * (10_000 // len(piece) + 1))[:10_000]
    default = WPPair("default", toksmith.Tokenizer.from_wordpiece_vocab(hf_files["uncased-vocab"]),
                     hf_bert(hf_files["uncased-vocab"]))
    check_text(default, word)
    check_text(default, f"before {word} after")
    assert default.ours.encode_full(word, add_special_tokens=False).tokens == ["[UNK]"]

    big = WPPair("limit 20000",
                 toksmith.Tokenizer.from_wordpiece_vocab(hf_files["uncased-vocab"], max_input_chars_per_word=20_000),
                 hf_bert(hf_files["uncased-vocab"], max_input_chars_per_word=20_000))
    short = word[:1500]
    check_text(big, short)
    check_text(big, f"before {short} after, {short[:700]}!")

    vocab = big.ours.get_vocab()
    normalized = normalizers.BertNormalizer().normalize_str(word)
    expected = greedy_wordpiece(normalized, vocab, max_chars=20_000)
    got = big.ours.encode_full(word, add_special_tokens=False)
    assert got.tokens == expected
    assert len(expected) > 1 and "[UNK]" not in expected
    assert got.ids == [vocab[t] for t in expected]
    # the pieces cover the word, each starting where the previous ended (a stripped accent belongs to no piece)
    assert got.offsets[0][0] == 0
    if len(normalized) == len(word):
        assert got.offsets[-1][1] == len(word)
        assert all(a[1] == b[0] for a, b in zip(got.offsets, got.offsets[1:]))
        lengths = [len(t.removeprefix("##")) for t in expected]
        assert [e - s for s, e in got.offsets] == lengths
    again = big.ours.encode_full(f"x {word} {word}", add_special_tokens=False)
    assert again.tokens == ["x", *expected, *expected]


# --------------------------------------------------------------------------- decoding


@given(text=text_with_specials, skip=st.booleans())
def test_decode_of_encoded_text_matches_hf(pair, text, skip):
    ids = pair.hf.encode(text).ids
    assert pair.ours.decode(ids, skip_special_tokens=skip) == pair.hf.decode(ids, skip_special_tokens=skip)


@given(data=st.data(), skip=st.booleans())
def test_decode_of_any_ids_matches_hf(pair, data, skip):
    n = pair.hf.get_vocab_size()
    specials = [pair.hf.token_to_id(s) for s in (*BERT_SPECIALS, "<unk>") if pair.hf.token_to_id(s) is not None]
    ids = data.draw(st.lists(st.integers(0, n - 1) | st.sampled_from(specials), max_size=40), label="ids")
    assert pair.ours.decode(ids, skip_special_tokens=skip) == pair.hf.decode(ids, skip_special_tokens=skip)


def test_decode_examples(uncased, sample_path):
    for line in helpers.read_lines(sample_path)[::7]:
        ids = uncased.hf.encode(line).ids
        for skip in (False, True):
            assert uncased.ours.decode(ids, skip_special_tokens=skip) == uncased.hf.decode(ids, skip_special_tokens=skip)
    ids = uncased.hf.encode("Hello , world ! It ' s a n't do n't \" quoted \" .", "second").ids
    assert uncased.ours.decode(ids) == uncased.hf.decode(ids, skip_special_tokens=False)
    assert uncased.ours.decode(ids, skip_special_tokens=True) == uncased.hf.decode(ids, skip_special_tokens=True)
    with pytest.raises(KeyError):
        uncased.ours.decode([uncased.ours.vocab_size + 5])


# --------------------------------------------------------------------------- 3a. training: scoring="frequency"
#
# HF's WordPieceTrainer is BpeTrainer with the "##" prefix. It is not deterministic (huggingface/tokenizers#1794):
# the "##c" tokens get their ids in the order HF first meets them while iterating its word HashMap, and ties
# between pairs of equal count go to the smaller ids. Three checks:
#
# * the brief's: special tokens and the alphabet have HF's ids, and the size and the token set are within HF's own
#   run-to-run spread (HF_RUNS real HF trainings);
# * exactness: `hf_frequency_trainer`, HF's algorithm emulated (heap entries holding their words, stale entries
#   re-pushed, the merged pair's count never reset), reproduces real HF runs token for token and id for id when given
#   the "##c" order each run used; toksmith equals it given the order toksmith documents (characters in more
#   distinct words first, then code point: the expected order of HF's draw);
# * typicality: with "##c" orders drawn as HF draws them (first appearance over a shuffled word list, seeded),
#   toksmith's vocabulary must be as close to those HF vocabularies as they are to each other.


def _alphabet_and_specials(vocab: dict[str, int], specials: Iterable[str]) -> dict[str, int]:
    specials = set(specials)
    return {t: i for t, i in vocab.items() if t in specials or len(t) == 1}


def _char_counts(words: Counter) -> Counter:
    chars: Counter = Counter()
    for w, k in words.items():
        for ch in w:
            chars[ch] += k
    return chars


def _untied_limit(words: Counter, fraction: float) -> int:
    """A limit_alphabet near `fraction` of the alphabet that cuts between two different character counts, so
    which characters are kept does not depend on how ties are broken."""
    counts = sorted(_char_counts(words).values(), reverse=True)
    for limit in range(int(len(counts) * fraction), len(counts)):
        if counts[limit - 1] != counts[limit]:
            return limit
    raise AssertionError("no untied cut in the alphabet")


def hf_frequency_trainer(words: Counter, vocab_size: int, continuation_order: Sequence[str], *,
                         special_tokens: Sequence[str] = BERT_SPECIALS, min_frequency: int = 2,
                         limit_alphabet: int | None = 1000, prefix: str = "##") -> list[str]:
    """HF tokenizers 0.23 BpeTrainer with continuing_subword_prefix (= WordPieceTrainer), emulated: the vocab in id
    order, with the "##c" tokens in `continuation_order` (then any others by code point).

    As HF: a heap of (count, pair, words) entries, best count then smaller (left id, right id) first; an entry
    whose count is stale is re-pushed with the current count; the best entry's pair is merged only in the entry's
    words, which report the pairs they lost and gained; each gained pair gets a new entry holding the words where
    it was gained; the merged pair's own count is never reset; a merged string that exists keeps its id.
    """
    chars = _char_counts(words)
    kept = sorted(chars, key=lambda c: -chars[c])
    if limit_alphabet is not None:
        kept = kept[:limit_alphabet]
    alphabet = set(kept)
    vocab = list(dict.fromkeys(special_tokens))
    vocab += [c for c in sorted(alphabet) if c not in vocab]
    inner = {ch for w in words for ch in w[1:] if ch in alphabet}
    ordered = [c for c in dict.fromkeys(continuation_order) if c in inner]
    ordered += sorted(inner - set(ordered))
    vocab += [prefix + c for c in ordered if prefix + c not in vocab]
    ids = {t: i for i, t in enumerate(vocab)}
    word_list = list(words.items())
    seqs = [[ids[ch if i == 0 else prefix + ch] for i, ch in enumerate(w) if ch in alphabet] for w, _ in word_list]
    counts = [k for _, k in word_list]
    pair_counts: Counter = Counter()
    where: dict[tuple[int, int], set[int]] = collections.defaultdict(set)
    for j, seq in enumerate(seqs):
        for a, b in zip(seq, seq[1:]):
            pair_counts[a, b] += counts[j]
            where[a, b].add(j)
    heap: list = []
    pushed = itertools.count()

    def push_updates() -> None:
        for p, words_at in where.items():
            if pair_counts[p] > 0:
                heapq.heappush(heap, (-pair_counts[p], p, next(pushed), words_at))
        where.clear()

    push_updates()
    while len(ids) < vocab_size and heap:
        negative, p, _, words_at = heapq.heappop(heap)
        if -negative != pair_counts[p]:
            heapq.heappush(heap, (-pair_counts[p], p, next(pushed), words_at))
            continue
        if -negative < 1 or min_frequency > -negative:
            break
        a, b = p
        merged = vocab[a] + vocab[b].removeprefix(prefix)
        if merged not in ids:
            ids[merged] = len(vocab)
            vocab.append(merged)
        new = ids[merged]
        for j in words_at:
            seq, changes, i = seqs[j], [], 0
            while i < len(seq):
                if seq[i] == a and i + 1 < len(seq) and seq[i + 1] == b:
                    if i > 0:
                        changes += [((seq[i - 1], a), -1), ((seq[i - 1], new), 1)]
                    seq[i:i + 2] = [new]
                    if i < len(seq) - 1:
                        changes += [((b, seq[i + 1]), -1), ((new, seq[i + 1]), 1)]
                i += 1
            for q, change in changes:
                pair_counts[q] += change * counts[j]
                if change > 0:
                    where[q].add(j)
        push_updates()
    return vocab


def hf_random_continuation_order(words: Counter, seed: int) -> list[str]:
    """A "##c" order as HF draws one: characters by first appearance after a word's first position, over the words
    in a random order (HF iterates a HashMap with a random hash seed)."""
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)
    return list(dict.fromkeys(ch for w in shuffled for ch in w[1:]))


def toksmith_continuation_order(words: Counter) -> list[str]:
    """toksmith's documented "##c" order for scoring="frequency": characters found (after a word's first
    position) in more distinct words first, then by code point: the expected order of HF's random walk."""
    df: Counter = Counter()
    for w in words:
        df.update(set(w[1:]))
    return sorted(df, key=lambda c: (-df[c], ord(c)))


def continuation_order_of(vocab_in_order: Sequence[str], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in vocab_in_order if t.startswith(prefix) and len(t) == len(prefix) + 1]


@pytest.fixture(scope="session")
def english_file(wp_dir) -> Path:
    path = wp_dir / "english.txt"
    path.write_text("".join(helpers.english_documents()), encoding="utf-8")
    return path


@dataclass(frozen=True)
class FrequencyCase:
    name: str
    corpus: str  # "sample" or "english"
    vocab_size: int
    limit: int | float | None = 10_000  # None: HF's 1000; a float: an untied cut near that fraction
    min_frequency: int = 2
    prefix: str = "##"
    cased: bool = False

    def setup(self, sample_path: Path, english_file: Path) -> tuple[Path, Counter, dict]:
        path = sample_path if self.corpus == "sample" else english_file
        words = count_words(helpers.read_lines(path), lowercase=not self.cased)
        limit = _untied_limit(words, self.limit) if isinstance(self.limit, float) else self.limit
        return path, words, ({} if limit is None else {"limit_alphabet": limit})

    def hf(self, path: Path, limit_kw: dict) -> list[str]:
        hf = hf_train([path], lowercase=not self.cased, vocab_size=self.vocab_size, min_frequency=self.min_frequency,
                      wordpieces_prefix=self.prefix, **limit_kw)
        return vocab_in_id_order(hf.get_vocab())

    def ours(self, path: Path, limit_kw: dict) -> list[str]:
        tok = toksmith.train(path, model="wordpiece", scoring="frequency", vocab_size=self.vocab_size,
                             min_frequency=self.min_frequency, continuing_subword_prefix=self.prefix,
                             normalizer="bert_cased" if self.cased else "bert", show_progress=False, **limit_kw)
        return ours_in_id_order(tok)

    def emulate(self, words: Counter, limit_kw: dict, order: Sequence[str]) -> list[str]:
        return hf_frequency_trainer(words, self.vocab_size, order, min_frequency=self.min_frequency,
                                    prefix=self.prefix, limit_alphabet=limit_kw.get("limit_alphabet", 1000))


FREQUENCY_CASES = {c.name: c for c in [
    FrequencyCase("sample-v8000", "sample", 8000),
    FrequencyCase("sample-v5000-untied-cut", "sample", 5000, limit=0.3),
    FrequencyCase("sample-v6000-untied-cut", "sample", 6000, limit=0.6),
    FrequencyCase("sample-v6000-minf10", "sample", 6000, min_frequency=10),
    FrequencyCase("sample-v7000-cased", "sample", 7000, cased=True),
    FrequencyCase("english-v400", "english", 400, limit=None),
    FrequencyCase("english-v1000-runs-out", "english", 1000, limit=None),
    FrequencyCase("english-v350-minf5-atat", "english", 350, limit=None, min_frequency=5, prefix="@@"),
    FrequencyCase("english-v600-cased-minf0", "english", 600, limit=None, min_frequency=0, cased=True),
]}
# The real-HF spread check is statistical (HF_RUNS real trainings); with a vocabulary typical of HF's, it passed 500
# of 500 resamplings of 10 runs from 20 in every case. The typicality check below is its deterministic counterpart.
SPREAD_CASES = list(FREQUENCY_CASES)
HF_RUNS = 10
TYPICALITY_SAMPLES = 16


@pytest.mark.parametrize("case", SPREAD_CASES)
def test_frequency_training_within_hf_spread(sample_path, english_file, case):
    c = FREQUENCY_CASES[case]
    path, _, limit_kw = c.setup(sample_path, english_file)
    hf_runs = [dict(zip(v, range(len(v)))) for v in (c.hf(path, limit_kw) for _ in range(HF_RUNS))]
    ours_order = c.ours(path, limit_kw)
    ours = dict(zip(ours_order, range(len(ours_order))))

    # special tokens and the alphabet have HF's ids (HF gives them deterministically)
    reference_alphabet = _alphabet_and_specials(hf_runs[0], BERT_SPECIALS)
    assert all(_alphabet_and_specials(v, BERT_SPECIALS) == reference_alphabet for v in hf_runs[1:])
    assert _alphabet_and_specials(ours, BERT_SPECIALS) == reference_alphabet
    # the size and the token set are within HF's own run-to-run spread
    sizes = [len(v) for v in hf_runs]
    if len(set(sizes)) == 1:
        assert len(ours) == sizes[0], (len(ours), sizes)
    else:
        # HF's own size varies when the pairs run out (its duplicate merges depend on the "##c" order): ours must
        # be within that range, give or take the one or two duplicate merges a single draw can add or save.
        assert min(sizes) - 2 <= len(ours) <= max(sizes) + 2, (len(ours), sizes)
    sets = [set(v) for v in hf_runs]
    spread = max(len(a ^ b) for a, b in itertools.combinations(sets, 2))
    distances = [len(set(ours) ^ s) for s in sets]
    assert min(distances) <= spread, f"|ours Δ HF| = {distances}, HF's own spread {spread}"
    # every token is in the initial alphabet or the concatenation of two tokens (a merge)
    assert all(t in reference_alphabet or t.startswith(c.prefix) and len(t) == len(c.prefix) + 1
               or _is_merge(t, ours, c.prefix) for t in ours)


def _is_merge(token: str, vocab: dict[str, int], prefix: str) -> bool:
    head, body = (prefix, token[len(prefix):]) if token.startswith(prefix) and len(token) > len(prefix) else ("", token)
    return any(head + body[:i] in vocab and prefix + body[i:] in vocab for i in range(1, len(body)))


@pytest.mark.parametrize("case", list(FREQUENCY_CASES))
def test_hf_frequency_trainer_reproduces_hf(sample_path, english_file, case):
    """The emulation is HF: given the "##c" order of a real HF run, it gives that run's vocab, id for id."""
    c = FREQUENCY_CASES[case]
    path, words, limit_kw = c.setup(sample_path, english_file)
    for _ in range(2):
        hf = c.hf(path, limit_kw)
        assert_same_vocab_order(c.emulate(words, limit_kw, continuation_order_of(hf, c.prefix)), hf)


@pytest.mark.parametrize("case", list(FREQUENCY_CASES))
def test_frequency_training_is_hfs_algorithm(sample_path, english_file, case):
    """toksmith's frequency scoring is HF's algorithm exactly, given toksmith's "##c" order (document
    frequency, then code point)."""
    c = FREQUENCY_CASES[case]
    path, words, limit_kw = c.setup(sample_path, english_file)
    ours = c.ours(path, limit_kw)
    assert_same_vocab_order(ours, c.emulate(words, limit_kw, toksmith_continuation_order(words)))


TYPICALITY_CASES = ["sample-v7000-cased", "sample-v6000-minf10", "sample-v6000-untied-cut", "english-v400",
                    "english-v350-minf5-atat", "english-v600-cased-minf0"]


@pytest.mark.parametrize("case", TYPICALITY_CASES)
def test_frequency_training_is_typical_of_hf(sample_path, english_file, case):
    """Deterministic version of the spread check: TYPICALITY_SAMPLES vocabularies made by HF's algorithm with
    "##c" orders drawn as HF draws them (seeded) stand for HF's runs. toksmith's vocab must be within their
    spread (the brief's rule), and on average no farther from them than 1.5 times their own average distance
    (plus 4 tokens): an HF run, or toksmith with an HF-like "##c" order, is about 1.0 times."""
    c = FREQUENCY_CASES[case]
    path, words, limit_kw = c.setup(sample_path, english_file)
    samples = [set(c.emulate(words, limit_kw, hf_random_continuation_order(words, seed)))
               for seed in range(TYPICALITY_SAMPLES)]
    ours = set(c.ours(path, limit_kw))
    pairwise = [len(a ^ b) for a, b in itertools.combinations(samples, 2)]
    distances = [len(ours ^ s) for s in samples]
    mean_pairwise, mean_ours = sum(pairwise) / len(pairwise), sum(distances) / len(distances)
    report = (f"|ours Δ HF-like| min {min(distances)} mean {mean_ours:.1f}; HF-like among themselves: max "
              f"{max(pairwise)} mean {mean_pairwise:.1f}")
    assert min(distances) <= max(pairwise), report
    assert mean_ours <= 1.5 * mean_pairwise + 4, report


# --------------------------------------------------------------------------- 3b. training: scoring="likelihood"


def count_words(docs: Iterable[str], lowercase: bool = True) -> Counter:
    """Words as BERT counts them: HF's BertNormalizer, then BertPreTokenizer, on each document."""
    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    pre = pre_tokenizers.BertPreTokenizer()
    words: Counter = Counter()
    for doc in docs:
        for word, _ in pre.pre_tokenize_str(normalizer.normalize_str(doc)):
            words[word] += 1
    return words


def reference_wordpiece(words: Counter, vocab_size: int, *, special_tokens: Sequence[str] = BERT_SPECIALS,
                        min_frequency: int = 2, limit_alphabet: int | None = 1000, prefix: str = "##"
                        ) -> tuple[list[str], int]:
    """WordPiece training by likelihood, the slow and obvious way: (vocab in id order, size before any merge).

    Initial vocab: special tokens; the alphabet (the limit_alphabet most frequent characters, by occurrences) by
    code point; prefix + c for each alphabet character seen after a word's first position, by code point. A word
    is its characters, prefixed but the first, with characters outside the alphabet dropped. Then, until the vocab
    is full or no pair is left: recount every symbol and adjacent pair, merge the pair with count >= min_frequency
    maximizing count(ab) / (count(a) * count(b)) (exactly), ties to the higher count, then the smaller
    (id a, id b); the merged token is a + b without b's prefix, and keeps its id if it already exists.
    """
    chars: Counter = Counter()
    for word, k in words.items():
        for ch in word:
            chars[ch] += k
    kept = sorted(chars, key=lambda c: -chars[c])
    if limit_alphabet is not None:
        assert limit_alphabet >= len(kept) or chars[kept[limit_alphabet - 1]] != chars[kept[limit_alphabet]], \
            "the alphabet cut is tied: pick another limit"
        kept = kept[:limit_alphabet]
    alphabet = set(kept)
    vocab = list(dict.fromkeys(special_tokens))
    vocab += [c for c in sorted(alphabet) if c not in vocab]
    inner = sorted({ch for word in words for ch in word[1:] if ch in alphabet})
    vocab += [prefix + c for c in inner if prefix + c not in vocab]
    initial_size = len(vocab)
    ids = {t: i for i, t in enumerate(vocab)}
    seqs = {w: [ids[ch if i == 0 else prefix + ch] for i, ch in enumerate(w) if ch in alphabet] for w in words}
    while len(vocab) < vocab_size:
        symbols: Counter = Counter()
        pairs: Counter = Counter()
        for word, seq in seqs.items():
            k = words[word]
            for s in seq:
                symbols[s] += k
            for a, b in zip(seq, seq[1:]):
                pairs[a, b] += k
        best = None  # (count, product, pair)
        for (a, b), c in pairs.items():
            if c < min_frequency or c == 0:
                continue
            product = symbols[a] * symbols[b]
            if best is None:
                best = (c, product, (a, b))
                continue
            bc, bp, bpair = best
            lhs, rhs = c * bp, bc * product  # c / product vs bc / bp, exactly
            if lhs > rhs or lhs == rhs and (c > bc or c == bc and (a, b) < bpair):
                best = (c, product, (a, b))
        if best is None:
            break
        a, b = best[2]
        merged = vocab[a] + vocab[b].removeprefix(prefix)
        if merged not in ids:
            ids[merged] = len(vocab)
            vocab.append(merged)
        new = ids[merged]
        for word, seq in seqs.items():
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seqs[word] = out
    return vocab, initial_size


def assert_same_vocab_order(ours: list[str], reference: list[str]) -> None:
    assert ours == reference, f"{first_difference(ours, reference)} (sizes {len(ours)}, {len(reference)})"


@pytest.fixture(scope="module")
def small_corpora() -> dict[str, list[str]]:
    return {
        "english": helpers.split_keep_newline(helpers.english_documents(n_files=1, lines_per_file=200)[0]),
        "multilingual": helpers.multilingual_lines(n_lines=250),
    }


# id, corpus, merges on top of the initial vocab, options for both (limit_alphabet="untied": an untied cut)
LIKELIHOOD_CASES = [
    ("english-100", "english", 100, {}),
    ("english-runs-out", "english", 5000, {}),
    ("multilingual-400", "multilingual", 400, {}),
    ("multilingual-untied-cut", "multilingual", 300, {"limit_alphabet": "untied"}),
    ("multilingual-minf0", "multilingual", 300, {"min_frequency": 0}),
    ("multilingual-minf1", "multilingual", 300, {"min_frequency": 1}),
    ("multilingual-minf4", "multilingual", 300, {"min_frequency": 4}),
    ("multilingual-prefix-@@", "multilingual", 300, {"prefix": "@@"}),
    ("multilingual-prefix-long", "multilingual", 200, {"prefix": "<cont>"}),
    ("multilingual-cased", "multilingual", 300, {"cased": True}),
    ("english-custom-specials", "english", 150, {"special_tokens": ("<s>", "e", "[UNK]", "</s>")}),
    # special tokens that are also a "##c" token and merge results (the merge keeps the special token's id)
    ("english-specials-are-merges", "english", 150, {"special_tokens": ("[UNK]", "##e", "th", "the", "[UNK]")}),
]


@pytest.mark.parametrize(("corpus", "merges", "options"), [c[1:] for c in LIKELIHOOD_CASES],
                         ids=[c[0] for c in LIKELIHOOD_CASES])
def test_likelihood_training_matches_reference(small_corpora, corpus, merges, options):
    lines = small_corpora[corpus]
    options = dict(options)
    cased = options.pop("cased", False)
    words = count_words(lines, lowercase=not cased)
    if options.get("limit_alphabet") == "untied":
        options["limit_alphabet"] = _untied_limit(words, 0.5)
    specials = options.get("special_tokens", BERT_SPECIALS)
    _, initial = reference_wordpiece(words, 0, **options)
    vocab_size = initial + merges
    reference, _ = reference_wordpiece(words, vocab_size, **options)

    kwargs = {"min_frequency": options.get("min_frequency", 2), "special_tokens": specials}
    if "limit_alphabet" in options:
        kwargs["limit_alphabet"] = options["limit_alphabet"]
    if "prefix" in options:
        kwargs["continuing_subword_prefix"] = options["prefix"]
    tok = toksmith.train(iter(lines), model="wordpiece", vocab_size=vocab_size,
                         normalizer="bert_cased" if cased else "bert", show_progress=False, **kwargs)
    assert_same_vocab_order(ours_in_id_order(tok), reference)
    assert tok.special_tokens == {s: reference.index(s) for s in specials}
    if merges < 1000:
        assert len(reference) == vocab_size  # these cases fill the vocab


small_alphabet = st.sampled_from(list("aabbcdeé中文xyz!,. ") + ["\u0301", "\t", "\n", "Ab", "AB", "ß", "İ", "ﬁ"])
small_docs = st.lists(st.lists(small_alphabet, min_size=1, max_size=30).map("".join), min_size=1, max_size=25)


@given(docs=small_docs, merges=st.integers(0, 40), min_frequency=st.integers(0, 3),
       prefix=st.sampled_from(["##", "@@", "_", "##_"]), cased=st.booleans())
def test_hypothesis_likelihood_training_matches_reference(docs, merges, min_frequency, prefix, cased):
    words = count_words(docs, lowercase=not cased)
    if not words:
        return  # nothing to train on (toksmith rejects such a corpus)
    _, initial = reference_wordpiece(words, 0, min_frequency=min_frequency, prefix=prefix)
    reference, _ = reference_wordpiece(words, initial + merges, min_frequency=min_frequency, prefix=prefix)
    tok = toksmith.train(iter(docs), model="wordpiece", vocab_size=initial + merges, min_frequency=min_frequency,
                         continuing_subword_prefix=prefix, normalizer="bert_cased" if cased else "bert",
                         show_progress=False)
    assert_same_vocab_order(ours_in_id_order(tok), reference)


def test_likelihood_differs_from_frequency(small_corpora):
    """The two scorings are really different algorithms (and likelihood is the default)."""
    lines = small_corpora["english"]
    words = count_words(lines)
    _, initial = reference_wordpiece(words, 0)
    by_default = toksmith.train(iter(lines), model="wordpiece", vocab_size=initial + 100, show_progress=False)
    frequency = toksmith.train(iter(lines), model="wordpiece", vocab_size=initial + 100, scoring="frequency",
                               show_progress=False)
    likelihood_order, frequency_order = ours_in_id_order(by_default), ours_in_id_order(frequency)
    assert likelihood_order == reference_wordpiece(words, initial + 100)[0]
    assert likelihood_order != frequency_order
    # the same initial vocab (the "##c" tokens may be in another order), then different merges
    assert set(likelihood_order[:initial]) == set(frequency_order[:initial])
    alphabet_end = next(i for i, t in enumerate(likelihood_order) if t.startswith("##"))
    assert likelihood_order[:alphabet_end] == frequency_order[:alphabet_end]
    assert set(likelihood_order[initial:]) != set(frequency_order[initial:])


# --------------------------------------------------------------------------- 3c. training options and files


@pytest.mark.parametrize("scoring", ["likelihood", "frequency"])
def test_training_is_deterministic(sample_path, scoring):
    runs = [toksmith.train(sample_path, model="wordpiece", vocab_size=6000, scoring=scoring, show_progress=False,
                           num_threads=n) for n in (None, None, 1, 2)]
    orders = [ours_in_id_order(t) for t in runs]
    assert all(o == orders[0] for o in orders[1:])
    texts = toksmith.train(iter(helpers.read_lines(sample_path)), model="wordpiece", vocab_size=6000,
                           scoring=scoring, show_progress=False)
    assert ours_in_id_order(texts) == orders[0]
    counts = toksmith.count(sample_path, pattern="bert", normalizer="bert", show_progress=False)
    assert ours_in_id_order(toksmith.train(counts, model="wordpiece", vocab_size=6000, scoring=scoring,
                                           show_progress=False)) == orders[0]


def test_wordpiece_defaults(sample_path):
    """vocab_size 30000, BERT's special tokens, limit_alphabet 1000, the bert normalizer and pattern, "##"."""
    tok = toksmith.train(sample_path, model="wordpiece", show_progress=False)
    explicit = toksmith.train(sample_path, model="wordpiece", vocab_size=30000, special_tokens=BERT_SPECIALS,
                              limit_alphabet=1000, normalizer="bert", pattern="bert", scoring="likelihood",
                              continuing_subword_prefix="##", min_frequency=2, show_progress=False)
    order = ours_in_id_order(tok)
    assert order == ours_in_id_order(explicit)
    assert order[:5] == list(BERT_SPECIALS)
    # sample.txt has 2768 characters after normalization: 1000 are kept, in code point order after the specials
    singles = [t for t in order[5:] if len(t) == 1]
    assert len(singles) == 1000 and singles == sorted(singles) and order[5:1005] == singles
    assert tok.vocab_size <= 30000
    assert tok.pattern_name == "bert" or tok.pattern == "bert"


def test_min_frequency_stops_training(small_corpora):
    lines = small_corpora["english"]
    words = count_words(lines)
    high = toksmith.train(iter(lines), model="wordpiece", vocab_size=5000, min_frequency=10_000, show_progress=False)
    _, initial = reference_wordpiece(words, 0)
    assert high.vocab_size == initial  # no pair is frequent enough: only the initial vocab
    low = toksmith.train(iter(lines), model="wordpiece", vocab_size=5000, min_frequency=0, show_progress=False)
    assert low.vocab_size > initial


def test_continuing_subword_prefix_is_used_for_encoding(small_corpora, tmp_path):
    lines = small_corpora["english"]
    tok = toksmith.train(iter(lines), model="wordpiece", vocab_size=400, continuing_subword_prefix="@@",
                         show_progress=False)
    vocab = tok.get_vocab()
    assert not any(t.startswith("##") for t in vocab)
    assert any(t.startswith("@@") for t in vocab)
    tok.save(tmp_path / "t.json")
    tok.save_wordpiece_vocab(tmp_path / "vocab.txt")
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["model"]["continuing_subword_prefix"] == "@@"
    assert data["decoder"]["prefix"] == "@@"
    hf_json = tokenizers.Tokenizer.from_file(str(tmp_path / "t.json"))
    hf_vocab = hf_bert(tmp_path / "vocab.txt", wordpieces_prefix="@@")
    for line in lines[:100] + ["unbelievably wonderful", "xyzzy"]:
        for hf in (hf_json, hf_vocab):
            assert_same_encoding(tok.encode_full(line), hf.encode(line), line)
            ids = hf.encode(line).ids
            assert tok.decode(ids) == hf.decode(ids, skip_special_tokens=False)


def test_bert_cased_keeps_case_and_accents(small_corpora):
    lines = small_corpora["english"] + ["Crème Brûlée CAFÉ Café café\n"] * 5
    cased = toksmith.train(iter(lines), model="wordpiece", vocab_size=600, normalizer="bert_cased",
                           show_progress=False)
    uncased = toksmith.train(iter(lines), model="wordpiece", vocab_size=600, show_progress=False)
    assert {"C", "É", "é", "T"} <= set(cased.get_vocab())
    assert not {"C", "É", "é", "T"} & set(uncased.get_vocab())
    assert cased.encode_full("Café", add_special_tokens=False).tokens[0].startswith("C")
    data = json.loads(cased.to_str())
    assert data["normalizer"]["lowercase"] is False
    assert data["normalizer"]["strip_accents"] in (None, False)


def test_vocab_txt_round_trip(ours_trained, ours_files, wp_dir, sample_path):
    for name, tok in ours_trained.items():
        path = ours_files[f"{name}-vocab"]
        text = path.read_text(encoding="utf-8")
        assert text.split("\n")[: tok.vocab_size] == ours_in_id_order(tok)
        assert text.rstrip("\n").split("\n") == ours_in_id_order(tok)
        loaded = toksmith.Tokenizer.from_wordpiece_vocab(path, lowercase=name != "cased")
        assert loaded.get_vocab() == tok.get_vocab()
        assert loaded.model == "wordpiece"
        lines = helpers.read_lines(sample_path)[::5]
        assert loaded.encode_batch(lines) == tok.encode_batch(lines)
        # HF reads it as the same vocab, and writes it back byte for byte
        hf = hf_bert(path, lowercase=name != "cased")
        assert hf.get_vocab() == tok.get_vocab()
        out = wp_dir / f"hf-resaved-{name}"
        out.mkdir(exist_ok=True)
        (resaved,) = hf.save_model(str(out))
        assert Path(resaved).read_bytes() == path.read_bytes()


def test_hf_vocab_txt_round_trip(hf_files, wp_dir):
    """A vocab.txt written by HF, read and written again by toksmith, is the same file."""
    for name in ("uncased", "cased"):
        loaded = toksmith.Tokenizer.from_wordpiece_vocab(hf_files[f"{name}-vocab"], lowercase=name == "uncased")
        out = wp_dir / f"resaved-{name}-vocab.txt"
        loaded.save_wordpiece_vocab(out)
        assert out.read_bytes() == hf_files[f"{name}-vocab"].read_bytes()


def _pipeline(tokenizer_json: str) -> dict:
    data = json.loads(tokenizer_json)
    model = {k: v for k, v in data["model"].items() if k != "vocab"}
    normalizer = dict(data["normalizer"])
    if normalizer.get("strip_accents") is None:  # None: strip accents when lowercasing
        normalizer["strip_accents"] = normalizer["lowercase"]
    return {"normalizer": normalizer, "pre_tokenizer": data["pre_tokenizer"], "decoder": data["decoder"],
            "model": model, "vocab": data["model"]["vocab"]}


def test_tokenizer_json_round_trip_through_hf(ours_trained, ours_files, sample_path, tmp_path):
    for name, tok in ours_trained.items():
        path = ours_files[f"{name}-json"]
        hf = tokenizers.Tokenizer.from_file(str(path))
        # the pipeline is BertWordPieceTokenizer's on the same vocab
        bert = hf_bert(ours_files[f"{name}-vocab"], lowercase=name != "cased")
        assert _pipeline(hf.to_str()) == _pipeline(bert.to_str())
        assert hf.get_vocab() == tok.get_vocab()
        # toksmith reads back what HF writes
        hf.save(str(tmp_path / f"{name}-hf.json"))
        for again in (toksmith.Tokenizer.from_file(tmp_path / f"{name}-hf.json"), toksmith.Tokenizer.from_file(path),
                      toksmith.Tokenizer.from_str(hf.to_str()), toksmith.Tokenizer.from_str(tok.to_str())):
            assert again.model == "wordpiece"
            assert again.get_vocab() == tok.get_vocab()
            assert again.special_tokens == tok.special_tokens
            for line in helpers.read_lines(sample_path)[::9] + ["İstanbul ΣΑΣ 中文 x\x00y", "a" * 101]:
                assert_same_encoding(again.encode_full(line, "pair"), hf.encode(line, "pair"), line)
                ids = hf.encode(line).ids
                assert again.decode(ids) == hf.decode(ids, skip_special_tokens=False)


def test_from_wordpiece_vocab_options_are_saved(hf_files, tmp_path):
    """from_wordpiece_vocab's options reach the tokenizer.json it saves, which HF then encodes like
    BertWordPieceTokenizer with the same options."""
    ours = toksmith.Tokenizer.from_wordpiece_vocab(hf_files["at-vocab"], lowercase=False, strip_accents=True,
                                                   unk_token="<unk>", continuing_subword_prefix="@@",
                                                   max_input_chars_per_word=9)
    ours.save(tmp_path / "t.json")
    hf = tokenizers.Tokenizer.from_file(str(tmp_path / "t.json"))
    bert = hf_bert(hf_files["at-vocab"], lowercase=False, strip_accents=True, unk_token="<unk>",
                   wordpieces_prefix="@@", max_input_chars_per_word=9)
    assert _pipeline(hf.to_str()) == _pipeline(bert.to_str())
    for text in ["Crème BRÛLÉE", "abcdefghi abcdefghij", "中文 and [CLS]", "x" * 9 + " " + "y" * 10]:
        assert_same_encoding(ours.encode_full(text, allowed_special="all"), bert.encode(text), text)
        assert_same_encoding(hf.encode(text), bert.encode(text), text)


# --------------------------------------------------------------------------- 4. errors


@pytest.fixture
def vocab_files(tmp_path) -> dict[str, Path]:
    files = {
        "duplicate": "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\nhello\n",
        "no-unk": "[PAD]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n",
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.txt"
        out[name].write_text(text, encoding="utf-8")
    return out


def test_from_wordpiece_vocab_missing_file(tmp_path):
    with pytest.raises(OSError) as raised:
        toksmith.Tokenizer.from_wordpiece_vocab(tmp_path / "missing-vocab.txt")
    assert isinstance(raised.value, toksmith.TokenizerError)
    assert "missing-vocab.txt" in str(raised.value)


def test_from_wordpiece_vocab_duplicate_line(vocab_files):
    with pytest.raises(ValueError) as raised:
        toksmith.Tokenizer.from_wordpiece_vocab(vocab_files["duplicate"])
    assert isinstance(raised.value, toksmith.TokenizerError)
    assert "hello" in str(raised.value), str(raised.value)


def test_from_wordpiece_vocab_without_unk(vocab_files):
    with pytest.raises(ValueError) as raised:
        toksmith.Tokenizer.from_wordpiece_vocab(vocab_files["no-unk"])
    assert isinstance(raised.value, toksmith.TokenizerError)
    assert "[UNK]" in str(raised.value), str(raised.value)
    with pytest.raises(ValueError, match=re.escape("<unk>")):
        toksmith.Tokenizer.from_wordpiece_vocab(vocab_files["no-unk"], unk_token="<unk>")


def test_save_wordpiece_vocab_on_bpe(bbpe_gpt2, tmp_path):
    with pytest.raises(ValueError) as raised:
        bbpe_gpt2.save_wordpiece_vocab(tmp_path / "vocab.txt")
    assert isinstance(raised.value, toksmith.TokenizerError)
    assert not (tmp_path / "vocab.txt").exists()


def test_save_tiktoken_on_wordpiece(ours_trained, tmp_path):
    with pytest.raises(ValueError) as raised:
        ours_trained["uncased"].save_tiktoken(tmp_path / "ranks.tiktoken")
    assert isinstance(raised.value, toksmith.TokenizerError)
    assert not (tmp_path / "ranks.tiktoken").exists()


def test_unknown_scoring(sample_path):
    with pytest.raises(ValueError, match="bogus") as raised:
        toksmith.train(sample_path, model="wordpiece", scoring="bogus", show_progress=False)
    assert isinstance(raised.value, toksmith.TokenizerError)


@pytest.mark.parametrize("model", ["bbpe", "bpe"])
@pytest.mark.parametrize("option", [{"scoring": "frequency"}, {"scoring": "likelihood"},
                                    {"continuing_subword_prefix": "##"}], ids=lambda o: "-".join(map(str, o.items())))
def test_wordpiece_options_rejected_for_bpe(sample_path, model, option):
    """scoring= and continuing_subword_prefix= only mean something for model="wordpiece": passing either, with
    any value, to a BPE model is an error rather than silently ignored."""
    (name,) = option
    # without the option, the same call trains
    assert toksmith.train(sample_path, model=model, vocab_size=6000, show_progress=False).vocab_size > 0
    with pytest.raises(ValueError, match=name) as raised:
        toksmith.train(sample_path, model=model, vocab_size=6000, show_progress=False, **option)
    assert isinstance(raised.value, toksmith.TokenizerError)


# --------------------------------------------------------------------------- 5. the CLI


@pytest.fixture(scope="module")
def tok_cli() -> list[str]:
    exe = shutil.which("tok", path=sysconfig.get_path("scripts")) or shutil.which("tok")
    assert exe is not None, "the tok console script is not installed"
    return [exe]


@pytest.fixture(scope="module")
def cli_trained(tok_cli, sample_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli-wordpiece") / "wordpiece.json"
    result = run_cli([*tok_cli, "train", "--model", "wordpiece", str(sample_path), "-o", str(out),
                      "--vocab-size", "2000", "--no-progress"])
    assert result.returncode == 0, result.stderr
    return out


CLI_SENTENCE = "Hello, wörld! 你好，世界 🦙 — ça va?\tTabs and 12345 digits. UNBELIEVABLE"


def test_cli_train_wordpiece_is_train(cli_trained, sample_path):
    expected = toksmith.train(sample_path, model="wordpiece", vocab_size=2000, show_progress=False)
    loaded = toksmith.Tokenizer.from_file(cli_trained)
    assert loaded.model == "wordpiece"
    assert ours_in_id_order(loaded) == ours_in_id_order(expected)
    hf = tokenizers.Tokenizer.from_file(str(cli_trained))
    assert hf.get_vocab() == expected.get_vocab()


def test_cli_encode_and_decode(tok_cli, cli_trained, tmp_path):
    hf = tokenizers.Tokenizer.from_file(str(cli_trained))
    expected = hf.encode(CLI_SENTENCE).ids
    result = run_cli([*tok_cli, "encode", "-t", str(cli_trained), CLI_SENTENCE])
    assert result.returncode == 0, result.stderr
    assert [int(x) for x in result.stdout.split()] == expected
    # a vocab.txt works as well
    vocab = tmp_path / "vocab.txt"
    toksmith.Tokenizer.from_file(cli_trained).save_wordpiece_vocab(vocab)
    from_vocab = run_cli([*tok_cli, "encode", "-t", str(vocab), CLI_SENTENCE])
    assert from_vocab.returncode == 0, from_vocab.stderr
    assert [int(x) for x in from_vocab.stdout.split()] == hf_bert(vocab).encode(CLI_SENTENCE).ids
    decoded = run_cli([*tok_cli, "decode", "-t", str(cli_trained), *map(str, expected)])
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.removesuffix("\n") == hf.decode(expected, skip_special_tokens=False)


def test_cli_encode_full(tok_cli, cli_trained):
    hf = tokenizers.Tokenizer.from_file(str(cli_trained))
    result = run_cli([*tok_cli, "encode", "--full", "-t", str(cli_trained), CLI_SENTENCE])
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    ref = hf.encode(CLI_SENTENCE)
    assert got["ids"] == ref.ids and got["tokens"] == ref.tokens and got["type_ids"] == ref.type_ids
    assert [tuple(o) for o in got["offsets"]] == ref.offsets


def test_cli_info(tok_cli, cli_trained):
    result = run_cli([*tok_cli, "info", str(cli_trained)])
    assert result.returncode == 0, result.stderr
    assert "wordpiece" in result.stdout
    assert re.search(r"\b2000\b", result.stdout), result.stdout
    for special in BERT_SPECIALS:
        assert special in result.stdout


def test_cli_frequency_scoring_and_prefix(tok_cli, sample_path, tmp_path):
    out = tmp_path / "freq.json"
    result = run_cli([*tok_cli, "train", "--model", "wordpiece", "--scoring", "frequency", "--prefix", "@@",
                      "--min-frequency", "3", str(sample_path), "-o", str(out), "--vocab-size", "3000",
                      "--no-progress"])
    assert result.returncode == 0, result.stderr
    expected = toksmith.train(sample_path, model="wordpiece", vocab_size=3000, scoring="frequency",
                              continuing_subword_prefix="@@", min_frequency=3, show_progress=False)
    assert ours_in_id_order(toksmith.Tokenizer.from_file(out)) == ours_in_id_order(expected)


def test_cli_unknown_scoring_is_one_line_error(tok_cli, sample_path, tmp_path):
    result = run_cli([*tok_cli, "train", "--model", "wordpiece", "--scoring", "bogus", str(sample_path), "-o",
                      str(tmp_path / "x.json"), "--no-progress"])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tok: error: "), result.stderr
