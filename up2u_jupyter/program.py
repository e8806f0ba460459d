"""The Pulumi program: this stack's config -> validated settings -> JupyterHub -> stack outputs."""

import json
from typing import Any

import pulumi

from .component import JupyterHub, JupyterHubArgs
from .errors import ConfigError, Problem
from .settings import PROJECT, SECRET_KEYS, Settings, load_settings, secret_set_command
from .stackfile import split_config

STRING_KEYS = {"namespace", "releaseName", "domain", *SECRET_KEYS}
"""Top-level keys whose values are strings; every other value is JSON as Pulumi passes it."""


def stack_settings(stack: str) -> Settings:
    """Validate this stack's config as the Pulumi runtime passes it; raise ConfigError."""
    config = split_config(
        {
            key: _decode(key, value)
            for key, value in _runtime_config().items()
            if key.startswith(f"{PROJECT}:")
        },
        stack,
    )
    settings = load_settings(config.values, stack)
    missing = [key for key in settings.required_secrets() if key not in config.secrets]
    if missing:
        raise ConfigError(
            stack,
            [
                Problem(
                    f"{PROJECT}:{key}",
                    f"required secret not set; run: {secret_set_command(key, stack)}",
                )
                for key in missing
            ],
        )
    return settings


def outputs(hub: JupyterHub) -> dict[str, pulumi.Output[Any]]:
    """The stack outputs; only healthCheckToken is secret."""
    return {
        "namespace": hub.namespace,
        "releaseName": hub.release_name,
        "chartVersion": hub.chart_version,
        "releaseStatus": hub.release_status,
        "hubUrl": hub.hub_url,
        "proxyEndpoint": hub.proxy_endpoint,
        "publicUrl": hub.public_url,
        "oauthCallbackUrl": hub.oauth_callback_url,
        "healthCheckToken": hub.health_check_token,
    }


def main() -> None:
    """Deploy this stack; a config mistake is reported without a traceback."""
    stack = pulumi.get_stack()
    try:
        settings = stack_settings(stack)
    except ConfigError as error:
        raise pulumi.RunError(error.summary()) from None
    config = pulumi.Config(PROJECT)
    hub = JupyterHub(
        "up2u",
        JupyterHubArgs(
            settings=settings,
            oauth_client_secret=config.get_secret("oauthClientSecret"),
            db_password=config.get_secret("dbPassword"),
            dummy_password=config.get_secret("dummyPassword"),
        ),
    )
    for name, value in outputs(hub).items():
        pulumi.export(name, value)


def _runtime_config() -> dict[str, Any]:
    # Pulumi hands the program its config through the runtime (CONFIG) or, in older hosts,
    # the PULUMI_CONFIG environment variable: take both, the runtime winning.
    merged = dict(pulumi.runtime.config.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def _decode(full_key: str, value: Any) -> Any:
    key = full_key.partition(":")[2]
    if not isinstance(value, str) or key in STRING_KEYS:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value
