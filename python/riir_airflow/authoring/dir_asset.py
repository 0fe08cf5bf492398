"""`DirAsset`: an asset that is a directory of data files, tracked file by file.

When a task with a `DirAsset` in its `outlets` succeeds, the directory's manifest (every file matching
`datum_glob`, with its content hash) is compared with the one of the asset's previous event: only a changed
directory produces an asset event, and the event says which files were added, modified and removed, so consumers
can work on just those (see `riir_airflow.runtime.manifests`).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from riir_airflow._core import check_datum_glob
from riir_airflow.schedules.assets import Asset, AssetWatcher


class DirAsset(Asset):
    """A directory asset. `uri` is a local path or a `file://` URI; `datum_glob` selects the files that count
    (matched against "/" + the path relative to the directory: `/**` is every file, `/*.csv` the CSV files at the
    top level, `/**/*.parquet` Parquet files at any depth)."""

    def __init__(
        self,
        uri: str,
        datum_glob: str = "/**",
        *,
        name: str | None = None,
        group: str | None = None,
        extra: dict[str, Any] | None = None,
        watchers: list[AssetWatcher] | None = None,
    ) -> None:
        uri = str(uri)
        super().__init__(name=name, uri=uri, group=group, extra=extra, watchers=watchers)
        check_datum_glob(datum_glob)
        self.datum_glob = datum_glob

    @property
    def path(self) -> Path:
        """The local directory this asset names."""
        parsed = urllib.parse.urlsplit(self.uri)
        if parsed.scheme in ("", "file"):
            return Path(urllib.parse.unquote(parsed.path) if parsed.scheme else self.uri)
        raise ValueError(
            f"DirAsset {self.name!r}: only local directories (a path or file:// URI) can be scanned, not "
            f"{parsed.scheme}:// URIs"
        )

    def _key(self) -> tuple[str, str, str, str]:
        name, uri, group, extra = super()._key()
        # Two directory assets over the same directory with different globs are different data.
        return name, uri, group, f"{extra}|{self.datum_glob}"

    def __repr__(self) -> str:
        return f"DirAsset(uri={self.uri!r}, datum_glob={self.datum_glob!r}, name={self.name!r})"
