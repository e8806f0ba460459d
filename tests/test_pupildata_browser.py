"""Pupils' data in headless Chromium, against previews started here: the admin page says what
deleting a user does to their files, and a pupil downloads their whole home folder from
JupyterLab (jupyter-archive) and the archive opens with their files in it.
"""

import json
import urllib.parse
import zipfile

import pytest

from tests.conftest import committed_settings
from tests.test_preview_browser import (
    ADMIN,
    UP2U_IMAGE,
    USER,
    browser,  # noqa: F401 (fixture)
    page,  # noqa: F401 (fixture)
    shot,
    sign_in,
)
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

NOTICE = "#up2u-user-deletion-notice"


@pytest.fixture(scope="module")
def dev_hub():
    settings = committed_settings("dev", singleuser={"image": UP2U_IMAGE})
    with Preview(settings, "dev", port=free_port()) as preview:
        yield preview


def test_the_admin_page_says_deleting_a_user_keeps_their_files(page, dev_hub):  # noqa: F811
    sign_in(page, dev_hub, ADMIN)
    page.wait_for_url("**/lab**", timeout=90_000)
    assert page.goto(dev_hub.url + "admin").status == 200
    notice = page.locator(NOTICE)
    assert notice.inner_text().startswith("Deleting a user keeps their files.")
    assert "forget-user" in notice.inner_text()
    page.get_by_text(USER, exact=False).first.wait_for()  # the stock user list is still there
    shot(page, "admin-user-deletion")


def test_the_admin_page_warns_when_deleting_a_user_deletes_their_files(page):  # noqa: F811
    settings = committed_settings(
        "dev", dataProtection={"deleteVolumeWithUser": True, "retention": "365d"}
    )
    with Preview(settings, "dev", port=free_port()) as hub:
        sign_in(page, hub, ADMIN)
        page.wait_for_url("**/lab**", timeout=90_000)
        page.goto(hub.url + "admin")
        text = page.locator(NOTICE).inner_text()
    assert text.startswith("Deleting a user deletes their files.")
    assert "cannot be recovered" in text
    assert "Users inactive for more than 365 days are deleted with their files." in text


def write_the_pupils_work(tab, hub):
    """The pupil signs in and saves a folder of work through their server's contents API."""
    sign_in(tab, hub, USER)
    tab.wait_for_url(f"**/user/{USER}/lab**", timeout=90_000)
    tab.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
    base = tab.url.split("/lab")[0] + "/"
    xsrf = urllib.parse.unquote(
        next(c["value"] for c in tab.context.cookies() if c["name"] == "_xsrf"
             and c["path"].startswith("/user/"))
    )  # fmt: skip
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Fractions"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    for path, model in (
        ("maths", {"type": "directory"}),
        ("maths/fractions.ipynb", {"type": "notebook", "content": notebook}),
        ("maths/data.csv", {"type": "file", "format": "text", "content": "a,b\n1,2\n"}),
    ):
        reply = tab.request.put(f"{base}api/contents/{path}", data=json.dumps(model),
                                 headers={"X-XSRFToken": xsrf})  # fmt: skip
        assert reply.ok, reply.status


def download_home_folder(tab, tmp_path):
    """In the open JupyterLab: the file browser's menu on its empty space, Download Current
    Folder as an Archive (jupyter-archive); the saved archive."""
    listing = tab.locator(".jp-DirListing-content")
    listing.get_by_text("maths", exact=True).wait_for(timeout=60_000)
    listing.click(button="right", position={"x": 10, "y": 300})
    with tab.expect_download(timeout=60_000) as download:
        tab.get_by_text("Download Current Folder as an Archive", exact=True).click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    return archive


def test_a_pupil_downloads_their_home_folder_as_an_archive(page, dev_hub, tmp_path):  # noqa: F811
    write_the_pupils_work(page, dev_hub)
    page.reload()
    page.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
    archive = download_home_folder(page, tmp_path)
    assert archive.suffix == ".zip"  # jupyter-archive's default format
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        data = next(n for n in names if n.endswith("maths/data.csv"))
        assert opened.read(data) == b"a,b\n1,2\n"
        saved = next(n for n in names if n.endswith("maths/fractions.ipynb"))
        cell = json.loads(opened.read(saved))["cells"][0]
        assert "".join(cell["source"]) == "# Fractions"


def test_an_admin_produces_a_pupils_archive_on_request(browser, dev_hub, tmp_path):  # noqa: F811
    """The documented procedure (docs/pupils-data.md, Export): the admin opens the pupil's
    server from the hub (Access Server, then JupyterHub's Authorize) and downloads the same
    archive the pupil would."""
    pupil, admin = browser.new_context(), browser.new_context()
    try:
        write_the_pupils_work(pupil.new_page(), dev_hub)
        tab = admin.new_page()
        tab.set_default_timeout(60_000)
        sign_in(tab, dev_hub, ADMIN)
        tab.wait_for_url("**/lab**", timeout=90_000)
        tab.goto(f"{dev_hub.url.removesuffix('/hub/')}/user/{USER}/lab")  # Access Server
        tab.get_by_role("button", name="Authorize").click()  # the hub asks the admin first
        tab.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
        archive = download_home_folder(tab, tmp_path)
        with zipfile.ZipFile(archive) as opened:
            assert any(n.endswith("maths/data.csv") for n in opened.namelist())
    finally:
        pupil.close()
        admin.close()
