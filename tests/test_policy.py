"""The policy pack's rules, called directly with crafted release arguments.

``PolicyPack(...)`` needs the Pulumi CLI, so only ``policy/up2u_policies.py`` is imported.
"""

import copy
import importlib.util

import pytest

from tests.conftest import ROOT, committed_settings, with_path
from up2u_jupyter.render import offline_values

pulumi_policy = pytest.importorskip("pulumi_policy")


def _load_policies():
    spec = importlib.util.spec_from_file_location(
        "up2u_policies", ROOT / "policy" / "up2u_policies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


policies = _load_policies()


def stack_values(stack):
    return offline_values(committed_settings(stack))


def args_for(values, stack="prod", protect=True, config=None, resource_type=policies.RELEASE):
    return pulumi_policy.ResourceValidationArgs(
        resource_type=resource_type,
        props={"chart": "jupyterhub", "version": "4.4.0", "values": values},
        urn=f"urn:pulumi:{stack}::up2u-jupyter::up2u:jupyter:JupyterHub$kubernetes:helm.sh/v3:Release::up2u-release",
        name="up2u-release",
        opts=pulumi_policy.PolicyResourceOptions(
            protect=protect, ignore_changes=[], delete_before_replace=None, aliases=[],
            custom_timeouts=pulumi_policy.PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
        ),
        provider=None,
        config=config,
    )  # fmt: skip


def violations(rule, args):
    found = []
    rule(args, lambda message, urn=None: found.append(message))
    return found


@pytest.fixture(scope="module")
def prod():
    return stack_values("prod")


MANDATORY = {
    "https_required": ("proxy.https", {"enabled": False}, "HTTPS is off"),
    "culling_enabled": ("cull.enabled", False, "idle culling is off"),
    "user_limits_set": ("singleuser.cpu.limit", None, "no cpu limit"),
    "images_pinned": ("singleuser.image.tag", "latest", "is not pinned"),
}


def test_the_committed_prod_stack_passes_every_rule(prod):
    for policy in policies.POLICIES:
        assert violations(policy.validate, args_for(prod)) == [], policy.name


@pytest.mark.parametrize("rule", sorted(MANDATORY))
def test_each_mandatory_rule_fires_on_a_protected_stack(prod, rule):
    path, value, message = MANDATORY[rule]
    found = violations(getattr(policies, rule), args_for(with_path(prod, path, value)))
    assert len(found) == 1 and message in found[0]


@pytest.mark.parametrize("rule", sorted(MANDATORY))
def test_mandatory_rules_leave_unprotected_stacks_alone(prod, rule):
    path, value, _ = MANDATORY[rule]
    assert (
        violations(getattr(policies, rule), args_for(with_path(prod, path, value), stack="dev"))
        == []
    )


def test_memory_limit_is_checked_too(prod):
    found = violations(
        policies.user_limits_set, args_for(with_path(prod, "singleuser.memory.limit", None))
    )
    assert found == ["user servers have no memory limit; set up2u-jupyter:singleuser.memory.limit"]


def test_an_untagged_hub_image_is_not_pinned(prod):
    values = copy.deepcopy(prod)
    del values["hub"]["image"]["tag"]
    assert "hub image" in violations(policies.images_pinned, args_for(values))[0]


def test_chart_default_images_count_as_pinned(prod):
    values = copy.deepcopy(prod)
    del values["hub"]["image"], values["singleuser"]["image"]
    assert violations(policies.images_pinned, args_for(values)) == []


def test_release_protection_fires_and_passes(prod):
    assert violations(policies.release_protected, args_for(prod, protect=True)) == []
    found = violations(policies.release_protected, args_for(prod, protect=False))
    assert found == [
        "the release is not protected against deletion; set up2u-jupyter:protect to true"
    ]


def test_protected_stacks_come_from_policy_config(prod):
    config = {"protectedStacks": ["production-eu"]}
    unsafe = with_path(prod, "cull.enabled", False)
    assert violations(policies.culling_enabled, args_for(unsafe, stack="prod", config=config)) == []
    assert violations(
        policies.culling_enabled, args_for(unsafe, stack="production-eu", config=config)
    )


def test_advisory_server_limit_fires_on_every_stack(prod):
    values = copy.deepcopy(prod)
    del values["hub"]["activeServerLimit"]
    for stack in ("prod", "dev"):
        assert (
            "hub.activeServerLimit"
            in violations(policies.active_server_limit_set, args_for(values, stack=stack))[0]
        )
    assert violations(policies.active_server_limit_set, args_for(prod)) == []


def test_rules_ignore_other_resources(prod):
    unsafe = with_path(prod, "cull.enabled", False)
    other = args_for(unsafe, resource_type="kubernetes:core/v1:Namespace")
    assert all(violations(p.validate, other) == [] for p in policies.POLICIES)


def test_secret_wrapped_values_are_read(prod):
    wrapped = copy.deepcopy(prod)
    wrapped["cull"] = pulumi_policy.Secret({"enabled": False})
    assert violations(policies.culling_enabled, args_for(wrapped))


def test_enforcement_levels():
    levels = {p.name: p.enforcement_level for p in policies.POLICIES}
    mandatory = pulumi_policy.EnforcementLevel.MANDATORY
    assert levels == {
        "https-required": mandatory,
        "culling-enabled": mandatory,
        "user-limits-set": mandatory,
        "images-pinned": mandatory,
        "release-protected": mandatory,
        "profiles-limited-and-pinned": mandatory,
        "effective-deployment": mandatory,
        "effective-deployment-advice": pulumi_policy.EnforcementLevel.ADVISORY,
        "active-server-limit-set": pulumi_policy.EnforcementLevel.ADVISORY,
    }


def test_stack_of_reads_the_urn():
    assert policies.stack_of("urn:pulumi:prod::up2u-jupyter::a$b::c") == "prod"
    assert policies.stack_of("urn:pulumi:org/proj/dev::up2u-jupyter::a::c") == "org/proj/dev"


# --- server profiles ------------------------------------------------------------------------------


def profiled_prod(**course):
    """Prod's values with two profiles: the default one, and a course profile."""
    from up2u_jupyter.settings import load_settings
    from up2u_jupyter.stackfile import read_stack_config

    config = read_stack_config(ROOT, "prod").values
    config["profiles"] = [
        {"slug": "standard", "displayName": "Standard", "default": True},
        {"slug": "course", "displayName": "Course",
         "image": {"name": "registry.up2u.example.org/jupyter/ml", "tag": "2026.1"},
         "cpu": {"limit": 4}, "memory": {"limit": "8G"}, **course},
    ]  # fmt: skip
    return offline_values(load_settings(config, "prod"))


def test_protected_profiles_with_limits_and_pinned_images_pass():
    values = profiled_prod()
    assert violations(policies.profiles_limited_and_pinned, args_for(values)) == []
    # the effective-deployment rules judge values against the committed Pulumi.prod.yaml,
    # which has no profiles: these values are not what that stack deploys
    rules = [p for p in policies.POLICIES if not p.name.startswith("effective-deployment")]
    assert all(violations(p.validate, args_for(values)) == [] for p in rules)


def test_a_profile_without_a_limit_fires():
    values = profiled_prod()
    values["singleuser"]["memory"]["limit"] = None  # the standard profile inherits it
    assert violations(policies.profiles_limited_and_pinned, args_for(values)) == [
        "profile standard has no memory limit; set up2u-jupyter:profiles.0.memory.limit "
        "(or singleuser.memory.limit)"
    ]


@pytest.mark.parametrize("image", ["registry.example.org:5000/ml", "ml:latest", "ml"])
def test_a_profile_with_an_unpinned_image_fires(image):
    values = profiled_prod()
    values["singleuser"]["profileList"][1]["kubespawner_override"]["image"] = image
    [message] = violations(policies.profiles_limited_and_pinned, args_for(values))
    assert message.startswith(f"profile course image {image} is not pinned")


@pytest.mark.parametrize("image", ["registry.example.org:5000/ml:1.2", "ml@sha256:" + "a" * 64])
def test_tags_and_digests_count_as_pinned(image):
    values = profiled_prod()
    values["singleuser"]["profileList"][1]["kubespawner_override"]["image"] = image
    assert violations(policies.profiles_limited_and_pinned, args_for(values)) == []


def test_profile_rule_leaves_unprotected_stacks_alone():
    values = profiled_prod()
    values["singleuser"]["profileList"][1]["kubespawner_override"]["image"] = "ml:latest"
    found = violations(policies.profiles_limited_and_pinned, args_for(values, stack="dev"))
    assert found == []
