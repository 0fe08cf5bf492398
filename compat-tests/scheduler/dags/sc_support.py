"""Helpers the scheduler scenario DAGs share (no DAG here): a trace file the extractor reads, and a deadline callback.

SC_TRACE names a directory that both sides create for the run; callbacks and sensors append lines to files in it."""

import os
import time
from pathlib import Path


def trace(name, line):
    folder = Path(os.environ.get("SC_TRACE", "/tmp"))
    with open(folder / name, "a") as out:
        out.write(line + "\n")


async def on_deadline(**kwargs):
    """AsyncCallback of the deadline scenarios: records which run missed its deadline."""
    trace("deadline.log", str(kwargs.get("tag")))


def nap(seconds):
    time.sleep(seconds)
