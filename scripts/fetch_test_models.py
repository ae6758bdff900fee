"""Fetch the SentencePiece test models from PyPI (the sentencepiece==0.2.3 sdist).

The sdist ships ``test/botchan_en_unigram_1000.model``, ``botchan_en_bpe_1000.model``,
``kyoto_ja_unigram_8000.model`` and ``botchan.txt``. They are extracted to
``tests/data/external/sentencepiece/`` after the archive's sha256 is checked
against PyPI's. Idempotent: nothing is downloaded when the files are there.
Only PyPI is contacted (files.pythonhosted.org, found through the simple index).
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

NAME, VERSION = "sentencepiece", "0.2.3"
SHA256 = "21618ad31f0453a1ebf5ec58defed99758d54af0b670546ecac639ddd8b86fbd"
FILES = ["botchan_en_unigram_1000.model", "botchan_en_bpe_1000.model", "kyoto_ja_unigram_8000.model", "botchan.txt"]
DEST = Path(__file__).resolve().parent.parent / "tests" / "data" / "external" / "sentencepiece"


def main() -> int:
    if all((DEST / f).is_file() for f in FILES):
        return 0
    index = urllib.request.urlopen(f"https://pypi.org/simple/{NAME}/", timeout=60).read().decode()
    m = re.search(rf'href="([^"]+/{NAME}-{VERSION}\.tar\.gz)#sha256=([0-9a-f]+)"', index)
    if not m or m.group(2) != SHA256:
        sys.stderr.write(f"fetch_test_models: {NAME}-{VERSION}.tar.gz not found on PyPI with sha256 {SHA256}\n")
        return 2
    data = urllib.request.urlopen(m.group(1), timeout=120).read()
    if hashlib.sha256(data).hexdigest() != SHA256:
        sys.stderr.write("fetch_test_models: sha256 mismatch for the downloaded sdist\n")
        return 2
    DEST.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for f in FILES:
            member = tar.getmember(f"{NAME}-{VERSION}/test/{f}")
            src = tar.extractfile(member)
            assert src is not None
            tmp = DEST / (f + ".tmp")
            tmp.write_bytes(src.read())
            tmp.replace(DEST / f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
