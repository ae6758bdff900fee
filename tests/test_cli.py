"""The `tok` console script, run as a user would, checked against HF tokenizers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig

import helpers
import pytest
import tokenizers
import toksmith
from helpers import run_cli

SENTENCE = "Hello, wörld! 你好，世界 🦙 — ça va?\tTabs and 12345 digits."
SPECIAL = "<|endoftext|>"
VOCAB_SIZE = 600


def test_tok_is_on_path():
    assert shutil.which("tok") is not None, "`tok` is not on PATH (with pyenv, `pyenv rehash` after installing)"


@pytest.fixture(scope="session")
def tok() -> list[str]:
    """The tok installed for this interpreter (its scripts directory first, then PATH)."""
    exe = shutil.which("tok", path=sysconfig.get_path("scripts")) or shutil.which("tok")
    assert exe is not None, "the tok console script is not installed"
    return [exe]


@pytest.fixture(scope="module")
def trained(tok, sample_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "tokenizer.json"
    result = run_cli([*tok, "train", str(sample_path), "--pattern", "gpt2", "--vocab-size", str(VOCAB_SIZE),
                      "--min-frequency", "2", "--special-token", SPECIAL, "-o", str(out), "--no-progress"])
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    return out


def _file_vocab(tokenizer_json: str) -> dict[str, int]:
    data = json.loads(tokenizer_json)
    return {**data["model"]["vocab"], **{t["content"]: t["id"] for t in data.get("added_tokens", [])}}


def _assert_file_matches_hf(path, hf: tokenizers.Tokenizer) -> None:
    text = path.read_text(encoding="utf-8")
    assert helpers.json_merges(text) == helpers.hf_merges(hf)
    assert _file_vocab(text) == hf.get_vocab()


def _ids(stdout: str) -> list[int]:
    return [int(field) for field in stdout.split()]


def test_train_matches_hf(trained, sample_path):
    hf = helpers.hf_bbpe(helpers.read_lines(sample_path), VOCAB_SIZE, 2, (SPECIAL,))
    _assert_file_matches_hf(trained, hf)


@pytest.mark.parametrize(("pattern", "use_regex"), [("gpt2", True), ("none", False)])
def test_train_from_stdin(tok, tmp_path, sample_text, pattern, use_regex):
    text = sample_text[:60_000] + "ab cd\n" * 40
    out = tmp_path / "stdin.json"
    result = run_cli([*tok, "train", "-", "--pattern", pattern, "--vocab-size", "400", "--min-frequency", "2",
                      "-o", str(out), "--no-progress"], input=text)
    assert result.returncode == 0, result.stderr
    _assert_file_matches_hf(out, helpers.hf_bbpe(helpers.split_keep_newline(text), 400, 2, use_regex=use_regex))


def test_encode_then_decode(tok, trained):
    expected = tokenizers.Tokenizer.from_file(str(trained)).encode(SENTENCE).ids

    from_arg = run_cli([*tok, "encode", "-t", str(trained), SENTENCE])
    assert from_arg.returncode == 0, from_arg.stderr
    assert _ids(from_arg.stdout) == expected

    from_stdin = run_cli([*tok, "encode", "-t", str(trained)], input=SENTENCE)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert _ids(from_stdin.stdout) == expected

    decoded = run_cli([*tok, "decode", "-t", str(trained), *map(str, expected)])
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.removesuffix("\n") == SENTENCE


def test_info(tok, trained):
    result = run_cli([*tok, "info", str(trained)])
    assert result.returncode == 0, result.stderr
    loaded = toksmith.Tokenizer.from_file(trained)
    assert "bbpe" in result.stdout
    assert re.search(rf"\b{VOCAB_SIZE}\b", result.stdout), result.stdout
    assert SPECIAL in result.stdout
    assert "gpt2" in result.stdout or loaded.pattern in result.stdout, result.stdout


def test_python_m_toksmith_is_tok(tok, trained):
    via_tok = run_cli([*tok, "info", str(trained)])
    via_module = run_cli([*helpers.python_module_cli(), "info", str(trained)])
    assert via_module.returncode == 0, via_module.stderr
    assert via_module.stdout == via_tok.stdout


# id, arguments after `tok` given (trained tokenizer path, tmp_path), text the error line must hold
CLI_ERRORS = [
    ("train missing file", lambda t, d: ["train", str(d / "missing.txt"), "-o", str(d / "o.json"), "--no-progress"],
     None),
    ("train non-UTF-8 file", lambda t, d: ["train", str(d / "latin1.txt"), "-o", str(d / "o.json"), "--no-progress"],
     "latin1.txt"),
    ("encode missing tokenizer", lambda t, d: ["encode", "-t", str(d / "missing.json"), "hello"], None),
    ("decode missing tokenizer", lambda t, d: ["decode", "-t", str(d / "missing.json"), "1", "2"], None),
    ("info missing tokenizer", lambda t, d: ["info", str(d / "missing.json")], None),
    ("decode unknown id", lambda t, d: ["decode", "-t", str(t), "1", str(10 * VOCAB_SIZE)], None),
    ("info on a file that is not json", lambda t, d: ["info", str(d / "latin1.txt")], None),
    ("decode non-ASCII digits", lambda t, d: ["decode", "-t", str(t), "\u0661\u0662"], "digits 0-9"),
    ("decode underscores in an id", lambda t, d: ["decode", "-t", str(t), "1_000"], "'1_000'"),
    ("train vocab size past 32 bits", lambda t, d: ["train", str(t), "--vocab-size", "9" * 20, "-o",
                                                    str(d / "o.json")], "--vocab-size"),
    ("train min frequency past 32 bits", lambda t, d: ["train", str(t), "--min-frequency", "9" * 20, "-o",
                                                       str(d / "o.json")], "--min-frequency"),
    ("count threads negative", lambda t, d: ["count", str(t), "--threads", "-1", "-o", str(d / "o.counts")],
     "--threads"),
    ("count max words past 32 bits", lambda t, d: ["count", str(t), "--max-words", "9" * 20, "-o",
                                                   str(d / "o.counts")], "--max-words"),
    ("train to an unknown kind of file", lambda t, d: ["train", str(t), "-o", str(d / "o.vocab")], "o.vocab"),
    ("encode seed without dropout", lambda t, d: ["encode", "-t", str(t), "--seed", "5", "hi"], "--dropout"),
    ("encode negative seed", lambda t, d: ["encode", "-t", str(t), "--dropout", "0.1", "--seed", "-1", "hi"],
     "--seed"),
    ("compare infinite throughput sample", lambda t, d: ["compare", str(t), "--corpus", str(t), "--throughput-mb",
                                                         "inf"], "--throughput-mb"),
    ("compare nan throughput sample", lambda t, d: ["compare", str(t), "--corpus", str(t), "--throughput-mb",
                                                    "nan"], "--throughput-mb"),
    ("compare plot into a missing directory", lambda t, d: ["compare", str(t), "--corpus", str(t), "--plot",
                                                            str(d / "no" / "x.png"), "-o", str(d / "rep.txt")],
     "no such directory"),
    ("tiktoken pattern name misspelt", lambda t, d: ["compare", "cl100k_base", "--corpus", str(t), "--pattern",
                                                     "cl200k", "--passes", "0"], "cl200k"),
]


@pytest.mark.parametrize("command", [
    ["encode", "--encoding", "cl100k_base"],
    ["decode", "--encoding", "cl100k_base"],
    ["count", "-", "-o", "{out}"],
    ["train", "-", "--vocab-size", "300", "-o", "{out}", "--no-progress"],
], ids=["encode", "decode", "count", "train"])
@pytest.mark.parametrize("locale_env", [{}, {"PYTHONIOENCODING": "utf-8:surrogateescape"}], ids=["strict", "escape"])
def test_stdin_that_is_not_utf8_is_an_error(tok, tmp_path, command, locale_env):
    """As for files: one line naming stdin and the offset, exit 2, whatever stdin's text error handler would do."""
    out = tmp_path / "out.json"
    env = dict(os.environ, PYTHONUTF8="1", **locale_env)
    result = subprocess.run([*tok, *(a.format(out=out) for a in command)], input=b"12 ok\nab\xffcd 34\n",
                            capture_output=True, env=env, timeout=300, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, stderr)
    assert stderr.startswith("tok: error: <stdin>: not UTF-8 text: bad byte at offset 8 ") and stderr.count("\n") == 1
    assert not out.exists() and result.stdout == b""


