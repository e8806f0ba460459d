"""Values: each setting lands where z2jh 4.4.0 reads it, and every stack passes the chart schema."""

import jsonschema
import pytest
import yaml

from tests.conftest import committed_settings, minimal_config
from up2u_jupyter.chart import coalesce, deep_merge, hub_url, proxy_public_service, resource_prefix
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import ChartSecrets, build_values

SECRETS = ChartSecrets("PROXY-TOKEN", "COOKIE-SECRET", "CRYPT-KEY")


def values_for(config):
    return build_values(load_settings(config, "test"), SECRETS)


def stack_values(stack):
    return build_values(committed_settings(stack), SECRETS)


def assert_schema_valid(values, chart_defaults, chart_schema):
    merged = coalesce(chart_defaults, values)
    validator = jsonschema.validators.validator_for(chart_schema)(chart_schema)
    errors = sorted(validator.iter_errors(merged), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


# --- the schema ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stacks_pass_the_chart_schema(stack, chart_defaults, chart_schema):
    assert_schema_valid(stack_values(stack), chart_defaults, chart_schema)


VARIANTS = {
    "minimal": minimal_config(),
    "letsencrypt": minimal_config(https={"mode": "letsencrypt", "contactEmail": "ops@example.org"}),
    "tls-secret": minimal_config(https={"mode": "secret", "secretName": "jupyter-tls"}),
    "plain-http": minimal_config(https={"mode": "none"}, proxy={"serviceType": "NodePort"}),
    "postgres": minimal_config(
        hub={"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db:5432/hub"}}
    ),
    "resources": minimal_config(
        proxy={
            "serviceType": "ClusterIP",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        },
        hub={
            "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}},
            "extraConfig": {"10-up2u": "c.JupyterHub.shutdown_on_logout = True"},
            "db": {"storageClass": "fast", "storage": "5Gi"},
        },
        singleuser={"storage": {"storageClass": "standard"}, "extraEnv": {"TZ": "Europe/Rome"}},
    ),
    "everything-off": minimal_config(
        cull={"enabled": False},
        prePuller={"hook": False, "continuous": False},
        scheduling={"userScheduler": False},
    ),
    "github": minimal_config(
        auth={"type": "github", "clientId": "c", "allowedOrganizations": ["o"]}
    ),
    "google": minimal_config(auth={"type": "google", "clientId": "c", "allowAll": True}),
    "dummy": minimal_config(auth={"type": "dummy", "allowAll": True}),
    "tmp": minimal_config(auth={"type": "tmp", "allowAll": True}),
    "groups": minimal_config(
        auth={
            **minimal_config()["auth"],
            "allowAll": False,
            "groupsClaim": "entitlements",
            "allowedGroups": ["g"],
            "adminGroups": ["a"],
        }
    ),
    "azuread": minimal_config(
        auth={
            "type": "azuread",
            "clientId": "app-id",
            "allowedUsers": ["ann"],
            "options": {"tenant_id": "t"},
        }
    ),
    "ldap": minimal_config(
        auth={
            "type": "ldap",
            "options": {
                "server_address": "ldap.example.org",
                "allowed_groups": ["cn=staff,dc=example,dc=org"],
            },
            "secretOptions": {"lookup_dn_search_password": "LDAP_SEARCH_PASSWORD"},
        }
    ),
    "profiles": minimal_config(
        profiles=[
            {"slug": "small", "displayName": "Small", "default": True},
            {
                "slug": "big",
                "displayName": "Big",
                "description": "More room",
                "image": {"name": "x/y", "tag": "1"},
                "cpu": {"limit": 2, "guarantee": 1},
                "memory": {"limit": "4Gi", "guarantee": "2Gi"},
                "extraEnv": {"A": "b"},
            },
        ]
    ),
    "helm-values": minimal_config(
        helmValues={
            "hub": {"networkPolicy": {"enabled": False}},
            "singleuser": {"startTimeout": 600},
        }
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_config_variants_pass_the_chart_schema(name, chart_defaults, chart_schema):
    assert_schema_valid(values_for(VARIANTS[name]), chart_defaults, chart_schema)


def test_schema_check_catches_what_the_chart_rejects(chart_defaults, chart_schema):
    # the 0.9-era layout: a top-level auth block and a string extraConfig
    bad = deep_merge(values_for(minimal_config()), {"auth": {"type": "custom"}})
    with pytest.raises(AssertionError, match="auth"):
        assert_schema_valid(bad, chart_defaults, chart_schema)
    bad = deep_merge(
        values_for(minimal_config()), {"hub": {"extraConfig": "c.Spawner.cmd = ['x']"}}
    )
    with pytest.raises(AssertionError, match="extraConfig"):
        assert_schema_valid(bad, chart_defaults, chart_schema)


# --- every seed setting lands where 4.4.0 reads it --------------------------------------------


@pytest.fixture(scope="module")
def prod():
    return stack_values("prod")


def test_prod_proxy_https_is_offloaded(prod):
    assert prod["proxy"]["https"] == {"enabled": True, "type": "offload"}
    assert prod["proxy"]["service"]["type"] == "LoadBalancer"


def test_prod_hub_image_templates_and_limits(prod):
    hub = prod["hub"]
    assert hub["image"] == {
        "name": "registry.up2u.example.org/jupyter/k8s-hub",
        "tag": "4.4.0-up2u.1",
    }
    assert hub["templatePaths"] == ["/opt/up2u/templates"]
    assert hub["activeServerLimit"] == 100
    assert hub["concurrentSpawnLimit"] == 10


def test_prod_authenticator_is_generic_oauth_against_eduteams(prod):
    config = prod["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "generic-oauth"
    oauth = config["GenericOAuthenticator"]
    assert oauth["login_service"] == "eduTEAMS"
    assert oauth["client_id"] == "up2u-jupyter-prod"
    assert oauth["authorize_url"] == "https://proxy.eduteams.org/saml2sp/OIDC/authorization"
    assert oauth["token_url"] == "https://proxy.eduteams.org/OIDC/token"
    assert oauth["userdata_url"] == "https://proxy.eduteams.org/OIDC/userinfo"
    assert oauth["username_claim"] == "sub"
    assert oauth["scope"] == ["openid"]
    assert oauth["userdata_params"] == {"state": "state"}
    assert oauth["oauth_callback_url"] == "https://jupyter.up2u.example.org/hub/oauth_callback"
    assert oauth["allow_all"] is True


def test_no_removed_or_deprecated_oauthenticator_options(prod):
    oauth = prod["hub"]["config"]["GenericOAuthenticator"]
    for old in ("username_key", "userdata_method", "extra_params", "tls_verify", "client_secret"):
        assert old not in oauth


def test_admins_come_from_config_not_the_database(prod):
    assert prod["hub"]["config"]["Authenticator"]["admin_users"] == [
        "5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org"
    ]


def test_prod_singleuser_settings(prod):
    user = prod["singleuser"]
    assert user["defaultUrl"] == "/lab"
    assert "cmd" not in user  # the chart's jupyterhub-singleuser serves JupyterLab at /lab
    assert user["image"] == {
        "name": "registry.up2u.example.org/jupyter/k8s-singleuser",
        "tag": "4.4.0-up2u.1",
    }
    assert user["cpu"] == {"limit": 2.0, "guarantee": 0.5}
    # bytes: KubeSpawner would read "2G" as 2 GiB (see values.memory_bytes)
    assert user["memory"] == {"limit": 2 * 2**30, "guarantee": 2**30}  # 2Gi, 1Gi: as deployed
    assert user["storage"] == {"capacity": "10G"}


def test_prod_scheduler_prepuller_and_culling(prod):
    assert prod["scheduling"] == {"userScheduler": {"enabled": False}}
    assert prod["prePuller"] == {"hook": {"enabled": True}, "continuous": {"enabled": True}}
    assert prod["cull"] == {
        "enabled": True,
        "timeout": 1800,
        "every": 180,
        "maxAge": 0,
        "users": False,
    }


def test_extra_config_is_a_map(prod):
    assert isinstance(prod["hub"]["extraConfig"], dict)


# --- secrets -------------------------------------------------------------------------------------


def credentials_env(values):
    """hub.extraEnv without the forget-user token every stack has (tests/test_pupildata_*)."""
    return {k: v for k, v in values["hub"]["extraEnv"].items() if k != FORGET_TOKEN_ENV}


def test_the_three_chart_secrets_are_passed_explicitly():
    values = values_for(minimal_config())
    assert values["proxy"]["secretToken"] == "PROXY-TOKEN"
    assert values["hub"]["cookieSecret"] == "COOKIE-SECRET"
    assert values["hub"]["config"]["CryptKeeper"]["keys"] == ["CRYPT-KEY"]


def test_oauth_client_secret_reaches_the_hub_from_a_kubernetes_secret():
    values = values_for(minimal_config(releaseName="jhub-dev"))
    assert credentials_env(values) == {
        "OAUTH_CLIENT_SECRET": {
            "valueFrom": {
                "secretKeyRef": {"name": "jhub-dev-up2u-credentials", "key": "oauth-client-secret"}
            }
        }
    }
    assert "client_secret" not in values["hub"]["config"]["GenericOAuthenticator"]


def test_postgres_password_comes_from_the_secret_never_hub_db_password():
    values = values_for(VARIANTS["postgres"])
    assert values["hub"]["db"] == {
        "type": "postgres",
        "url": "postgresql+psycopg2://hub@db:5432/hub",
    }
    assert (
        values["hub"]["extraEnv"]["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "db-password"
    )
    assert "password" not in values["hub"]["db"]


def test_hub_database_volume_is_kept_on_uninstall():
    pvc = values_for(minimal_config())["hub"]["db"]["pvc"]
    assert pvc["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert pvc["storage"] == "1Gi"


# --- details ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("https", "expected"),
    [
        ({"mode": "none"}, {"enabled": False}),
        (
            {"mode": "letsencrypt", "contactEmail": "ops@example.org"},
            {
                "enabled": True,
                "type": "letsencrypt",
                "hosts": ["jupyter.example.org"],
                "letsencrypt": {"contactEmail": "ops@example.org"},
            },
        ),
        (
            {"mode": "secret", "secretName": "tls"},
            {
                "enabled": True,
                "type": "secret",
                "hosts": ["jupyter.example.org"],
                "secret": {"name": "tls"},
            },
        ),
    ],
)
def test_https_modes_map_to_the_chart(https, expected):
    assert values_for(minimal_config(https=https))["proxy"]["https"] == expected


def test_plain_http_stack_registers_an_http_callback():
    oauth = values_for(minimal_config(https={"mode": "none"}))["hub"]["config"][
        "GenericOAuthenticator"
    ]
    assert oauth["oauth_callback_url"] == "http://jupyter.example.org/hub/oauth_callback"


def test_untagged_image_is_explicitly_latest_not_the_chart_tag():
    values = values_for(minimal_config(singleuser={"image": {"name": "example.org/user"}}))
    assert values["singleuser"]["image"] == {"name": "example.org/user", "tag": "latest"}


def test_helm_values_merge_last_and_deep():
    config = minimal_config(
        hub={"activeServerLimit": 5},
        helmValues={
            "hub": {"activeServerLimit": 7, "networkPolicy": {"enabled": False}},
            "debug": {"enabled": True},
        },
    )
    values = values_for(config)
    assert values["hub"]["activeServerLimit"] == 7
    assert values["hub"]["networkPolicy"] == {"enabled": False}
    assert values["hub"]["concurrentSpawnLimit"] == 64  # untouched siblings stay
    assert values["debug"] == {"enabled": True}


def test_null_in_helm_values_is_kept_so_helm_removes_the_default(chart_defaults):
    values = values_for(minimal_config(helmValues={"singleuser": {"cloudMetadata": None}}))
    assert values["singleuser"]["cloudMetadata"] is None
    assert "cloudMetadata" not in coalesce(chart_defaults, values)["singleuser"]


def test_deep_merge_does_not_mutate_its_inputs():
    base = {"a": {"b": 1}}
    override = {"a": {"c": [1]}}
    merged = deep_merge(base, override)
    merged["a"]["c"].append(2)
    assert base == {"a": {"b": 1}} and override == {"a": {"c": [1]}}


def test_coalesce_replaces_lists_and_scalars():
    assert coalesce({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"c": 9}}) == {
        "a": [3],
        "b": {"c": 9, "d": 2},
    }


@pytest.mark.parametrize(
    ("overrides", "release", "prefix"),
    [
        ({}, "jhub", ""),
        ({"fullnameOverride": "up2u"}, "jhub", "up2u-"),
        ({"fullnameOverride": None}, "jhub", "jhub-jupyterhub-"),
        ({"fullnameOverride": None}, "my-jupyterhub", "my-jupyterhub-"),
        ({"fullnameOverride": None, "nameOverride": "hub"}, "jhub", "jhub-"),
    ],
)
def test_resource_prefix_follows_the_chart_naming_helper(overrides, release, prefix):
    assert resource_prefix(overrides, release) == prefix


def test_public_service_and_hub_url_are_derived_from_values():
    values = values_for(minimal_config(namespace="edu", helmValues={"fullnameOverride": "up2u"}))
    assert proxy_public_service(values, "jhub") == "up2u-proxy-public"
    assert hub_url(values, "jhub", "edu") == "http://up2u-hub.edu.svc.cluster.local:8081/hub/"


def test_hub_url_honours_base_url():
    values = values_for(minimal_config(helmValues={"hub": {"baseUrl": "/jupyter/"}}))
    assert hub_url(values, "jhub", "jhub") == "http://hub.jhub.svc.cluster.local:8081/jupyter/hub/"


def test_values_are_plain_yaml_serialisable():
    text = yaml.safe_dump(values_for(VARIANTS["resources"]))
    assert "10-up2u" in text


def test_dummy_password_reaches_the_hub_from_the_secret_only():
    values = values_for(VARIANTS["dummy"])
    assert values["hub"]["extraEnv"]["DUMMY_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "jhub-up2u-credentials",
        "key": "dummy-password",
    }
    assert "os.environ['DUMMY_PASSWORD']" in values["hub"]["extraConfig"]["up2u-dummy-password"]
    assert "password" not in values["hub"]["config"]["DummyAuthenticator"]


def test_github_values_carry_no_generic_options():
    section = values_for(VARIANTS["github"])["hub"]["config"]["GitHubOAuthenticator"]
    assert section == {
        "allow_all": False,
        "allowed_users": [],
        "client_id": "c",
        "oauth_callback_url": "https://jupyter.example.org/hub/oauth_callback",
        "allowed_organizations": ["o"],
    }


def test_tmp_has_no_callback_and_lets_its_throwaway_users_in():
    values = values_for(VARIANTS["tmp"])
    # TmpAuthenticator 1.0 keeps JupyterHub 5's allow_all=False: the stack's allowAll says it
    assert values["hub"]["config"]["TmpAuthenticator"] == {"allow_all": True, "allowed_users": []}
    assert credentials_env(values) == {}


def test_group_rules_render_as_oauthenticator_17_wants_them():
    section = values_for(VARIANTS["groups"])["hub"]["config"]["GenericOAuthenticator"]
    assert section["manage_groups"] is True
    assert section["auth_state_groups_key"] == "oauth_user.entitlements"
    assert (section["allowed_groups"], section["admin_groups"]) == (["g"], ["a"])
    assert "claim_groups_key" not in section  # deprecated since OAuthenticator 17.0


def test_no_group_keys_without_a_groups_claim(prod):
    assert "manage_groups" not in prod["hub"]["config"]["GenericOAuthenticator"]


def test_dev_stack_has_its_named_users_and_its_group():
    oauth = stack_values("dev")["hub"]["config"]["GenericOAuthenticator"]
    assert oauth["allowed_users"] == ["0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"]
    assert oauth["allowed_groups"] == [
        "urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org",
        "urn:geant:eduteams.org:service:up2u:group:maths-3a#eduteams.org",  # its class
        "urn:geant:eduteams.org:service:up2u:group:maths-3a-teachers#eduteams.org",
    ]
    assert oauth["scope"] == ["openid", "eduperson_entitlement"]


def test_another_authenticator_gets_its_section_options_and_only_set_rules():
    values = values_for(VARIANTS["ldap"])
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "ldap"
    assert values["hub"]["config"]["LDAPAuthenticator"] == {
        "server_address": "ldap.example.org",
        "allowed_groups": ["cn=staff,dc=example,dc=org"],
    }  # no typed allow rule stated: no allow_all: false forced on the class
    # no OAuth client secret for a class that is not an OAuthenticator; only its secret option
    assert list(credentials_env(values)) == ["LDAP_SEARCH_PASSWORD"]


def test_secret_options_become_a_named_extra_config_entry_and_env_refs():
    from up2u_jupyter.values import SECRET_OPTIONS_CONFIG

    env = "LDAP_SEARCH_PASSWORD"
    values = build_values(load_settings(VARIANTS["ldap"], "test"), SECRETS, [env])
    code = values["hub"]["extraConfig"][SECRET_OPTIONS_CONFIG]
    assert f"c.LDAPAuthenticator.lookup_dn_search_password = os.environ['{env}']" in code
    assert values["hub"]["extraEnv"][env]["valueFrom"]["secretKeyRef"]["key"] == f"env-{env}"
    assert "lookup_dn_search_password" not in values["hub"]["config"]["LDAPAuthenticator"]


def test_an_oauth_class_gets_its_client_secret_like_generic_oauth():
    values = build_values(load_settings(VARIANTS["azuread"], "test"), SECRETS)
    section = values["hub"]["config"]["AzureAdOAuthenticator"]
    assert section["client_id"] == "app-id"
    assert section["oauth_callback_url"] == "https://jupyter.example.org/hub/oauth_callback"
    assert "client_secret" not in section
    # OAuthenticator reads OAUTH_CLIENT_SECRET for every provider: from the credentials Secret
    ref = values["hub"]["extraEnv"]["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref["key"] == "oauth-client-secret"


def test_profiles_render_to_the_profile_list(prod):
    small, big = values_for(VARIANTS["profiles"])["singleuser"]["profileList"]
    assert small == {
        "slug": "small",
        "display_name": "Small",
        "description": "",
        "default": True,
        "kubespawner_override": {"environment": {"UP2U_PROFILE": "small"}},
    }
    assert big["kubespawner_override"] == {
        "image": "x/y:1", "cpu_limit": 2.0, "cpu_guarantee": 1.0,
        "mem_limit": 4 * 2**30, "mem_guarantee": 2 * 2**30,
        "environment": {"A": "b", "UP2U_PROFILE": "big"},
    }  # fmt: skip
    assert "default" not in big
    assert "profileList" not in prod["singleuser"]  # no profiles: today's single server
