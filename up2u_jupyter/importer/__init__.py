"""Old z2jh values (chart 0.7 to 4.4, alone or in a parent chart) -> this project's stack config.

Pure: a parsed values document in, the stack config and a report of every key out. The package
is split by concern: ``history`` (what each chart version changed: data only), ``locate`` (the
z2jh section of a parent chart's values), one converter per section (``proxy``, ``hub``,
``auth``, ``singleuser``, ``scheduling``), ``leftovers`` (secrets, renamed, removed and
passed-through keys), and ``command`` (the ``import-values`` workflow). Secrets found in the old
file are never copied: the report says how to supply each.
"""

import copy
from collections.abc import Mapping
from typing import Any

from ..chart.schema import load_schema
from ..errors import excerpt
from .auth import convert_auth
from .dataprotection import convert_data_protection
from .environment import text_environments
from .hardening import convert_hardening
from .history import (
    CHART_IMAGES,
    TARGET_CHART,
    UNKNOWN_ERA,
    Era,
    bounds,
    chart_image,
    era_between,
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


def convert(
    document: Any,
    from_chart: str | None = None,
    auth_type: str | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Imported:
    """Convert a parsed values document; raise ValuesFileError if it holds no z2jh values.

    ``from_chart`` is the chart version the file was deployed with, when the operator knows it
    (it decides the defaults a key left out had); ``auth_type`` replaces an authenticator the
    4.4.0 hub image does not ship; ``answers`` are the stack keys the operator sets (``--set``),
    which answer the questions about them.
    """
    answers = dict(answers or {})
    if auth_type is None and answers.get("auth.type") is not None:
        auth_type = str(answers["auth.type"])
    try:
        found = locate(document)
    except ValueError as error:
        raise ValuesFileError([str(error)]) from None
    values = copy.deepcopy(found.values)
    era, evidence = detect_era(values, from_chart)
    c = Conversion(values, era, found.prefix, answers)
    report_parent(c, found.parent_keys)
    c.out.report.append(ReportLine(_prefix_key(found.prefix), "era", evidence))
    text_environments(c)
    convert_hardening(c)
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
    """The chart era of a values file, and the report line that says how it was told.

    In order: ``--from-chart``; the tag of one of the chart's own images; else the versions the
    keys allow (``chart.history.bounds``: a key added in 0.11 dates the file 0.11 or later, one
    removed in 2.0 before 2.0). The defaults the allowed versions agree on apply; a default they
    disagree on is None, and only a question that needs it asks for ``--from-chart``.
    """
    if from_chart:
        era = era_of(from_chart)
        if era is not None:
            return era, f"chart {from_chart} (--from-chart): its defaults apply"
    for image, path in CHART_IMAGES.items():
        node: Any = values
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        name = node.get("name") if isinstance(node, dict) else None
        if isinstance(name, str) and chart_image(name) and name.endswith(image) and node["tag"]:
            era = era_of(str(node["tag"]))
            if era is not None:
                return era, (
                    f"chart {excerpt(str(node['tag']))} (the tag of its own {image} image): "
                    "its defaults apply"
                )
    found = bounds(values)
    if not found:
        return None, (
            "the file does not tell its chart version; pass --from-chart VERSION (helm list "
            "shows it) if a question below needs it"
        )
    lows = [b for b in found if b.since is not None]
    highs = [b for b in found if b.until is not None]
    since = max((b.since for b in lows), default=None)  # type: ignore[type-var]
    until = min((b.until for b in highs), default=None)  # type: ignore[type-var]
    # the keys that decide the range (the latest addition, the earliest removal)
    binding = [b for b in lows if b.since == since][:1] + [b for b in highs if b.until == until][:1]
    told = "; ".join(f"{'.'.join(b.path)}: {b.why}" for b in binding)
    if since is not None and until is not None and since >= until:
        return UNKNOWN_ERA, (
            f"its keys disagree about its chart version ({told}); pass --from-chart VERSION "
            "(helm list shows it) if a question below needs it"
        )
    era = era_between(since, until)
    unknown = None in (
        era.https_enabled_by_default,
        era.oauth_allows_all_without_rule,
        era.hub_allows_all_without_rule,
    )
    rest = (
        "the defaults those charts share apply; a question below asks for --from-chart VERSION "
        "if it needs one they differ on"
        if unknown
        else "its defaults apply"
    )
    return era, f"a chart {era.name} file ({told}): {rest}"


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
