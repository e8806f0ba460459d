"""``z2jh`` for the preview's hub: the chart hub's helper module, answered from the stack's values.

This folder is on the preview hub's PYTHONPATH (as the chart puts its config folder on the hub's
``sys.path``), so ``hub.extraConfig`` snippets that ``from z2jh import get_config`` run locally.
The answers come from ``up2u_jupyter.preview.hubvalues``. ``get_name`` and ``get_name_env``
answer as on the cluster: the preview's hub has the chart pod's ``HELM_RELEASE_NAME`` and the
service variables (``HUB_SERVICE_PORT``, ...) pointing at its local ports.
"""

from typing import Any

from up2u_jupyter.preview.hubvalues import NOT_GIVEN, current


def get_config(key: str, default: Any = None) -> Any:
    """The stack's value at dotted ``key``, or ``default``."""
    return current().get_config(key, default)


def get_secret_value(key: str, default: Any = NOT_GIVEN) -> Any:
    """A key of the chart's hub Secret (``hub.config.JupyterHub.cookie_secret``, ...)."""
    return current().get_secret_value(key, default)


def set_config_if_not_none(cparent: Any, name: str, key: str) -> None:
    """Set ``cparent.name`` from the stack's value at ``key`` unless it is null or missing."""
    current().set_config_if_not_none(cparent, name, key)


def get_name(name: str) -> str:
    """The full name of one of the chart's resources (``"proxy-public"``)."""
    return current().get_name(name)


def get_name_env(name: str, suffix: str = "") -> str:
    """The environment variable Kubernetes sets for that resource plus ``suffix``."""
    return current().get_name_env(name, suffix)
