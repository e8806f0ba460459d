"""The stack config contract: each rule, good and bad, and how its errors read."""

import pytest
from pydantic import ValidationError

from tests.conftest import minimal_config, with_path
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.settings import load_settings


def problems(config, stack="dev") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(config, stack)
    return caught.value.lines()


def only_problem(config, stack="dev") -> str:
    lines = problems(config, stack)
    assert len(lines) == 1, lines
    return lines[0]


def test_minimal_config_gets_the_documented_defaults():
    settings = load_settings(minimal_config(), "dev")
    assert settings.namespace == "jhub"
    assert settings.release_name == "jhub"
    assert (settings.chart.version, settings.chart.repo) == (
        "4.4.0",
        "https://hub.jupyter.org/helm-chart/",
    )
    assert settings.https.mode == "offload"
    assert settings.proxy.service_type == "LoadBalancer"
    assert settings.hub.db.type == "sqlite-pvc" and settings.hub.db.storage == "1Gi"
    assert settings.auth.effective_login_service == "SSO"
    assert settings.auth.effective_username_claim == "sub"
    assert settings.auth.effective_scope == ["openid"]
    assert settings.adopt is False
    assert settings.singleuser.default_url == "/lab"
    assert settings.singleuser.storage.capacity == "10Gi"
    assert settings.scheduling.user_scheduler is True
    assert (settings.pre_puller.hook, settings.pre_puller.continuous) == (True, True)
    cull = settings.cull
    assert (cull.enabled, cull.timeout, cull.every, cull.max_age, cull.users) == (
        True,
        3600,
        600,
        0,
        False,
    )
    assert settings.helm_values == {} and settings.protect is False


def test_error_names_full_key_stack_value_and_fix():
    config = with_path(minimal_config(), "singleuser.memory", {"limit": "1G", "guarantee": "2G"})
    line = only_problem(config, stack="prod")
    assert line.startswith("up2u-jupyter:singleuser.memory.guarantee (stack prod): '2G'")
    assert "at or below the limit" in line


def test_all_problems_are_reported_together():
    config = minimal_config(namespace="Bad_NS", releaseName="x" * 60, cull={"every": 0})
    config = with_path(config, "singleuser.cpu", {"limit": "lots"})
    keys = [line.split(" ")[0] for line in problems(config)]
    assert keys == [
        "up2u-jupyter:namespace",
        "up2u-jupyter:releaseName",
        "up2u-jupyter:singleuser.cpu.limit",
        "up2u-jupyter:cull.every",
    ]


def test_unknown_key_suggests_the_closest_known_key():
    line = only_problem(minimal_config(nmespace="jhub"))
    assert line.startswith(
        "up2u-jupyter:nmespace (stack dev): unknown key; did you mean namespace?"
    )


def test_unknown_nested_key_suggests_within_its_object():
    config = with_path(minimal_config(), "singleuser.memory.limt", "2G")
    assert "did you mean singleuser.memory.limit?" in only_problem(config)


def test_unknown_key_far_from_any_lists_the_known_ones():
    line = only_problem(with_path(minimal_config(), "cull.zzzzzz", 1))
    assert "known keys here: enabled, every, maxAge, timeout, users" in line


def test_secret_keys_are_known_names_for_suggestions():
    assert "did you mean oauthClientSecret?" in only_problem(minimal_config(oauthClientSecrt="x"))


@pytest.mark.parametrize("namespace", ["jhub", "a", "up2u-dev", "x" * 63])
def test_namespace_accepts_dns_labels(namespace):
    assert load_settings(minimal_config(namespace=namespace), "dev").namespace == namespace


@pytest.mark.parametrize("namespace", ["JHub", "-jhub", "jhub-", "j_hub", "x" * 64, "a.b", ""])
def test_namespace_rejects_non_labels(namespace):
    assert "not a DNS-1123 label" in only_problem(minimal_config(namespace=namespace))


@pytest.mark.parametrize("name", ["UPPER", "x" * 54, "a_b", "-a"])
def test_release_name_follows_helm_rules(name):
    assert "not a valid Helm release name" in only_problem(minimal_config(releaseName=name))


