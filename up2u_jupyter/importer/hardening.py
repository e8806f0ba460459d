"""The values this program adds to every stack for Pod Security (``hardening.py``), found in an
old file (``helm get values`` of an Up2U stack): the stack's own, so not carried as helmValues."""

from collections.abc import Iterator
from typing import Any

from ..hardening import values
from .history import KeyPath
from .model import Conversion


def convert_hardening(c: Conversion) -> None:
    """Drop each hardening value the old file holds exactly; report it."""
    for path, value in _leaves(values()):
        if c.get(*path) == value:
            c.take(*path)
            c.note(path, "dropped", "the stack sets it itself, for Pod Security (hardening.py)")


def _leaves(tree: dict[str, Any], path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    for key, value in tree.items():
        here = (*path, key)
        # the security contexts are compared whole: a changed one is the old stack's own
        if isinstance(value, dict) and key not in (
            "pod_security_context",
            "container_security_context",
        ):
            yield from _leaves(value, here)
        else:
            yield here, value
