"""``python -m up2u_jupyter ...``: offline commands that need no Pulumi CLI and no cluster."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from .errors import ConfigError, UsageError
from .settings import PROJECT, Settings, load_settings, secret_set_command
from .stackfile import StackConfig, read_stack_config
from .values import ChartSecrets, build_values

PLACEHOLDER = "<secret: generated at deploy time>"
"""Stands in for the chart secrets pulumi-random generates when the stack is deployed."""

EXIT_OK, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m up2u_jupyter", description=__doc__)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for name, help_text in (
        ("values", "print the Helm values a stack deploys, as YAML, secrets as placeholders"),
        ("check", "validate a stack's config"),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--stack", required=True, help="stack name (reads Pulumi.STACK.yaml)")
        command.add_argument(
            "--project-dir",
            type=Path,
            default=Path.cwd(),
            help="folder with Pulumi.yaml and the stack files (default: current folder)",
        )
    return parser


def load_stack(project_dir: Path, stack: str) -> tuple[StackConfig, Settings]:
    """Read and validate a stack's config from its files."""
    config = read_stack_config(project_dir, stack)
    return config, load_settings(config.values, stack)


def secret_warnings(config: StackConfig, settings: Settings) -> list[str]:
    """What an operator should know about the stack's secrets, which are never read here."""
    warnings = []
    for key in settings.required_secrets():
        state = config.secrets.get(key)
        if state is None:
            warnings.append(
                f"warning: {PROJECT}:{key} (stack {config.stack}) is not set; `pulumi up` will "
                f"refuse to deploy until you run: {secret_set_command(key, config.stack)}"
            )
        elif state == "plain":
            warnings.append(
                f"warning: {PROJECT}:{key} (stack {config.stack}) is stored in plain text in the "
                f"stack file; remove it and run: {secret_set_command(key, config.stack)}"
            )
    return warnings


def offline_values(settings: Settings) -> dict[str, Any]:
    """The stack's values with every secret replaced by a placeholder."""
    return build_values(settings, ChartSecrets(PLACEHOLDER, PLACEHOLDER, PLACEHOLDER))


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; return its exit code. Never raises for a user mistake."""
    try:
        args = _parser().parse_args(argv)
        config, settings = load_stack(args.project_dir, args.stack)
    except UsageError as error:
        print(f"error: {error}", file=stderr)
        return EXIT_USAGE
    except ConfigError as error:
        for line in error.lines():
            print(f"error: {line}", file=stderr)
        return EXIT_CONFIG
    for warning in secret_warnings(config, settings):
        print(warning, file=stderr)
    if args.command == "check":
        print(f"stack {args.stack}: config is valid", file=stdout)
    else:
        yaml.safe_dump(offline_values(settings), stdout, sort_keys=False, default_flow_style=False)
    return EXIT_OK


def main() -> None:
    """Entry point for ``python -m up2u_jupyter``."""
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr)
    except BrokenPipeError:  # e.g. `values ... | head`
        code = EXIT_OK
    sys.exit(code)
