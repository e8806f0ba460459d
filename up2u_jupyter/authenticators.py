"""The authenticators the hub image ships, and the checks of ``auth.options`` against them.

The facts come from ``data/authenticators-<chart>.json`` (written by ``make
authenticator-catalogue`` from the hub image's pinned packages; see
``authenticators_catalogue.py``): each class's config section, the sections it inherits (so
which typed keys of ``authkeys`` it takes) and its traits. The file is read once per process and
a class is built only when a stack asks for it.
"""

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import authkeys
from .authkeys import OAUTHENTICATOR
from .chart import VERSION
from .errors import shown_key

CATALOGUE_CHART = VERSION
"""The chart whose hub image the committed catalogue describes."""
DATA_DIR = Path(__file__).resolve().parent / "data"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Trait:
    """One configurable trait of an authenticator class."""

    type: str
    """bool, int, float, str, list, dict, any or callable; several joined by ``|``."""
    secret: bool
    nullable: bool = False
    deprecated: str | None = None
    """The trait that replaces this one, when the class keeps it only as an alias (or another
    authenticator's class name; ``""``: removed, nothing replaces it)."""

    def accepts(self, value: Any) -> bool:
        """Whether a YAML value has this trait's simple type."""
        if value is None:
            return self.nullable
        return any(_is(kind, value) for kind in self.type.split("|"))


