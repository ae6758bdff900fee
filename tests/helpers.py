"""Reference implementations and shared pieces for the toksmith tests.

Everything here is independent of toksmith: the HF `tokenizers` oracles, tiktoken's pre-tokenizer
patterns, GPT-2's byte-to-unicode table, the generated corpora and the Hypothesis strategies.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import random
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from unittest import mock

import hypothesis.strategies as st
import tiktoken_ext.openai_public as tiktoken_public
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PATH = REPO / "data" / "sample.txt"

# HF's own spelling of the GPT-2 pattern (what pre_tokenizers.ByteLevel uses internally).
HF_GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

SPECIALS = ("<|endoftext|>", "<|pad|>")


# --------------------------------------------------------------------------- text files


def read_lines(path: os.PathLike | str) -> list[str]:
    """Lines of a UTF-8 file split on "\\n" only, each keeping its "\\n" (the last may have none).

    This is how toksmith and HF `train(files)` cut a file into documents. `str.splitlines` would also
    cut at \\r, \\x0b, \\x0c, \\x85, U+2028... and is therefore not used.
    """
    text = Path(path).read_bytes().decode("utf-8")
    return split_keep_newline(text)


def split_keep_newline(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def text_files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.txt") if p.is_file())


# --------------------------------------------------------------------------- tiktoken patterns


@functools.cache
def tiktoken_patterns() -> dict[str, str]:
    """The pre-tokenizer regexes of tiktoken 0.14, read from tiktoken_ext.openai_public.

    The constructors are called with the BPE-file loader stubbed out, so nothing is downloaded.
    """

    def refuse(*args, **kwargs):  # pragma: no cover - only reached if tiktoken changes
        raise AssertionError("tiktoken tried to load a BPE file")

    with mock.patch.object(tiktoken_public, "load_tiktoken_bpe", lambda *a, **k: {}), mock.patch.object(
        tiktoken_public, "data_gym_to_mergeable_bpe_ranks", refuse
    ):
        return {
            "gpt2": tiktoken_public.r50k_base()["pat_str"],
            "cl100k": tiktoken_public.cl100k_base()["pat_str"],
            "o200k": tiktoken_public.o200k_base()["pat_str"],
        }


# --------------------------------------------------------------------------- byte level


@functools.cache
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 to U+0100 onwards."""
    kept = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {b: chr(b) for b in kept}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


@functools.cache
def unicode_to_byte() -> dict[str, int]:
    return {c: b for b, c in byte_to_unicode().items()}


def to_byte_level(text: str) -> str:
    table = byte_to_unicode()
    return "".join(table[b] for b in text.encode("utf-8"))


def byte_level_token_bytes(token: str) -> bytes:
    table = unicode_to_byte()
    return bytes(table[c] for c in token)


# --------------------------------------------------------------------------- HF oracles


def hf_bbpe(lines: Iterable[str], vocab_size: int, min_frequency: int, special_tokens: Sequence[str] = (),
            use_regex: bool = True) -> Tokenizer:
    """The contract's exactness oracle for model="bbpe", pattern="gpt2" (use_regex=False: pattern=None)."""
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=use_regex)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    hf.train_from_iterator(lines, trainer)
    return hf


def hf_char_bpe(lines: Iterable[str], vocab_size: int, min_frequency: int, special_tokens: Sequence[str] = (),
                limit_alphabet: int | None = None) -> Tokenizer:
    """Oracle for model="bpe" (character level), pattern="gpt2": no initial alphabet, no unk token."""
    hf = Tokenizer(models.BPE(unk_token=None))
    hf.pre_tokenizer = pre_tokenizers.Split(Regex(HF_GPT2_PATTERN), "isolated")
    limit = {} if limit_alphabet is None else {"limit_alphabet": limit_alphabet}  # HF rejects None
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        show_progress=False,
        **limit,
    )
    hf.train_from_iterator(lines, trainer)
    return hf


