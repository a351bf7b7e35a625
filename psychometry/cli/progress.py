"""The progress line of ``psychometry administer``: a bar with rate and ETA on stderr (on a terminal).

:func:`psychometry.administer` reports progress to a factory given as ``progress=``: called with
the number of responses to write, it returns an object with ``step(n)`` and ``close()``
(:class:`psychometry.engine.Progress`); :class:`ProgressLine` is the one the CLI passes.
"""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressLine"]


class ProgressLine:
    """A plain-text progress line on stderr with rate and ETA (only on a TTY)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled and total > 0 and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        elapsed = max(now - self.t0, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        fill = int(width * self.done / self.total)
        bar = "#" * fill + "." * (width - fill)
        sys.stderr.write(
            f"\r[{bar}] {self.done}/{self.total} {100 * self.done / self.total:3.0f}% "
            f"{rate:5.1f}/s ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