@pytest.mark.parametrize(
    ("domain", "hint"),
    [
        ("https://jupyter.example.org/", "'jupyter.example.org'"),
        ("jupyter.example.org/hub", "'jupyter.example.org'"),
        ("jupyter.example.org:443", "'jupyter.example.org'"),
    ],
)
def test_domain_must_be_a_bare_host_name(domain, hint):
    line = only_problem(minimal_config(domain=domain))
    assert line.startswith("up2u-jupyter:domain (stack dev)")
    assert f"set just the host, e.g. {hint}" in line


def test_domain_rejects_invalid_host_names():
    assert "not a valid host name" in only_problem(minimal_config(domain="under_score.example.org"))


@pytest.mark.parametrize("field", ["authorizeUrl", "tokenUrl", "userdataUrl"])
def test_oauth_endpoints_must_be_https(field):
    config = with_path(minimal_config(), f"auth.{field}", "http://proxy.eduteams.org/OIDC/x")
    line = only_problem(config)
    assert line.startswith(f"up2u-jupyter:auth.{field} (stack dev)")
    assert "not an https URL" in line


def test_generic_oauth_requires_domain_and_endpoints():
    config = minimal_config(auth={"allowAll": True})
    del config["domain"]
    keys = [line.split(" ")[0] for line in problems(config)]
    assert keys == [
        "up2u-jupyter:domain",
        "up2u-jupyter:auth.clientId",
        "up2u-jupyter:auth.authorizeUrl",
        "up2u-jupyter:auth.tokenUrl",
        "up2u-jupyter:auth.userdataUrl",
    ]


def test_auth_block_is_required():
    config = minimal_config()
    del config["auth"]
    assert only_problem(config).startswith("up2u-jupyter:auth (stack dev): required but not set")


def test_no_allow_rule_is_rejected_because_nobody_could_log_in():
    config = with_path(minimal_config(), "auth.allowAll", False)
    line = only_problem(config)
    assert line.startswith("up2u-jupyter:auth (stack dev)")
    assert "nobody could log in" in line and "auth.allowedUsers" in line


@pytest.mark.parametrize(
    "rule", [{"allowAll": True}, {"allowedUsers": ["alice"]}, {"adminUsers": ["root"]}]
)
def test_any_one_allow_rule_is_enough(rule):
    config = minimal_config(
        auth={"clientId": "c", **minimal_config()["auth"], "allowAll": False, **rule}
    )
    assert load_settings(config, "dev").auth


@pytest.mark.parametrize(
    ("cpu", "ok"),
    [
        ({"limit": 2, "guarantee": 0.5}, True),
        ({"limit": 1, "guarantee": 1}, True),
        ({"limit": "1", "guarantee": "500m"}, True),
        ({"limit": 0.5, "guarantee": 1}, False),
        ({"limit": "500m", "guarantee": "600m"}, False),
    ],
)
def test_cpu_guarantee_must_not_exceed_limit(cpu, ok):
    config = with_path(minimal_config(), "singleuser.cpu", cpu)
    if ok:
        assert load_settings(config, "dev").singleuser.cpu.limit is not None
    else:
        assert only_problem(config).startswith("up2u-jupyter:singleuser.cpu.guarantee (stack dev)")


def test_cpu_accepts_millicores_and_stores_cores():
    config = with_path(minimal_config(), "singleuser.cpu", {"limit": "1500m", "guarantee": "250m"})
    cpu = load_settings(config, "dev").singleuser.cpu
    assert (cpu.limit, cpu.guarantee) == (1.5, 0.25)


@pytest.mark.parametrize("value", [0, -1, "0m", "lots", True])
def test_cpu_must_be_a_positive_amount(value):
    config = with_path(minimal_config(), "singleuser.cpu.limit", value)
    assert only_problem(config).startswith("up2u-jupyter:singleuser.cpu.limit (stack dev)")


