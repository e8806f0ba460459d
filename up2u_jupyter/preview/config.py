"""The jupyterhub_config.py of the local preview (``jupyterhub -f`` this file).

First the stack's values, applied the way the chart's hub applies them (``hubconfig``: its
order, ``hub.extraConfig`` last). Then the local swaps the preview printed, set after the
stack's config so that nothing the stack sets (``hub.config`` or ``extraConfig``) can make the
preview listen beyond 127.0.0.1 or use another spawner, proxy or database.
"""
# ruff: noqa: F821 (get_config is provided by JupyterHub when it loads this file)

import json
import os
import sys
import time
from pathlib import Path

from up2u_jupyter.preview.hubconfig import apply_values
from up2u_jupyter.preview.plan import USER_IMAGE_JUPYTER

plan_file = Path(os.environ["UP2U_PREVIEW_PLAN"])
# The preview starts this hub before it has made the plan, so that JupyterHub's import time
# overlaps its own work; wait for the plan, and give up if the preview is gone.
while not plan_file.exists():
    if os.getppid() != int(os.environ["UP2U_PREVIEW_PID"]):
        sys.exit("the preview that started this hub is gone")
    time.sleep(0.01)
plan = json.loads(plan_file.read_text())
os.environ.update(plan["env"])  # the stand-ins for the stack's secrets (hub.extraEnv)
values, ports, state, host = plan["values"], plan["ports"], Path(plan["state"]), plan["host"]
hub_url = f"http://{host}:{ports['hub']}"

c = get_config()  # type: ignore[name-defined]

chart = apply_values(c, values, f"{hub_url}/hub/api", spawner_section="PreviewSpawner")

# --- the local swaps: after the stack's config, so they always win ---
base_url = c.JupyterHub.get("base_url", "/")
c.JupyterHub.bind_url = f"http://{host}:{ports['public']}{base_url}"
c.JupyterHub.ip = host  # ip/port would otherwise rewrite bind_url
c.JupyterHub.port = ports["public"]
c.JupyterHub.hub_bind_url = hub_url
c.JupyterHub.hub_ip = host
c.JupyterHub.hub_port = ports["hub"]
c.JupyterHub.hub_connect_ip = host
c.JupyterHub.hub_connect_url = hub_url
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user server

c.JupyterHub.proxy_class = "configurable-http-proxy"
c.ConfigurableHTTPProxy.should_start = True
# proxy.chp.extraCommandLineFlags: the chart's proxy pod runs them; here the hub starts the proxy
c.ConfigurableHTTPProxy.command = [
    plan["chp"],
    *values["proxy"].get("chp", {}).get("extraCommandLineFlags", []),
]
c.ConfigurableHTTPProxy.api_url = f"http://{host}:{ports['proxy_api']}"
c.ConfigurableHTTPProxy.auth_token = chart.get_secret_value(
    "hub.config.ConfigurableHTTPProxy.auth_token"
)

c.JupyterHub.spawner_class = "up2u_jupyter.preview.spawner.PreviewSpawner"
c.PreviewSpawner.home_dir_template = str(state / "users" / "{username}")
c.PreviewSpawner.lab_settings_dir = plan["lab_settings_dir"]
# the user image's Jupyter config: jupyter-collaboration (installed here) is off unless the
# profile turns it on, as in the image
c.PreviewSpawner.jupyter_config_path = str(USER_IMAGE_JUPYTER)
c.PreviewSpawner.claims_dir = str(state / "claims")  # the class folders' claims (mounts.py)
for spawner in (c.Spawner, c.LocalProcessSpawner, c.PreviewSpawner):
    # every section a stack could address for our class; PreviewSpawner's is the one that wins
    spawner.ip = host
    spawner.port = 0  # a free port per server, whatever the stack's pod port is
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]  # the image's is not here
# What a user image gives its users: the environment JupyterLab and the kernel run in first on
# PATH (`python`, `pip` in a terminal), and no import path of this repository or of the hub's
# z2jh helpers (JupyterHub keeps PYTHONPATH for user servers unless told).
environment = c.PreviewSpawner.get("environment", {})
environment.setdefault("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.defpath]))
c.PreviewSpawner.environment = environment
c.Spawner.env_keep = ["LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP"]
# Jupyter Server starts bash terminals as login shells, and Debian's /etc/profile then resets
# PATH (the user image's Ubuntu does not): this machine's terminals are plain shells.
user_server_config = state / "user-server-config.json"
shell = "/bin/bash" if Path("/bin/bash").exists() else "/bin/sh"
user_server_config.write_text(
    json.dumps({"ServerApp": {"terminado_settings": {"shell_command": [shell]}}})
)
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.args = [*c.Spawner.get("args", []), f"--config={user_server_config}"]
if os.geteuid() == 0:
    # CI and these machines run as root; JupyterLab refuses root unless told
    c.Spawner.args = [*c.Spawner.args, "--allow-root"]
