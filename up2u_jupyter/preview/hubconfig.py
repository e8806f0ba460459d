"""z2jh values -> the preview hub's traitlets config, in the order the chart's hub applies them.

The order itself is not here: ``deployment/hubconfig.py`` derives, from the values, the config
the chart's ``jupyterhub_config.py`` ends with (the same derivation ``check`` judges), citing
the chart's lines. The preview applies that result to its traitlets ``Config`` and then runs
``hub.extraConfig`` as the chart's hub does: last, in name order, with the names the chart's
config file gives snippets (4.4.0 no longer imports ``binascii``, so ``a2b_hex`` is not one).

Kubernetes-only settings (images, resources, volumes, scheduling, the database and the proxy's
Service) are applied too, as on the cluster, and then mean nothing locally: the preview's
``config.py`` sets its own spawner, proxy, database and addresses after, and lists them as
swapped.
"""

import glob
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..chart import RELEASE_ENV, string_environment
from ..classes.spawn_rules import up2u_folder_hook
from ..deployment.hubconfig import CULLER_SERVICE, InvalidSectionError, culler_command, derive
from .hubvalues import HubValues, install

__all__ = ["CULLER_SERVICE", "Z2JH_PATH", "apply_values", "culler_command"]

Z2JH_PATH = Path(__file__).with_name("hub_pythonpath")
"""The folder holding the preview's ``z2jh`` module; it goes on the hub's PYTHONPATH."""


def apply_values(
    c: Any, values: Mapping[str, Any], hub_api_url: str, spawner_section: str = "Spawner"
) -> HubValues:
    """Configure ``c`` (a traitlets Config) from chart values, as the chart's hub does.

    ``spawner_section`` receives the settings the chart gives KubeSpawner that have a local
    meaning (environment, profile list). ``extraConfig`` runs with the names the chart's config
    file gives it, ``get_config`` and friends answering from ``values``. Returns those lookups.
    A lowercase ``hub.config`` section stops the hub as the chart's does: its FATAL line on
    stderr, exit 1.
    """
    chart = install(values)
    try:
        derived = derive(
            chart,
            release=os.environ.get(RELEASE_ENV) or None,
            culler_url=hub_api_url,
            python=sys.executable,
            strict=True,
        )
    except InvalidSectionError as fatal:
        print(fatal, file=sys.stderr)  # the chart's hub prints this line, then exits 1
        sys.exit(1)
    for section, traits in derived.sections.items():
        c[section].update(traits)
    _run_extra_config(c, chart, derived.extra_config)
    if spawner_section != "KubeSpawner":
        _to_local_spawner(c, spawner_section)
    return chart


_PROFILE_TRAITS = (
    "profile_list",
    "profile_form_template",
    "additional_profile_form_template_paths",
)
"""KubeSpawner's profile traits; the preview's spawner runs KubeSpawner's own profile code."""
CLASS_FOLDER_HOOK = up2u_folder_hook([], None).__name__
"""The name of the class folders' ``pre_spawn_hook`` (what the stack's snippet installs)."""


def _to_local_spawner(c: Any, section: str) -> None:
    """What KubeSpawner ends with, extraConfig's additions included, for a local spawner: the
    plain-string variables, the profile traits (a callable profile list too: it is called as
    KubeSpawner calls it), and the classes' folder hook. Other ``pre_spawn_hook``s are
    KubeSpawner's alone: they may read its Kubernetes-only attributes."""
    if "environment" in c.KubeSpawner:
        c[section].environment = string_environment(c.KubeSpawner.environment)
    for trait in _PROFILE_TRAITS:
        if trait in c.KubeSpawner:
            c[section][trait] = c.KubeSpawner[trait]
    hook = c.KubeSpawner.get("pre_spawn_hook")
    if getattr(hook, "__name__", None) == CLASS_FOLDER_HOOK:
        c[section].pre_spawn_hook = hook


def _run_extra_config(c: Any, chart: HubValues, snippets: list[tuple[str, str]]) -> None:
    # The chart exec()s each snippet inside its config file, so snippets see that file's names
    # (`c`, the z2jh helpers, the modules it imported) and whatever an earlier snippet defined.
    from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]

    namespace = {
        "c": c,
        "get_config": chart.get_config,
        "get_secret_value": chart.get_secret_value,
        "set_config_if_not_none": chart.set_config_if_not_none,
        "get_name": chart.get_name,
        "get_name_env": chart.get_name_env,
        "os": os,
        "re": re,
        "sys": sys,
        "glob": glob,
        "url_path_join": url_path_join,
    }
    for key, code in snippets:
        exec(compile(code, f"<hub.extraConfig.{key}>", "exec"), namespace)
