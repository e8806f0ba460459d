"""The values the preview hub's ``z2jh`` module answers from (one ``HubValues`` per process).

``HubValues`` itself lives with the effective deployment (``deployment/lookups.py``): ``check``
derives the hub's config through the same lookups the preview's hub uses.
"""

from collections.abc import Mapping
from typing import Any

from ..deployment.lookups import NOT_GIVEN, HubValues

__all__ = ["NOT_GIVEN", "HubValues", "current", "install"]

_current: HubValues | None = None


def install(values: Mapping[str, Any]) -> HubValues:
    """Make ``values`` what the ``z2jh`` module answers from (in this process)."""
    global _current
    _current = HubValues(values)
    return _current


def current() -> HubValues:
    """What ``z2jh`` answers from: the installed values, else the preview plan's."""
    global _current
    if _current is None:
        import json
        import os
        from pathlib import Path

        plan = os.environ.get("UP2U_PREVIEW_PLAN")
        if not plan:
            raise RuntimeError("z2jh: no values installed and UP2U_PREVIEW_PLAN is not set")
        _current = HubValues(json.loads(Path(plan).read_text())["values"])
    return _current
