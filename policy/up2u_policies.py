"""Rules that keep protected stacks safe, checked on the JupyterHub Helm release.

Mandatory rules apply to protected stacks (policy config ``protectedStacks``, default
``["prod"]``; the stack is read from the resource's URN); the advisory rule applies everywhere.
Each rule is a plain function of (args, report_violation), so tests call it directly.

``effective-deployment`` runs the project's own invariants (``up2u_jupyter.deployment``, the
code ``check`` and ``pulumi up`` run) on the release's values, with the typed intent read from
the stack's committed ``Pulumi.<stack>.yaml`` beside this folder: it refuses what they refuse,
on every stack.
"""

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The project: its package (the invariants) and its committed stack files."""
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from up2u_jupyter.credentials import PROTECTED_STACKS  # noqa: E402  (the project's own table)

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "jupyterhub"
DEFAULT_PROTECTED_STACKS = list(PROTECTED_STACKS)
Report = Callable[[str, str | None], None]

PROTECTED_STACKS_SCHEMA = PolicyConfigSchema(
    properties={
        "protectedStacks": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_PROTECTED_STACKS,
        }
    }
)


def stack_of(urn: str) -> str:
    """The stack name in a resource URN (``urn:pulumi:<stack>::<project>::...``)."""
    return urn.split("::", 1)[0].rsplit(":", 1)[-1]


def _plain(value: Any) -> Any:
    """Secret wrappers removed: the rules read only non-secret settings next to secrets."""
    inner = getattr(value, "value", value) if type(value).__name__ == "Secret" else value
    if isinstance(inner, Mapping):
        return {key: _plain(item) for key, item in inner.items()}
    if isinstance(inner, list):
        return [_plain(item) for item in inner]
    return inner


def _values(args: ResourceValidationArgs) -> dict[str, Any] | None:
    """The release's Helm values when this is our chart's release, else None."""
    if args.resource_type != RELEASE or args.props.get("chart") != CHART:
        return None
    return _plain(args.props.get("values") or {})


def _get(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _protected_release(args: ResourceValidationArgs) -> dict[str, Any] | None:
    values = _values(args)
    protected = args.get_config().get("protectedStacks", DEFAULT_PROTECTED_STACKS)
    if values is None or stack_of(args.urn) not in protected:
        return None
    return values


def https_required(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _protected_release(args)
    if values is not None and _get(values, "proxy.https.enabled") is not True:
        report_violation(
            "HTTPS is off (https.mode none); set up2u-jupyter:https.mode to offload, "
            "letsencrypt or secret",
            None,
        )


def culling_enabled(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _protected_release(args)
    if values is not None and _get(values, "cull.enabled") is False:
        report_violation("idle culling is off; set up2u-jupyter:cull.enabled to true", None)


def user_limits_set(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _protected_release(args)
    if values is None:
        return
    for resource in ("cpu", "memory"):
        if _get(values, f"singleuser.{resource}.limit") is None:
            report_violation(
                f"user servers have no {resource} limit; set "
                f"up2u-jupyter:singleuser.{resource}.limit",
                None,
            )


def images_pinned(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _protected_release(args)
    if values is None:
        return
    for component in ("hub", "singleuser"):
        image = _get(values, f"{component}.image")
        if image is None:
            continue  # the chart's own image, pinned to the chart version
        tag = _get(image, "tag")
        if tag in (None, "", "latest"):
            report_violation(
                f"{component} image {_get(image, 'name')} is not pinned (tag {tag!r}); set "
                f"up2u-jupyter:{component}.image.tag to a version",
                None,
            )


def _image_tag(image: str) -> str | None:
    """The tag of an image reference (``name:tag``, ``name@sha256:...`` counts as pinned)."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    name, _, tag = image.rpartition(":")
    return tag if name and "/" not in tag else None


