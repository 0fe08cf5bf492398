"""Airflow's configuration system: file location, precedence, typed getters, real Airflow-generated files."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from riir_airflow._config_defaults import DEFAULTS
from riir_airflow.config import AirflowConfigParser, conf, get_airflow_config, get_airflow_home
from riir_airflow.exceptions import AirflowConfigException

DATA = Path(__file__).parent / "data"
GENERATED_CFG = DATA / "airflow-3.3.2-generated.cfg"  # written by Airflow 3.3.2 on its first start
DEFAULTS_CFG = DATA / "airflow-3.3.2-config-list-defaults.cfg"  # `airflow config list --defaults`


class FakeSecretsBackend:
    """A `[secrets] backend` for the tests: `get_config(key)` answers from its kwargs."""

    calls: ClassVar[list[str]] = []

    def __init__(self, **values: str) -> None:
        self.values = values

    def get_config(self, key: str) -> str | None:
        FakeSecretsBackend.calls.append(key)
        return self.values.get(key)


def _conf(home: Path, cfg: str | None = None, **env: str) -> AirflowConfigParser:
    if cfg is not None:
        home.mkdir(parents=True, exist_ok=True)
        (home / "airflow.cfg").write_text(cfg)
    return AirflowConfigParser(environ={"AIRFLOW_HOME": str(home), **env})


def _cmd(value: str) -> str:
    return f'{sys.executable} -c \'print("{value}", end="")\''


# --- where the file is ---------------------------------------------------------------------------------------------
def test_airflow_home_defaults_to_home_airflow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_airflow_home({}) == tmp_path / "airflow"
    assert get_airflow_config({}) == tmp_path / "airflow" / "airflow.cfg"
    assert get_airflow_config({"AIRFLOW_HOME": "/srv/af"}) == Path("/srv/af/airflow.cfg")
    assert get_airflow_config({"AIRFLOW_HOME": "/srv/af", "AIRFLOW_CONFIG": "~/custom.cfg"}) == tmp_path / "custom.cfg"


def test_airflow_config_env_points_at_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "elsewhere.cfg"
    cfg.write_text("[core]\nparallelism = 3\n")
    parser = AirflowConfigParser(environ={"AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW_CONFIG": str(cfg)})
    assert parser.getint("core", "parallelism") == 3
    assert parser.get("core", "dags_folder") == f"{tmp_path}/home/dags"  # defaults still resolve under AIRFLOW_HOME


def test_no_file_means_defaults(tmp_path: Path) -> None:
    parser = _conf(tmp_path / "missing")
    assert parser.getint("core", "parallelism") == 32
    assert parser.getboolean("core", "dags_are_paused_at_creation") is True
    assert parser.get("database", "sql_alchemy_conn") == ""  # ours: empty means the embedded PostgreSQL
    assert not (tmp_path / "missing").exists()  # reading never creates AIRFLOW_HOME or airflow.cfg


# --- precedence ----------------------------------------------------------------------------------------------------
BACKEND = {
    "AIRFLOW__SECRETS__BACKEND": f"{__name__}.FakeSecretsBackend",
    "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"env_path": "from-env-secret", "cfg_path": "from-cfg-secret"}),
}
FULL_CFG = f"""
[database]
sql_alchemy_conn = from-cfg
sql_alchemy_conn_cmd = {_cmd("from-cfg-cmd")}
sql_alchemy_conn_secret = cfg_path
"""


@pytest.mark.parametrize(
    ("drop_env", "cfg_text", "expected", "source"),
    [
        ((), FULL_CFG, "from-env", "env var"),
        (("",), FULL_CFG, "from-env-cmd", "env var cmd"),
        (("", "_CMD"), FULL_CFG, "from-env-secret", "env var secret"),
        (("", "_CMD", "_SECRET"), FULL_CFG, "from-cfg", "airflow.cfg"),
        (("", "_CMD", "_SECRET"), FULL_CFG.replace("sql_alchemy_conn = from-cfg\n", ""), "from-cfg-cmd", "cmd"),
        (("", "_CMD", "_SECRET"), "[database]\nsql_alchemy_conn_secret = cfg_path\n", "from-cfg-secret", "secret"),
        (("", "_CMD", "_SECRET"), "", "", "default"),
    ],
)
def test_precedence_env_cmd_secret_cfg_default(
    tmp_path: Path, drop_env: tuple[str, ...], cfg_text: str, expected: str, source: str
) -> None:
    env = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "from-env",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": _cmd("from-env-cmd"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET": "env_path",
        **BACKEND,
    }
    for suffix in drop_env:
        del env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" + suffix]
    parser = _conf(tmp_path, cfg_text, **env)
    assert parser.lookup("database", "sql_alchemy_conn") == (expected, source)


def test_cmd_and_secret_only_for_sensitive_options(tmp_path: Path) -> None:
    parser = _conf(tmp_path, f"[core]\nparallelism_cmd = {_cmd('7')}\n", AIRFLOW__CORE__PARALLELISM_CMD=_cmd("9"),
                   AIRFLOW__CORE__PARALLELISM_SECRET="x", **BACKEND)  # fmt: skip
    assert parser.lookup("core", "parallelism") == ("32", "default")
    sensitive = _conf(tmp_path, "", AIRFLOW__CORE__FERNET_KEY_CMD=_cmd("k"))
    assert sensitive.get("core", "fernet_key") == "k"


def test_secret_without_backend_falls_through(tmp_path: Path) -> None:
    parser = _conf(
        tmp_path, "[database]\nsql_alchemy_conn = from-cfg\n", AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET="p"
    )
    assert parser.get("database", "sql_alchemy_conn") == "from-cfg"


def test_failing_command_is_a_clear_error(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "", AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD="false")
    with pytest.raises(AirflowConfigException, match=r"Cannot execute the command for \[database\] sql_alchemy_conn"):
        parser.get("database", "sql_alchemy_conn")
    missing = _conf(tmp_path, "", AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD="/no/such/binary")
    with pytest.raises(AirflowConfigException, match="Cannot run the command"):
        missing.get("database", "sql_alchemy_conn")


def test_env_and_file_values_expand_variables(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[core]\ndags_folder = $SRC/dags\n", SRC="/repo", AIRFLOW__LOGGING__BASE_LOG_FOLDER="~/x")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRC", "/repo")
        mp.setenv("HOME", "/home/u")
        assert parser.get("core", "dags_folder") == "/repo/dags"
        assert parser.get("logging", "base_log_folder") == "/home/u/x"


def test_file_interpolation_like_airflow(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[logging]\nsimple_log_format = %%(message)s\n")
    assert parser.get("logging", "simple_log_format") == "%(message)s"
    broken = _conf(tmp_path, "[logging]\nsimple_log_format = %(nope)s\n")
    with pytest.raises(AirflowConfigException, match=r"Bad value for \[logging\] simple_log_format"):
        broken.get("logging", "simple_log_format")


def test_renamed_options_still_read_with_a_warning(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[core]\nsql_alchemy_conn = postgresql://old/place\n[webserver]\nweb_server_port = 9\n")
    with pytest.warns(DeprecationWarning, match=r"\[core\] sql_alchemy_conn is deprecated"):
        assert parser.get("database", "sql_alchemy_conn") == "postgresql://old/place"
    with pytest.warns(DeprecationWarning):
        assert parser.getint("api", "port") == 9


def test_file_changes_are_picked_up(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[core]\nparallelism = 1\n")
    assert parser.getint("core", "parallelism") == 1
    cfg = tmp_path / "airflow.cfg"
    cfg.write_text("[core]\nparallelism = 2\n")
    os.utime(cfg, (1, 1))  # a different mtime even on coarse clocks
    assert parser.getint("core", "parallelism") == 2


# --- typed getters and errors --------------------------------------------------------------------------------------
def test_typed_getters(tmp_path: Path) -> None:
    parser = _conf(
        tmp_path,
        '[core]\nparallelism = 8.0\nload_examples = F # no examples\n[x]\nratio = 0.5\nobj = {"a": [1]}\n'
        "items = a, b ,c\nempty =\nwait = 90\n",
    )
    assert parser.getint("core", "parallelism") == 8
    assert parser.getboolean("core", "load_examples") is False
    assert parser.getfloat("x", "ratio") == 0.5
    assert parser.getjson("x", "obj") == {"a": [1]}
    assert parser.getjson("x", "empty", fallback={"d": 1}) == {"d": 1}
    assert parser.getlist("x", "items") == ["a", "b", "c"] and parser.getlist("x", "empty") == []
    assert parser.gettimedelta("x", "wait") == datetime.timedelta(seconds=90)
    assert parser.gettimedelta("x", "missing") is None
    assert parser.get("x", "missing", fallback="fb") == "fb"
    assert parser.getint("x", "missing", fallback=5) == 5
    for value, expected in (("t", True), ("TRUE", True), ("1", True), ("f", False), ("False", False), ("0", False)):
        assert _conf(tmp_path, f"[x]\nb = {value}\n").getboolean("x", "b") is expected


@pytest.mark.parametrize(
    ("getter", "value", "message"),
    [
        ("getint", "many", 'Failed to convert value to int. Please check "k" key in "x" section. Current value: '
                           '"many".'),
        ("getint", "1.5", 'Failed to convert value to int. Please check "k" key in "x" section. Current value: "1.5".'),
        ("getfloat", "half", 'Failed to convert value to float. Please check "k" key in "x" section.'),
        ("getboolean", "yes", 'Failed to convert value to bool. Please check "k" key in "x" section. Current value: '
                              '"yes".'),
        ("getjson", "{bad", "Unable to parse [x] 'k' as valid json"),
        ("gettimedelta", "soon", 'Failed to convert value to int. Please check "k" key in "x" section.'),
        ("gettimedelta", "99999999999999999", "Failed to convert value to timedelta in `seconds`."),
    ],
)  # fmt: skip
def test_bad_values_name_section_and_key(tmp_path: Path, getter: str, value: str, message: str) -> None:
    parser = _conf(tmp_path, f"[x]\nk = {value}\n")
    with pytest.raises(AirflowConfigException) as err:
        getattr(parser, getter)("x", "k")
    assert message in str(err.value)


def test_missing_option_and_bad_file(tmp_path: Path) -> None:
    parser = _conf(tmp_path)
    with pytest.raises(AirflowConfigException, match=r"section/key \[nope/nothing\] not found in config"):
        parser.get("nope", "nothing")
    broken = _conf(tmp_path / "b", "parallelism = 3\n")
    with pytest.raises(AirflowConfigException, match=r"Cannot parse the config file .*airflow.cfg"):
        broken.get("core", "parallelism")
    duplicate = _conf(tmp_path / "d", "[core]\nparallelism = 1\nparallelism = 2\n")
    with pytest.raises(AirflowConfigException, match="option 'parallelism' in section 'core' already exists"):
        duplicate.get("core", "parallelism")
    with pytest.raises(AirflowConfigException, match="must be one of a, b"):
        _conf(tmp_path / "c", "[x]\nk = c\n").getchoice("x", "k", ("a", "b"))


def test_unknown_sections_and_keys_are_ignored(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[core]\nsome_future_option = ???\nparallelism = 4\n[my_plugin]\nanything = %%\n")
    assert parser.getint("core", "parallelism") == 4
    assert "my_plugin" in parser.sections() and "some_future_option" in parser.options("core")


def test_module_level_conf_reads_the_live_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "11")
    assert conf.getint("core", "parallelism") == 11
    assert conf.airflow_home == tmp_path


# --- real files written by Airflow 3.3.2 ---------------------------------------------------------------------------
_GETTERS = {"integer": "getint", "float": "getfloat", "boolean": "getboolean"}


def _read_everything(parser: AirflowConfigParser) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, options in DEFAULTS.items():
        for key, (_default, kind, _sensitive) in options.items():
            raw = parser.get(section, key, fallback=None)
            # Empty numbers mean "unset" (Airflow reads those with gettimedelta or a fallback).
            getter = _GETTERS.get(kind, "get") if raw else "get"
            values[f"{section}.{key}"] = getattr(parser, getter)(section, key, fallback=None)
    return values


@pytest.mark.parametrize("path", [GENERATED_CFG, DEFAULTS_CFG], ids=["first-start", "config-list-defaults"])
def test_airflow_generated_cfg_loads(tmp_path: Path, path: Path) -> None:
    parser = AirflowConfigParser(environ={"AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONFIG": str(path)})
    values = _read_everything(parser)  # every option, typed: no errors
    assert len(values) == sum(len(v) for v in DEFAULTS.values()) > 300
    assert values["core.parallelism"] == 32 and values["database.sql_alchemy_pool_size"] == 5
    assert "%(asctime)s" in values["logging.simple_log_format"]
    if path == GENERATED_CFG:
        assert parser.lookup("core", "fernet_key")[1] == "airflow.cfg"  # type: ignore[index]
        assert values["database.sql_alchemy_conn"].startswith("sqlite:///")


_REFERENCE = """
import json, sys
from airflow.configuration import conf
out = {}
for section, key in json.loads(sys.argv[1]):
    try:
        out[f"{section}.{key}"] = conf.get(section, key)
    except Exception as err:
        out[f"{section}.{key}"] = None
