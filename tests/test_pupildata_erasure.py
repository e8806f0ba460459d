"""Erasure end to end: a pupil signs in and writes a file on the real preview hub, then is
erased by the data-retention service (a short period) or by ``forget-user``.

The hub is JupyterHub 5.5 with the stack's services and roles; the volumes are judged through
the Kubernetes calls the code makes (the preview's ``volumes.json`` and its call log), with
names computed by the real KubeSpawner 7.0.0 for the same user: the current ``safe`` name and
the legacy ``escape`` name a stack migrated from chart 0.9 still holds.
"""

import io
import json
import time
import urllib.parse
from types import SimpleNamespace

import pytest
import requests
from traitlets.config import Config

from tests.conftest import ROOT, committed_settings
from tests.preview_session import sign_in_and_start
from up2u_jupyter.cli import run
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview
from up2u_jupyter.pupildata.forget import HUB_TOKEN_ENV
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV

kubespawner = pytest.importorskip("kubespawner")
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PUPIL = "ada.lovelace@school.example"
OTHER_CLAIM = "claim-grace-hopper-school-example---00000000"
SHARED_CLAIM = "claim-course-data"


def kubespawner_names(user):
    """The claim the real KubeSpawner names for the user, under each slug scheme."""
    names = []
    for scheme in ("safe", "escape"):
        c = Config()
        c.KubeSpawner.slug_scheme = scheme
        c.KubeSpawner.namespace = "jhub-dev"
        spawner = kubespawner.KubeSpawner(
            config=c, user=SimpleNamespace(name=user, id=1, url="/"), _mock=True
        )
        names.append(spawner.pvc_name)
    return names


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)


def pupil_stack(**data_protection):
    """dev, with the pupil allowed in (the hub creates allowed users when it starts)."""
    return committed_settings("dev", auth={"allowedUsers": [PUPIL]}, dataProtection=data_protection)


def seed(preview):
    """The namespace's claims: the pupil's under both schemes, someone else's, and a shared
    one KubeSpawner annotated with the pupil (who happened to create it)."""
    safe, legacy = kubespawner_names(PUPIL)
    assert safe.startswith("claim-ada-lovelace-school-example---")  # safe: slug and hash
    assert legacy == "claim-ada-2elovelace-40school-2eexample"  # escape: chart 0.9's name
    claims = [
        {"name": safe, "annotations": {"hub.jupyter.org/username": PUPIL}},
        {"name": legacy, "annotations": {"hub.jupyter.org/username": PUPIL}},
        {"name": OTHER_CLAIM, "annotations": {"hub.jupyter.org/username": "grace.hopper@x"}},
        {"name": SHARED_CLAIM, "annotations": {"hub.jupyter.org/username": PUPIL}},
    ]
    (preview.state / "volumes.json").write_text(json.dumps({"claims": claims}))
    return safe, legacy


def write_a_file(session, preview, name):
    """The pupil saves a notebook through their server's contents API."""
    base = f"{preview.url.removesuffix('/hub/')}/user/{urllib.parse.quote(name, safe='@')}/"
    reply = session.put(
        base + "api/contents/essay.txt",
        json={"type": "file", "format": "text", "content": "my work"},
        headers={"X-XSRFToken": _server_xsrf(session)},
        timeout=30,
    )
    assert reply.status_code in (200, 201), reply.text


def _server_xsrf(session):
    """The user server's XSRF cookie (the hub sets one of its own, on another path)."""
    return next(c.value for c in session.cookies if c.name == "_xsrf" and "/user/" in c.path)


def hub_user(preview, name):
    """The user as the forget-user service sees it (None once the hub has forgotten them)."""
    reply = requests.get(
        f"http://127.0.0.1:{preview.ports.hub}/hub/api/users/{urllib.parse.quote(name)}",
        headers={"Authorization": f"token {preview.plan.env[FORGET_TOKEN_ENV]}"},
        params={"include_stopped_servers": 1},
        timeout=30,
    )
    return None if reply.status_code == 404 else reply.json()


def calls(preview):
    log = preview.state / "volumes.calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def left(preview):
    return sorted(
        c["name"] for c in json.loads((preview.state / "volumes.json").read_text())["claims"]
    )


