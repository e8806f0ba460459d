"""The preview's spawner: one JupyterLab process per user, with KubeSpawner's own profile code.

It runs in the preview's hub (``config.py`` names it). Over JupyterHub's
``SimpleLocalProcessSpawner`` it adds what the chart's KubeSpawner gives a stack and has a local
meaning:

- ``singleuser.profileList``, handled by KubeSpawner 7's own methods (the hub image's package,
  not a copy): the form from KubeSpawner's template, the validation when the server starts (an
  unknown slug is refused), and the chosen profile's overrides; a callable profile list (the
  classes' profiles by group) is called exactly as KubeSpawner calls it;
- the class folders a ``pre_spawn_hook`` adds (``volumes``, ``volume_mounts``), emulated by
  ``mounts.py``: a folder per claim, bind-mounted into the user's home, read-only when the
  mount is;
- it tells the hub that a server is up as soon as its port answers, instead of leaving that to
  the hub's growing poll interval.
"""

import asyncio
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner  # type: ignore[import-untyped]
from kubespawner.spawner import KubeSpawner  # type: ignore[import-untyped]
from traitlets import Callable, Dict, Float, List, Unicode, Union, default

from . import mounts

_KUBESPAWNER = vars(KubeSpawner)


class PreviewSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]
    """SimpleLocalProcessSpawner with KubeSpawner's profiles, class folders, prompt readiness."""

    profile_list = Union(
        [List(Dict()), Callable()],
        default_value=[],
        help="KubeSpawner's profile_list (singleuser.profileList, or the classes' callable)",
    ).tag(config=True)
    profile_form_template = Unicode("", help="KubeSpawner's own trait of that name").tag(
        config=True
    )
    additional_profile_form_template_paths = List(
        Unicode(), help="KubeSpawner's own trait of that name"
    ).tag(config=True)
    volumes = Union([List(), Dict()], default_value={}, help="KubeSpawner's volumes").tag(
        config=True
    )
    volume_mounts = Union(
        [List(), Dict()], default_value={}, help="KubeSpawner's volume_mounts"
    ).tag(config=True)
    claims_dir = Unicode(
        "", help="Where each PersistentVolumeClaim a mount names is a folder (<claims>/<name>)"
    ).tag(config=True)
    jupyter_config_path = Unicode(
        "", help="JUPYTER_CONFIG_PATH of the servers, as the Up2U user image sets it"
    ).tag(config=True)
    lab_settings_dir = Unicode(
        "", help="JupyterLab's app_settings_dir: which overrides.json and page config apply"
    ).tag(config=True)
    port_poll_interval = Float(0.02, help="Seconds between checks of the new server's port").tag(
        config=True
    )

    # KubeSpawner 7.0's profile code itself, so that the preview offers, renders and refuses
    # exactly what the cluster's spawner does (its methods read only the traits above)
    _render_options_form = _KUBESPAWNER["_render_options_form"]
    _render_options_form_dynamically = _KUBESPAWNER["_render_options_form_dynamically"]
    _options_from_form = _KUBESPAWNER["_options_from_form"]
    _validate_user_options = _KUBESPAWNER["_validate_user_options"]
    _get_profile = _KUBESPAWNER["_get_profile"]
    _apply_overrides = _KUBESPAWNER["_apply_overrides"]
    _load_profile = _KUBESPAWNER["_load_profile"]
    _get_initialized_profile_list = _KUBESPAWNER["_get_initialized_profile_list"]
    load_user_options = _KUBESPAWNER["load_user_options"]

    @default("options_form")
    def _options_form_default(self) -> Any:
        return _KUBESPAWNER["_options_form_default"].func(self)

    @default("options_from_form")
    def _options_from_form_default(self) -> Any:
        return _KUBESPAWNER["_options_from_form_default"].func(self)

    def get_env(self) -> dict[str, str]:
        """JupyterHub's environment with the profile's; what Kubernetes would read from its
        objects (``valueFrom``) has no value here and is left out."""
        env: dict[str, Any] = super().get_env()
        if self.jupyter_config_path:
            env["JUPYTER_CONFIG_PATH"] = self.jupyter_config_path
        return {name: value for name, value in env.items() if isinstance(value, str)}

    def get_args(self) -> list[str]:
        """JupyterHub's arguments, plus which JupyterLab settings (theme or not) apply."""
        args: list[str] = super().get_args()
        if self.lab_settings_dir:
            args.append(f"--LabApp.app_settings_dir={self.lab_settings_dir}")
        return args

    async def start(self) -> tuple[str, int]:
        """Load the profile as KubeSpawner does first; start the server in its class folders;
        report it only when its port accepts connections."""
        await self.load_user_options()
        folders = mounts.local_mounts(
            self.volumes, self.volume_mounts, Path(self.claims_dir), Path(self.home_dir)
        )
        command: list[str] = list(self.cmd)  # type: ignore[has-type]
        if folders:
            self.cmd = mounts.wrap(list(command), folders)
        try:
            ip, port = await super().start()
        finally:
            self.cmd = command
        # within start_timeout, which the hub applies to start(); the hub then checks HTTP itself
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(self.http_timeout, self.start_timeout - 1)
        while loop.time() < deadline:
            if self.proc.poll() is not None:
                break  # it died: the hub's own check reports that
            try:
                _, writer = await asyncio.open_connection(ip, port)
            except OSError:
                await asyncio.sleep(self.port_poll_interval)
                continue
            writer.close()
            break
        return ip, port
