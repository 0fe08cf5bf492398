"""Run by real Airflow's interpreter with the session's environment: every step of session.py through Airflow's own
parser and command functions in this one process; prints {step: {"rc", "stdout", "stderr"}} as the last line."""

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from session import STEPS


def run(argv):
    from airflow.cli.cli_parser import get_parser

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = get_parser().parse_args(argv)
            args.func(args)
        except SystemExit as exc:
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
                code = 1
            else:
                code = exc.code or 0
        except Exception:
            traceback.print_exc()
            code = 1
    return {"rc": code, "stdout": out.getvalue(), "stderr": err.getvalue()[-2000:]}


def main():
    results = {}
    real_stdout = sys.stdout
    for step, argv, _ in STEPS:
        results[step] = run(argv)
    real_stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
