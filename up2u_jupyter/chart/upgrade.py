"""What moving a stack between chart versions changes for it, from the importer's chart history.

This project renders and tests its values for one chart version, ``chart.VERSION``. A stack
whose ``chart.version`` says another deploys that chart with values written for this one;
``check`` then lists, for this stack's own keys, what differs between the two: the JupyterHub
the hub runs (``history.ERAS``), the keys its values set that the chart renamed or removed in
between (``history.RENAMED``, ``history.REMOVED``), and the images that must match the chart.
The procedure around it (backup, staging stack, changelog, rollback) is in docs/operate.md.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import chart
from ..settings import Settings

CHANGELOG = "https://z2jh.jupyter.org/en/stable/changelog.html"
"""The chart's changelog: what each release changed, beyond what the history data holds."""


def version_key(version: str) -> tuple[int, ...] | None:
    """``4.4.0`` -> (4, 4, 0); None for anything that is not plain numbers and dots."""
    parts = version.strip().lstrip("v").split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def changes(settings: Settings, values: Mapping[str, Any]) -> list[str]:
    """One line per difference that matters to this stack; [] when it pins ``chart.VERSION``."""
    pinned, target = settings.chart.version, chart.VERSION
    if pinned == target:
        return []
    from ..importer.history import REMOVED, RENAMED, era_of

    old, new = version_key(pinned), version_key(target)
    if old is None or new is None or era_of(pinned) is None:
        return [f"{pinned!r} is no chart version this project knows; set {target}"]
    if old > new:
        return [
            f"chart {pinned} is newer than {target}, the last this project knows: its values "
            f"are {target}'s, which {pinned} may refuse or read differently; read {CHANGELOG} "
            f"and test it on a staging stack first, or set {target}"
        ]
    found = []
    before, after = era_of(pinned), era_of(target)
    if before is not None and after is not None and before.jupyterhub != after.jupyterhub:
        found.append(
            f"the hub moves from JupyterHub {before.jupyterhub} (chart {pinned}) to JupyterHub "
            f"{after.jupyterhub} (chart {target}), which upgrades its database: "
            + (
                "set helmValues.hub.db.upgrade: true for that deploy (the chart leaves an "
                "external database alone otherwise)"
                if settings.hub.db.type == "postgres"
                else "SQLite is upgraded when the hub starts"
            )
            + "; back the database up first"
        )
    paths = set(_paths(values))  # our own keys are 4.4.0's: an old one came from helmValues
    for path, renamed in sorted(RENAMED.items()):
        if path in paths and _between(renamed.version, old, new):
            found.append(
                f"helmValues.{'.'.join(path)}: renamed {'.'.join(renamed.new)} in chart "
                f"{renamed.version}; move it there"
            )
    for path, removed in sorted(REMOVED.items()):
        if path in paths and _between(removed.version, old, new):
            found.append(f"helmValues.{'.'.join(path)}: {removed.reason}")
    for part in ("hub", "singleuser"):
        image = getattr(settings, part).image
        if image is not None:
            found.append(
                f"{part}.image {image.name}:{image.tag or 'latest'} is built on the chart's "
                f"own {part} image: it must be built on the chart's {target} one"
            )
    return found


def _between(version: str, old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """Whether a change made in ``version`` lies in (old, new]."""
    key = version_key(version) if version else None
    return key is not None and old < key <= new


def _paths(values: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path of a values tree (each map's own path too)."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            path = (*prefix, str(key))
            yield path
            yield from _paths(value, path)


def warnings(settings: Settings, values: Mapping[str, Any], stack: str) -> list[str]:
    """``check``'s lines: a heading naming the key, then each change."""
    found = changes(settings, values)
    if not found:
        return []
    heading = (
        f"warning: up2u-jupyter:chart.version (stack {stack}) is {settings.chart.version}, "
        f"not {chart.VERSION}, the chart this project renders and tests values for; from "
        f"{settings.chart.version} to {chart.VERSION} for this stack (see docs/operate.md, "
        f"Upgrading the chart, and {CHANGELOG}):"
    )
    return [heading, *(f"warning:   {line}" for line in found)]
