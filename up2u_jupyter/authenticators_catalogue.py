"""Write the catalogue of the authenticators a hub image ships (``make authenticator-catalogue``).

Run it with a Python in which exactly the hub image's pins are installed (the make target builds
a throwaway virtualenv under /tmp): it finds every ``jupyterhub.authenticators`` entry point of
the pinned distributions, plus the Authenticator classes that authenticator packages ship without
one (LTI, HMAC), and records for each class its config section and every configurable trait
(its own and inherited) with a simple type and whether it holds a secret. ``check`` reads the
result, ``data/authenticators-<chart>.json``, so the deployer needs no JupyterHub at run time.

This module imports JupyterHub and traitlets only inside functions: the test that compares the
committed file with the classes installed in ``.venv`` calls the same ``describe_class``.
"""

import argparse
import importlib
import json
import os
import pkgutil
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from .secretrule import is_secret_name

ENTRY_POINT_GROUP = "jupyterhub.authenticators"

EXPLICIT_SECRETS = frozenset(
    {
        "consumers",  # LTI 1.1: consumer key -> shared secret
        "lookup_dn_search_password",  # LDAP: the search account's bind password
        "recaptcha_secret",  # NativeAuthenticator: reCAPTCHA server key
        "secret_key",  # HMACAuthenticator / NativeAuthenticator: signing keys
        "user_password",  # SharedPasswordAuthenticator
        "admin_password",  # SharedPasswordAuthenticator
        "password",  # DummyAuthenticator
        "client_secret",  # every OAuthenticator
    }
)
"""Traits that hold a secret, whatever the name rule says (each named from the class's help)."""
NOT_SECRETS = frozenset({"exclude_tokens"})  # Globus: names of resource servers, not tokens
"""Traits whose name looks secret but whose help says they hold none."""
_SCALARS = ("bool", "int", "float")

_SIMPLE = {
    "Bool": "bool",
    "CBool": "bool",
    "Int": "int",
    "Integer": "int",
    "CInt": "int",
    "Long": "int",
    "Float": "float",
    "CFloat": "float",
    "Unicode": "str",
    "CUnicode": "str",
    "Bytes": "str",
    "ObjectName": "str",
    "DottedObjectName": "str",
    "List": "list",
    "Set": "list",
    "Tuple": "list",
    "Command": "list|str",  # jupyterhub.traitlets.Command: a list, or one string
    "Dict": "dict",
    "Callable": "callable",
}


def is_secret_trait(name: str, kind: str) -> bool:
    """Whether a trait holds a secret: one of the explicit ones, or the project's name rule for
    a trait that can hold text (a flag or a number such as ``check_common_password`` cannot)."""
    if name in EXPLICIT_SECRETS:
        return True
    if name in NOT_SECRETS or all(part in _SCALARS for part in kind.split("|")):
        return False
    return is_secret_name(name)


def simple_type(trait: Any) -> str:
    """A trait's type as the catalogue records it: bool, int, float, str, list, dict, any,
    callable (not expressible in YAML), or several joined with ``|`` for a Union."""
    kind = type(trait).__name__
    if kind == "Union":
        parts: list[str] = []
        for member in trait.trait_types:
            for part in simple_type(member).split("|"):
                if part not in parts:
                    parts.append(part)
        return "any" if "any" in parts else "|".join(parts)
    if kind in ("Enum", "CaselessStrEnum", "FuzzyEnum"):
        values = list(trait.values or ())
        return "str" if values and all(isinstance(v, str) for v in values) else "any"
    for klass in type(trait).__mro__:
        if klass.__name__ in _SIMPLE:
            return _SIMPLE[klass.__name__]
    return "any"