@pytest.mark.parametrize(
    ("memory", "ok"),
    [
        ({"limit": "2G", "guarantee": "1G"}, True),
        ({"limit": "1Gi", "guarantee": "1G"}, True),  # 1Gi > 1G
        ({"limit": "1G", "guarantee": "1Gi"}, False),
        ({"limit": "512M"}, False),  # the default guarantee (1G) is above it
        ({"limit": "512M", "guarantee": "256Mi"}, True),
        ({"limit": "2e9", "guarantee": "2G"}, True),
    ],
)
def test_memory_guarantee_must_not_exceed_limit(memory, ok):
    config = with_path(minimal_config(), "singleuser.memory", memory)
    if ok:
        assert load_settings(config, "dev").singleuser.memory.limit == memory["limit"]
    else:
        assert only_problem(config).startswith(
            "up2u-jupyter:singleuser.memory.guarantee (stack dev)"
        )


@pytest.mark.parametrize(
    "key", ["singleuser.memory.limit", "singleuser.storage.capacity", "hub.db.storage"]
)
def test_quantities_are_checked_against_the_kubernetes_grammar(key):
    line = only_problem(with_path(minimal_config(), key, "10GB"))
    assert line.startswith(f"up2u-jupyter:{key} (stack dev): '10GB'")
    assert "not a Kubernetes quantity" in line


def test_proxy_resources_request_must_not_exceed_limit():
    config = with_path(
        minimal_config(),
        "proxy.resources",
        {"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}},
    )
    assert only_problem(config).startswith(
        "up2u-jupyter:proxy.resources.requests.memory (stack dev)"
    )


def test_cull_every_above_timeout_is_accepted_with_advice():
    """The chart and the culler accept it (issue 11): advice, not an error."""
    settings = load_settings(minimal_config(cull={"timeout": 600, "every": 900}), "dev")
    [(key, text)] = settings.advice()
    assert key == "cull.every" and "up to 1500s" in text


def test_cull_every_equal_to_timeout_is_fine():
    assert (
        load_settings(minimal_config(cull={"timeout": 600, "every": 600}), "dev").cull.every == 600
    )


@pytest.mark.parametrize("value", [0, -5, "60", 1.5])
def test_cull_timeout_must_be_a_positive_whole_number(value):
    assert only_problem(minimal_config(cull={"timeout": value, "every": 1})).startswith(
        "up2u-jupyter:cull.timeout (stack dev)"
    )


def test_letsencrypt_needs_contact_email():
    line = only_problem(minimal_config(https={"mode": "letsencrypt"}))
    assert line.startswith("up2u-jupyter:https.contactEmail (stack dev): not set")


def test_letsencrypt_needs_domain():
    config = minimal_config(https={"mode": "letsencrypt", "contactEmail": "ops@example.org"})
    del config["domain"]
    assert any(
        line.startswith("up2u-jupyter:domain ") and "letsencrypt" in line
        for line in problems(config)
    )


def test_secret_https_needs_secret_name():
    assert only_problem(minimal_config(https={"mode": "secret"})).startswith(
        "up2u-jupyter:https.secretName (stack dev)"
    )


def test_https_mode_must_be_known():
    line = only_problem(minimal_config(https={"mode": "manual"}))
    assert line.startswith("up2u-jupyter:https.mode (stack dev): 'manual'")
    assert "'offload'" in line


@pytest.mark.parametrize("tag", [None, "latest"])
def test_protected_stacks_must_pin_image_tags(tag):
    image = {"name": "registry.example.org/k8s-hub"} | ({"tag": tag} if tag else {})
    config = minimal_config(protect=True, hub={"image": image})
    line = only_problem(config, stack="prod")
    assert line.startswith("up2u-jupyter:hub.image.tag (stack prod)")
    assert "pin images" in line


def test_unprotected_stacks_may_use_latest():
    config = minimal_config(singleuser={"image": {"name": "x/y", "tag": "latest"}})
    assert load_settings(config, "dev").singleuser.image.tag == "latest"


def test_protected_stack_with_chart_default_images_is_fine():
    assert load_settings(minimal_config(protect=True), "prod").protect


def test_postgres_needs_a_url_without_password():
    line = only_problem(minimal_config(hub={"db": {"type": "postgres"}}))
    assert line.startswith("up2u-jupyter:hub.db.url (stack dev): not set")
    config = minimal_config(
        hub={"db": {"type": "postgres", "url": "postgresql://hub:pw@db:5432/hub"}}
    )
    line = only_problem(config)
    assert "contains a password" in line and "dbPassword" in line
    assert "pw@" not in line and "***@db" in line  # named so they find it, password hidden


def test_postgres_with_url_is_valid_and_needs_db_password():
    config = minimal_config(
        hub={"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db:5432/hub"}}
    )
    assert load_settings(config, "dev").required_secrets() == ["oauthClientSecret", "dbPassword"]


