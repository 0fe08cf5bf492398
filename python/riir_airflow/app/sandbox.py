"""What keeps the app's credentials away from its task processes (see docs/security.md for what holds where).

- `hide_secret_environment()`: the app re-executes itself once at start with its credentials (the database URL,
  the Fernet key, the JWT secret, `_CMD`/`_SECRET` config variables, libpq password variables) moved out of the
  process environment and its config file replaced by a copy without sensitive options: they are handed over
  through a pipe that the app reads only after it has imported its DAG file and forked its fork server
  (`load_secret_environment()`), and live only in the app's `os.environ`. So neither `/proc/<app>/environ` nor the
  fork server's memory (which its task processes share) holds any of them. An app that `standalone` forks from its
  zygote (cli/zygote.py) starts that way without a re-exec: `split_secret_environment()` makes the same split, and
  its secrets come over a socket on which the app asks for them once its fork server exists.
- `make_undumpable()`: the app (and the tasks it forks) become non-dumpable, so other processes of the same user
  cannot read their `/proc/<pid>/environ`, `mem` or attach a debugger.
- In each task process, `scrub_task_environment()` drops the same variables from `os.environ` (the task and
  anything it starts never see them) and `close_inherited_descriptors()` replaces every inherited descriptor but
  stdio and the task's channel with /dev/null, so database sockets of the app and the channels of other tries
  cannot be used.
- `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` variables stay: they are how Airflow users give a connection to their tasks.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path

SECRET_ENV_FD = "RIIR_SECRET_ENV_FD"
# In an app forked from standalone's zygote: its line to the zygote, on which it asks for new templates
# (cli/zygote.py `request_template`). Never in a template or a task process: they must not ask the zygote for anything.
ZYGOTE_LINE_FD = "RIIR_ZYGOTE_LINE_FD"
SANITIZED_FOLDER_ENV = "RIIR_SANITIZED_CONFIG_DIR"  # the secret-free config copy, removed when the app ends
REAL_CONFIG_ENV = "RIIR_REAL_AIRFLOW_CONFIG"
MASKED_PATHS_ENV = "RIIR_MASKED_PATHS"  # secret files the fork server hides from its tasks (os.pathsep-separated)
_SECRET_NAMES = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__INTERNAL_API_SECRET_KEY",
    "AIRFLOW__SECRETS__BACKEND_KWARGS",
    "PGPASSWORD",
    "PGPASSFILE",
}
_CONFIG_INDIRECTION = re.compile(r"^AIRFLOW__[A-Z0-9_]+__[A-Z0-9_]+_(CMD|SECRET)$")
_PR_SET_DUMPABLE = 4


def is_secret_variable(name: str) -> bool:
    return name in _SECRET_NAMES or bool(_CONFIG_INDIRECTION.match(name))


def hide_secret_environment() -> None:
    """Call first thing in the app's process: re-exec (once) with the secrets out of the environment block and the
    config file replaced by a copy without its sensitive options; `load_secret_environment()` brings both back
    later — after the fork server was forked (app/fork_server.py), so that it never held them."""
    if SECRET_ENV_FD in os.environ:
        return  # the re-executed process (or one forked from the zygote): the secrets wait in the pipe
    env, secret = split_secret_environment(os.environ)
    payload = json.dumps(secret).encode()
    if len(payload) > 60_000:  # a pipe holds 64 KiB without a reader; such an environment is not plausible
        raise RuntimeError("secret environment variables are too large to hand over")
    read_fd, write_fd = os.pipe()
    os.write(write_fd, payload)
    os.close(write_fd)
    os.set_inheritable(read_fd, True)
    env[SECRET_ENV_FD] = str(read_fd)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def split_secret_environment(environ: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the environment an app starts with, the secrets it gets later): the credentials moved out, the config file
    replaced by a fresh secret-free copy (its folder named in SANITIZED_FOLDER_ENV, removed when the app ends), the
    secret files its fork server masks named in MASKED_PATHS_ENV. Used by the re-exec above and by the zygote's
    supervisor (cli/zygote.py), which hands the secrets over only when the app asks, after its template is forked."""
    secret = {name: value for name, value in environ.items() if is_secret_variable(name)}
    env = {name: value for name, value in environ.items() if name not in secret}
    from riir_airflow.app.fork_server import sanitized_config_folder

    folder, config = sanitized_config_folder()
    env[SANITIZED_FOLDER_ENV] = str(folder)
    env[MASKED_PATHS_ENV] = os.pathsep.join(str(path) for path in secret_files())
    # The real config file comes back with the secrets ("" = AIRFLOW_CONFIG was not set).
    secret[REAL_CONFIG_ENV] = environ.get("AIRFLOW_CONFIG", "")
    env["AIRFLOW_CONFIG"] = str(config)
    return env, secret


def secret_files() -> list[Path]:
    """Files under $AIRFLOW_HOME (and the config file) that hold secrets: what task processes must not read."""
    from riir_airflow.config import conf
    from riir_airflow.metastore.embedded import EmbeddedPostgres

    home = conf.airflow_home
    embedded = EmbeddedPostgres.for_home(home)
    candidates = [
        conf.config_file,
        home / "simple_auth_manager_passwords.json.generated",
        Path(conf.get("core", "simple_auth_manager_passwords_file", fallback="") or home / "-"),
        Path(conf.get("api_auth", "jwt_private_key_path", fallback="") or home / "-"),
        embedded.password_file,
        embedded.data_dir,
    ]
    return sorted({path.absolute() for path in candidates if path.exists()})