def merge_pair(merge) -> tuple[str, str]:
    """One entry of model.merges: a [a, b] list in tokenizers 0.23, an "a b" string in older files."""
    if isinstance(merge, str):
        a, b = merge.split(" ", 1)
        return a, b
    a, b = merge
    return a, b


def json_merges(tokenizer_json: str) -> list[tuple[str, str]]:
    return [merge_pair(m) for m in json.loads(tokenizer_json)["model"]["merges"]]


def hf_merges(hf: Tokenizer) -> list[tuple[str, str]]:
    return json_merges(hf.to_str())


def hf_with_added_tokens(tokenizer_json: str, keep: Iterable[str]) -> Tokenizer:
    """An HF tokenizer from `tokenizer_json` that only matches the added tokens in `keep` in text.

    With keep=() it encodes special-token strings as ordinary text, like toksmith's encode_ordinary.
    """
    keep = set(keep)
    data = json.loads(tokenizer_json)
    data["added_tokens"] = [t for t in data.get("added_tokens", []) if t["content"] in keep]
    return Tokenizer.from_str(json.dumps(data))


def first_difference(a: Sequence, b: Sequence) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"first difference at index {i}: {x!r} != {y!r}"
    return f"lengths differ: {len(a)} != {len(b)}"


def assert_same_ids(ours: Sequence[int], reference: Sequence[int]) -> None:
    assert list(ours) == list(reference), first_difference(list(ours), list(reference))


def assert_same_model(tok, vocab: dict[str, int], merges: Sequence[tuple[str, str]]) -> None:
    """tok's vocab and ordered merges equal the reference, with a short message when they do not."""
    ours_merges = [tuple(m) for m in tok.merges]
    assert ours_merges == list(merges), first_difference(ours_merges, list(merges))
    ours_vocab = tok.get_vocab()
    if ours_vocab != vocab:
        missing = sorted(set(vocab) - set(ours_vocab))[:10]
        extra = sorted(set(ours_vocab) - set(vocab))[:10]
        moved = sorted(t for t in set(vocab) & set(ours_vocab) if vocab[t] != ours_vocab[t])[:10]
        raise AssertionError(f"vocab differs: missing {missing}, extra {extra}, other id {moved}")
    assert tok.vocab_size == len(vocab)


# --------------------------------------------------------------------------- NFKC across Unicode versions


@functools.cache
def nfkc_agrees(ch: str) -> bool:
    """True if HF's NFKC tables (an old Unicode version) and Python's agree on `ch`, alone and as a mark.

    HF's normalizer predates Unicode 12; toksmith uses current tables. Characters whose compatibility
    decomposition or combining class is newer than HF's tables are left out of the random texts that
    compare toksmith with HF after NFKC: on them the two are each right for their Unicode version.
    """
    hf = normalizers.NFKC()
    samples = (ch, "a" + ch + "\u0301\u0323")
    return all(hf.normalize_str(s) == unicodedata.normalize("NFKC", s) for s in samples)


# --------------------------------------------------------------------------- generated corpora

_EN_WORDS = (
    "the of and to in is that it for on with as was he be at by this had not are but from or have an they "
    "which one you were her all she there would their we him been has when who will more no if out so said "
    "what up its about into than them can only other new some could time these two may then do first any "
    "my now such like our over man me even most made after also did many before must through back years "
    "where much your way well down should because each just those people how too little state good very "
    "make world still own see men work long get here between both life being under never day same another "
    "know while last might us great old year off come since against go came right used take three"
).split()
_CONTRACTIONS = ("don't", "it's", "we'll", "they're", "I've", "she'd", "can't", "won't", "you're", "I'm",
                 "'s", "WE'LL", "They'RE")
_RU_WORDS = ("привет мир человек время жизнь день рука работа слово место лицо друг глаз вопрос дом сторона "
             "страна мысль голова город Москва Россия").split()
