"""Classes end to end in headless Chromium, against the dev stack's preview with a second class.

Real JupyterHub 5.5 (roles, groups mirrored from the local OpenID Connect provider's claim),
KubeSpawner 7.0's profile code in the local spawner, the stack's own spawn rules, JupyterLab
4.5 with nbgitpuller and jupyter-collaboration. The dev stack has class maths-3a (pupils
maths-3a-pupil-1/-2, teacher maths-3a-teacher); its profiles (tests/conftest.py) and
physics-2b, the other class, are added here.
"""

import json
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, dev_class_profiles
from tests.test_preview_browser import CHROMIUM, shot
from up2u_jupyter.preview import mounts
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config

sync_api = pytest.importorskip("playwright.sync_api")
from up2u_jupyter.preview.plan import free_port  # noqa: E402
from up2u_jupyter.preview.processes import Preview  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PHYSICS = "urn:geant:eduteams.org:service:up2u:group:physics-2b#eduteams.org"
PHYSICS_TEACHERS = "urn:geant:eduteams.org:service:up2u:group:physics-2b-teachers#eduteams.org"
PUPIL, CLASSMATE, TEACHER = "maths-3a-pupil-1", "maths-3a-pupil-2", "maths-3a-teacher"
OTHER_PUPIL = "physics-2b-pupil-1"
LAB = 120_000
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""A notebook names its kernel, or JupyterLab asks for one in a dialog."""


def two_classes():
    """The dev stack as committed, with profiles for its class, a second class and its own."""
    raw = read_stack_config(ROOT, "dev").values
    raw["auth"]["allowedGroups"] += [PHYSICS, PHYSICS_TEACHERS]
    raw["profiles"] = dev_class_profiles(raw)
    raw["profiles"].append(
        {"slug": "physics-2b", "displayName": "Physics 2B", "groups": [PHYSICS, PHYSICS_TEACHERS]}
    )
    raw["classes"].append({"name": "physics-2b", "pupils": PHYSICS, "teachers": PHYSICS_TEACHERS})
    return load_settings(raw, "dev")


@pytest.fixture(scope="module")
def hub():
    with Preview(two_classes(), "dev", port=free_port()) as preview:
        yield preview


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def sessions(browser, hub):
    """One signed-in browser context per user, made on first use, kept for the module."""
    pages = {}

    def session(sub):
        if sub not in pages:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.set_default_timeout(LAB)
            page.goto(hub.url + "login")
            page.get_by_role("button", name="Sign in with eduTEAMS").click()
            page.get_by_role("button", name=sub, exact=True).click()
            page.wait_for_url("**/hub/spawn**")  # the profile form: nobody has a server yet
            pages[sub] = page
        return pages[sub]

    yield session
    for page in pages.values():
        page.context.close()


def api(page, method, url, body=None):
    """A request with the page's cookies and the XSRF token JupyterHub and Jupyter Server want."""
    xsrf = next(c["value"] for c in page.context.cookies(url) if c["name"] == "_xsrf")
    headers = {"X-XSRFToken": xsrf, "Content-Type": "application/json"}
    return page.request.fetch(url, method=method, headers=headers, data=json.dumps(body or {}))


def started(page, hub, name, profile):
    """``name``'s server with ``profile``: started through the REST API unless it runs."""
    server = api(page, "GET", f"{hub.url}api/users/{name}").json()["servers"].get("")
    if server and server["ready"]:
        assert server["user_options"] == {"profile": profile}
        return server
    reply = api(page, "POST", f"{hub.url}api/users/{name}/server", {"profile": profile})
    assert reply.status in (201, 202), reply.text()
    deadline = time.monotonic() + LAB / 1000
    while time.monotonic() < deadline:
        model = api(page, "GET", f"{hub.url}api/users/{name}").json()
        if (model["servers"].get("") or {}).get("ready"):
            return model["servers"][""]
        time.sleep(0.5)
    raise AssertionError(f"{name}'s server did not start")


def server_url(hub, name):
    return hub.url.replace("/hub/", f"/user/{name}/")


def offered(page):
    return [h.inner_text() for h in page.locator("#kubespawner-profiles-list h3").all()]


def hub_log(hub):
    return next(c.log for c in hub.children if c.name == "jupyterhub").read_text()


def test_a_pupil_sees_only_their_classs_profiles(sessions):
    page = sessions(PUPIL)
    assert offered(page) == ["Standard", "Maths 3A"]
    shot(page, "classes-pupil-profiles")


def test_the_other_classs_pupil_sees_only_theirs(sessions):
    assert offered(sessions(OTHER_PUPIL)) == ["Standard", "Physics 2B"]