def mask_secret_files() -> list[str]:
    """In the fork server, as root: a mount namespace of its own (inherited by its tasks) in which every secret
    file reads as empty (/dev/null bound over it; an empty read-only tmpfs over a folder). Then the capability to
    undo it (CAP_SYS_ADMIN) is dropped. Returns the paths masked; [] where this cannot be done (not root)."""
    paths = [Path(p) for p in os.environ.get(MASKED_PATHS_ENV, "").split(os.pathsep) if p]
    if not paths or os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return []
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0 or libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "could not make a mount namespace for the task processes")
    masked = []
    for path in paths:
        if path.is_dir():
            done = libc.mount(b"none", bytes(path), b"tmpfs", _MS_RDONLY, b"size=4k") == 0
        else:
            done = libc.mount(b"/dev/null", bytes(path), None, _MS_BIND, None) == 0
        if not done:
            raise OSError(ctypes.get_errno(), f"could not hide {path} from the task processes")
        masked.append(str(path))
    drop_capability(_CAP_SYS_ADMIN)
    return masked


def load_secret_environment() -> None:
    """In the app, once its fork server is forked: the secrets and the real config file come back into os.environ
    (never into the environment block, which task processes could read)."""
    handed_over = os.environ.pop(SECRET_ENV_FD, None)
    if handed_over is None:
        return
    fd = int(handed_over)
    if stat.S_ISSOCK(os.fstat(fd).st_mode):
        # An app forked from the zygote: its supervisor sends the secrets only when asked, i.e. now that the fork
        # server (which closed its copy of this socket first thing) exists.
        os.write(fd, b"?")
    with os.fdopen(fd, "rb") as pipe:
        secret = json.loads(pipe.read())
    real_config = secret.pop(REAL_CONFIG_ENV, "")
    if real_config:
        os.environ["AIRFLOW_CONFIG"] = real_config
    else:
        os.environ.pop("AIRFLOW_CONFIG", None)
    os.environ.update(secret)


def forget_secret_environment() -> None:
    """In the fork server, first thing after the fork: the unread secrets pipe is not its to keep."""
    _forget_inherited_descriptor(SECRET_ENV_FD)


def forget_zygote_line() -> None:
    """In the fork server, first thing after the fork: the app's line to the zygote is not its to keep (its task
    processes could ask the zygote for templates with it)."""
    _forget_inherited_descriptor(ZYGOTE_LINE_FD)


def _forget_inherited_descriptor(variable: str) -> None:
    """Closes the descriptor the environment variable `variable` names, and drops the variable."""
    number = os.environ.pop(variable, None)
    if number is not None:
        with contextlib.suppress(OSError):
            os.close(int(number))


def make_undumpable() -> bool:
    """prctl(PR_SET_DUMPABLE, 0); False where unavailable (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0


def scrub_task_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Drop the app's credentials from a task process's environment; returns the names removed."""
    env = os.environ if environ is None else environ
    removed = [name for name in list(env) if is_secret_variable(name) or name in (SECRET_ENV_FD, ZYGOTE_LINE_FD)]
    for name in removed:
        del env[name]
    return removed


def close_inherited_descriptors(keep: Iterable[int]) -> int:
    """Point every open descriptor except stdio and `keep` at /dev/null; returns how many were replaced.

    dup2 rather than close: objects inherited from the app still hold these numbers and may close them later; a
    closed number could by then belong to a file the task opened."""
    kept = {0, 1, 2, *keep}
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    kept.add(devnull)
    replaced = 0
    try:
        for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
            fd = int(name)
            if fd in kept:
                continue
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
                os.fstat(fd)
                os.dup2(devnull, fd, inheritable=False)
                replaced += 1
    finally:
        os.close(devnull)
    return replaced


_PR_CAPBSET_DROP = 24
_CAP_SYS_PTRACE = 19
_CAP_SYS_ADMIN = 21
_CLONE_NEWNS = 0x00020000
_MS_RDONLY = 1
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_ptrace_capability() -> bool:
    """A task running as root would still read any process's memory and environ (CAP_SYS_PTRACE overrides
    non-dumpable): drop that one capability, for good (bounding set too). False where there was none to drop."""
    return drop_capability(_CAP_SYS_PTRACE)


def drop_capability(number: int) -> bool:
    """Drops one capability (below 32) from this process's effective, permitted, inheritable and bounding sets."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        return False
    bit = 1 << number
    had = bool((data[0].effective | data[0].permitted) & bit)
    libc.prctl(_PR_CAPBSET_DROP, number, 0, 0, 0)  # EPERM without CAP_SETPCAP: then nothing to keep anyway
    if had:
        data[0].effective &= ~bit
        data[0].permitted &= ~bit
        data[0].inheritable &= ~bit
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), f"capset: could not drop capability {number}")
    return had


def confine_task() -> None:
    """What a task process does to itself before user code runs, beyond descriptors and environment (see
    docs/security.md): no ptrace capability, so no reading of the app's memory even as root."""
    drop_ptrace_capability()
