"""`ObjectStoragePath`: local files (`file://...` or a plain path) and, through fsspec, object stores.

Airflow builds ObjectStoragePath on fsspec filesystems (universal-pathlib). riir-airflow depends on no fsspec
filesystem: this one serves the local file system through `pathlib`, keeps Airflow's spelling of paths
(`file:///tmp/x`, `file://conn_id@/tmp/x`), its properties (protocol, key, bucket, namespace, conn_id), `stat()` as a
dict-like `stat_result`, copy/move (also recursive), serialization, and reports reads/writes/copies to the hook
lineage collector as Airflow does. A path of any other protocol (s3://, gs://, ...) is always built and named as in
Airflow (so DAG files that define one at module level load); reading and writing it goes through the protocol's
fsspec filesystem (e.g. `s3fs` for s3://) where that is installed, and fails with an error naming the path where not.
The filesystem gets the path's storage options (for S3 the usual AWS environment, e.g. `AWS_ENDPOINT_URL`, applies).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat as stat_module
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

LOCAL_PROTOCOLS = ("", "file", "local")


class stat_result(dict[str, Any]):
    """A subset of os.stat_result as attributes (st_size, st_mode, ...) over the storage's stat dict."""

    st_dev = property(lambda self: 0)
    st_size = property(lambda self: self.get("size", 0))
    st_gid = property(lambda self: self.get("gid", 0))
    st_uid = property(lambda self: self.get("uid", 0))
    st_ino = property(lambda self: self.get("ino", 0))
    st_nlink = property(lambda self: self.get("nlink", 0))

    @property
    def st_mtime(self) -> float:
        return float(self.get("mtime", 0))

    @property
    def st_mode(self) -> int:
        if "mode" in self:
            return int(self["mode"])
        if self.get("type") == "file":
            return stat_module.S_IFREG
        if self.get("type") == "directory":
            return stat_module.S_IFDIR
        return 0


class _TrackingFile:
    """A file object whose read()/write() calls are reported to the hook lineage collector."""

    def __init__(self, path: ObjectStoragePath, handle: IO[Any]) -> None:
        self._path = path
        self._handle = handle

    def __getattr__(self, name: str) -> Any:
        from riir_airflow.authoring.lineage import get_hook_lineage_collector

        attr = getattr(self._handle, name)
        if not callable(attr):
            return attr

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if name == "read":
                get_hook_lineage_collector().add_input_asset(context=self._path, uri=str(self._path))
            elif name == "write":
                get_hook_lineage_collector().add_output_asset(context=self._path, uri=str(self._path))
            return attr(*args, **kwargs)

        return wrapper

    def __iter__(self) -> Iterator[Any]:
        return iter(self._handle)

    def __enter__(self) -> _TrackingFile:
        self._handle.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.__exit__(*exc)  # type: ignore[arg-type]


