"""Every failure raises the builtin exception the contract names, under toksmith.TokenizerError."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import tokenizers
import toksmith


def test_exception_classes():
    import toksmith.errors as errors

    for name, builtin in [("InvalidInputError", ValueError), ("UnknownTokenError", KeyError),
                          ("TokenizerIOError", OSError)]:
        cls = getattr(toksmith, name)
        assert cls is getattr(errors, name)
        assert issubclass(cls, toksmith.TokenizerError) and issubclass(cls, builtin), cls.__mro__
    assert toksmith.TokenizerError is errors.TokenizerError
    assert issubclass(toksmith.TokenizerError, Exception)


@pytest.fixture
def bad(tmp_path, sample_path, bbpe_gpt2):
    """Broken inputs, and a good file and tokenizer to put them next to."""
    ns = SimpleNamespace(good=sample_path, tok=bbpe_gpt2, missing=tmp_path / "missing.txt")
    ns.no_text_dir = tmp_path / "no-text"
    (ns.no_text_dir / "nested" / "deeper").mkdir(parents=True)
    ns.non_utf8 = tmp_path / "latin1.txt"
    ns.non_utf8.write_bytes("first line is fine\ncafé au lait\n".encode("latin-1"))
    ns.dir_with_non_utf8 = tmp_path / "mixed-dir"
    (ns.dir_with_non_utf8 / "sub").mkdir(parents=True)
    (ns.dir_with_non_utf8 / "good.txt").write_bytes(b"all good\n")
    (ns.dir_with_non_utf8 / "sub" / "broken.txt").write_bytes(b"ok\n\xff\xfe\xfd bad bytes\n")
    ns.empty_file = tmp_path / "empty.txt"
    ns.empty_file.write_bytes(b"")
    ns.not_json_file = tmp_path / "not-json.json"
    ns.not_json_file.write_text("this is { not json", encoding="utf-8")
    return ns


def _train(inputs, **kwargs):
    return toksmith.train(inputs, show_progress=False, **kwargs)


def _with_model_type(tok, model_type: str) -> str:
    data = json.loads(tok.to_str())
    data["model"]["type"] = model_type
    return json.dumps(data)


MALFORMED_JSON = {
    "not json": "this is { not json",
    "json list": "[]",
    "no model": '{"version": "1.0"}',
    "model is a number": '{"model": 5}',
    "vocab is a string": json.dumps({"model": {"type": "BPE", "vocab": "abc", "merges": []}}),
    "merge of unknown token": json.dumps({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1},
                                                    "merges": [["a", "zz"]]}}),
}

# id, what to run, the builtin exception, the file name the message must hold (None: not checked)
ERROR_CASES = [
    ("missing file", lambda b: _train(b.missing), OSError, None),
    ("missing file among paths", lambda b: _train([b.good, b.missing]), OSError, None),
    ("missing tokenizer file", lambda b: toksmith.Tokenizer.from_file(b.missing), OSError, None),
    ("directory without text files", lambda b: _train(b.no_text_dir), OSError, None),
    ("non-UTF-8 file", lambda b: _train(b.non_utf8), ValueError, lambda b: b.non_utf8.name),
    ("non-UTF-8 file in a directory", lambda b: _train(b.dir_with_non_utf8), ValueError, lambda b: "broken.txt"),
    ("empty iterable of texts", lambda b: _train(iter([])), ValueError, None),
    ("empty list of paths", lambda b: _train([]), ValueError, None),
    ("empty file", lambda b: _train(b.empty_file), ValueError, None),
    ("vocab_size below the byte alphabet", lambda b: _train(b.good, vocab_size=100), ValueError, None),
    ("unclosed group in pattern", lambda b: _train(b.good, pattern="(unclosed"), ValueError, None),
    ("reversed range in pattern", lambda b: _train(b.good, pattern="[z-a]+"), ValueError, None),
    ("unknown model name", lambda b: _train(b.good, model="bbpe2"), ValueError, None),
    ("unknown id in decode", lambda b: b.tok.decode([b.tok.vocab_size + 1000]), KeyError, None),
    ("unknown id in decode_bytes", lambda b: b.tok.decode_bytes([0, b.tok.vocab_size]), KeyError, None),
    ("tokenizer file that is not json", lambda b: toksmith.Tokenizer.from_file(b.not_json_file), ValueError,
     None),
    ("unknown model type", lambda b: toksmith.Tokenizer.from_str(_with_model_type(b.tok, "NotAModel")),
     ValueError, None),
    *[(f"malformed json: {name}", (lambda b, text=text: toksmith.Tokenizer.from_str(text)), ValueError, None)
      for name, text in MALFORMED_JSON.items()],
]


@pytest.mark.parametrize(("run", "builtin", "must_name"), [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_error(bad, run, builtin, must_name):
    with pytest.raises(builtin) as raised:
        run(bad)
    assert isinstance(raised.value, toksmith.TokenizerError), type(raised.value).__mro__
    if must_name is not None:
        assert must_name(bad) in str(raised.value), str(raised.value)


@pytest.mark.parametrize("text", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
def test_malformed_json_is_rejected_by_hf_too(text):
    """The malformed files above are malformed by the reference's reading as well."""
    with pytest.raises(Exception):  # noqa: B017 - HF raises a bare Exception
        tokenizers.Tokenizer.from_str(text)
