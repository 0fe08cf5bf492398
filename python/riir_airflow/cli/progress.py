"""Progress of long CLI operations (imports, backfills, migrations) on stderr, so stdout stays the result.

On a terminal one line is rewritten in place; otherwise a line is printed every 10 % (and nothing at all for
operations of fewer than `MIN_ITEMS` items).
"""

from __future__ import annotations

import sys
import time

MIN_ITEMS = 200


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.count = 0
        self.tty = sys.stderr.isatty()
        self.shown = total >= MIN_ITEMS
        self.next_report = total / 10
        self.started = time.monotonic()

    def step(self, n: int = 1) -> None:
        self.count += n
        if not self.shown:
            return
        if self.tty:
            sys.stderr.write(f"\r{self.label}: {self.count}/{self.total}")
            sys.stderr.flush()
        elif self.count >= self.next_report:
            self.next_report += self.total / 10
            print(f"{self.label}: {self.count}/{self.total}", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.shown:
            end = "\n" if self.tty else ""
            sys.stderr.write(
                f"{end}{self.label}: {self.count}/{self.total} in {time.monotonic() - self.started:.1f}s\n"
            )