class ObjectStoragePath(os.PathLike[str]):
    """A path on object storage; here: the local file system (`file://`, `local://` or a plain path)."""

    __version__: ClassVar[int] = 1
    sep: ClassVar[str] = "/"
    root_marker: ClassVar[str] = "/"
    protocol: str
    storage_options: dict[str, Any]
    _path: Path
    _conn_id: str | None

    def __init__(self, *args: Any, protocol: str | None = None, conn_id: str | None = None, **storage_options: Any):
        if not args:
            raise TypeError("ObjectStoragePath() needs a path")
        first, rest = args[0], args[1:]
        if isinstance(first, ObjectStoragePath):
            protocol = first.protocol if protocol is None else protocol
            conn_id = first.conn_id if conn_id is None else conn_id
            storage_options = {**first.storage_options, **storage_options}
            local = first._path
        else:
            parsed = urlsplit(os.fspath(first))
            userinfo, has_info, host = parsed.netloc.rpartition("@")
            if has_info:
                conn_id = conn_id if conn_id is not None else (userinfo or None)
            scheme = parsed.scheme
            if scheme and len(scheme) > 1:  # a one-letter "scheme" would be a Windows drive
                protocol = protocol if protocol is not None else scheme
                if host and protocol in LOCAL_PROTOCOLS:
                    raise ValueError(f"{first!r}: a local path has no host part (got {host!r})")
                # A remote path keeps its bucket (the host part) as the first part: `s3://bucket/key`.
                local = Path(parsed.path or "/") if protocol in LOCAL_PROTOCOLS else Path("/" + host + parsed.path)
            else:
                local = Path(os.fspath(first))
        self.protocol = protocol or ""
        self._path = local.joinpath(*[os.fspath(part) for part in rest]) if rest else local
        self._conn_id = conn_id
        self.storage_options = dict(storage_options)

    # --- identity and naming ---------------------------------------------------------------------------------
    def _derive(self, local: Path) -> ObjectStoragePath:
        return ObjectStoragePath(
            str(local), protocol=self.protocol, conn_id=self._conn_id, **self.storage_options
        )._with_local(local)

    def _with_local(self, local: Path) -> ObjectStoragePath:
        self._path = local
        return self

    @property
    def is_remote(self) -> bool:
        return self.protocol not in LOCAL_PROTOCOLS

    @property
    def _local(self) -> Path:
        """The local file behind the path, for the operations served by pathlib (remote paths use `fs`)."""
        if self.is_remote:
            raise NotImplementedError(f"ObjectStoragePath {str(self)!r}: this operation serves local paths only")
        return self._path

    @property
    def fs(self) -> Any:
        """The path's fsspec filesystem (a remote protocol's, e.g. s3fs for s3://), built from its storage options
        and, when the path names one, its connection (s3:// only, as the Amazon provider reads it)."""
        options = dict(self.storage_options)
        if self.conn_id:
            options = {**connection_storage_options(self.protocol, self.conn_id, str(self)), **options}
        return remote_filesystem(self.protocol, str(self), options)

    def _remote(self, fs_path: str) -> ObjectStoragePath:
        """The path on the same store of a path the filesystem returned (`bucket/key`)."""
        return self._derive(Path("/" + fs_path.strip("/")))

    @property
    def conn_id(self) -> str | None:
        return self._conn_id

    @property
    def path(self) -> str:
        if self.is_remote:  # Airflow's spelling: `bucket/key`, and `bucket/` for the bucket itself
            return str(self._path).lstrip("/") + ("/" if len(self._path.parts) == 2 else "")
        return str(self._path)

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        if self.protocol and self.conn_id:
            return f"{self.protocol}://{self.conn_id}@{self.path}"
        if self.protocol:
            return f"{self.protocol}://{self.path}"
        return self.path

    def __repr__(self) -> str:
        return f"ObjectStoragePath({self.path!r}, protocol={self.protocol or 'file'!r})"

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: object) -> bool:
        return self.samestore(other) and str(self) == str(other)

    def samestore(self, other: Any) -> bool:
        return isinstance(other, ObjectStoragePath) and (self.protocol, self.conn_id) == (
            other.protocol,
            other.conn_id,
        )

    def __truediv__(self, other: Any) -> ObjectStoragePath:
        return self._derive(self._path / os.fspath(other))

    def joinpath(self, *parts: Any) -> ObjectStoragePath:
        return self._derive(self._path.joinpath(*[os.fspath(p) for p in parts]))

    @property
    def container(self) -> str:
        return self.bucket

    @property
    def bucket(self) -> str:
        return self._path.parts[1] if self.is_remote and len(self._path.parts) > 1 else ""

    @property
    def key(self) -> str:
        if self.is_remote:
            return "/".join(self._path.parts[2:])
        return self.path.lstrip(self.sep)

    @property
    def namespace(self) -> str:
        return self.protocol

    @property
    def name(self) -> str:
        return self._path.name

    @property
    def stem(self) -> str:
        return self._path.stem

    @property
    def suffix(self) -> str:
        return self._path.suffix

    @property
    def suffixes(self) -> list[str]:
        return self._path.suffixes

    @property
    def parts(self) -> tuple[str, ...]:
        return self._path.parts

    @property
    def parent(self) -> ObjectStoragePath:
        return self._derive(self._path.parent)

    def with_name(self, name: str) -> ObjectStoragePath:
        return self._derive(self._path.with_name(name))

    def with_suffix(self, suffix: str) -> ObjectStoragePath:
        return self._derive(self._path.with_suffix(suffix))

    def resolve(self) -> ObjectStoragePath:
        return self if self.is_remote else self._derive(self._local.resolve())

    @classmethod
    def cwd(cls) -> ObjectStoragePath:
        return cls(str(Path.cwd()), protocol="file")

    @classmethod
    def home(cls) -> ObjectStoragePath:
        return cls(str(Path.home()), protocol="file")

    # --- file system operations --------------------------------------------------------------------------------
    def open(self, mode: str = "r", **kwargs: Any) -> Any:
        if self.is_remote:
            return _TrackingFile(self, self.fs.open(self.path, mode, **kwargs))
        kwargs.pop("block_size", None)
        return _TrackingFile(self, self._local.open(mode, **kwargs))

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        with self.open("r", encoding=encoding, errors=errors) as handle:
            return str(handle.read())

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            return bytes(handle.read())

    def write_text(self, data: str, encoding: str | None = None, errors: str | None = None) -> int:
        with self.open("w", encoding=encoding, errors=errors) as handle:
            return int(handle.write(data))

    def write_bytes(self, data: bytes) -> int:
        with self.open("wb") as handle:
            return int(handle.write(data))

    def exists(self) -> bool:
        return bool(self.fs.exists(self.path)) if self.is_remote else self._local.exists()

    def is_dir(self) -> bool:
        return bool(self.fs.isdir(self.path)) if self.is_remote else self._local.is_dir()

    def is_file(self) -> bool:
        return bool(self.fs.isfile(self.path)) if self.is_remote else self._local.is_file()

    def mkdir(self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        if not self.is_remote:
            self._local.mkdir(mode=mode, parents=parents, exist_ok=exist_ok)
        elif not exist_ok and self.exists():
            raise FileExistsError(str(self))
        else:  # an object store's "directories" are key prefixes: only a missing bucket is created
            self.fs.makedirs(self.path, exist_ok=True)

    def touch(self, mode: int = 0o666, exist_ok: bool = True) -> None:
        if not self.is_remote:
            self._local.touch(mode=mode, exist_ok=exist_ok)
        elif not exist_ok and self.exists():
            raise FileExistsError(str(self))
        elif not self.exists():
            self.fs.touch(self.path)

    def unlink(self, missing_ok: bool = False) -> None:
        if not self.is_remote:
            self._local.unlink(missing_ok=missing_ok)
        elif self.fs.isfile(self.path):
            self.fs.rm_file(self.path)
        elif not missing_ok:
            raise FileNotFoundError(str(self))

    def rmdir(self, recursive: bool = True) -> None:
        if self.is_remote:
            self.fs.rm(self.path, recursive=recursive)
        elif recursive:
            shutil.rmtree(self._local)
        else:
            self._local.rmdir()

    def iterdir(self) -> Iterator[ObjectStoragePath]:
        if self.is_remote:
            return (self._remote(found) for found in sorted(self.fs.ls(self.path, detail=False)))
        return (self._derive(child) for child in sorted(self._local.iterdir()))

    def glob(self, pattern: str) -> Iterator[ObjectStoragePath]:
        if self.is_remote:
            return (self._remote(found) for found in sorted(self.fs.glob(f"{self.path.rstrip('/')}/{pattern}")))
        return (self._derive(found) for found in sorted(self._local.glob(pattern)))

    def rglob(self, pattern: str) -> Iterator[ObjectStoragePath]:
        if self.is_remote:
            return self.glob(f"**/{pattern}")
        return (self._derive(found) for found in sorted(self._local.rglob(pattern)))

    def walk(self) -> Iterator[tuple[ObjectStoragePath, list[str], list[str]]]:
        if self.is_remote:
            for root, dirs, files in self.fs.walk(self.path):
                yield self._remote(root), sorted(dirs), sorted(files)
            return
        for root, dirs, files in os.walk(self._local):
            yield self._derive(Path(root)), sorted(dirs), sorted(files)

    def rename(self, target: Any) -> ObjectStoragePath:
        destination = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(target)
        if self.is_remote or destination.is_remote:
            if not self.samestore(destination):
                raise ValueError(f"rename {self} -> {destination}: both paths must be on the same store")
            self.fs.mv(self.path, destination.path)
            return destination
        self._local.rename(destination._local)
        return destination

    def replace(self, target: Any) -> ObjectStoragePath:
        return self.rename(target)

    def stat(self) -> stat_result:
        """The file's facts under fsspec's names (size, type, mtime, ino, ...), with protocol and conn_id."""
        if self.is_remote:
            return stat_result(**self.fs.info(self.path), protocol=self.protocol, conn_id=self.conn_id)
        st = self._local.stat()
        kind = "directory" if self._local.is_dir() else "file" if self._local.is_file() else "other"
        return stat_result(
            name=self.path, size=st.st_size, type=kind, created=st.st_ctime, islink=self._local.is_symlink(),
            mode=st.st_mode, uid=st.st_uid, gid=st.st_gid, mtime=st.st_mtime, ino=st.st_ino, nlink=st.st_nlink,
            protocol=self.protocol, conn_id=self.conn_id,
        )  # fmt: skip

    def samefile(self, other_path: Any) -> bool:
        if not isinstance(other_path, ObjectStoragePath):
            return False
        mine, theirs = self.stat(), other_path.stat()
        keys = ("protocol", "conn_id", "ino")
        return all(mine[k] == theirs[k] for k in keys)

    def size(self) -> int:
        return int(self.fs.size(self.path)) if self.is_remote else self._local.stat().st_size

    def ukey(self) -> str:
        """A hash of the file's properties, to tell whether it changed."""
        st = self.stat()
        return hashlib.sha256(repr(sorted((k, str(v)) for k, v in st.items())).encode()).hexdigest()

    def checksum(self) -> int:
        """A number that changes when the file changes (fsspec: int of the ukey)."""
        return int(self.ukey(), 16)

    def read_block(self, offset: int, length: int | None, delimiter: bytes | None = None) -> bytes:
        """Bytes from `offset` (`length` of them, or to the end), widened to `delimiter` boundaries when given."""
        if self.is_remote:
            return bytes(self.fs.read_block(self.path, offset, length, delimiter))
        data = self._local.read_bytes()
        if delimiter:
            if offset:
                found = data.find(delimiter, offset)
                offset = len(data) if found < 0 else found + len(delimiter)
            if length is not None:
                found = data.find(delimiter, offset + length)
                end = len(data) if found < 0 else found + len(delimiter)
            else:
                end = len(data)
            return data[offset:end]
        return data[offset:] if length is None else data[offset : offset + length]

    def sign(self, expiration: int = 100, **kwargs: Any) -> str:
        """A temporary URL for the object where the store can make one (S3: a presigned URL)."""
        if not self.is_remote:
            raise NotImplementedError("Sign is not implemented for this filesystem")
        return str(self.fs.sign(self.path, expiration=expiration, **kwargs))

    # --- copy and move -----------------------------------------------------------------------------------------
    # As Airflow's: within one store the store copies; between the local disk and a store fsspec puts or gets;
    # between two stores the bytes stream through this process, keeping each object's key.
    def copy(self, dst: str | ObjectStoragePath, recursive: bool = False, **kwargs: Any) -> None:
        from riir_airflow.authoring.lineage import get_hook_lineage_collector

        target = dst if isinstance(dst, ObjectStoragePath) else ObjectStoragePath(dst)
        if self.samestore(target) or not self.is_remote or not target.is_remote:
            get_hook_lineage_collector().add_input_asset(context=self, uri=str(self))
            get_hook_lineage_collector().add_output_asset(context=target, uri=str(target))
        if not self.is_remote and not target.is_remote:
            if self._local.is_dir():
                if not recursive:
                    raise IsADirectoryError(f"{self} is a directory: copy it with recursive=True")
                shutil.copytree(self._local, target._local, dirs_exist_ok=True)
                return
            destination = target._local / self.name if target._local.is_dir() else target._local
            shutil.copyfile(self._local, destination)
            return
        if self.samestore(target):
            self.fs.copy(self.path, target.path, recursive=recursive, **kwargs)
            return
        if not self.is_remote:
            target.fs.put(str(self._local), target.path, recursive=recursive, **kwargs)
            return
        if not target.is_remote:
            self.fs.get(self.path, str(target._local), recursive=recursive, **kwargs)
            return
        if not self.exists():
            raise FileNotFoundError(f"{self} does not exist")
        if self.is_dir():
            if target.is_file():
                raise ValueError("Cannot copy directory to a file.")
            target.mkdir(exist_ok=True, parents=True)
            for found in self.fs.expand_path(self.path, recursive=True):
                source = self._remote(found)
                if found != self.path and not source.is_dir():
                    source._stream_to(target)
            return
        self._stream_to(target)

    def _stream_to(self, target: ObjectStoragePath) -> None:
        """One object into another store, under the same key when the target is a directory or bucket."""
        if target.key.endswith("/") or not target.key:
            target.mkdir(exist_ok=True, parents=True)
            target = target / self.key
        elif target.is_dir():
            target = target / self.key
        with self.open("rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)

    def copy_into(self, target_dir: str | ObjectStoragePath, recursive: bool = False, **kwargs: Any) -> None:
        target = target_dir if isinstance(target_dir, ObjectStoragePath) else ObjectStoragePath(target_dir)
        if not target.is_dir():
            raise NotADirectoryError(f"Destination {target} is not a directory.")
        self.copy(target / self.name, recursive=recursive, **kwargs)

    def move(self, path: str | ObjectStoragePath, recursive: bool = False, **kwargs: Any) -> None:
        from riir_airflow.authoring.lineage import get_hook_lineage_collector

        target = path if isinstance(path, ObjectStoragePath) else ObjectStoragePath(path)
        if not self.is_remote and not target.is_remote:
            get_hook_lineage_collector().add_input_asset(context=self, uri=str(self))
            get_hook_lineage_collector().add_output_asset(context=target, uri=str(target))
            shutil.move(self._local, target._local)
            return
        if self.samestore(target):
            get_hook_lineage_collector().add_input_asset(context=self, uri=str(self))
            get_hook_lineage_collector().add_output_asset(context=target, uri=str(target))
            self.fs.move(self.path, target.path, recursive=recursive, **kwargs)
            return
        self.copy(target, recursive=recursive, **kwargs)
        self.unlink()

    def move_into(self, target_dir: str | ObjectStoragePath, recursive: bool = False, **kwargs: Any) -> None:
        target = target_dir if isinstance(target_dir, ObjectStoragePath) else ObjectStoragePath(target_dir)
        if not target.is_dir():
            raise NotADirectoryError(f"Destination {target} is not a directory.")
        self.move(target / self.name, recursive=recursive, **kwargs)

    # --- serialization -----------------------------------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        return {"path": str(self), "conn_id": self.conn_id, "kwargs": dict(self.storage_options)}

    @classmethod
    def deserialize(cls, data: dict[str, Any], version: int) -> ObjectStoragePath:
        if version > cls.__version__:
            raise ValueError(f"Cannot deserialize version {version} with version {cls.__version__}.")
        return cls(data["path"], conn_id=data.get("conn_id"), **data.get("kwargs", {}))


def remote_filesystem(protocol: str, where: str, storage_options: dict[str, Any]) -> Any:
    """The fsspec filesystem of a remote protocol (fsspec caches instances, so this is cheap after the first call).
    Missing fsspec or a missing filesystem package is an error that names the path and the package to install."""
    try:
        import fsspec  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise ImportError(
            f"{where}: {protocol}:// paths are read through fsspec; install fsspec and the protocol's filesystem "
            "(e.g. s3fs for s3://)"
        ) from None
    # No listings cache unless asked for: a task process reads objects other processes have just rewritten, and a
    # stale listing would name an old version (s3fs then fails the read with FileExpired).
    options = {"use_listings_cache": False, **storage_options}
    try:
        return fsspec.filesystem(protocol, **options)
    except (ImportError, ValueError) as exc:
        raise ImportError(f"{where}: no fsspec filesystem for {protocol}:// is usable here: {exc}") from exc


def connection_storage_options(protocol: str, conn_id: str, where: str) -> dict[str, Any]:
    """s3fs options from an AWS connection, read as Airflow's Amazon provider reads it: login and password are the
    access key and secret, the extra may give `aws_session_token`, `region_name`, `endpoint_url` (or
    `service_config.s3.endpoint_url`) and botocore `config_kwargs`. Other protocols take no connection here."""
    if protocol not in ("s3", "s3a"):
        raise ValueError(
            f"{where}: connection {conn_id!r} cannot configure a {protocol}:// filesystem in riir-airflow (only s3:// "
            "paths read their connection); pass storage options to the path instead"
        )
    from riir_airflow.authoring.connection import Connection
    from riir_airflow.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        # As the Amazon provider's hook: a missing connection means botocore's own credential chain.
        logging.getLogger(__name__).warning("Unable to find AWS Connection ID '%s', switching to empty.", conn_id)
        return {}
    extra = conn.extra_dejson
    options: dict[str, Any] = {}
    if conn.login or conn.password:
        options.update(key=conn.login, secret=conn.password)
    if extra.get("aws_session_token"):
        options["token"] = extra["aws_session_token"]
    endpoint = ((extra.get("service_config") or {}).get("s3") or {}).get("endpoint_url") or extra.get("endpoint_url")
    if endpoint:
        options["endpoint_url"] = endpoint
    if extra.get("region_name"):
        options["client_kwargs"] = {"region_name": extra["region_name"]}
    if extra.get("config_kwargs"):
        options["config_kwargs"] = dict(extra["config_kwargs"])
    return options


Properties = dict[str, str]


class ObjectStore:
    """An attached store (`attach(protocol, conn_id)`): the protocol and connection paths on it use."""

    def __init__(self, protocol: str, conn_id: str | None, alias: str | None = None) -> None:
        self.protocol = protocol
        self.conn_id = conn_id
        self.alias = alias

    @property
    def fs(self) -> Any:
        """fsspec's local filesystem, when fsspec is installed (riir-airflow does not depend on it)."""
        try:
            import fsspec  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            raise ModuleNotFoundError(
                "ObjectStore.fs is an fsspec filesystem; install fsspec to use it (paths work without it)"
            ) from None
        return fsspec.filesystem("file")

    def __repr__(self) -> str:
        return f"ObjectStore(protocol={self.protocol!r}, conn_id={self.conn_id!r})"


_STORES: dict[str, ObjectStore] = {}


def attach(
    protocol: str | None = None, conn_id: str | None = None, alias: str | None = None, **kwargs: Any
) -> ObjectStore:
    """Registers (or returns the registered) store for a protocol and connection; local protocols only."""
    if alias and alias in _STORES:
        return _STORES[alias]
    if not protocol:
        if alias:
            raise ValueError(f"No registered store with alias: {alias}")
        raise ValueError("No protocol specified and no alias provided")
    if protocol not in LOCAL_PROTOCOLS:
        raise ValueError(
            f"attach({protocol!r}): riir-airflow's object storage serves local paths (file://) only; use the "
            "provider's hook for remote storage"
        )
    alias = alias or (f"{protocol}-{conn_id}" if conn_id else protocol)
    return _STORES.setdefault(alias, ObjectStore(protocol, conn_id, alias))
