"""The preview's spawner: one JupyterLab process per user, KubeSpawner's profile list as a form.

It runs in the preview's hub (``config.py`` names it). Over JupyterHub's
``SimpleLocalProcessSpawner`` it adds what the chart's KubeSpawner gives a stack and has a local
meaning: the ``singleuser.profileList`` choice (a server-options form; the chosen profile's
``kubespawner_override.environment`` plus ``UP2U_PROFILE``), and it tells the hub that a server
is up as soon as its port answers, instead of leaving that to the hub's growing poll interval.
"""

import asyncio
import html
import re
from collections.abc import Mapping
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner  # type: ignore[import-untyped]
from traitlets import Dict, Float, List, Unicode, default

from ..chart import string_environment
from ..errors import excerpt

PROFILE_VARIABLE = "UP2U_PROFILE"


def profile_slug(profile: Mapping[str, Any]) -> str:
    """A profile's slug: its own, else made from its display name (as KubeSpawner does)."""
    if profile.get("slug"):
        return str(profile["slug"])
    return re.sub(r"[^a-z0-9]+", "-", str(profile.get("display_name", "")).lower()).strip("-")


class PreviewSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]
    """SimpleLocalProcessSpawner with the stack's profile list and prompt readiness."""

    profile_list = List(
        Dict(), help="KubeSpawner's profile_list (singleuser.profileList), shown as a form"
    ).tag(config=True)
    lab_settings_dir = Unicode(
        "", help="JupyterLab's app_settings_dir: which overrides.json and page config apply"
    ).tag(config=True)
    port_poll_interval = Float(0.02, help="Seconds between checks of the new server's port").tag(
        config=True
    )

    @default("options_form")
    def _options_form_default(self) -> str:
        if not self.profile_list:
            return ""
        chosen = profile_slug(self._profile(None))
        rows = []
        for profile in self.profile_list:
            slug = html.escape(profile_slug(profile))
            checked = " checked" if profile_slug(profile) == chosen else ""
            name = html.escape(str(profile.get("display_name") or slug))
            about = html.escape(str(profile.get("description") or ""))
            rows.append(
                f'<div class="form-check mb-2"><input class="form-check-input" type="radio" '
                f'name="profile" id="profile-{slug}" value="{slug}"{checked}>'
                f'<label class="form-check-label" for="profile-{slug}"><strong>{name}</strong>'
                f'<br><small class="text-muted">{about}</small></label></div>'
            )
        return "\n".join(rows)

    def options_from_form(self, formdata: Mapping[str, list[str]]) -> dict[str, str]:
        """The chosen profile's slug (unknown slugs are refused when the server starts)."""
        return {"profile": (formdata.get("profile") or [""])[0]}

    def _profile(self, slug: str | None) -> Mapping[str, Any]:
        if not self.profile_list:
            return {}
        if slug:
            for profile in self.profile_list:
                if profile_slug(profile) == slug:
                    return profile
            raise ValueError(f"no profile {excerpt(slug)} in singleuser.profileList")
        defaults = [p for p in self.profile_list if p.get("default")]
        return (defaults or self.profile_list)[0]

    def get_env(self) -> dict[str, str]:
        """JupyterHub's environment plus the chosen profile's variables and its slug."""
        env: dict[str, str] = super().get_env()
        if self.profile_list:
            profile = self._profile(self.user_options.get("profile"))
            override = profile.get("kubespawner_override") or {}
            env.update(string_environment(override.get("environment")))
            env.setdefault(PROFILE_VARIABLE, profile_slug(profile))
        return env

    def get_args(self) -> list[str]:
        """JupyterHub's arguments, plus which JupyterLab settings (theme or not) apply."""
        args: list[str] = super().get_args()
        if self.lab_settings_dir:
            args.append(f"--LabApp.app_settings_dir={self.lab_settings_dir}")
        return args

    async def start(self) -> tuple[str, int]:
        """Start the server, then report it only when its port accepts connections."""
        ip, port = await super().start()
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
