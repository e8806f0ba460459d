"""Class folders in the preview: a user pod's claim mounts, emulated for a local server.

A pod mounts a PersistentVolumeClaim at a path, read-only or not. Locally each claim is a
folder (``<claims>/<claim>``) and each mount a bind mount of it (or of its ``subPath``) into the
user's home, made in the server's own mount namespace (``unshare``), so that nothing outside
that server sees it and it goes when the server does. ``readOnly`` is a read-only bind mount, as
the kubelet makes it: the kernel refuses writes there (EROFS), whoever the process runs as.
"""

import os
import posixpath
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..settings.classes import HOME

MOUNT_SCRIPT = """
while [ "$1" != -- ]; do
  mkdir -p "$2" && mount --bind "$1" "$2" || exit 70
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2" || exit 70; fi
  shift 3
done
shift
exec "$@"
"""
"""Arguments: (source, target, ro|rw) triples, ``--``, then the server's command."""


@dataclass(frozen=True)
class LocalMount:
    """One claim mount, placed on this machine."""

    source: Path
    target: Path
    read_only: bool


def _entries(items: Any) -> list[Mapping[str, Any]]:
    """KubeSpawner's volumes or mounts, a dict (sorted by key, as KubeSpawner does) or a list."""
    if isinstance(items, Mapping):
        items = [items[key] for key in sorted(items)]
    return [item for item in items or [] if isinstance(item, Mapping)]


def local_mounts(volumes: Any, volume_mounts: Any, claims: Path, home: Path) -> list[LocalMount]:
    """The claim mounts inside the pod's home, placed under ``claims`` and the local ``home``.

    Other volumes (the chart's home volume, Secrets, ...) and mounts outside the home have no
    local meaning and are left out.
    """
    by_name = {v.get("name"): v for v in _entries(volumes)}
    found = []
    for mount in _entries(volume_mounts):
        claim = (by_name.get(mount.get("name")) or {}).get("persistentVolumeClaim") or {}
        path = posixpath.normpath(str(mount.get("mountPath", "")))
        if not claim.get("claimName") or not path.startswith(HOME + "/"):
            continue
        source = claims / str(claim["claimName"]) / str(mount.get("subPath") or "")
        source.mkdir(parents=True, exist_ok=True)
        target = home / posixpath.relpath(path, HOME)
        found.append(LocalMount(source, target, bool(mount.get("readOnly"))))
    return found


@cache
def namespace_command() -> tuple[str, ...] | None:
    """How to run a command in a mount namespace of its own here; None where nothing can."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    command: tuple[str, ...] = (unshare, "--mount", "--propagation", "private")
    if os.geteuid() != 0:  # without privileges: as root of a user namespace of one's own
        command = (unshare, "--user", "--map-root-user", *command[1:])
    probe = subprocess.run([*command, "true"], capture_output=True, check=False)
    return command if probe.returncode == 0 else None


def wrap(command: list[str], folders: list[LocalMount]) -> list[str]:
    """``command`` run in its own mount namespace with ``folders`` mounted; as it is when no
    namespace can be made here (the folders are then symbolic links, writable by everyone)."""
    namespace = namespace_command()
    if namespace is None:
        for folder in folders:
            folder.target.parent.mkdir(parents=True, exist_ok=True)
            if not folder.target.is_symlink():
                folder.target.symlink_to(folder.source, target_is_directory=True)
        return command
    triples = [
        str(part)
        for folder in folders
        for part in (folder.source, folder.target, "ro" if folder.read_only else "rw")
    ]
    if "--map-root-user" in namespace:
        command = [*command, "--ServerApp.allow_root=True"]  # root of its namespace only
    return [*namespace, "sh", "-c", MOUNT_SCRIPT, "up2u-mounts", *triples, "--", *command]


def describe() -> str:
    """The swap line for class folders."""
    if namespace_command() is None:
        return (
            "class folders (PersistentVolumeClaims) -> folders in the state folder, linked "
            "into each member's home; read-only is NOT enforced here (no unshare)"
        )
    return (
        "class folders (PersistentVolumeClaims) -> folders in the state folder, bind-mounted "
        "into each member's home in the server's own mount namespace (read-only for pupils, "
        "enforced by the kernel)"
    )
