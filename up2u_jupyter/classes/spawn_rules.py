"""The class rules the hub applies at each spawn: profiles by group, and class folders.

This file's text is the ``hub.extraConfig`` entry ``up2u-classes`` (``classes/values.py`` adds
the call with the stack's data), so it runs in the chart's hub image and in the preview's hub
alike: standard library only, every name prefixed ``up2u_`` (snippets share one namespace).

KubeSpawner 7 has no group key for profiles: a callable ``profile_list`` is its way. KubeSpawner
calls it for the spawn form and again when the server starts (``load_user_options``), where a
slug outside the list is refused ("No such profile"), from the form and from the REST API.
"""

import inspect
from collections.abc import Callable
from typing import Any

UP2U_GROUPS_KEY = "allowed_groups"
"""A profileList entry's groups (the key 2i2c's hubs use); taken out before KubeSpawner sees it."""
UP2U_CLASS_PREFIX = "up2u-class-"
"""The names (volumes) and keys (volumes, mounts) of what the folder hook adds."""


def up2u_user_groups(spawner: Any) -> set[str]:
    """The names of the JupyterHub groups of the spawner's user."""
    return {group.name for group in spawner.user.groups}


def up2u_offered_profiles(profiles: list[dict[str, Any]], groups: set[str]) -> list[dict[str, Any]]:
    """The profiles offered to a member of ``groups``, without their groups key."""
    offered = []
    for profile in profiles:
        allowed = profile.get(UP2U_GROUPS_KEY) or []
        if allowed and not set(allowed) & set(groups):
            continue
        offered.append({k: v for k, v in profile.items() if k != UP2U_GROUPS_KEY})
    return offered


def up2u_profile_list(profiles: list[dict[str, Any]]) -> Callable[[Any], list[dict[str, Any]]]:
    """KubeSpawner's ``profile_list`` as a callable: each user's offered profiles."""

    def up2u_profiles_for(spawner: Any) -> list[dict[str, Any]]:
        offered = up2u_offered_profiles(profiles, up2u_user_groups(spawner))
        if not offered:
            # an empty list would start the singleuser defaults without a word (KubeSpawner
            # only warns): refuse instead, at the form and at the start alike
            raise ValueError(
                f"no server profile is offered to {spawner.user.name}: each is for members "
                "of other groups; ask the hub's operators for a profile without groups"
            )
        return offered

    return up2u_profiles_for


def up2u_class_mounts(
    folders: list[dict[str, Any]], groups: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(volumes, mounts) of the class folders of a member of ``groups``, keyed by name.

    Teachers of a class get its folder read-write, pupils read-only; a teacher who is also a
    pupil of the class is its teacher.
    """
    volumes: dict[str, Any] = {}
    mounts: dict[str, Any] = {}
    for folder in folders:
        teacher = folder["teachers"] in groups
        if not teacher and folder["pupils"] not in groups:
            continue
        volume = folder["volume"]
        volumes[volume] = {"name": volume, "persistentVolumeClaim": {"claimName": folder["claim"]}}
        mount = {"name": volume, "mountPath": folder["mountPath"], "readOnly": not teacher}
        if folder.get("subPath"):
            mount["subPath"] = folder["subPath"]
        mounts[UP2U_CLASS_PREFIX + folder["class"]] = mount
    return volumes, mounts


def up2u_with(existing: Any, ours: dict[str, Any]) -> Any:
    """``existing`` volumes or mounts (a dict, as the chart sets them, or a list) with ours in
    place of any we added before: the hook may run again on the same spawner."""
    if isinstance(existing, dict):
        kept = {k: v for k, v in existing.items() if not str(k).startswith(UP2U_CLASS_PREFIX)}
        return {**kept, **ours}
    kept_items = [
        item
        for item in existing or []
        if not str(item.get("name", "")).startswith(UP2U_CLASS_PREFIX)
    ]
    return kept_items + list(ours.values())


def up2u_folder_hook(folders: list[dict[str, Any]], previous: Any) -> Callable[[Any], Any]:
    """A ``pre_spawn_hook`` adding the user's class folders, after ``previous`` (if any)."""

    async def up2u_add_class_folders(spawner: Any) -> None:
        if previous is not None:
            result = previous(spawner)
            if inspect.isawaitable(result):
                await result
        volumes, mounts = up2u_class_mounts(folders, up2u_user_groups(spawner))
        spawner.volumes = up2u_with(spawner.volumes, volumes)
        spawner.volume_mounts = up2u_with(spawner.volume_mounts, mounts)

    return up2u_add_class_folders


def up2u_class_rules(c: Any, rules: dict[str, Any]) -> None:
    """Install the rules on KubeSpawner's config ``c``; ``rules`` is the stack's data."""
    profiles = c.KubeSpawner.get("profile_list")
    if rules["profilesByGroup"] and isinstance(profiles, list) and profiles:
        c.KubeSpawner.profile_list = up2u_profile_list(profiles)
    if rules["folders"]:
        previous = c.KubeSpawner.get("pre_spawn_hook", c.Spawner.get("pre_spawn_hook"))
        c.KubeSpawner.pre_spawn_hook = up2u_folder_hook(rules["folders"], previous)
