"""The Helm values ``dataProtection`` renders: pure, like ``values.py`` (no Pulumi).

- ``hub.config.KubeSpawner.delete_pvc``: always set, so the decision is ours and not
  KubeSpawner's default (true: a deleted user's files go with them);
- the ``forget-user`` service (external; its token from the data-protection Secret, never in
  the values) and its role;
- with ``retention``: the managed ``data-retention`` service, its role, and its Kubernetes
  token (the data-protection ServiceAccount's Secret) mounted into the hub pod;
- with ``backups``: the ``hub-db-backup`` sidecar, its metrics port on the hub Service (and
  through the hub's NetworkPolicy for Prometheus, with ``monitoring``);
- ``hub.templateVars.dataProtection``: what the admin page says deleting a user does.
"""

from collections.abc import Mapping
from typing import Any

from .. import credentials
from ..chart import deep_merge
from ..dotted import MISSING, get_path
from ..settings import Settings
from ..settings.dataprotection import (
    BACKUP_ACCESS_KEY_ENV,
    BACKUP_SECRET_KEY_ENV,
    period,
)
from .names import BACKUP_METRICS_PORT as METRICS_PORT
from .names import RETENTION_SCOPES, RETENTION_SERVICE

FORGET_SERVICE = "forget-user"
"""The hub service ``forget-user`` acts as."""
FORGET_SCOPES = ["read:users", "read:servers", "admin:server_state", "delete:servers",
                 "delete:users"]  # fmt: skip
"""Least privilege for erasure on request: read the user and the volume names KubeSpawner
remembered, stop their servers, delete them."""
FORGET_TOKEN_ENV = "UP2U_FORGET_USER_TOKEN"
"""The hub's environment variable holding the forget-user service's token."""
FORGET_TOKEN_KEY = "forget-user-token"
"""The token's key in the data-protection Secret."""
FORGET_SERVICE_CONFIG = (
    "import os\n"
    "c.JupyterHub.services.append(\n"
    f"    {{'name': '{FORGET_SERVICE}', 'api_token': os.environ['{FORGET_TOKEN_ENV}']}}\n"
    ")"
)
"""Registers forget-user with its token read from the environment, not from the values."""
PYTHON_PATH = "/opt/up2u/python"
"""Where images/hub/Dockerfile puts up2u_jupyter.pupildata in the hub image."""
TOKEN_DIR = "/var/run/secrets/up2u-data-protection"
"""Where the data-protection ServiceAccount's token is mounted in the hub pod."""
SIDECAR = "hub-db-backup"
METRICS_PORT_NAME = "backup-metrics"
HUB_DATA = "/srv/jupyterhub"
"""The chart mounts its SQLite volume (named ``pvc``) here in the hub pod."""
HUB_UID = 1000
"""The chart's hub container runs as 1000:1000 (hub.containerSecurityContext)."""


def secret_name(settings: Settings) -> str:
    """The Secret holding forget-user's hub token."""
    return f"{settings.release_name}-up2u-data-protection"


def service_account_name(settings: Settings) -> str:
    """The ServiceAccount (and Role) that may get, list and delete the namespace's claims."""
    return f"{settings.release_name}-up2u-data-protection"


def token_secret_name(settings: Settings) -> str:
    """The ServiceAccount token Secret the data-retention service reads (with retention)."""
    return f"{settings.release_name}-up2u-data-protection-sa-token"


def backup_prefix(settings: Settings) -> str:
    """The bucket folder of the stack's backups."""
    return settings.data_protection.backups.prefix or f"{settings.namespace}/"


def pvc_templates(settings: Settings, values: Mapping[str, Any] | None = None) -> list[str]:
    """The claim name templates the stack sets itself (helmValues or given values), if any."""
    found = []
    for tree in (values or {}, settings.helm_values):
        for path in ("singleuser.storage.dynamic.pvcNameTemplate",
                     "hub.config.KubeSpawner.pvc_name_template"):  # fmt: skip
            value = get_path(tree, path)
            if value is not MISSING and isinstance(value, str) and value:
                found.append(value)
    return list(dict.fromkeys(found))