def test_a_pupil_asking_the_api_for_another_classs_profile_is_refused(sessions, hub):
    page = sessions(PUPIL)
    reply = api(page, "POST", f"{hub.url}api/users/{PUPIL}/server", {"profile": "physics-2b"})
    # the chart's hub answers at once (tornado_settings slow_spawn_timeout: 0, its
    # jupyterhub_config.py lines 57-59, which the preview applies) and the start fails behind
    # the answer, its reason in the hub's log
    assert reply.status == 202
    refused = "No such profile: physics-2b. Options include: standard, maths-3a"
    deadline = time.monotonic() + 30
    while refused not in hub_log(hub) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert refused in hub_log(hub)
    model = api(page, "GET", f"{hub.url}api/users/{PUPIL}").json()
    assert not (model["servers"].get("") or {}).get("ready")


def test_a_teacher_opens_a_pupils_jupyterlab_and_not_another_classs(sessions, hub):
    started(sessions(PUPIL), hub, PUPIL, "maths-3a")
    started(sessions(OTHER_PUPIL), hub, OTHER_PUPIL, "physics-2b")
    teacher = sessions(TEACHER)
    teacher.goto(server_url(hub, PUPIL) + "lab")
    teacher.get_by_role("button", name="Authorize").click()  # JupyterHub asks, as for any
    teacher.wait_for_url(f"**/user/{PUPIL}/lab**")  # server not one's own
    teacher.wait_for_selector("#jp-main-dock-panel", timeout=LAB)
    shot(teacher, "classes-teacher-in-pupils-lab")
    refused = teacher.goto(server_url(hub, OTHER_PUPIL) + "lab")
    assert refused.status == 403
    assert f"/user/{OTHER_PUPIL}/lab" not in teacher.url
    # the teacher's list of users is their pupils', not the other class's
    names = {u["name"] for u in api(teacher, "GET", f"{hub.url}api/users").json()}
    assert {PUPIL, CLASSMATE} >= names - {TEACHER} and PUPIL in names
    assert OTHER_PUPIL not in names


def test_the_teacher_edits_a_pupils_notebook_live_in_a_collaboration_profile(sessions, hub):
    pupil, teacher = sessions(PUPIL), sessions(TEACHER)
    started(pupil, hub, PUPIL, "maths-3a")  # collaboration: true
    base = server_url(hub, PUPIL)
    pupil.goto(base + "lab")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1",
                           "metadata": {}, "outputs": [], "source": "x = 1"}],
                "metadata": {"kernelspec": KERNEL}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    put = api(pupil, "PUT", base + "api/contents/live.ipynb",
              {"type": "notebook", "content": notebook})  # fmt: skip
    assert put.status == 201, put.text()
    cell = ".jp-Notebook .jp-Cell .cm-content"
    pupil.goto(base + "lab/tree/live.ipynb")
    pupil.wait_for_selector(cell)
    teacher.goto(base + "lab/tree/live.ipynb")
    if "oauth2/authorize" in teacher.url:
        teacher.get_by_role("button", name="Authorize").click()
    teacher.wait_for_selector(cell)
    teacher.locator(cell).first.click()
    teacher.keyboard.press("End")
    teacher.keyboard.type(" + 41  # the teacher")
    pupil.wait_for_function(
        f"document.querySelector('{cell}').innerText.includes('the teacher')", timeout=30_000
    )
    shot(pupil, "classes-collaboration")


def test_collaboration_is_off_in_other_profiles(sessions, hub):
    page = sessions(OTHER_PUPIL)
    started(page, hub, OTHER_PUPIL, "physics-2b")
    page.goto(server_url(hub, OTHER_PUPIL) + "lab")
    page.wait_for_selector("#jp-main-dock-panel")
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert config["disableRTC"] is True


def test_the_class_folder_is_writable_for_the_teacher_and_read_only_for_pupils(sessions, hub):
    if mounts.namespace_command() is None:
        pytest.skip("no mount namespace here: the preview cannot make folders read-only")
    teacher, pupil = sessions(TEACHER), sessions(CLASSMATE)
    started(teacher, hub, TEACHER, "standard")
    started(pupil, hub, CLASSMATE, "standard")
    for page, name in ((teacher, TEACHER), (pupil, CLASSMATE)):
        page.goto(server_url(hub, name) + "lab")  # the server's own _xsrf cookie
    text = {"type": "file", "format": "text", "content": "Homework: exercise 3\n"}
    wrote = api(teacher, "PUT", server_url(hub, TEACHER) + "api/contents/maths-3a/homework.md",
                text)  # fmt: skip
    assert wrote.status == 201, wrote.text()
    read = api(pupil, "GET", server_url(hub, CLASSMATE) + "api/contents/maths-3a/homework.md")
    assert read.json()["content"] == "Homework: exercise 3\n"
    refused = api(pupil, "PUT", server_url(hub, CLASSMATE) + "api/contents/maths-3a/mine.md",
                  text)  # fmt: skip
    assert refused.status >= 400 and "Read-only file system" in refused.text()
    # the other class has no folder at all (its pupil's server and _xsrf cookie made here, not
    # left to an earlier test)
    other_page = sessions(OTHER_PUPIL)
    started(other_page, hub, OTHER_PUPIL, "physics-2b")
    other_page.goto(server_url(hub, OTHER_PUPIL) + "lab")
    other = api(other_page, "GET", server_url(hub, OTHER_PUPIL) + "api/contents/maths-3a")
    assert other.status == 404


