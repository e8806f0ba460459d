"""Find the z2jh values in an old file: at the top, or inside a parent chart's values."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import shown_key
from .history import CHART_TOP_LEVEL, OLD_TOP_LEVEL, PARENT_SECTIONS, KeyPath


@dataclass(frozen=True)
class Located:
    """The z2jh section of a values document and what surrounds it."""

    values: dict[str, Any]
    prefix: KeyPath
    """Keys leading to the z2jh values (empty when the file is z2jh values itself)."""
    parent_keys: tuple[KeyPath, ...]
    """The parent charts' own keys (full paths), which are not imported."""


def _chart_keys(node: Mapping[Any, Any]) -> set[Any]:
    return set(node) & (CHART_TOP_LEVEL | OLD_TOP_LEVEL)


def _is_z2jh(node: Any) -> bool:
    """Whether a map looks like z2jh values: a chart section such as hub, proxy or singleuser."""
    return isinstance(node, dict) and bool(
        _chart_keys(node) - {"enabled", "global", "nameOverride", "fullnameOverride"}
    )


def locate(document: Any) -> Located:
    """The z2jh values of a document; raises ValueError (one line) when there are none.

    A parent chart's section is preferred to top-level chart keys only when the top level has
    none of the chart's sections, so a plain values file is never mistaken for a parent's.
    """
    if not isinstance(document, dict) or not document:
        raise ValueError("not a z2jh values file: expected a YAML mapping of chart values")
    for prefix in PARENT_SECTIONS:
        node: Any = document
        for part in prefix:
            node = node.get(part) if isinstance(node, dict) else None
        if _is_z2jh(node) and not _direct_z2jh(document):
            return Located(node, prefix, _parent_keys(document, prefix))
    if _is_z2jh(document):
        return Located(document, (), ())
    names = ", ".join(shown_key(str(key)) for key in sorted(map(str, document))[:6])
    places = ", ".join(".".join(p) for p in PARENT_SECTIONS)
    raise ValueError(
        f"not a z2jh values file: none of its top-level keys ({names}) is a chart key such as "
        f"hub, proxy or singleuser, and there is no z2jh section under {places}"
    )


def _direct_z2jh(document: dict[str, Any]) -> bool:
    return bool(_chart_keys(document) & {"hub", "proxy", "singleuser", "auth"})


def _parent_keys(document: dict[str, Any], prefix: KeyPath) -> tuple[KeyPath, ...]:
    """Every key beside the path to the z2jh section, at each level of the parent charts."""
    found: list[KeyPath] = []
    node: Any = document
    for depth, part in enumerate(prefix):
        found += [(*prefix[:depth], key) for key in node if key != part]
        node = node[part]
    return tuple(found)
