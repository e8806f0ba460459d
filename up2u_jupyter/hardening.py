"""Pure: the values that make every pod the stack renders pass its Pod Security level.

The chart's own pods already pass ``restricted`` with its defaults (hub, proxy, user scheduler,
placeholders, image pullers; /work/research/chart-4.4.0.md section 4.1). The user pods do not:

- the chart blocks the cloud metadata service with a privileged, root, NET_ADMIN init container
  (``jupyterhub_config.py`` lines 450-482), which breaks even ``baseline``; its singleuser
  egress NetworkPolicy already denies that address (``egressAllowRules.cloudMetadataServer:
  false``, the default), so the container is turned off (``blockWithIptables: false``; the
  chart's NOTES.txt fails only when both are on);
- KubeSpawner 7 sets only ``runAsUser`` and ``allowPrivilegeEscalation`` on the notebook
  container. z2jh 4.4.0 has no ``singleuser`` key for the rest, so they go through its
  ``hub.config`` pass-through to KubeSpawner's own ``pod_security_context`` and
  ``container_security_context`` traits, which KubeSpawner merges over what it sets
  (kubespawner objects.py:431-463): non-root, no privilege escalation, no capabilities, the
  runtime's seccomp profile.
"""

import copy
from typing import Any

POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def values() -> dict[str, Any]:
    """The z2jh values that harden user pods (merged before helmValues, which may change them:
    ``check`` then judges what they render)."""
    return {
        "singleuser": {"cloudMetadata": {"blockWithIptables": False}},
        "hub": {
            "config": {
                "KubeSpawner": {
                    "pod_security_context": copy.deepcopy(POD_SECURITY_CONTEXT),
                    "container_security_context": copy.deepcopy(CONTAINER_SECURITY_CONTEXT),
                }
            }
        },
    }
