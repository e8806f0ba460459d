"""Classes, profiles by group and placeholders -> z2jh values (pure, no Pulumi).

- each class's teachers get a JupyterHub role scoped to the class's pupils group
  (``hub.loadRoles``); a class with ``sharing`` gives its members JupyterHub 5's sharing;
- profiles by group and class folders are rules applied at each spawn: ``spawn_rules.py`` as the
  ``hub.extraConfig`` entry ``up2u-classes``, with the stack's data;
- ``scheduling.userPlaceholders`` renders the chart's ``scheduling.userPlaceholder``.
"""

from pathlib import Path
from typing import Any

from ..settings import Settings
from ..settings.classes import Classroom

SPAWN_RULES = Path(__file__).with_name("spawn_rules.py")
SPAWN_RULES_CONFIG = "up2u-classes"
"""The hub.extraConfig entry holding the spawn rules."""
FOLDER_VOLUME = "up2u-class-folder-{number}"
"""A class folder's volume in user pods: one per claim (spawn_rules' prefix, a DNS label)."""


def teacher_role(classroom: Classroom) -> str:
    """The name of the class's teachers' role."""
    return f"class-{classroom.name}-teachers"


def sharing_role(classroom: Classroom) -> str:
    """The name of the role that lets the class's members share their servers within it."""
    return f"class-{classroom.name}-sharing"


def teacher_scopes(classroom: Classroom) -> list[str]:
    """What a class's teachers may do: their pupils' servers and names, nothing wider.

    ``admin-ui`` opens the hub's admin page, which then shows only what the other scopes
    allow: the pupils (``list:users``, ``read:users``), whose servers teachers start and stop
    (``servers``) and open (``access:servers``). Never ``admin:*``: no renaming, deleting or
    making tokens for pupils, and nothing of another class.
    """
    group = f"group={classroom.pupils}"
    return [
        "admin-ui",
        f"list:users!{group}",
        f"read:users!{group}",
        f"servers!{group}",
        f"access:servers!{group}",
    ]


def sharing_scopes(classroom: Classroom) -> list[str]:
    """JupyterHub 5 sharing for a class's members: their own servers, with the class only.

    ``shares!user`` lets a member share the servers they own; sharing with a user or a group
    by name needs reading that name, which is granted for the class's two groups and their
    members only.
    """
    return [
        "shares!user",
        *(
            f"read:{kind}:name!group={group}"
            for group in (classroom.pupils, classroom.teachers)
            for kind in ("users", "groups")
        ),
    ]


def classroom_values(settings: Settings) -> dict[str, Any]:
    """The values of the stack's classes, profiles by group and placeholders (merged by
    ``build_values`` under helmValues)."""
    hub: dict[str, Any] = {}
    roles = _roles(settings)
    if roles:
        hub["loadRoles"] = roles
    rules = spawn_rules(settings)
    if rules["profilesByGroup"] or rules["folders"]:
        hub["extraConfig"] = {SPAWN_RULES_CONFIG: spawn_rules_config(rules)}
    values: dict[str, Any] = {"hub": hub} if hub else {}
    placeholders = settings.scheduling.user_placeholders
    if placeholders:
        # users must be able to evict placeholders: the chart's priority classes do that
        values["scheduling"] = {
            "podPriority": {"enabled": True},
            "userPlaceholder": {"enabled": True, "replicas": placeholders},
        }
    return values


def _roles(settings: Settings) -> dict[str, Any]:
    roles: dict[str, Any] = {}
    for classroom in settings.classes:
        roles[teacher_role(classroom)] = {
            "description": f"Teachers of class {classroom.name}: help its pupils",
            "scopes": teacher_scopes(classroom),
            "groups": [classroom.teachers],
        }
        if classroom.sharing:
            roles[sharing_role(classroom)] = {
                "description": f"Members of class {classroom.name} share servers in the class",
                "scopes": sharing_scopes(classroom),
                "groups": [classroom.pupils, classroom.teachers],
            }
    return roles


def spawn_rules(settings: Settings) -> dict[str, Any]:
    """The data the spawn rules read: whether profiles have groups, and the class folders."""
    claims: dict[str, str] = {}
    folders = []
    for classroom in settings.classes:
        folder = classroom.shared_folder
        if folder is None:
            continue
        volume = claims.setdefault(folder.claim, FOLDER_VOLUME.format(number=len(claims) + 1))
        entry = {
            "class": classroom.name,
            "pupils": classroom.pupils,
            "teachers": classroom.teachers,
            "volume": volume,
            "claim": folder.claim,
            "mountPath": classroom.folder_path,
        }
        if folder.sub_path is not None:
            entry["subPath"] = folder.sub_path
        folders.append(entry)
    return {
        "profilesByGroup": any(profile.groups for profile in settings.profiles),
        "folders": folders,
    }


def is_spawn_rules(name: Any, code: str) -> bool:
    """Whether an extraConfig entry is the spawn rules this program rendered (an import of a
    values file an Up2U stack deployed renders them anew)."""
    return name == SPAWN_RULES_CONFIG and code.startswith(SPAWN_RULES.read_text())


def spawn_rules_config(rules: dict[str, Any]) -> str:
    """The extraConfig snippet: spawn_rules.py, then its call with the stack's data."""
    # a literal of strings, booleans, lists and maps: the same in Python as in JSON's model
    return f"{SPAWN_RULES.read_text()}\n\nup2u_class_rules(c, {rules!r})\n"
