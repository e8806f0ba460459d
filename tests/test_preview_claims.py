"""The preview fails a forgotten group scope the way eduTEAMS does (e2e: the real hub, proxy and
local provider of ``make preview``, signed in through the authorization-code flow over HTTP).

The dev stack asks for ``eduperson_entitlement``, the scope that releases its group claim; a
member of its allowed group gets in. The same stack without that scope gets the hub's 403, as
on eduTEAMS: the provider withholds the claim, so the member has no groups.
"""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.conftest import committed_settings
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


class _Manual(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # each hop is followed by hand, so its status is seen


def sign_in_as_group_member(preview: Preview) -> int:
    """The status the hub answers the callback with, signed in as group-member-1."""
    opener = urllib.request.build_opener(
        _Manual, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def hop(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with opener.open(url, data=data, timeout=60) as response:
                return response.status, ""
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Location", "")

    _, authorize = hop(preview.url + "oauth_login")
    _, callback = hop(authorize, {"sub": "group-member-1"})
    status, _ = hop(urllib.parse.urljoin(preview.url, callback))
    return status


def test_a_group_member_gets_in_when_the_groups_scope_is_requested():
    settings = committed_settings("dev")
    assert "eduperson_entitlement" in settings.auth.scope
    with Preview(settings, "dev", port=free_port()) as preview:
        assert sign_in_as_group_member(preview) == 302  # on to the user's server


def test_a_forgotten_groups_scope_locks_group_members_out_as_on_eduteams():
    settings = committed_settings("dev", auth={"scope": ["openid"]})
    with Preview(settings, "dev", port=free_port()) as preview:
        assert sign_in_as_group_member(preview) == 403
