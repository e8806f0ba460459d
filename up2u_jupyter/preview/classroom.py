"""The stack's classes in the preview: who can sign in as a pupil or a teacher, what is swapped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import mounts

if TYPE_CHECKING:
    from ..settings import Settings
    from ..settings.classes import Classroom

PUPILS_PER_CLASS = 2
"""Two pupils, so that sharing and a teacher's view can be seen between classmates."""


def class_users(classes: Sequence[Classroom], oauth: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The local provider's pupils (``<class>-pupil-N``) and teacher (``<class>-teacher``) of
    each class, each in the class's group, as eduTEAMS would release them."""
    from .provider import provider_user

    users = []
    for classroom in classes:
        members = [
            *((f"{classroom.name}-pupil-{n}", classroom.pupils)
              for n in range(1, PUPILS_PER_CLASS + 1)),
            (f"{classroom.name}-teacher", classroom.teachers),
        ]  # fmt: skip
        for sub, group in members:
            user = provider_user(oauth, sub, [group])
            if user is not None:
                users.append(user)
    return users


def class_swaps(settings: Settings) -> list[str]:
    """What the classes' spawn rules become locally."""
    if not any(c.shared_folder for c in settings.classes):
        return []
    return [mounts.describe()]
