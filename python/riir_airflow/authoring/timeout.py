"""`timeout(seconds)`: a `with` block that raises AirflowTaskTimeout when it runs too long (POSIX, main thread)."""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType, TracebackType

from riir_airflow.exceptions import AirflowTaskTimeout

log = logging.getLogger("task")


class timeout:  # Airflow's (lower-case) name
    def __init__(self, seconds: float = 1, error_message: str = "Timeout") -> None:
        self.seconds = seconds
        self.error_message = f"{error_message}, PID: {os.getpid()}"
        self._armed = False

    def handle_timeout(self, signum: int, frame: FrameType | None) -> None:
        log.error("Process timed out, PID: %s", os.getpid())
        raise AirflowTaskTimeout(self.error_message)

    def __enter__(self) -> timeout:
        try:
            signal.signal(signal.SIGALRM, self.handle_timeout)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._armed = True
        except (AttributeError, ValueError):
            log.warning("timeout needs signal.SIGALRM and the main thread; proceeding without a timeout")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
