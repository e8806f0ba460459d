"""Command-line argument types and shared options: usage errors come from the parser.

Each ``type=`` function raises ``argparse.ArgumentTypeError`` with a message that names what
is wrong and how to fix it; argparse prefixes the option's name.
"""

import argparse
import math
import re
from pathlib import Path

_STACK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def stack_name(text: str) -> str:
    """A Pulumi stack name (``dev``, ``prod-eu``): a name, never a path."""
    if not _STACK.fullmatch(text) or ".." in text:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a stack name; use letters, digits, '-', '_' and '.' "
            "(the file is Pulumi.NAME.yaml in --project-dir)"
        )
    return text


def port(text: str) -> int:
    """A TCP port, 1 to 65535."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a port; use 1 to 65535")
    return number


def positive_seconds(text: str) -> float:
    """A finite, positive number of seconds."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0 or number > 86400:
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a time; use a number of seconds above 0 and at most 86400"
        )
    return number


def quantity(text: str) -> str:
    """A Kubernetes quantity (cores such as 4 or 3500m, memory such as 16Gi), above 0."""
    from .quantity import QuantityError, parse_quantity

    try:
        amount = parse_quantity(text)
    except QuantityError as error:
        raise argparse.ArgumentTypeError(f"{text[:20]!r}: {error}") from None
    if amount <= 0:
        raise argparse.ArgumentTypeError(f"{text[:20]!r}: must be more than 0")
    return text


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """``--stack`` and ``--project-dir``, which every stack command takes."""
    parser.add_argument(
        "--stack", required=True, type=stack_name, help="stack name (reads Pulumi.STACK.yaml)"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="folder with Pulumi.yaml and the stack files (default: current folder)",
    )
