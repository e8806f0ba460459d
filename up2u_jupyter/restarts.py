"""Restart the hub when a Secret it reads at start changes: checksum annotations on its pod.

The hub reads the credentials Secret (OAuth client secret, database password, secretEnv), the
metrics Secret and the data-protection Secret (forget-user's token) through ``hub.extraEnv``,
that is once, when its container starts. The
chart restarts the hub when its own ConfigMap or Secret changes (``checksum/config-map``,
``checksum/secret``), but it cannot see ours. So the hub's pod template carries one annotation
per Secret (``hub.annotations``, which the chart puts on the pod template after its own
checksums), whose value changes exactly when that Secret's data does: a ``pulumi up`` after a
rotation rolls the hub, and one that changes nothing leaves it running.

The value is an HMAC-SHA256 of the Secret's data, keyed with 32 random bytes the stack keeps
as a secret. A plain hash would be safe for the generated tokens but not for an operator's
password, which the annotation would let anyone who can read pods (or Helm's release history)
test guesses against offline; without the key the HMAC says nothing about the data.
"""

import hashlib
import hmac
import json
from collections.abc import Collection, Mapping

from . import credentials
from .settings import Settings

CREDENTIALS_ANNOTATION = "checksum/up2u-credentials-data"
"""Keyed hash of the credentials Secret's data (``-data``: a name ending in ``credentials``
would look like a secret to the secret rule, and the offline commands would hide it)."""
METRICS_ANNOTATION = "checksum/up2u-metrics-data"
"""Keyed hash of the metrics Secret's data (monitoring.enabled)."""
DATA_PROTECTION_ANNOTATION = "checksum/up2u-data-protection-data"
"""Keyed hash of the data-protection Secret's data (forget-user's token, on every stack)."""
ANNOTATIONS = (CREDENTIALS_ANNOTATION, METRICS_ANNOTATION, DATA_PROTECTION_ANNOTATION)
"""Every restart annotation: an import of rendered values drops them (copied into helmValues,
they would pin the hub's annotations and rotations would stop restarting it)."""
OFFLINE = "<keyed hash: computed at deploy time>"
"""What the offline commands show for each annotation (they have neither the data nor the key)."""


def annotation_names(settings: Settings, secret_env: Collection[str] = ()) -> list[str]:
    """The annotations a stack's hub gets: one per Secret its environment reads."""
    names = []
    if credentials.hub_env(settings, "", secret_env):
        names.append(CREDENTIALS_ANNOTATION)
    if settings.monitoring.enabled:
        names.append(METRICS_ANNOTATION)
    names.append(DATA_PROTECTION_ANNOTATION)  # forget-user's token (pupildata.helm)
    return names


def keyed_checksum(key: str, data: Mapping[str, str]) -> str:
    """HMAC-SHA256 (hex) of a Secret's data, in a form that does not depend on key order."""
    message = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
