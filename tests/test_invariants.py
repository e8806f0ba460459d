"""Each invariant of docs/checks.md, in process: what it refuses, what it lets through, and the
behaviour it relies on, judged with the real components (JupyterHub's ``Spawner.get_env``,
promtool, the chart's config derivation as the preview runs it)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from tests.conftest import minimal_config
from up2u_jupyter import monitoring
from up2u_jupyter.deployment import effective, judge
from up2u_jupyter.deployment.bounds import PROMETHEUS_MAX_DURATION, kubespawner_bytes
from up2u_jupyter.deployment.environment import USER_POD_NAMES
from up2u_jupyter.deployment.hubconfig import InvalidSectionError, derive
from up2u_jupyter.deployment.lookups import HubValues
from up2u_jupyter.deployment.snippets import OPAQUE, read
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import split_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def findings(secret_env: tuple[str, ...] = (), **overrides: Any) -> list[tuple[str, str, bool]]:
    settings = load_settings(minimal_config(**overrides), "dev")
    found = judge(
        effective(settings, offline_values(settings, secret_env), secret_env, stack="dev")
    )
    return [(f.key.removeprefix("up2u-jupyter:"), f.message, f.warning) for f in found]


def keys(**overrides: Any) -> list[str]:
    return [key for key, _, _ in findings(**overrides)]


# --- the hub config the chart derives ------------------------------------------------------------


def test_a_lowercase_hub_config_section_stops_the_hub_as_the_chart_says(capsys):
    values = {"hub": {"config": {"loadRoles": {"x": {}}}}}
    with pytest.raises(InvalidSectionError) as raised:
        derive(HubValues(values), strict=True)
    fatal = (
        "FATAL: Invalid hub.config section name: loadRoles. hub.config sections must be "
        "Configurable class names (e.g. JupyterHub). Maybe misplaced or misspelled config?"
    )
    assert str(raised.value) == fatal
    from up2u_jupyter.preview.hubconfig import apply_values

    with pytest.raises(SystemExit) as exited:  # the preview's hub stops as the chart's does
        apply_values(Config(), values, "http://127.0.0.1:1/hub/api")
    assert exited.value.code == 1
    assert capsys.readouterr().err == fatal + "\n"
    [(key, message, warning)] = findings(helmValues=values)
    assert key == "helmValues.hub.config.loadRoles" and not warning
    assert fatal in message


def test_snippets_no_longer_get_a2b_hex_as_in_chart_4():
    from up2u_jupyter.preview.hubconfig import apply_values

    values = {"hub": {"extraConfig": {"a": "c.Up2U.key = a2b_hex('00ff')"}}}
    with pytest.raises(NameError, match="a2b_hex"):
        apply_values(Config(), values, "http://127.0.0.1:1/hub/api")
    values = {
        "hub": {"extraConfig": {"a": "from binascii import a2b_hex\nc.Up2U.key = a2b_hex('00ff')"}}
    }
    assert apply_values(c := Config(), values, "u") and c.Up2U.key == b"\x00\xff"


def test_derive_follows_the_charts_precedence():
    values = {
        "hub": {"activeServerLimit": 3, "config": {"JupyterHub": {"active_server_limit": 7}}},
        "singleuser": {
            "cloudMetadata": {"blockWithIptables": True, "ip": "169.254.169.254"},
            "initContainers": [{"name": "mine"}],
        },
    }
    hub = derive(HubValues(values))
    assert hub.get("JupyterHub", "active_server_limit") == 7
    assert hub.origins[("JupyterHub", "active_server_limit")] == (
        "hub",
        "config",
        "JupyterHub",
        "active_server_limit",
    )
    names = [c["name"] for c in hub.get("KubeSpawner", "init_containers")]
    assert names == ["mine", "block-cloud-metadata"]  # appended after singleuser.initContainers


def test_the_preview_applies_the_same_derivation_check_judges():
    from up2u_jupyter.preview.hubconfig import apply_values

    values = {
        "singleuser": {"uid": 1000, "extraEnv": {"A": "1"}},
        "hub": {"config": {"KubeSpawner": {"mem_limit": 5}}},
    }
    c = Config()
    apply_values(c, values, "http://127.0.0.1:1/hub/api", spawner_section="KubeSpawner")
    derived = derive(
        HubValues(values), culler_url="http://127.0.0.1:1/hub/api", python=sys.executable
    )
    for section, traits in derived.sections.items():
        for trait, value in traits.items():
            if trait != "cookie_secret" and (section, trait) != ("CryptKeeper", "keys"):
                assert c[section][trait] == value, (section, trait)


# --- extraConfig, read and never run -------------------------------------------------------------


def test_snippet_writes_are_read_without_running_them(tmp_path):
    marker = tmp_path / "ran"
    code = (
        f"open({str(marker)!r}, 'w').write('x')\n"
        "env = c.KubeSpawner.environment\n"
        "env['A'] = 'b'\n"
        "c.KubeSpawner.environment.update({'C': 'd'})\n"
        "c['Authenticator']['admin_users'] = {'ann'}\n"
        "setattr(c.GenericOAuthenticator, 'allow_all', True)\n"
        "c.Authenticator.allowed_users = load()\n"
        "for s in c.JupyterHub.services:\n    s['url'] = 'u'\n"
    )
    writes = [(w.section, w.trait, w.kind, w.value) for w in read("s", code).writes]
    assert not marker.exists()
    assert writes == [
        ("KubeSpawner", "environment", "item", "b"),
        ("KubeSpawner", "environment", "update", {"C": "d"}),
        ("Authenticator", "admin_users", "set", ["ann"]),
        ("GenericOAuthenticator", "allow_all", "set", True),
        ("Authenticator", "allowed_users", "set", OPAQUE),
        ("JupyterHub", "services", "other", OPAQUE),
    ]


def test_a_literal_write_equal_to_the_typed_key_is_fine_and_code_that_is_not_python_is_not():
    assert (
        keys(
            auth={**minimal_config()["auth"], "allowAll": True},
            hub={"extraConfig": {"same": "c.GenericOAuthenticator.allow_all = True"}},
        )
        == []
    )
    [(key, message, _)] = findings(hub={"extraConfig": {"broken": "c.X.y = ("}})
    assert key == "hub.extraConfig.broken" and message.startswith("not valid Python (line 1")


def test_the_programs_own_snippets_are_not_judged_and_the_stacks_are():
    # dummy's password snippet writes DummyAuthenticator.password from the environment
    assert keys(auth={"type": "dummy", "allowAll": True}) == []
    assert keys(
        hub={"extraConfig": {"up2u-dummy-password": "c.Authenticator.admin_users = x"}}
    ) == ["hub.extraConfig.up2u-dummy-password"]


# --- sign-in -------------------------------------------------------------------------------------


def test_the_authenticator_class_may_be_named_any_way_that_names_the_same_class():
    for same in (
        "generic-oauth",
        "oauthenticator.generic.GenericOAuthenticator",
        "oauthenticator.GenericOAuthenticator",
    ):
        helm = {"hub": {"config": {"JupyterHub": {"authenticator_class": same}}}}
        assert keys(helmValues=helm) == [], same
    imported = (
        "from oauthenticator.generic import GenericOAuthenticator as G\n"
        "c.JupyterHub.authenticator_class = G\n"
    )
    assert keys(hub={"extraConfig": {"a": imported}}) == []
    other = (
        "from oauthenticator.github import GitHubOAuthenticator as G\n"
        "c.JupyterHub.authenticator_class = G\n"
    )
    assert keys(hub={"extraConfig": {"a": other}}) == ["hub.extraConfig.a"]


def test_a_sign_in_rule_removed_by_a_null_names_the_key_that_removed_it():
    auth = {**minimal_config()["auth"], "allowAll": False, "allowedUsers": ["ann"]}
    helm = {"hub": {"config": {"GenericOAuthenticator": {"allowed_users": None}}}}
    [(key, message, _)] = findings(auth=auth, helmValues=helm)
    assert key == "helmValues.hub.config.GenericOAuthenticator.allowed_users"
    assert "auth.allowedUsers says 'ann'" in message


def test_a_group_claim_released_by_a_requested_scope_passes():
    auth = {
        **minimal_config()["auth"],
        "scope": ["openid", "eduperson_entitlement"],
        "groupsClaim": "eduperson_entitlement",
        "allowedGroups": ["g"],
    }
    assert keys(auth=auth) == []


# --- environment ---------------------------------------------------------------------------------


def test_the_reserved_user_server_names_are_what_jupyterhub_and_kubespawner_set(monkeypatch):
    kubespawner = pytest.importorskip("kubespawner")
    from unittest import mock

    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)
    # no cluster: the spawner's environment is pure
    spawner = kubespawner.KubeSpawner(
        config=Config(
            {
                "KubeSpawner": {
                    "mem_limit": 2**30,
                    "mem_guarantee": 2**29,
                    "cpu_limit": 1.0,
                    "cpu_guarantee": 0.5,
                    "debug": True,
                    "default_url": "/lab",
                    "notebook_dir": "/home",
                    "disable_user_config": True,
                    "admin_access": True,
                    "cookie_options": {"a": 1},
                    "image": "x:1",
                }
            }
        ),
        _mock=True,
    )
    spawner.api_token = "t"
    spawner.server = mock.Mock(base_url="/user/x/", host="", url="/user/x/")
    spawner.cert_paths = {"keyfile": "k", "certfile": "c", "cafile": "ca"}
    real = set(spawner.get_env()) - set(spawner.env_keep) - set(__import__("os").environ)
    assert real <= USER_POD_NAMES, sorted(real - USER_POD_NAMES)


@pytest.mark.parametrize("name", ["JUPYTERHUB_SINGLEUSER_APP", "TZ", "COURSE", "my-var"])
def test_settings_of_the_user_server_are_not_reserved(name):
    assert keys(singleuser={"extraEnv": {name: "x"}}) == []


def test_an_acknowledged_loader_variable_is_accepted_in_plain_text_only():
    env = {"singleuser": {"extraEnv": {"PYTHONPATH": "/opt/course"}}}
    assert keys(**env) == ["singleuser.extraEnv.PYTHONPATH"]
    assert keys(**env, allowedLoaderEnv=["PYTHONPATH"]) == []
    found = findings(secret_env=("PYTHONPATH",), allowedLoaderEnv=["PYTHONPATH"])
    assert [key for key, _, _ in found] == ["secretEnv.PYTHONPATH"]


def test_a_snippet_that_adds_a_reserved_variable_is_named():
    code = "c.KubeSpawner.environment['JUPYTERHUB_API_URL'] = 'https://evil.example.org'"
    assert keys(hub={"extraConfig": {"x": code}}) == ["hub.extraConfig.x"]
    opaque = "c.KubeSpawner.environment.update(get_config('custom.env'))"
    assert keys(hub={"extraConfig": {"y": opaque}}) == []  # not a sign-in trait: names unknown


def test_service_links_of_the_charts_services_are_reserved_and_other_ports_are_not():
    assert keys(singleuser={"extraEnv": {"HUB_SERVICE_HOST": "x"}}) == [
        "singleuser.extraEnv.HUB_SERVICE_HOST"
    ]
    assert keys(singleuser={"extraEnv": {"APP_PORT": "8080"}}) == []


def test_a_name_only_new_clusters_accept_is_a_warning():
    [(key, message, warning)] = findings(singleuser={"extraEnv": {"1ST": "x"}})
    assert warning and key == "singleuser.extraEnv.1ST" and "before 1.34" in message


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://up2u.example.org/help", "mailto:help@up2u.example.org"])
def test_https_and_mailto_links_pass(url):
    assert keys(hub={"templateVars": {"supportUrl": url}}) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://up2u.example.org/help",
        "data:text/html,<b>x",
        "https://x/{{ .Name }}",
        "https://x/a b",
        "javascript:alert(1)",
    ],
)
def test_other_links_are_refused_wherever_they_come_from(url):
    assert keys(hub={"templateVars": {"supportUrl": url}}) == ["hub.templateVars.supportUrl"]
    helm = {"hub": {"config": {"JupyterHub": {"template_vars": {"footer": {"homepage": url}}}}}}
    assert keys(helmValues=helm) == [
        "helmValues.hub.config.JupyterHub.template_vars.footer.homepage"
    ]


def test_profile_text_from_helm_values_is_judged_too():
    helm = {"singleuser": {"profileList": [{"display_name": "x", "slug": 'a"onmouseover="x'}]}}
    assert keys(helmValues=helm) == ["helmValues.singleuser.profileList.0.slug"]


# --- bounds --------------------------------------------------------------------------------------


def test_kubespawner_reads_sizes_as_the_model_says():
    kubespawner = pytest.importorskip("kubespawner")
    from traitlets import HasTraits, TraitError

    class Holder(HasTraits):  # KubeSpawner's own memory trait
        size = type(kubespawner.KubeSpawner.class_traits()["mem_limit"])(None, allow_none=True)

    for text in ("512M", "2G", "1.5G", "3T", "2 G", 1024, 0.5):
        holder = Holder()
        holder.size = text
        assert holder.size == int(kubespawner_bytes(text) or 0), text
    for text in ("1Gi", "1", "abc", "G"):
        with pytest.raises(TraitError):
            Holder().size = text
        assert kubespawner_bytes(text) is None


def test_a_size_kubespawner_refuses_is_named():
    helm = {"singleuser": {"memory": {"limit": "2Gi"}}}
    [(key, message, _)] = findings(helmValues=helm)
    assert key == "helmValues.singleuser.memory.limit" and "KubeSpawner reads" in message


def test_profile_sizes_are_judged_with_a_guess():
    profiles = [
        {
            "slug": "s",
            "displayName": "S",
            "memory": {"limit": "512", "guarantee": "0"},
            "cpu": {"limit": "1m"},
        }
    ]
    found = {key: message for key, message, _ in findings(profiles=profiles)}
    assert "did you mean 512Mi?" in found["profiles.0.memory.limit"]
    assert "did you mean 1?" in found["profiles.0.cpu.limit"]


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")
def test_prometheus_accepts_exactly_the_durations_check_accepts(tmp_path):
    def promtool_accepts(settings: Any) -> bool:
        rules = tmp_path / "rules.yml"
        rules.write_text(
            yaml.safe_dump(monitoring.prometheus_rule(settings, offline_values(settings)))
        )
        run = subprocess.run(
            [PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True
        )
        return run.returncode == 0

    limit = 153722867  # PROMETHEUS_MAX_DURATION in whole minutes
    for minutes in (5, limit, limit + 1, 10**12):
        config = minimal_config(
            monitoring={"enabled": True, "thresholds": {"hubDownMinutes": minutes}}
        )
        settings = load_settings(config, "dev")
        passes = judge(effective(settings, offline_values(settings))) == []
        assert passes == promtool_accepts(settings) == (minutes <= limit), minutes
    assert PROMETHEUS_MAX_DURATION == "292y24w3d23h47m16s854ms"


def test_the_health_user_may_be_neither_listed_nor_given_roles():
    auth = {**minimal_config()["auth"], "allowedUsers": ["health-check"]}
    assert keys(auth=auth) == ["healthCheck.user"]
    role = {"hub": {"loadRoles": {"ops": {"scopes": ["admin:users"], "users": ["health-check"]}}}}
    assert keys(helmValues=role) == ["healthCheck.user"]


# --- the stack file: no silence, no bad advice ---------------------------------------------------


def problems(items: dict[str, Any]) -> list[str]:
    try:
        split_config(items, "dev")
    except ConfigError as error:
        return error.lines()
    return []


@pytest.mark.parametrize(
    "namespace", ["up2u_jupyter", "Up2U-Jupyter", "up2u-juptyer", "up2ujupyter"]
)
def test_a_namespace_close_to_the_project_is_an_error(namespace):
    [line] = problems({f"{namespace}:cull": {"timeout": 60}})
    assert line.startswith(f"{namespace}:cull (stack dev): ")
    assert line.endswith("did you mean up2u-jupyter:cull?")


@pytest.mark.parametrize("namespace", ["kubernetes", "aws", "up2u", "other-project"])
def test_other_providers_namespaces_stay_theirs(namespace):
    assert problems({f"{namespace}:x": "y"}) == []


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("clientSecret", "did you mean oauthClientSecret?"),
        ("dbpassword", "did you mean dbPassword?"),
        ("ldapBindPassword", "goes in secretEnv"),
        ("namespace", "it is not a secret, so set it without --secret"),
        ("whatever", "set the key you meant"),
    ],
)
def test_an_encrypted_value_gets_the_advice_that_fits_its_key(key, says):
    [line] = problems({f"up2u-jupyter:{key}": {"secure": "AAEAx"}})
    assert says in line and "AAEAx" not in line
    if "did you mean" in says:
        assert "pulumi config set --secret up2u-jupyter:" in line


# --- the preview's identity provider releases claims by scope ------------------------------------


def _flow(base: str, scope: str, sub: str) -> dict[str, Any]:
    """Authorization code flow against the provider (as the hub does): userinfo's claims."""
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    query = urllib.parse.urlencode(
        {
            "client_id": "hub",
            "redirect_uri": "http://127.0.0.1/cb",
            "response_type": "code",
            "scope": scope,
            "state": "s",
        }
    )
    try:
        opener.open(
            f"{base}/oauth2/authorize?{query}", data=urllib.parse.urlencode({"sub": sub}).encode()
        )
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    token = json.loads(
        opener.open(
            f"{base}/oauth2/token",
            data=urllib.parse.urlencode(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": "http://127.0.0.1/cb",
                    "client_id": "hub",
                    "client_secret": "x",
                }
            ).encode(),
        ).read()
    )["access_token"]
    request = urllib.request.Request(
        f"{base}/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    return json.loads(opener.open(request).read())


@pytest.fixture(scope="module")
def provider():
    from up2u_jupyter.preview.plan import free_port

    port = free_port()
    user = {
        "sub": "pupil",
        "eduperson_entitlement": ["urn:x:g"],
        "eduperson_entitelment": ["x"],
        "name": "Pupil",
        "nickname": "teacher",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "up2u_jupyter.preview.provider",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            f"--user-claims={json.dumps(user)}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    import time
    import urllib.request

    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)


def test_the_preview_provider_releases_a_claim_only_for_its_scope(provider):
    claims = _flow(provider, "openid", "pupil")
    assert claims == {"sub": "pupil"}  # the group claim's scope was forgotten: no groups
    claims = _flow(provider, "openid eduperson_entitlement profile", "pupil")
    assert claims == {"sub": "pupil", "eduperson_entitlement": ["urn:x:g"], "name": "Pupil"}


def test_the_preview_provider_never_releases_a_claim_eduteams_does_not_have(provider):
    claims = _flow(provider, "openid profile eduperson_entitlement eduperson_entitelment", "pupil")
    assert "eduperson_entitelment" not in claims and "nickname" not in claims


LOADED = re.compile(
    r"<(?:link|script|img|iframe|source|video|audio)\b[^>]*\b(?:href|src)\s*=\s*[\"']?"
    r"(?:https?:)?//(?!127\.0\.0\.1[:/])",
    re.IGNORECASE,
)
"""A page element that would load something from a host other than 127.0.0.1."""


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("client_id=hub&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&response_type=code"
         "&scope=openid&state=s", 200),  # the sign-in form
        ("client_id=hub&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&response_type=nonsense", 400),
    ],
    ids=["sign-in-form", "error-page"],
)  # fmt: skip
def test_the_preview_provider_pages_load_nothing_from_outside(provider, query, status):
    import urllib.error
    import urllib.request

    try:
        response = urllib.request.urlopen(f"{provider}/oauth2/authorize?{query}", timeout=10)
        code, page = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        code, page = error.code, error.read().decode()
    assert code == status, page[:500]
    assert "<h1>" in page and "<style>" in page  # our frame, styled inline
    assert not LOADED.search(page), LOADED.search(page)
    assert "cdn.jsdelivr.net" not in page and "@import" not in page


@pytest.mark.parametrize(
    "helm_values",
    [
        {"hub": ["a", "list"]},
        {"proxy": {"chp": "a string"}},
        {"singleuser": {"cloudMetadata": ["x"], "networkPolicy": "off"}},
        {"singleuser": 7},
    ],
    ids=["hub-list", "chp-string", "cloud-metadata-list", "singleuser-number"],
)
@pytest.mark.parametrize("chart_here", [True, False], ids=["with-chart", "without-chart"])
def test_a_list_where_the_chart_wants_a_map_is_judged_without_a_traceback(
    helm_values, chart_here, tmp_path, monkeypatch
):
    """Without the chart's schema (no `make chart`), the invariants still judge such values."""
    if not chart_here:
        monkeypatch.setenv("UP2U_CHART_SCHEMA", str(tmp_path / "none.json"))
    settings = load_settings(minimal_config(helmValues=helm_values), "dev")
    values = offline_values(settings)
    found = judge(effective(settings, values, (), stack="dev"))
    assert all(f.key and f.message for f in found)
