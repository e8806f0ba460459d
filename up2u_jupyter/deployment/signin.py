"""Sign-in invariants: the hub signs users in exactly as the typed ``auth`` keys say.

1. The effective ``JupyterHub.authenticator_class`` is the class ``auth.type`` names.
2. Every sign-in trait of that class (allow and admin rules, groups, the username claim) has the
   value the typed keys render: ``helmValues``, ``hub.config`` and ``hub.extraConfig`` that
   change one are refused, naming the typed key to use. A snippet's non-literal write to one
   cannot be judged and is refused the same way.
3. No deprecated alias is set (the catalogue knows them and their replacement).
4. The class's own start-up rules hold (``signin_rules.RULES``).
5. A protected stack uses no authenticator that lets a stranger in (``signin_rules.OPEN_DOORS``).
6. ``auth.groupsClaim`` is released by a requested scope (a warning: ``claims.py``'s table).
"""

from typing import Any

from .. import authenticators, authkeys
from ..chart import env_items
from ..credentials import PROJECT
from ..dotted import MISSING
from ..errors import excerpt
from ..settings import Settings
from . import claims
from .hubconfig import HubConfig
from .model import Deployment, Finding, resolve, shown, snippet_key
from .signin_rules import NOBODY, OPEN_DOORS, RULES, Authenticator
from .snippets import ANY, ClassName

SIGN_IN_TRAITS = frozenset(
    {
        "blocked_users",
        "manage_groups",
        "auth_state_groups_key",
        "claim_groups_key",
        "user_groups_claim",
        "idps",
        "password_groups",
        "open_signup",
        "enable_signup",
        "create_users",
        "whitelist",
        "group_whitelist",
        "user_auth_state_key",
    }
)
"""Traits that decide who signs in as whom, besides every ``allow*`` and ``admin_*`` one."""


def guards(trait: str) -> bool:
    """Whether a trait of the authenticator decides who may sign in (and as whom)."""
    return trait == ANY or trait.startswith(("allow", "admin_")) or trait in SIGN_IN_TRAITS


def check(d: Deployment) -> list[Finding]:
    """The sign-in invariants (see the module docstring)."""
    replaced = _class_replaced(d)
    if replaced:
        return replaced
    found = _opaque_writes(d)
    found += _traits_changed(d)
    auth = effective_authenticator(d)
    found += _deprecated(d)
    found += _startup_rules(d, auth)
    found += _open_doors(d, auth)
    found += _groups_claim_released(d.settings)
    return found


# --- 1. the class --------------------------------------------------------------------------------


def class_name(value: Any) -> str | None:
    """The class name an ``authenticator_class`` value names (an entry point name, an import
    path or an imported class), or None when it names none the hub image ships."""
    if isinstance(value, ClassName):
        return value.name
    if not isinstance(value, str) or not value:
        return None
    catalogue = authenticators.load_catalogue()
    cls = catalogue.of(value)
    if cls is not None:
        return cls.section
    name = value.replace(":", ".").rsplit(".", 1)[-1]
    known = {c.section for c in catalogue.classes.values()}
    return name if name in known else value


def _class_replaced(d: Deployment) -> list[Finding]:
    typed = d.settings.auth.type
    wanted = class_name(typed)
    value, _ = resolve(d.hub, ("JupyterHub",), "authenticator_class")
    origin = d.hub.origins.get(("JupyterHub", "authenticator_class"), ())
    found = []
    if class_name(value) != wanted:
        key = d.key(*origin) if origin else f"{PROJECT}:auth.type"
        found.append(
            Finding(
                key,
                f"{excerpt(_shown(value))}: replaces auth.type {typed} ({wanted}), so the hub "
                f"would sign users in with {class_name(value) or 'another class'} instead; "
                f"remove it and set {PROJECT}:auth.type",
            )
        )
    for write in d.opaque:
        if (write.section, write.trait) in (("JupyterHub", "authenticator_class"), (ANY, ANY)):
            found.append(_opaque(write, "auth.type"))
    return found


def _shown(value: Any) -> Any:
    return value.name if isinstance(value, ClassName) else value


# --- 2. the traits -------------------------------------------------------------------------------


def _typed_key(d: Deployment, trait: str) -> str:
    typed = authenticators.typed_traits(d.settings.auth.type)
    return typed.get(trait, f"auth.options.{trait}")


def _opaque_writes(d: Deployment) -> list[Finding]:
    sections = d.auth_sections()
    return [
        _opaque(write, _typed_key(d, write.trait) if write.trait != ANY else "auth")
        for write in d.opaque
        if write.section in (*sections, ANY)
        and guards(write.trait)
        and (write.section, write.trait) != (ANY, ANY)  # reported once, with the class
    ]


def _opaque(write: Any, typed: str) -> Finding:
    target = f"c.{write.section}.{write.trait}".replace(f".{ANY}", "[...]")
    return Finding(
        snippet_key(write.snippet),
        f"line {write.line} writes {target} with code check cannot read, and the hub's sign-in "
        f"must be what the stack says; set {PROJECT}:{typed} instead",
    )


def _normal(value: Any) -> Any:
    # set-valued traits (allowed_users, admin_users) compare as sets
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    return value


