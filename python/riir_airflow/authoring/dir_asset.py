"""`DirAsset`: an asset that is a directory of data files, tracked file by file.

When a task with a `DirAsset` in its `outlets` succeeds, the directory's manifest (every file matching
`datum_glob`, with its content hash) is compared with the one of the asset's previous event: only a changed
directory produces an asset event, and the event says which files were added, modified and removed, so consumers
can work on just those (see `riir_airflow.runtime.manifests`).

The directory is a local one (a path or `file://` URI) or a prefix on an object store (`s3://bucket/prefix`, or any
protocol with an fsspec filesystem installed): then `path` is an `ObjectStoragePath` and the objects under the prefix
are the files.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from riir_airflow._core import check_datum_glob
from riir_airflow.authoring.object_storage import LOCAL_PROTOCOLS, ObjectStoragePath
from riir_airflow.schedules.assets import Asset, AssetWatcher


class DirAsset(Asset):
    """A directory asset. `uri` is a local path, a `file://` URI or an object store prefix (`s3://bucket/prefix`);
    `datum_glob` selects the files that count
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
    def is_local(self) -> bool:
        """True for a local directory, False for a prefix on an object store."""
        return urllib.parse.urlsplit(self.uri).scheme in LOCAL_PROTOCOLS

    @property
    def path(self) -> Path | ObjectStoragePath:
        """The directory: a `Path` for a local one, an `ObjectStoragePath` for an object store prefix (both join
        with `/`, read, write and list alike)."""
        return self.local_path if self.is_local else ObjectStoragePath(self.uri)

    @property
    def local_path(self) -> Path:
        """The local directory this asset names (ValueError for an object store prefix)."""
        parsed = urllib.parse.urlsplit(self.uri)
        if parsed.scheme in LOCAL_PROTOCOLS:
            return Path(urllib.parse.unquote(parsed.path) if parsed.scheme else self.uri)
        raise ValueError(f"DirAsset {self.name!r}: {self.uri} is on an object store, not a local directory")

    def _key(self) -> tuple[str, str, str, str]:
        name, uri, group, extra = super()._key()
        # Two directory assets over the same directory with different globs are different data.
        return name, uri, group, f"{extra}|{self.datum_glob}"

    def __repr__(self) -> str:
        return f"DirAsset(uri={self.uri!r}, datum_glob={self.datum_glob!r}, name={self.name!r})"
