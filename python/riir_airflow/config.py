"""Airflow's configuration system: `airflow.cfg`, `AIRFLOW__SECTION__KEY` env vars, `_CMD` and `_SECRET` overrides.

Lookup order for `conf.get(section, key)`, as in Airflow 3:

1. environment: `AIRFLOW__{SECTION}__{KEY}`, then `..._CMD` (output of a command), then `..._SECRET` (a key in the
   configured secrets backend); `_CMD`/`_SECRET` count only for options Airflow marks sensitive;
2. the config file (`$AIRFLOW_CONFIG`, else `$AIRFLOW_HOME/airflow.cfg`, `AIRFLOW_HOME` defaulting to `~/airflow`);
3. `{key}_cmd` in the config file, then 4. `{key}_secret` in the config file (sensitive options only);
5. Airflow's default (python/riir_airflow/_config_defaults.py, generated from the reference Airflow), then the
   defaults of the installed providers' `config:` sections (their provider.yaml, read through their
   `apache_airflow_provider` entry point), as Airflow merges them.

Options renamed by Airflow 3 (e.g. `[core] sql_alchemy_conn` -> `[database] sql_alchemy_conn`) are still read under
their old name, with a DeprecationWarning. Unknown sections and keys in airflow.cfg are ignored. The file is read
lazily and re-read when its path or modification time changes, so env changes between calls are honoured.
"""

from __future__ import annotations

import configparser
import datetime
import importlib
import json
import logging
import os
import shlex
import subprocess
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from riir_airflow._config_defaults import DEFAULTS
from riir_airflow.exceptions import AirflowConfigException

ENV_PREFIX: Final = "AIRFLOW__"

# new (section, key) -> old (section, key), as Airflow's deprecated_options (the subset about options we read).
DEPRECATED_OPTIONS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("database", "sql_alchemy_conn"): ("core", "sql_alchemy_conn"),
    ("api", "base_url"): ("webserver", "base_url"),
    ("api", "host"): ("webserver", "web_server_host"),
    ("api", "port"): ("webserver", "web_server_port"),
    ("api", "workers"): ("webserver", "workers"),
    ("api", "worker_timeout"): ("webserver", "web_server_worker_timeout"),
    ("api", "ssl_cert"): ("webserver", "web_server_ssl_cert"),
    ("api", "ssl_key"): ("webserver", "web_server_ssl_key"),
    ("api", "secret_key"): ("webserver", "secret_key"),
    ("api", "expose_config"): ("webserver", "expose_config"),
    ("api", "enable_swagger_ui"): ("webserver", "enable_swagger_ui"),
    ("api", "instance_name"): ("webserver", "instance_name"),
    ("api", "fallback_page_limit"): ("api", "page_size"),
    ("core", "num_dag_runs_to_retain_rendered_fields"): ("core", "max_num_rendered_ti_fields_per_task"),
    ("dag_processor", "refresh_interval"): ("scheduler", "dag_dir_list_interval"),
    ("triggerer", "capacity"): ("triggerer", "default_capacity"),
}
# Old name -> current name: an old name of a sensitive option is sensitive too (Airflow's sensitive_config_values).
_RENAMED_FROM: Final[dict[tuple[str, str], tuple[str, str]]] = {old: new for new, old in DEPRECATED_OPTIONS.items()}

_MISSING: Final = object()
# riir-airflow's own options, which Airflow does not have and no provider defines: a lookup that finds them unset
# goes to the caller's fallback without reading every installed provider's info first (importlib.metadata and the
# providers' info modules: 2.3 MB and 46 modules that an idle broker or app would otherwise keep).
_RIIR_SECTIONS: Final = frozenset({"riir", "broker"})
_RIIR_OPTIONS: Final = frozenset({("database", "asyncpg_statement_cache_size"), ("database", "direct_conn")})
_PROVIDER_DEFAULTS: dict[str, dict[str, tuple[str | None, str, bool]]] | None = None
_READING_PROVIDERS = False