def helm_values(settings: Settings, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values to deep-merge over ``values`` (ours so far, before helmValues)."""
    data = settings.data_protection
    hub: dict[str, Any] = {
        "config": {"KubeSpawner": {"delete_pvc": data.delete_volume_with_user}},
        "extraEnv": {
            FORGET_TOKEN_ENV: {
                "valueFrom": {
                    "secretKeyRef": {"name": secret_name(settings), "key": FORGET_TOKEN_KEY}
                }
            }
        },
        "extraConfig": {"up2u-forget-user-service": FORGET_SERVICE_CONFIG},
        "loadRoles": {
            FORGET_SERVICE: {
                "description": "Erasure on request (python -m up2u_jupyter forget-user)",
                "scopes": list(FORGET_SCOPES),
                "services": [FORGET_SERVICE],
            }
        },
        "templateVars": {
            "dataProtection": {
                "deleteVolumeWithUser": data.delete_volume_with_user,
                "retention": period(data.retention) if data.retention else "",
            }
        },
    }
    if data.retention is not None:
        hub = deep_merge(hub, _retention(settings))
    if data.backups.enabled:
        hub = deep_merge(hub, _backups(settings, values))
    return {"hub": hub}


def _retention(settings: Settings) -> dict[str, Any]:
    data = settings.data_protection
    command = [
        "python3", "-m", "up2u_jupyter.pupildata.retention",
        f"--inactive-for={data.retention}", f"--every={data.retention_check_every}",
        f"--namespace={settings.namespace}", f"--kube-token-dir={TOKEN_DIR}",
        *[f"--pvc-name-template={t}" for t in pvc_templates(settings)],
    ]  # fmt: skip
    if not data.retention_skips_admins:
        command.append("--include-admins")
    return {
        "services": {
            RETENTION_SERVICE: {"command": command, "environment": {"PYTHONPATH": PYTHON_PATH}}
        },
        "loadRoles": {
            RETENTION_SERVICE: {
                "description": "Deletes users inactive for dataProtection.retention",
                "scopes": list(RETENTION_SCOPES),
                "services": [RETENTION_SERVICE],
            },
        },
        "extraVolumes": [
            {"name": "up2u-data-protection", "secret": {"secretName": token_secret_name(settings)}}
        ],
        "extraVolumeMounts": [
            {"name": "up2u-data-protection", "mountPath": TOKEN_DIR, "readOnly": True}
        ],
    }


def backup_command(settings: Settings) -> list[str]:
    """The sidecar's command line (the Up2U hub image's ``python3``)."""
    backups = settings.data_protection.backups
    command = [
        "python3", "-m", "up2u_jupyter.pupildata.backup", "run",
        f"--database={HUB_DATA}/jupyterhub.sqlite", f"--bucket={backups.bucket}",
        f"--prefix={backup_prefix(settings)}", f"--every={backups.every}",
        f"--keep={backups.keep}", f"--region={backups.region}",
        f"--metrics-port={METRICS_PORT}",
    ]  # fmt: skip
    if backups.endpoint_url is not None:
        command.append(f"--endpoint-url={backups.endpoint_url}")
    return command


def _backups(settings: Settings, values: Mapping[str, Any]) -> dict[str, Any]:
    from ..credentials import secret_name

    def secret_env(name: str) -> dict[str, Any]:
        key = credentials.secret_env_key(name)
        return {"secretKeyRef": {"name": secret_name(settings.release_name), "key": key}}

    image = settings.hub.image
    sidecar = {
        "name": SIDECAR,
        "image": f"{image.name}:{image.tag or 'latest'}" if image else "",
        "command": backup_command(settings),
        "env": [
            {"name": "PYTHONPATH", "value": PYTHON_PATH},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": secret_env(BACKUP_ACCESS_KEY_ENV)},
            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": secret_env(BACKUP_SECRET_KEY_ENV)},
        ],
        # the chart's SQLite volume; read-write, as SQLite may need to finish a hot journal
        "volumeMounts": [{"name": "pvc", "mountPath": HUB_DATA}],
        "ports": [{"name": METRICS_PORT_NAME, "containerPort": METRICS_PORT}],
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "512Mi"}},
        # as the chart's own hub container, and Pod Security "restricted" with the pod's
        # seccompProfile (hub.podSecurityContext)
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": HUB_UID,
            "runAsGroup": HUB_UID,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    out: dict[str, Any] = {
        "extraContainers": [sidecar],
        "service": {
            "extraPorts": [
                {"name": METRICS_PORT_NAME, "port": METRICS_PORT, "targetPort": METRICS_PORT_NAME}
            ]
        },
    }
    ingress = (values.get("hub", {}).get("networkPolicy") or {}).get("ingress")
    if settings.monitoring.enabled and ingress:
        # the metrics door (values._metrics) opened for the sidecar's port as well
        out["networkPolicy"] = {
            "ingress": [
                *ingress,
                {**ingress[0], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]},
            ]
        }
    return out
