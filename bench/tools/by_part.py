"""toksmith against tiktoken on each part of a corpus, one thread, in one process: where the ratio is high or low.

The corpus is cut at line ends into ``--parts`` parts of about equal size (in file order, so for the mixed sample
each part is mostly one of mixed-100M's sources: dictionary English, Quran translations, Chinese news, man pages,
emoji names, Go or C source...). For each part, lines are grouped into documents of at least 4 KB (as
bench/encode.py does) and each library encodes them one call per document (``encode_ordinary``), toksmith and
tiktoken taking turns pass by pass, ``--runs`` passes each; the best pass of each gives the part's MB/s, and the
ratio toksmith / tiktoken is printed with the first characters of the part. The ids of both libraries must be equal.
A measuring tool, not one of report.py's jobs: the pass-by-pass turns cost toksmith some of its cache (see
bench/encode.py), and the best pass is kept to make up for it, so these figures are for comparing parts with each
other, not for quoting as the benchmark.

    python bench/tools/by_part.py --encoding o200k_base \\
        --corpus /tmp/toksmith-bench/mixed-100M.sample-20000000B-every-5-blocks.txt \\
        --rank-file /tmp/toksmith-bench/ranks/o200k_base.tiktoken
"""

from __future__ import annotations

import sys
from pathlib import Path

import tiktoken
import toksmith

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from encode import DEFAULT_DOC_BYTES, split_docs, tiktoken_spec  # noqa: E402
from _tool import passes_in_turns, tool_parser  # noqa: E402


def cut(data: bytes, parts: int) -> list[bytes]:
    """`data` cut into `parts` pieces of about equal size, each ending at a line end (the last at the end)."""
    out, start, step = [], 0, max(len(data) // parts, 1)
    for k in range(parts):
        end = len(data) if k == parts - 1 else data.find(b"\n", start + step) + 1
        if end <= 0:
            end = len(data)
        out.append(data[start:end])
        start = end
        if start >= len(data):
            break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--parts", type=int, default=20, help="parts of about equal size (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="passes per library and part (default 3)")
    args = parser.parse_args(argv)
    if args.parts < 1 or args.runs < 1:
        parser.error("--parts and --runs must be at least 1")
    ours = toksmith.get_encoding(args.encoding, path=args.rank_file)
    theirs = tiktoken.Encoding(**tiktoken_spec(args.encoding, args.rank_file))
    total = {"toksmith": 0.0, "tiktoken": 0.0}
    print(f"{args.encoding} on {args.corpus}, one thread, best of {args.runs} passes per part:")
    print("| part | starts with | MB | toksmith MB/s | tiktoken MB/s | toksmith / tiktoken |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for k, part in enumerate(cut(args.corpus.read_bytes(), args.parts)):
        docs = split_docs(part, DEFAULT_DOC_BYTES)
        if any(ours.encode_ordinary(d) != theirs.encode_ordinary(d) for d in docs):
            print(f"part {k}: toksmith's ids differ from tiktoken's", file=sys.stderr)
            return 1
        seconds = passes_in_turns({"toksmith": ours.encode_ordinary, "tiktoken": theirs.encode_ordinary}, docs,
                                  args.runs)
        best = {name: min(t) for name, t in seconds.items()}
        for name in total:
            total[name] += best[name]
        mb = len(part) / 1e6
        head = part[:400].decode("utf-8", "ignore").split("\n")
        preview = next((line for line in head[1:] if line.strip()), head[0])[:24]
        print(f"| {k} | {preview!r} | {mb:.2f} | {mb / best['toksmith']:.1f} | {mb / best['tiktoken']:.1f} | "
              f"{best['tiktoken'] / best['toksmith']:.2f} |")
    print(f"all parts: toksmith / tiktoken {total['tiktoken'] / total['toksmith']:.2f} (sums of the best passes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
