"""Which claims an OpenID Connect provider releases for which scopes: one table per provider.

A claim a hub reads (``auth.usernameClaim``, ``auth.groupsClaim``) reaches it only when one of
the requested scopes (``auth.scope``) releases it; a forgotten scope or a misspelt claim does
not fail at sign-in, it just leaves the claim out, and every group-admitted user gets a 403.
``check`` warns from this table, and the preview's local provider releases claims by the same
table (``preview/provider.py``), so the preview fails the way production would.

eduTEAMS is the default profile: it is Up2U's provider. Each entry names its source. Entries
marked UNCONFIRMED come from GÉANT pages for services on the same platform (MyAcademicID,
MyAccessID) or from public client code, not from a page about proxy.eduteams.org itself; the
research notes (/work/research/auth-and-rules.md, section 2) list what could not be confirmed.
"""

from collections.abc import Iterable, Mapping

EDUTEAMS: Mapping[str, tuple[str, ...]] = {
    # eduTEAMS identifier, always released (GÉANT wiki "eduTEAMS ... attributes / claims",
    # pageId=143393425 and pageId=143393370: `sub` with scope openid, "Mandatory")
    "openid": ("sub",),
    # same page (pageId=143393370): `name` Mandatory; `given_name`, `family_name` Optional
    "profile": ("name", "given_name", "family_name"),
    # the eduTEAMS username, user-chosen and changeable (pageId=143393343, versions 9 -> 10)
    "eduperson_principal_name": ("eduperson_principal_name",),
    # UNCONFIRMED for proxy.eduteams.org: documented for MyAccessID on the same platform
    # (wiki.geant.org pageId=685769423, versions 6 -> 7)
    "email": ("email",),
    # UNCONFIRMED for proxy.eduteams.org: documented for MyAcademicID, which runs on eduTEAMS
    # (erasmus.eduteams.org; wiki.geant.org pageId=578256897, versions 1 -> 2)
    "eduperson_entitlement": ("eduperson_entitlement",),
    # UNCONFIRMED: documented for MyAccessID (kb.pert.geant.net pageId=686195575)
    "eduperson_assurance": ("eduperson_assurance",),
    # UNCONFIRMED: documented for MyAccessID ("schac_home_organization" or "aarc"), pageId=685769423
    "schac_home_organization": ("schac_home_organization",),
    "aarc": ("schac_home_organization",),
    # UNCONFIRMED: requested by a public Auth.js eduTEAMS provider (issuer proxy.eduteams.org;
    # search index id 32301411372, repository unknown), not on an eduTEAMS page
    "voperson_scoped_affiliation": ("voperson_scoped_affiliation",),
    "voperson_unique_id": ("voperson_unique_id",),
}
"""eduTEAMS (proxy.eduteams.org): scope -> the claims it releases."""

OIDC_CORE: Mapping[str, tuple[str, ...]] = {
    # OpenID Connect Core 1.0, section 5.4 "Requesting Claims using Scope Values"
    # (https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims)
    "openid": ("sub",),
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
"""A provider that releases only the standard claims, by the standard scopes."""

PROFILES: Mapping[str, Mapping[str, tuple[str, ...]]] = {"eduteams": EDUTEAMS, "oidc": OIDC_CORE}
DEFAULT_PROFILE = "eduteams"


def released(claim: str, scopes: Iterable[str], profile: str = DEFAULT_PROFILE) -> bool:
    """Whether a request for ``scopes`` gets ``claim``."""
    table = PROFILES[profile]
    return any(claim in table.get(scope, ()) for scope in scopes)


def scopes_for(claim: str, profile: str = DEFAULT_PROFILE) -> list[str]:
    """The scopes that release ``claim`` (none: the provider never releases it)."""
    return [scope for scope, claims in PROFILES[profile].items() if claim in claims]


def known_claims(profile: str = DEFAULT_PROFILE) -> list[str]:
    """Every claim the provider releases for some scope."""
    return sorted({claim for claims in PROFILES[profile].values() for claim in claims})
