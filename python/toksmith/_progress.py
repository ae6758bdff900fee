"""A small progress bar on stderr for work done in Python (``tok compare``).

It follows the ``show_progress`` convention of :func:`toksmith.train`: True
draws the bar only when the stream is a terminal, ``"always"`` also elsewhere
(as plain lines, about once a second), False never. Nothing is drawn for work
that ends within ``delay`` seconds (one by default).

>>> import io
>>> out = io.StringIO()
>>> with Progress(10, show="always", stream=out, delay=0, clock=iter(range(100)).__next__) as p:
...     p.advance(5, "half")
>>> out.getvalue().splitlines()[-1]
'compare: 100% done in 2 s'
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import Literal, Optional, TextIO, Union

from .errors import InvalidInputError

Show = Union[bool, Literal["always"]]


class Progress:
    """Progress of ``total`` units of work; ``advance`` as they are done, ``note`` what is going on."""

    def __init__(
        self,
        total: float,
        *,
        show: Show = True,
        label: str = "compare",
        stream: Optional[TextIO] = None,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if show not in (True, False, "always"):
            raise InvalidInputError(f"show_progress must be True, False or 'always', not {show!r}")
        self.stream = stream if stream is not None else sys.stderr
        is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = show == "always" or (show is True and is_tty)
        self.tty = is_tty
        self.total = max(float(total), 1e-9)
        self.done = 0.0
        self.text = ""
        self.label = label
        self.delay = delay
        self.clock = clock
        self.start = clock()
        self.last_draw: Optional[float] = None
        self.drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.close(ok=exc_type is None)

    def note(self, text: str) -> None:
        """Say what is being done now (shown beside the bar)."""
        self.text = text
        self._maybe_draw()

    def advance(self, amount: float, text: Optional[str] = None) -> None:
        """Count ``amount`` more units as done."""
        self.done = min(self.total, self.done + amount)
        if text is not None:
            self.text = text
        self._maybe_draw()

    def grow(self, amount: float) -> None:
        """Add work that was not known when the bar started (the total may also shrink)."""
        self.total = max(self.done, self.total + amount, 1e-9)

    def _maybe_draw(self) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.start < self.delay:
            return
        interval = 0.1 if self.tty else 1.0
        if self.last_draw is not None and now - self.last_draw < interval:
            return
        self.last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        share = self.done / self.total
        elapsed = now - self.start
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns
            bar_width = 24
            filled = int(round(share * bar_width))
            bar = "#" * filled + "." * (bar_width - filled)
            line = f"{self.label} [{bar}] {share:4.0%} {elapsed:5.1f} s  {self.text}"
            self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        else:
            self.stream.write(f"{self.label}: {share:.0%} after {elapsed:.0f} s {self.text}".rstrip() + "\n")
        self.stream.flush()
        self.drawn = True

    def close(self, ok: bool = True) -> None:
        """Finish the bar: a last line when anything was drawn."""
        if not self.drawn:
            return
        elapsed = self.clock() - self.start
        end = f"{self.label}: 100% done in {elapsed:.0f} s" if ok else f"{self.label}: stopped after {elapsed:.0f} s"
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + end[: width - 1].ljust(width - 1) + "\n")
        else:
            self.stream.write(end + "\n")
        self.stream.flush()
        self.drawn = False
