"""``dataProtection``: what happens to pupils' data, when, and where its copies are.

Keep by default (KubeSpawner's ``delete_pvc``, set explicitly), retention (inactive users and
their volumes deleted by a hub service of ours), and backups of the hub database (a sidecar
that writes consistent SQLite copies to S3-compatible object storage). The runtime code lives
in ``up2u_jupyter.pupildata``; this module is the contract and what ``check`` says about it.
"""

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .base import Model
from .fields import HttpsUrl, PositiveInt, RuleError

if TYPE_CHECKING:
    from .models import Settings

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d{1,9}[smhdw])+")
MAX_DURATION = 100 * 365 * 86400
"""A hundred years: any longer is no period."""


def _duration(value: Any) -> int:
    """A period as whole seconds: ``30s``, ``90m``, ``12h``, ``365d``, ``2w``, ``1d12h`` or
    a number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("not a period; write e.g. 365d, 12h, 30m or a number of seconds")
    if isinstance(value, int):
        seconds = value
    elif _DURATION.fullmatch(value):
        seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhdw])", value))
    else:
        raise ValueError("not a period; write e.g. 365d, 12h, 30m or a number of seconds")
    if not 0 < seconds <= MAX_DURATION:
        raise ValueError("must be more than 0 seconds and at most 100 years (36500d)")
    return seconds


Duration = Annotated[int, BeforeValidator(_duration)]
"""A period in seconds, written ``365d``, ``12h``, ``30m``, ``45s`` (or a number of seconds)."""

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _bucket(value: str) -> str:
    if not _BUCKET.fullmatch(value) or ".." in value:
        raise ValueError(
            "not an S3 bucket name; use 3-63 lowercase letters, digits, '.' and '-' "
            "(e.g. up2u-jupyter-backups)"
        )
    return value


def _prefix(value: str) -> str:
    if value.startswith("/") or ".." in value.split("/") or not value.endswith("/"):
        raise ValueError("not a folder in the bucket; use e.g. jhub/ (no leading /, ending in /)")
    return value


BACKUP_ACCESS_KEY_ENV = "UP2U_BACKUP_S3_ACCESS_KEY_ID"
"""The secretEnv entry holding the object storage access key id (the sidecar's
``AWS_ACCESS_KEY_ID``)."""
BACKUP_SECRET_KEY_ENV = "UP2U_BACKUP_S3_SECRET_ACCESS_KEY"
"""The secretEnv entry holding the object storage secret key (the sidecar's
``AWS_SECRET_ACCESS_KEY``)."""
UP2U_HUB_IMAGE = "/jupyter/k8s-hub"
"""How the name of the hub image built from images/hub ends (``<registry>/jupyter/k8s-hub``):
it carries the retention service and the backup program."""


class Backups(Model):
    """Consistent copies of the SQLite hub database in S3-compatible object storage."""

    enabled: bool = False
    """Run the backup sidecar next to the hub (`hub.db.type: sqlite-pvc` only). Its access keys
    are the secretEnv entries `UP2U_BACKUP_S3_ACCESS_KEY_ID` and
    `UP2U_BACKUP_S3_SECRET_ACCESS_KEY`."""
    every: Duration = 86400
    """How often a backup is taken (24h); the JupyterHubDatabaseBackupStale alert fires when
    the newest is older than twice this."""
    keep: PositiveInt = 14
    """How many backups are kept; older ones are deleted after each new one. With `every` this
    is how long a deleted user's record survives in backups (14 x 24h: two weeks)."""
    bucket: Annotated[str, AfterValidator(_bucket)] | None = None
    """The bucket the backups go to (required when enabled); create it yourself, private."""
    prefix: Annotated[str, AfterValidator(_prefix)] | None = None
    """The folder in the bucket (default: the namespace and '/', e.g. `jhub/`)."""
    endpoint_url: HttpsUrl | None = None
    """The S3-compatible service's https URL (none: Amazon S3)."""
    region: Annotated[str, Field(min_length=1, max_length=64)] = "us-east-1"
    """The bucket's region (most S3-compatible services accept any)."""

    @model_validator(mode="after")
    def _enabled_needs_bucket(self) -> "Backups":
        if self.enabled and self.bucket is None:
            raise RuleError(
                "bucket", "backups need a bucket; set it, e.g. bucket: up2u-jupyter-backups"
            )
        return self


