"""Dotted config paths (``hub.db.url``): the one place that walks and builds nested maps."""

from collections.abc import Mapping, Sequence
from typing import Any

MISSING: Any = object()
"""Returned by ``get_path`` when the path is not in the tree."""


def split(path: str | Sequence[str]) -> tuple[str, ...]:
    """``"a.b.c"`` -> ``("a", "b", "c")``; a sequence of parts is taken as it is."""
    return tuple(path.split(".")) if isinstance(path, str) else tuple(path)


def get_path(tree: Any, path: str | Sequence[str | int], default: Any = MISSING) -> Any:
    """The value at a path through maps (and list indexes), or ``default``."""
    node = tree
    for part in split(path) if isinstance(path, str) else path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def set_path(tree: dict[str, Any], path: str | Sequence[str], value: Any) -> None:
    """Set the value at a path, creating (or replacing non-map) parents as maps."""
    *parents, last = split(path)
    node = tree
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value