def _traits_changed(d: Deployment) -> list[Finding]:
    sections = d.auth_sections()
    names = {
        trait
        for hub in (d.hub, d.intent)
        for section in sections
        for trait in hub.sections.get(section, {})
        if guards(trait)
    }
    found = []
    for trait in sorted(names):
        value, section = resolve(d.hub, sections, trait)
        wanted, wanted_section = resolve(d.intent, sections, trait)
        if _normal(value) == _normal(wanted):
            continue
        origin = d.hub.origins.get((section, trait)) if section else None
        if origin is None:  # removed (a null in helmValues): where the typed value was
            origin = ("hub", "config", wanted_section or sections[0], trait)
        key = d.key(*origin)
        typed = _typed_key(d, trait)
        says = "nothing" if wanted is MISSING else shown(wanted)
        found.append(
            Finding(
                key,
                f"{shown(None if value is MISSING else value)}: changes who may sign in "
                f"({section or sections[0]}.{trait}) where {typed} says {says}; remove it and "
                f"set {PROJECT}:{typed}",
            )
        )
    return found


# --- 3. deprecated aliases -----------------------------------------------------------------------


def _deprecated(d: Deployment) -> list[Finding]:
    cls = d.auth_class()
    found = []
    for section in d.auth_sections():
        for trait in d.hub.sections.get(section, {}):
            spec = cls.traits.get(trait)
            if spec is None or spec.deprecated is None or trait in d.settings.auth.options:
                continue  # auth.options are refused by the settings, with their replacement
            origin = d.hub.origins.get((section, trait), ())
            use = spec.deprecated or "nothing (it has no effect)"
            found.append(
                Finding(
                    d.key(*origin),
                    f"{section}.{trait} is deprecated (the class reads {use} instead); remove it"
                    f" and set {PROJECT}:{_typed_key(d, spec.deprecated or trait)}",
                )
            )
    return found


# --- 4. start-up rules ---------------------------------------------------------------------------


def effective_authenticator(d: Deployment, hub: HubConfig | None = None) -> Authenticator:
    """The typed class with the traits the effective config gives it."""
    hub = hub or d.hub
    sections = d.auth_sections()
    traits: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for section in sections:
        for trait, value in hub.sections.get(section, {}).items():
            if trait not in traits:
                traits[trait] = value
                owners[trait] = section
    hub_env = {str(name) for name, _ in env_items(d.chart_map("hub").get("extraEnv"))}
    return Authenticator(
        section=sections[0],
        sections=tuple(sections),
        traits=traits,
        from_environment=frozenset(d.settings.auth.secret_options),
        hub_env=frozenset(hub_env),
        owners=owners,
    )


def _startup_rules(d: Deployment, auth: Authenticator) -> list[Finding]:
    found = []
    for rule in RULES:
        trait = rule.fault(auth)
        if trait is None:
            continue
        owner = auth.owners.get(trait)
        origin = d.hub.origins.get((owner, trait)) if owner else None
        key = d.key(*origin) if origin else f"{PROJECT}:auth.type"
        value = excerpt(auth.get(trait) if trait in auth.traits else d.settings.auth.type)
        said = _fill(rule.message, cls=auth.section, trait=trait or "?")
        fix = _fill(rule.fix, trait=trait, manage_groups=_typed_key(d, "manage_groups"))
        found.append(
            Finding(
                key,
                f'{value}: {auth.section} {rule.effect} ("{said}"); {fix}',
                warning=rule.effect == NOBODY,
            )
        )
    return found


def _fill(text: str, **names: str) -> str:
    """The rule's text with ``{name}`` filled in (other braces are the text's own)."""
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    return text


# --- 5. open doors under protect -----------------------------------------------------------------


def _open_doors(d: Deployment, auth: Authenticator) -> list[Finding]:
    if not d.settings.protect or d.settings.auth.type in ("dummy", "tmp"):
        return []  # dummy and tmp are refused by the settings already, with their own line
    return [
        Finding(
            f"{PROJECT}:auth.type",
            f"{d.settings.auth.type}: {auth.section} {door.why}, and protected stacks need "
            "real sign-in; use generic-oauth (or another provider's OAuth type)",
        )
        for door in OPEN_DOORS
        if door.section in auth.sections and door.opens(auth)
    ]


# --- 6. the groups claim reaches the hub ---------------------------------------------------------


def _groups_claim_released(settings: Settings) -> list[Finding]:
    """generic-oauth's groups claim against eduTEAMS' table (Up2U's provider; the other OAuth
    types are their providers' own, with claims this project has no table for)."""
    auth = settings.auth
    if authkeys.GENERIC not in auth.sections:
        return []
    claim = auth.groups_claim
    scopes = auth.effective_scope or []
    if claim is None or claims.released(claim, scopes):
        return []
    wanted = claims.scopes_for(claim)
    if wanted:
        fix = f"add {' or '.join(wanted)} to {PROJECT}:auth.scope"
        why = f"eduTEAMS releases it only for scope {' or '.join(wanted)}, which is not requested"
    else:
        import difflib

        close = difflib.get_close_matches(claim, claims.known_claims(), n=1, cutoff=0.6)
        fix = f"did you mean {close[0]}?" if close else "use a claim eduTEAMS releases"
        why = "eduTEAMS releases no claim of that name for any scope"
    return [
        Finding(
            f"{PROJECT}:auth.groupsClaim",
            f"{excerpt(claim)}: {why} (auth.scope {shown(scopes)}), so no user would have "
            f"groups and every group rule would let nobody in; {fix}",
            warning=True,
        )
    ]
