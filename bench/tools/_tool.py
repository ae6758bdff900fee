"""What the measuring tools in bench/tools share: their command line's common arguments."""

from __future__ import annotations

import argparse
from pathlib import Path


def tool_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the tools' common arguments: --encoding, --corpus and --rank-file (all required)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoding", required=True, choices=["cl100k_base", "o200k_base"])
    parser.add_argument("--corpus", type=Path, required=True, help="a UTF-8 text file")
    parser.add_argument("--rank-file", type=Path, required=True, help="the encoding's .tiktoken file")
    return parser
