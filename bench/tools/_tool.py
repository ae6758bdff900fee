"""What the measuring tools in bench/tools share: their command line's common arguments, and timing passes in turns."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Callable


def tool_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the tools' common arguments: --encoding, --corpus and --rank-file (all required)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoding", required=True, choices=["cl100k_base", "o200k_base"])
    parser.add_argument("--corpus", type=Path, required=True, help="a UTF-8 text file")
    parser.add_argument("--rank-file", type=Path, required=True, help="the encoding's .tiktoken file")
    return parser


def passes_in_turns(
    encoders: dict[str, Callable[[str], Any]], docs: list[str], runs: int, *, alternate: bool = False
) -> dict[str, list[float]]:
    """Seconds of each encoder's ``runs`` passes over ``docs`` (one call a document), the encoders taking turns:
    every encoder's pass k before any encoder's pass k + 1, in the given order or, with ``alternate``, in the
    reverse order every other turn."""
    order = list(encoders.items())
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    for turn in range(runs):
        for name, encode in order if not alternate or turn % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            for d in docs:
                encode(d)
            seconds[name].append(time.perf_counter() - start)
    return seconds
