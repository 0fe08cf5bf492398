"""The CLI's command table: each module registers exactly the top-level commands COMMAND_MODULES lists for it (a run
builds only the named command's modules from that table), and a run given one command parses as the full parser."""

from __future__ import annotations

import argparse
import importlib

from riir_airflow.cli.main import COMMAND_MODULES, _parser_for, build_parser


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_each_module_registers_the_commands_the_table_lists() -> None:
    actions = argparse.ArgumentParser().add_subparsers(dest="command")
    for name, commands in COMMAND_MODULES.items():
        before = set(actions.choices)
        importlib.import_module(name).register(actions)
        added = set(actions.choices) - before
        # A module may add to a group an earlier module created (dags validate); `kubernetes` is conditional.
        assert added <= set(commands), (name, added)
        assert set(commands) - added - {"kubernetes"} <= before, (name, commands)


def test_a_named_command_parses_as_with_the_whole_parser() -> None:
    argv = ["dags", "test", "some_dag", "2024-03-05", "--mark-success-pattern", "x"]
    lean = _parser_for(argv)
    assert set(_subcommands(lean).choices) == {"dags"}
    full_args, _ = build_parser().parse_known_args(argv)
    lean_args, _ = lean.parse_known_args(argv)
    assert {k: v for k, v in vars(lean_args).items() if k != "func"} == {
        k: v for k, v in vars(full_args).items() if k != "func"
    }
    assert lean_args.func.__qualname__ == full_args.func.__qualname__ == "cmd_test"


def test_help_and_unknown_commands_get_the_whole_parser() -> None:
    every = set(_subcommands(build_parser()).choices)
    assert set(_subcommands(_parser_for([])).choices) == every
    assert set(_subcommands(_parser_for(["-h"])).choices) == every
    assert set(_subcommands(_parser_for(["no-such-command"])).choices) == every
