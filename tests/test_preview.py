"""The preview's plan and hub config, without starting anything (the browser suite runs them)."""

import sys

import pytest
from traitlets.config import Config

from tests.conftest import ROOT, committed_settings, minimal_config
from up2u_jupyter import hubconfig
from up2u_jupyter.credentials import BY_KEY
from up2u_jupyter.preview import Ports, PreviewError, local_plan, require_free
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import ChartSecrets, build_values

PORTS = Ports(public=8000, hub=8081, proxy_api=8001, oidc=9400)


def test_plan_keeps_the_stack_values_and_swaps_only_local_things():
    settings = committed_settings("dev")
    plan = local_plan(settings, PORTS)
    deployed = build_values(settings, ChartSecrets("a", "b", "c"))
    oauth = plan.values["hub"]["config"]["GenericOAuthenticator"]
    for key in (
        "client_id",
        "username_claim",
        "scope",
        "login_service",
        "allow_all",
        "allowed_users",
    ):
        assert oauth[key] == deployed["hub"]["config"]["GenericOAuthenticator"][key], key
    assert (
        plan.values["hub"]["config"]["Authenticator"] == deployed["hub"]["config"]["Authenticator"]
    )
    for key in ("activeServerLimit", "concurrentSpawnLimit", "templateVars"):
        assert plan.values["hub"][key] == deployed["hub"][key]
    assert plan.values["cull"] == deployed["cull"]
    assert plan.values["singleuser"]["defaultUrl"] == "/lab"
    # the swaps
    assert oauth["authorize_url"] == "http://127.0.0.1:9400/oauth2/authorize"
    assert oauth["token_url"] == "http://127.0.0.1:9400/oauth2/token"
    assert oauth["userdata_url"] == "http://127.0.0.1:9400/userinfo"
    assert oauth["oauth_callback_url"] == "http://127.0.0.1:8000/hub/oauth_callback"
    assert plan.values["hub"]["templatePaths"] == [str(ROOT / "images" / "hub" / "templates")]
    assert plan.env == {"OAUTH_CLIENT_SECRET": BY_KEY["oauthClientSecret"].preview}
    assert any("local OpenID Connect provider" in swap for swap in plan.swaps)


def test_plan_generates_fresh_chart_secrets_each_run():
    first, second = (local_plan(committed_settings("dev"), PORTS).values for _ in range(2))
    assert first["proxy"]["secretToken"] != second["proxy"]["secretToken"]
    assert len(bytes.fromhex(first["hub"]["cookieSecret"])) == 32


def test_plan_lists_who_may_sign_in():
    plan = local_plan(committed_settings("dev"), PORTS)
    assert plan.sign_in_as == [
        "5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org",
    ]


def test_github_stacks_cannot_be_previewed():
    settings = load_settings(
        minimal_config(auth={"type": "github", "clientId": "c", "allowAll": True}), "x"
    )
    with pytest.raises(PreviewError, match="preview a generic-oauth, dummy or tmp stack"):
        local_plan(settings, PORTS)


def test_busy_port_is_one_line():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PreviewError, match=rf"^port {port} on 127.0.0.1 is busy; "):
            require_free(port)


def test_apply_values_configures_what_the_chart_configures():
    c = Config()
    plan = local_plan(committed_settings("dev"), PORTS)
    hubconfig.apply_values(c, plan.values, hub_api_url="http://127.0.0.1:8081/hub/api")
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    assert c.JupyterHub.active_server_limit == 10
    assert c.JupyterHub.concurrent_spawn_limit == 5
    assert c.JupyterHub.template_vars == {
        "environment": "development",
        "supportUrl": "https://up2u.example.org/support",
    }
    assert c.Spawner.default_url == "/lab"
    assert c.Authenticator.admin_users == ["5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org"]
    health, culler = c.JupyterHub.services
    assert health == {
        "name": "health-check",
        "api_token": plan.values["hub"]["services"]["health-check"]["apiToken"],
    }
    assert culler["command"] == [
        sys.executable,
        "-m",
        "jupyterhub_idle_culler",
        "--url=http://127.0.0.1:8081/hub/api",
        "--timeout=900",
        "--cull-every=120",
    ]
    health_role, culler_role = c.JupyterHub.load_roles
    assert health_role["name"] == "health-check" and health_role["services"] == ["health-check"]
    assert culler_role == {"name": "jupyterhub-idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler"]}  # fmt: skip


def test_culling_users_needs_admin_scope_and_flag():
    command = hubconfig.culler_command(
        {"timeout": 60, "every": 10, "users": True, "maxAge": 7200}, "u"
    )
    assert command[3:] == [
        "--url=u",
        "--timeout=60",
        "--cull-every=10",
        "--max-age=7200",
        "--cull-users",
    ]
    c = Config()
    hubconfig.apply_values(c, {"cull": {"enabled": True, "users": True}}, "u")
    assert "admin:users" in c.JupyterHub.load_roles[0]["scopes"]


def test_disabled_culling_adds_no_service():
    c = Config()
    hubconfig.apply_values(c, {"cull": {"enabled": False}}, "u")
    assert "services" not in c.JupyterHub


def test_extra_config_runs_last_in_name_order():
    c = Config()
    values = {"hub": {"activeServerLimit": 3,
                      "extraConfig": {"b": "c.JupyterHub.active_server_limit += 10",
                                      "a": "c.JupyterHub.active_server_limit *= 2"}}}  # fmt: skip
    hubconfig.apply_values(c, values, "u")
    assert c.JupyterHub.active_server_limit == 16
