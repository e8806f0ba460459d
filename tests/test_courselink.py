"""course-link: the nbgitpuller link for a stack's hub, and its one-line refusals."""

import io

import pytest

from tests.conftest import minimal_config, write_stack
from up2u_jupyter import cli
from up2u_jupyter.classes.courselink import course_link

HUB = "https://jupyter.example.org/"
UP2U_IMAGE = {"name": "registry.up2u.example.org/jupyter/k8s-singleuser", "tag": "1.0.0"}


def run(project_dir, *args, **config):
    write_stack(project_dir, "school", minimal_config(singleuser={"image": UP2U_IMAGE}, **config))
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["course-link", "--stack", "school", "--project-dir", str(project_dir), *args],
                   out, err)  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def test_the_link_has_nbgitpullers_shape():
    link = course_link(HUB, "https://github.com/up2u/maths", "main", "lesson-1/intro.ipynb")
    assert link == (
        "https://jupyter.example.org/hub/user-redirect/git-pull?"
        "repo=https%3A%2F%2Fgithub.com%2Fup2u%2Fmaths"
        "&urlpath=lab%2Ftree%2Fmaths%2Flesson-1%2Fintro.ipynb&branch=main"
    )


def test_a_dot_git_repository_lands_in_a_folder_without_it():
    link = course_link(HUB, "https://example.org/maths.git")
    assert link.endswith("&urlpath=lab%2Ftree%2Fmaths%2F&targetpath=maths")


def test_a_chosen_folder_is_named_in_the_link():
    link = course_link(HUB, "https://example.org/maths", path="a.ipynb", folder="3a")
    assert "urlpath=lab%2Ftree%2F3a%2Fa.ipynb" in link and link.endswith("&targetpath=3a")


def test_the_command_prints_the_stacks_link(project_dir):
    code, out, err = run(
        project_dir, "--repo", "https://github.com/up2u/maths", "--path", "x.ipynb"
    )
    assert (code, err) == (0, "")
    assert out == course_link(HUB, "https://github.com/up2u/maths", path="x.ipynb") + "\n"


def test_the_link_follows_https_mode_and_the_hubs_base_url(project_dir):
    _, out, _ = run(project_dir, "--repo", "https://e.org/r", https={"mode": "none"},
                    helmValues={"hub": {"baseUrl": "/jupyter"}})  # fmt: skip
    assert out.startswith("http://jupyter.example.org/jupyter/hub/user-redirect/git-pull?")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "https://teacher:s3cret@github.com/x/y"], "the URL holds credentials"),
        (["--repo", "ftp://example.org/r"], "is not a repository URL"),
        (["--repo", "https://example.org/"], "is not a repository URL"),
        (["--repo", "https://e.org/r", "--branch", "main..x"], "is not a branch name"),
        (["--repo", "https://e.org/r", "--branch=-rf"], "is not a branch name"),
        (["--repo", "https://e.org/r", "--path", "../../etc/passwd"], "is not a path inside"),
        (["--repo", "https://e.org/r", "--folder", "a/b"], "is not a folder name"),
    ],
)
def test_bad_arguments_are_one_line_without_the_secret(project_dir, args, message):
    code, out, err = run(project_dir, *args)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert message in err and "s3cret" not in err


def test_a_stack_without_a_domain_cannot_have_links(project_dir):
    config = minimal_config(
        singleuser={"image": UP2U_IMAGE}, auth={"type": "dummy", "allowAll": True}
    )
    del config["domain"]
    write_stack(project_dir, "school", config)
    err = io.StringIO()
    code = cli.run(["course-link", "--stack", "school", "--project-dir", str(project_dir),
                    "--repo", "https://e.org/r"], io.StringIO(), err)  # fmt: skip
    assert code == 1
    assert err.getvalue() == (
        "error: stack school has no domain: the link needs the hub's public address; "
        "set up2u-jupyter:domain\n"
    )


def test_a_user_image_without_nbgitpuller_is_pointed_out(project_dir):
    write_stack(project_dir, "school", minimal_config())
    err = io.StringIO()
    code = cli.run(["course-link", "--stack", "school", "--project-dir", str(project_dir),
                    "--repo", "https://e.org/r"], io.StringIO(), err)  # fmt: skip
    assert code == 0
    assert "not the Up2U user image: the link works only if that image has nbgitpuller" in (
        err.getvalue()
    )