def test_db_url_without_postgres_is_rejected():
    config = minimal_config(hub={"db": {"url": "postgresql://hub@db/hub"}})
    assert "only used with type postgres" in only_problem(config)


def test_settings_are_frozen():
    settings = load_settings(minimal_config(), "dev")
    with pytest.raises(ValidationError, match="frozen"):
        settings.namespace = "other"  # type: ignore[misc]


def test_snake_case_keys_are_rejected_with_the_camel_case_spelling():
    line = only_problem(minimal_config(release_name="abc"))
    assert line.startswith(
        "up2u-jupyter:release_name (stack dev): unknown key; did you mean releaseName?"
    )


# --- the chart's other authenticators (for migrated stacks) -------------------------------------


def github_config(**auth):
    return minimal_config(auth={"type": "github", "clientId": "gh", **auth})


def test_github_needs_client_id_and_domain_but_no_endpoints():
    config = github_config(allowedOrganizations=["up2u"])
    settings = load_settings(config, "dev")
    assert settings.required_secrets() == ["oauthClientSecret"]
    assert settings.auth.effective_login_service is None  # the authenticator's own ("GitHub")
    assert settings.auth.effective_scope is None


def test_organization_is_an_allow_rule_for_github():
    assert load_settings(github_config(allowedOrganizations=["up2u"]), "dev").auth


@pytest.mark.parametrize(
    ("auth", "key", "types"),
    [
        (
            {"type": "dummy", "allowAll": True, "clientId": "c"},
            "auth.clientId",
            "OAuthenticator.client_id",
        ),
        (
            {"type": "google", "clientId": "c", "allowAll": True, "allowedOrganizations": ["o"]},
            "auth.allowedOrganizations",
            "GitHubOAuthenticator.allowed_organizations",
        ),
        (
            {"type": "ldap", "allowAll": True, "groupsClaim": "memberOf"},
            "auth.groupsClaim",
            "OAuthenticator.auth_state_groups_key/manage_groups",
        ),
    ],
)
def test_keys_of_a_class_the_type_does_not_inherit_are_rejected(auth, key, types):
    line = only_problem(minimal_config(auth=auth))
    assert line.startswith(f"up2u-jupyter:{key} (stack dev)")
    assert f"sets {types}, which auth.type {auth['type']}" in line


def test_a_shared_oauth_key_works_for_another_oauth_class():
    config = minimal_config(
        auth={"type": "github", "clientId": "c", "allowAll": True, "tokenUrl": "https://x/t"}
    )
    assert load_settings(config, "dev").auth.token_url == "https://x/t"


def test_tmp_needs_allow_all_and_no_secret():
    # TmpAuthenticator 1.0 keeps JupyterHub 5's allow_all=False: without it, every visitor's
    # throwaway user is refused
    line = only_problem(minimal_config(auth={"type": "tmp"}))
    assert "nobody could log in" in line and "auth.allowAll: true" in line
    settings = load_settings(minimal_config(auth={"type": "tmp", "allowAll": True}), "dev")
    assert settings.required_secrets() == []


def test_dummy_needs_its_password_as_a_secret():
    settings = load_settings(minimal_config(auth={"type": "dummy", "allowAll": True}), "dev")
    assert settings.required_secrets() == ["dummyPassword"]


@pytest.mark.parametrize("kind", ["dummy", "tmp"])
def test_protected_stacks_refuse_test_authenticators(kind):
    line = only_problem(minimal_config(protect=True, auth={"type": kind, "allowAll": True}))
    assert line.startswith(f"up2u-jupyter:auth.type (stack dev): '{kind}'")


# --- group rules, every authenticator of the hub image, auth.options ------------------------------

GROUP = "urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org"


