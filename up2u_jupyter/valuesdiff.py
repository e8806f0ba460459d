"""The rendered values of a stack at a git ref versus the working tree, as a unified diff.

The base side is rendered by the base commit's own code (from ``git archive``), so a change to
the values builder shows up in the diff just like a change to a stack file.
"""

import argparse
import difflib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, TextIO

from . import credentials
from .args import add_stack_arguments
from .errors import EXIT_OK, UsageError, excerpt
from .render import dump_values, hide_secrets, values_yaml
from .secretrule import redact_url
from .stackfile import load_stack

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")


def register(commands: Any) -> None:
    """Add ``diff``."""
    help_text = "diff a stack's rendered values between a git ref and the working tree"
    command = commands.add_parser("diff", help=help_text, description=help_text)
    command.add_argument("--base", required=True, help="git ref to compare with")
    command.add_argument(
        "--markdown", action="store_true", help="print a pull-request comment body"
    )
    add_stack_arguments(command)
    command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``diff``: the stack's rendered values at ``--base`` versus the working tree."""
    config, settings = load_stack(args.project_dir, args.stack)
    base, note = render_at_ref(args.project_dir, args.base, args.stack)
    head = values_yaml(settings, credentials.secret_env_names(config.secrets))
    # the head is rendered with secrets hidden already; the base by whatever code it had
    changes = unified(scrub(base), head, args.stack, args.base)
    if args.markdown:
        out.write(as_markdown(changes, args.stack, args.base, note))
        return EXIT_OK
    if note:
        print(f"note: {note}", file=err)
    out.write(changes or f"no change to the values of stack {args.stack} since {args.base}\n")
    return EXIT_OK


def scrub(rendered: str) -> str:
    """The base side's rendered values with every secret-looking literal hidden.

    The base side is printed by the base commit's own code, which may predate the secret
    rule; rewritten here in the head's format, nothing secret-looking reaches the published
    diff.
    """
    if not rendered:
        return rendered
    from .yamlio import YamlError, load_yaml

    try:
        values = load_yaml(rendered, "rendered values")
    except YamlError:
        return ""
    return dump_values(hide_secrets(values))


def redact_note(note: str) -> str:
    """A note quoting the base commit's error, with any URL's password hidden."""
    return _URL.sub(lambda match: redact_url(match.group(0)), note)


def render_at_ref(project_dir: Path, ref: str, stack: str) -> tuple[str, str]:
    """The ``values`` output of a stack at a git ref, and a note when there is none."""
    top = _git(
        project_dir, "rev-parse", "--show-toplevel", error=f"{project_dir} is not in a git checkout"
    )
    relative = project_dir.resolve().relative_to(Path(top).resolve())
    commit = _git(
        project_dir,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        error=f"{excerpt(ref)} is not a git ref that names a commit",
    )
    with tempfile.TemporaryDirectory(prefix="up2u-diff-") as tmp:
        archive = subprocess.run(
            ["git", "-C", top, "archive", "--format=tar", commit],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        base = Path(tmp) / relative
        if not (base / "up2u_jupyter").is_dir():
            return "", f"{ref} has no up2u_jupyter program"
        if not (base / f"Pulumi.{stack}.yaml").is_file():
            return "", f"{ref} has no Pulumi.{stack}.yaml (the stack is new)"
        result = subprocess.run(
            [sys.executable, "-m", "up2u_jupyter", "values", "--stack", stack],
            cwd=base,
            env={**os.environ, "PYTHONPATH": str(base)},
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        reason = redact_note((result.stderr.strip().splitlines() or ["no output"])[0][:300])
        return "", f"the stack's config at {ref} is invalid ({reason})"
    return result.stdout, ""


def unified(base: str, head: str, stack: str, ref: str) -> str:
    """A unified diff of two renderings ('' when they are the same)."""
    return "".join(
        difflib.unified_diff(
            base.splitlines(keepends=True),
            head.splitlines(keepends=True),
            fromfile=f"{stack} values at {ref}",
            tofile=f"{stack} values in the working tree",
        )
    )


def as_markdown(diff: str, stack: str, ref: str, note: str) -> str:
    """The diff as a pull-request comment body."""
    lines = [f"### Helm values of stack `{stack}`: `{ref}` -> this change", ""]
    if note:
        lines += [f"_{note}_", ""]
    if diff:
        lines += ["```diff", diff.rstrip("\n"), "```"]
    else:
        lines.append("No change to the rendered values.")
    lines += ["", "_Secrets are placeholders: this diff is safe to publish._"]
    return "\n".join(lines) + "\n"


def _git(cwd: Path, *args: str, error: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("git is not installed; the diff command needs it") from None
    if result.returncode != 0:
        raise UsageError(error)
    return result.stdout.strip()
