"""``course-link``: the nbgitpuller link that puts a repository's material in a pupil's server.

A teacher pastes the link into the school's learning platform. A pupil who follows it signs in,
gets their server started if it is not running (``/hub/user-redirect``), and nbgitpuller (in the
Up2U user image) clones the repository into their home, or merges what changed since, then
opens the path in JupyterLab. The link is nbgitpuller 1.x's (its link generator's shape):
``<hub>/hub/user-redirect/git-pull?repo=...&urlpath=lab/tree/<folder>/<path>&branch=...``,
where ``<folder>`` is the folder nbgitpuller clones into (``targetpath`` when it is not the
repository URL's last part, nbgitpuller's default: handlers.py, UIHandler).
"""

import argparse
import posixpath
import re
from typing import Any, TextIO
from urllib.parse import quote, urlencode, urlsplit

from ..args import add_stack_arguments
from ..errors import EXIT_OK, InputError
from ..secretrule import url_has_secret
from ..settings import Settings
from ..stackfile import load_stack

SCHEMES = ("https", "http", "git", "file")
"""What a pupil's server can clone without keys of its own (file: a folder on the server)."""
UP2U_USER_IMAGE = "/jupyter/k8s-singleuser"
"""How the Up2U user image's name ends (it has nbgitpuller); others may not."""
_BAD_REF = re.compile(r"[\x00-\x20~^:?*\[\\\x7f]|\.\.|@\{|//|^[-/.]|[/.]$|\.lock$")
"""What git refuses in a branch name (git check-ref-format)."""


def repository(text: str) -> str:
    """A repository URL a pupil's server can clone: https (or http, git, file), no secrets."""
    try:
        parts = urlsplit(text)
        usable = parts.scheme in SCHEMES and bool(parts.netloc or parts.scheme == "file")
    except ValueError:
        usable = False
    if not usable or not parts.path.strip("/"):
        raise argparse.ArgumentTypeError(
            f"{text[:60]!r} is not a repository URL; use https://host/owner/repo (or http, "
            "git, file)"
        )
    if url_has_secret(text):
        raise argparse.ArgumentTypeError(
            "the URL holds credentials, which every pupil following the link would get; "
            "use a public repository's URL"
        )
    return text


def branch(text: str) -> str:
    """A branch name git accepts."""
    if not text or _BAD_REF.search(text):
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a branch name; use one git accepts (e.g. main)"
        )
    return text


def notebook_path(text: str) -> str:
    """A path inside the repository: relative, without '..'."""
    parts = text.split("/")
    if text.startswith("/") or ".." in parts or "" in parts:
        raise argparse.ArgumentTypeError(
            f"{text[:60]!r} is not a path inside the repository; use e.g. lesson-1/intro.ipynb"
        )
    return text


def folder_name(text: str) -> str:
    """The folder in the pupil's home the repository is cloned into: one name."""
    if not text or "/" in text or text in (".", ".."):
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a folder name; use one name, e.g. maths-3a"
        )
    return text


def hub_url(settings: Settings, stack: str) -> str:
    """The stack's public hub address, with its base URL (``https://host/``)."""
    from ..values import public_scheme

    if settings.domain is None:
        raise InputError(
            f"stack {stack} has no domain: the link needs the hub's public address; set "
            "up2u-jupyter:domain"
        )
    hub = settings.helm_values.get("hub")
    base = str((hub.get("baseUrl") if isinstance(hub, dict) else None) or "").strip("/")
    return f"{public_scheme(settings)}://{settings.domain}/{base + '/' if base else ''}"


def course_link(
    hub: str,
    repo: str,
    branch: str | None = None,
    path: str | None = None,
    folder: str | None = None,
) -> str:
    """The nbgitpuller link: clone ``repo`` at ``branch`` into ``folder``, then open ``path``.

    The folder defaults to the repository's name without ``.git``; nbgitpuller's own default
    keeps it (``maths.git``), so the link then names the folder (``targetpath``).
    """
    named = repo.rstrip("/").split("/")[-1]  # nbgitpuller's default folder
    cloned = folder or named.removesuffix(".git") or named
    query = {"repo": repo, "urlpath": posixpath.join("lab/tree", cloned, path or "")}
    if branch:
        query["branch"] = branch
    if cloned != named:
        query["targetpath"] = cloned
    return f"{hub}hub/user-redirect/git-pull?{urlencode(query, quote_via=quote, safe='')}"


def register(commands: Any) -> None:
    """Add ``course-link``."""
    help_text = "print the link that pulls a git repository's course material into a server"
    command = commands.add_parser("course-link", help=help_text, description=help_text)
    add_stack_arguments(command)
    command.add_argument("--repo", required=True, type=repository, help="repository URL")
    command.add_argument("--branch", type=branch, help="branch (default: the repository's)")
    command.add_argument("--path", type=notebook_path, help="file or folder to open in it")
    command.add_argument(
        "--folder",
        type=folder_name,
        help="folder in the home it goes to (default: the repository's name without .git)",
    )
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the stack's link; warn when the stack's user image may lack nbgitpuller."""
    _, settings = load_stack(args.project_dir, args.stack)
    image = settings.singleuser.image
    if image is None or not image.name.endswith(UP2U_USER_IMAGE):
        shown = "the chart's default" if image is None else image.name
        print(
            f"warning: singleuser.image (stack {args.stack}) is {shown}, not the Up2U user "
            "image: the link works only if that image has nbgitpuller",
            file=err,
        )
    link = course_link(
        hub_url(settings, args.stack), args.repo, args.branch, args.path, args.folder
    )
    print(link, file=out)
    return EXIT_OK