def auth_config(**auth):
    return minimal_config(auth={**minimal_config()["auth"], "allowAll": False, **auth})


def test_an_allowed_group_is_an_allow_rule():
    config = auth_config(groupsClaim="eduperson_entitlement", allowedGroups=[GROUP])
    assert load_settings(config, "dev").auth.allowed_groups == [GROUP]


def test_an_admin_group_alone_is_an_allow_rule():
    config = auth_config(groupsClaim="eduperson_entitlement", adminGroups=[GROUP])
    assert load_settings(config, "dev").auth.admin_groups == [GROUP]


def test_groups_need_the_claim_that_carries_them():
    line = only_problem(auth_config(allowedGroups=[GROUP]))
    assert line.startswith("up2u-jupyter:auth.groupsClaim (stack dev): not set: ")
    assert "eduperson_entitlement" in line


def test_the_no_allow_rule_error_mentions_groups_for_generic_oauth():
    line = only_problem(auth_config())
    assert "nobody could log in" in line and "auth.allowedGroups" in line


def test_every_authenticator_of_the_hub_image_is_a_type():
    for kind in ("azuread", "cilogon", "gitlab", "ldap", "native", "shared-password",
                 "ltiauthenticator.lti13.auth.LTI13Authenticator"):  # fmt: skip
        oauth = {"clientId": "c"} if kind in ("azuread", "cilogon", "gitlab") else {}
        auth = {"type": kind, "allowAll": True, **oauth}
        assert load_settings(minimal_config(auth=auth), "dev")


def test_every_oauth_class_needs_its_client_id():
    line = only_problem(minimal_config(auth={"type": "azuread", "allowAll": True}))
    assert line.startswith("up2u-jupyter:auth.clientId (stack dev)")


def test_an_unknown_type_gets_the_closest_name():
    line = only_problem(minimal_config(auth={"type": "azure-ad", "allowAll": True}))
    assert line.startswith("up2u-jupyter:auth.type (stack dev): 'azure-ad': not an authenticator")
    assert "did you mean azuread?" in line


def test_an_unmodelled_type_without_an_allow_rule_is_rejected():
    line = only_problem(minimal_config(auth={"type": "ldap"}))
    assert line.startswith("up2u-jupyter:auth (stack dev)") and "nobody could log in" in line


def test_an_allowed_list_in_options_is_an_allow_rule():
    config = minimal_config(auth={"type": "ldap", "options": {"allowed_groups": ["cn=staff"]}})
    assert load_settings(config, "dev").auth.options == {"allowed_groups": ["cn=staff"]}


def test_a_type_that_lets_everyone_in_by_itself_needs_no_rule():
    assert load_settings(minimal_config(auth={"type": "firstuse"}), "dev").auth.type == "firstuse"


def test_every_bad_option_is_reported_at_once_and_secrets_are_never_shown():
    config = minimal_config(auth={"type": "ldap", "allowAll": True, "options": {
        "server_adress": "ldap.example.org",
        "server_port": "636",
        "lookup_dn_search_password": "hunter2-very-secret",
    }})  # fmt: skip
    lines = problems(config)
    assert [line.split(" ")[0] for line in lines] == [
        "up2u-jupyter:auth.options.server_adress",
        "up2u-jupyter:auth.options.server_port",
        "up2u-jupyter:auth.options.lookup_dn_search_password",
    ]
    assert "did you mean server_address?" in lines[0]
    assert "'636': LDAPAuthenticator.server_port takes a whole number" in lines[1]
    assert "hunter2" not in "\n".join(lines) and "<secret: hidden>" in lines[2]
    assert "auth.secretOptions.lookup_dn_search_password" in lines[2]


def test_secret_options_make_their_secret_env_entries_required():
    config = minimal_config(
        auth={
            "type": "ldap",
            "allowAll": True,
            "secretOptions": {"lookup_dn_search_password": "LDAP_PW"},
        }
    )
    assert load_settings(config, "dev").required_secrets() == ["secretEnv.LDAP_PW"]


# --- server profiles ------------------------------------------------------------------------------


def profile(slug, **extra):
    return {"slug": slug, "displayName": slug.title(), **extra}


def test_profiles_default_to_none():
    assert load_settings(minimal_config(), "dev").profiles == []


