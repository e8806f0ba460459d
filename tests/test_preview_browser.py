"""End to end in headless Chromium, against previews started by this test session.

Real JupyterHub 5.5, configurable-http-proxy 5.2, GenericOAuthenticator against the local
OpenID Connect provider, jupyterhub-idle-culler and JupyterLab 4.5 with the Up2U theme.
Screenshots go to test-artifacts/ (the README's are copies of them).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, committed_settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ADMIN = "5f2b1e0c9a7d4b3e8f6a1c2d3e4f5a6b@eduteams.org"  # dev's adminUsers
USER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"  # dev's allowedUsers
STRANGER = "someone-else@eduteams.org"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
from up2u_jupyter.preview.processes import Preview  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")  # not session: Playwright's loop must end with this module
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


UP2U_IMAGE = {"name": "registry.up2u.example.org/jupyter/k8s-singleuser", "tag": "1.0.0"}
"""The name the images workflow pushes images/singleuser under: the preview gives its
JupyterLab the Up2U theme only for that image (the committed stacks name another one)."""


@pytest.fixture(scope="module")
def dev_hub():
    settings = committed_settings("dev", singleuser={"image": UP2U_IMAGE})
    with Preview(settings, "dev", port=free_port()) as preview:
        yield preview


def free_port():
    from up2u_jupyter.preview.plan import free_port as pick

    return pick()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sign_in(page, hub, sub, service="eduTEAMS", predefined=False):
    """The real authorization-code flow: hub -> local provider form -> callback.

    ``predefined``: one of the provider's user table (a group member), chosen by its button.
    """
    page.goto(hub.url + "login")
    page.get_by_role("button", name=f"Sign in with {service}").click()
    if predefined:
        page.get_by_role("button", name=sub, exact=True).click()
        return
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def lab_theme(page):
    """The theme JupyterLab shows, once it has drawn."""
    page.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
    page.wait_for_function("document.body && document.body.dataset.jpThemeName", timeout=30_000)
    return page.evaluate("document.body.dataset.jpThemeName")


def lab_setting(page, plugin):
    """A JupyterLab plugin's effective settings, as the user's server serves them.

    overrides.json reaches JupyterLab as the schema's defaults; the user's own settings (none
    in a fresh home) would go over them.
    """
    base = page.url.split("/lab")[0] + "/"
    reply = page.request.get(f"{base}lab/api/settings/{plugin}")
    assert reply.ok, reply.status
    body = reply.json()
    defaults = {k: p.get("default") for k, p in body["schema"]["properties"].items()}
    return defaults | body["settings"]


READ_VARIABLES = r"""async ([base, names]) => {
  // a terminal on the user's server, through its REST and websocket API, as Lab's own does
  const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "");
  const made = await fetch(base + "api/terminals", {method: "POST",
                                                    headers: {"X-XSRFToken": xsrf}});
  const {name} = await made.json();
  const ws = new WebSocket(base.replace(/^http/, "ws") + "terminals/websocket/" + name);
  const wanted = new RegExp(names.map(n => n + "=\\[([^\\]$]*)\\]").join(" "));
  return await new Promise((resolve) => {
    let out = "";
    const timer = setTimeout(() => resolve("timed out: " + out), 30000);
    ws.onopen = () => ws.send(JSON.stringify(
      ["stdin", 'echo "' + names.map(n => n + "=[$" + n + "]").join(" ") + '"\r']));
    ws.onmessage = (event) => {
      const [kind, text] = JSON.parse(event.data);
      if (kind !== "stdout") return;
      out += text;
      const hit = out.match(wanted);
      if (hit) { clearTimeout(timer); ws.close(); resolve(hit.slice(1)); }
    };
  });
}"""


RUN_IN_TERMINAL = r"""async ([base, command]) => {
  // one shell command in a Lab terminal (REST + websocket, as Lab's own terminal does)
  const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "");
  const made = await fetch(base + "api/terminals", {method: "POST",
                                                    headers: {"X-XSRFToken": xsrf}});
  const {name} = await made.json();
  const ws = new WebSocket(base.replace(/^http/, "ws") + "terminals/websocket/" + name);
  return await new Promise((resolve) => {
    let out = "";
    const timer = setTimeout(() => resolve("timed out: " + out), 30000);
    // the typed line is echoed too: the quotes split the marker so only the output has it
    ws.onopen = () => ws.send(
      JSON.stringify(["stdin", 'echo "@@""<$(' + command + ')>""@@"\r']));
    ws.onmessage = (event) => {
      const [kind, text] = JSON.parse(event.data);
      if (kind !== "stdout") return;
      out += text;
      const hit = out.match(/@@<([^>]*)>@@/);
      if (hit) { clearTimeout(timer); ws.close(); resolve(hit[1]); }
    };
  });
}"""


def in_terminal(page, command: str) -> str:
    base = page.url.split("/lab")[0] + "/"
    return page.evaluate(RUN_IN_TERMINAL, [base, command])


def test_a_lab_terminal_has_the_kernel_s_python_first_and_no_project_paths(page, dev_hub):
    """As in a user image: `python` and `pip` are the environment JupyterLab and the kernel
    run in, and nothing of this repository or of the hub's import path reaches the server."""
    sign_in(page, dev_hub, USER)
    page.wait_for_url(f"**/user/{USER}/lab**", timeout=90_000)
    venv = str(Path(sys.executable).parent)
    assert in_terminal(page, "command -v python") == f"{venv}/python"
    assert in_terminal(page, "command -v pip") == f"{venv}/pip"
    assert in_terminal(page, "python -c 'import sys; print(sys.prefix)'") == sys.prefix
    assert in_terminal(page, "echo ${PYTHONPATH:-unset}") == "unset"
    found = in_terminal(page, "python -c 'import up2u_jupyter' 2>&1 | tail -1")
    assert "No module named 'up2u_jupyter'" in found


