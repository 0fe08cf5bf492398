"""`riir-airflow config lint | update`, as `airflow config lint | update`: find (and fix) the options of an Airflow 2.x
airflow.cfg that Airflow 3 removed, renamed or whose default it changed.

The facts are Airflow 3's table of configuration changes (`config_changes_3x.json`: section, option, and what
changed: `renamed_to`, `default_change` with old/new default, `was_removed` (default true) with
`remove_if_equals`, `is_invalid_if`, `breaking`, `was_deprecated`, `suggestion`). `update` edits airflow.cfg line by
line, keeping its comments and layout (Airflow rewrites the whole file from its template; riir-airflow bundles no
option descriptions to write one), and saves `airflow.cfg.bak` first, as Airflow does.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from typing import Any

from riir_airflow.exceptions import AirflowConfigException


@dataclass(frozen=True)
class ConfigChange:
    section: str
    option: str
    renamed_to: tuple[str, str] | None = None
    default_change: bool = False
    old_default: Any = None
    new_default: Any = None
    suggestion: str = ""
    was_deprecated: bool = True
    was_removed: bool = True
    is_invalid_if: Any = None
    breaking: bool = False
    remove_if_equals: Any = None

    def message(self, conf: Any) -> str | None:
        """The lint message for this change given the current configuration (Airflow's wording), or None."""
        if self.default_change:
            value = conf.get(self.section, self.option, fallback=None)
            if value != self.new_default:
                return (f"Changed default value of `{self.option}` in `{self.section}` from `{self.old_default}` to "
                        f"`{self.new_default}`. You currently have `{value}` set. {self.suggestion}")  # fmt: skip
        if self.renamed_to:
            section, option = self.renamed_to
            if self.section != section:
                return (f"`{self.option}` configuration parameter moved from `{self.section}` section to `{section}` "
                        f"section as `{option}`.")  # fmt: skip
            return f"`{self.option}` configuration parameter renamed to `{option}` in the `{self.section}` section."
        if self.was_removed:
            if self.remove_if_equals is None:
                return self._removed()
            # Only that exact value is dropped, so an unreadable option never counts as a match.
            if conf.get(self.section, self.option, fallback=None) == str(self.remove_if_equals):
                return self._removed()
        if self.is_invalid_if is not None and conf.get(self.section, self.option, fallback=None) == self.is_invalid_if:
            return (f"Invalid value `{self.is_invalid_if}` set for `{self.option}` configuration parameter in "
                    f"`{self.section}` section. {self.suggestion}")  # fmt: skip
        return None

    def _removed(self) -> str:
        deprecated = " deprecated" if self.was_deprecated else ""
        return (f"Removed{deprecated} `{self.option}` configuration parameter from `{self.section}` section. "
                f"{self.suggestion}")  # fmt: skip


@functools.cache
def config_changes() -> tuple[ConfigChange, ...]:
    raw = json.loads(resources.files("riir_airflow.cli").joinpath("config_changes_3x.json").read_text())
    return tuple(
        ConfigChange(**{**row, "renamed_to": tuple(row["renamed_to"]) if row.get("renamed_to") else None})
        for row in raw
    )


def _names(value: list[str] | None) -> list[str]:
    return value or []


def lint_config(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf

    sections, options = _names(args.section), _names(args.option)
    ignore_sections, ignore_options = _names(args.ignore_section), _names(args.ignore_option)
    issues = []
    for change in config_changes():
        if (sections and change.section not in sections) or (options and change.option not in options):
            continue
        if change.section in ignore_sections or change.option in ignore_options:
            continue
        if conf.lookup_exact(change.section, change.option) is not None:
            message = change.message(conf)
            if message is not None:
                issues.append(message)
    if not issues:
        print("No issues found in your airflow.cfg. It is ready for Airflow 3!")
        return 0
    print("Found issues in your airflow.cfg:")
    for issue in issues:
        print(f"  - {issue}")
    if args.verbose:
        print("\nDetailed Information:")
        print(f"Ignored sections: {', '.join(ignore_sections)}")
        print(f"Ignored options: {', '.join(ignore_options)}")
    print("\nPlease update your configuration file accordingly.")
    return 0


_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_OPTION = re.compile(r"^(?P<key>[^\s#;=:][^=:]*?)\s*[=:]")


class ConfigFileEdit:
    """airflow.cfg as lines, edited in place: options removed, renamed (moved to another section) or re-valued."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _find(self, section: str, option: str) -> int | None:
        current = None
        for i, line in enumerate(self.lines):
            if match := _SECTION.match(line):
                current = match["name"].strip().lower()
            elif current == section and (match := _OPTION.match(line)) and match["key"].strip().lower() == option:
                return i
        return None

    def remove(self, section: str, option: str) -> None:
        index = self._find(section, option)
        if index is not None:
            del self.lines[index]

    def set(self, section: str, option: str, value: str) -> None:
        line = f"{option} = {value}"
        index = self._find(section, option)
        if index is not None:
            self.lines[index] = line
            return
        for i, text in enumerate(self.lines):
            if (match := _SECTION.match(text)) and match["name"].strip().lower() == section:
                self.lines.insert(i + 1, line)
                return
        self.lines.extend(["", f"[{section}]", line])

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def update_config(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf

    include_all, dry_run = bool(args.all_recommendations), not args.fix
    sections = {s.lower() for s in args.section} if args.section else None
    options = {o.lower() for o in args.option} if args.option else None
    ignore_sections = {s.lower() for s in _names(args.ignore_section)}
    ignore_options = {o.lower() for o in _names(args.ignore_option)}
    path = conf.config_file
    edit = ConfigFileEdit(path.read_text() if path.exists() else "")
    applied: list[str] = []
    for change in config_changes():
        if not include_all and not change.breaking:
            continue
        section, option = change.section.lower(), change.option.lower()
        if (sections is not None and section not in sections) or (options is not None and option not in options):
            continue
        if section in ignore_sections or option in ignore_options:
            continue
        # Only what airflow.cfg itself sets is updated (not the environment, not the defaults).
        found = conf.lookup_exact(section, option)
        if found is None or found[1] != "airflow.cfg":
            continue
        current = found[0]
        prefix = "[BREAKING]" if change.breaking else "[Recommended]"
        if change.default_change and str(current) != str(change.new_default):
            edit.set(section, option, str(change.new_default))
            applied.append(f"{prefix} Updated default value of '{section}/{option}' from '{current}' to "
                           f"'{change.new_default}'.")  # fmt: skip
        if change.renamed_to:
            new_section, new_option = change.renamed_to
            edit.remove(section, option)
            edit.set(new_section.lower(), new_option.lower(), current)
            applied.append(f"{prefix} Renamed '{section}/{option}' to '{new_section.lower()}/{new_option.lower()}'.")
        elif change.was_removed and (change.remove_if_equals is None or str(current) == str(change.remove_if_equals)):
            edit.remove(section, option)
            applied.append(f"{prefix} Removed '{section}/{option}' from configuration.")
    backup = f"{path}.bak"
    try:
        shutil.copy2(path, backup)
    except OSError as err:
        print(f"Failed to create backup: {err}")
        raise AirflowConfigException("Backup creation failed. Aborting update_config operation.") from None
    print(f"Backup saved as '{backup}'.")
    if dry_run:
        print("Dry-run mode enabled. No changes will be written to airflow.cfg.")
        print(edit.text())
    else:
        path.write_text(edit.text())
    if applied:
        print("The following are the changes in airflow config:")
        for message in applied:
            print(f"  - {message}")
        if dry_run:
            print("Dry-run mode is enabled. To apply above airflow.cfg run the command with `--fix`.")
    else:
        print("No updates needed. Your configuration is already up-to-date.")
    if args.verbose:
        print("Configuration update completed with verbose output enabled.")
    return 0


def _list(text: str) -> list[str]:
    """Airflow's `string_list_type`: comma-separated names."""
    return [part.strip() for part in text.split(",") if part.strip()]


def register_commands(commands: Any) -> None:
    """`config lint` and `config update` under the `config` group."""
    from riir_airflow.cli.output import add_verbose_argument

    lint = commands.add_parser("lint", help="lint options for the configuration changes while migrating from "
                               "Airflow 2.x to Airflow 3.0")  # fmt: skip
    lint.add_argument("--section", type=_list, help="The section name(s) to lint in the airflow config.")
    lint.add_argument("--option", type=_list, help="The option name(s) to lint in the airflow config.")
    lint.add_argument("--ignore-section", type=_list, help="The section name(s) to ignore to lint in the airflow "
                      "config.")  # fmt: skip
    lint.add_argument("--ignore-option", type=_list, help="The option name(s) to ignore to lint in the airflow "
                      "config.")  # fmt: skip
    add_verbose_argument(lint)
    lint.set_defaults(func=lint_config)

    update = commands.add_parser("update", help="update options for the configuration changes while migrating from "
                                 "Airflow 2.x to Airflow 3.0")  # fmt: skip
    update.add_argument("--section", type=_list, help="The section name(s) to update in the airflow config.")
    update.add_argument("--option", type=_list, help="The option name(s) to update in the airflow config.")
    update.add_argument("--ignore-section", type=_list, help="The section name(s) to ignore to update in the "
                        "airflow config.")  # fmt: skip
    update.add_argument("--ignore-option", type=_list, help="The option name(s) to ignore to update in the airflow "
                        "config.")  # fmt: skip
    add_verbose_argument(update)
    update.add_argument("--fix", action="store_true", help="Automatically apply the configuration changes instead "
                        "of performing a dry run. (Default: dry-run mode)")  # fmt: skip
    update.add_argument("--all-recommendations", action="store_true", help="Include non-breaking (recommended) "
                        "changes along with breaking ones. (Also use with --fix)")  # fmt: skip
    update.set_defaults(func=update_config)