_AR_WORDS = "مرحبا عالم كتاب مدرسة بيت قلم شمس قمر ماء سماء العربية".split()
_BN_WORDS = "আমি তুমি বাংলা ভাষা মানুষ".split()
_HI_WORDS = "नमस्ते दुनिया भाषा हिन्दी".split()
_KO_WORDS = "안녕하세요 세계 사람 시간 한국어".split()
_CJK = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而"
    "能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高"
)
_KANA = "".join(chr(c) for c in range(0x3041, 0x3097)) + "".join(chr(c) for c in range(0x30A1, 0x30FB))
_EMOJI = ("😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵", "❤️", "🦙", "🧑🏿‍💻", "✅", "🫠")
_CODE = ("def f(x):\n    return x ** 2", "for (int i = 0; i < n; ++i) {", 'fn main() { println!("hi"); }',
         "if err != nil {\n\treturn err\n}", "x = {'a': [1, 2, 3]}  # comment", "SELECT * FROM t WHERE id=42;")
_PUNCT = "!?.,;:-—()[]{}\"'«»…/\\@#$%^&*_=+<>|~`"
_WHITESPACE_RUNS = (" ", "  ", "   ", "\t", "\t\t", " \t ", "\n", "\n\n", " \n ", "\r\n", "\u00a0", "\u3000",
                    "\x0b\x0c", "        ", "\t\n\t")


def _piece(rng: random.Random) -> str:
    kind = rng.choices(
        ("en", "contraction", "ru", "ar", "bn", "hi", "ko", "cjk", "kana", "emoji", "code", "digits", "punct",
         "space", "repeat"),
        weights=(30, 4, 6, 4, 2, 2, 2, 8, 3, 3, 2, 4, 4, 4, 2),
    )[0]
    if kind == "en":
        word = rng.choice(_EN_WORDS)
        return word.capitalize() if rng.random() < 0.15 else word
    if kind == "contraction":
        return rng.choice(_CONTRACTIONS)
    if kind in ("ru", "ar", "bn", "hi", "ko"):
        return rng.choice({"ru": _RU_WORDS, "ar": _AR_WORDS, "bn": _BN_WORDS, "hi": _HI_WORDS,
                           "ko": _KO_WORDS}[kind])
    if kind == "cjk":
        return "".join(rng.choice(_CJK) for _ in range(rng.randint(1, 6)))
    if kind == "kana":
        return "".join(rng.choice(_KANA) for _ in range(rng.randint(1, 5)))
    if kind == "emoji":
        return "".join(rng.choice(_EMOJI) for _ in range(rng.randint(1, 3)))
    if kind == "code":
        return rng.choice(_CODE)
    if kind == "digits":
        return str(rng.randrange(10 ** rng.randint(1, 12)))
    if kind == "punct":
        return "".join(rng.choice(_PUNCT) for _ in range(rng.randint(1, 3)))
    if kind == "space":
        return rng.choice(_WHITESPACE_RUNS) * rng.randint(1, 4)
    return rng.choice("ab-=*.z0 \t") * rng.randint(5, 80)  # repeat


def multilingual_lines(n_lines: int = 2500, seed: int = 20240601) -> list[str]:
    """Deterministic random "lines" mixing scripts, emoji, code, digits, punctuation and whitespace runs.

    Most end with "\\n", some do not, and some hold newlines, tabs and \\r\\n inside: each string is one
    document, as it is for HF train_from_iterator.
    """
    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        pieces = [_piece(rng) for _ in range(rng.randint(1, 14))]
        line = "".join(p + rng.choice((" ", " ", " ", "", ", ")) for p in pieces).rstrip(" ")
        lines.append(line + "\n" if rng.random() < 0.9 else line)
    return lines