def profiles_limited_and_pinned(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _protected_release(args)
    if values is None:
        return
    for index, profile in enumerate(_get(values, "singleuser.profileList") or []):
        override = _get(profile, "kubespawner_override") or {}
        name = f"profile {_get(profile, 'slug') or index}"
        for resource, trait in (("cpu", "cpu_limit"), ("memory", "mem_limit")):
            if override.get(trait) is None and _get(values, f"singleuser.{resource}.limit") is None:
                report_violation(
                    f"{name} has no {resource} limit; set up2u-jupyter:profiles.{index}."
                    f"{resource}.limit (or singleuser.{resource}.limit)",
                    None,
                )
        image = override.get("image")
        if image is not None and _image_tag(str(image)) in (None, "", "latest"):
            report_violation(
                f"{name} image {image} is not pinned; set up2u-jupyter:profiles.{index}."
                "image.tag to a version",
                None,
            )


def release_protected(args: ResourceValidationArgs, report_violation: Report) -> None:
    if _protected_release(args) is not None and not args.opts.protect:
        report_violation(
            "the release is not protected against deletion; set up2u-jupyter:protect to true",
            None,
        )


def active_server_limit_set(args: ResourceValidationArgs, report_violation: Report) -> None:
    values = _values(args)
    if values is not None and _get(values, "hub.activeServerLimit") is None:
        report_violation(
            "no limit on concurrent user servers; set up2u-jupyter:hub.activeServerLimit "
            "so a rush of users cannot exhaust the cluster",
            None,
        )


def _judged(args: ResourceValidationArgs, warnings: bool) -> list[str]:
    """The lines the project's invariants give the release (errors, or warnings)."""
    values = _values(args)
    if values is None:
        return []
    from up2u_jupyter.credentials import secret_env_names
    from up2u_jupyter.deployment import judge_stack
    from up2u_jupyter.errors import ConfigError, UsageError
    from up2u_jupyter.stackfile import load_stack

    stack = stack_of(args.urn)
    try:
        config, settings = load_stack(PROJECT_DIR, stack)
    except UsageError:
        # no committed stack file: the typed intent is not known here (`check` needs it too)
        return [f"stack {stack} has no committed Pulumi.{stack}.yaml to judge the release "
                "against; commit it"] if warnings else []  # fmt: skip
    except ConfigError as error:
        return [] if warnings else error.lines()
    found = judge_stack(settings, values, secret_env_names(config.secrets), PROJECT_DIR, stack)
    return [f.line(stack) for f in found if f.warning == warnings]


def effective_deployment(args: ResourceValidationArgs, report_violation: Report) -> None:
    for line in _judged(args, warnings=False):
        report_violation(line, None)


def effective_deployment_advice(args: ResourceValidationArgs, report_violation: Report) -> None:
    for line in _judged(args, warnings=True):
        report_violation(line, None)


def _mandatory(name: str, description: str, validate: Any) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PROTECTED_STACKS_SCHEMA,
    )


POLICIES = [
    _mandatory("https-required", "Protected stacks serve HTTPS.", https_required),
    _mandatory("culling-enabled", "Protected stacks stop idle servers.", culling_enabled),
    _mandatory("user-limits-set", "Protected stacks limit user CPU and memory.", user_limits_set),
    _mandatory("images-pinned", "Protected stacks deploy pinned image tags.", images_pinned),
    _mandatory("release-protected", "Protected stacks protect the release.", release_protected),
    _mandatory(
        "profiles-limited-and-pinned",
        "Protected stacks limit every server profile and pin its image.",
        profiles_limited_and_pinned,
    ),
    ResourceValidationPolicy(
        name="effective-deployment",
        description="What the cluster will run passes the project's invariants (docs/checks.md).",
        validate=effective_deployment,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="effective-deployment-advice",
        description="The project's warnings about what the cluster will run.",
        validate=effective_deployment_advice,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="active-server-limit-set",
        description="Every stack limits the number of concurrent user servers.",
        validate=active_server_limit_set,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