@pytest.mark.slow  # waits for the retention period to pass
def test_retention_erases_an_inactive_pupil_with_both_volumes():
    with Preview(pupil_stack(retention="40s", retentionCheckEvery="2s"), "dev",
                 port=free_port()) as preview:  # fmt: skip
        safe, legacy = seed(preview)
        session = sign_in_and_start(preview, PUPIL)
        write_a_file(session, preview, PUPIL)
        assert hub_user(preview, PUPIL)["servers"][""]["ready"]
        deadline = time.monotonic() + 150
        while hub_user(preview, PUPIL) is not None and time.monotonic() < deadline:
            time.sleep(2)
        assert hub_user(preview, PUPIL) is None, "retention did not erase the pupil in time"
        deleted = [c["name"] for c in calls(preview) if c["call"] == "delete" and c["found"]]
        assert sorted(deleted) == sorted([safe, legacy])
        assert left(preview) == sorted([OTHER_CLAIM, SHARED_CLAIM])
        log = (preview.state / "jupyterhub.log").read_text()
        line = next(x for x in log.splitlines() if f"retention: erased {PUPIL}" in x)
        assert "servers stopped: (default)" in line
        assert f"volumes deleted: {safe}, {legacy}" in line or f"{legacy}, {safe}" in line
        # the admin (dev's adminUsers) was inactive just as long, and is kept
        admin = committed_settings("dev").auth.admin_users[0]
        assert hub_user(preview, admin) is not None


def forget(preview, *extra, token=None):
    out, err = io.StringIO(), io.StringIO()
    api = f"http://127.0.0.1:{preview.ports.hub}/hub/api"
    volumes = str(preview.state / "volumes.json")
    argv = ["forget-user", PUPIL.upper(), "--stack", "dev", "--project-dir", str(ROOT),
            "--hub-url", api, "--volumes-file", volumes, *extra]  # fmt: skip
    code = run(argv, out, err)
    return code, out.getvalue().splitlines(), err.getvalue()


def test_forget_user_erases_a_pupil_on_request_after_a_dry_run(monkeypatch):
    with Preview(pupil_stack(), "dev", port=free_port()) as preview:
        safe, legacy = seed(preview)
        session = sign_in_and_start(preview, PUPIL)
        write_a_file(session, preview, PUPIL)
        monkeypatch.setenv(HUB_TOKEN_ENV, preview.plan.env[FORGET_TOKEN_ENV])

        code, lines, err = forget(preview, "--dry-run")
        assert code == 0, err
        assert lines[0] == f"dry run: forget {PUPIL}"
        assert "  servers would stop: (default)" in lines
        assert any(line.startswith(f"  volume {legacy}: would delete (") for line in lines)
        assert hub_user(preview, PUPIL)["servers"][""]["ready"]  # nothing happened
        assert left(preview) == sorted([safe, legacy, OTHER_CLAIM, SHARED_CLAIM])

        code, lines, err = forget(preview)
        assert code == 0, err
        assert lines[:3] == [f"forget {PUPIL}", "  servers stopped: (default)",
                             "  hub user: deleted"]  # fmt: skip
        assert f"  volume {safe}: deleted (claim-{{user_server}}, safe scheme " \
               "(KubeSpawner 7's default))" in lines  # fmt: skip
        assert f"  volume {legacy}: deleted (claim-{{user_server}}, escape scheme " \
               "(KubeSpawner 7's default))" in lines  # fmt: skip
        assert any(line.startswith(f"  volume {SHARED_CLAIM}: NOT deleted") for line in lines)
        assert hub_user(preview, PUPIL) is None
        assert left(preview) == sorted([OTHER_CLAIM, SHARED_CLAIM])
        deletes = [c["name"] for c in calls(preview) if c["call"] == "delete"]
        assert sorted(deletes) == sorted([safe, legacy])  # nothing else was asked for

        # again: nothing left to do, and it says so
        code, lines, _ = forget(preview)
        assert code == 0
        assert "  hub user: not in the hub (already deleted, or never signed in)" in lines
        assert f"  volume {safe}: none (claim-{{user_server}}, safe scheme " \
               "(KubeSpawner 7's default))" in lines  # fmt: skip


def test_forget_user_needs_the_services_token(monkeypatch, project_dir):
    monkeypatch.delenv(HUB_TOKEN_ENV, raising=False)
    out, err = io.StringIO(), io.StringIO()
    code = run(["forget-user", PUPIL, "--stack", "dev", "--project-dir", str(ROOT)], out, err)
    assert code == 2
    assert err.getvalue() == (
        f"error: set {HUB_TOKEN_ENV} to the forget-user service's token: export {HUB_TOKEN_ENV}="
        '"$(pulumi stack output forgetUserToken --show-secrets --stack dev)"\n'
    )