def _provider_config_sections() -> list[dict[str, Any]]:
    """The `config` of each installed provider's info (its `apache_airflow_provider` entry point), by package name.
    Read here rather than through ProvidersManager: configuration sits below every other layer."""
    import importlib.metadata

    from riir_airflow import compat

    # Provider code lives in the `airflow.providers` namespace: the alias is on while reading, and off again after
    # unless it was on before (a config lookup must not change what `import airflow` means in this process).
    was_installed = compat.is_installed()
    compat.install()
    by_package: dict[str, dict[str, Any]] = {}
    try:
        for entry_point in importlib.metadata.entry_points(group="apache_airflow_provider"):
            try:
                info = entry_point.load()()
            except Exception as err:  # one broken provider never hides the others' options
                logging.getLogger("airflow.configuration").warning(
                    "Cannot read the provider info of %s: %s", entry_point.value, err
                )
                continue
            if info.get("config"):
                by_package.setdefault(str(info.get("package-name")), info["config"])
    finally:
        if not was_installed:
            compat.uninstall()
    return [by_package[name] for name in sorted(by_package)]


def _option_entry(section: str, key: str) -> tuple[str | None, str, bool] | None:
    """(default, type, sensitive) of an option Airflow defines, else of one an installed provider defines; None for
    riir's own options, which neither defines (and whose lookups then need not read the providers' info)."""
    entry = DEFAULTS.get(section, {}).get(key)
    if entry is None and section not in _RIIR_SECTIONS and (section, key) not in _RIIR_OPTIONS:
        entry = provider_defaults().get(section, {}).get(key)
    return entry


def provider_defaults() -> dict[str, dict[str, tuple[str | None, str, bool]]]:
    """section -> key -> (default, type, sensitive) of the installed providers' config sections (read once). An
    option Airflow itself defines keeps Airflow's default."""
    global _PROVIDER_DEFAULTS, _READING_PROVIDERS
    if _PROVIDER_DEFAULTS is not None:
        return _PROVIDER_DEFAULTS
    if _READING_PROVIDERS:  # a provider's info module asked for configuration while being read
        return {}
    _READING_PROVIDERS = True
    try:
        found: dict[str, dict[str, tuple[str | None, str, bool]]] = {}
        for sections in _provider_config_sections():
            for section, body in sections.items():
                for key, option in (body.get("options") or {}).items():
                    if key in DEFAULTS.get(section, {}):
                        continue
                    default = option.get("default")
                    found.setdefault(section, {})[key] = (
                        None if default is None else str(default),
                        str(option.get("type") or "string"),
                        bool(option.get("sensitive")),
                    )
        _PROVIDER_DEFAULTS = found
    finally:
        _READING_PROVIDERS = False
    return _PROVIDER_DEFAULTS


def expand_env_var(value: str) -> str:
    """Expand `$VARS` and `~` repeatedly until nothing changes (Airflow does this to env and file values)."""
    while True:
        expanded = os.path.expanduser(os.path.expandvars(value))
        if expanded == value:
            return expanded
        value = expanded


def get_airflow_home(environ: Mapping[str, str] | None = None) -> Path:
    """`$AIRFLOW_HOME`, defaulting to `~/airflow` (not created here)."""
    env = os.environ if environ is None else environ
    return Path(expand_env_var(env.get("AIRFLOW_HOME", "~/airflow")))


def get_airflow_config(environ: Mapping[str, str] | None = None) -> Path:
    """`$AIRFLOW_CONFIG`, defaulting to `$AIRFLOW_HOME/airflow.cfg`."""
    env = os.environ if environ is None else environ
    if "AIRFLOW_CONFIG" in env:
        return Path(expand_env_var(env["AIRFLOW_CONFIG"]))
    return get_airflow_home(env) / "airflow.cfg"


def env_var_name(section: str, key: str) -> str:
    """`AIRFLOW__{SECTION}__{KEY}`; dots in section names become underscores, as in Airflow."""
    return f"{ENV_PREFIX}{section.replace('.', '_').upper()}__{key.upper()}"


