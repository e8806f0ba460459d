"""The secret rule reads code: every secret literal in extraConfig, in every shape and position.

Unit cases name the shapes the issue found in real files (f-strings, containers, bytes
constructors, comparisons, list items); property tests generate them (tests/code_strategies).
The importer rewrites each literal to an ``os.environ`` read of a secretEnv entry, so the code
keeps working and the stack file never holds the value.
"""

import ast

import pytest
from hypothesis import given

from tests.code_strategies import CANARY, plain_code, secret_code
from tests.strategies import ci
from up2u_jupyter.importer import convert
from up2u_jupyter.secretrule import (
    code_secrets,
    is_secret_text,
    rewrite_code_secrets,
    secret_leaves,
)


def _rewritten(code: str) -> str:
    found = code_secrets(code)
    assert found is not None
    return rewrite_code_secrets(code, {s: f"S{i}" for i, s in enumerate(found)})


@pytest.mark.parametrize(
    "code",
    [
        'c.GenericOAuthenticator.client_secret = f"CANARY-{suffix}"',
        "c.JupyterHub.api_tokens = {'CANARY-a': 'service-user'}",
        "c.JupyterHub.services = [{'name': 'gw', 'api_token': 'CANARY-b'}]",
        "c.KubeSpawner.environment = {'GITHUB_TOKEN': 'CANARY-c', 'EDITOR': 'vim'}",
        "c.JupyterHub.cookie_secret = bytes.fromhex('CANARY')",
        "c.CryptKeeper.keys = [b'CANARY-d']",
        "c.LTIAuthenticator.consumers = {'key': os.environ.get('LTI_SHARED_SECRET') or 'CANARY'}",
        "if data['password'] == 'CANARY-e':\n    pass",
        "admin_password = 'CANARY-f'",
        "token = 'CANARY-g'\nc.MyService.api_token = token",
        "c.JupyterHub.db_url = 'postgresql://hub:CANARY-h@db/hub'",
        "connect(host='db', password='CANARY-i')",
        "spawner.environment['AWS_SECRET_ACCESS_KEY'] = 'CANARY-j'",
        "value = os.environ.get('API_TOKEN', 'CANARY-k')",
    ],
)
def test_every_shape_of_a_secret_literal_is_found_and_rewritten(code):
    rewritten = _rewritten(code)
    assert "CANARY" not in rewritten
    ast.parse(rewritten)  # still Python
    assert "os.environ['S0']" in rewritten


@pytest.mark.parametrize(
    "code",
    [
        "c.Spawner.default_url = '/lab'",
        "c.Authenticator.normalize_username = lambda n: f'{n}'.lower()",
        "c.JupyterHub.db_url = 'postgresql://{user}:{password}@{host}/db'.format(**parts)",
        "c.JupyterHub.db_url = f'postgresql://hub:{password}@db/hub'",
        "c.KubeSpawner.environment = {'EDITOR': 'vim', 'TOKEN_URL': 'https://idp/token'}",
        "if data['username'] == 'admin':\n    pass",
        "c.GenericOAuthenticator.client_secret = os.environ['OAUTH_CLIENT_SECRET']",
    ],
)
def test_literals_that_are_no_secret_are_left_alone(code):
    assert code_secrets(code) == []


def test_a_bytes_literal_is_read_back_as_bytes():
    rewritten = rewrite_code_secrets(
        "c.X.password = b'CANARY'",
        {s: "X_PASSWORD" for s in code_secrets("c.X.password = b'CANARY'")},
    )
    assert rewritten == "import os\nc.X.password = os.environ['X_PASSWORD'].encode()"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql://user:CANARY@db:5432/hub", True),
        ("--password=CANARY", True),
        ("--api-token=CANARY", True),
        ("-credentials=/secrets/db/credentials.json", False),  # a path to a file, not the secret
        ("--password=$(DB_PASSWORD)", False),  # Kubernetes fills it from the environment
        ("postgresql://user:${DB_PASSWORD}@db/hub", False),
        ("https://example.org/path", False),
    ],
)
def test_list_items_are_judged_as_text(text, secret):
    assert is_secret_text(text) is secret
    tree = {"singleuser": {"initContainers": [{"name": "wait", "args": ["--db", text]}]}}
    assert bool(list(secret_leaves(tree))) is secret


def test_a_license_key_written_signed_is_still_a_key():
    tree = {"singleuser": {"extraEnv": {"LICENSE_KEY_SIGNED": "CANARY", "EDITOR": "vim"}}}
    assert list(secret_leaves(tree)) == [("singleuser", "extraEnv", "LICENSE_KEY_SIGNED")]


FIXED_PASSWORDS = """
class FixedPassword(Base):
    def authenticate(self, handler, data):
        if data['password'] == 'CANARY-admin':
            return data['username']
        elif data['password'] == 'CANARY-student':
            return data['username']
        elif data['password'] == 'CANARY-admin':
            return None
"""


def test_the_importer_keeps_the_code_and_asks_for_each_secret_once():
    imported = convert({"hub": {"extraConfig": {"auth": FIXED_PASSWORDS}}}, from_chart="0.7.0")
    kept = imported.config["hub"]["extraConfig"]["auth"]
    assert "CANARY" not in kept
    compile(kept, "auth", "exec")
    # the same literal twice is one secret; two literals are two
    assert set(imported.secrets_to_set) == {"secretEnv.PASSWORD", "secretEnv.PASSWORD_2"}
    assert kept.count("os.environ['PASSWORD']") == 2


@ci(300)
@given(code=secret_code())
def test_a_generated_secret_is_always_found_and_the_code_stays_python(code):
    rewritten = _rewritten(code)
    assert CANARY not in rewritten, code
    ast.parse(rewritten)


@ci(150)
@given(code=plain_code())
def test_generated_plain_code_holds_no_secret(code):
    assert code_secrets(code) == [], code


@ci(100)
@given(code=secret_code())
def test_the_importer_never_writes_a_generated_secret(code):
    imported = convert({"hub": {"extraConfig": {"snippet": code}}}, from_chart="4.0.0")
    assert CANARY not in repr(imported.config), code
    kept = imported.config.get("hub", {}).get("extraConfig", {}).get("snippet")
    if kept is not None:
        ast.parse(kept)
