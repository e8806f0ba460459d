"""A user's browserless session with a running preview: the real sign-in, then their server."""

import time
import urllib.parse

import requests

from up2u_jupyter.preview.processes import Preview


def sign_in_and_start(hub: Preview, sub: str) -> requests.Session:
    """The real sign-in (hub -> local provider's form -> callback), then a server start."""
    session = requests.Session()
    form = session.get(hub.url + "oauth_login", timeout=30)
    assert form.url.startswith(hub.oidc_url), form.url
    landed = session.post(form.url, data={"sub": sub}, timeout=60)
    assert landed.ok and "jupyterhub-session-id" in session.cookies, landed.url
    name = urllib.parse.quote(sub.lower(), safe="@")
    session.get(hub.url + "spawn", timeout=60, allow_redirects=False)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pending = session.get(f"{hub.url}spawn-pending/{name}", allow_redirects=False, timeout=30)
        if pending.status_code == 302 and f"/user/{name}" in pending.headers["Location"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the server did not start within 90s")
    # through the proxy to the user's JupyterLab (its own OAuth hop to the hub included)
    lab = session.get(f"{hub.url.removesuffix('/hub/')}/user/{name}/lab", timeout=60)
    assert lab.ok and "JupyterLab" in lab.text, lab.url
    return session