_DEPRECATED_HELP = (
    # Sphinx's directive, then the replacement as a role: OAuthenticator 17's claim_groups_key
    # (GenericOAuthenticator) and user_groups_claim (AzureAdOAuthenticator)
    re.compile(r"\.\. deprecated::.*?[Uu]se :attr:`(?:~?[\w.]*\.)?(?P<new>\w+)`", re.S),
    # a plain word: PAMAuthenticator's "DEPRECATED: use allowed_groups" (no observer: ignored)
    re.compile(r"^\s*DEPRECATED:?\s+use\s+`?(?P<new>\w+)`?", re.I),
    # a class to use instead: DummyAuthenticator.password ("Use `SharedPasswordAuthenticator`")
    re.compile(r"\.\. deprecated::.*?[Uu]se `(?P<new>\w+Authenticator)` instead", re.S),
    # ldapauthenticator 2.0's use_ssl: "`use_ssl` is deprecated since 2.0. `use_ssl=True`
    # translates to configuring `tls_strategy="on_connect"`"
    re.compile(r"^\s*`\w+` is deprecated\b.*?configuring\s+`(?P<new>\w+)=", re.S),
    # removed, no replacement: ldapauthenticator 2.0's escape_userdn ("Removed in 2.0, ...")
    re.compile(r"^\s*Removed in [\d.]+, configuring this no longer has any effect(?P<new>)"),
)
"""How trait help texts name a replacement when the class keeps no alias table for it."""


def deprecated_aliases(cls: type) -> dict[str, str]:
    """Old trait name -> its replacement: the aliases JupyterHub and OAuthenticator keep, and
    the traits whose help says they are deprecated and what to use instead (OAuthenticator 17
    handles ``claim_groups_key`` with an observer of its own, outside its alias table); ``""``
    for a trait removed with no replacement."""
    found: dict[str, str] = {}
    for attribute in ("_deprecated_aliases", "_deprecated_oauth_aliases"):
        for old, spec in (getattr(cls, attribute, None) or {}).items():
            found[old] = spec[0]
    for name, trait in cls.class_traits(config=True).items():  # type: ignore[attr-defined]
        if name in found:
            continue
        for pattern in _DEPRECATED_HELP:
            match = pattern.search(trait.help or "")
            if match and match["new"] != name:
                found[name] = match["new"]  # "": removed, nothing replaces it
                break
    return found


def describe_class(cls: type) -> dict[str, Any]:
    """The catalogue entry of one Authenticator class (without its allow_all default)."""
    aliases = deprecated_aliases(cls)
    traits: dict[str, dict[str, Any]] = {}
    for name, trait in sorted(cls.class_traits(config=True).items()):  # type: ignore[attr-defined]
        kind = simple_type(trait)
        entry: dict[str, Any] = {"type": kind, "secret": is_secret_trait(name, kind)}
        if trait.allow_none:
            entry["nullable"] = True
        if name in aliases:
            entry["deprecated"] = aliases[name]
        traits[name] = entry
    return {"section": cls.__name__, "sections": config_sections(cls), "traits": traits}


def config_sections(cls: type) -> list[str]:
    """The config sections the class reads, most specific first: its own name, then each
    Authenticator class it inherits from (``c.OAuthenticator.scope`` configures every OAuth
    class, ``c.Authenticator.admin_users`` every class)."""
    from jupyterhub.auth import Authenticator  # type: ignore[import-untyped]

    return [k.__name__ for k in cls.__mro__ if issubclass(k, Authenticator)]


def class_id(cls: type) -> str:
    """``module:Class``, where the class is defined."""
    return f"{cls.__module__}:{cls.__qualname__}"


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements file, names normalized."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[normalize(name.strip())] = version.strip()
    return pins


def _modules(distribution: metadata.Distribution) -> Iterator[str]:
    """Every importable module of a distribution, its test packages excepted."""
    tops = (distribution.read_text("top_level.txt") or "").split()
    if not tops:
        tops = sorted(
            {
                Path(str(f)).parts[0]
                for f in distribution.files or ()
                if str(f).endswith(".py") and "/" in str(f)
            }
        )
    for top in tops:
        package = importlib.import_module(top)
        yield top
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{top}."):
            if ".tests" not in info.name and not info.name.endswith(".conftest"):
                yield info.name


