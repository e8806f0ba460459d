"""The Kubernetes objects erasure needs, made by the program (``component.py`` calls this).

- the forget-user service's hub token: generated, kept in a Secret the hub reads through
  ``hub.extraEnv`` (never in Helm values), and exported as the secret output forgetUserToken;
- a ServiceAccount with a Role limited to the namespace's persistentvolumeclaims (get, list,
  delete): the Kubernetes identity of forget-user (``kubectl create token``) and, with
  ``retention``, of the data-retention service (its token Secret, mounted into the hub pod).
"""

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_kubernetes.core.v1 import Secret, ServiceAccount
from pulumi_kubernetes.rbac.v1 import Role, RoleBinding

from ..settings import Settings
from .helm import FORGET_TOKEN_KEY, secret_name, service_account_name, token_secret_name

VOLUME_RULES = [
    {"apiGroups": [""], "resources": ["persistentvolumeclaims"],
     "verbs": ["get", "list", "delete"]},
]  # fmt: skip
"""Everything the erasure identity may do: find and delete claims, in one namespace."""


@dataclass
class DataProtectionResources:
    """What the release waits for, and the token the operator runs forget-user with."""

    before_release: list[pulumi.Resource]
    forget_user_token: pulumi.Output[str]
    secret_data: dict[str, pulumi.Output[str]]
    """The data-protection Secret's data (its restart checksum is computed from it)."""


def data_protection_resources(
    name: str, settings: Settings, namespace: pulumi.Input[str], child: pulumi.ResourceOptions
) -> DataProtectionResources:
    """Create the token Secret, the ServiceAccount, its Role and binding (and its token Secret
    when retention is on); children of the component, in the stack's namespace."""
    # RandomBytes, not RandomId: RandomId's resource id is the value itself, in plain text
    token = pulumi.Output.secret(
        random.RandomBytes(f"{name}-forget-user-token", length=32, opts=child).hex
    )
    secret = Secret(
        f"{name}-data-protection",
        metadata={"name": secret_name(settings), "namespace": namespace},
        type="Opaque",
        string_data={FORGET_TOKEN_KEY: token},
        opts=child,
    )
    account = service_account_name(settings)
    service_account = ServiceAccount(
        f"{name}-data-protection",
        metadata={"name": account, "namespace": namespace},
        automount_service_account_token=False,  # it runs in no pod of its own
        opts=child,
    )
    Role(
        f"{name}-volume-eraser",
        metadata={"name": account, "namespace": namespace},
        rules=VOLUME_RULES,
        opts=child,
    )
    RoleBinding(
        f"{name}-volume-eraser",
        metadata={"name": account, "namespace": namespace},
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
        subjects=[{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        opts=child,
    )
    before: list[pulumi.Resource] = [secret]
    if settings.data_protection.retention is not None:
        # Kubernetes fills the token in; the hub pod mounts it for the data-retention service
        before.append(
            Secret(
                f"{name}-data-protection-sa-token",
                metadata={
                    "name": token_secret_name(settings),
                    "namespace": namespace,
                    "annotations": {"kubernetes.io/service-account.name": account},
                },
                type="kubernetes.io/service-account-token",
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[service_account])
                ),
            )
        )
    return DataProtectionResources(before, token, {FORGET_TOKEN_KEY: token})
