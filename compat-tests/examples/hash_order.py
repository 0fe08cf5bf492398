"""Runs in real Airflow's venv: prints the `template_fields` of operator classes under a given PYTHONHASHSEED.

    python hash_order.py SEED module:Class [module:Class ...]

Several standard-provider operators build `template_fields` as `tuple({...}.union(...))`: the order of a set of
strings, which changes with Python's string-hash seed, i.e. between any two Airflow processes. check.py runs this
under several seeds to show that the order really varies in Airflow before it compares those fields as sets
(cases.HASH_ORDERED_TEMPLATE_FIELDS).
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def main() -> int:
    seed, targets = sys.argv[1], sys.argv[2:]
    if os.environ.get("PYTHONHASHSEED") != seed:  # the seed is read at interpreter start: start again with it
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], {**os.environ, "PYTHONHASHSEED": seed})
    out = {}
    for target in targets:
        module, _, name = target.partition(":")
        out[target] = list(getattr(importlib.import_module(module), name).template_fields)
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
