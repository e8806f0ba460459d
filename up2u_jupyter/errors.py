"""The one error type a user sees: what is wrong, where, and how to fix it."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack's config, phrased so the operator can act on it."""

    key: str
    """Full config key, e.g. ``up2u-jupyter:singleuser.memory.guarantee`` (or a file name)."""
    message: str
    """What is wrong and the fix, in one sentence."""


def shown_key(part: str) -> str:
    """A config key as errors show it: quoted when it has invisible or odd characters."""
    return part if part and part.isprintable() and part.strip() == part else repr(part)


class ConfigError(Exception):
    """A stack config (or stack file) the program refuses, with every problem found in it."""

    def __init__(self, stack: str, problems: Sequence[Problem]):
        self.stack = stack
        self.problems = tuple(problems)
        super().__init__(self.summary())

    def lines(self) -> list[str]:
        """One self-contained line per problem: key, stack, value and fix."""
        return [f"{p.key} (stack {self.stack}): {p.message}" for p in self.problems]

    def summary(self) -> str:
        """All problems, one per line."""
        return "\n".join(self.lines())


class UsageError(Exception):
    """A command-line mistake (no such stack file, bad arguments): exit code 2."""
