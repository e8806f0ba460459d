"""The health check against a real hub: the dev stack's local preview."""

import io
import os

import pytest

from tests.conftest import committed_settings
from up2u_jupyter import health
from up2u_jupyter.cli import run
from up2u_jupyter.preview import Preview, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def hub():
    with Preview(committed_settings("dev"), "dev", port=free_port()) as preview:
        yield preview


def token_of(preview):
    return preview.plan.values["hub"]["services"]["health-check"]["apiToken"]


def call(url, token, *extra):
    out, err = io.StringIO(), io.StringIO()
    env = os.environ.copy()
    os.environ[health.TOKEN_ENV] = token
    try:
        code = run(["health", "--url", url, *extra], out, err)
    finally:
        os.environ.clear()
        os.environ.update(env)
    return code, out.getvalue(), err.getvalue()


def test_a_healthy_hub_passes_every_step(hub):
    code, out, err = call(hub.url, token_of(hub), "--timeout", "60")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    steps = [line.split("  ")[0] for line in lines[1:-1]]
    assert steps == ["hub health endpoint", "hub API version", "start the server",
                     "wait until ready", "run a code cell", "stop the server"]  # fmt: skip
    assert all("  ok  " in line for line in lines[1:-1])
    assert "JupyterHub 5.5.0" in out and "print(6 * 7) -> 42" in out
    assert lines[-1].startswith("healthy: ")
    print(out)  # the step timings, for the record (pytest -s)


def test_it_runs_again_after_a_pass(hub):
    # the user exists now and its server is stopped: a second run must pass too
    assert call(hub.url, token_of(hub), "--timeout", "60")[0] == 0


def test_a_wrong_token_fails_at_the_first_authenticated_step(hub):
    code, out, err = call(hub.url, "not-the-token")
    assert code == 1
    assert err.startswith("error: health check failed at 'start the server': HTTP 403")
    assert "UP2U_HEALTH_TOKEN" in err and len(err.splitlines()) == 1
    assert "not-the-token" not in out + err


def test_an_unreachable_hub_fails_at_the_first_step():
    url = f"http://127.0.0.1:{free_port()}/"
    code, _, err = call(url, "x")
    assert code == 1
    assert err.startswith(
        f"error: health check failed at 'hub health endpoint': cannot reach {url.rstrip('/')}"
    )
    assert len(err.splitlines()) == 1


def test_a_server_that_never_starts_fails_within_the_timeout():
    # a server command that never listens (whatever arguments the spawner adds); the preview
    # sets Spawner.cmd after the stack's config, so this addresses the preview's own spawner
    never = {"extraConfig": {"zz-never": "c.PreviewSpawner.cmd = ['sh', '-c', 'sleep 600', 'x']"}}
    with Preview(committed_settings("dev", hub=never), "dev", port=free_port()) as preview:
        code, _, err = call(preview.url, token_of(preview), "--timeout", "5")
    assert code == 1
    assert (
        err
        == "error: health check failed at 'wait until ready': the server was not ready within 5 s\n"
    )


def test_missing_token_is_a_usage_error(monkeypatch):
    monkeypatch.delenv(health.TOKEN_ENV, raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(["health", "--url", "http://127.0.0.1:1/"], out, err) == 2
    assert err.getvalue().startswith("error: set UP2U_HEALTH_TOKEN")


def test_url_forms_are_normalised():
    for url in (
        "https://hub.example.org",
        "https://hub.example.org/",
        "https://hub.example.org/hub/",
    ):
        assert health.HealthCheck(url, "t").base == "https://hub.example.org"
