"""`riir-airflow kerberos [PRINCIPAL] [-k KEYTAB] [-o]`, as `airflow kerberos`: the Kerberos ticket renewer.

It runs `kinit` with the keytab every `[kerberos] reinit_frequency` seconds (once with `--one-time`), asking for a
renewable lifetime of that many minutes, into the `[kerberos] ccache` credentials cache, exactly as Airflow's
renewer does; tasks then find their ticket in that cache. When the cache holds Kerberos >= 1.8.1 configuration
entries, the ticket is renewed once more (`kinit -R`) as Airflow does for that version's clock granularity.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import socket
import subprocess
import sys
import time
from typing import Any

from riir_airflow.cli.output import add_verbose_argument

log = logging.getLogger(__name__)


def principal_name(principal: str | None) -> str:
    """The principal given, else `[kerberos] principal` with `_HOST` replaced by this host's name."""
    from riir_airflow.config import conf

    return principal or str(conf.get("kerberos", "principal")).replace("_HOST", socket.getfqdn())


def kinit_command(principal: str | None, keytab: str) -> list[str]:
    """The `kinit` command line that renews the ticket from the keytab (Airflow's `renew_from_kt`)."""
    from riir_airflow.config import conf

    # The frequency is in seconds; the same number in minutes leaves a large renewal buffer (as Airflow asks).
    return [
        str(conf.get("kerberos", "kinit_path")),
        "-f" if conf.getboolean("kerberos", "forwardable") else "-F",
        "-a" if conf.getboolean("kerberos", "include_ip") else "-A",
        "-r", f"{conf.getint('kerberos', 'reinit_frequency')}m",
        "-k", "-t", keytab,
        "-c", str(conf.get("kerberos", "ccache")),
        principal_name(principal),
    ]  # fmt: skip


def _cache_has_conf_entries(ccache: str) -> bool:
    """Kerberos >= 1.8.1 writes "X-CACHECONF:" entries Java's Krb5LoginModule cannot read past."""
    try:
        with open(ccache, "rb") as handle:
            return b"X-CACHECONF:" in handle.read()
    except OSError:
        return False


def renew_from_keytab(principal: str | None, keytab: str) -> int:
    """One renewal; kinit's exit code (0: renewed)."""
    from riir_airflow.config import conf

    command = kinit_command(principal, keytab)
    log.info("Re-initialising kerberos from keytab: %s", " ".join(shlex.quote(part) for part in command))
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, close_fds=True)
    except FileNotFoundError:
        raise SystemExit(f"error: {command[0]} not found ([kerberos] kinit_path): install the Kerberos client tools "
                         "(e.g. krb5-user) or set [kerberos] kinit_path to kinit's full path") from None  # fmt: skip
    if done.returncode != 0:
        log.error("Couldn't reinit from keytab! `kinit` exited with %s.\n%s\n%s", done.returncode, done.stdout,
                  done.stderr)  # fmt: skip
        return done.returncode
    ccache = str(conf.get("kerberos", "ccache"))
    if _cache_has_conf_entries(ccache):
        # Kerberos clocks have one-second granularity: renew after the ticket's start time.
        time.sleep(1.5)
        renew = [command[0], "-c", ccache, "-R"]
        log.info("Renewing kerberos ticket to work around kerberos 1.8.1: %s", " ".join(renew))
        code = subprocess.call(renew, close_fds=True)
        if code != 0:
            name = principal_name(principal)
            log.error("Couldn't renew kerberos ticket in order to work around Kerberos 1.8.1 issue. Please check "
                      "that the ticket for '%s' is still renewable:\n  $ kinit -f -c %s\nIf the 'renew until' date "
                      "is the same as the 'valid starting' date, the ticket cannot be renewed. Please check your KDC "
                      "configuration, and the ticket renewal policy (maxrenewlife) for the '%s' and `krbtgt' "
                      "principals.", name, ccache, name)  # fmt: skip
        return code
    return 0


def cmd_kerberos(args: argparse.Namespace) -> int:

    if args.daemon:  # detached, with Airflow's PID / output files (cli/daemon.py)
        from riir_airflow.cli.daemon import run_with_daemon_option

        return run_with_daemon_option(args, "kerberos", lambda: _renew(args))
    if args.pid:
        with open(args.pid, "w") as handle:
            handle.write(f"{os.getpid()}\n")
    if args.stdout:
        sys.stdout = open(args.stdout, "a", buffering=1)  # noqa: SIM115 - the process's stdout until it ends
    if args.stderr:
        sys.stderr = open(args.stderr, "a", buffering=1)  # noqa: SIM115 - the process's stderr until it ends
    if args.log_file:
        logging.getLogger().addHandler(logging.FileHandler(args.log_file))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr)
    return _renew(args)


def _renew(args: argparse.Namespace) -> int:
    """Airflow's renewer: `kinit` once (-o) or every `[kerberos] reinit_frequency` seconds."""
    from riir_airflow.config import conf

    if not args.keytab:
        log.warning("Keytab renewer not starting, no keytab configured")
        return 0
    mode = "one-time" if args.one_time else "standard"
    log.info("Using airflow kerberos with mode: %s", mode)
    while True:
        code = renew_from_keytab(args.principal, args.keytab)
        if code != 0 or args.one_time:
            return code
        time.sleep(conf.getint("kerberos", "reinit_frequency"))


def register(groups: Any) -> None:
    from riir_airflow.config import conf

    p = groups.add_parser("kerberos", help="Start a kerberos ticket renewer")
    p.add_argument("principal", nargs="?", help="kerberos principal")
    p.add_argument("-k", "--keytab", nargs="?", default=conf.get("kerberos", "keytab", fallback=None), help="keytab")
    p.add_argument("--pid", nargs="?", help="PID file location")
    p.add_argument("-D", "--daemon", action="store_true", help="Daemonize instead of running in the foreground")
    p.add_argument("-o", "--one-time", action="store_true", help="Run airflow kerberos one time instead of forever")
    p.add_argument("--stdout", help="Redirect stdout to this file")
    p.add_argument("--stderr", help="Redirect stderr to this file")
    p.add_argument("-l", "--log-file", help="Location of the log file")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_kerberos)
