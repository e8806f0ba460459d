"""Classes (``classes``): pupils, their teachers, a shared folder, sharing; and their rules.

A class is two JupyterHub groups (with ``auth.groupsClaim`` set, the eduTEAMS groups mirrored
at each sign-in): its pupils and its teachers. What a class becomes in the values (roles, the
spawn rules, volumes) is in ``classes/values.py``.
"""

import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .fields import _HOSTNAME, DnsLabel, NonEmptyStr, RuleError

if TYPE_CHECKING:
    from .models import Auth, Profile

HOME = "/home/jovyan"
"""Where the chart mounts each user's home volume (``singleuser.storage.homeMountPath``), and
the root of JupyterLab's file browser: a class folder is mounted inside it so that pupils see it."""


def _claim_name(value: str) -> str:
    if not _HOSTNAME.fullmatch(value):  # a DNS-1123 subdomain: how Kubernetes names objects
        raise ValueError(
            "not a PersistentVolumeClaim name; use lowercase letters, digits, '-' and '.' "
            "(e.g. class-materials)"
        )
    return value


def _sub_path(value: str) -> str:
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "" in parts or "." in parts:
        raise ValueError(
            "not a folder inside the claim; use a relative path without '..', '.' or empty "
            "parts (e.g. maths-3a)"
        )
    return value


def _mount_path(value: str) -> str:
    normal = posixpath.normpath(value)
    if normal != value or not value.startswith(HOME + "/"):
        raise ValueError(
            f"not a folder inside the home folder {HOME}; use a normalised absolute path "
            f"under it (e.g. {HOME}/maths-3a), where JupyterLab's file browser shows it"
        )
    return value


def _count(value: int) -> int:
    if value < 0:
        raise ValueError("not a count; use a whole number, 0 or more")
    return value


ClaimName = Annotated[str, AfterValidator(_claim_name)]
SubPath = Annotated[str, AfterValidator(_sub_path)]
MountPath = Annotated[str, AfterValidator(_mount_path)]
NonNegativeInt = Annotated[int, Field(strict=True), AfterValidator(_count)]


class SharedFolder(Model):
    """A class's shared folder: an existing claim, read-only for pupils, read-write for teachers."""

    claim: ClaimName
    """An existing ReadWriteMany PersistentVolumeClaim in the stack's namespace (you create it,
    with a storage class that offers ReadWriteMany, e.g. NFS; the program never does)."""
    sub_path: SubPath | None = None
    """A folder inside the claim, so that one claim serves many classes; its root without it."""
    mount_path: MountPath | None = None
    """Where the folder appears in each member's server, inside `/home/jovyan`; default
    `/home/jovyan/<class name>`."""


class Classroom(Model):
    """A class: pupils, the teachers who may help them, and what they share."""

    name: DnsLabel
    """The class's id (unique): names its roles (`class-<name>-teachers`) and its default
    folder."""
    pupils: NonEmptyStr
    """The group of the class's pupils (with auth.groupsClaim: its eduTEAMS entitlement)."""
    teachers: NonEmptyStr
    """The group of its teachers: they may list the pupils, open their servers (JupyterLab),
    start and stop them, through the hub's admin page; never admin, never another class."""
    shared_folder: SharedFolder | None = None
    """A folder every member of the class gets: read-only for pupils, read-write for teachers."""
    sharing: bool = False
    """JupyterHub 5 sharing: pupils and teachers may share their own servers with the class's
    members and with the class's groups (by name); off by default."""

    @model_validator(mode="after")
    def _teachers_are_not_the_pupils(self) -> "Classroom":
        if self.teachers == self.pupils:
            raise RuleError(
                "teachers",
                "the same group as pupils, which would let every pupil open every other "
                "pupil's server; give the teachers a group of their own",
            )
        return self

    @property
    def folder_path(self) -> str | None:
        """Where the shared folder is mounted (none without one)."""
        if self.shared_folder is None:
            return None
        return self.shared_folder.mount_path or f"{HOME}/{self.name}"


def class_problems(
    classes: Sequence[Classroom], profiles: Sequence["Profile"]
) -> list[tuple[str, Any, str]]:
    """Rules across classes and profiles: unique names and folders, someone gets each profile."""
    found: list[tuple[str, Any, str]] = []
    names: dict[str, int] = {}
    folders: dict[str, int] = {}
    for index, classroom in enumerate(classes):
        if classroom.name in names:
            found.append(
                (
                    f"classes.{index}.name",
                    classroom.name,
                    f"also the name of classes.{names[classroom.name]}; give each class its own",
                )
            )
        names.setdefault(classroom.name, index)
        path = classroom.folder_path
        if path is None:
            continue
        if path in folders:
            found.append(
                (
                    f"classes.{index}.sharedFolder.mountPath",
                    path,
                    f"also where classes.{folders[path]}'s folder is mounted, which a member "
                    "of both would get twice; set another mountPath",
                )
            )
        folders.setdefault(path, index)
    if profiles and all(profile.groups for profile in profiles):
        found.append(
            (
                f"profiles.{len(profiles) - 1}.groups",
                list(profiles[-1].groups),
                "every profile is limited to groups, so users in none of them (admins, "
                "auth.allowedUsers, the health check's user) could start no server; leave "
                "groups off one profile, the one everyone gets",
            )
        )
    return found


def class_advice(classes: Sequence[Classroom], auth: "Auth") -> list[tuple[str, str]]:
    """Classes whose groups the sign-in rules do not let in (valid, but probably a mistake)."""
    if auth.allow_all or auth.groups_claim is None:
        return []  # everyone is let in, or groups are managed in the hub, not at sign-in
    let_in = {*auth.allowed_groups, *auth.admin_groups}
    return [
        (
            f"classes.{index}.{role}",
            f"{group!r} is not in auth.allowedGroups, so its members can sign in only if "
            "another rule lets them in; add it there if the class should use the hub",
        )
        for index, classroom in enumerate(classes)
        for role, group in (("pupils", classroom.pupils), ("teachers", classroom.teachers))
        if group not in let_in
    ]
