"""The preview's plan and hub config, without starting anything (the browser suite runs them)."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

import pytest
from traitlets.config import Config, PyFileConfigLoader

from tests.conftest import ROOT, committed_settings, minimal_config
from up2u_jupyter.args import port
from up2u_jupyter.chart import schema as chartschema
from up2u_jupyter.credentials import BY_KEY
from up2u_jupyter.preview import hubconfig
from up2u_jupyter.preview import plan as preview
from up2u_jupyter.preview.hubvalues import HubValues
from up2u_jupyter.preview.plan import HOST, Ports, PreviewError, local_plan
from up2u_jupyter.preview.processes import Preview, require_free
from up2u_jupyter.preview.provider import provider_users
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import ChartSecrets, build_values

PORTS = Ports(public=8000, hub=8081, proxy_api=8001, oidc=9400)
OURS = "registry.up2u.example.org/jupyter/k8s-singleuser"
GROUPS = {
    "auth_state_groups_key": "oauth_user.eduperson_entitlement",
    "allowed_groups": ["urn:geant:eduteams.org:service:up2u:group:students"],
    "admin_groups": ["urn:geant:eduteams.org:service:up2u:group:teachers"],
    "manage_groups": True,
}


def dev_with(**helm_values):
    """The dev stack with ``helmValues`` (chart values, as another stack would render them)."""
    return committed_settings("dev", helmValues=helm_values)


def config_for(values, **kwargs):
    c = Config()
    hubconfig.apply_values(c, values, "http://127.0.0.1:8081/hub/api", **kwargs)
    return c


# --- the plan -------------------------------------------------------------------------------


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
    assert deployed["cull"].items() <= plan.values["cull"].items()  # the chart's defaults under
    assert plan.values["singleuser"]["defaultUrl"] == "/lab"
    # the swaps
    assert oauth["authorize_url"] == "http://127.0.0.1:9400/oauth2/authorize"
    assert oauth["token_url"] == "http://127.0.0.1:9400/oauth2/token"
    assert oauth["userdata_url"] == "http://127.0.0.1:9400/userinfo"
    assert oauth["oauth_callback_url"] == "http://127.0.0.1:8000/hub/oauth_callback"
    assert plan.values["hub"]["templatePaths"] == [str(ROOT / "images" / "hub" / "templates")]
    forget_token = plan.env.pop(FORGET_TOKEN_ENV)  # generated per run (tests/test_pupildata_*)
    assert len(bytes.fromhex(forget_token)) == 32
    assert plan.env == {
        "OAUTH_CLIENT_SECRET": BY_KEY["oauthClientSecret"].preview,
        # what the chart's hub pod has: its release, namespace and Service variables
        "HELM_RELEASE_NAME": settings.release_name,
        "POD_NAMESPACE": settings.namespace,
        "HUB_SERVICE_HOST": "127.0.0.1",
        "HUB_SERVICE_PORT": "8081",
        "PROXY_API_SERVICE_HOST": "127.0.0.1",
        "PROXY_API_SERVICE_PORT": "8001",
        "PROXY_PUBLIC_SERVICE_HOST": "127.0.0.1",
        "PROXY_PUBLIC_SERVICE_PORT": "8000",
    }
    assert plan.host == HOST == "127.0.0.1"
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PreviewError, match=rf"^port {port} on 127.0.0.1 is busy; "):
            require_free(port)


@pytest.mark.parametrize("text", ["0", "65536", "70000", "-1", "80a", ""])
def test_ports_outside_1_to_65535_are_refused_by_the_parser(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"is not a port; use 1 to 65535$"):
        port(text)


@pytest.mark.parametrize("text", ["1", "8000", "65535"])
def test_ports_1_to_65535_are_accepted(text):
    assert port(text) == int(text)


@pytest.mark.parametrize("bad", [0, 70000])
def test_a_preview_on_a_bad_port_starts_nothing(bad, monkeypatch):
    made = []
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: made.append(kw) or "/nonexistent")
    with pytest.raises(PreviewError, match=rf"^{bad} is not a port; use 1 to 65535$"):
        Preview(committed_settings("dev"), "dev", port=bad)
    assert made == []  # not even the state folder


def test_up2u_templates_only_where_the_stack_names_the_hub_images_folder():
    named = local_plan(committed_settings("dev"), PORTS)
    assert named.values["hub"]["templatePaths"] == [str(preview.TEMPLATES)]
    for paths in ([], ["/srv/other/templates"]):
        plan = local_plan(committed_settings("dev", hub={"templatePaths": paths}), PORTS)
        assert plan.values["hub"]["templatePaths"] == []
        assert any("JupyterHub's stock pages" in swap for swap in plan.swaps)


def test_the_hub_image_carries_the_templates_where_the_preview_expects_them():
    dockerfile = (ROOT / "images" / "hub" / "Dockerfile").read_text()
    assert f"COPY images/hub/templates/ {preview.IMAGE_TEMPLATES}/" in dockerfile


def test_the_up2u_theme_only_for_the_user_image_built_from_images_singleuser():
    ours = committed_settings("dev", singleuser={"image": {"name": OURS, "tag": "1.2.3"}})
    plan = local_plan(ours, PORTS)
    assert plan.lab_theme is True
    other = committed_settings("dev", singleuser={"image": {"name": "quay.io/x/y", "tag": "1"}})
    plan = local_plan(other, PORTS)
    assert plan.lab_theme is False
    assert any(
        "quay.io/x/y:1 is not built from images/singleuser" in swap
        and "the stack's image decides" in swap
        for swap in plan.swaps
    )


def test_the_user_image_name_is_the_one_the_images_workflow_pushes():
    workflow = (ROOT / ".github" / "workflows" / "images.yml").read_text()
    assert "images: ${{ vars.IMAGE_REGISTRY }}/jupyter/k8s-${{ matrix.image }}" in workflow
    assert (ROOT / "images" / "singleuser" / "Dockerfile").is_file()
    assert preview.USER_IMAGE == "jupyter/k8s-singleuser"  # matrix.image = the folder name


def test_the_theme_wheel_turns_off_news_and_the_update_check():
    overrides = json.loads(preview.THEME_OVERRIDES.read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"checkForUpdates": False, "fetchNews": "false"}
    schema = json.loads(
        (
            ROOT
            / ".venv/share/jupyter/lab/schemas/@jupyterlab/apputils-extension/notification.json"
        ).read_text()
    )
    assert set(notification) <= set(schema["properties"])  # real setting ids of JupyterLab 4.5
    package = json.loads((ROOT / "theme" / "package.json").read_text())
    assert package["name"] == preview.THEME_EXTENSION


def test_the_stacks_listening_keys_are_named_in_the_swap_list():
    settings = dev_with(
        hub={
            "config": {
                "JupyterHub": {"bind_url": "http://0.0.0.0:8000", "hub_ip": "0.0.0.0"},
                "Spawner": {"ip": "0.0.0.0"},
            }
        }
    )
    swap = next(s for s in local_plan(settings, PORTS).swaps if s.startswith("every listening"))
    assert swap == (
        "every listening address -> 127.0.0.1 only, set after the stack's hub.config and "
        "hub.extraConfig (overrides JupyterHub.bind_url, JupyterHub.hub_ip, Spawner.ip)"
    )


def test_the_provider_gets_a_member_of_each_allowed_and_admin_group():
    users = provider_users({"username_claim": "sub", **GROUPS})
    assert users == [
        {
            "sub": "group-member-1",
            "eduperson_entitlement": ["urn:geant:eduteams.org:service:up2u:group:students"],
        },
        {
            "sub": "group-admin-1",
            "eduperson_entitlement": ["urn:geant:eduteams.org:service:up2u:group:teachers"],
        },
    ]


def test_a_nested_groups_claim_and_another_username_claim_reach_the_provider():
    users = provider_users(
        {"username_claim": "preferred_username", "auth_state_groups_key": "oauth_user.a.groups",
         "allowed_groups": ["g"]}
    )  # fmt: skip
    assert users == [{"sub": "group-member-1", "a": {"groups": ["g"]},
                      "preferred_username": "group-member-1"}]  # fmt: skip


def test_no_group_rule_no_provider_users():
    prod = committed_settings("prod", hub={"image": {"name": "local", "tag": "x"}})
    assert local_plan(prod, PORTS).provider_users == []


def test_the_dev_stacks_group_gets_a_member_at_the_provider():
    member, *_ = local_plan(committed_settings("dev"), PORTS).provider_users
    assert member == {
        "sub": "group-member-1",
        "eduperson_entitlement": [
            "urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org"
        ],
    }


def test_group_rules_in_the_stacks_values_reach_the_plan():
    plan = local_plan(dev_with(hub={"config": {"GenericOAuthenticator": GROUPS}}), PORTS)
    by_group = [u["sub"] for u in plan.provider_users if u["sub"].startswith("group-")]
    assert by_group == ["group-member-1", "group-admin-1"]  # the class's are the stack's own


def test_profiles_and_kubernetes_only_variables_are_in_the_swap_list():
    settings = dev_with(
        singleuser={
            "extraEnv": {"FROM_SECRET": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}},
            "profileList": [{"display_name": "Small", "slug": "small"}],
        }
    )
    swaps = local_plan(settings, PORTS).swaps
    assert "singleuser.extraEnv FROM_SECRET (read from Kubernetes objects) -> not set" in swaps
    assert any(
        s.startswith("singleuser.profileList (1 profiles) -> the same choice as a server-options")
        and "its image, cpu, memory" in s
        for s in swaps
    )


# --- hubconfig: the chart's order ------------------------------------------------------------


def test_apply_values_configures_what_the_chart_configures(monkeypatch):
    plan = local_plan(committed_settings("dev"), PORTS)
    monkeypatch.setenv(FORGET_TOKEN_ENV, plan.env[FORGET_TOKEN_ENV])  # extraConfig reads it
    c = config_for(plan.values)
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    assert c.JupyterHub.active_server_limit == 10
    assert c.JupyterHub.concurrent_spawn_limit == 5
    assert c.JupyterHub.template_vars == {
        "environment": "development",
        "supportUrl": "https://up2u.example.org/support",
        # what the admin page says deleting a user does (tests/test_pupildata_browser.py)
        "dataProtection": {"deleteVolumeWithUser": False, "retention": ""},
    }
    assert c.Spawner.default_url == "/lab"
    assert c.Authenticator.admin_users == ["5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org"]
    assert c.JupyterHub.cookie_secret == plan.values["hub"]["cookieSecret"]
    # the chart's order: the culler first, then hub.services (lines 340-402), then extraConfig
    culler, health, forget = c.JupyterHub.services
    assert forget == {"name": "forget-user", "api_token": plan.env[FORGET_TOKEN_ENV]}
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
        # the chart's default concurrency (10), when its values.yaml is there, as on the cluster
        *[f"--concurrency={n}" for n in [plan.values["cull"].get("concurrency")] if n],
    ]
    culler_role, health_role, forget_role, *class_roles = c.JupyterHub.load_roles
    assert forget_role["services"] == ["forget-user"]
    assert [r["name"] for r in class_roles] == ["class-maths-3a-teachers", "class-maths-3a-sharing"]
    assert health_role["name"] == "health-check" and health_role["services"] == ["health-check"]
    assert culler_role == {"name": "jupyterhub-idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler"]}  # fmt: skip


def test_hub_config_wins_over_the_hub_keys_as_in_the_chart():
    # the chart applies hub.activeServerLimit (line 92) before hub.config (line 474)
    values = {
        "hub": {
            "activeServerLimit": 3,
            "templateVars": {"environment": "development"},
            "config": {"JupyterHub": {"active_server_limit": 7}},
        }
    }
    c = config_for(values)
    assert c.JupyterHub.active_server_limit == 7
    assert c.JupyterHub.template_vars == {"environment": "development"}


def test_hub_config_cannot_replace_the_secret_held_values():
    values = {
        "hub": {
            "cookieSecret": "ab" * 32,
            "config": {
                "JupyterHub": {"services": [{"name": "sneaky"}], "log_level": "WARN"},
                "ConfigurableHTTPProxy": {"auth_token": "in-values"},
            },
        }
    }
    c = config_for(values)
    assert c.JupyterHub.cookie_secret == "ab" * 32
    assert [s["name"] for s in c.JupyterHub.services] == ["jupyterhub-idle-culler"]
    assert "auth_token" not in c.ConfigurableHTTPProxy
    assert c.JupyterHub.log_level == "WARN"


def test_culling_users_needs_admin_scope_and_flag():
    command = hubconfig.culler_command(
        {"timeout": 60, "every": 10, "users": True, "maxAge": 7200}, "u"
    )
    assert command[3:] == [
        "--url=u",
        "--timeout=60",
        "--cull-every=10",
        "--cull-users",
        "--max-age=7200",
    ]
    c = Config()
    hubconfig.apply_values(c, {"cull": {"enabled": True, "users": True}}, "u")
    assert "admin:users" in c.JupyterHub.load_roles[0]["scopes"]


def test_disabled_culling_adds_no_service():
    c = config_for({"cull": {"enabled": False}})
    assert c.JupyterHub.services == []


def test_the_spawner_gets_the_string_variables_and_the_profile_list():
    profiles = [{"display_name": "Small", "slug": "small", "default": True}]
    values = {
        "singleuser": {
            "extraEnv": {"COURSE": "maths", "TOKEN": {"valueFrom": {"secretKeyRef": {}}}},
            "profileList": profiles,
        }
    }
    c = config_for(values, spawner_section="PreviewSpawner")
    assert c.PreviewSpawner.environment == {"COURSE": "maths"}
    assert c.PreviewSpawner.profile_list == profiles


def test_extra_config_runs_last_in_name_order():
    values = {"hub": {"activeServerLimit": 3,
                      "config": {"JupyterHub": {"active_server_limit": 4}},
                      "extraConfig": {"b": "c.JupyterHub.active_server_limit += 10",
                                      "a": "c.JupyterHub.active_server_limit *= 2"}}}  # fmt: skip
    assert config_for(values).JupyterHub.active_server_limit == 18


def test_extra_config_snippets_import_z2jh_and_read_the_stacks_values(monkeypatch):
    monkeypatch.syspath_prepend(str(hubconfig.Z2JH_PATH))
    values = {
        "hub": {
            "cookieSecret": "cd" * 32,
            "templateVars": {"environment": "development"},
            "services": {"grader": {}},
            "extraConfig": {
                "00-import": (
                    "from z2jh import get_config, get_secret_value, set_config_if_not_none\n"
                    "c.JupyterHub.template_vars = {'env': get_config('hub.templateVars')"
                    "['environment'], 'missing': get_config('hub.nope.deeper', 'fallback')}\n"
                    "c.Up2U.cookie = get_secret_value('hub.config.JupyterHub.cookie_secret')\n"
                    "c.Up2U.absent = get_secret_value('hub.nope', None)\n"
                    "set_config_if_not_none(c.Spawner, 'default_url', 'singleuser.defaultUrl')\n"
                    "set_config_if_not_none(c.Spawner, 'cmd', 'hub.templateVars.environment')\n"
                ),
                "01-chart-names": (  # the chart's config file defines these for snippets
                    "c.Up2U.services = [s['name'] for s in c.JupyterHub.services]\n"
                    "c.Up2U.grader = get_secret_value('hub.services.grader.apiToken')\n"
                    "c.Up2U.base = url_path_join('/hub/', 'api')\n"
                ),
            },
        },
        "singleuser": {"defaultUrl": None},
    }
    c = config_for(values)
    assert c.JupyterHub.template_vars == {"env": "development", "missing": "fallback"}
    assert c.Up2U.cookie == "cd" * 32
    assert c.Up2U.absent is None
    assert "default_url" not in c.Spawner  # null: not set
    assert c.Spawner.cmd == "development"
    assert c.Up2U.services == ["jupyterhub-idle-culler", "grader"]
    assert c.Up2U.grader == c.JupyterHub.services[1]["api_token"]  # the same generated token
    assert len(c.Up2U.grader) == 64
    assert c.Up2U.base == "/hub/api"


def test_snippets_extend_kubespawner_settings_and_the_local_spawner_gets_the_result():
    # modelled on daskhub's 00-add-dask-gateway-values (dask/helm-chart daskhub/values.yaml
    # @ d03f232c12a8a4f44bf92e9d84ab9d681776d573) and 2i2c's profile filter (2i2c-org/
    # infrastructure helm-charts/basehub/values.yaml @ 787b38d6dea9d75bf31de92e977f9182716eb25b)
    values = {
        "singleuser": {"extraEnv": {"A": "1"}, "profileList": []},
        "hub": {
            "services": {"dask-gateway": {"display": False}},
            "extraConfig": {
                "00-dask": (
                    "c.KubeSpawner.environment.setdefault('DASK_GATEWAY__ADDRESS', 'http://gw')\n"
                    "for service in c.JupyterHub.services:\n"
                    "    if service['name'] == 'dask-gateway':\n"
                    "        service.setdefault('url', 'http://traefik-dask-gateway')\n"
                ),
                "05-teams": (
                    "original = c.KubeSpawner.profile_list\n"
                    "c.Up2U.had_profiles = bool(c.KubeSpawner.profile_list)\n"
                    "async def filtered(spawner):\n"
                    "    return [p for p in original if p.get('allowed', True)]\n"
                    "c.KubeSpawner.profile_list = filtered\n"
                ),
            },
        },
    }
    c = config_for(values, spawner_section="PreviewSpawner")
    assert c.KubeSpawner.environment == {"A": "1", "DASK_GATEWAY__ADDRESS": "http://gw"}
    assert c.PreviewSpawner.environment == {"A": "1", "DASK_GATEWAY__ADDRESS": "http://gw"}
    gateway = [s for s in c.JupyterHub.services if s["name"] == "dask-gateway"]
    assert gateway[0]["url"] == "http://traefik-dask-gateway"
    assert c.Up2U.had_profiles is False  # an empty list is empty, as on the cluster
    assert callable(c.KubeSpawner.profile_list)
    # the same callable: the local spawner calls it as KubeSpawner does
    assert c.PreviewSpawner.profile_list is c.KubeSpawner.profile_list


def test_get_name_and_get_name_env_answer_as_the_charts_hub(monkeypatch):
    # bare names in snippets, as UNINETTSigma2/helm-charts' jupyterhub myConfig.py uses them
    monkeypatch.setenv("HELM_RELEASE_NAME", "course")
    monkeypatch.setenv("HUB_SERVICE_PORT", "8081")
    monkeypatch.setenv("COURSE_JUPYTERHUB_HUB_SERVICE_PORT", "9081")
    values = {
        "hub": {
            "extraConfig": {
                "names": "c.Up2U.names = [get_name('proxy-public'), "
                "get_name_env('hub', '_SERVICE_PORT')]\n"
                "from z2jh import get_name as imported\nc.Up2U.same = imported('hub')\n"
            }
        }
    }
    monkeypatch.syspath_prepend(str(hubconfig.Z2JH_PATH))
    c = config_for(values)
    assert c.Up2U.names == ["proxy-public", "8081"]  # fullnameOverride "" (the chart default)
    assert c.Up2U.same == "hub"
    named = config_for({**values, "fullnameOverride": None})
    assert named.Up2U.names == ["course-jupyterhub-proxy-public", "9081"]  # release-chart prefix


def test_the_preview_hub_has_the_environment_of_the_charts_hub_pod():
    # daskhub's snippet reads os.environ["HELM_RELEASE_NAME"] and ["POD_NAMESPACE"]
    settings = committed_settings("prod")
    plan = local_plan(settings, PORTS)
    assert plan.env["HELM_RELEASE_NAME"] == settings.release_name
    assert plan.env["POD_NAMESPACE"] == settings.namespace
    assert plan.env["PROXY_PUBLIC_SERVICE_PORT"] == str(PORTS.public)


def test_a_secret_that_is_not_in_the_chart_secret_raises_without_a_default():
    with pytest.raises(KeyError, match=r"hub\.db\.password is not set"):
        HubValues({}).get_secret_value("hub.db.password")
    with pytest.raises(KeyError, match="nope is not a key of the chart's hub Secret"):
        HubValues({}).get_secret_value("nope")


def test_get_config_hands_out_copies():
    lookups = HubValues({"hub": {"services": {"a": {"apiToken": "t"}}}})
    lookups.get_config("hub.services.a").pop("apiToken")
    assert lookups.get_config("hub.services.a.apiToken") == "t"


def test_the_hub_process_imports_z2jh_from_the_plan(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"values": {"hub": {"templateVars": {"environment": "dev"}}}}))
    env = {
        **os.environ,
        "UP2U_PREVIEW_PLAN": str(plan),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(hubconfig.Z2JH_PATH)]),
    }
    script = "from z2jh import get_config; print(get_config('hub.templateVars.environment'))"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout == "dev\n"


# --- preview/config.py: the local swaps win --------------------------------------------------


def load_preview_config(settings, tmp_path, monkeypatch):
    """What ``jupyterhub -f preview/config.py`` loads for these settings."""
    monkeypatch.syspath_prepend(str(hubconfig.Z2JH_PATH))
    plan = local_plan(settings, PORTS)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps({"values": plan.values, "env": plan.env, "host": plan.host, "ports": vars(PORTS),
                    "state": str(tmp_path), "chp": "chp", "lab_settings_dir": "lab"})
    )  # fmt: skip
    monkeypatch.setenv("UP2U_PREVIEW_PLAN", str(plan_file))
    config_file = ROOT / "up2u_jupyter" / "preview" / "config.py"
    return PyFileConfigLoader(config_file.name, str(config_file.parent)).load_config()


def test_the_hub_binds_127_0_0_1_whatever_the_stack_says(tmp_path, monkeypatch):
    from jupyterhub.app import JupyterHub

    settings = dev_with(
        hub={
            "config": {
                "JupyterHub": {"bind_url": "http://0.0.0.0:9999", "ip": "0.0.0.0", "port": 9,
                               "hub_bind_url": "http://0.0.0.0:9998", "hub_ip": "0.0.0.0"},
                "ConfigurableHTTPProxy": {"api_url": "http://0.0.0.0:9997"},
                "Spawner": {"ip": "0.0.0.0", "port": 8888},
            },
            "extraConfig": {"zz-open-up": "c.JupyterHub.hub_connect_ip = '0.0.0.0'\n"
                                          "c.PreviewSpawner.ip = '0.0.0.0'\n"
                                          "c.JupyterHub.proxy_class = 'traefik'"},
        }
    )  # fmt: skip
    config = load_preview_config(settings, tmp_path, monkeypatch)
    hub = JupyterHub(config=config)
    assert hub.bind_url == "http://127.0.0.1:8000/"
    assert (hub.ip, hub.port) == ("127.0.0.1", 8000)
    assert hub.hub_bind_url == "http://127.0.0.1:8081"
    assert hub.hub_ip == hub.hub_connect_ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8001"
    for section in ("Spawner", "LocalProcessSpawner", "PreviewSpawner"):
        assert (config[section].ip, config[section].port) == ("127.0.0.1", 0)
    assert config.JupyterHub.proxy_class == "configurable-http-proxy"
    assert config.JupyterHub.spawner_class == "up2u_jupyter.preview.spawner.PreviewSpawner"


def test_snippets_read_the_charts_defaults_under_the_stacks_values(
    tmp_path, monkeypatch, chart_defaults
):
    monkeypatch.delenv(chartschema.SCHEMA_ENV, raising=False)
    snippet = (
        "from z2jh import get_config\n"
        "c.Up2U.read = [get_config(key) for key in ('cull.concurrency', 'cull.timeout', "
        "'hub.consecutiveFailureLimit', 'hub.concurrentSpawnLimit')]\n"
    )
    settings = dev_with(hub={"extraConfig": {"50-read": snippet}})
    config = load_preview_config(settings, tmp_path, monkeypatch)
    stack = build_values(settings, ChartSecrets("a", "b", "c"))
    assert "concurrency" not in stack["cull"] and "consecutiveFailureLimit" not in stack["hub"]
    assert config.Up2U.read == [
        chart_defaults["cull"]["concurrency"],  # left to the chart: its default, as on the cluster
        stack["cull"]["timeout"],  # set by the stack: the stack's, not the chart's 3600
        chart_defaults["hub"]["consecutiveFailureLimit"],
        stack["hub"]["concurrentSpawnLimit"],
    ]
    assert stack["cull"]["timeout"] != chart_defaults["cull"]["timeout"]
    assert any("the chart's defaults" in swap for swap in local_plan(settings, PORTS).swaps)


def test_without_the_charts_values_file_the_hub_sees_the_stacks_values_and_says_so(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(tmp_path / "absent.json"))
    settings = committed_settings("dev")
    plan = local_plan(settings, PORTS)
    assert plan.values["cull"] == build_values(settings, ChartSecrets("a", "b", "c"))["cull"]
    assert any("defaults (values.yaml) not found" in swap for swap in plan.swaps)


def test_the_preview_keeps_the_stacks_base_url(tmp_path, monkeypatch):
    from jupyterhub.app import JupyterHub

    config = load_preview_config(dev_with(hub={"baseUrl": "/jupyter/"}), tmp_path, monkeypatch)
    assert JupyterHub(config=config).bind_url == "http://127.0.0.1:8000/jupyter/"


def test_the_profile_form_is_kubespawners_own(monkeypatch):
    import kubespawner

    from up2u_jupyter.preview.spawner import PreviewSpawner

    profiles = [
        {"display_name": "Small", "slug": "small"},
        {"display_name": "Course", "description": "For the course", "default": True},
    ]
    spawner = PreviewSpawner(profile_list=profiles)
    form = spawner.options_form
    assert 'value="small"' in form and "For the course" in form
    assert 'id="kubespawner-profiles-list"' in form  # KubeSpawner's template, not ours
    # byte for byte what the cluster's spawner renders (markup in names is issue 17's check)
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)
    cluster = kubespawner.KubeSpawner(profile_list=profiles, _mock=True)
    assert form == cluster.options_form
    assert spawner.options_from_form({"profile": ["course"]}) == {"profile": "course"}
    assert PreviewSpawner().options_form == ""  # no profiles, no form


def test_a_null_name_override_keeps_the_release_prefix_after_the_defaults_merge(chart_defaults):
    # Helm's merge drops keys set to null; for fullnameOverride unset means "release-chart-"
    merged, _ = preview._as_the_hub_reads({"fullnameOverride": None, "hub": {}}, "4.4.0")
    assert merged["fullnameOverride"] is None
    kept, _ = preview._as_the_hub_reads({"fullnameOverride": "lab", "hub": {}}, "4.4.0")
    assert kept["fullnameOverride"] == "lab"
