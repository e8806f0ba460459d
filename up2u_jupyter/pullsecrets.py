"""``imagePullSecrets`` -> the chart's keys: the hub, the user servers and the image pre-puller.

The chart reads ``hub.image.pullSecrets`` for the hub's pod and ``singleuser.image.pullSecrets``
for every user server (jupyterhub_config.py hands it to KubeSpawner) and for the pre-puller's
DaemonSets, which pull the user image onto each node (research notes, section 5.2). The chart's
other images (proxy, scheduler, pause, image awaiter) come from public registries and get none.
"""

from typing import Any

from .settings import Settings


def pull_secret_values(settings: Settings) -> dict[str, Any]:
    """The values that give the stack's two images their registry's pull Secrets."""
    names = list(settings.image_pull_secrets)
    if not names:
        return {}
    return {part: {"image": {"pullSecrets": list(names)}} for part in ("hub", "singleuser")}
