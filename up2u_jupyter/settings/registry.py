"""Pulling the hub and user images from a private registry: the names of its pull Secrets."""

import re
from typing import Annotated

from pydantic import AfterValidator

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
NAME_RULE = (
    "use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a "
    "letter or digit (e.g. up2u-registry)"
)


def _secret_name(value: str) -> str:
    """A DNS-1123 subdomain, as Kubernetes names Secrets: dot-separated labels."""
    labels = value.split(".")
    if len(value) <= 253 and all(_LABEL.fullmatch(label) for label in labels):
        return value
    raise ValueError(f"not a Kubernetes Secret name; {NAME_RULE}")


PullSecretName = Annotated[str, AfterValidator(_secret_name)]
"""The name of a ``kubernetes.io/dockerconfigjson`` Secret in the stack's namespace."""
