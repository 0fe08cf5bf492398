"""Runs under either implementation: every installed provider's `config:` options as `conf` resolves them.

    python dump.py            # real Airflow's venv
    python dump.py --riir     # the project venv, with the `airflow` alias

Prints {"providers": [package, ...], "values": {section: {key: value}}} as JSON.
"""

from __future__ import annotations

import json
import sys

if "--riir" in sys.argv:
    import riir_airflow.compat

    riir_airflow.compat.install()

from airflow.configuration import conf
from airflow.providers_manager import ProvidersManager

manager = ProvidersManager()
values: dict[str, dict[str, str | None]] = {}
packages = []
for package, sections in manager.provider_configs:
    packages.append(package)
    for section, body in sections.items():
        for key in body.get("options") or {}:
            values.setdefault(section, {})[key] = conf.get(section, key, fallback=None)
print(json.dumps({"providers": packages, "values": values}, sort_keys=True))
