"""The secrets table: one entry per secret, read by every layer, documented in docs/reference.md."""

import re

import pytest

from tests.conftest import ROOT, minimal_config
from up2u_jupyter import credentials
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings


def readme_rows():
    text = (ROOT / "docs" / "reference.md").read_text()
    section = text[text.index("## Where secrets live") :]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_the_readme_table_is_the_secrets_table():
    rows = readme_rows()
    expected = {spec.key for spec in credentials.SECRETS} | {"secretEnv.NAME"}
    assert set(rows) == expected
    for spec in credentials.SECRETS:
        _, when, secret_key, env, preview = rows[spec.key]
        assert when == spec.when
        assert (secret_key, env) == (f"`{spec.secret_key}`", f"`{spec.env}`")
        assert preview == (f"`{spec.preview}`" if spec.preview else "nothing (SQLite)")
    assert rows["secretEnv.NAME"][1] == credentials.SECRET_ENV_WHEN


@pytest.mark.parametrize(
    ("overrides", "needed"),
    [
        ({}, ["oauthClientSecret"]),
        ({"auth": {"type": "dummy", "allowAll": True}}, ["dummyPassword"]),
        ({"auth": {"type": "tmp", "allowAll": True}}, []),
    ],
)
def test_each_secret_is_required_exactly_when_its_rule_says(overrides, needed):
    assert load_settings(minimal_config(**overrides), "t").required_secrets() == needed


def test_every_required_secret_reaches_the_hub_by_reference_only():
    settings = load_settings(
        minimal_config(hub={"db": {"type": "postgres", "url": "postgresql://hub@db/hub"}}), "t"
    )
    env = offline_values(settings, secret_env=["API_KEY"])["hub"]["extraEnv"]
    for spec in credentials.SECRETS:
        if spec.required(settings):
            assert env[spec.env]["valueFrom"]["secretKeyRef"] == {
                "name": "jhub-up2u-credentials",
                "key": spec.secret_key,
            }
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "env-API_KEY"
    # and the forget-user token, from the program's own Secret (tests/test_pupildata_values.py)
    assert set(env) == {"OAUTH_CLIENT_SECRET", "PGPASSWORD", "API_KEY", "UP2U_FORGET_USER_TOKEN"}


def test_set_commands_quote_map_entries_with_path():
    assert credentials.set_command("dbPassword", "prod") == (
        "pulumi config set --secret up2u-jupyter:dbPassword <value> --stack prod"
    )
    assert credentials.set_command("secretEnv.X", "prod") == (
        "pulumi config set --secret --path 'up2u-jupyter:secretEnv.X' <value> --stack prod"
    )


def test_secret_env_names_must_be_environment_variable_names():
    assert all(map(credentials.valid_env_name, ["A", "_B", "LDAP_BIND_PASSWORD"]))
    assert not any(map(credentials.valid_env_name, ["1A", "A-B", "A B", "", "x" * 200]))
    assert re.fullmatch(r"env-[A-Za-z_]\w*", credentials.secret_env_key("LDAP_BIND_PASSWORD"))
