"""The secrets table: every secret a stack is given, in one place.

Each secret the operator supplies (``pulumi config set --secret ...``) is one ``SecretSpec``:
its stack config key, its key in the stack's credentials Kubernetes Secret, the environment
variable the hub reads it from (``hub.extraEnv`` with ``secretKeyRef``, so the value never
enters Helm values or Helm's release history), when the stack needs it, and what the local
preview uses instead. Settings, values, the component, the program, the importer, the preview
and docs/reference.md's table all read this table; adding a secret is one entry here plus its tests.

``secretEnv`` is the open-ended member: a secret map of environment variable name -> value,
for whatever else the hub needs in its environment (an authenticator's secret option, an API
key an extraConfig snippet reads). It is set per entry:
``pulumi config set --secret --path 'up2u-jupyter:secretEnv.NAME' VALUE``.

Secrets the stack generates itself (proxy token, cookie secret, auth-state key, service
tokens) are not here: see ``values.ChartSecrets``.
"""

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

PROJECT = "up2u-jupyter"
"""The Pulumi project name, which is also the namespace of every config key."""
PROTECTED_STACKS = ("prod",)
"""The stacks whose deployments the policy pack's mandatory rules guard unless its config says
otherwise (its ``protectedStacks`` default); importing an old file into one asks for
``--protect``."""


@dataclass(frozen=True)
class SecretSpec:
    """One secret the operator supplies."""

    key: str
    """Stack config key (``up2u-jupyter:<key>``)."""
    secret_key: str
    """Key in the stack's credentials Kubernetes Secret."""
    env: str
    """Environment variable the hub reads it from."""
    when: str
    """When a stack needs it, as docs/reference.md says it."""
    required: Callable[[Any], bool]
    """Whether validated settings need it."""
    preview: str | None
    """What the local preview sets instead (None: the preview swaps the need away)."""


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec(
        key="oauthClientSecret",
        secret_key="oauth-client-secret",
        env="OAUTH_CLIENT_SECRET",  # OAuthenticator's own default source for client_secret
        when="auth.type is an OAuth provider (generic-oauth, github, azuread, cilogon, ...)",
        required=lambda s: s.auth.oauth,
        preview="local-preview-client-secret",
    ),
    SecretSpec(
        key="dbPassword",
        secret_key="db-password",
        env="PGPASSWORD",  # libpq (psycopg2) reads it when the URL has no password
        when="hub.db.type is postgres",
        required=lambda s: s.hub.db.type == "postgres",
        preview=None,  # the preview runs SQLite
    ),
    SecretSpec(
        key="dummyPassword",
        secret_key="dummy-password",
        env="DUMMY_PASSWORD",  # read by the extraConfig entry values.DUMMY_PASSWORD_CONFIG
        when="auth.type is dummy",
        required=lambda s: s.auth.type == "dummy",
        preview="preview",
    ),
)
"""The operator-supplied secrets with one value each."""

BY_KEY = {spec.key: spec for spec in SECRETS}
OAUTH_CLIENT_SECRET, DB_PASSWORD, DUMMY_PASSWORD = (spec.key for spec in SECRETS)
"""The keys of the table's entries, for the modules that handle one of them specially."""

SECRET_ENV = "secretEnv"
"""The secret map of extra environment variables (NAME -> value) for the hub."""
SECRET_ENV_WHEN = "an extraConfig snippet or auth.secretOptions reads an environment variable"

SECRET_KEYS = (*BY_KEY, SECRET_ENV)
"""Every top-level secret config key: never read offline, never written to a stack file."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def secret_name(release_name: str) -> str:
    """The name of the stack's Kubernetes Secret holding this table's values."""
    return f"{release_name}-up2u-credentials"


def is_secret_key(key: str) -> bool:
    """Whether a (dotted) stack config key holds an operator-supplied secret."""
    return key.split(".", 1)[0] in SECRET_KEYS


def valid_env_name(name: str) -> bool:
    """Whether ``name`` can be an environment variable (and so a secretEnv entry)."""
    return bool(_ENV_NAME.fullmatch(name))


def secret_env_key(name: str) -> str:
    """Key of a secretEnv entry in the credentials Secret."""
    return f"env-{name}"


def required(settings: Any) -> list[str]:
    """The secret config keys (dotted for secretEnv entries) a stack cannot deploy without."""
    keys = [spec.key for spec in SECRETS if spec.required(settings)]
    keys += [f"{SECRET_ENV}.{name}" for name in settings.secret_env_references()]
    return keys


def secret_env_names(present: Collection[str]) -> list[str]:
    """The secretEnv entry names among present secret keys (``secretEnv.NAME`` -> ``NAME``)."""
    prefix = f"{SECRET_ENV}."
    return sorted(key.removeprefix(prefix) for key in present if key.startswith(prefix))


def _ref(secret_name: str, key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def hub_env(settings: Any, secret_name: str, env_names: Collection[str]) -> dict[str, Any]:
    """``hub.extraEnv`` entries that read each secret from the credentials Secret."""
    env = {
        spec.env: _ref(secret_name, spec.secret_key) for spec in SECRETS if spec.required(settings)
    }
    for name in sorted({*env_names, *settings.secret_env_references()}):
        env[name] = _ref(secret_name, secret_env_key(name))
    return env


def string_data(
    settings: Any, provided: Mapping[str, Any], secret_env: Mapping[str, Any]
) -> dict[str, Any]:
    """The credentials Secret's data: each required secret that is provided, and secretEnv."""
    data = {
        spec.secret_key: provided[spec.key]
        for spec in SECRETS
        if spec.required(settings) and provided.get(spec.key) is not None
    }
    data |= {secret_env_key(name): value for name, value in sorted(secret_env.items())}
    return data


def preview_env(settings: Any, env_names: Collection[str]) -> dict[str, str]:
    """The local stand-ins the preview puts in the hub's environment."""
    env = {
        spec.env: spec.preview
        for spec in SECRETS
        if spec.required(settings) and spec.preview is not None
    }
    for name in sorted({*env_names, *settings.secret_env_references()}):
        env[name] = f"preview-{name.lower()}"
    return env


def set_command(key: str, stack: str) -> str:
    """The exact command that sets a secret config key (``--path`` for map entries)."""
    path = " --path" if "." in key else ""
    quoted = f"'{PROJECT}:{key}'" if "." in key else f"{PROJECT}:{key}"
    return f"pulumi config set --secret{path} {quoted} <value> --stack {stack}"
