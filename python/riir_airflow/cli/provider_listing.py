"""Prints the installed providers as JSON, for `GET /api/v2/providers`:

    python -m riir_airflow.cli.provider_listing

Reading a provider's info runs its `get_provider_info` (provider code), which the broker never imports: the broker
starts this module and reads one JSON list of Airflow's ProviderResponse fields from its stdout.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any


def provider_rows() -> list[dict[str, Any]]:
    from riir_airflow.plugins.providers_manager import discover_provider_infos

    return [
        {"package_name": name, "description": description(info.data), "version": info.version,
         "documentation_url": info.data.get("documentation-url")}
        for name, info in discover_provider_infos().items()
    ]  # fmt: skip


def description(data: dict[str, Any]) -> str:
    # Airflow's `_remove_rst_syntax`: the description without its reStructuredText link markup.
    return re.sub("[`_<>]", "", str(data.get("description", "")).strip(" \n."))


def main() -> int:
    json.dump(provider_rows(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
