"""The mock harness bites: a wrong expectation fails, wherever it is checked."""

import pulumi
import pytest

from tests.conftest import minimal_config
from up2u_jupyter.component import JupyterHub, JupyterHubArgs
from up2u_jupyter.settings import load_settings


def build():
    return JupyterHub(
        "up2u", JupyterHubArgs(load_settings(minimal_config(), "test"), {"oauthClientSecret": "s"})
    )


def test_a_wrong_expectation_inside_apply_fails_the_test(harness):
    def program():
        hub = build()

        def check(namespace):
            assert namespace == "not-the-namespace"

        return hub.namespace.apply(check)

    @pulumi.runtime.test
    def wrong():
        return program()

    with pytest.raises(AssertionError):
        wrong()


def test_a_wrong_expectation_on_resolved_outputs_fails(harness):
    hub = harness.run(build)
    with pytest.raises(AssertionError):
        assert harness.resolve(hub.namespace) == ("not-the-namespace", False)


def test_applies_really_run_in_the_harness(harness):
    seen = []
    hub = harness.run(build)
    harness.resolve(hub.namespace.apply(seen.append))
    assert seen == ["jhub"]


def test_every_resource_resolves_so_registrations_are_complete(harness):
    harness.run(build)
    # the component, namespace, 5 generated secrets (the restart checksums' key too),
    # credentials Secret, release, proxy Service, and erasure's token, Secret, ServiceAccount,
    # Role and RoleBinding
    assert len(harness.monitor.registrations) == 15
