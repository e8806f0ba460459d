"""What reaches a page or a notification is what the stack meant, and nothing that runs.

1. Links from config that land in pages or alerts (``monitoring.runbookUrl``, every alert's
   ``runbook_url``; URL-like ``hub.templateVars`` such as ``supportUrl``, the footer link of
   every hub page) are ``https://`` URLs (``mailto:`` where an address is meant) with no
   template delimiters: Prometheus expands annotations as Go templates (``{{ ... }}`` runs
   queries in notifications), and a ``javascript:`` link runs in the reader's session.
2. Profile text that KubeSpawner 7's spawn form renders unescaped (``templates/form.html``
   lines 5-27; its Jinja environment has no autoescape, spawner.py:3399-3406, and JupyterHub
   inserts the form with ``| safe``) is plain text: no markup in display names, descriptions
   and choices; slugs and option keys only letters, digits, '-', '_' and '.'.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..credentials import PROJECT
from ..errors import excerpt
from .model import Deployment, Finding

TEMPLATE_DELIMITERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
"""Go (Prometheus) and Jinja (hub pages) template delimiters."""
URL_KEY = re.compile(r"(?i).*(url|uri|link|href|website|homepage)$")
"""Template variable names that hold a link."""
SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*:")
MARKUP = re.compile(r"[<>]|&[#A-Za-z0-9]+;")
"""What an HTML page would read as markup (tags, entities)."""
TOKEN = re.compile(r"[A-Za-z0-9._-]+")
"""Profile slugs and option keys: they go into HTML attributes unescaped."""


def link_problem(value: str, mail: bool = False) -> str | None:
    """Why a link may not reach a page or alert (None: an https URL, or mailto: when ``mail``)."""
    if TEMPLATE_DELIMITERS.search(value):
        return "holds template delimiters ({{, {%), which Prometheus or the hub would run"
    try:
        parts = urlsplit(value)
        https = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:
        https = False
    mailto = mail and bool(re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+", value))
    if not (https or mailto):
        return "is not an https:// URL" + (" or mailto: address" if mail else "")
    if any(c.isspace() or c in "\"'<>`\\" for c in value) or not value.isprintable():
        return "holds spaces, quotes or angle brackets, which no URL has"
    return None


def check(d: Deployment) -> list[Finding]:
    """The page and notification invariants (see the module docstring)."""
    found = []
    runbook = d.settings.monitoring.runbook_url
    if runbook is not None:
        problem = link_problem(runbook)
        if problem is not None:
            found.append(
                Finding(
                    f"{PROJECT}:monitoring.runbookUrl",
                    f"{excerpt(runbook)}: {problem}, and it becomes every alert's runbook_url; "
                    "use the plain https address of the runbook (e.g. this README's URL)",
                )
            )
    found += _template_vars(d)
    found += _profiles(d)
    return found


def _template_vars(d: Deployment) -> list[Finding]:
    found = []
    variables = d.hub.get("JupyterHub", "template_vars")
    origin = d.hub.origins.get(("JupyterHub", "template_vars"), ("hub", "templateVars"))
    for path, value in _leaves(variables):
        name = str(path[-1])
        if not isinstance(value, str):
            continue
        if not (URL_KEY.fullmatch(name) or SCHEME.match(value)):
            continue
        problem = link_problem(value.strip(), mail=True)
        if problem is not None:
            key = _key(d, origin, path)
            found.append(
                Finding(
                    key,
                    f"{excerpt(value)}: {problem}, and hub pages show it as a link to everyone "
                    "who signs in; use an https:// URL (or mailto:address)",
                )
            )
    return found


def _key(d: Deployment, origin: tuple[str, ...], path: tuple[Any, ...]) -> str:
    if origin[:2] == ("hub", "extraConfig"):
        return d.key(*origin)
    return d.key(*origin, *path)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif path:
        yield path, value


_TEXT = ("display_name", "description")


def _profiles(d: Deployment) -> list[Finding]:
    profiles = d.hub.get("KubeSpawner", "profile_list")
    if not isinstance(profiles, list):
        return []
    origin = d.hub.origins.get(("KubeSpawner", "profile_list"), ("singleuser", "profileList"))
    found = []
    for index, profile in enumerate(profiles):
        if not isinstance(profile, Mapping):
            continue
        for path, value, kind in _profile_text(profile):
            if not isinstance(value, str):
                continue
            if kind == "text" and MARKUP.search(value):
                why = "holds markup, which KubeSpawner's spawn form shows as raw HTML"
                fix = "write plain text (no <, > or &...;)"
            elif kind == "token" and not TOKEN.fullmatch(value):
                why = "goes into the spawn form's HTML attributes unescaped"
                fix = "use letters, digits, '-', '_' and '.' only"
            else:
                continue
            key = _profile_key(d, origin, index, path)
            found.append(Finding(key, f"{excerpt(value)}: {why}; {fix}"))
    return found


def _profile_text(profile: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], Any, str]]:
    for name in _TEXT:
        yield (name,), profile.get(name), "text"
    yield ("slug",), profile.get("slug"), "token"
    options = profile.get("profile_options")
    for option_key, option in options.items() if isinstance(options, Mapping) else []:
        base = ("profile_options", option_key)
        yield base, option_key, "token"
        if not isinstance(option, Mapping):
            continue
        yield (*base, "display_name"), option.get("display_name"), "text"
        choices = option.get("choices")
        for choice_key, choice in choices.items() if isinstance(choices, Mapping) else []:
            yield (*base, "choices", choice_key), choice_key, "token"
            if isinstance(choice, Mapping):
                yield (
                    (*base, "choices", choice_key, "display_name"),
                    choice.get("display_name"),
                    "text",
                )


def _profile_key(d: Deployment, origin: tuple[str, ...], index: int, path: tuple[Any, ...]) -> str:
    if origin[:2] == ("hub", "extraConfig"):
        return d.key(*origin)
    return d.key(*origin, index, *path)