def test_login_page_is_branded_with_the_dev_banner(page, dev_hub):
    page.goto(dev_hub.url + "login")
    assert page.locator(".up2u-brand-name").inner_text() == "Up2U Jupyter"
    assert page.get_by_role("button", name="Sign in with eduTEAMS").is_visible()
    banner = page.locator("#up2u-environment-banner")
    assert banner.inner_text().startswith("DEVELOPMENT environment")
    assert (
        page.locator("#up2u-support-link").get_attribute("href")
        == "https://up2u.example.org/support"
    )
    color = page.locator("nav.navbar").evaluate("n => getComputedStyle(n).backgroundColor")
    assert color == "rgb(27, 58, 107)"  # Up2U blue
    shot(page, "login")


CONTRAST = """(selector) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => v / 255).map((v) =>
      v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const text = rgb(getComputedStyle(document.querySelector(selector)).color);
  const back = rgb(getComputedStyle(document.body).backgroundColor);
  const [hi, lo] = [lum(text), lum(back)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""
"""WCAG's contrast ratio of an element's text against the page background."""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_login_page_is_readable_in_both_colour_schemes(browser, dev_hub, scheme):
    # JupyterHub 5 follows the browser's preference (darkmode.js sets data-bs-theme)
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(dev_hub.url + "login")
        theme = page.evaluate("document.documentElement.getAttribute('data-bs-theme')")
        assert theme == scheme
        for selector in (".up2u-login-title", ".up2u-login-lead", ".up2u-footer"):
            # WCAG AA: 4.5 for text (the title is large, but hold it to the same bar)
            assert page.evaluate(CONTRAST, selector) >= 4.5, (scheme, selector)
    finally:
        context.close()


def test_prod_config_shows_no_environment_banner(page):
    settings = committed_settings("prod", hub={"image": {"name": "local", "tag": "x"}})
    with Preview(settings, "prod", port=free_port()) as prod:
        page.goto(prod.url + "login")
        assert page.get_by_role("button", name="Sign in with eduTEAMS").is_visible()
        assert page.locator("#up2u-environment-banner").count() == 0


def test_sign_in_lands_in_jupyterlab_with_the_up2u_theme(page, dev_hub):
    sign_in(page, dev_hub, USER)
    page.wait_for_url(f"**/user/{USER}/lab**", timeout=90_000)
    assert lab_theme(page) == "Up2U"
    top = page.locator("#jp-top-panel").evaluate("n => getComputedStyle(n).backgroundColor")
    assert top == "rgb(27, 58, 107)"
    # theme/overrides.json: no news fetching, no "a newer version is available"
    notification = lab_setting(page, "@jupyterlab/apputils-extension:notification")
    assert (notification["checkForUpdates"], notification["fetchNews"]) == (False, "false")
    time.sleep(1)  # let the launcher finish drawing for the screenshot
    shot(page, "jupyterlab")


def test_admin_reaches_the_admin_page(page, dev_hub):
    sign_in(page, dev_hub, ADMIN)
    page.wait_for_url("**/lab**", timeout=90_000)
    response = page.goto(dev_hub.url + "admin")
    assert response.status == 200
    page.get_by_text(USER, exact=False).first.wait_for()
    # the Up2U footer, not the stock admin page's version line
    assert page.locator("footer.up2u-footer").is_visible()
    assert page.locator(".version_footer").count() == 0
    shot(page, "admin")


def test_non_admin_is_refused_the_admin_page(page, dev_hub):
    sign_in(page, dev_hub, USER)
    page.wait_for_url("**/lab**", timeout=90_000)
    response = page.goto(dev_hub.url + "admin")
    assert response.status == 403
    assert "403" in page.content()


def test_user_outside_the_allow_rules_is_refused(page, dev_hub):
    sign_in(page, dev_hub, STRANGER)
    page.wait_for_load_state()
    assert "not currently authorized" in page.content()
    assert "/user/" not in page.url


@pytest.fixture(scope="module")
def limited_hub():
    settings = committed_settings(
        "dev", hub={"activeServerLimit": 1}, cull={"timeout": 20, "every": 5}
    )
    with Preview(settings, "dev", port=free_port()) as preview:
        yield preview


def test_second_server_is_refused_at_the_active_server_limit(browser, limited_hub):
    first, second = browser.new_context(), browser.new_context()
    try:
        page_one, page_two = first.new_page(), second.new_page()
        sign_in(page_one, limited_hub, ADMIN)
        page_one.wait_for_url("**/lab**", timeout=90_000)
        sign_in(page_two, limited_hub, USER)
        page_two.wait_for_load_state()
        page_two.get_by_text("Active user limit exceeded").first.wait_for(timeout=60_000)
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_an_idle_server_is_culled_after_the_timeout(page, limited_hub):
    sign_in(page, limited_hub, ADMIN)
    page.wait_for_url("**/lab**", timeout=90_000)
    page.goto("about:blank")  # no open JupyterLab: the server is idle from now on
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page.goto(limited_hub.url + "home")
        if page.locator("#start").count() and page.locator("#stop").count() == 0:
            break
        time.sleep(3)
    assert page.locator("#start").inner_text().strip() == "Start My Server"
    log = next(c.log for c in limited_hub.children if c.name == "jupyterhub").read_text()
    assert "jupyterhub-idle-culler" in log


PROFILES = [
    {"display_name": "Small", "slug": "small", "default": True,
     "kubespawner_override": {"cpu_limit": 1, "environment": {"COURSE": "none"}}},
    {"display_name": "Maths course", "slug": "maths", "description": "More memory",
     "kubespawner_override": {"environment": {"COURSE": "maths-101"}, "mem_limit": "4G",
                              "image": "quay.io/jupyter/scipy-notebook:2025-01-01"}},
]  # fmt: skip
STUDENTS = "urn:geant:eduteams.org:service:up2u:group:students#eduteams.org"
TEACHERS = "urn:geant:eduteams.org:service:up2u:group:teachers#eduteams.org"


@pytest.fixture(scope="module")
def groups_hub():
    """A stack as another team would write it: group rules, profiles, the chart's own pages
    and user image (values only: hub.config and singleuser.profileList)."""
    settings = committed_settings(
        "dev",
        hub={"templatePaths": []},
        singleuser={"image": {"name": "quay.io/jupyterhub/k8s-singleuser-sample", "tag": "4.4.0"}},
        helmValues={
            "hub": {"config": {"GenericOAuthenticator": {
                "auth_state_groups_key": "oauth_user.eduperson_entitlement",
                "allowed_groups": [STUDENTS], "admin_groups": [TEACHERS],
                "manage_groups": True}}},
            "singleuser": {"profileList": PROFILES},
        },
    )  # fmt: skip
    with Preview(settings, "groups", port=free_port()) as preview:
        yield preview


def test_stock_pages_when_the_stack_names_no_up2u_templates(page, groups_hub):
    page.goto(groups_hub.url + "login")
    assert page.get_by_role("button", name="Sign in with eduTEAMS").is_visible()
    assert page.locator(".up2u-brand-name").count() == 0
    assert page.locator("#up2u-environment-banner").count() == 0


def test_a_group_member_picks_a_profile_and_gets_its_variables(page, groups_hub):
    sign_in(page, groups_hub, "group-member-1", predefined=True)
    page.get_by_label("Maths course").check()  # the server-options form
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/user/group-member-1/lab**", timeout=90_000)
    assert lab_theme(page) == "JupyterLab Light"  # not our image: JupyterLab's own look
    base = page.url.split("/lab")[0] + "/"
    values = page.evaluate(READ_VARIABLES, [base, ["UP2U_PROFILE", "COURSE"]])
    # UP2U_PROFILE is what this project's profiles set; KubeSpawner alone sets nothing of the kind
    assert values == ["", "maths-101"]


def test_a_user_outside_the_groups_is_refused(page, groups_hub):
    sign_in(page, groups_hub, STRANGER)
    page.wait_for_load_state()
    assert "not currently authorized" in page.content()
    assert "/user/" not in page.url


def test_an_admin_group_member_reaches_the_admin_page(page, groups_hub):
    sign_in(page, groups_hub, "group-admin-1", predefined=True)
    page.wait_for_url("**/hub/spawn**", timeout=60_000)  # the profile form
    response = page.goto(groups_hub.url + "admin")
    assert response.status == 200
    page.get_by_text("group-admin-1").first.wait_for()


def test_stopping_the_preview_leaves_no_process_behind():
    preview = Preview(committed_settings("dev"), "dev", port=free_port())
    preview.start()
    try:
        pids = preview.processes()
        assert len(pids) >= 3  # provider, hub, proxy (and the culler)
    finally:
        preview.stop()
    import psutil

    alive = [
        pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
    ]
    assert alive == []
    assert not preview.state.exists()


def run_cli(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "up2u_jupyter", "preview", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )  # fmt: skip


def test_the_command_stops_cleanly_on_sigterm():
    import psutil

    port = free_port()
    process = run_cli("--stack", "dev", "--port", str(port))
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C stops the preview."):
            break
    assert lines[0].startswith(f"Up2U Jupyter preview of stack dev: http://127.0.0.1:{port}/hub/")
    assert any(line.strip() == "swapped for local running:" for line in lines)
    children = [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "preview stopped" in out
    time.sleep(1)
    assert [pid for pid in children if psutil.pid_exists(pid)] == []


def test_busy_port_invalid_config_and_missing_node_are_one_line_errors(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        _, err = run_cli("--stack", "dev", "--port", str(port)).communicate(timeout=60)
    assert err == f"error: port {port} on 127.0.0.1 is busy; stop what uses it or pass --port\n"

    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text(
        yaml.safe_dump({"config": {"up2u-jupyter:cull": {"every": -1}}})
    )
    # a free port: the default 8000 may be a developer's own preview
    process = run_cli("--stack", "bad", "--project-dir", str(tmp_path), "--port", str(free_port()))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err.startswith("error: up2u-jupyter:")

    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # python, but no node
    process = run_cli("--stack", "dev", "--port", str(free_port()), env=env)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.startswith("error: Node.js not found on PATH; install it (apt-get install nodejs)")
    assert len(err.splitlines()) == 1
