"""Dump a SentencePiece unigram model and oracle encodings for `unigram_parity`.

Usage: python unigram_dump.py MODEL OUT_PREFIX [TEXT_FILE ...]

Writes OUT_PREFIX.vocab.jsonl (one piece per line: text, score, kind, plus a
header line with byte_fallback) and OUT_PREFIX.cases.jsonl (one case per line:
normalized text, `sp.encode` ids, `sp.nbest_encode_as_ids(text, 5)`).
Texts: the lines of TEXT_FILEs, strings made of random vocabulary pieces, and
random Unicode strings (unknown characters, emoji, long repeats).
"""
import json
import random
import sys

import sentencepiece as spm

model, prefix, files = sys.argv[1], sys.argv[2], sys.argv[3:]
sp = spm.SentencePieceProcessor(model_file=model)
byte_fallback = any(sp.is_byte(i) for i in range(sp.get_piece_size()))
KIND = {1: "normal", 2: "unknown", 3: "control", 4: "user", 5: "unused", 6: "byte"}
with open(prefix + ".vocab.jsonl", "w") as f:
    f.write(json.dumps({"byte_fallback": byte_fallback}) + "\n")
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            kind = "unknown"
        elif sp.is_control(i):
            kind = "control"
        elif sp.is_unused(i):
            kind = "unused"
        elif sp.is_byte(i):
            kind = "byte"
        else:
            # user-defined pieces: normalize() leaves them intact and encode gives one id
            kind = "normal"
        f.write(json.dumps({"text": sp.id_to_piece(i), "score": sp.get_score(i), "kind": kind}) + "\n")

# Piece types from the model proto (a tiny protobuf reader: ModelProto.pieces
# is field 1; SentencePiece.type is field 3, default NORMAL).
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return v, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        else:
            raise ValueError(wt)
        yield f, v

types = []
for f, v in fields(open(model, "rb").read()):
    if f == 1:
        t = 1
        for f2, v2 in fields(v):
            if f2 == 3:
                t = v2
        types.append(t)
assert len(types) == sp.get_piece_size()
lines = open(prefix + ".vocab.jsonl").read().splitlines()
out = [lines[0]]
for i, t in enumerate(types):
    d = json.loads(lines[i + 1])
    d["kind"] = KIND[t]
    out.append(json.dumps(d))
open(prefix + ".vocab.jsonl", "w").write("\n".join(out) + "\n")

rng = random.Random(1234)
texts = []
for fn in files:
    texts += [l.rstrip("\n") for l in open(fn, encoding="utf-8")]
pieces = [sp.id_to_piece(i).replace("\u2581", " ") for i in range(sp.get_piece_size())
          if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i))]
for _ in range(2000):
    texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
alphabet = "abcxyz ABC 0123 .,!? éü ñ 日本語の漢字カタカナ ひらがな 中文字 한국어 😀🎉👍 ∀∂ \u0301 \u200b ▅ ★"
for _ in range(2000):
    n = rng.randint(0, 40)
    s = "".join(rng.choice(alphabet) if rng.random() < 0.8 else chr(rng.randint(0x20, 0x2FFFF)) for _ in range(n))
    s = "".join(c for c in s if not (0xD800 <= ord(c) <= 0xDFFF))
    texts.append(s)
for c in ["a", "ab", "😀", "日", " "]:
    texts.append(c * 3000)
texts.append("😀" * 20000)
with open(prefix + ".cases.jsonl", "w") as f:
    for t in texts:
        norm = sp.normalize(t)
        ids = sp.encode(t)
        nb = sp.nbest_encode_as_ids(t, 5) if len(t) < 2000 else []
        f.write(json.dumps({"norm": norm, "ids": ids, "nbest": nb}, ensure_ascii=False) + "\n")
print(prefix, len(texts), "cases")