def test_a_course_link_pulls_a_notebook_into_a_pupils_server_and_opens_it(browser, hub, tmp_path):
    repo = tmp_path / "maths-course"
    (repo / "lesson-1").mkdir(parents=True)
    notebook = {"cells": [{"cell_type": "markdown", "id": "m1", "metadata": {},
                           "source": "# Fractions, lesson 1"}],
                "metadata": {"kernelspec": KERNEL}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    (repo / "lesson-1" / "fractions.ipynb").write_text(json.dumps(notebook))
    git = ["git", "-C", str(repo), "-c", "user.name=Teacher", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Lesson 1"], check=True)
    made = subprocess.run(
        [sys.executable, "-m", "up2u_jupyter", "course-link", "--stack", "dev",
         "--repo", f"file://{repo}", "--branch", "main", "--path", "lesson-1/fractions.ipynb"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    link = made.stdout.strip()
    public = "https://jupyter-dev.up2u.example.org/"
    assert link.startswith(public + "hub/user-redirect/git-pull?")
    # a new pupil (the second of the other class) follows it from the learning platform
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(LAB)
    try:
        page.goto(link.replace(public, hub.url.removesuffix("hub/")))
        page.get_by_role("button", name="Sign in with eduTEAMS").click()
        page.get_by_role("button", name="physics-2b-pupil-2", exact=True).click()
        page.get_by_label("Standard").check()  # the profile form: no server yet
        page.get_by_role("button", name="Start").click()
        page.wait_for_url("**/user/physics-2b-pupil-2/lab/tree/maths-course/lesson-1/**")
        page.locator(".jp-NotebookPanel .jp-MarkdownOutput h1", has_text="Fractions").wait_for()
        assert page.locator(".jp-mod-current .lm-TabBar-tabLabel").first.inner_text() == (
            "fractions.ipynb"
        )
        shot(page, "classes-course-link")
    finally:
        page.context.close()
    pulled = hub.state / "users" / "physics-2b-pupil-2" / "maths-course" / "lesson-1"
    assert json.loads((pulled / "fractions.ipynb").read_text())["cells"][0]["id"] == "m1"


def test_sharing_reaches_classmates_by_name_and_not_the_other_class(sessions, hub):
    pupil, classmate, other = sessions(PUPIL), sessions(CLASSMATE), sessions(OTHER_PUPIL)
    started(pupil, hub, PUPIL, "maths-3a")
    shares = f"{hub.url}api/shares/{PUPIL}/"
    refused = api(pupil, "POST", shares, {"user": OTHER_PUPIL})
    assert refused.status == 403 and "read:users:name" in refused.text()
    granted = api(pupil, "POST", shares, {"user": CLASSMATE})
    assert granted.status == 200, granted.text()
    classmate.goto(server_url(hub, PUPIL) + "lab")
    if "oauth2/authorize" in classmate.url:
        classmate.get_by_role("button", name="Authorize").click()
    classmate.wait_for_url(f"**/user/{PUPIL}/lab**")
    classmate.wait_for_selector("#jp-main-dock-panel")
    assert other.goto(server_url(hub, PUPIL) + "lab").status == 403


def test_a_share_code_crosses_the_class_boundary(sessions, hub):
    """Measured, and documented in docs/classes.md: JupyterHub 5 lets whoever may share a
    server make a share code, which anyone signed in to the hub can accept."""
    pupil, other = sessions(PUPIL), sessions(OTHER_PUPIL)
    started(pupil, hub, PUPIL, "maths-3a")
    made = api(pupil, "POST", f"{hub.url}api/share-codes/{PUPIL}/", {"expires_in": 600})
    assert made.status == 200, made.text()
    other.goto(hub.url.removesuffix("/hub/") + made.json()["accept_url"])
    other.get_by_role("button", name="Accept invitation").click()
    if "oauth2/authorize" in other.url:
        other.get_by_role("button", name="Authorize").click()
    other.wait_for_url(f"**/user/{PUPIL}/**")
    other.wait_for_selector("#jp-main-dock-panel")
