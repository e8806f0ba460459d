"""The jupyterhub_config.py of the local preview (``jupyterhub -f`` this file).

It sets the local swaps the preview printed (spawner, proxy, database, bind addresses, secrets),
then applies the stack's values the way the chart's hub does (``hubconfig.apply_values``), so
the stack's hub.extraConfig runs last, as it does in the chart.
"""
# ruff: noqa: F821 (get_config is provided by JupyterHub when it loads this file)

import json
import os
import sys
from pathlib import Path

from up2u_jupyter.hubconfig import apply_values

plan = json.loads(Path(os.environ["UP2U_PREVIEW_PLAN"]).read_text())
values, ports, state = plan["values"], plan["ports"], Path(plan["state"])
host = "127.0.0.1"

c = get_config()  # type: ignore[name-defined]

c.JupyterHub.bind_url = f"http://{host}:{ports['public']}"
c.JupyterHub.hub_bind_url = f"http://{host}:{ports['hub']}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret = bytes.fromhex(values["hub"]["cookieSecret"])
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user server

# proxy.chp.extraCommandLineFlags: the chart's proxy pod runs them; here the hub starts the proxy
c.ConfigurableHTTPProxy.command = [
    plan["chp"],
    *values["proxy"].get("chp", {}).get("extraCommandLineFlags", []),
]
c.ConfigurableHTTPProxy.api_url = f"http://{host}:{ports['proxy_api']}"
c.ConfigurableHTTPProxy.auth_token = values["proxy"]["secretToken"]

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "users" / "{username}")
c.Spawner.ip = host
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
if os.geteuid() == 0:
    # CI and these machines run as root; JupyterLab refuses root unless told
    c.Spawner.args = ["--allow-root"]

apply_values(c, values, hub_api_url=f"http://{host}:{ports['hub']}/hub/api")
