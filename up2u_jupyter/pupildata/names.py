"""Names both sides agree on: the values that configure them and the programs that run.

No imports: the hub image carries this module beside the programs, and ``values``/``check``
read it without loading those programs.
"""

RETENTION_SERVICE = "data-retention"
"""The managed hub service that erases inactive users (``retention.py``), and its role."""
RETENTION_SCOPES = [
    "list:users",
    "read:users",
    "read:servers",
    "admin:server_state",
    "delete:servers",
    "delete:users",
]
"""Least privilege: find inactive users (read:users has their creation time and last activity),
read the volume names KubeSpawner remembered, stop their servers, delete them. Not admin:users,
which could also change anyone's admin flag or read their auth state."""

BACKUP_METRICS_PORT = 9721
"""Where the hub-db-backup sidecar serves its metrics (the hub Service's backup-metrics port)."""
BACKUP_LAST_SUCCESS = "up2u_hub_db_backup_last_success_timestamp_seconds"
"""The newest backup in the bucket (Unix time): the stale-backup alert reads it."""

LOG_FORMAT = "[%(levelname)s %(asctime)s %(name)s] %(message)s"
"""How the service and the sidecar log (to stdout: the hub's log, ``kubectl logs -c``)."""
