"""The one error type a user sees: what is wrong, where, and how to fix it.

Every message that shows a value shows it through ``excerpt``: bounded, escaped, never a whole
map, never a secret. A value typed into a config file is attacker-controlled as far as a
terminal, a CI log or a pull-request comment is concerned.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EXIT_OK, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2
"""Exit codes: success, a config or input the program refuses, a command-line mistake."""

EXCERPT_CHARS = 60
"""The most characters of a value an error message shows."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack's config, phrased so the operator can act on it."""

    key: str
    """Full config key, e.g. ``up2u-jupyter:singleuser.memory.guarantee`` (or a file name)."""
    message: str
    """What is wrong and the fix, in one sentence."""


def shown_key(part: str) -> str:
    """A config key as errors show it: quoted and escaped when it has odd characters, cut."""
    if part and part.isprintable() and part.strip() == part and len(part) <= EXCERPT_CHARS:
        return part
    return _escaped(part)


def excerpt(value: Any, secret: bool = False) -> str:
    """A value as an error message may show it: bounded, escaped, maps and secrets summarised."""
    # imported here: secretrule is a leaf module, errors must stay importable from anywhere
    from .secretrule import HIDDEN, redact_url

    if value is None:
        return "not set"
    if secret:
        return HIDDEN
    if isinstance(value, Mapping):
        return f"a mapping of {len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, (list, tuple, set)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        # str() of an int over 4300 digits raises; a number that long is shown by its size
        return (
            str(value) if value.bit_length() <= 64 else f"a {len(hex(value)) - 2}-hex-digit number"
        )
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _escaped(redact_url(value) if "://" in value else value)
    return f"a value of type {type(value).__name__}"


def printable(text: str) -> str:
    """Text from a file, an argument or another program, safe for a terminal: control and
    escape characters shown escaped, so it can neither drive the terminal nor add lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _escaped(text: str) -> str:
    cut = text[:EXCERPT_CHARS]
    shown = repr(cut)
    return f"{shown[:-1]}...{shown[-1]} ({len(text)} characters)" if len(text) > len(cut) else shown


class ConfigError(Exception):
    """A stack config (or stack file) the program refuses, with every problem found in it."""

    def __init__(self, stack: str, problems: Sequence[Problem]):
        self.stack = stack
        self.problems = tuple(problems)
        super().__init__(self.summary())

    def lines(self) -> list[str]:
        """One self-contained line per problem: key, stack, value and fix."""
        return [f"{p.key} (stack {shown_key(self.stack)}): {p.message}" for p in self.problems]

    def summary(self) -> str:
        """All problems, one per line."""
        return "\n".join(self.lines())


class UsageError(Exception):
    """A command-line mistake (no such stack file, bad arguments): exit code 2."""


class InputError(Exception):
    """An input file the program refuses (not YAML, too large, a values file of another shape)."""
