"""``python -m up2u_jupyter COMMAND ...``: wires the commands; each lives beside its logic.

A command module defines ``register(commands)``, which adds its subparser with
``set_defaults(handler=run)``, and ``run(args, out, err) -> exit code``. Only the module of the
command being run is imported, so ``values`` and ``check`` do not pay for the preview's or the
health check's imports.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from .errors import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    InputError,
    UsageError,
    printable,
)

COMMANDS = {
    "values": "offline",
    "check": "offline",
    "diff": "valuesdiff",
    "import-values": "importer.command",
    "preview": "preview.command",
    "health": "health",
    "capacity": "capacity",
    "forget-user": "pupildata.forget",
    "restore-hub-db": "pupildata.restore",
    "data-inventory": "pupildata.inventory",
    "course-link": "classes.courselink",
}
"""Command name -> the module (in this package) that registers and runs it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command-line parser, with only ``argv``'s command registered when it names one."""
    top = _Parser(prog="python -m up2u_jupyter", description="Offline commands of up2u-jupyter.")
    commands = top.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    wanted = COMMANDS.get(argv[0]) if argv else None
    for module in [wanted] if wanted else dict.fromkeys(COMMANDS.values()):
        importlib.import_module(f".{module}", __package__).register(commands)
    return top


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; return its exit code. Never raises for a user mistake."""
    try:
        args = parser(argv).parse_args(argv)
        code: int = args.handler(args, stdout, stderr)
        return code
    except UsageError as error:
        _print_error(str(error), stderr)
        return EXIT_USAGE
    except ConfigError as error:
        for line in error.lines():
            _print_error(line, stderr)
        return EXIT_CONFIG
    except InputError as error:
        _print_error(str(error), stderr)
        return EXIT_CONFIG


def _print_error(line: str, stderr: TextIO) -> None:
    # Whatever a message quotes came from a file or an argument: never let it drive the
    # terminal (escape sequences) or add lines of its own.
    print(f"error: {printable(line)}", file=stderr)


def main() -> None:
    """Entry point for ``python -m up2u_jupyter``."""
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr)
    except BrokenPipeError:  # e.g. `values ... | head`
        code = EXIT_OK
    sys.exit(code)


__all__ = ["COMMANDS", "EXIT_CONFIG", "EXIT_OK", "EXIT_USAGE", "main", "parser", "run"]
