"""Hypothesis strategies for Python snippets that hold a secret literal (or hold none).

Shared by the secret-rule tests (tests/test_secret_code.py): a secret is a planted canary
written in one of the literal shapes real extraConfig code uses, put in one of the positions
that make it a secret (assigned to, passed as, stored under, compared with, the fallback of a
read of something named like a secret).
"""

from hypothesis import strategies as st

CANARY = "CANARY-code-7f3a"
SECRET_NAMES = [
    "client_secret",
    "password",
    "api_token",
    "GITHUB_TOKEN",
    "cookie_secret",
    "AWS_SECRET_ACCESS_KEY",
    "lti_shared_secret",
    "private_key",
    "LICENSE_KEY_SIGNED",
]
PLAIN_NAMES = ["default_url", "image", "login_service", "username", "cmd", "notebook_dir"]

LITERALS = [
    "'{c}'",
    '"{c}"',
    "r'{c}'",
    "'''{c}'''",
    'f"{c}-{{suffix}}"',
    "f'{c}'",
    "b'{c}'",
    "bytes.fromhex('{c}')",
    "bytes('{c}', 'utf-8')",
    "'{c}'.encode()",
    "binascii.a2b_hex('{c}')",
    "['{c}']",
    "('{c}', 'other')",
    "{{'{c}'}}",
    "set(['{c}'])",
    "{{'k': '{c}'}}",
    "[{{'name': 'x', 'value': '{c}'}}]",
    "os.environ.get('X') or '{c}'",
    "'{c}' if ready else None",
    "'prefix-' + '{c}'",
]
"""How a literal is written (``{c}`` is the canary)."""

POSITIONS = [
    "c.SomeAuthenticator.{name} = {lit}",
    "{name} = {lit}",
    "spawner.environment['{name}'] = {lit}",
    "os.environ['{name}'] = {lit}",
    "setup({name}={lit})",
    "c.JupyterHub.services = [{{'name': 'svc', '{name}': {lit}}}]",
    "c.KubeSpawner.environment = {{'{name}': {lit}, 'PLAIN': 'x'}}",
    "if {name} == {lit}:\n    pass",
    "if {lit} != data['{name}']:\n    pass",
    "allowed = {name} in [{lit}]",
    "value = os.environ.get('{name}', {lit})",
    "value = os.getenv('{name}') or {lit}",
    "held = {lit}\nc.X.{name} = held",
    "def check(handler, data):\n    if data['{name}'] == {lit}:\n        return data['username']",
]
"""Where a literal is a secret (``{name}`` names a secret)."""


@st.composite
def secret_code(draw: st.DrawFn) -> str:
    """A snippet holding the canary as a secret, plus harmless code around it."""
    literal = draw(st.sampled_from(LITERALS)).format(c=CANARY)
    position = draw(st.sampled_from(POSITIONS))
    name = draw(st.sampled_from(SECRET_NAMES))
    before = draw(st.sampled_from(["", "import os\n", "c.Spawner.default_url = '/lab'\n"]))
    after = draw(st.sampled_from(["", "\nc.Spawner.start_timeout = 600", "\n# done"]))
    return before + position.format(name=name, lit=literal) + after


@st.composite
def plain_code(draw: st.DrawFn) -> str:
    """A snippet with literals that are not secrets: plain names, templates, no password."""
    literal = draw(
        st.sampled_from(
            [
                "'/lab'",
                "f'{user}-{server}'",
                "'postgresql://{user}:{password}@db/hub'.format(user=u, password=p)",
                "['read:org']",
                "{'A': '1'}",
                "b'bytes'",
            ]
        )
    )
    position = draw(st.sampled_from(POSITIONS[:7]))
    name = draw(st.sampled_from(PLAIN_NAMES))
    return position.format(name=name, lit=literal)
