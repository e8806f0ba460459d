"""The rendered values of a stack at a git ref versus the working tree, as a unified diff.

The base side is rendered by the base commit's own code (from ``git archive``), so a change to
the values builder shows up in the diff just like a change to a stack file.
"""

import difflib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .errors import UsageError


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
        error=f"{ref!r} is not a git ref that names a commit",
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
        reason = (result.stderr.strip().splitlines() or ["no output"])[0]
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
