"""Old z2jh values (chart 0.7 to 4.4, alone or in a parent chart) -> this project's stack config.

Pure: a parsed values document in, the stack config and a report of every key out. The package
is split by concern: ``history`` (what each chart version changed: data only), ``locate`` (the
z2jh section of a parent chart's values), one converter per section (``proxy``, ``hub``,
``auth``, ``singleuser``, ``scheduling``), ``leftovers`` (secrets, renamed, removed and
passed-through keys), and ``command`` (the ``import-values`` workflow). Secrets found in the old
file are never copied: the report says how to supply each.
"""

import copy
from typing import Any

from ..chartschema import load_schema
from ..errors import excerpt
from .auth import convert_auth
from .dataprotection import convert_data_protection
from .history import (
    CHART_IMAGES,
    ERAS,
    REMOVED,
    RENAMED,
    TARGET_CHART,
    Era,
    Removed,
    Renamed,
    era_of,
)
from .hub import convert_hub
from .leftovers import convert_leftovers, convert_secrets, report_parent
from .locate import locate
from .model import ROTATES, Conversion, Imported, ReportLine, ValuesFileError
from .proxy import convert_proxy
from .scheduling import convert_cull, convert_scheduling
from .singleuser import convert_singleuser

__all__ = ["ROTATES", "Imported", "ReportLine", "ValuesFileError", "convert", "detect_era"]


def convert(document: Any, from_chart: str | None = None, auth_type: str | None = None) -> Imported:
    """Convert a parsed values document; raise ValuesFileError if it holds no z2jh values.

    ``from_chart`` is the chart version the file was deployed with, when the operator knows it
    (it decides the defaults a key left out had); ``auth_type`` replaces an authenticator the
    4.4.0 hub image does not ship.
    """
    try:
        found = locate(document)
    except ValueError as error:
        raise ValuesFileError([str(error)]) from None
    values = copy.deepcopy(found.values)
    era, evidence = detect_era(values, from_chart)
    c = Conversion(values, era, found.prefix)
    report_parent(c, found.parent_keys)
    c.out.report.append(ReportLine(_prefix_key(found.prefix), "era", evidence))
    convert_proxy(c)
    convert_data_protection(c)  # before hub: it takes the program's own hub entries
    convert_hub(c)
    convert_auth(c, auth_type)
    convert_singleuser(c)
    convert_scheduling(c)
    convert_cull(c)
    _https_from_callback(c)
    convert_secrets(c)
    convert_leftovers(c, load_schema(TARGET_CHART))
    for name in ROTATES:
        c.rotate(name, None)
    return c.out


def _prefix_key(prefix: tuple[str, ...]) -> str:
    return ".".join(prefix) if prefix else "(top level)"


def detect_era(values: dict[str, Any], from_chart: str | None) -> tuple[Era | None, str]:
    """The chart era of a values file, and the report line that says how it was told."""
    if from_chart:
        era = era_of(from_chart)
        if era is not None:
            return era, f"chart {from_chart} (--from-chart): its defaults apply"
    for image, path in CHART_IMAGES.items():
        node: Any = values
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get("name") == image and node.get("tag"):
            era = era_of(str(node["tag"]))
            if era is not None:
                return era, (
                    f"chart {excerpt(str(node['tag']))} (the tag of its own {image} image): "
                    "its defaults apply"
                )
    old = _old_keys(values)
    if old:
        path, version = old
        era = ERAS["0.7-0.9"] if version.startswith("0.") else ERAS["0.x"]
        return era, (
            f"a chart {era.name} file (it has {'.'.join(path)}, which chart {version} "
            "removed); pass --from-chart VERSION for that version's exact defaults"
        )
    if "auth" in values:
        return ERAS["0.x"], (
            "a chart 0.7-0.11 file (it has the top-level auth block); pass --from-chart VERSION "
            "for that version's exact defaults"
        )
    if isinstance(values.get("hub"), dict) and "config" in values["hub"]:
        return ERAS["1.0+"], (
            "a chart 1.0 or later file (it has hub.config); pass --from-chart VERSION for that "
            "version's exact defaults"
        )
    return None, (
        "the file does not tell its chart version; pass --from-chart VERSION (helm list shows it)"
    )


def _old_keys(values: dict[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """A key the chart removed or moved by 1.0, and the version that did (the earliest)."""
    found = []
    changes: list[tuple[tuple[str, ...], Removed | Renamed]] = [*REMOVED.items(), *RENAMED.items()]
    for path, change in changes:
        node: Any = values
        for part in path:
            node = node.get(part, _ABSENT) if isinstance(node, dict) else _ABSENT
        if node is not _ABSENT and change.version and change.version[0].isdigit():
            major, _, minor = change.version.partition(".")
            if int(major) < 1 or (int(major) == 1 and minor in ("", "0")):
                found.append((tuple(map(int, change.version.split("."))), path, change.version))
    if not found:
        return None
    _, path, version = min(found)
    return path, version


_ABSENT = object()


def _https_from_callback(c: Conversion) -> None:
    """Users reached an ``https://`` callback: TLS was terminated before the proxy."""
    https = c.out.config.get("https", {})
    if https.get("mode") == "none" and c.callback_scheme == "https":
        https["mode"] = "offload"
        c.note(
            "proxy.https",
            "era",
            "off in the chart, but the OAuth callback URL is https, so "
            "HTTPS was terminated in front of the proxy: https.mode offload keeps it so",
        )
