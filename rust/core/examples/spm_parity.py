"""Parity of toksmith's SentencePiece support against the `sentencepiece` package.

Usage: python3 spm_parity.py TOOL OUTDIR MODEL...
  TOOL    the built `spm_tool` example binary
  OUTDIR  scratch directory for inputs/outputs
Texts: $SPM_TEXTS (colon-separated files; default botchan.txt and data/sample.txt)
plus 3000 random Unicode lines (seed 0). Prints one parity line per check.
"""
import os
import random
import subprocess
import sys

import sentencepiece as spm

TOOL, OUT, MODELS = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(OUT, exist_ok=True)
TEXTS = os.environ.get(
    "SPM_TEXTS",
    "/tmp/ref/sentencepiece-0.2.3/test/botchan.txt:/work/main/data/sample.txt",
).split(":")

RANGES = [
    (0x20, 0x7E), (0x20, 0x20), (0x09, 0x0D), (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0xFF),
    (0x0300, 0x036F), (0x0400, 0x04FF), (0x0600, 0x06FF), (0x0980, 0x09FF),
    (0x1100, 0x11FF), (0x2000, 0x206F), (0x2150, 0x24FF), (0x3000, 0x303F),
    (0x3040, 0x30FF), (0x3200, 0x33FF), (0x4E00, 0x4E80), (0xAC00, 0xAC80),
    (0xF900, 0xFAFF), (0xFB00, 0xFDFF), (0xFE00, 0xFE6F), (0xFF00, 0xFFEF),
    (0xFFF0, 0xFFFF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF), (0x1F900, 0x1F9FF),
    (0xE0000, 0xE007F), (0x10000, 0x10FFFF),
]


def random_lines(n, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chars = []
        for _ in range(rng.randint(0, 40)):
            lo, hi = rng.choice(RANGES)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF or c == 0x0A:
                c = 0x20
            chars.append(chr(c) * (rng.randint(2, 4) if rng.random() < 0.1 else 1))
        out.append("".join(chars))
    return out


def write_lines(name, lines):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(b"".join(l.encode() + b"\n" for l in lines))
    return path


def tool(*args):
    r = subprocess.run([TOOL, *args], capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"spm_tool {' '.join(args)} failed: {r.stderr.decode()}")
    out = r.stdout.decode().split("\n")
    return out[:-1] if out and out[-1] == "" else out


def read_lines(path):
    data = open(path, "rb").read().decode()
    lines = data.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


sets = {os.path.basename(p): read_lines(p) for p in TEXTS}
sets["random"] = random_lines(3000)
files = {k: write_lines(k + ".in", v) for k, v in sets.items()}
total_fail = 0

for model in MODELS:
    name = os.path.basename(model)
    sp = spm.SentencePieceProcessor(model_file=model)
    # Round trip.
    rt = os.path.join(OUT, name + ".rt")
    tool("roundtrip", model, rt)
    same = open(rt, "rb").read() == open(model, "rb").read()
    print(f"{name}: roundtrip byte-identical: {same}")
    total_fail += not same
    for key, lines in sets.items():
        got = tool("normalize", model, files[key])
        ok = 0
        bad = []
        for line, g in zip(lines, got):
            want_s, want_o = sp.normalize(line.encode(), with_offsets=True)
            hex_s, offs = g.split("\t")
            mine = (bytes.fromhex(hex_s), [int(x) for x in offs.split()])
            if mine == (want_s, list(want_o)):
                ok += 1
            else:
                bad.append((line, want_s, mine[0]))
        print(f"{name}: normalize {key}: {ok}/{len(lines)} exact (text+offsets)")
        for b in bad[:3]:
            print("   ", repr(b[0][:80]), repr(b[1].decode(errors="replace")[:80]), repr(b[2].decode(errors="replace")[:80]))
        total_fail += len(lines) - ok
    # The tool refuses to encode with non-BPE models.
    if subprocess.run([TOOL, "encode", model, files["random"]], capture_output=True).returncode == 0:
        for key, lines in sets.items():
            got = tool("encode", model, files[key])
            ok = 0
            bad = []
            for line, g in zip(lines, got):
                want = sp.encode(line)
                mine = [int(x) for x in g.split()]
                if mine == want:
                    ok += 1
                else:
                    bad.append((line, want, mine))
            print(f"{name}: encode {key}: {ok}/{len(lines)} exact")
            for b in bad[:3]:
                print("   ", repr(b[0][:60]), b[1][:20], b[2][:20])
            total_fail += len(lines) - ok
    # Decode of arbitrary id lists.
    rng = random.Random(1)
    n = sp.get_piece_size()
    id_lines = []
    for _ in range(3000):
        k = rng.randint(0, 12)
        pool = [rng.randrange(n) for _ in range(k)]
        # Favour byte pieces and the first ids (unk/control) sometimes.
        byte_ids = [i for i in range(min(n, 300)) if sp.is_byte(i)]
        if byte_ids and rng.random() < 0.5:
            pool += [rng.choice(byte_ids) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.3:
            pool += [rng.randrange(min(n, 4))]
        rng.shuffle(pool)
        id_lines.append(pool)
    for line in sets["random"][:500]:
        id_lines.append(sp.encode(line))
    path = os.path.join(OUT, name + ".ids")
    with open(path, "w") as f:
        f.write("".join(" ".join(map(str, ids)) + "\n" for ids in id_lines))
    got = tool("decode", model, path)
    ok = sum(bytes.fromhex(g) == sp.decode(ids).encode() for ids, g in zip(id_lines, got))
    print(f"{name}: decode: {ok}/{len(id_lines)} exact")
    total_fail += len(id_lines) - ok

print("TOTAL mismatches:", total_fail)
