"""The preview's identity provider: oidc-provider-mock, releasing claims as eduTEAMS does.

``python -m up2u_jupyter.preview.provider [--profile eduteams] <oidc-provider-mock options>``.

oidc-provider-mock 0.3.4 releases a claim by scope only when the claim is one of OpenID
Connect's standard ones: ``_user_claims_for_scope`` (``oidc_provider_mock/_app.py`` lines
139-152) keeps every claim that is not in ``_STANDARD_CLAIMS`` whatever the scope, and gives a
standard one only when a requested scope lists it in ``_SCOPES_TO_CLAIMS`` (lines 155-178). A
client's requested scopes are also cut to ``Client.SCOPES_SUPPORTED`` (``_storage.py`` lines
42-48, used by ``get_allowed_scope``). So with the mock as it is, a group claim reaches the hub
whatever the stack asks for, and the preview hides the forgotten scope that makes every group
member's sign-in fail in production.

This launcher changes only those tables, before the mock starts: the scopes and claims of the
profile (``deployment/claims.py``: eduTEAMS by default), and, as "standard" (released only by
a scope that lists it), every claim the profile knows and every claim of the preview's user
table. A claim no scope of the profile releases (a misspelt one) is then never released, and
one whose scope the stack does not request is withheld, as the real provider does.
"""

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..deployment.claims import DEFAULT_PROFILE, PROFILES

PROFILE_OPTION = "--profile"


def configure(profile: str, users: Sequence[dict[str, object]]) -> None:
    """Make the mock release claims as ``profile`` does (see the module docstring)."""
    from oidc_provider_mock import _app, _storage  # type: ignore[import-untyped]

    table = PROFILES[profile]
    _app._SCOPES_TO_CLAIMS.clear()
    _app._SCOPES_TO_CLAIMS.update({scope: list(claims) for scope, claims in table.items()})
    standard = {claim for claims in table.values() for claim in claims}
    standard |= {name for user in users for name in user if name != "sub"}
    _app._STANDARD_CLAIMS.clear()
    _app._STANDARD_CLAIMS.update(standard)
    _storage.Client.SCOPES_SUPPORTED = tuple(dict.fromkeys(["openid", *table]))


def provider_users(oauth: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A user table for the local provider: one member of each allowed and each admin group.

    The groups reach the hub in the claim that ``auth_state_groups_key`` names
    (``oauth_user.<claim>``, a dotted path into the userinfo reply), so the stack's group
    rules run as they would against eduTEAMS.
    """
    users = []
    for role, groups in (("member", oauth.get("allowed_groups")),
                         ("admin", oauth.get("admin_groups"))):  # fmt: skip
        for number, group in enumerate(groups or [], start=1):
            user = provider_user(oauth, f"group-{role}-{number}", [group])
            if user is not None:
                users.append(user)
    return users


def provider_user(oauth: Mapping[str, Any], sub: str, groups: list[str]) -> dict[str, Any] | None:
    """One user of the local provider, in ``groups`` (None when the stack reads no groups)."""
    key = oauth.get("auth_state_groups_key")
    if not isinstance(key, str) or not key.startswith("oauth_user."):
        return None
    path = key.removeprefix("oauth_user.").split(".")
    username_claim = oauth.get("username_claim", "preferred_username")
    claims: dict[str, Any] = {"sub": sub}
    node = claims
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = list(groups)
    if isinstance(username_claim, str) and username_claim != "sub":
        claims[username_claim] = sub
    return claims


def main(argv: Sequence[str]) -> None:
    """Configure the tables from ``--profile`` and the ``--user-claims`` options, then run the
    mock's own command with the other options."""
    args = list(argv)
    profile = DEFAULT_PROFILE
    if PROFILE_OPTION in args:
        at = args.index(PROFILE_OPTION)
        profile = args[at + 1]
        del args[at : at + 2]
    users = []
    for index, arg in enumerate(args):
        text = arg.removeprefix("--user-claims=") if arg.startswith("--user-claims=") else None
        if arg == "--user-claims" and index + 1 < len(args):
            text = args[index + 1]
        if text is not None:
            try:
                claims = json.loads(text)
            except ValueError:
                continue  # the mock reports it
            if isinstance(claims, dict):
                users.append(claims)
    configure(profile, users)
    import oidc_provider_mock.__main__ as mock_command  # type: ignore[import-untyped]

    mock_command.app = _with_local_templates(mock_command.app)
    mock_command.run(args, prog_name="oidc-provider-mock")


TEMPLATES = Path(__file__).with_name("provider_templates")
"""Our page frame and error page, looked up before the mock's own: its frame loads a
stylesheet from a CDN (cdn.jsdelivr.net), and the preview makes no outside request."""


def _with_local_templates(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """The mock's Flask app factory, its apps looking in ``TEMPLATES`` first."""
    import jinja2

    def make(*args: Any, **kwargs: Any) -> Any:
        app = make_app(*args, **kwargs)
        app.jinja_loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(TEMPLATES)), app.jinja_loader]
        )
        return app

    return make


if __name__ == "__main__":
    main(sys.argv[1:])