def run_command(command: str, *, section: str, key: str) -> str:
    """Output of a `_cmd` command (split like a shell would, not run through one)."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
    except OSError as err:
        raise AirflowConfigException(f"Cannot run the command for [{section}] {key}: {command!r}: {err}") from err
    if done.returncode != 0:
        raise AirflowConfigException(
            f"Cannot execute the command for [{section}] {key}: {command!r}. Error code is: {done.returncode}. "
            f"Output: {done.stdout}, Stderr: {done.stderr}"
        )
    return done.stdout


@dataclass(frozen=True)
class ConfigValue:
    """One resolved option for `config list`: its value and where it came from."""

    section: str
    key: str
    value: str | None
    source: str  # "env var", "env var cmd", "env var secret", "conf.set", "airflow.cfg", "cmd", "secret", "default"


class AirflowConfigParser:
    """Reads configuration like `airflow.configuration.conf`. `environ` defaults to the live `os.environ`."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._file: configparser.ConfigParser = configparser.ConfigParser(strict=True)
        self._loaded_from: tuple[Path, float] | None = None
        self._overrides: dict[tuple[str, str], str] = {}

    # --- loading --------------------------------------------------------------------------------------------------
    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    @property
    def airflow_home(self) -> Path:
        return get_airflow_home(self.environ)

    @property
    def config_file(self) -> Path:
        return get_airflow_config(self.environ)

    def _cfg(self) -> configparser.ConfigParser:
        path = self.config_file
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            mtime = -1.0
        except OSError as err:
            raise AirflowConfigException(f"Cannot read the config file {path}: {err}") from err
        if self._loaded_from != (path, mtime):
            parser = configparser.ConfigParser(strict=True)
            parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case, as Airflow
            if mtime >= 0:
                if path.is_dir():
                    raise AirflowConfigException(f"The Airflow config path {path} is a directory, not a file")
                try:
                    with path.open(encoding="utf-8") as handle:
                        parser.read_file(handle, source=str(path))
                except (configparser.Error, UnicodeDecodeError, OSError) as err:
                    raise AirflowConfigException(f"Cannot parse the config file {path}: {err}") from err
            self._file = parser
            self._loaded_from = (path, mtime)
        return self._file

    def reload(self) -> None:
        """Forget the cached file so the next lookup reads it again."""
        self._loaded_from = None

    # --- lookup ---------------------------------------------------------------------------------------------------
    @staticmethod
    def is_sensitive(section: str, key: str) -> bool:
        """Whether Airflow marks the option sensitive (only those honour `_cmd` / `_secret`)."""
        section, key = _RENAMED_FROM.get((section, key), (section, key))
        entry = _option_entry(section, key)
        return bool(entry and entry[2])

    def _from_env(self, section: str, key: str) -> tuple[str, str] | None:
        env = self.environ
        name = env_var_name(section, key)
        if name in env:
            return expand_env_var(env[name]), "env var"
        # Whether an option is sensitive may take reading every provider's info (importlib.metadata, entry
        # points): asked only when a `_CMD` / `_SECRET` variable is there to honour.
        if (name + "_CMD" in env or name + "_SECRET" in env) and self.is_sensitive(section, key):
            if name + "_CMD" in env:
                return run_command(env[name + "_CMD"], section=section, key=key), "env var cmd"
            if name + "_SECRET" in env:
                secret = self._from_secrets_backend(env[name + "_SECRET"], section=section, key=key)
                if secret is not None:
                    return secret, "env var secret"
        return None

    def _file_option(self, section: str, key: str) -> str | None:
        cfg = self._cfg()
        if not cfg.has_option(section, key):
            return None
        try:
            return cfg.get(section, key)
        except configparser.Error as err:
            raise AirflowConfigException(f"Bad value for [{section}] {key} in {self.config_file}: {err}") from err

    def _from_file(self, section: str, key: str) -> tuple[str, str] | None:
        if (section, key) in self._overrides:
            return self._overrides[(section, key)], "conf.set"
        value = self._file_option(section, key)
        return None if value is None else (expand_env_var(value), "airflow.cfg")

    def _from_file_cmd(self, section: str, key: str) -> tuple[str, str] | None:
        if self.is_sensitive(section, key):
            command = self._file_option(section, key + "_cmd")
            if command:
                output = run_command(command, section=section, key=key + "_cmd")
                if output:
                    return output, "cmd"
        return None

    def _from_file_secret(self, section: str, key: str) -> tuple[str, str] | None:
        if self.is_sensitive(section, key):
            path = self._file_option(section, key + "_secret")
            if path:
                secret = self._from_secrets_backend(path, section=section, key=key + "_secret")
                if secret:
                    return secret, "secret"
        return None

    def _from_secrets_backend(self, config_key: str, *, section: str, key: str) -> str | None:
        """A value from `[secrets] backend` (any class with `get_config(key)`); None when no backend is set."""
        dotted = self.get("secrets", "backend", fallback="") or ""
        if not dotted:
            return None
        module_name, _, attr = dotted.rpartition(".")
        try:
            backend_cls = getattr(importlib.import_module(module_name), attr)
            kwargs = self.getjson("secrets", "backend_kwargs", fallback={}) or {}
            if not isinstance(kwargs, dict):
                raise AirflowConfigException("[secrets] backend_kwargs must be a JSON object")
            value = backend_cls(**kwargs).get_config(config_key)
        except Exception as err:
            raise AirflowConfigException(
                f"Cannot read [{section}] {key} from the secrets backend {dotted!r}: {err}"
            ) from err
        return None if value is None else str(value)

    def default_value(self, section: str, key: str) -> str | None:
        """Airflow's default for the option (paths resolved under AIRFLOW_HOME), ignoring env and file."""
        found = self._default(section.lower(), key.lower())
        return None if found is None else found[0]

    def _default(self, section: str, key: str) -> tuple[str, str] | None:
        entry = _option_entry(section, key)
        if entry is None or entry[0] is None:
            return None
        return entry[0].replace("{AIRFLOW_HOME}", str(self.airflow_home)), "default"

    def lookup(self, section: str, key: str) -> tuple[str, str] | None:
        """(value, source) following Airflow's precedence, or None when the option has no value anywhere."""
        section, key = section.lower(), key.lower()
        old = DEPRECATED_OPTIONS.get((section, key))
        for source in (self._from_env, self._from_file, self._from_file_cmd, self._from_file_secret):
            found = source(section, key)
            if found is None and old is not None:
                found = source(*old)
                if found is not None:
                    warnings.warn(
                        f"The option [{old[0]}] {old[1]} is deprecated; use [{section}] {key} instead.",
                        DeprecationWarning,
                        stacklevel=4,
                    )
            if found is not None:
                return found
        return self._default(section, key)

    def lookup_exact(self, section: str, key: str) -> tuple[str, str] | None:
        """(value, source) of the option under this very name (Airflow's `lookup_from_deprecated=False`): the
        environment, airflow.cfg, or its default; an old name it replaced is not read."""
        section, key = section.lower(), key.lower()
        for source in (self._from_env, self._from_file, self._from_file_cmd, self._from_file_secret):
            found = source(section, key)
            if found is not None:
                return found
        return self._default(section, key)

    def get(self, section: str, key: str, fallback: Any = _MISSING) -> str | None:
        """The option's string value; `fallback` when it is set nowhere, else AirflowConfigException."""
        found = self.lookup(section, key)
        if found is not None:
            return found[0]
        if fallback is not _MISSING:
            return fallback  # type: ignore[no-any-return]
        raise AirflowConfigException(f"section/key [{section}/{key}] not found in config")

    def has_option(self, section: str, key: str) -> bool:
        return self.lookup(section, key) is not None

    def set(self, section: str, key: str, value: str) -> None:
        """Override an option in this process, at the config-file level (env vars still win), as `conf.set`."""
        self._overrides[(section.lower(), key.lower())] = value

    def remove_option(self, section: str, key: str) -> None:
        """Forget an override made with `set`."""
        self._overrides.pop((section.lower(), key.lower()), None)

    def getsection(self, section: str) -> dict[str, str | None] | None:
        """Every option of a section with its resolved value; None for a section that exists nowhere."""
        if section not in self.sections():
            return None
        return {item.key: item.value for item in self.iter_values(section)}

    def _required(self, section: str, key: str, fallback: Any, kind: str) -> str | None:
        value = self.get(section, key, fallback=fallback)
        if value is None and fallback is _MISSING:
            raise AirflowConfigException(
                f'Failed to convert value None to {kind}. Please check "{key}" key in "{section}" section is set.'
            )
        return value

    def getboolean(self, section: str, key: str, fallback: Any = _MISSING) -> bool:
        """Airflow's booleans: t/true/1 and f/false/0, any case, a trailing `# comment` ignored."""
        raw = self.get(section, key, fallback=fallback)
        if isinstance(raw, bool):
            return raw
        value = str(raw).split("#")[0].strip().lower()
        if value in ("t", "true", "1"):
            return True
        if value in ("f", "false", "0"):
            return False
        raise AirflowConfigException(
            f'Failed to convert value to bool. Please check "{key}" key in "{section}" section. '
            f'Current value: "{value}".'
        )

    def getint(self, section: str, key: str, fallback: Any = _MISSING) -> int:
        raw = self._required(section, key, fallback, "int")
        if raw is None or isinstance(raw, int):
            return raw  # type: ignore[return-value]
        try:
            return int(raw)
        except ValueError:
            try:
                as_float = float(raw)
                if as_float == int(as_float):
                    return int(as_float)
            except (ValueError, OverflowError):
                pass
        raise AirflowConfigException(
            f'Failed to convert value to int. Please check "{key}" key in "{section}" section. Current value: "{raw}".'
        )

    def getfloat(self, section: str, key: str, fallback: Any = _MISSING) -> float:
        raw = self._required(section, key, fallback, "float")
        if raw is None or isinstance(raw, float | int):
            return raw  # type: ignore[return-value]
        try:
            return float(raw)
        except ValueError:
            raise AirflowConfigException(
                f'Failed to convert value to float. Please check "{key}" key in "{section}" section. '
                f'Current value: "{raw}".'
            ) from None

    def getjson(self, section: str, key: str, fallback: Any = None) -> Any:
        """The option parsed as JSON; `fallback` (not parsed) when unset or empty."""
        raw = self.get(section, key, fallback=None)
        if raw is None or raw == "":
            return fallback
        try:
            return json.loads(raw)
        except json.JSONDecodeError as err:
            raise AirflowConfigException(f"Unable to parse [{section}] {key!r} as valid json: {err}") from err

    def gettimedelta(self, section: str, key: str, fallback: Any = None) -> datetime.timedelta | None:
        """The option as a number of seconds; `fallback` when unset or empty."""
        raw = self.get(section, key, fallback=fallback)
        if not raw or isinstance(raw, datetime.timedelta):
            return raw or fallback  # type: ignore[no-any-return]
        try:
            seconds = int(raw)
        except ValueError:
            raise AirflowConfigException(
                f'Failed to convert value to int. Please check "{key}" key in "{section}" section. '
                f'Current value: "{raw}".'
            ) from None
        try:
            return datetime.timedelta(seconds=seconds)
        except OverflowError as err:
            raise AirflowConfigException(
                f'Failed to convert value to timedelta in `seconds`. {err}. Please check "{key}" key in '
                f'"{section}" section. Current value: "{raw}".'
            ) from err

    def getlist(self, section: str, key: str, delimiter: str = ",", fallback: Any = _MISSING) -> list[str]:
        raw = self.get(section, key, fallback=fallback)
        if raw is None or isinstance(raw, list):
            return raw  # type: ignore[return-value]
        return [] if raw == "" else [item.strip() for item in raw.split(delimiter)]

    def getchoice(self, section: str, key: str, choices: tuple[str, ...], fallback: Any = _MISSING) -> str:
        """A string option that must be one of `choices`."""
        value = self.get(section, key, fallback=fallback)
        if value not in choices:
            raise AirflowConfigException(
                f'Invalid value for "{key}" key in "{section}" section: "{value}". It must be one of '
                f"{', '.join(choices)}."
            )
        return str(value)

    # --- listing --------------------------------------------------------------------------------------------------
    def sections(self, include_providers: bool = True) -> list[str]:
        """Airflow's sections, the installed providers' (unless excluded), then any others present in the file or set
        in this process."""
        names = list(DEFAULTS)
        if include_providers:
            names += [name for name in provider_defaults() if name not in names]
        for section in [*self._cfg().sections(), *(s for s, _ in self._overrides)]:
            if section not in names:
                names.append(section)
        return names

    def options(self, section: str, include_providers: bool = True) -> list[str]:
        names = list(DEFAULTS.get(section, {}))
        if include_providers:
            names += [key for key in provider_defaults().get(section, {}) if key not in names]
        cfg = self._cfg()
        extra = cfg.options(section) if cfg.has_section(section) else []
        extra += [k for s, k in self._overrides if s == section]
        names += [key for key in dict.fromkeys(extra) if key not in names]
        return names

    def iter_values(self, section: str | None = None, include_providers: bool = True) -> Iterator[ConfigValue]:
        """Every option's resolved value and source, section by section (the providers' too, unless excluded)."""
        for name in [section] if section else self.sections(include_providers):
            for key in self.options(name, include_providers):
                found = self.lookup(name, key)
                yield ConfigValue(name, key, found[0] if found else None, found[1] if found else "default")


conf = AirflowConfigParser()
"""The process-wide configuration, like `airflow.configuration.conf`."""