def _allow_all_default(cls: type) -> bool | None:
    """Whether the class lets every signed-in user in when nothing is configured (None: the
    class cannot be built outside a running hub, e.g. it opens the hub's database)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # some classes create files (e.g. a password database) at start
        try:
            return bool(cls().allow_all)
        except Exception:
            return None
        finally:
            os.chdir(here)


def _groups(cls: type) -> dict[str, Any]:
    """Where an OAuth class keeps the provider's user in auth_state, and where it reads groups
    from when nothing is set (``auth_state_groups_key``'s default; AzureAD's is its own)."""
    key = getattr(cls, "user_auth_state_key", None)
    if not isinstance(key, str):
        return {}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            default = cls().auth_state_groups_key
        except Exception:
            default = None
        finally:
            os.chdir(here)
    return {
        "userAuthStateKey": key,
        "groupsKeyDefault": default if isinstance(default, str) else None,
    }


def build(pins: Mapping[str, str], chart: str) -> dict[str, Any]:
    """The catalogue of the installed distributions, which must match ``pins`` exactly."""
    from jupyterhub.auth import Authenticator

    installed = {normalize(d.metadata["Name"]): d for d in metadata.distributions()}
    mismatched = [
        f"{name} {installed[name].version if name in installed else 'missing'} (pinned {version})"
        for name, version in sorted(pins.items())
        if name not in installed or installed[name].version != version
    ]
    if mismatched:
        raise SystemExit("not the pinned packages: " + ", ".join(mismatched))

    types: dict[str, str] = {}
    classes: dict[str, type] = {}
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.dist is None or normalize(entry_point.dist.name) not in pins:
            continue
        cls = entry_point.load()
        types[entry_point.name] = class_id(cls)
        classes[class_id(cls)] = cls
    # Authenticator packages that register no entry point for a class (LTI, HMAC) are named
    # by import path, which is what JupyterHub's authenticator_class accepts for them.
    loose: dict[str, type] = {}
    for name in sorted(pins):
        if "authenticator" not in name:
            continue
        for module_name in _modules(installed[name]):
            module = importlib.import_module(module_name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Authenticator)
                    and value.__module__ == module_name
                    and class_id(value) not in classes
                ):
                    loose[class_id(value)] = value
    for key, cls in loose.items():
        bases_of_others = any(
            other is not cls and issubclass(other, cls) for other in classes.values()
        )
        bases_of_loose = any(
            other is not cls and issubclass(other, cls) for other in loose.values()
        )
        if not bases_of_others and not bases_of_loose:
            types[f"{cls.__module__}.{cls.__qualname__}"] = key
            classes[key] = cls

    owners = metadata.packages_distributions()
    described: dict[str, Any] = {}
    for key in sorted(classes):
        cls = classes[key]
        distribution = owners.get(cls.__module__.split(".")[0], ["?"])
        entry = describe_class(cls)
        described[key] = {
            "section": entry["section"],
            "sections": entry["sections"],
            "distribution": normalize(distribution[0]),
            "allowAllByDefault": _allow_all_default(cls),
            **_groups(cls),
            "traits": entry["traits"],
        }
    return {
        "about": (
            f"Authenticators of the z2jh {chart} hub image: written by `make "
            "authenticator-catalogue` from the image's pinned packages; do not edit by hand."
        ),
        "chart": chart,
        "pins": dict(sorted(pins.items())),
        "types": dict(sorted(types.items())),
        "classes": described,
    }


def dumps(catalogue: Mapping[str, Any]) -> str:
    """JSON with one trait per line, so that a new release reads as a short diff."""
    lines = ["{"]
    top = list(catalogue.items())
    for index, (key, value) in enumerate(top):
        comma = "," if index < len(top) - 1 else ""
        if key == "classes":
            lines.append(f"  {json.dumps(key)}: {{")
            items = list(value.items())
            for i, (cls, entry) in enumerate(items):
                lines.append(f"    {json.dumps(cls)}: {{")
                for field in ("section", "sections", "distribution", "allowAllByDefault",
                              "userAuthStateKey", "groupsKeyDefault"):  # fmt: skip
                    if field in entry:
                        lines.append(f"      {json.dumps(field)}: {json.dumps(entry[field])},")
                lines.append('      "traits": {')
                traits = list(entry["traits"].items())
                for j, (name, trait) in enumerate(traits):
                    end = "," if j < len(traits) - 1 else ""
                    lines.append(f"        {json.dumps(name)}: {json.dumps(trait)}{end}")
                lines.append("      }")
                lines.append("    }" + ("," if i < len(items) - 1 else ""))
            lines.append("  }" + comma)
        else:
            text = json.dumps(value, indent=2).replace("\n", "\n  ")
            lines.append(f"  {json.dumps(key)}: {text}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pins", type=Path, required=True, help="hub-image-requirements.txt")
    parser.add_argument("--chart", required=True, help="the chart version the pins belong to")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    catalogue = build(read_pins(args.pins.read_text()), args.chart)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(catalogue))
    print(
        f"wrote {args.out}: {len(catalogue['types'])} authenticator types, "
        f"{len(catalogue['classes'])} classes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
