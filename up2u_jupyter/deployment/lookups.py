"""The chart hub's ``z2jh`` lookups, answered from a stack's values instead of mounted files.

On the cluster the hub's ``z2jh`` module (jupyterhub/zero-to-jupyterhub-k8s,
``jupyterhub/files/hub/z2jh.py``) reads the chart's values from the hub Secret's ``values.yaml``
and each secret from its own key of that Secret (``templates/hub/secret.yaml``). Neither
``check`` nor the preview has that Secret: ``HubValues`` answers the same calls from a values
tree, so that ``hubconfig.derive`` reads values exactly as the chart's config file does, and
the preview's ``hub.extraConfig`` snippets which ``from z2jh import get_config`` run unchanged.

On the cluster the hub's ``values.yaml`` holds the chart's defaults merged under the user's
values; ``deployment.effective`` and the preview give ``HubValues`` the same merge when the
chart's ``values.yaml`` is beside its schema, and the stack's own values otherwise.
"""

import os
import secrets
from collections.abc import Mapping
from typing import Any

from ..chart import RELEASE_ENV, plain_copy, resource_prefix

NOT_GIVEN: Any = object()
"""``get_secret_value``'s default when none is given: a missing key then raises."""


class HubValues:
    """``get_config``, ``get_secret_value`` and ``set_config_if_not_none`` over one values tree."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = plain_copy(dict(values))
        self._generated: dict[str, str] = {}

    @property
    def root(self) -> Mapping[str, Any]:
        """The whole values tree (read it, never change it)."""
        return self._values

    def get_config(self, key: str, default: Any = None) -> Any:
        """The value at dotted ``key`` (``"hub.db.type"``), or ``default`` when any part is missing.

        A copy: the chart's snippets mutate what they get (``service.pop(...)``), and that must
        not change what the next lookup sees.
        """
        node: Any = self._values
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return plain_copy(node)

    def get_secret_value(self, key: str, default: Any = NOT_GIVEN) -> Any:
        """A key of the chart's hub Secret, derived from the values as the chart's templates do.

        The chart fills each key from the values first, then from the Secret already in the
        cluster, then a new random value; the preview has no earlier Secret, so it generates
        one per run (kept for the life of this object). Other keys answer ``default`` or raise
        ``KeyError``, as the chart's helper raises when a key is in neither Secret.
        """
        sources = self._secret_sources(key)
        if sources is None:
            if default is NOT_GIVEN:
                raise KeyError(f"{key} is not a key of the chart's hub Secret")
            return default
        for source in sources:
            value = self.get_config(source)
            if value:
                return ";".join(value) if key == "hub.config.CryptKeeper.keys" else str(value)
        if key == "hub.db.password":  # only present when set
            if default is NOT_GIVEN:
                raise KeyError(f"{key} is not set in the values")
            return default
        return self._generated.setdefault(key, secrets.token_hex(32))

    def get_name(self, name: str) -> str:
        """The full name of one of the chart's resources (``"hub"``, ``"proxy-public"``), as the
        chart's hub reads it from its ConfigMap: the release's prefix (``fullnameOverride``,
        else the release name, ``HELM_RELEASE_NAME`` in the hub's pod) and the short name."""

        release = os.environ.get(RELEASE_ENV)
        if not release:
            raise KeyError(f"get_name({name!r}) needs the release name: {RELEASE_ENV} is unset")
        return resource_prefix(self._values, release) + name

    def get_name_env(self, name: str, suffix: str = "") -> str:
        """The environment variable Kubernetes sets for a resource (``get_name_env("hub",
        "_SERVICE_PORT")`` reads ``HUB_SERVICE_PORT``)."""
        return os.environ[(self.get_name(name) + suffix).upper().replace("-", "_")]

    def set_config_if_not_none(self, cparent: Any, name: str, key: str) -> None:
        """``setattr(cparent, name, value)`` when the values have a non-null ``key``."""
        value = self.get_config(key)
        if value is not None:
            setattr(cparent, name, value)

    def _secret_sources(self, key: str) -> list[str] | None:
        """Which values fill a key of the hub Secret, first found wins (None: not a Secret key)."""
        fixed = {
            "hub.db.password": ["hub.db.password"],
            "hub.config.ConfigurableHTTPProxy.auth_token": [
                "hub.config.ConfigurableHTTPProxy.auth_token",
                "proxy.secretToken",
            ],
            "hub.config.JupyterHub.cookie_secret": [
                "hub.config.JupyterHub.cookie_secret",
                "hub.cookieSecret",
            ],
            "hub.config.CryptKeeper.keys": ["hub.config.CryptKeeper.keys"],
        }
        if key in fixed:
            return fixed[key]
        parts = key.split(".")
        # the chart writes one token key for every service, generating what is not given
        if (
            len(parts) == 4
            and parts[:2] == ["hub", "services"]
            and parts[3] == "apiToken"
            and isinstance(self.get_config(f"hub.services.{parts[2]}"), Mapping)
        ):
            return [key]
        return None
