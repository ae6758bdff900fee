"""What the Python list of ids costs in toksmith's encode_ordinary, beside tiktoken, in one process.

For each document (lines grouped into documents of at least 4 KB, as bench/encode.py does), one thread calls
toksmith's ``encode_ordinary`` (a list of ints), toksmith's ``encode_to_numpy`` (a uint32 array, no Python int per
id) and tiktoken's ``encode_ordinary``, in interleaved passes; it prints the median MB/s of each and the ratio
list / numpy, which is the share of the call that goes into the list. Both toksmith calls must give the same ids.
A measuring tool, not one of report.py's jobs (those are the scripts directly in bench/). Its toksmith / tiktoken
ratio is not the benchmark's: with the passes in turns in one process, each library starting its pass after the
other has filled the cache, it gave 5.0-5.2x on the mixed sample with o200k in four runs (2026-12-07), where
separate processes (bench/encode.py, and six pairs of one-library processes run in turns) gave 4.1-4.3x.

    python bench/tools/list_overhead.py --encoding o200k_base --corpus /tmp/toksmith-bench/zh-10M.txt \\
        --rank-file /tmp/toksmith-bench/ranks/o200k_base.tiktoken
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any, Callable

import tiktoken
import toksmith

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from encode import DEFAULT_DOC_BYTES, split_docs, tiktoken_spec  # noqa: E402
from _tool import passes_in_turns, tool_parser  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--runs", type=int, default=5, help="passes per encoder (default 5)")
    args = parser.parse_args(argv)
    docs = split_docs(args.corpus.read_bytes(), DEFAULT_DOC_BYTES)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    tok = toksmith.get_encoding(args.encoding, path=args.rank_file)
    tk = tiktoken.Encoding(**tiktoken_spec(args.encoding, args.rank_file))
    for d in docs:
        if tok.encode_ordinary(d) != tok.encode_to_numpy(d, disallowed_special=()).tolist():
            print(f"list and numpy ids differ on a document of {args.corpus}", file=sys.stderr)
            return 1
    encoders: dict[str, Callable[[str], Any]] = {
        "toksmith list": tok.encode_ordinary,
        "toksmith numpy": lambda d: tok.encode_to_numpy(d, disallowed_special=()),
        "tiktoken list": tk.encode_ordinary,
    }
    times = passes_in_turns(encoders, docs, args.runs)
    speed = {name: mb / statistics.median(t) for name, t in times.items()}
    print(f"{args.encoding} on {args.corpus} ({mb:.1f} MB, {len(docs)} docs), median of {args.runs} passes:")
    for name, s in speed.items():
        print(f"  {name:15} {s:6.1f} MB/s")
    print(f"  list / numpy    {speed['toksmith list'] / speed['toksmith numpy']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