@pytest.mark.parametrize(("argv", "must_hold"), [c[1:] for c in CLI_ERRORS], ids=[c[0] for c in CLI_ERRORS])
def test_errors_are_one_line_and_exit_2(tok, trained, tmp_path, argv, must_hold):
    (tmp_path / "latin1.txt").write_bytes("café au lait\n".encode("latin-1"))
    result = run_cli([*tok, *argv(trained, tmp_path)])
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tok: error: "), result.stderr
    if must_hold is not None:
        assert must_hold in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin1.txt"], "an output was written"


def test_text_argument_that_is_not_utf8_is_an_error(tok, trained):
    """As for stdin: Python hands the byte over as a lone surrogate, which must not become U+FFFD silently."""
    result = subprocess.run([*tok, "encode", "-t", str(trained), b"ab\xffcd"], capture_output=True, timeout=300,
                            env=dict(os.environ, PYTHONUTF8="1"), check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and stderr == "tok: error: TEXT: not UTF-8 text: bad byte 0xFF at offset 2\n", stderr
    assert result.stdout == b""


@pytest.mark.parametrize(("model", "name", "reader"), [
    ("unigram", "u.json", "json"), ("wordpiece", "w.json", "json"), ("bbpe", "b.tiktoken", "tiktoken"),
    ("unigram", "u.model", "model"), ("wordpiece", "w.txt", "txt"),
])
def test_train_writes_the_kind_its_output_name_says(tok, sample_path, tmp_path, model, name, reader):
    """`-o u.json` is a tokenizer.json whatever the model (it was a SentencePiece protobuf for unigram), and
    each file loads back as what its name says and encodes as the trained tokenizer does."""
    out = tmp_path / name
    vocab_size = {"unigram": 4000, "wordpiece": 3000, "bbpe": 400}[model]
    pattern = {"pattern": "cl100k"} if model == "bbpe" else {}
    result = run_cli([*tok, "train", str(sample_path), "--model", model, "--vocab-size", str(vocab_size),
                      *(["--pattern", "cl100k"] if pattern else []), "-o", str(out), "--no-progress"])
    assert result.returncode == 0, result.stderr
    if reader == "json":
        assert json.loads(out.read_text(encoding="utf-8"))["model"]["type"] == {"unigram": "Unigram"}.get(
            model, "WordPiece")
        loaded = toksmith.Tokenizer.from_file(str(out))
        assert tokenizers.Tokenizer.from_file(str(out)).encode(SENTENCE).ids == loaded.encode(SENTENCE)
    elif reader == "tiktoken":
        loaded = toksmith.Tokenizer.from_tiktoken(str(out), pattern="cl100k")
    elif reader == "model":
        loaded = toksmith.Tokenizer.from_sentencepiece(str(out))
    else:
        loaded = toksmith.Tokenizer.from_wordpiece_vocab(str(out))
    trained = toksmith.train([sample_path], model=model, vocab_size=vocab_size, show_progress=False, **pattern)
    assert loaded.encode(SENTENCE) == trained.encode(SENTENCE) and loaded.encode(SENTENCE)


def test_a_vocab_txt_that_would_lose_the_prefix_is_refused(tok, trained, sample_path, tmp_path):
    """tok reads a vocab.txt with BERT's settings, so one written with another prefix would come back different."""
    wp = tmp_path / "wp.json"
    result = run_cli([*tok, "train", str(sample_path), "--model", "wordpiece", "--vocab-size", "3000", "--prefix",
                      "@@", "-o", str(wp), "--no-progress"])
    assert result.returncode == 0, result.stderr
    result = run_cli([*tok, "convert", str(wp), "-o", str(tmp_path / "vocab.txt")])
    assert result.returncode == 2 and "@@" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "vocab.txt").exists()


def test_outputs_through_a_symbolic_link_write_its_target(tok, trained, tmp_path, sample_path):
    """The link stays a link (a rename over it would have replaced it with a file)."""
    for command, name in [(["convert", str(trained)], "t.json"), (["count", str(sample_path)], "c.counts"),
                          (["compare", str(trained), "--corpus", str(sample_path), "--passes", "0"], "r.txt")]:
        target, link = tmp_path / name, tmp_path / f"link-{name}"
        target.write_text("old", encoding="utf-8")
        link.symlink_to(target.name)
        result = run_cli([*tok, *command, "-o", str(link), *(["--no-progress"] if command[0] != "convert" else [])])
        assert result.returncode == 0, result.stderr
        assert link.is_symlink() and target.read_bytes() != b"old"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