def _is(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    return False  # callable: no YAML value is one


@dataclass(frozen=True)
class AuthenticatorClass:
    """An authenticator class: its config section and traits."""

    class_id: str
    """``module:Class``."""
    section: str
    """The ``hub.config`` section (``c.<section>.<trait>``): the class name."""
    distribution: str
    allow_all_by_default: bool | None
    """Whether it lets every signed-in user in when nothing is set (None: not known)."""
    traits: Mapping[str, Trait]
    sections: tuple[str, ...] = ()
    """The config sections it reads, its own first, then every Authenticator it inherits."""
    user_auth_state_key: str | None = None
    """OAuth classes: where auth_state keeps the provider's user (``oauth_user``, ``user``)."""
    groups_key_default: str | None = None
    """OAuth classes: where groups are read from when nothing is set (AzureAD: ``user.groups``)."""

    @property
    def oauth(self) -> bool:
        """Whether it signs in through an OAuth2 provider (client id, secret and callback)."""
        return OAUTHENTICATOR in self.sections


@dataclass(frozen=True)
class Catalogue:
    """Every authenticator of one chart's hub image."""

    chart: str
    pins: Mapping[str, str]
    types: Mapping[str, str]
    """auth.type (an entry point name, or an import path) -> class id."""
    raw_classes: Mapping[str, Any]
    """Class id -> its catalogue entry as read (``classes`` builds each once)."""

    @functools.cached_property
    def classes(self) -> Mapping[str, AuthenticatorClass]:
        """Every class of the image, by class id."""
        return {key: self.class_by_id(key) for key in self.raw_classes}

    def of(self, auth_type: str) -> AuthenticatorClass | None:
        """The class an auth.type names, if the hub image ships it."""
        key = self.types.get(auth_type)
        return None if key is None else self.class_by_id(key)

    def class_by_id(self, key: str) -> AuthenticatorClass:
        """A class by its ``module:Class`` id (built on first use: most runs need one)."""
        built = self._built.get(key)
        if built is None:
            entry = self.raw_classes[key]
            built = self._built[key] = AuthenticatorClass(
                class_id=key,
                section=entry["section"],
                distribution=entry["distribution"],
                allow_all_by_default=entry["allowAllByDefault"],
                traits={name: Trait(**trait) for name, trait in entry["traits"].items()},
                sections=tuple(entry["sections"]),
                user_auth_state_key=entry.get("userAuthStateKey"),
                groups_key_default=entry.get("groupsKeyDefault") or None,
            )
        return built

    @functools.cached_property
    def _built(self) -> dict[str, AuthenticatorClass]:
        return {}


def catalogue_path(chart: str = CATALOGUE_CHART) -> Path:
    return DATA_DIR / f"authenticators-{chart}.json"


@functools.cache
def load_catalogue(chart: str = CATALOGUE_CHART) -> Catalogue:
    """The committed catalogue of a chart's hub image (read once per process)."""
    data = json.loads(catalogue_path(chart).read_text(encoding="utf-8"))
    return Catalogue(
        chart=data["chart"], pins=data["pins"], types=data["types"], raw_classes=data["classes"]
    )


def class_of(auth_type: str) -> AuthenticatorClass:
    """The class of an auth.type the hub image ships (KeyError for any other)."""
    cls = load_catalogue().of(auth_type)
    if cls is None:
        raise KeyError(auth_type)
    return cls


def section_of(auth_type: str) -> str:
    """The hub.config section of an auth.type: its class name."""
    return class_of(auth_type).section


def is_oauth(auth_type: str) -> bool:
    """Whether an auth.type signs in through an OAuth2 provider (False for an unknown one)."""
    cls = load_catalogue().of(auth_type)
    return cls is not None and cls.oauth


def unknown_type_message(auth_type: str) -> str | None:
    """None for an auth.type the hub image ships, else the message with the closest names."""
    catalogue = load_catalogue()
    if catalogue.of(auth_type) is not None:
        return None
    close = _closest(auth_type, list(catalogue.types))
    hint = f"did you mean {close[0]}?" if close else "use one of its entry point names"
    listed = catalogue_path(catalogue.chart).relative_to(DATA_DIR.parent.parent)
    return (
        f"not an authenticator the z2jh {catalogue.chart} hub image ships; {hint} "
        f"(all {len(catalogue.types)} are listed in {listed})"
    )


def typed_traits(auth_type: str) -> dict[str, str]:
    """Trait -> the typed key that renders it, for this auth.type (``authkeys``)."""
    return authkeys.typed_traits(class_of(auth_type).sections)


def allow_rule_options(options: Mapping[str, Any]) -> list[str]:
    """The options that let users in (``allowed_*`` and ``admin_groups`` lists, non-empty)."""
    return sorted(
        name
        for name, value in options.items()
        if (name.startswith("allowed_") or name == "admin_groups")
        and isinstance(value, list | dict)
        and value
    )


def option_problems(
    auth_type: str, options: Mapping[str, Any], secret_options: Mapping[str, str]
) -> list[tuple[str, Any, str, bool]]:
    """Problems of ``auth.options`` and ``auth.secretOptions``: (key, value, message, secret),
    where ``secret`` says the value must not be shown.

    Whether each secretEnv entry a secretOption names is set is not checked here: like every
    required secret, ``check`` warns when it is absent and ``pulumi up`` refuses to deploy.
    """
    if not options and not secret_options:
        return []
    cls = load_catalogue().of(auth_type)
    if cls is None:
        return []  # the unknown auth.type is reported on its own
    typed = typed_traits(auth_type)
    found: list[tuple[str, Any, str, bool]] = []
    for name, value in options.items():
        key = f"auth.options.{shown_key(name)}"
        hidden = _maybe_secret(cls, name)
        problem = _name_problem(cls, name, typed)
        if problem is not None:
            found.append((key, value, problem, hidden))
            continue
        trait = cls.traits[name]
        if trait.secret:
            env = _env_name(name)
            found.append(
                (
                    key,
                    value,
                    f"{cls.section}.{name} holds a secret, and options land in the Helm values; "
                    f"remove it, run pulumi config set --secret --path "
                    f"'up2u-jupyter:secretEnv.{env}' <value>, and set "
                    f"auth.secretOptions.{name}: {env}",
                    True,
                )
            )
        elif trait.type == "callable":
            found.append(
                (
                    key,
                    value,
                    f"{cls.section}.{name} takes Python code, which YAML cannot carry; "
                    "set it in hub.extraConfig instead",
                    hidden,
                )
            )
        elif not trait.accepts(value):
            message = f"{cls.section}.{name} takes {_type_words(trait)}; fix the value"
            found.append((key, value, message, hidden))
    for name, env in secret_options.items():
        key = f"auth.secretOptions.{shown_key(name)}"
        problem = _name_problem(cls, name, typed)
        if problem is None and name in options:
            problem = f"also set in auth.options.{name}; keep one of them"
        elif problem is None and cls.traits[name].type == "callable":
            problem = f"{cls.section}.{name} takes Python code; set it in hub.extraConfig"
        elif problem is None and not (isinstance(env, str) and ENV_NAME.fullmatch(env)):
            problem = (
                "not an environment variable name (the secretEnv entry to read); "
                "use letters, digits and '_', e.g. LDAP_BIND_PASSWORD"
            )
        if problem is not None:
            # hidden: a value here should be a variable's name, and a mistake is often the
            # secret itself pasted in
            found.append((key, env, problem, True))
    return found


def _name_problem(cls: AuthenticatorClass, name: str, typed: Mapping[str, str]) -> str | None:
    if name in typed:
        return f"set by {typed[name]}; use that key instead"
    trait = cls.traits.get(name)
    if trait is None:
        close = _closest(name, list(cls.traits))
        hint = f"did you mean {close[0]}?" if close else "see its traits in the catalogue"
        return f"not an option of {cls.section}; {hint}"
    if trait.deprecated == "":
        return f"{cls.section}.{name} was removed and has no effect; remove it"
    if trait.deprecated is not None:
        return f"{cls.section}.{name} is deprecated; use {_replacement(trait.deprecated, typed)}"
    return None


def _replacement(name: str, typed: Mapping[str, str]) -> str:
    """Where a deprecated trait's replacement is set: a typed key, an option, or another
    authenticator altogether (DummyAuthenticator.password -> SharedPasswordAuthenticator)."""
    if name in typed:
        return typed[name]
    catalogue = load_catalogue()
    for auth_type, class_id in sorted(catalogue.types.items()):
        if catalogue.classes[class_id].section == name:
            return f"auth.type {auth_type} ({name})"
    return f"auth.options.{name}"


def _maybe_secret(cls: AuthenticatorClass, name: str) -> bool:
    """Whether an option's value may be a secret (then no message shows it)."""
    from .secretrule import is_secret_name

    if is_secret_name(name):
        return True
    if name in cls.traits:
        return cls.traits[name].secret
    # a misspelt secret trait still holds the secret
    close = _closest(name, list(cls.traits))
    return bool(close) and cls.traits[close[0]].secret


def _closest(name: str, known: list[str]) -> list[str]:
    """The closest known name (none for a name far longer than any trait: not a typo)."""
    if len(name) > 200:
        return []
    import difflib  # only for 'did you mean': not on every run

    return difflib.get_close_matches(name, known, n=1, cutoff=0.6)


def _type_words(trait: Trait) -> str:
    words = {
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "str": "a string",
        "list": "a list",
        "dict": "a map",
        "any": "any value",
        "callable": "Python code",
    }
    kinds = " or ".join(words[kind] for kind in trait.type.split("|"))
    return f"{kinds} (or null)" if trait.nullable else kinds


def _env_name(trait: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", trait.upper())
