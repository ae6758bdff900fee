"""The script of a line of text, for ``toksmith.compare``: which writing system dominates it.

A line's script is the script holding most of its *counted characters*:

* letters and marks (Unicode categories L* and M*) are counted for the script
  whose block holds them (ranges below; Python has no Script property, so
  blocks stand in for it). Letters in no listed block count as ``Other``;
  marks in no listed block (combining diacritics, variation selectors) are not
  counted.
* pictographic symbols (categories So and Sk in the emoji blocks) count as
  ``Emoji``.
* digits, punctuation, spaces and everything else are not counted.

Japanese: when kana make up at least a tenth of a line's Han and kana
characters, its Han characters count as kana, so a Japanese line with kanji is
``Kana``, and a Chinese line with a stray katakana word stays ``Han``.

A line with no counted character is ``No letters``. A tie goes to the script
listed first in :data:`SCRIPTS`.

The work is done by ``str.translate`` with a table that maps each character to
a one-letter script code (filled lazily, one lookup per distinct character), so
a whole block of lines is classified at C speed.

>>> classify_lines(["Hello мир мир\\n", "日本語のテキスト\\n", "中文文本\\n", "12 + 3\\n", "🦙🦙 x"])
['Cyrillic', 'Kana', 'Han', 'No letters', 'Emoji']
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from typing import Optional

__all__ = ["SCRIPTS", "NO_LETTERS", "classify_lines", "script_of"]

#: Scripts in tie-breaking order, with their one-letter codes and code point ranges (inclusive).
_TABLE: tuple[tuple[str, str, tuple[tuple[int, int], ...]], ...] = (
    ("Latin", "L", (
        (0x41, 0x5A), (0x61, 0x7A), (0xAA, 0xAA), (0xBA, 0xBA), (0xC0, 0x2FF), (0x1D00, 0x1DBF),
        (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F), (0xFB00, 0xFB06),
        (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    )),
    ("Cyrillic", "C", ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F))),
    ("Greek", "G", ((0x370, 0x3FF), (0x1F00, 0x1FFF))),
    ("Arabic", "A", ((0x600, 0x6FF), (0x750, 0x77F), (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("Hebrew", "W", ((0x590, 0x5FF), (0xFB1D, 0xFB4F))),
    ("Devanagari", "D", ((0x900, 0x97F), (0xA8E0, 0xA8FF))),
    ("Bengali", "B", ((0x980, 0x9FF),)),
    ("Thai", "T", ((0xE00, 0xE7F),)),
    ("Han", "H", (
        (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF),
    )),
    ("Kana", "K", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F), (0x1B000, 0x1B16F))),
    ("Hangul", "U", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC))),
    ("Emoji", "E", ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))),
    ("Other", "O", ()),
)

#: The scripts a line can have, in tie-breaking order (``No letters`` last).
NO_LETTERS = "No letters"
SCRIPTS: tuple[str, ...] = tuple(name for name, _, _ in _TABLE) + (NO_LETTERS,)

_CODE_TO_NAME = {code: name for name, code, _ in _TABLE}
_ORDER = {code: i for i, (_, code, _) in enumerate(_TABLE)}
_EMOJI, _OTHER, _HAN, _KANA = "E", "O", "H", "K"

_STARTS: list[int] = []
_ENDS: list[int] = []
_CODES: list[str] = []
for _name, _code, _ranges in _TABLE:
    for _lo, _hi in _ranges:
        _STARTS.append(_lo)
        _ENDS.append(_hi)
        _CODES.append(_code)
_BY_START = sorted(range(len(_STARTS)), key=_STARTS.__getitem__)
_STARTS = [_STARTS[i] for i in _BY_START]
_ENDS = [_ENDS[i] for i in _BY_START]
_CODES = [_CODES[i] for i in _BY_START]


def _block_code(cp: int) -> str | None:
    i = bisect.bisect_right(_STARTS, cp) - 1
    return _CODES[i] if i >= 0 and cp <= _ENDS[i] else None


def _code_of(ch: str) -> str | None:
    """The one-letter script code a character counts for, or None when it is not counted."""
    category = unicodedata.category(ch)
    block = _block_code(ord(ch))
    if category[0] == "L":
        return _OTHER if block is None or block == _EMOJI else block
    if category[0] == "M":
        return None if block is None or block == _EMOJI else block
    if category in ("So", "Sk") and block == _EMOJI:
        return _EMOJI
    return None


class _Translation(dict):  # type: ignore[type-arg]
    """A ``str.translate`` table filled on first sight of each code point; "\\n" is kept."""

    def __missing__(self, cp: int) -> str | None:
        value = "\n" if cp == 10 else _code_of(chr(cp))
        self[cp] = value
        return value


_TRANSLATION = _Translation()


def _dominant(codes: str) -> str:
    if not codes:
        return NO_LETTERS
    first = codes[0]
    if codes.count(first) == len(codes):  # one script only: the common case
        return _CODE_TO_NAME[first]
    kana = codes.count(_KANA)
    if kana and kana * 10 >= kana + codes.count(_HAN):
        codes = codes.replace(_HAN, _KANA)
    counts = {c: codes.count(c) for c in set(codes)}
    best = max(counts, key=lambda c: (counts[c], -_ORDER[c]))
    return _CODE_TO_NAME[best]


def classify_lines(lines: Sequence[str], text: Optional[str] = None) -> list[str]:
    """The script of each line (see the module doc).

    Every line but the last must end with "\\n", and no line may hold another "\\n".
    ``text`` may give ``"".join(lines)`` when the caller has it already.

    Example:
        >>> classify_lines(["Привет, world!\\n", "\\n"])
        ['Cyrillic', 'No letters']
    """
    joined = "".join(lines) if text is None else text
    codes = joined.translate(_TRANSLATION).split("\n")
    # A line ending in "\n" leaves an empty string after it; a last line without "\n" does not.
    if len(codes) == len(lines) + 1:
        codes.pop()
    if len(codes) != len(lines):
        raise ValueError("classify_lines: a line holds a newline before its end")
    return [_dominant(c) for c in codes]


def script_of(text: str) -> str:
    """The dominant script of a text (newlines count as nothing).

    Example:
        >>> script_of("Добрый день")
        'Cyrillic'
    """
    return _dominant(text.translate(_TRANSLATION).replace("\n", ""))
