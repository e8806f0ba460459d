"""The hub loads its config: nothing in it stops the chart's ``jupyterhub_config.py`` at start.

- no lowercase ``hub.config`` section (the chart's hub prints a FATAL line and exits 1; the
  chart's schema refuses it too, but a ``hub.existingSecret`` bypasses the schema);
- a ``matchNodePurpose`` the chart's hub knows;
- every ``hub.extraConfig`` snippet is Python the hub can load (it ``exec``s each one).
"""

from ..errors import excerpt
from .hubconfig import InvalidSectionError
from .model import Deployment, Finding


def check(d: Deployment) -> list[Finding]:
    """The loading invariants (see the module docstring)."""
    found = []
    for path, error in d.hub.fatal:
        if isinstance(error, InvalidSectionError):
            found.append(
                Finding(
                    d.key(*path),
                    f"{excerpt(error.section)}: not a class name, and the chart's hub stops at "
                    f'start ("{error}"); move it where it belongs (hub.loadRoles, ...) or '
                    "spell the class",
                )
            )
        else:
            found.append(
                Finding(
                    d.key(*path),
                    f'the chart\'s hub stops at start ("{error}"); use prefer, require or ignore',
                )
            )
    for reading in d.readings:
        if reading.error is not None:
            found.append(
                Finding(
                    d.key("hub", "extraConfig", reading.name),
                    f"{reading.error}: the chart's hub runs each snippet at start and would "
                    "stop; fix the code",
                )
            )
    return found