def number_lines(n_lines: int = 2000, seed: int = 3) -> list[str]:
    """Lines of numbers of 1 to 9 digits: where cutting digits in threes matters (cl100k, o200k)."""
    rng = random.Random(seed)
    return [" ".join(str(rng.randrange(10 ** rng.randint(1, 9))) for _ in range(12)) + "\n" for _ in range(n_lines)]


def english_documents(n_files: int = 3, lines_per_file: int = 300, seed: int = 7) -> list[str]:
    """Texts of a few small English-only files; the last one does not end with a newline."""
    rng = random.Random(seed)
    docs = []
    for i in range(n_files):
        lines = []
        for _ in range(lines_per_file):
            words = [rng.choice(_EN_WORDS) for _ in range(rng.randint(3, 16))]
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), rng.choice(_CONTRACTIONS))
            if rng.random() < 0.2:
                words.append(str(rng.randrange(1, 5000)))
            sentence = " ".join(words)
            lines.append(sentence[0].upper() + sentence[1:] + rng.choice((".", "!", "?", ",", ";")))
        text = "\n".join(lines)
        docs.append(text if i == n_files - 1 else text + "\n")
    return docs


@dataclass(frozen=True)
class Pair:
    """A toksmith tokenizer and the HF tokenizer it is compared with; its repr stays one line short, so
    Hypothesis' failure reports do not print whole vocabularies."""

    name: str
    ours: object = field(repr=False)
    hf: Tokenizer = field(repr=False)


class ReIterable:
    """An iterable of texts that is neither a list nor an iterator."""

    def __init__(self, texts: Sequence[str]):
        self._texts = texts

    def __iter__(self):
        return iter(self._texts)


@dataclass(frozen=True)
class Corpus:
    """A training input for toksmith and the lines that HF must be given for the same documents."""

    name: str
    make_input: Callable[[], object]  # a fresh toksmith input each call (iterators are consumed)
    hf_lines: Callable[[], list[str]]


# --------------------------------------------------------------------------- Hypothesis strategies

WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"

whitespace_runs = st.text(alphabet=WHITESPACE, min_size=1, max_size=64)
control_chars = st.text(alphabet=st.characters(categories=["Cc", "Cf"]), min_size=1, max_size=16)
script_words = st.sampled_from(
    [*_EN_WORDS[:40], *_CONTRACTIONS, *_RU_WORDS, *_AR_WORDS, *_BN_WORDS, *_HI_WORDS, *_KO_WORDS, *_EMOJI,
     *_CODE, _CJK[:20], _KANA[:20], "2024", "3.14159", "1,000,000", "  \t", "\r\n"]
)


def messy_text(characters: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Text over the given characters (default: all but surrogates) mixed with whitespace runs, control
    characters, long repeats and words of several scripts."""
    characters = st.characters(exclude_categories=["Cs"]) if characters is None else characters
    return st.lists(
        st.one_of(
            st.text(alphabet=characters),
            whitespace_runs,
            control_chars,
            st.builds(operator.mul, characters, st.integers(min_value=1, max_value=400)),
            script_words,
        ),
        max_size=12,
    ).map("".join)


# All of Unicode except surrogates: for properties of toksmith alone.
any_text = messy_text()
# Characters assigned in Python's Unicode database: for comparisons with HF, whose regex engine and
# toksmith's may not both know the newest Unicode version's letters and digits.
assigned_text = messy_text(st.characters(exclude_categories=["Cs", "Cn"]))
# ...and only characters whose NFKC form HF's old tables get right (see nfkc_agrees).
nfkc_safe_text = messy_text(st.characters(exclude_categories=["Cs", "Cn"]).filter(nfkc_agrees)).filter(
    lambda s: all(nfkc_agrees(c) for c in s)
)


# --------------------------------------------------------------------------- CLI


def run_cli(argv: Sequence[str], *, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        list(argv), input=input, capture_output=True, text=True, encoding="utf-8", env=env, timeout=timeout,
        check=False,
    )


def python_module_cli() -> list[str]:
    return [sys.executable, "-m", "toksmith"]
