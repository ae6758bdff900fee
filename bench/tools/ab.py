"""Two (or more) builds of toksmith in one process, passes taken in turns: how much faster one build is.

Each build is a copy of the ``toksmith`` package directory (with its ``_core`` extension) under a name of its own,
given as ``NAME=DIR`` (``DIR/NAME/__init__.py``), e.g. the package of a wheel built without PGO and one built with
it. One thread calls each build's ``encode_ordinary`` on every document (lines grouped into documents of at least
4 KB, as bench/encode.py does), in passes taken in turns (the order reversed every pass), after one untimed pass
each; it prints each build's median MB/s and the median, least and greatest ratio of its pass to the first build's
pass of the same turn. This VM's slow spells then fall on both. All builds must give the same ids. A measuring
tool, not one of report.py's jobs.

    mkdir -p /tmp/ab && TOKSMITH_PGO=0 pip wheel --no-deps -w /tmp/ab/plain . && pip wheel --no-deps -w /tmp/ab/pgo .
    (cd /tmp/ab/plain && python -m zipfile -e *.whl . && mv toksmith /tmp/ab/ts_plain)
    (cd /tmp/ab/pgo && python -m zipfile -e *.whl . && mv toksmith /tmp/ab/ts_pgo)
    python bench/tools/ab.py --encoding o200k_base --corpus /tmp/toksmith-bench/zh-10M.txt \\
        --rank-file /tmp/toksmith-bench/ranks/o200k_base.tiktoken ts_plain=/tmp/ab ts_pgo=/tmp/ab
"""

from __future__ import annotations

import importlib
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from encode import DEFAULT_DOC_BYTES, split_docs  # noqa: E402
from _tool import passes_in_turns, tool_parser  # noqa: E402


def load(spec: str) -> tuple[str, Any]:
    """The build ``NAME=DIR``: the package ``NAME`` imported from ``DIR``."""
    name, sep, where = spec.partition("=")
    if not sep or not (Path(where) / name / "__init__.py").is_file():
        raise SystemExit(f"ab.py: {spec!r} is not NAME=DIR with a package DIR/NAME")
    sys.path.insert(0, where)
    try:
        return name, importlib.import_module(name)
    finally:
        sys.path.remove(where)


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--runs", type=int, default=12, help="timed passes per build (default 12)")
    parser.add_argument("builds", nargs="+", metavar="NAME=DIR", help="the builds; ratios are to the first")
    args = parser.parse_args(argv)
    docs = split_docs(args.corpus.read_bytes(), DEFAULT_DOC_BYTES)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    builds = [(name, module.get_encoding(args.encoding, path=args.rank_file)) for name, module in map(load, args.builds)]
    first = [builds[0][1].encode_ordinary(d) for d in docs]
    for name, enc in builds[1:]:
        if [enc.encode_ordinary(d) for d in docs] != first:
            print(f"ab.py: {name} and {builds[0][0]} give different ids on {args.corpus}", file=sys.stderr)
            return 1
    seconds = passes_in_turns({name: enc.encode_ordinary for name, enc in builds}, docs, args.runs, alternate=True)
    speed = {name: [mb / t for t in ts] for name, ts in seconds.items()}
    print(f"{args.encoding} on {args.corpus} ({mb:.1f} MB, {len(docs)} docs), {args.runs} passes each in turns:")
    base = speed[builds[0][0]]
    for name, s in speed.items():
        ratios = [a / b for a, b in zip(s, base)]
        print(f"  {name:14} {statistics.median(s):6.1f} MB/s   / {builds[0][0]}: median {statistics.median(ratios):.3f}"
              f" (least {min(ratios):.3f}, greatest {max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
