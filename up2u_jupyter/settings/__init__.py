"""The stack config contract: validated settings from a stack's raw config.

``load_settings`` turns the raw config of a stack (from the stack file offline, or from the
Pulumi runtime) into validated ``Settings`` or raises a ``ConfigError`` listing every problem
with its full key, the value and the fix. The package: ``fields`` (what one value may be),
``models`` (the contract and its rules), ``problems`` (validation errors -> operator lines).
"""

from ..credentials import PROJECT, SECRET_KEYS
from .models import (
    COLLABORATION_ENV,
    PROFILE_ENV,
    Auth,
    Image,
    LimitGuarantee,
    Profile,
    ResourceRequirements,
    Settings,
    Singleuser,
    profile_problems,
    profile_resources,
    top_level_string_keys,
)
from .problems import load_settings

__all__ = [
    "COLLABORATION_ENV",
    "PROFILE_ENV",
    "PROJECT",
    "SECRET_KEYS",
    "Auth",
    "Image",
    "LimitGuarantee",
    "Profile",
    "ResourceRequirements",
    "Settings",
    "Singleuser",
    "load_settings",
    "profile_problems",
    "profile_resources",
    "top_level_string_keys",
]