def test_profiles_take_their_fields():
    config = minimal_config(profiles=[profile("small", default=True), profile("big",
        image={"name": "x/y", "tag": "1"}, cpu={"limit": "2"}, memory={"limit": "4Gi"},
        extraEnv={"COURSE": "ml"}, description="More room")])  # fmt: skip
    small, big = load_settings(config, "dev").profiles
    assert small.default and not big.default
    assert (big.cpu.limit, big.memory.limit, big.extra_env) == (2.0, "4Gi", {"COURSE": "ml"})


def test_profile_slugs_must_be_dns_labels_and_unique():
    line = only_problem(minimal_config(profiles=[profile("Big_One")]))
    assert line.startswith("up2u-jupyter:profiles.0.slug (stack dev): 'Big_One'")
    line = only_problem(minimal_config(profiles=[profile("a"), profile("b"), profile("a")]))
    assert line.startswith("up2u-jupyter:profiles.2.slug (stack dev): 'a': also the slug of")


def test_at_most_one_default_profile():
    config = minimal_config(profiles=[profile("a", default=True), profile("b", default=True)])
    line = only_problem(config)
    assert line.startswith("up2u-jupyter:profiles.1.default (stack dev): True")
    assert "profiles.0 is already the default" in line


def test_profile_guarantee_above_its_limit_is_rejected():
    config = minimal_config(profiles=[profile("a", memory={"limit": "1G", "guarantee": "2G"})])
    line = only_problem(config)
    assert line.startswith("up2u-jupyter:profiles.0.memory.guarantee (stack dev): '2G'")
    assert "more than the limit '1G'" in line


def test_profile_limit_below_the_singleuser_guarantee_is_rejected():
    # singleuser.memory.guarantee defaults to 1Gi: what the chart's 1G meant to KubeSpawner
    line = only_problem(minimal_config(profiles=[profile("a", memory={"limit": "512M"})]))
    assert line.startswith("up2u-jupyter:profiles.0.memory.limit (stack dev): '512M'")
    assert "less than the guarantee '1Gi' (singleuser.memory.guarantee)" in line
    config = minimal_config(profiles=[profile("a", memory={"limit": "512M", "guarantee": "256M"})])
    assert load_settings(config, "dev").profiles[0].memory.guarantee == "256M"


def test_profile_cpu_guarantee_above_the_singleuser_limit_is_rejected():
    config = minimal_config(singleuser={"cpu": {"limit": 1}},
                            profiles=[profile("a", cpu={"guarantee": 2})])  # fmt: skip
    line = only_problem(config)
    assert line.startswith("up2u-jupyter:profiles.0.cpu.guarantee (stack dev): 2.0")
    assert "(singleuser.cpu.limit)" in line


def test_profile_quantities_follow_the_kubernetes_grammar():
    line = only_problem(minimal_config(profiles=[profile("a", memory={"limit": "4GB"})]))
    assert line.startswith("up2u-jupyter:profiles.0.memory.limit (stack dev): '4GB'")


def test_up2u_profile_is_set_by_the_program():
    line = only_problem(minimal_config(profiles=[profile("a", extraEnv={"UP2U_PROFILE": "x"})]))
    assert line.startswith("up2u-jupyter:profiles.0.extraEnv.UP2U_PROFILE (stack dev)")


def test_protected_stacks_pin_profile_images():
    config = minimal_config(protect=True, profiles=[profile("a", image={"name": "x/y"})])
    line = only_problem(config, stack="prod")
    assert line.startswith("up2u-jupyter:profiles.0.image.tag (stack prod)")


def test_option_and_profile_problems_come_in_the_same_round_as_the_rest():
    config = minimal_config(
        auth={"type": "ldap", "options": {"server_adress": "x"}},  # also: no allow rule
        profiles=[profile("a", default=True), profile("a", default=True)],
    )
    keys = [line.split(" ")[0] for line in problems(config)]
    assert keys == [
        "up2u-jupyter:auth",
        "up2u-jupyter:auth.options.server_adress",
        "up2u-jupyter:profiles.1.slug",
        "up2u-jupyter:profiles.1.default",
    ]
