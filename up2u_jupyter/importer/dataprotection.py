"""``dataProtection``: KubeSpawner's ``delete_pvc``, and the pieces the program renders itself.

An old file's ``hub.config.KubeSpawner.delete_pvc`` becomes ``dataProtection.deleteVolumeWithUser``
(the stack always sets it; left out, files are kept). The forget-user service, the
data-retention service and the admin page's template variable are the program's own: a values
file this program rendered (``helm get values`` of an Up2U stack) brings them back, and they
are rendered anew.
"""

from ..pupildata.helm import FORGET_SERVICE, FORGET_TOKEN_ENV
from ..pupildata.names import RETENTION_SERVICE
from .model import Conversion

_OURS = (
    ("hub", "extraEnv", FORGET_TOKEN_ENV),
    ("hub", "extraConfig", "up2u-forget-user-service"),
    ("hub", "loadRoles", FORGET_SERVICE),
    ("hub", "loadRoles", RETENTION_SERVICE),
    ("hub", "services", RETENTION_SERVICE),
    ("hub", "templateVars", "dataProtection"),
)


def convert_data_protection(c: Conversion) -> None:
    """delete_pvc to its setting; the program's own dataProtection values dropped."""
    where = ("hub", "config", "KubeSpawner", "delete_pvc")
    value = c.get(*where)
    if isinstance(value, bool):
        c.put("dataProtection.deleteVolumeWithUser", c.take(*where), where)
    for path in _OURS:
        if c.take(*path) is not None:
            c.note(path, "dropped", "the program's own (dataProtection), rendered anew")