class DataProtection(Model):
    """What happens to pupils' data: kept, erased on schedule, backed up."""

    delete_volume_with_user: bool = False
    """Whether deleting a user (admin page, API, `cull.users`) deletes their home volume too
    (KubeSpawner's `delete_pvc`, whose own default is true). False keeps the files: they come
    back when the user signs in again, and `forget-user` or retention erase them."""
    retention: Duration | None = None
    """Users inactive longer than this (e.g. `365d`) are deleted with their home volumes, under
    every naming scheme, by the hub service `data-retention`; none: never."""
    retention_check_every: Duration = 3600
    """How often the data-retention service looks for inactive users (1h)."""
    retention_skips_admins: bool = True
    """Admins are never deleted by retention."""
    backups: Backups = Backups()
    """Backups of the hub database (off by default)."""

    def secret_env_names(self) -> list[str]:
        """The secretEnv entries this config needs (the backup sidecar's access keys)."""
        if self.backups.enabled:
            return [BACKUP_ACCESS_KEY_ENV, BACKUP_SECRET_KEY_ENV]
        return []


def problems(settings: "Settings") -> list[tuple[str, Any, str]]:
    """Rules across dataProtection and other keys, as (key, value, message) triples."""
    found: list[tuple[str, Any, str]] = []
    data = settings.data_protection
    if data.backups.enabled and settings.hub.db.type != "sqlite-pvc":
        found.append(
            (
                "dataProtection.backups.enabled",
                True,
                "backs up the SQLite hub database, and hub.db.type is "
                f"{settings.hub.db.type}; back PostgreSQL up with its own tools and remove it",
            )
        )
    for key, wanted in (("dataProtection.retention", data.retention is not None),
                        ("dataProtection.backups.enabled", data.backups.enabled)):  # fmt: skip
        if wanted and settings.hub.image is None:
            found.append(
                (
                    key,
                    data.retention if key.endswith("retention") else True,
                    "runs code from the Up2U hub image (images/hub), and hub.image is the "
                    "chart's; set hub.image to <registry>/jupyter/k8s-hub:<tag>",
                )
            )
    return found


def consequences(settings: "Settings") -> list[tuple[str, str, str]]:
    """(level, key, text): what happens to pupils' files whenever users can be deleted.

    ``check`` and ``values`` print them, so that nobody turns on user deletion without
    knowing; level ``warning`` where pupils' work would be erased by surprise, else ``note``.
    """
    data = settings.data_protection
    said: list[tuple[str, str, str]] = []
    volume = (
        "DELETES their home volume and every file in it (dataProtection.deleteVolumeWithUser)"
        if data.delete_volume_with_user
        else "keeps their home volume (dataProtection.deleteVolumeWithUser: false): their files "
        "come back when they sign in again, and forget-user erases them"
    )
    cull = settings.cull
    if cull.enabled and cull.users:
        said.append(
            (
                "warning" if data.delete_volume_with_user else "note",
                "cull.users",
                f"users idle for cull.timeout ({period(cull.timeout)}) are deleted from the hub, "
                f"which {volume}"
                + (
                    ": every pupil's work is erased that long after they stop; turn cull.users "
                    "off or set dataProtection.deleteVolumeWithUser: false"
                    if data.delete_volume_with_user
                    else ""
                ),
            )
        )
    elif data.delete_volume_with_user:
        said.append(
            (
                "note",
                "dataProtection.deleteVolumeWithUser",
                "deleting a user on the admin page or through the API deletes their home volume "
                "and every file in it, at once and for good",
            )
        )
    if data.retention is not None:
        said.append(
            (
                "note",
                "dataProtection.retention",
                f"users inactive for more than {period(data.retention)} are deleted with their "
                "home volumes (every naming scheme) by the data-retention service, checked every "
                f"{period(data.retention_check_every)}"
                + ("; admins are kept" if data.retention_skips_admins else "; admins too"),
            )
        )
        if cull.enabled and cull.users and cull.timeout < data.retention:
            said.append(
                (
                    "warning",
                    "cull.users",
                    f"deletes idle users after {period(cull.timeout)}, long before "
                    f"dataProtection.retention ({period(data.retention)}); turn cull.users off so "
                    "that retention decides when pupils go",
                )
            )
    image = settings.hub.image
    runs_our_code = data.retention is not None or data.backups.enabled
    if runs_our_code and image is not None and not image.name.endswith(UP2U_HUB_IMAGE):
        said.append(
            (
                "warning",
                "hub.image",
                f"{image.name} is not built from images/hub (<registry>{UP2U_HUB_IMAGE}); "
                "dataProtection.retention and backups run code that image carries, so make "
                "sure yours carries up2u_jupyter.pupildata and boto3 too",
            )
        )
    return said


def period(seconds: int) -> str:
    """A period as people write it: 30 minutes, 365 days, 90s."""
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit if count != 1 else unit[:-1]}"
    return f"{seconds}s"