print(json.dumps(out))
"""


@pytest.mark.compat
def test_same_values_as_airflow_for_a_generated_cfg(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "compat-tests"))
    from airflow_env import airflow_env, airflow_python

    home = tmp_path / "home"
    home.mkdir()
    # Airflow 3.3.2 writes its airflow.cfg on first start; then both read that same file.
    env = airflow_env(home)
    first = subprocess.run([str(airflow_python()), "-m", "airflow", "config", "list", "--defaults"], env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert (home / "airflow.cfg").exists()
    env["AIRFLOW__CORE__PARALLELISM"] = "7"
    env["AIRFLOW__API__PORT"] = "9091"
    options = [(s, k) for s, opts in DEFAULTS.items() for k in opts]
    done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, json.dumps(options)], env=env, capture_output=True,
                          text=True, timeout=300, check=True)  # fmt: skip
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours_parser = AirflowConfigParser(environ={k: v for k, v in env.items() if k.startswith("AIRFLOW")})
    ours = {f"{s}.{k}": ours_parser.get(s, k, fallback=None) for s, k in options}
    differences = {k: (ours[k], theirs[k]) for k in ours if (ours[k] or None) != (theirs[k] or None)}
    assert differences == {}
    assert ours["core.parallelism"] == "7" and ours["api.port"] == "9091"


def test_set_overrides_the_file_but_not_env(tmp_path: Path) -> None:
    parser = _conf(tmp_path, "[core]\nparallelism = 4\n")
    parser.set("core", "parallelism", "6")
    parser.set("my_section", "flag", "on")
    assert parser.lookup("core", "parallelism") == ("6", "conf.set")
    assert parser.getsection("my_section") == {"flag": "on"}
    assert parser.getsection("nothing_here") is None
    with_env = _conf(tmp_path, None, AIRFLOW__CORE__PARALLELISM="9")
    with_env.set("core", "parallelism", "6")
    assert with_env.getint("core", "parallelism") == 9
    parser.remove_option("core", "parallelism")
    assert parser.getint("core", "parallelism") == 4
    section = parser.getsection("core")
    assert section is not None and section["parallelism"] == "4" and "dags_folder" in section


def test_unset_riir_options_and_plain_lookups_do_not_read_the_providers(tmp_path: Path) -> None:
    """Reading every provider's info costs an idle broker or app 2.3 MB (importlib.metadata, the info modules): a
    lookup of riir's own options, or of an option with no `_cmd` / `_secret` beside it, must not trigger it."""
    code = """
import sys
from riir_airflow import config
config.conf.get("riir", "environment", fallback="")
config.conf.get("broker", "lazy_load_api", fallback="")
config.conf.getint("database", "asyncpg_statement_cache_size", fallback="100")
config.conf.get("database", "direct_conn", fallback="")
config.conf.get("database", "sql_alchemy_conn")
config.conf.getint("core", "parallelism")
print(config._PROVIDER_DEFAULTS is None)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql://u@h/db"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stderr


def test_an_option_only_a_provider_defines_gets_its_default(tmp_path: Path) -> None:
    import importlib.metadata

    try:
        importlib.metadata.distribution("apache-airflow-providers-postgres")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs apache-airflow-providers-postgres installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path)
    code_provider = "from riir_airflow import config; print(config.conf.get('postgres', 'azure_oauth_scope'))"
    out = subprocess.run([sys.executable, "-c", code_provider], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "https://ossrdbms-aad.database.windows.net/.default", out.stderr
